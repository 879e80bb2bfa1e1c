// Fuzz target `engines`: the decoder, and every execution engine run on arbitrary code in
// lockstep against the reference interpreter.
//
// The input is guest code plus a few bytes of set-up. The code goes to the start of RAM and runs
// from there, with registers pointing into RAM and at the board's devices (CLINT, UART, PLIC, a
// virtio slot, the RTC), so random loads and stores reach MMIO at bad sizes and offsets as well
// as RAM. The set-up (taken from the end of the input) chooses the privilege mode to start in,
// the trap vectors and delegation, whether FP is on, timer and software interrupts, and Sv39/Sv48
// translation through identity gigapages (whose tables the guest can overwrite). Slices of varied
// budgets follow; after every slice tests/unit/lockstep.hpp compares pc, privilege, x, f,
// instret, the CSRs, WFI and the LR reservation, every resident RAM page, the console and the exit
// code. Any difference, or any exception other than the guest's own traps escaping an engine, is
// a finding.
//
// Decoder invariants are checked on every halfword offset of the input, with no guest at all:
// the length agrees with insn_length(), a decoded 32-bit instruction matches its table entry, and
// a compressed one decodes exactly as the 32-bit instruction it expands to.
#include <fuzzer/FuzzedDataProvider.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <exception>
#include <span>
#include <string>
#include <vector>

#include "core/csr.hpp"
#include "core/engines/engine.hpp"
#include "core/isa/decoder.hpp"
#include "devices/machine.hpp"
#include "fuzz/fuzz_support.hpp"
#include "tests/unit/lockstep.hpp"

using namespace hartbox;

namespace {

constexpr uint64_t kRamSize = uint64_t{1} << 20;  // 1 MiB: small, so RAM comparisons are cheap
constexpr uint64_t kRamEnd = kRamBase + kRamSize;
constexpr size_t kMaxCode = 16 * 1024;
constexpr uint64_t kMaxSteps = 3000;  // per engine pair and input
constexpr uint64_t kRootTable = kRamEnd - 0x2000;
constexpr uint64_t kLevel2Table = kRamEnd - 0x1000;  // Sv48 only

// --- Decoder invariants -----------------------------------------------------------------------

std::string hex(uint64_t v) { return lockstep::hex(v); }

bool same_operation(const isa::DecodedInsn& a, const isa::DecodedInsn& b) {
  return a.op == b.op && a.rd == b.rd && a.rs1 == b.rs1 && a.rs2 == b.rs2 && a.rs3 == b.rs3 && a.rm == b.rm &&
         a.imm == b.imm;
}

void check_decoder(std::span<const uint8_t> bytes) {
  for (size_t at = 0; at + 2 <= bytes.size(); at += 2) {
    uint16_t half;
    std::memcpy(&half, bytes.data() + at, 2);
    if (isa::insn_length(half) == 2) {
      const isa::DecodedInsn d = isa::decode(half);
      fuzz::require(d.len == 2 && d.raw == half, "decoder: compressed " + hex(half) + " has length " +
                                                     std::to_string(d.len) + " or raw " + hex(d.raw));
      const uint32_t expanded = isa::expand_compressed(half);
      if (expanded == 0) {
        fuzz::require(d.op == isa::Op::ILLEGAL, "decoder: reserved compressed " + hex(half) + " decodes as " +
                                                    std::string(isa::op_info(d.op).name));
        continue;
      }
      fuzz::require(isa::insn_length(expanded) == 4,
                    "decoder: " + hex(half) + " expands to a compressed encoding " + hex(expanded));
      const isa::DecodedInsn full = isa::decode(expanded);
      fuzz::require(same_operation(d, full), "decoder: compressed " + hex(half) + " decodes as " +
                                                 std::string(isa::op_info(d.op).name) + ", its expansion " +
                                                 hex(expanded) + " as " + std::string(isa::op_info(full.op).name) +
                                                 " (or with other operands)");
      continue;
    }
    if (at + 4 > bytes.size()) break;
    uint32_t word;
    std::memcpy(&word, bytes.data() + at, 4);
    const isa::DecodedInsn d = isa::decode(word);
    fuzz::require(d.len == 4 && d.raw == word, "decoder: " + hex(word) + " has length " + std::to_string(d.len));
    if (d.op != isa::Op::ILLEGAL) {
      const isa::OpInfo& info = isa::op_info(d.op);
      fuzz::require((word & info.mask) == info.match,
                    "decoder: " + hex(word) + " decoded as " + std::string(info.name) + " but does not match it");
    }
  }
}

// --- The guest ------------------------------------------------------------------------------

struct GuestSetup {
  std::vector<uint8_t> code;
  Privilege start = Privilege::Machine;
  bool fp_on = false;
  bool interrupts = false;
  unsigned translation = 0;  // 0 bare, 1 Sv39, 2 Sv48
  bool user_pages = false;   // the gigapages carry U (U-mode can run; S needs SUM for data)
  uint64_t mtvec = 0, stvec = 0, medeleg = 0, mideleg = 0, mtimecmp = 0, mstatus_extra = 0;
  std::array<uint64_t, 6> free_registers{};
  std::vector<uint64_t> budgets;
};

GuestSetup parse(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  GuestSetup s;
  // Set-up bytes come from the end of the input (FuzzedDataProvider's integers do), so the code
  // at the front keeps its offsets when the fuzzer changes them.
  const uint8_t flags = in.ConsumeIntegral<uint8_t>();
  s.start = (flags & 3) == 1 ? Privilege::Supervisor : (flags & 3) == 2 ? Privilege::User : Privilege::Machine;
  s.fp_on = (flags & 4) != 0;
  s.interrupts = (flags & 8) != 0;
  s.translation = (flags >> 4) % 3;
  s.user_pages = (flags & 0x40) != 0;
  s.mtvec = kRamBase + (in.ConsumeIntegral<uint16_t>() & 0x3fff);  // bit 0: vectored
  s.stvec = kRamBase + (in.ConsumeIntegral<uint16_t>() & 0x3fff);
  s.medeleg = in.ConsumeIntegral<uint16_t>();
  s.mideleg = in.ConsumeIntegral<uint8_t>() & irq::kSupervisor;
  s.mtimecmp = in.ConsumeIntegral<uint8_t>();
  s.mstatus_extra = in.ConsumeIntegral<uint8_t>();
  for (uint64_t& r : s.free_registers) r = in.ConsumeIntegral<uint64_t>();
  const unsigned budgets = in.ConsumeIntegralInRange<unsigned>(1, 6);
  for (unsigned i = 0; i < budgets; ++i) s.budgets.push_back(in.ConsumeIntegralInRange<uint64_t>(1, 300));
  s.code = in.ConsumeBytes<uint8_t>(kMaxCode);
  return s;
}

uint64_t read_status(Hart& h) {
  uint64_t v = 0;
  lockstep::read_csr_as_machine(h, csr::mstatus, v);
  return v;
}

void write_u64(Machine& m, uint64_t paddr, uint64_t value) { m.ram().write(paddr, &value, sizeof value); }

// Puts a machine in the state `s` describes; done identically to both machines of a pair.
void prepare(Machine& m, const GuestSetup& s) {
  if (!s.code.empty()) m.ram().write(kRamBase, s.code.data(), s.code.size());
  Hart& h = m.hart();
  h.pc = h.next_pc = kRamBase;
  // Registers: bases into RAM and at every device of the board, then values from the input.
  const uint64_t fixed[] = {kRamBase,          kRamBase + 0x8'0000, kRamBase + 0x4'0000, virt::kClintBase,
                            virt::kUartBase,   0x1000'1000,         virt::kPlicBase,     kRamBase + 0x4'1000,
                            virt::kRtcBase,    kRamBase + 0x1000,   kRamEnd - 8,         0x0200'4000,
                            0x0200'bff8,       kRamBase + 0x4'2001, virt::kBootRomBase,  0x0c20'0000};
  for (unsigned i = 0; i < std::size(fixed); ++i) h.x[1 + i] = fixed[i];
  for (unsigned i = 0; i < s.free_registers.size(); ++i) h.x[1 + std::size(fixed) + i] = s.free_registers[i];
  for (unsigned i = 1 + std::size(fixed) + static_cast<unsigned>(s.free_registers.size()); i < 32; ++i) h.x[i] = i;

  h.csr_write(csr::mtvec, s.mtvec);
  h.csr_write(csr::stvec, s.stvec);
  h.csr_write(csr::medeleg, s.medeleg);
  h.csr_write(csr::mideleg, s.mideleg);
  uint64_t status = read_status(h);
  if (s.fp_on) status |= mstatus::kFsInitial << mstatus::kFsShift;
  status |= (s.mstatus_extra & 1 ? mstatus::SUM : 0) | (s.mstatus_extra & 2 ? mstatus::MXR : 0) |
            (s.mstatus_extra & 4 ? mstatus::TVM : 0) | (s.mstatus_extra & 8 ? mstatus::TW : 0) |
            (s.mstatus_extra & 16 ? mstatus::TSR : 0);
  if (s.interrupts) {
    status |= mstatus::MIE | mstatus::SIE;
    h.csr_write(csr::mie, irq::kAll);
    uint64_t cmp = s.mtimecmp;
    m.bus().write(0x0200'4000, 8, cmp);
  }
  h.csr_write(csr::mstatus, status);

  if (s.translation != 0) {
    // Identity gigapages: VA 0 -> the devices, VA 0x8000_0000 -> RAM (and 1 GiB beyond).
    const uint64_t leaf = 0xcf | (s.user_pages ? 0x10 : 0);  // V R W X A D (+U)
    uint64_t table = kRootTable;
    if (s.translation == 2) {
      write_u64(m, kRootTable, ((kLevel2Table >> 12) << 10) | 1);  // VPN[3] = 0 -> next level
      table = kLevel2Table;
    }
    write_u64(m, table + 0 * 8, (uint64_t{0} << 10) | leaf);
    write_u64(m, table + 2 * 8, ((kRamBase >> 12) << 10) | leaf);
    const uint64_t mode = s.translation == 1 ? kSatpModeSv39 : kSatpModeSv48;
    h.csr_write(csr::satp, (mode << 60) | (kRootTable >> 12));
  }
  h.priv = s.start;
  h.flush_tlb();
}

void run_pair(const GuestSetup& s, const std::string& engine) {
  MachineConfig config;
  config.ram_size = kRamSize;
  config.semihosting = false;  // a host service with host side effects (files): not for random code
  lockstep::LockstepPair pair(config, engine, /*observe_subject=*/true);
  prepare(pair.reference(), s);
  prepare(pair.subject(), s);
  if (auto divergence = pair.compare()) fuzz::finding("set-up differs already:\n" + *divergence);
  std::optional<std::string> divergence;
  try {
    divergence = lockstep::run_lockstep(pair, kMaxSteps, s.budgets);
  } catch (const std::exception& e) {
    fuzz::finding("exception escaped the engines (" + engine + " pair): " + e.what());
  }
  if (divergence) fuzz::finding(*divergence);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  check_decoder(std::span<const uint8_t>(data, size));
  const GuestSetup setup = parse(data, size);
  for (std::string_view engine : engine_names())
    if (engine != "interp") run_pair(setup, std::string(engine));
  return 0;
}
