// Instruction text for traces and `hartbox disasm`, from Capstone 5 (never a table of our own,
// so it cannot drift from the decoder: a test cross-checks it against binutils' objdump).
#pragma once

#include <cstdint>
#include <string>

namespace hartbox::isa {

class Disassembler {
 public:
  Disassembler();
  ~Disassembler();
  Disassembler(const Disassembler&) = delete;
  Disassembler& operator=(const Disassembler&) = delete;

  // "addi a0, a0, 1"; "unknown" for an encoding Capstone does not know. `raw` holds 2 or 4
  // bytes of instruction (by insn_length).
  std::string text(uint32_t raw, uint64_t pc) const;

 private:
  size_t handle_ = 0;
  bool ok_ = false;
};

}  // namespace hartbox::isa
