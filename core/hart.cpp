#include "core/hart.hpp"

#include <atomic>

#include "core/state_io.hpp"

namespace hartbox {

Hart::Hart(Bus& bus, uint64_t hart_id) : bus_(bus), hart_id_(hart_id) { reset(0); }

void Hart::reset(uint64_t reset_pc) {
  std::memset(x, 0, sizeof x);
  std::memset(f, 0, sizeof f);
  pc = next_pc = reset_pc;
  priv = Privilege::Machine;
  // UXL = SXL = 2 (64-bit); everything else resets to zero (priv spec 3.4 "Reset").
  mstatus_ = (uint64_t{2} << 32) | (uint64_t{2} << 34);
  medeleg_ = mideleg_ = mie_ = 0;
  mip_.store(0);
  external_seip_.store(0);
  mtvec_ = stvec_ = mscratch_ = sscratch_ = mepc_ = sepc_ = 0;
  mcause_ = scause_ = mtval_ = stval_ = satp_ = 0;
  mcounteren_ = scounteren_ = 0;
  menvcfg_ = senvcfg_ = 0;
  stimecmp_ = ~uint64_t{0};
  fflags_ = frm_ = 0;
  instret_written_delta_ += instret;
  instret = 0;
  cycle_minus_instret_ = 0;
  reservation_valid = false;
  waiting_ = false;
  flush_tlb();
}

// --- Traps (priv spec 3.1.6.1, 3.1.7, 3.1.9, 3.1.12, 3.1.14-16, 4.1.1) -------------------

void Hart::take_trap(const Trap& trap) { enter_trap(static_cast<uint64_t>(trap.cause), trap.tval, false); }

void Hart::enter_trap(uint64_t cause, uint64_t tval, bool interrupt) {
  ++traps_taken_;
  reservation_valid = false;
  const uint64_t deleg = interrupt ? mideleg_ : medeleg_;
  const bool to_supervisor = priv != Privilege::Machine && ((deleg >> cause) & 1);
  const uint64_t mcause_value = cause | (interrupt ? kInterruptBit : 0);
  last_trap_cause_ = mcause_value;
  if (to_supervisor) {
    scause_ = mcause_value;
    sepc_ = pc;
    stval_ = tval;
    uint64_t s = mstatus_;
    s = (s & ~mstatus::SPIE) | ((s & mstatus::SIE) ? mstatus::SPIE : 0);
    s = (s & ~mstatus::SPP) | (priv == Privilege::Supervisor ? mstatus::SPP : 0);
    s &= ~mstatus::SIE;
    mstatus_ = s;
    priv = Privilege::Supervisor;
    pc = (stvec_ & ~uint64_t{3}) + ((interrupt && (stvec_ & 3) == 1) ? 4 * cause : 0);
  } else {
    mcause_ = mcause_value;
    mepc_ = pc;
    mtval_ = tval;
    uint64_t s = mstatus_;
    s = (s & ~mstatus::MPIE) | ((s & mstatus::MIE) ? mstatus::MPIE : 0);
    s = (s & ~mstatus::MPP) | (static_cast<uint64_t>(priv) << mstatus::kMppShift);
    s &= ~mstatus::MIE;
    mstatus_ = s;
    priv = Privilege::Machine;
    pc = (mtvec_ & ~uint64_t{3}) + ((interrupt && (mtvec_ & 3) == 1) ? 4 * cause : 0);
  }
  next_pc = pc;
  flush_tlb();  // the effective privilege changed
}

bool Hart::take_pending_interrupt() {
  const uint64_t pending = mip() & mie_;
  if (pending == 0) return false;
  waiting_ = false;
  // M-level interrupts are enabled below M, or in M with MIE; delegated (S-level) ones below S,
  // or in S with SIE (priv spec 3.1.9).
  const bool m_enabled = priv != Privilege::Machine || (mstatus_ & mstatus::MIE);
  const bool s_enabled =
      priv == Privilege::User || (priv == Privilege::Supervisor && (mstatus_ & mstatus::SIE));
  // Interrupts for a more privileged mode are taken first; within a mode, the order is
  // MEI, MSI, MTI, SEI, SSI, STI.
  const uint64_t to_machine = m_enabled ? pending & ~mideleg_ : 0;
  const uint64_t to_supervisor = s_enabled ? pending & mideleg_ : 0;
  const uint64_t enabled = to_machine ? to_machine : to_supervisor;
  if (enabled == 0) return false;
  static constexpr Interrupt kPriority[] = {Interrupt::MachineExternal,    Interrupt::MachineSoftware,
                                            Interrupt::MachineTimer,       Interrupt::SupervisorExternal,
                                            Interrupt::SupervisorSoftware, Interrupt::SupervisorTimer};
  for (Interrupt irq : kPriority) {
    const auto cause = static_cast<uint64_t>(irq);
    if (enabled & (uint64_t{1} << cause)) {
      enter_trap(cause, 0, true);
      return true;
    }
  }
  return false;
}

void Hart::set_interrupt_pending(uint64_t bit, bool level) {
  if (level)
    mip_.fetch_or(bit, std::memory_order_relaxed);
  else
    mip_.fetch_and(~bit, std::memory_order_relaxed);
}

// --- Privileged instructions ----------------------------------------------------------------

bool Hart::execute_mret() {
  if (priv != Privilege::Machine) return false;
  uint64_t s = mstatus_;
  const auto mpp = static_cast<Privilege>((s & mstatus::MPP) >> mstatus::kMppShift);
  s = (s & ~mstatus::MIE) | ((s & mstatus::MPIE) ? mstatus::MIE : 0);
  s |= mstatus::MPIE;
  s &= ~mstatus::MPP;  // MPP = U, the least-privileged mode
  if (mpp != Privilege::Machine) s &= ~mstatus::MPRV;
  mstatus_ = s;
  priv = mpp;
  next_pc = mepc_;
  flush_tlb();
  return true;
}

bool Hart::execute_sret() {
  if (priv == Privilege::User || (priv == Privilege::Supervisor && (mstatus_ & mstatus::TSR)))
    return false;
  uint64_t s = mstatus_;
  const Privilege spp = (s & mstatus::SPP) ? Privilege::Supervisor : Privilege::User;
  s = (s & ~mstatus::SIE) | ((s & mstatus::SPIE) ? mstatus::SIE : 0);
  s |= mstatus::SPIE;
  s &= ~mstatus::SPP;
  s &= ~mstatus::MPRV;  // the new mode is never M
  mstatus_ = s;
  priv = spp;
  next_pc = sepc_;
  flush_tlb();
  return true;
}

bool Hart::execute_wfi() {
  request_sync();
  // priv spec 3.1.6.5: WFI traps in U-mode, and in S-mode when TW=1.
  if (priv == Privilege::User || (priv == Privilege::Supervisor && (mstatus_ & mstatus::TW)))
    return false;
  if ((mip() & mie_) == 0) waiting_ = true;
  return true;
}

bool Hart::execute_sfence_vma() {
  if (priv == Privilege::User || (priv == Privilege::Supervisor && (mstatus_ & mstatus::TVM)))
    return false;
  flush_tlb();
  return true;
}

// --- Memory ------------------------------------------------------------------------------------

TranslationContext Hart::translation_context(Access access) const {
  unsigned effective = static_cast<unsigned>(priv);
  if (access != Access::Fetch && priv == Privilege::Machine && (mstatus_ & mstatus::MPRV))
    effective = static_cast<unsigned>((mstatus_ & mstatus::MPP) >> mstatus::kMppShift);
  return {satp_, effective, (mstatus_ & mstatus::SUM) != 0, (mstatus_ & mstatus::MXR) != 0};
}

uint64_t Hart::translate(uint64_t vaddr, Access access) {
  ++tlb_misses_;
  const TranslationContext ctx = translation_context(access);
  uint64_t paddr = vaddr;
  if (ctx.priv != static_cast<unsigned>(Privilege::Machine) && (satp_ >> 60) != kSatpModeBare) {
    WalkResult walk = walk_page_table(bus_, ctx, vaddr, access);
    if (!walk.translation) throw Trap{walk.fault, vaddr};
    paddr = walk.translation->paddr;
  } else if (paddr >> 56) {
    throw Trap{access_fault_for(access), vaddr};  // beyond the 56-bit physical address space
  }
  if (bus_.is_plain_ram_page(paddr) &&
      !(access == Access::Store && code_observer_ && code_observer_->is_code_page(paddr)))
    tlb_.insert(access, vaddr, paddr,
                access == Access::Store ? bus_.ram().page_for_write(paddr) : bus_.ram().page(paddr));
  return paddr;
}

bool Hart::translate_for_host(uint64_t vaddr, Access access, uint64_t& paddr) {
  try {
    paddr = translate(vaddr, access);
    return true;
  } catch (const Trap&) {
    return false;
  }
}

uint64_t Hart::load_slow(uint64_t vaddr, unsigned size) {
  if ((vaddr & kPageMask) + size > kPageSize) {
    // Misaligned across a page boundary: byte by byte, so each page is checked (the whole
    // access faults at the first faulting byte's address, as QEMU reports it).
    uint64_t value = 0;
    for (unsigned i = 0; i < size; ++i) value |= load_slow(vaddr + i, 1) << (8 * i);
    return value;
  }
  const uint64_t paddr = translate(vaddr, Access::Load);
  uint64_t value = 0;
  if (bus_.ram().contains(paddr, size) && bus_.is_plain_ram_page(paddr)) {
    std::memcpy(&value, bus_.ram().host(paddr), size);
    return value;
  }
  request_sync();  // a device access may change interrupt state
  if (paddr & (size - 1)) {  // misaligned MMIO: split into bytes
    for (unsigned i = 0; i < size; ++i) {
      uint64_t byte;
      if (!bus_.read(paddr + i, 1, byte)) throw Trap{Exception::LoadAccessFault, vaddr};
      value |= byte << (8 * i);
    }
    return value;
  }
  if (!bus_.read(paddr, size, value)) throw Trap{Exception::LoadAccessFault, vaddr};
  if (mmio_observer_) mmio_observer_->mmio(*this, paddr, size, value, false);
  return value;
}

void Hart::store_slow(uint64_t vaddr, unsigned size, uint64_t value) {
  if ((vaddr & kPageMask) + size > kPageSize) {
    // Translate both pages first so a fault on the second leaves memory untouched.
    translate(vaddr, Access::Store);
    translate((vaddr + size - 1) & ~kPageMask, Access::Store);
    for (unsigned i = 0; i < size; ++i) store_slow(vaddr + i, 1, value >> (8 * i));
    return;
  }
  const uint64_t paddr = translate(vaddr, Access::Store);
  if (code_observer_) code_observer_->code_page_written(paddr & ~kPageMask);
  if (bus_.ram().contains(paddr, size) && bus_.is_plain_ram_page(paddr)) {
    std::memcpy(bus_.ram().host_for_write(paddr), &value, size);
    return;
  }
  request_sync();  // a device access may change interrupt state
  if (paddr & (size - 1)) {
    for (unsigned i = 0; i < size; ++i)
      if (!bus_.write(paddr + i, 1, (value >> (8 * i)) & 0xff)) throw Trap{Exception::StoreAccessFault, vaddr};
    return;
  }
  if (!bus_.write(paddr, size, value)) throw Trap{Exception::StoreAccessFault, vaddr};
  if (mmio_observer_) mmio_observer_->mmio(*this, paddr, size, value, true);
}

uint8_t* Hart::atomic_host(uint64_t vaddr, Access access) {
  if (uint8_t* host = tlb_.lookup(access, vaddr)) return host;
  const uint64_t paddr = translate(vaddr, access);
  if (!bus_.is_plain_ram_page(paddr))
    throw Trap{access == Access::Load ? Exception::LoadAccessFault : Exception::StoreAccessFault, vaddr};
  if (access == Access::Store && code_observer_) code_observer_->code_page_written(paddr & ~kPageMask);
  return bus_.ram().host_for_write(paddr);
}

uint32_t Hart::fetch(uint64_t vaddr) {
  auto fetch16 = [this](uint64_t va) -> uint32_t {
    if (uint8_t* host = tlb_.lookup(Access::Fetch, va)) {
      uint16_t half;
      std::memcpy(&half, host, 2);
      return half;
    }
    const uint64_t paddr = translate(va, Access::Fetch);
    uint64_t half;
    if (!bus_.read(paddr, 2, half)) throw Trap{Exception::InstructionAccessFault, va};
    return static_cast<uint32_t>(half);
  };
  if ((vaddr & kPageMask) <= kPageSize - 4) {
    if (uint8_t* host = tlb_.lookup(Access::Fetch, vaddr)) [[likely]] {
      uint32_t word;
      std::memcpy(&word, host, 4);
      return (word & 3) == 3 ? word : (word & 0xffff);
    }
  }
  const uint32_t low = fetch16(vaddr);
  if ((low & 3) != 3) return low;
  return low | (fetch16(vaddr + 2) << 16);
}

bool Hart::read_virtual(uint64_t vaddr, void* dst, size_t len) {
  auto* out = static_cast<uint8_t*>(dst);
  while (len > 0) {
    uint64_t paddr;
    if (!translate_for_host(vaddr, Access::Load, paddr)) return false;
    size_t n = std::min<size_t>(len, kPageSize - (vaddr & kPageMask));
    if (!bus_.ram().contains(paddr, n)) return false;
    bus_.ram().read(paddr, out, n);
    vaddr += n, out += n, len -= n;
  }
  return true;
}

bool Hart::write_virtual(uint64_t vaddr, const void* src, size_t len) {
  auto* in = static_cast<const uint8_t*>(src);
  while (len > 0) {
    uint64_t paddr;
    if (!translate_for_host(vaddr, Access::Store, paddr)) return false;
    size_t n = std::min<size_t>(len, kPageSize - (vaddr & kPageMask));
    if (!bus_.ram().contains(paddr, n)) return false;
    if (code_observer_) code_observer_->code_page_written(paddr & ~kPageMask);
    bus_.ram().write(paddr, in, n);
    vaddr += n, in += n, len -= n;
  }
  return true;
}

// --- Snapshots ---------------------------------------------------------------------------------

void Hart::save(StateWriter& out) const {
  out.begin_section(state_tag("HART"));
  out.u64(hart_id_);
  for (uint64_t r : x) out.u64(r);
  for (uint64_t r : f) out.u64(r);
  out.u64(pc);
  out.u64(next_pc);
  out.u8(static_cast<uint8_t>(priv));
  out.u64(instret);
  out.boolean(waiting_);
  out.u64(traps_taken_);
  out.u64(last_trap_cause_);
  out.u64(mstatus_);
  out.u64(medeleg_);
  out.u64(mideleg_);
  out.u64(mie_);
  out.u64(mip_.load(std::memory_order_relaxed));
  out.u64(external_seip_.load(std::memory_order_relaxed));
  for (uint64_t v : {mtvec_, stvec_, mscratch_, sscratch_, mepc_, sepc_, mcause_, scause_, mtval_, stval_, satp_})
    out.u64(v);
  out.u32(mcounteren_);
  out.u32(scounteren_);
  out.u64(menvcfg_);
  out.u64(senvcfg_);
  out.u64(stimecmp_);
  out.u64(instret_written_delta_);
  out.u64(cycle_minus_instret_);
  for (uint64_t v : pmpcfg_) out.u64(v);
  for (uint64_t v : pmpaddr_) out.u64(v);
  out.u64(tselect_);
  out.u32(fflags_);
  out.u32(frm_);
  out.u64(reservation_addr);
  out.u64(reservation_value);
  out.boolean(reservation_valid);
  out.end_section();
}

void Hart::load(StateReader& in) {
  in.begin_section(state_tag("HART"));
  const uint64_t id = in.u64();
  in.expect(id == hart_id_, "hart " + std::to_string(hart_id_) + " finds the state of hart " + std::to_string(id));
  for (uint64_t& r : x) r = in.u64();
  in.expect(x[0] == 0, "corrupted: x0 is not zero");
  for (uint64_t& r : f) r = in.u64();
  pc = in.u64();
  next_pc = in.u64();
  const uint8_t mode = in.u8();
  in.expect(mode == 0 || mode == 1 || mode == 3, "corrupted: privilege mode " + std::to_string(mode));
  priv = static_cast<Privilege>(mode);
  instret = in.u64();
  waiting_ = in.boolean();
  traps_taken_ = in.u64();
  last_trap_cause_ = in.u64();
  mstatus_ = in.u64();
  in.expect(((mstatus_ & mstatus::MPP) >> mstatus::kMppShift) != 2, "corrupted: mstatus.MPP holds the reserved mode 2");
  medeleg_ = in.u64();
  mideleg_ = in.u64();
  mie_ = in.u64();
  mip_.store(in.u64(), std::memory_order_relaxed);
  const uint64_t seip = in.u64();
  in.expect(seip == 0 || seip == irq::SEIP, "corrupted: the external SEIP line holds " + std::to_string(seip));
  external_seip_.store(seip, std::memory_order_relaxed);
  for (uint64_t* v : {&mtvec_, &stvec_, &mscratch_, &sscratch_, &mepc_, &sepc_, &mcause_, &scause_, &mtval_, &stval_, &satp_})
    *v = in.u64();
  const uint64_t satp_mode = satp_ >> 60;
  in.expect(satp_mode == kSatpModeBare || satp_mode == kSatpModeSv39 || satp_mode == kSatpModeSv48,
            "corrupted: satp mode " + std::to_string(satp_mode));
  mcounteren_ = in.u32();
  scounteren_ = in.u32();
  menvcfg_ = in.u64();
  senvcfg_ = in.u64();
  stimecmp_ = in.u64();
  instret_written_delta_ = in.u64();
  cycle_minus_instret_ = in.u64();
  for (uint64_t& v : pmpcfg_) v = in.u64();
  for (uint64_t& v : pmpaddr_) v = in.u64();
  tselect_ = in.u64();
  fflags_ = in.u32();
  frm_ = in.u32();
  in.expect(fflags_ < 32 && frm_ < 8, "corrupted: fflags/frm out of range");
  reservation_addr = in.u64();
  reservation_value = in.u64();
  reservation_valid = in.boolean();
  in.end_section();
  sync_requested_ = true;
  flush_tlb();  // host pointers belong to the machine that saved the state
}

}  // namespace hartbox
