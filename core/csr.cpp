// The CSR file of a Hart: which CSRs exist, who may access them, and their WARL behaviour
// (privileged spec v1.12 chapters 2-4; unprivileged spec "Zicsr", "Zicntr", F extension).
#include "core/hart.hpp"

namespace hartbox {
namespace {

// misa: MXL = 2 (RV64) and the extensions A, C, D, F, I, M, S, U (priv spec 3.1.1).
constexpr uint64_t ext(char letter) { return uint64_t{1} << (letter - 'A'); }
constexpr uint64_t kMisa = (uint64_t{2} << 62) | ext('A') | ext('C') | ext('D') | ext('F') | ext('I') | ext('M') |
                           ext('S') | ext('U');

// medeleg: every exception except ecall from M-mode may be delegated (3.1.8).
constexpr uint64_t kDelegableExceptions = 0xb3ff & ~(uint64_t{1} << 11);

bool is_fp_csr(uint16_t n) { return n == csr::fflags || n == csr::frm || n == csr::fcsr; }

}  // namespace

bool Hart::counter_enabled(uint16_t number) const {
  // cycle/time/instret/hpmcounterN are gated by mcounteren below M and scounteren in U (3.1.11).
  const unsigned bit = number - csr::cycle;
  if (priv != Privilege::Machine && !((mcounteren_ >> bit) & 1)) return false;
  if (priv == Privilege::User && !((scounteren_ >> bit) & 1)) return false;
  return true;
}

bool Hart::csr_accessible(uint16_t number, bool write) const {
  // Bits 11:10 = 3 mark a read-only CSR; bits 9:8 the lowest privilege allowed (2.1).
  if (write && (number >> 10) == 3) return false;
  const unsigned required = (number >> 8) & 3;
  if (static_cast<unsigned>(priv) < required) return false;
  if (number == csr::satp && priv == Privilege::Supervisor && (mstatus_ & mstatus::TVM)) return false;
  if (is_fp_csr(number) && !fp_enabled()) return false;
  if (number >= csr::cycle && number <= csr::hpmcounter31 && !counter_enabled(number)) return false;
  // Sstc: stimecmp from S-mode needs menvcfg.STCE and mcounteren.TM.
  if (number == csr::stimecmp && priv == Privilege::Supervisor &&
      (!(menvcfg_ & kMenvcfgStce) || !(mcounteren_ & 2)))
    return false;
  return true;
}

bool Hart::csr_read(uint16_t n, uint64_t& value) {
  if (!csr_accessible(n, false)) return false;
  switch (n) {
    case csr::fflags: value = fflags_; return true;
    case csr::frm: value = frm_; return true;
    case csr::fcsr: value = (frm_ << 5) | fflags_; return true;
    case csr::cycle:
    case csr::mcycle: value = instret + cycle_minus_instret_; return true;
    case csr::instret:
    case csr::minstret: value = instret; return true;
    case csr::time: value = time(); return true;
    case csr::sstatus: {
      uint64_t s = mstatus_ & mstatus::kSstatusView;
      value = s;
      return true;
    }
    case csr::sie: value = mie_ & mideleg_; return true;
    case csr::sip: value = mip() & mideleg_; return true;
    case csr::stvec: value = stvec_; return true;
    case csr::scounteren: value = scounteren_; return true;
    case csr::senvcfg: value = senvcfg_; return true;
    case csr::sscratch: value = sscratch_; return true;
    case csr::sepc: value = sepc_; return true;
    case csr::scause: value = scause_; return true;
    case csr::stval: value = stval_; return true;
    case csr::satp: value = satp_; return true;
    case csr::stimecmp: value = stimecmp_; return true;
    case csr::mvendorid:
    case csr::marchid:
    case csr::mimpid:
    case csr::mconfigptr: value = 0; return true;
    case csr::mhartid: value = hart_id_; return true;
    case csr::mstatus: value = mstatus_; return true;
    case csr::misa: value = kMisa; return true;
    case csr::medeleg: value = medeleg_; return true;
    case csr::mideleg: value = mideleg_; return true;
    case csr::mie: value = mie_; return true;
    case csr::mtvec: value = mtvec_; return true;
    case csr::mcounteren: value = mcounteren_; return true;
    case csr::menvcfg: value = menvcfg_; return true;
    case csr::mcountinhibit: value = 0; return true;
    case csr::mscratch: value = mscratch_; return true;
    case csr::mepc: value = mepc_; return true;
    case csr::mcause: value = mcause_; return true;
    case csr::mtval: value = mtval_; return true;
    case csr::mip: value = mip(); return true;
    case csr::mtinst:
    case csr::mtval2:
    case csr::mseccfg: value = 0; return true;
    case csr::tselect: value = tselect_; return true;
    case csr::tdata1:
    case csr::tdata2:
    case csr::tdata3: value = 0; return true;  // no triggers: type 0 ("none")
    case csr::tinfo: value = 1; return true;   // only type 0 is supported
    default: break;
  }
  if (n >= csr::hpmcounter3 && n <= csr::hpmcounter31) return value = 0, true;
  if (n >= csr::mhpmcounter3 && n <= csr::mhpmcounter31) return value = 0, true;
  if (n >= csr::mhpmevent3 && n <= csr::mhpmevent31) return value = 0, true;
  if (n >= csr::pmpcfg0 && n <= csr::pmpcfg15) {
    if (n & 1) return false;  // odd pmpcfg registers do not exist on RV64
    value = pmpcfg_[(n - csr::pmpcfg0) / 2];
    return true;
  }
  if (n >= csr::pmpaddr0 && n <= csr::pmpaddr63) return value = pmpaddr_[n - csr::pmpaddr0], true;
  return false;
}

void Hart::write_mstatus(uint64_t value) {
  const uint64_t old = mstatus_;
  uint64_t s = (mstatus_ & ~mstatus::kWritable) | (value & mstatus::kWritable);
  // MPP is WARL: the reserved encoding 2 keeps the old mode.
  if (((s & mstatus::MPP) >> mstatus::kMppShift) == 2) s = (s & ~mstatus::MPP) | (mstatus_ & mstatus::MPP);
  s &= ~mstatus::SD;
  if ((s & mstatus::FS) == mstatus::FS) s |= mstatus::SD;  // SD summarises FS = Dirty (3.1.6.6)
  mstatus_ = s;
  // What a translation allows depends on MPRV, SUM, MXR and, while MPRV is set, MPP (3.1.6.3):
  // flush only when one of those changed. Kernels toggle SIE and SUM around every critical
  // section and user access; a flush for SIE would throw away every cached translation and
  // block chain each time.
  const uint64_t changed = old ^ s;
  if ((changed & (mstatus::MPRV | mstatus::SUM | mstatus::MXR)) ||
      (((old | s) & mstatus::MPRV) && (changed & mstatus::MPP)))
    flush_tlb();
}

bool Hart::csr_write(uint16_t n, uint64_t value) {
  if (!csr_accessible(n, true)) return false;
  request_sync();  // a CSR write may enable an interrupt or change translation
  switch (n) {
    case csr::fflags: fflags_ = value & 0x1f; mark_fp_dirty(); return true;
    case csr::frm: frm_ = value & 7; mark_fp_dirty(); return true;
    case csr::fcsr:
      fflags_ = value & 0x1f;
      frm_ = (value >> 5) & 7;
      mark_fp_dirty();
      return true;
    // A counter write is seen by the next read: the writing instruction's own retirement is
    // compensated for here, since the engine counts it after the write (priv spec 3.1.11).
    case csr::mcycle: cycle_minus_instret_ = value - (instret + 1); return true;
    case csr::minstret:
      instret_written_delta_ += instret - (value - 1);
      instret = value - 1;
      return true;
    case csr::sstatus:
      write_mstatus((mstatus_ & ~mstatus::kSstatusView) | (value & mstatus::kSstatusView));
      return true;
    case csr::sie: mie_ = (mie_ & ~mideleg_) | (value & mideleg_); return true;
    case csr::sip:
      // Only SSIP is writable through sip, and only when delegated (4.1.3).
      if (mideleg_ & irq::SSIP) set_interrupt_pending(irq::SSIP, (value & irq::SSIP) != 0);
      return true;
    case csr::stvec: stvec_ = (value & 3) >= 2 ? (value & ~uint64_t{3}) | (stvec_ & 3) : value; return true;
    case csr::scounteren: scounteren_ = static_cast<uint32_t>(value); return true;
    case csr::senvcfg: senvcfg_ = value & 1; return true;  // FIOM only
    case csr::sscratch: sscratch_ = value; return true;
    case csr::sepc: sepc_ = value & ~uint64_t{1}; return true;
    case csr::scause: scause_ = value; return true;
    case csr::stval: stval_ = value; return true;
    case csr::stimecmp:
      stimecmp_ = value;
      update_supervisor_timer(time());
      return true;
    case csr::satp: {
      // Writing an unsupported mode has no effect at all (4.1.11).
      const uint64_t mode = value >> 60;
      if (mode != kSatpModeBare && mode != kSatpModeSv39 && mode != kSatpModeSv48) return true;
      satp_ = value & ~(uint64_t{0xffff} << 44);  // ASID is WARL: we implement none (ASIDLEN = 0)
      if (mode == kSatpModeBare) satp_ = 0;
      flush_tlb();
      return true;
    }
    case csr::mstatus: write_mstatus(value); return true;
    case csr::misa: return true;  // WARL: the extensions cannot be switched off
    case csr::medeleg: medeleg_ = value & kDelegableExceptions; return true;
    case csr::mideleg: mideleg_ = value & irq::kSupervisor; return true;
    case csr::mie: mie_ = value & irq::kAll; return true;
    case csr::mtvec: mtvec_ = (value & 3) >= 2 ? (value & ~uint64_t{3}) | (mtvec_ & 3) : value; return true;
    case csr::mcounteren: mcounteren_ = static_cast<uint32_t>(value); return true;
    case csr::menvcfg:
      menvcfg_ = value & (1 | kMenvcfgStce);  // FIOM and STCE (Sstc)
      update_supervisor_timer(time());
      return true;
    case csr::mcountinhibit: return true;                  // WARL, hardwired to zero
    case csr::mscratch: mscratch_ = value; return true;
    case csr::mepc: mepc_ = value & ~uint64_t{1}; return true;
    case csr::mcause: mcause_ = value; return true;
    case csr::mtval: mtval_ = value; return true;
    case csr::mip: {
      // SSIP, STIP and SEIP are writable by M-mode; MSIP/MTIP/MEIP come from devices (3.1.9),
      // and so does STIP when Sstc drives it.
      const uint64_t writable = (menvcfg_ & kMenvcfgStce) ? irq::SSIP | irq::SEIP : irq::kSupervisor;
      uint64_t old = mip_.load(std::memory_order_relaxed);
      uint64_t now = (old & ~writable) | (value & writable);
      for (uint64_t bit : {irq::SSIP, irq::STIP, irq::SEIP})
        if ((old ^ now) & bit) set_interrupt_pending(bit, (now & bit) != 0);
      return true;
    }
    case csr::mtinst:
    case csr::mtval2:
    case csr::mseccfg: return true;
    case csr::tselect: tselect_ = 0; return true;  // a single (absent) trigger
    case csr::tdata1:
    case csr::tdata2:
    case csr::tdata3: return true;
    case csr::tinfo: return true;
    default: break;
  }
  if (n >= csr::mhpmcounter3 && n <= csr::mhpmcounter31) return true;
  if (n >= csr::mhpmevent3 && n <= csr::mhpmevent31) return true;
  if (n >= csr::pmpcfg0 && n <= csr::pmpcfg15) {
    if (n & 1) return false;
    uint64_t& cfg = pmpcfg_[(n - csr::pmpcfg0) / 2];
    uint64_t result = cfg;
    for (unsigned i = 0; i < 8; ++i) {
      const uint64_t old_byte = (cfg >> (8 * i)) & 0xff;
      uint64_t byte = (value >> (8 * i)) & 0xff;
      if (old_byte & 0x80) continue;  // locked entries ignore writes (3.7.1)
      byte &= 0x9f;                   // bits 6:5 are reserved (read as zero)
      if ((byte & 3) == 2) byte &= ~uint64_t{3};  // R=0,W=1 is reserved: keep neither
      result = (result & ~(uint64_t{0xff} << (8 * i))) | (byte << (8 * i));
    }
    cfg = result;
    return true;
  }
  if (n >= csr::pmpaddr0 && n <= csr::pmpaddr63) {
    const unsigned index = n - csr::pmpaddr0;
    auto cfg_byte = [this](unsigned i) { return (pmpcfg_[i / 8] >> (8 * (i % 8))) & 0xff; };
    if (cfg_byte(index) & 0x80) return true;  // locked
    // A locked TOR entry also locks the address register below it (3.7.1.1).
    constexpr uint64_t kAddressMatchTor = 1 << 3;
    if (index + 1 < 64 && (cfg_byte(index + 1) & 0x80) && (cfg_byte(index + 1) & 0x18) == kAddressMatchTor)
      return true;
    pmpaddr_[index] = value & ((uint64_t{1} << 54) - 1);  // 56-bit physical addresses
    return true;
  }
  return false;
}

}  // namespace hartbox
