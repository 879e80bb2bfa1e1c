// Lockstep tests: every engine must be indistinguishable from the reference interpreter.
//
// The runner (lockstep.hpp) runs two Machines side by side, `interp` and the engine under test,
// and compares the whole architectural state, RAM, console and exit code after every slice of
// the engine under test. It is fed with:
//
//   1. every guest program in roms/ (ISA tests and C programs), run to their exit. The ELFs are
//      found at run time: in $HARTBOX_ROMS_DIR if it is set (the test then fails if it holds no
//      *.elf), else in ../roms relative to this test binary (build/<preset>/tests/ ->
//      build/<preset>/roms/, where the build puts roms/isa/*.elf and roms/c/*.elf); with neither,
//      the test warns and skips.
//   2. generated programs: random instruction streams (fixed seeds) mixing legal instructions
//      from the opcode table, random 16/32-bit words, compressed code, branches that stay in the
//      code area, CSR accesses to a safe set, ecall/ebreak/mret/sret privilege changes, timer and
//      software interrupts from the CLINT, and self-modifying code with and without fence.i. A
//      small trap handler skips whatever faults. A divergent seed is shrunk (instructions replaced
//      by nops while it still diverges) and reported with its remaining instructions.
//      $HARTBOX_LOCKSTEP_SEEDS, $HARTBOX_LOCKSTEP_FIRST_SEED and $HARTBOX_LOCKSTEP_STEPS change
//      how many seeds run, from which, and for how many steps (for long soak runs).
//   3. directed reproducers of the divergences the above found.
#include "tests/unit/lockstep.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch_test_macros.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/engines/trace_writer.hpp"
#include "core/isa/decoder.hpp"

using namespace hartbox;
using namespace hartbox::lockstep;

namespace {

constexpr std::array<const char*, 2> kEnginesUnderTest = {"threaded", "block"};

uint64_t env_number(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  if (!text || !*text) return fallback;
  return std::strtoull(text, nullptr, 0);
}

// --- Instruction encodings (ISA manual, "RV32/64G Instruction Set Listings") -----------------

namespace enc {
constexpr uint32_t reg(unsigned r) { return r & 31u; }
constexpr uint32_t bits_of(int64_t v) { return static_cast<uint32_t>(static_cast<uint64_t>(v)); }
constexpr uint32_t r_type(uint32_t f7, unsigned rs2, unsigned rs1, uint32_t f3, unsigned rd, uint32_t op) {
  return (f7 << 25) | (reg(rs2) << 20) | (reg(rs1) << 15) | (f3 << 12) | (reg(rd) << 7) | op;
}
constexpr uint32_t i_type(int64_t imm, unsigned rs1, uint32_t f3, unsigned rd, uint32_t op) {
  return ((bits_of(imm) & 0xfffu) << 20) | (reg(rs1) << 15) | (f3 << 12) | (reg(rd) << 7) | op;
}
constexpr uint32_t s_type(int64_t imm, unsigned rs2, unsigned rs1, uint32_t f3, uint32_t op) {
  const uint32_t u = bits_of(imm);
  return (((u >> 5) & 0x7fu) << 25) | (reg(rs2) << 20) | (reg(rs1) << 15) | (f3 << 12) | ((u & 0x1fu) << 7) | op;
}
constexpr uint32_t b_type(int64_t off, unsigned rs1, unsigned rs2, uint32_t f3) {
  const uint32_t u = bits_of(off);
  return (((u >> 12) & 1u) << 31) | (((u >> 5) & 0x3fu) << 25) | (reg(rs2) << 20) | (reg(rs1) << 15) | (f3 << 12) |
         (((u >> 1) & 0xfu) << 8) | (((u >> 11) & 1u) << 7) | 0x63u;
}
constexpr uint32_t j_type(int64_t off, unsigned rd) {
  const uint32_t u = bits_of(off);
  return (((u >> 20) & 1u) << 31) | (((u >> 1) & 0x3ffu) << 21) | (((u >> 11) & 1u) << 20) |
         (((u >> 12) & 0xffu) << 12) | (reg(rd) << 7) | 0x6fu;
}
constexpr uint32_t addi(unsigned rd, unsigned rs1, int64_t imm) { return i_type(imm, rs1, 0, rd, 0x13); }
constexpr uint32_t addiw(unsigned rd, unsigned rs1, int64_t imm) { return i_type(imm, rs1, 0, rd, 0x1b); }
constexpr uint32_t andi(unsigned rd, unsigned rs1, int64_t imm) { return i_type(imm, rs1, 7, rd, 0x13); }
constexpr uint32_t sltiu(unsigned rd, unsigned rs1, int64_t imm) { return i_type(imm, rs1, 3, rd, 0x13); }
constexpr uint32_t slli(unsigned rd, unsigned rs1, unsigned sh) { return i_type(sh, rs1, 1, rd, 0x13); }
constexpr uint32_t srli(unsigned rd, unsigned rs1, unsigned sh) { return i_type(sh, rs1, 5, rd, 0x13); }
constexpr uint32_t add(unsigned rd, unsigned rs1, unsigned rs2) { return r_type(0, rs2, rs1, 0, rd, 0x33); }
constexpr uint32_t lui(unsigned rd, uint32_t imm20) { return ((imm20 & 0xfffffu) << 12) | (reg(rd) << 7) | 0x37u; }
constexpr uint32_t auipc(unsigned rd, uint32_t imm20) { return ((imm20 & 0xfffffu) << 12) | (reg(rd) << 7) | 0x17u; }
constexpr uint32_t jal(unsigned rd, int64_t off) { return j_type(off, rd); }
constexpr uint32_t jalr(unsigned rd, unsigned rs1, int64_t off) { return i_type(off, rs1, 0, rd, 0x67); }
constexpr uint32_t lhu(unsigned rd, unsigned rs1, int64_t off) { return i_type(off, rs1, 5, rd, 0x03); }
constexpr uint32_t ld(unsigned rd, unsigned rs1, int64_t off) { return i_type(off, rs1, 3, rd, 0x03); }
constexpr uint32_t sh(unsigned rs2, unsigned rs1, int64_t off) { return s_type(off, rs2, rs1, 1, 0x23); }
constexpr uint32_t sw(unsigned rs2, unsigned rs1, int64_t off) { return s_type(off, rs2, rs1, 2, 0x23); }
constexpr uint32_t sd(unsigned rs2, unsigned rs1, int64_t off) { return s_type(off, rs2, rs1, 3, 0x23); }
constexpr uint32_t csrrw(unsigned rd, uint16_t csr, unsigned rs1) { return i_type(csr, rs1, 1, rd, 0x73); }
constexpr uint32_t csrrs(unsigned rd, uint16_t csr, unsigned rs1) { return i_type(csr, rs1, 2, rd, 0x73); }
constexpr uint32_t csrrc(unsigned rd, uint16_t csr, unsigned rs1) { return i_type(csr, rs1, 3, rd, 0x73); }
constexpr uint32_t csr_op(uint32_t f3, unsigned rd, uint16_t csr, unsigned rs1_or_uimm) {
  return i_type(csr, rs1_or_uimm, f3, rd, 0x73);
}
constexpr uint32_t kNop = 0x00000013, kEcall = 0x00000073, kEbreak = 0x00100073, kMret = 0x30200073,
                   kSret = 0x10200073, kFenceI = 0x0000100f;
constexpr uint16_t kCNop = 0x0001, kCEbreak = 0x9002;
}  // namespace enc

enum Reg : unsigned { ZERO = 0, RA = 1, SP = 2, T0 = 5, T1 = 6, T2 = 7, S0 = 8, S1 = 9, A0 = 10, A1 = 11, A2 = 12,
                      A3 = 13, A4 = 14, A5 = 15, T3 = 28, T4 = 29, T5 = 30, T6 = 31 };

// A little assembler: words, halfwords and forward/backward branches to labels.
class Asm {
 public:
  explicit Asm(uint64_t origin) : origin_(origin) {}
  uint64_t pc() const { return origin_ + bytes_.size(); }
  void emit(uint32_t w) {
    for (unsigned i = 0; i < 4; ++i) bytes_.push_back(static_cast<uint8_t>(w >> (8 * i)));
  }
  void emit16(uint16_t h) {
    bytes_.push_back(static_cast<uint8_t>(h));
    bytes_.push_back(static_cast<uint8_t>(h >> 8));
  }
  size_t label() {
    labels_.push_back(~uint64_t{0});
    return labels_.size() - 1;
  }
  void bind(size_t label) { labels_[label] = pc(); }
  // A conditional branch (funct3 `f3`) to `label`.
  void branch(uint32_t f3, unsigned rs1, unsigned rs2, size_t label) {
    fixups_.push_back({bytes_.size(), pc(), f3, rs1, rs2, label});
    emit(0);
  }
  // Loads the 64-bit constant `value` (0 <= value < 2^31, or a sign-extended 32-bit one).
  void li32(unsigned rd, int64_t value) {
    const auto v = static_cast<int32_t>(value);
    const int32_t lo = (v << 20) >> 20;
    const auto hi = static_cast<uint32_t>((static_cast<int64_t>(v) - lo) >> 12);
    if (hi) {
      emit(enc::lui(rd, hi));
      emit(enc::addiw(rd, rd, lo));
    } else {
      emit(enc::addi(rd, ZERO, lo));
    }
  }
  std::vector<uint8_t> finish() const {
    std::vector<uint8_t> out = bytes_;
    for (const Fixup& f : fixups_) {
      const auto off = static_cast<int64_t>(labels_[f.label] - f.pc);
      const uint32_t w = enc::b_type(off, f.rs1, f.rs2, f.f3);
      for (unsigned i = 0; i < 4; ++i) out[f.at + i] = static_cast<uint8_t>(w >> (8 * i));
    }
    return out;
  }

 private:
  struct Fixup {
    size_t at;
    uint64_t pc;
    uint32_t f3;
    unsigned rs1, rs2;
    size_t label;
  };
  uint64_t origin_;
  std::vector<uint8_t> bytes_;
  std::vector<uint64_t> labels_;
  std::vector<Fixup> fixups_;
};

// --- The layout of a generated program -----------------------------------------------------------

constexpr uint64_t kRamStart = 0x8000'0000, kRamSize = 0x8000;
constexpr uint64_t kMHandler = kRamStart, kSHandler = kRamStart + 0x100;
constexpr uint64_t kCodeStart = kRamStart + 0x1000, kCodeEnd = kRamStart + 0x3000;  // two pages
constexpr uint64_t kCodeLimit = kCodeEnd - 4;  // the last word jumps back to the start
constexpr uint64_t kDataStart = kRamStart + 0x4000, kDataEnd = kRamStart + 0x6000;
constexpr uint64_t kClintAt = 0x0200'0000;  // the CLINT of Hartbox's boards (Spike's and QEMU's virt)
constexpr uint64_t kMsip = kClintAt, kMtimecmp = kClintAt + 0x4000, kMtime = kClintAt + 0xbff8;
constexpr int64_t kTimerTicks = 3;  // the handler re-arms the timer this far ahead (100 insns a tick)

// Base registers that loads and stores use, kept pointing into their areas: random instructions
// rarely overwrite them, and re-anchoring sequences reset them.
constexpr uint64_t kS0Value = kDataStart + 0x800, kS1Value = kDataStart + 0x1400, kSpValue = kDataStart + 0x400;
constexpr uint64_t kA0Value = kCodeStart + 0x800;  // stores through a0 modify code
bool is_base(unsigned r) { return r == SP || r == S0 || r == S1 || r == A0 || r == A1; }

// The trap handlers, which must stay stable code: M-mode at kMHandler (registers t5, t6), S-mode
// at kSHandler (t3, t4; different registers, since an M interrupt may land inside it).
//   - an instruction fetch fault (cause 1 or 12) resumes at the start of the code area;
//   - any other exception resumes after the faulting instruction (2 or 4 bytes, read at xepc);
//     ecall from a lower mode also returns in the handler's own mode (MPP = M, SPP = S), which
//     is how random code climbs back up;
//   - an interrupt (always M: mideleg = 0) clears msip and S-level pending bits and re-arms the
//     timer kTimerTicks ahead of `time`;
//   - after an interrupt, and after about one M-mode exception in 16 (by minstret), execution
//     resumes at a pseudo-random halfword of the code area instead, so that a program stuck in
//     a loop moves on and most of the code area gets to run.
std::vector<uint8_t> handler_image() {
  using namespace enc;
  Asm m(kMHandler);
  const size_t irq = m.label(), refetch = m.label(), skip = m.label(), done = m.label(), relocate = m.label();
  m.emit(csrrs(T6, csr::mcause, ZERO));
  m.branch(4, T6, ZERO, irq);  // blt t6, zero: an interrupt
  m.emit(addi(T5, T6, -1));
  m.branch(0, T5, ZERO, refetch);
  m.emit(addi(T5, T6, -12));
  m.branch(0, T5, ZERO, refetch);
  m.emit(addi(T5, T6, -8));
  m.emit(sltiu(T5, T5, 4));
  m.branch(0, T5, ZERO, skip);  // not an ecall
  m.emit(lui(T5, 2));
  m.emit(addi(T5, T5, -2048));  // 0x1800: MPP = M
  m.emit(csrrs(ZERO, csr::mstatus, T5));
  m.bind(skip);
  m.emit(csrrs(T5, csr::minstret, ZERO));
  m.emit(andi(T5, T5, 15));
  m.branch(0, T5, ZERO, relocate);  // one trap in 16 or so: somewhere else
  m.emit(csrrs(T6, csr::mepc, ZERO));
  m.emit(lhu(T5, T6, 0));
  m.emit(andi(T5, T5, 3));
  m.emit(addi(T5, T5, -3));
  m.emit(addi(T6, T6, 2));
  m.branch(1, T5, ZERO, done);  // compressed: 2 bytes
  m.emit(addi(T6, T6, 2));
  m.bind(done);
  m.emit(csrrw(ZERO, csr::mepc, T6));
  m.emit(kMret);
  m.bind(refetch);
  m.emit(auipc(T6, 1));
  m.emit(srli(T6, T6, 12));
  m.emit(slli(T6, T6, 12));  // kCodeStart
  m.emit(csrrw(ZERO, csr::mepc, T6));
  m.emit(kMret);
  m.bind(irq);
  m.emit(lui(T5, static_cast<uint32_t>(kMsip >> 12)));
  m.emit(sw(ZERO, T5, 0));
  m.emit(csrrw(ZERO, csr::mip, ZERO));
  m.emit(csrrs(T6, csr::time, ZERO));
  m.emit(addi(T6, T6, kTimerTicks));
  m.emit(lui(T5, static_cast<uint32_t>(kMtimecmp >> 12)));
  m.emit(sd(T6, T5, 0));
  m.bind(relocate);
  m.emit(csrrs(T6, csr::minstret, ZERO));
  m.emit(slli(T6, T6, 52));
  m.emit(srli(T6, T6, 51));  // (minstret & 0xfff) * 2: any halfword of the code area
  m.emit(auipc(T5, 1));
  m.emit(srli(T5, T5, 12));
  m.emit(slli(T5, T5, 12));
  m.emit(add(T6, T6, T5));
  m.emit(csrrw(ZERO, csr::mepc, T6));
  m.emit(kMret);
  std::vector<uint8_t> image = m.finish();
  REQUIRE(image.size() <= kSHandler - kMHandler);
  image.resize(kSHandler - kMHandler, 0);

  Asm s(kSHandler);
  const size_t s_irq = s.label(), s_refetch = s.label(), s_skip = s.label(), s_done = s.label();
  s.emit(csrrs(T4, csr::scause, ZERO));
  s.branch(4, T4, ZERO, s_irq);
  s.emit(addi(T3, T4, -1));
  s.branch(0, T3, ZERO, s_refetch);
  s.emit(addi(T3, T4, -12));
  s.branch(0, T3, ZERO, s_refetch);
  s.emit(addi(T3, T4, -8));
  s.branch(1, T3, ZERO, s_skip);  // not an ecall from U
  s.emit(addi(T3, ZERO, 0x100));   // SPP = S
  s.emit(csrrs(ZERO, csr::sstatus, T3));
  s.bind(s_skip);
  s.emit(csrrs(T4, csr::sepc, ZERO));
  s.emit(lhu(T3, T4, 0));
  s.emit(andi(T3, T3, 3));
  s.emit(addi(T3, T3, -3));
  s.emit(addi(T4, T4, 2));
  s.branch(1, T3, ZERO, s_done);
  s.emit(addi(T4, T4, 2));
  s.bind(s_done);
  s.emit(csrrw(ZERO, csr::sepc, T4));
  s.emit(kSret);
  s.bind(s_refetch);
  s.emit(auipc(T4, 1));
  s.emit(srli(T4, T4, 12));
  s.emit(slli(T4, T4, 12));
  s.emit(csrrw(ZERO, csr::sepc, T4));
  s.emit(kSret);
  s.bind(s_irq);
  s.emit(kSret);
  const std::vector<uint8_t> s_image = s.finish();
  image.insert(image.end(), s_image.begin(), s_image.end());
  return image;
}

// --- Random programs -----------------------------------------------------------------------------

struct Slot {
  uint32_t offset;  // from kCodeStart
  uint8_t len;
};

struct Program {
  uint64_t seed = 0;
  bool clint_access = false;  // random code reads mtime and writes mtimecmp/msip itself
  std::vector<uint8_t> code;  // kCodeEnd - kCodeStart bytes
  std::vector<Slot> slots;    // every generated instruction, for shrinking
  std::vector<uint8_t> data;  // kDataEnd - kDataStart bytes
  std::array<uint64_t, 32> x{}, f{};
  Privilege start_priv = Privilege::Machine;
  uint64_t fs = 0;  // mstatus.FS
  uint64_t fcsr = 0;
  uint64_t medeleg = 0;
  uint64_t mcounteren = 0, scounteren = 0;
  uint64_t mtimecmp = 0;
  uint64_t mpp = 0, spp = 0;
};

// CSRs that random code may write: nothing that changes translation, interrupts or trap
// delivery behind the handlers' back.
constexpr uint16_t kWritableCsrs[] = {csr::mscratch, csr::sscratch, csr::fcsr,  csr::frm,    csr::fflags,
                                      csr::mepc,     csr::sepc,     csr::mtval, csr::stval,  csr::mcause,
                                      csr::scause,   csr::minstret, csr::mcycle, csr::tselect, csr::mcountinhibit};
constexpr uint16_t kReadableCsrs[] = {
    csr::mstatus, csr::sstatus, csr::mepc,     csr::mcause,    csr::mtval,   csr::sepc,     csr::scause,
    csr::stval,   csr::satp,    csr::mtvec,    csr::stvec,     csr::medeleg, csr::mideleg,  csr::mie,
    csr::mip,     csr::sie,     csr::sip,      csr::mscratch,  csr::sscratch, csr::fcsr,    csr::fflags,
    csr::frm,     csr::cycle,   csr::time,     csr::instret,   csr::mcycle,  csr::minstret, csr::mhartid,
    csr::misa,    csr::mvendorid, csr::hpmcounter3, csr::mhpmcounter3, csr::stimecmp, csr::tdata1, csr::mcounteren};

class ProgramGenerator {
 public:
  explicit ProgramGenerator(uint64_t seed) : rng_(seed) { p_.seed = seed; }

  Program generate() {
    p_.clint_access = p_.seed % 2 == 1;
    p_.data.resize(kDataEnd - kDataStart);
    for (uint8_t& b : p_.data) b = static_cast<uint8_t>(next());
    for (unsigned i = 1; i < 32; ++i) p_.x[i] = random_value();
    for (unsigned i = 0; i < 32; ++i) p_.f[i] = chance(50) ? (0xffffffff00000000ull | (next() & 0xffffffffu)) : next();
    p_.x[SP] = kSpValue;
    p_.x[S0] = kS0Value;
    p_.x[S1] = kS1Value;
    p_.x[A0] = kA0Value;
    p_.x[A1] = kMtime;
    const unsigned priv = below(4);
    p_.start_priv = priv < 2 ? Privilege::Machine : priv == 2 ? Privilege::Supervisor : Privilege::User;
    p_.fs = chance(10) ? 0 : 1 + below(3);  // FS = Off makes every FP instruction trap
    p_.fcsr = (chance(90) ? below(5) : below(8)) << 5 | below(32);  // frm 5-7: dynamic rm traps
    static constexpr unsigned kDelegable[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 15};
    for (unsigned cause : kDelegable)
      if (chance(30)) p_.medeleg |= uint64_t{1} << cause;
    p_.mcounteren = chance(50) ? 7 : below(8);
    p_.scounteren = below(8);
    p_.mtimecmp = 1 + below(150);
    static constexpr uint64_t kModes[] = {0, 1, 3};
    p_.mpp = kModes[below(3)];
    p_.spp = below(2);

    while (pc() + kMaxItem <= kCodeLimit) item();
    while (pc() + 4 <= kCodeLimit) emit(enc::kNop);
    while (pc() < kCodeLimit) emit16(enc::kCNop);
    emit(enc::jal(ZERO, -static_cast<int64_t>(kCodeLimit - kCodeStart)));
    return std::move(p_);
  }

 private:
  static constexpr uint64_t kMaxItem = 48;  // bytes: the longest sequence below

  uint64_t next() { return rng_(); }
  unsigned below(unsigned n) { return static_cast<unsigned>(rng_() % n); }
  bool chance(unsigned percent) { return below(100) < percent; }
  uint64_t pc() const { return kCodeStart + p_.code.size(); }

  uint64_t random_value() {
    switch (below(6)) {
      case 0: return below(32);
      case 1: return static_cast<uint64_t>(-static_cast<int64_t>(below(32)));
      case 2: return kDataStart + below(static_cast<unsigned>(kDataEnd - kDataStart));
      case 3: return uint64_t{1} << below(64);
      default: return next();
    }
  }

  void emit(uint32_t w) {
    p_.slots.push_back({static_cast<uint32_t>(p_.code.size()), 4});
    for (unsigned i = 0; i < 4; ++i) p_.code.push_back(static_cast<uint8_t>(w >> (8 * i)));
  }
  void emit16(uint16_t h) {
    p_.slots.push_back({static_cast<uint32_t>(p_.code.size()), 2});
    p_.code.push_back(static_cast<uint8_t>(h));
    p_.code.push_back(static_cast<uint8_t>(h >> 8));
  }

  // A destination register: rarely one of the base registers.
  unsigned pick_rd() {
    for (;;) {
      const unsigned r = below(32);
      if (is_base(r) && chance(92)) continue;
      return r;
    }
  }
  // A scratch register for a sequence: never x0 or a base register.
  unsigned pick_scratch() {
    for (;;) {
      const unsigned r = 1 + below(31);
      if (!is_base(r)) return r;
    }
  }
  // A base register for a load, store or atomic.
  unsigned pick_base(bool store) {
    const unsigned roll = below(100);
    if (roll < 30) return S0;
    if (roll < 52) return S1;
    if (roll < 62) return SP;
    if (roll < 76) return A0;
    if (roll < 84 && !store && p_.clint_access) return A1;
    for (;;) {
      const unsigned r = below(32);
      if (r != A1) return r;  // a store through a1 could write mtime, which the handler relies on
    }
  }
  int64_t pick_offset(unsigned base, unsigned size) {
    if (base == A1) return chance(80) ? 0 : static_cast<int64_t>(below(3)) * 4 - 4;
    int64_t off = base == SP ? static_cast<int64_t>(below(3072)) - 1024 : static_cast<int64_t>(below(4096)) - 2048;
    if (chance(85)) off &= ~static_cast<int64_t>(size - 1);
    return off;
  }
  // A target in the code area for a control transfer from `from`, within `reach` bytes.
  uint64_t pick_target(uint64_t from, int64_t reach) {
    for (;;) {
      const bool forward = chance(80);
      const auto distance = static_cast<int64_t>(2 * (1 + below(forward ? 200 : 60)));
      const int64_t off = forward ? distance : -distance;
      if (off > reach || -off > reach) continue;
      const uint64_t target = from + static_cast<uint64_t>(off);
      if (target >= kCodeStart && target < kCodeLimit) return target;
    }
  }

  uint32_t with_rd(uint32_t w, unsigned rd) { return (w & ~(31u << 7)) | (rd << 7); }
  uint32_t with_rs1(uint32_t w, unsigned rs1) { return (w & ~(31u << 15)) | (rs1 << 15); }
  uint32_t with_i_imm(uint32_t w, int64_t imm) { return (w & 0x000fffffu) | ((enc::bits_of(imm) & 0xfffu) << 20); }
  uint32_t with_s_imm(uint32_t w, int64_t imm) {
    const uint32_t u = enc::bits_of(imm);
    return (w & 0x01fff07fu) | (((u >> 5) & 0x7fu) << 25) | ((u & 0x1fu) << 7);
  }
  uint32_t with_csr(uint32_t w, uint16_t number) { return (w & 0x000fffffu) | (uint32_t{number} << 20); }

  // A CSR instruction made safe: writes go to the safe set, reads may name any CSR.
  uint32_t fix_csr(uint32_t w) {
    const isa::DecodedInsn d = isa::decode(w);
    const bool writes = d.op == isa::Op::CSRRW || d.op == isa::Op::CSRRWI || d.rs1 != 0;
    if (writes) return with_csr(w, kWritableCsrs[below(std::size(kWritableCsrs))]);
    if (chance(10)) return with_csr(w, static_cast<uint16_t>(below(4096)));
    return with_csr(w, kReadableCsrs[below(std::size(kReadableCsrs))]);
  }

  // Filters a random word: WFI (with nothing to wake it) becomes a nop, CSR writes are made safe.
  uint32_t filter(uint32_t w) {
    const isa::DecodedInsn d = isa::decode(w);
    if (d.op == isa::Op::WFI) return enc::kNop;
    if (isa::op_info(d.op).cls == isa::InsnClass::Csr && d.len == 4) return fix_csr(w);
    return w;
  }

  // (a) A legal instruction from the opcode table, its fields random but steered.
  uint32_t table_insn(uint64_t at) {
    for (;;) {
      const auto op = static_cast<isa::Op>(1 + below(isa::kOpCount - 1));
      if (op == isa::Op::WFI) continue;
      const isa::OpInfo& info = isa::op_info(op);
      uint32_t w = (static_cast<uint32_t>(next()) & ~info.mask) | info.match;
      const unsigned size = 1u << ((w >> 12) & 3);
      switch (info.cls) {
        case isa::InsnClass::Load:
        case isa::InsnClass::FpLoad: {
          const unsigned base = pick_base(false);
          w = with_i_imm(with_rs1(w, base), pick_offset(base, size));
          break;
        }
        case isa::InsnClass::Store:
        case isa::InsnClass::FpStore: {
          const unsigned base = pick_base(true);
          w = with_s_imm(with_rs1(w, base), pick_offset(base, size));
          break;
        }
        case isa::InsnClass::Atomic: w = with_rs1(w, pick_base(true)); break;
        case isa::InsnClass::Branch:
          w = enc::b_type(static_cast<int64_t>(pick_target(at, 4094) - at), (w >> 15) & 31, (w >> 20) & 31,
                          (w >> 12) & 7);
          break;
        case isa::InsnClass::Jump:
          if (op == isa::Op::JAL) w = enc::jal(chance(50) ? RA : pick_rd(), static_cast<int64_t>(pick_target(at, 1 << 20) - at));
          break;
        case isa::InsnClass::Csr: w = fix_csr(w); break;
        case isa::InsnClass::Fp:
          if (!((info.mask >> 12) & 7) && chance(95)) {
            static constexpr uint32_t kValidRm[] = {0, 1, 2, 3, 4, 7, 7, 7};
            w = (w & ~(7u << 12)) | (kValidRm[below(std::size(kValidRm))] << 12);
          }
          break;
        default: break;
      }
      if (destination_of(op) == Destination::Integer && !(info.mask & (31u << 7))) w = with_rd(w, pick_rd());
      if (isa::decode(w).op != op) continue;  // a more specific entry took it: try again
      return w;
    }
  }

  // (c) A legal compressed instruction (branches and jumps kept in the code area).
  void compressed() {
    for (unsigned tries = 0; tries < 64; ++tries) {
      auto h = static_cast<uint16_t>(next());
      if ((h & 3) == 3) continue;
      const isa::DecodedInsn d = isa::decode(h);
      if (d.op == isa::Op::ILLEGAL) continue;
      if (destination_of(d.op) == Destination::Integer && is_base(d.rd) && chance(92)) continue;
      const auto cls = isa::op_info(d.op).cls;
      if (cls == isa::InsnClass::Branch || d.op == isa::Op::JAL) {
        const uint64_t target = pc() + static_cast<uint64_t>(d.imm);
        if (target < kCodeStart || target >= kCodeLimit) continue;
        if (target < pc() && chance(70)) continue;  // loops, but not too many
      }
      if (d.op == isa::Op::JALR && chance(70)) continue;
      emit16(h);
      return;
    }
    emit16(enc::kCNop);
  }

  // (d) Control flow that stays in the code area.
  void control_flow() {
    const unsigned roll = below(100);
    if (roll < 40) {
      static constexpr uint32_t kConds[] = {0, 1, 4, 5, 6, 7};
      const unsigned rs1 = chance(20) ? ZERO : below(32), rs2 = chance(20) ? ZERO : below(32);
      emit(enc::b_type(static_cast<int64_t>(pick_target(pc(), 4094) - pc()), rs1, rs2, kConds[below(6)]));
    } else if (roll < 65) {
      emit(enc::jal(chance(40) ? ZERO : chance(50) ? RA : pick_rd(), static_cast<int64_t>(pick_target(pc(), 1 << 20) - pc())));
    } else if (roll < 85) {
      // auipc + jalr to anywhere in the code area, even into the middle of an instruction.
      const unsigned r = pick_scratch();
      const uint64_t from = pc();
      const uint64_t target = kCodeStart + 2 * below(static_cast<unsigned>((kCodeLimit - kCodeStart) / 2));
      const auto delta = static_cast<int64_t>(target - from);
      const int64_t lo = (delta << 52) >> 52;
      emit(enc::auipc(r, static_cast<uint32_t>((delta - lo) >> 12)));
      emit(enc::jalr(chance(50) ? ZERO : pick_rd(), r, lo));
    } else {
      compressed();
    }
  }

  // (e) CSR accesses to the safe set, FS toggling, satp = 0, counters.
  void csr_sequence() {
    const unsigned roll = below(100);
    if (roll < 35) {
      static constexpr uint32_t kF3[] = {1, 2, 3, 5, 6, 7};
      emit(enc::csr_op(kF3[below(6)], pick_rd(), kWritableCsrs[below(std::size(kWritableCsrs))], below(32)));
    } else if (roll < 50) {
      emit(enc::csrrs(pick_rd(), kReadableCsrs[below(std::size(kReadableCsrs))], ZERO));
    } else if (roll < 68) {
      // mstatus.FS (through sstatus, which S-mode may also use): Off, Initial, Clean or Dirty.
      const uint16_t status = chance(70) ? csr::mstatus : csr::sstatus;
      const unsigned r = pick_scratch();
      const unsigned fs = chance(10) ? 0 : 1 + below(3);
      emit(enc::lui(r, 6));
      emit(enc::csrrc(ZERO, status, r));
      if (fs) {
        emit(enc::lui(r, 2 * fs));
        emit(enc::csrrs(ZERO, status, r));
      }
    } else if (roll < 75) {
      emit(enc::csrrw(chance(50) ? ZERO : pick_rd(), csr::satp, ZERO));
    } else if (roll < 90) {
      static constexpr uint16_t kCounters[] = {csr::cycle, csr::instret, csr::time, csr::mcycle, csr::minstret};
      emit(enc::csrrs(pick_rd(), kCounters[below(5)], ZERO));
    } else {
      emit(enc::csr_op(5, pick_rd(), chance(50) ? csr::frm : csr::fflags, below(32)));
    }
  }

  // (f) ecall, ebreak, and mret/sret to a place ahead with a chosen previous mode.
  void privilege_sequence() {
    const unsigned roll = below(100);
    if (roll < 25) {
      emit(enc::kEcall);
    } else if (roll < 40) {
      emit(enc::kEbreak);
    } else if (roll < 50) {
      emit16(enc::kCEbreak);
    } else if (roll < 80) {
      const unsigned r = pick_scratch();
      const unsigned mode = below(3);  // MPP: 0 = U, 1 = S, 2 -> M
      const uint64_t length = 4 * (mode == 0 ? 7 : 10);
      const uint64_t start = pc();
      emit(enc::auipc(r, 0));
      emit(enc::addi(r, r, static_cast<int64_t>(length + 2 * below(16))));
      emit(enc::csrrw(ZERO, csr::mepc, r));
      emit(enc::lui(r, 2));
      emit(enc::addi(r, r, -2048));  // 0x1800
      emit(enc::csrrc(ZERO, csr::mstatus, r));
      if (mode != 0) {
        emit(enc::lui(r, mode == 1 ? 1 : 2));
        emit(enc::addi(r, r, -2048));  // 0x800 (S) or 0x1800 (M)
        emit(enc::csrrs(ZERO, csr::mstatus, r));
      }
      emit(enc::kMret);
      REQUIRE(pc() - start == length);
    } else {
      const unsigned r = pick_scratch();
      const uint64_t length = 4 * 6;
      const uint64_t start = pc();
      emit(enc::auipc(r, 0));
      emit(enc::addi(r, r, static_cast<int64_t>(length + 2 * below(16))));
      emit(enc::csrrw(ZERO, csr::sepc, r));
      emit(enc::addi(r, ZERO, 0x100));  // SPP
      emit(chance(50) ? enc::csrrs(ZERO, csr::sstatus, r) : enc::csrrc(ZERO, csr::sstatus, r));
      emit(enc::kSret);
      REQUIRE(pc() - start == length);
    }
  }

  // (g) Self-modifying code: patch an instruction a little ahead (or behind) with a new one,
  // with or without fence.i; plain fence.i; random stores into the code area through a0.
  void self_modifying() {
    const unsigned roll = below(100);
    if (roll < 70) {
      const unsigned r = pick_scratch();
      unsigned v = pick_scratch();
      if (v == r) v = r == T0 ? T1 : T0;
      const uint64_t anchor = pc();
      const bool halfword = chance(25);
      uint32_t value;
      if (halfword) {
        uint16_t h;
        do h = static_cast<uint16_t>(next() | 1);  // never 0b11: a compressed instruction
        while ((h & 3) == 3 || isa::decode(h).op == isa::Op::ILLEGAL);
        value = h;
      } else {
        value = chance(85) ? table_insn(anchor + 16) : filter(static_cast<uint32_t>(next()) | 3);
      }
      uint64_t target = chance(80) ? anchor + 16 + 2 * below(64) : anchor - 2 * below(64);
      target = std::clamp(target, kCodeStart, kCodeLimit - 4);
      const auto v32 = static_cast<int32_t>(value);
      const int32_t lo = (v32 << 20) >> 20;
      emit(enc::auipc(r, 0));
      emit(enc::lui(v, static_cast<uint32_t>((static_cast<int64_t>(v32) - lo) >> 12)));
      emit(enc::addiw(v, v, lo));
      const auto off = static_cast<int64_t>(target - anchor);
      emit(halfword ? enc::sh(v, r, off) : enc::sw(v, r, off));
      if (chance(50)) emit(enc::kFenceI);
    } else if (roll < 85) {
      emit(enc::kFenceI);
    } else {
      static constexpr uint32_t kStoreF3[] = {0, 1, 2, 3};
      emit(enc::s_type(static_cast<int64_t>(below(4096)) - 2048, below(32), A0, kStoreF3[below(4)], 0x23));
    }
  }

  // Puts a base register back where it belongs (pc-relative, so it works wherever this runs).
  void reanchor() {
    const unsigned which = below(p_.clint_access ? 5 : 4);
    if (which == 4) {
      emit(enc::lui(A1, static_cast<uint32_t>((kMtime + 8) >> 12)));
      emit(enc::addi(A1, A1, -8));
      return;
    }
    static constexpr unsigned kRegs[] = {S0, S1, SP, A0};
    static constexpr uint64_t kValues[] = {kS0Value, kS1Value, kSpValue, kA0Value};
    const auto delta = static_cast<int64_t>(kValues[which] - pc());
    const int64_t lo = (delta << 52) >> 52;
    emit(enc::auipc(kRegs[which], static_cast<uint32_t>((delta - lo) >> 12)));
    emit(enc::addi(kRegs[which], kRegs[which], lo));
  }

  // The CLINT from random code: read mtime, write mtimecmp (often soon) and msip.
  void clint_access() {
    const unsigned roll = below(100);
    if (roll < 50) {
      emit(enc::lui(A1, static_cast<uint32_t>((kMtime + 8) >> 12)));
      emit(enc::addi(A1, A1, -8));
      emit(enc::ld(pick_rd(), A1, 0));
    } else if (roll < 80) {
      const unsigned r = pick_scratch();
      emit(enc::csrrs(r, csr::minstret, ZERO));
      emit(enc::srli(r, r, 6 + below(2)));  // roughly mtime, give or take
      emit(enc::addi(r, r, static_cast<int64_t>(below(8))));
      emit(enc::lui(A1, static_cast<uint32_t>(kMtimecmp >> 12)));
      emit(enc::sd(r, A1, 0));
      emit(enc::lui(A1, static_cast<uint32_t>((kMtime + 8) >> 12)));
      emit(enc::addi(A1, A1, -8));
    } else {
      emit(enc::lui(A1, static_cast<uint32_t>(kMsip >> 12)));
      emit(enc::sw(chance(50) ? ZERO : pick_scratch(), A1, 0));
      emit(enc::lui(A1, static_cast<uint32_t>((kMtime + 8) >> 12)));
      emit(enc::addi(A1, A1, -8));
    }
  }

  void item() {
    const unsigned roll = below(100);
    if (roll < 40) {
      emit(table_insn(pc()));
    } else if (roll < 54) {
      compressed();
    } else if (roll < 57) {
      emit(filter(static_cast<uint32_t>(next()) | 3));  // (b) a random 32-bit word
    } else if (roll < 59) {
      emit16(static_cast<uint16_t>(filter((static_cast<uint32_t>(next()) & 0xfffcu) | below(3))));  // (b) 16-bit
    } else if (roll < 69) {
      control_flow();
    } else if (roll < 76) {
      csr_sequence();
    } else if (roll < 80) {
      privilege_sequence();
    } else if (roll < 88) {
      self_modifying();
    } else if (roll < 93) {
      reanchor();
    } else if (p_.clint_access) {
      clint_access();
    } else {
      emit(table_insn(pc()));
    }
  }

  std::mt19937_64 rng_;
  Program p_;
};

// Puts `p` into machine `m`: the same on both machines of a pair, before either runs.
void load_program(Machine& m, const Program& p, const std::vector<uint8_t>& handlers) {
  m.ram().write(kMHandler, handlers.data(), handlers.size());
  m.ram().write(kCodeStart, p.code.data(), p.code.size());
  m.ram().write(kDataStart, p.data.data(), p.data.size());
  Hart& h = m.hart();
  auto write = [&h](uint16_t number, uint64_t value) { REQUIRE(h.csr_write(number, value)); };
  write(csr::mstatus, mstatus::FS);  // so that fcsr may be written
  write(csr::fcsr, p.fcsr);
  write(csr::mstatus, mstatus::MIE | (p.fs << mstatus::kFsShift) | (p.mpp << mstatus::kMppShift) |
                          (p.spp ? mstatus::SPP : 0));
  write(csr::mtvec, kMHandler);
  write(csr::stvec, kSHandler);
  write(csr::medeleg, p.medeleg);
  write(csr::mie, irq::MTIP | irq::MSIP);
  write(csr::mcounteren, p.mcounteren);
  write(csr::scounteren, p.scounteren);
  write(csr::mscratch, p.x[T5] ^ p.x[T6]);
  write(csr::sscratch, p.x[T3] ^ p.x[T4]);
  REQUIRE(m.clint().write(kMtimecmp - kClintAt, 8, p.mtimecmp));
  std::copy(p.x.begin(), p.x.end(), h.x);
  std::copy(p.f.begin(), p.f.end(), h.f);
  h.priv = p.start_priv;
  m.set_entry(kCodeStart);
}

// Budgets for random streams: mostly tiny, so that comparisons fall inside blocks.
constexpr std::array<uint64_t, 14> kStreamBudgets = {1, 2, 3, 7, 64, 1, 5, 17, 2, 13, 1, 3, 128, 1};

struct StreamResult {
  std::optional<std::string> divergence;
  uint64_t steps = 0;
};

StreamResult run_stream(const Program& p, const std::vector<uint8_t>& handlers, const std::string& engine,
                        bool observe, uint64_t steps) {
  MachineConfig config;
  config.ram_size = kRamSize;
  config.semihosting = false;
  LockstepPair pair(config, engine, observe);
  load_program(pair.reference(), p, handlers);
  load_program(pair.subject(), p, handlers);
  if (auto d = pair.compare()) return {"the machines differ before running:\n" + *d, 0};
  auto d = run_lockstep(pair, steps, kStreamBudgets, p.seed);
  if (!d && pair.deadlocked()) d = "both machines deadlocked (WFI with nothing to wake them): the generator let a WFI through";
  return {d, pair.steps()};
}

Program with_nops(const Program& p, const std::vector<size_t>& slots) {
  Program q = p;
  for (size_t i : slots) {
    const Slot& s = q.slots[i];
    if (s.len == 4) {
      for (unsigned b = 0; b < 4; ++b) q.code[s.offset + b] = static_cast<uint8_t>(enc::kNop >> (8 * b));
    } else {
      q.code[s.offset] = static_cast<uint8_t>(enc::kCNop);
      q.code[s.offset + 1] = 0;
    }
  }
  return q;
}

bool is_nop_slot(const Program& p, const Slot& s) {
  if (s.len == 2) return p.code[s.offset] == enc::kCNop && p.code[s.offset + 1] == 0;
  uint32_t w;
  std::memcpy(&w, &p.code[s.offset], 4);
  return w == enc::kNop;
}

// Shrinks a divergent program: replaces ever smaller runs of its instructions by nops while it
// still diverges within `limit` steps (ddmin-like, bounded by `max_trials` runs).
Program shrink(const Program& failing, const std::vector<uint8_t>& handlers, const std::string& engine, bool observe,
               uint64_t limit, unsigned max_trials) {
  Program current = failing;
  std::vector<size_t> active;
  for (size_t i = 0; i < current.slots.size() - 1; ++i)  // the final jump stays
    if (!is_nop_slot(current, current.slots[i])) active.push_back(i);
  unsigned trials = 0;
  for (size_t chunk = std::max<size_t>(active.size() / 2, 1); chunk >= 1 && trials < max_trials; chunk /= 2) {
    for (size_t start = 0; start < active.size() && trials < max_trials;) {
      const size_t end = std::min(start + chunk, active.size());
      const std::vector<size_t> removed(active.begin() + static_cast<std::ptrdiff_t>(start),
                                        active.begin() + static_cast<std::ptrdiff_t>(end));
      Program candidate = with_nops(current, removed);
      ++trials;
      if (run_stream(candidate, handlers, engine, observe, limit).divergence) {
        current = std::move(candidate);
        active.erase(active.begin() + static_cast<std::ptrdiff_t>(start), active.begin() + static_cast<std::ptrdiff_t>(end));
      } else {
        start = end;
      }
    }
    if (chunk == 1) break;
  }
  return current;
}

std::string listing(const Program& p) {
  isa::Disassembler dis;
  std::string out;
  size_t shown = 0;
  for (size_t i = 0; i < p.slots.size(); ++i) {
    const Slot& s = p.slots[i];
    if (is_nop_slot(p, s) && i + 1 != p.slots.size()) continue;
    uint32_t raw = 0;
    std::memcpy(&raw, &p.code[s.offset], s.len);
    const uint64_t at = kCodeStart + s.offset;
    char line[160];
    std::snprintf(line, sizeof line, "    %s  %0*x  %s\n", hex(at).c_str(), s.len * 2, raw, dis.text(raw, at).c_str());
    out += line;
    if (++shown == 80) {
      out += "    ...\n";
      break;
    }
  }
  return out;
}

// Every ROM under `dir` that runs bare: roms/isa, roms/c and roms/bench, not roms/kernel (booted
// by firmware on the virt board; tests/kernel_tests.cmake runs it).
std::vector<std::filesystem::path> find_elfs(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return out;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec); !ec && it != std::filesystem::end(it);
       it.increment(ec)) {
    if (it->is_directory(ec) && it->path().filename() == "kernel") {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file(ec) && it->path().extension() == ".elf") out.push_back(it->path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The benchmark programs run for hundreds of millions of instructions at full size; the guest
// argument `quick` selects their short size (7-60 M instructions, with its own checksum).
bool is_benchmark(const std::filesystem::path& rom) { return rom.parent_path().filename() == "bench"; }

}  // namespace

// --- 1. The runner itself can fail -----------------------------------------------------------------

TEST_CASE("The lockstep runner reports every kind of divergence", "[lockstep]") {
  const std::vector<uint8_t> handlers = handler_image();
  const Program program = ProgramGenerator(7).generate();
  MachineConfig config;
  config.ram_size = kRamSize;
  config.semihosting = false;
  LockstepPair pair(config, "block", true);
  load_program(pair.reference(), program, handlers);
  load_program(pair.subject(), program, handlers);
  REQUIRE_FALSE(pair.compare());
  for (unsigned i = 0; i < 20; ++i) REQUIRE_FALSE(pair.run_slice(3));

  SECTION("an integer register") {
    pair.subject().hart().x[T1] ^= 4;
    const auto report = pair.compare();
    REQUIRE(report);
    CHECK(report->find("x6 (t1): reference") != std::string::npos);
    CHECK(report->find("last instructions retired by the reference") != std::string::npos);
  }
  SECTION("a floating-point register") {
    pair.subject().hart().f[3] ^= 1;
    const auto report = pair.compare();
    REQUIRE(report);
    CHECK(report->find("f3: reference") != std::string::npos);
  }
  SECTION("the pc, the privilege and instret") {
    pair.subject().hart().pc += 2;
    pair.subject().hart().instret += 1;
    pair.subject().hart().priv =
        pair.subject().hart().priv == Privilege::User ? Privilege::Supervisor : Privilege::User;
    const auto report = pair.compare();
    REQUIRE(report);
    CHECK(report->find("pc: reference") != std::string::npos);
    CHECK(report->find("priv: reference") != std::string::npos);
    CHECK(report->find("instret: reference") != std::string::npos);
  }
  SECTION("a CSR, read whatever the current privilege") {
    const Privilege saved = pair.subject().hart().priv;
    pair.subject().hart().priv = Privilege::Machine;
    REQUIRE(pair.subject().hart().csr_write(csr::mscratch, 0x1234));
    pair.subject().hart().priv = saved;
    const auto report = pair.compare();
    REQUIRE(report);
    CHECK(report->find("mscratch: reference") != std::string::npos);
  }
  SECTION("a byte of RAM, even in a page only one side has touched") {
    uint8_t byte = 0x5a;
    pair.subject().ram().write(kRamStart + 0x7000, &byte, 1);
    const auto report = pair.compare();
    REQUIRE(report);
    CHECK(report->find("RAM[0x0000000080007000]") != std::string::npos);
  }
  SECTION("the instruction stream, even when the state agrees") {
    // Detach the subject's observer: the states still agree, but its stream stops growing.
    pair.subject().engine().set_observer(nullptr);
    const auto report = pair.run_slice(5);
    REQUIRE(report);
    CHECK(report->find("instruction/trap stream") != std::string::npos);
  }
}

// --- 2. Every ROM ---------------------------------------------------------------------------------

TEST_CASE("Every engine agrees with interp on every ROM, to the program's exit", "[lockstep]") {
  const char* env = std::getenv("HARTBOX_ROMS_DIR");
  std::filesystem::path dir;
  if (env && *env) {
    dir = env;
  } else {
    std::error_code ec;
    const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) dir = exe.parent_path() / ".." / "roms";
  }
  const std::vector<std::filesystem::path> roms = find_elfs(dir);
  if (roms.empty()) {
    if (env && *env) FAIL("HARTBOX_ROMS_DIR=" << env << " holds no *.elf");
    WARN("lockstep: no ROMs found in " << dir.string()
                                       << " (build them, or point HARTBOX_ROMS_DIR at build/<preset>/roms): skipped");
    SKIP("no ROMs");
  }

  constexpr uint64_t kMaxSteps = 100'000'000;  // far beyond any ROM; reaching it is a failure
  uint64_t phase = 0;
  for (const char* engine : kEnginesUnderTest) {
    for (const auto& rom : roms) {
      const bool benchmark = is_benchmark(rom);
      // A benchmark runs once, unobserved: its tens of millions of steps add nothing to the
      // observer contract that the other ROMs already check, and would double CI time.
      for (const bool observe : {true, false}) {
        if (benchmark && observe) continue;
        MachineConfig config;
        config.command_line = {rom.string()};
        if (benchmark) config.command_line.push_back("quick");
        LockstepPair pair(config, engine, observe);
        pair.reference().load_elf(rom.string());
        pair.subject().load_elf(rom.string());
        const auto divergence = run_lockstep(pair, kMaxSteps, kProgramBudgets, phase++);
        if (divergence)
          FAIL_CHECK(rom.filename().string() << " on " << engine << (observe ? " (observed)" : "") << ":\n"
                                             << *divergence);
        else if (!pair.exited())
          FAIL_CHECK(rom.filename().string() << " on " << engine << ": did not exit after " << pair.steps()
                                             << " steps" << (pair.deadlocked() ? " (deadlock: WFI forever)" : ""));
      }
    }
  }
  // The build's tree holds all three kinds of bare ROM; a walk that missed one would pass vacuously.
  if (!(env && *env))
    for (const char* kind : {"isa", "c", "bench"})
      CHECK(std::any_of(roms.begin(), roms.end(),
                        [&](const std::filesystem::path& rom) { return rom.parent_path().filename() == kind; }));
}

// --- 3. Random instruction streams -------------------------------------------------------------------

TEST_CASE("Every engine agrees with interp on random instruction streams", "[lockstep]") {
  const uint64_t seeds = env_number("HARTBOX_LOCKSTEP_SEEDS", 300);
  const uint64_t first = env_number("HARTBOX_LOCKSTEP_FIRST_SEED", 1);
  const uint64_t steps = env_number("HARTBOX_LOCKSTEP_STEPS", 20'000);
  constexpr size_t kDetailed = 3;  // divergent seeds shrunk and reported in full, per engine
  const std::vector<uint8_t> handlers = handler_image();

  for (const std::string engine : kEnginesUnderTest) {
    std::vector<uint64_t> divergent;
    for (uint64_t seed = first; seed < first + seeds; ++seed) {
      const Program program = ProgramGenerator(seed).generate();
      const bool observe = seed % 4 < 2;
      const StreamResult result = run_stream(program, handlers, engine, observe, steps);
      if (!result.divergence) continue;
      divergent.push_back(seed);
      if (divergent.size() > kDetailed) continue;
      const Program small = shrink(program, handlers, engine, observe, result.steps + 1, 250);
      const StreamResult again = run_stream(small, handlers, engine, observe, result.steps + 1);
      FAIL_CHECK("seed " << seed << (program.clint_access ? " (with CLINT accesses)" : "") << " on " << engine
                         << (observe ? " (observed)" : "") << ", diverged after " << result.steps << " steps:\n"
                         << *result.divergence << "\nshrunk to these instructions (the rest are nops), start in "
                         << privilege_name(small.start_priv) << "-mode at " << hex(kCodeStart) << ":\n"
                         << listing(small) << "which gives:\n"
                         << (again.divergence ? *again.divergence : std::string("(no divergence?)")));
    }
    std::string list;
    for (uint64_t seed : divergent) list.append(" ").append(std::to_string(seed));
    INFO(engine << ": " << divergent.size() << " of " << seeds << " seeds diverged:" << list);
    CHECK(divergent.empty());
  }
}

// --- 4. What observers see -------------------------------------------------------------------------

namespace {

// Everything engine.hpp promises an ExecutionObserver: for retired(), the instruction's address,
// and the hart after it retired (pc already past it, instret counting it); for trapped(), where
// it was raised, the cause and tval, and the hart in the handler.
struct ObservedEvent {
  bool trap = false;
  uint64_t pc = 0, what = 0, tval = 0;  // what: raw bits, or cause
  uint64_t hart_pc = 0, instret = 0;
  Privilege priv = Privilege::Machine;
  bool operator==(const ObservedEvent&) const = default;
};

std::string describe_event(const ObservedEvent& e) {
  std::string out = e.trap ? "trapped(pc " + hex(e.pc) + ", cause " + hex(e.what) + ", tval " + hex(e.tval) + ")"
                           : "retired(pc " + hex(e.pc) + ", raw " + hex(e.what) + ")";
  return out + " with hart.pc " + hex(e.hart_pc) + ", hart.instret " + std::to_string(e.instret) + ", priv " +
         privilege_name(e.priv);
}

class EventRecorder final : public ExecutionObserver {
 public:
  void retired(const Hart& hart, uint64_t pc, const isa::DecodedInsn& insn) override {
    events.push_back({false, pc, insn.raw, 0, hart.pc, hart.instret, hart.priv});
  }
  void trapped(const Hart& hart, uint64_t pc, uint64_t cause, uint64_t tval) override {
    events.push_back({true, pc, cause, tval, hart.pc, hart.instret, hart.priv});
  }
  std::vector<ObservedEvent> events;
};

}  // namespace

TEST_CASE("Every engine shows observers the hart as engine.hpp documents, as interp does", "[lockstep]") {
  const std::vector<uint8_t> handlers = handler_image();
  for (const std::string engine : kEnginesUnderTest) {
    for (const uint64_t seed : {uint64_t{2}, uint64_t{3}, uint64_t{8}}) {
      const Program program = ProgramGenerator(seed).generate();
      MachineConfig config;
      config.ram_size = kRamSize;
      config.semihosting = false;
      config.engine = "interp";
      Machine ref(config);
      config.engine = engine;
      Machine sub(config);
      load_program(ref, program, handlers);
      load_program(sub, program, handlers);
      EventRecorder ref_events, sub_events;
      ref.engine().set_observer(&ref_events);
      sub.engine().set_observer(&sub_events);
      for (uint64_t slice = 0, steps = 0; steps < 3000; ++slice) {
        const SliceResult s = sub.run_slice(kStreamBudgets[slice % kStreamBudgets.size()]);
        REQUIRE(ref.run_slice(s.steps).steps == s.steps);
        steps += s.steps;
      }
      const auto& a = ref_events.events;
      const auto& b = sub_events.events;
      const auto mismatch = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
      if (mismatch.first == a.end() && mismatch.second == b.end()) continue;
      const auto index = static_cast<size_t>(mismatch.first - a.begin());
      FAIL_CHECK(engine << ", seed " << seed << ": observer event " << index << " differs from interp's:\n  interp:  "
                        << (mismatch.first != a.end() ? describe_event(*mismatch.first) : std::string("(none)"))
                        << "\n  " << engine << ": "
                        << (mismatch.second != b.end() ? describe_event(*mismatch.second) : std::string("(none)")));
      break;  // one report per engine is enough
    }
  }
}

// --- 5. Real firmware: OpenSBI and U-Boot ----------------------------------------------------------

TEST_CASE("Every engine agrees with interp while OpenSBI boots U-Boot", "[lockstep][boot]") {
  // Debian's packages opensbi and u-boot-qemu, as tests/boot/uboot_session.py uses them.
  const std::string opensbi = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf";
  const std::string uboot = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin";
  if (!std::filesystem::exists(opensbi) || !std::filesystem::exists(uboot)) {
    WARN("lockstep: " << opensbi << " or " << uboot << " missing (Debian: opensbi, u-boot-qemu): skipped");
    SKIP("no firmware");
  }
  // Far enough for OpenSBI's banner, U-Boot's relocation, device probing and autoboot.
  const uint64_t steps = env_number("HARTBOX_LOCKSTEP_BOOT_STEPS", 30'000'000);
  static constexpr std::array<uint64_t, 10> kBootBudgets = {1, 7, 64, 300, 1000, 4096, 3, 2000, 128, 4096};
  for (const std::string engine : kEnginesUnderTest) {
    MachineConfig config;
    config.semihosting = false;
    LockstepPair pair(config, engine, true);
    pair.set_ram_compare_interval(64);  // U-Boot keeps megabytes resident
    const BootSpec spec{opensbi, uboot, "", ""};
    pair.reference().boot(spec);
    pair.subject().boot(spec);
    const auto divergence = run_lockstep(pair, steps, kBootBudgets);
    if (divergence) FAIL_CHECK("OpenSBI + U-Boot on " << engine << ":\n" << *divergence);
    INFO(engine << " after " << pair.steps() << " steps; console:\n" << pair.output());
    CHECK_FALSE(pair.deadlocked());
    CHECK(pair.steps() >= steps);
    CHECK(pair.output().find("U-Boot 20") != std::string::npos);
  }
}
