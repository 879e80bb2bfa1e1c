// Trap causes (privileged spec 3.1.15, mcause values) and the exception that carries a
// synchronous trap out of an instruction body to the engine, which hands it to
// Hart::take_trap. Throwing keeps the instruction bodies as plain as the manual's pseudocode;
// the cost is paid only when a trap happens.
#pragma once

#include <cstdint>
#include <string_view>

namespace hartbox {

enum class Exception : uint64_t {
  InstructionAddressMisaligned = 0,
  InstructionAccessFault = 1,
  IllegalInstruction = 2,
  Breakpoint = 3,
  LoadAddressMisaligned = 4,
  LoadAccessFault = 5,
  StoreAddressMisaligned = 6,
  StoreAccessFault = 7,
  EcallFromU = 8,
  EcallFromS = 9,
  EcallFromM = 11,
  InstructionPageFault = 12,
  LoadPageFault = 13,
  StorePageFault = 15,
};

enum class Interrupt : uint64_t {
  SupervisorSoftware = 1,
  MachineSoftware = 3,
  SupervisorTimer = 5,
  MachineTimer = 7,
  SupervisorExternal = 9,
  MachineExternal = 11,
};

inline constexpr uint64_t kInterruptBit = uint64_t{1} << 63;

struct Trap {
  Exception cause;
  uint64_t tval;
};

std::string_view exception_name(uint64_t cause);
std::string_view interrupt_name(uint64_t cause);

}  // namespace hartbox
