// A RISC-V hart (RV64GC, M/S/U privilege): its architectural state, its CSRs, trap and
// interrupt entry, and memory access through the MMU and a TLB of host pointers.
//
// A Hart belongs to one machine and is driven by one host thread at a time (the engine that
// runs it). Devices raise its interrupt lines through set_interrupt_pending(), which may be
// called from another thread.
#pragma once

#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "core/bus.hpp"
#include "core/csr.hpp"
#include "core/mmu.hpp"
#include "core/trap.hpp"

namespace hartbox {

enum class Privilege : unsigned { User = 0, Supervisor = 1, Machine = 3 };

// The board's view of time: the CLINT's mtime, which the `time` CSR mirrors.
class TimeSource {
 public:
  virtual ~TimeSource() = default;
  virtual uint64_t mtime() const = 0;
};

class Hart;
class StateWriter;
class StateReader;

// Called by `ebreak` when the RISC-V semihosting sequence surrounds it and semihosting is
// enabled (RISC-V semihosting spec, "Semihosting trap instruction sequence").
class SemihostingHandler {
 public:
  virtual ~SemihostingHandler() = default;
  virtual void semihosting_call(Hart& hart) = 0;
};

// Engines that cache decoded code observe writes to it through this hook. A page that holds
// cached code is never entered in a hart's store TLB, so every store to it takes the slow path
// and reports here.
class CodeWriteObserver {
 public:
  virtual ~CodeWriteObserver() = default;
  virtual bool is_code_page(uint64_t paddr) const = 0;
  // Called for every slow-path store; the observer ignores pages it holds no code for.
  virtual void code_page_written(uint64_t paddr_page) = 0;
  virtual void instruction_fence() = 0;  // fence.i
};

// Sees every access a hart makes to a device (MMIO), for traces; the slow path calls it, so it
// costs nothing when absent.
class MmioObserver {
 public:
  virtual ~MmioObserver() = default;
  virtual void mmio(const Hart& hart, uint64_t paddr, unsigned size, uint64_t value, bool write) = 0;
};

// Why an engine's run() returned.
enum class StopReason : uint8_t {
  Budget,     // the instruction budget was used up
  Wait,       // WFI with no interrupt pending: the machine may sleep until one is
  Requested,  // someone called request_stop() (exit via HTIF/semihosting, pause, ...)
};

class Hart {
 public:
  Hart(Bus& bus, uint64_t hart_id);
  Hart(const Hart&) = delete;
  Hart& operator=(const Hart&) = delete;

  // --- Architectural state, read and written by the instruction bodies and the engines ---
  uint64_t x[32] = {};  // x[0] is kept zero by the engines
  uint64_t f[32] = {};  // raw 64-bit FP registers; single values are NaN-boxed
  uint64_t pc = 0;
  uint64_t next_pc = 0;  // set by control transfers; the engine starts it at pc + length
  Privilege priv = Privilege::Machine;
  uint64_t instret = 0;  // retired instructions (minstret); engines increment it

  // Instructions retired since reset, unaffected by guest writes to minstret: what virtual time
  // and accounting count.
  uint64_t retired() const { return instret + instret_written_delta_; }

  uint64_t hart_id() const { return hart_id_; }
  Bus& bus() { return bus_; }

  // --- Wiring ---
  void set_time_source(const TimeSource* time) { time_ = time; }
  void set_semihosting(SemihostingHandler* handler) { semihosting_ = handler; }
  SemihostingHandler* semihosting() const { return semihosting_; }
  void set_code_write_observer(CodeWriteObserver* observer) { code_observer_ = observer; }
  CodeWriteObserver* code_write_observer() const { return code_observer_; }
  void set_mmio_observer(MmioObserver* observer) { mmio_observer_ = observer; }
  uint64_t time() const { return time_ ? time_->mtime() : instret; }

  // --- Reset and run control ---
  void reset(uint64_t reset_pc);
  void request_stop() { stop_requested_.store(true, std::memory_order_relaxed); }
  bool stop_requested() const { return stop_requested_.load(std::memory_order_relaxed); }
  void clear_stop_request() { stop_requested_.store(false, std::memory_order_relaxed); }
  bool waiting() const { return waiting_; }  // in WFI

  // Set by anything that can change what should run next other than the pc: CSR writes,
  // privilege changes, device (MMIO) accesses that may raise interrupts, code invalidation,
  // host calls. Engines that run several instructions between checks of interrupts and
  // translation return to their dispatcher after an instruction that set it, so every engine
  // takes interrupts and sees new code at exactly the instruction boundary the reference
  // interpreter does.
  void request_sync() { sync_requested_ = true; }
  bool sync_requested() const { return sync_requested_; }
  bool take_sync_request() {
    const bool requested = sync_requested_;
    sync_requested_ = false;
    return requested;
  }
  void enter_wait() { waiting_ = true; }

  // --- Traps and interrupts (priv spec 3.1.6-3.1.9, 3.3) ---
  // Enters the trap handler for a synchronous exception raised by the instruction at `pc`.
  void take_trap(const Trap& trap);
  // Takes the highest-priority pending and enabled interrupt, if any; true if one was taken.
  bool take_pending_interrupt();
  // Pending-and-enabled test the engines use between instructions (cheap when nothing is
  // pending). Also ends a WFI when any enabled interrupt is pending, even if globally masked.
  bool interrupt_pending() {
    uint64_t pending = mip() & mie_;
    if (pending == 0) return false;
    waiting_ = false;
    return true;
  }
  // The pending bits held in mip itself: device lines (MSIP, MTIP, MEIP, and STIP without Sstc)
  // and the software-writable SSIP/STIP/SEIP.
  void set_interrupt_pending(uint64_t bit, bool level);
  // The interrupt controller's supervisor external line. mip.SEIP reads as the software bit OR
  // this line, and software writes change only the former (priv spec 3.1.9).
  void set_external_seip(bool level) {
    external_seip_.store(level ? irq::SEIP : 0, std::memory_order_relaxed);
  }
  // Sstc (priv spec, "Sstc" extension): with menvcfg.STCE set, STIP is (time >= stimecmp).
  // The board calls this between slices with the current mtime.
  void update_supervisor_timer(uint64_t now) {
    if (menvcfg_ & kMenvcfgStce) set_interrupt_pending(irq::STIP, now >= stimecmp_);
  }
  // When the Sstc timer will fire, or UINT64_MAX if it is off or already pending.
  uint64_t supervisor_timer_deadline(uint64_t now) const {
    return (menvcfg_ & kMenvcfgStce) && stimecmp_ > now ? stimecmp_ : ~uint64_t{0};
  }
  static constexpr uint64_t kMenvcfgStce = uint64_t{1} << 63;
  uint64_t mip() const {
    return mip_.load(std::memory_order_relaxed) | external_seip_.load(std::memory_order_relaxed);
  }
  // The value CSRRS and CSRRC modify: what a read returned, except that mip.SEIP is only the
  // software-written bit. The PLIC's line must not be latched into it (priv spec 3.1.9).
  uint64_t csr_modify_base(uint16_t number, uint64_t read) const {
    if (number != csr::mip) return read;
    return (read & ~irq::SEIP) | (mip_.load(std::memory_order_relaxed) & irq::SEIP);
  }

  // How many traps were taken, and the cause of the last one (bit 63 set for interrupts).
  uint64_t traps_taken() const { return traps_taken_; }
  uint64_t last_trap_cause() const { return last_trap_cause_; }

  // --- CSRs (csr.cpp). False means the access is illegal (the caller raises it). ---
  bool csr_read(uint16_t number, uint64_t& value);
  bool csr_write(uint16_t number, uint64_t value);
  // CSR access rules that do not depend on the value (existence, privilege, read-only).
  bool csr_accessible(uint16_t number, bool write) const;
  uint64_t mstatus() const { return mstatus_; }
  uint64_t satp() const { return satp_; }

  // --- Privileged instructions; false means illegal in the current mode ---
  bool execute_mret();
  bool execute_sret();
  bool execute_wfi();
  bool execute_sfence_vma();

  // --- Floating point state ---
  bool fp_enabled() const { return (mstatus_ & mstatus::FS) != 0; }
  void mark_fp_dirty() { mstatus_ |= mstatus::FS | mstatus::SD; }
  unsigned frm() const { return frm_; }
  void accrue_fflags(unsigned flags) {
    if (flags) {
      fflags_ |= flags;
      mark_fp_dirty();
    }
  }

  // --- Memory access through the MMU; these throw Trap on a fault ---
  template <typename T>
  T load(uint64_t vaddr) {
    if (uint8_t* host = tlb_.lookup(Access::Load, vaddr); host && within_page<T>(vaddr)) [[likely]] {
      T value;
      std::memcpy(&value, host, sizeof(T));
      return value;
    }
    return static_cast<T>(load_slow(vaddr, sizeof(T)));
  }
  template <typename T>
  void store(uint64_t vaddr, T value) {
    if (uint8_t* host = tlb_.lookup(Access::Store, vaddr); host && within_page<T>(vaddr)) [[likely]] {
      std::memcpy(host, &value, sizeof(T));
      return;
    }
    store_slow(vaddr, sizeof(T), static_cast<uint64_t>(value));
  }
  // Fetches the instruction at `vaddr`: 16 bits for a compressed instruction, 32 otherwise.
  uint32_t fetch(uint64_t vaddr);

  // Host pointer to an aligned word for an atomic memory operation (A extension), checking
  // alignment and store permission (LR checks load permission). Only RAM supports atomics.
  template <typename T>
  T* atomic_pointer(uint64_t vaddr, bool is_lr) {
    if (vaddr & (sizeof(T) - 1))
      throw Trap{is_lr ? Exception::LoadAddressMisaligned : Exception::StoreAddressMisaligned, vaddr};
    return reinterpret_cast<T*>(atomic_host(vaddr, is_lr ? Access::Load : Access::Store));
  }
  // LR/SC reservation (unprivileged spec, "Zalrsc"): address and the value seen by LR.
  uint64_t reservation_addr = ~uint64_t{0};
  uint64_t reservation_value = 0;
  bool reservation_valid = false;

  // Translates for debugger-style or host-side accesses (semihosting, gdb) without side
  // effects on architectural state other than A/D bits; false if unmapped.
  bool translate_for_host(uint64_t vaddr, Access access, uint64_t& paddr);
  // Copies guest virtual memory for host services (semihosting); false on any fault.
  bool read_virtual(uint64_t vaddr, void* dst, size_t len);
  bool write_virtual(uint64_t vaddr, const void* src, size_t len);

  HostTlb& tlb() { return tlb_; }
  // Accesses that missed the TLB and went through translation (page walk or bare mapping).
  uint64_t tlb_misses() const { return tlb_misses_; }
  // Drops every cached translation. The epoch counts these flushes, so that engines can tell
  // when virtual-address-keyed caches (block chains, jump caches) may be stale.
  void flush_tlb() {
    tlb_.flush();
    ++translation_epoch_;
    sync_requested_ = true;
  }
  uint64_t translation_epoch() const { return translation_epoch_; }

  // --- Snapshots and clones (core/state_io.hpp) ---
  // Every architectural field: registers, pc, privilege, every CSR field, fflags/frm, the
  // LR/SC reservation, WFI, stimecmp, PMP, counters. Not the TLB: load() flushes it. load()
  // needs the same hart id and throws SnapshotError on a value no hart could hold.
  void save(StateWriter& out) const;
  void load(StateReader& in);

 private:
  template <typename T>
  static bool within_page(uint64_t vaddr) {
    return (vaddr & kPageMask) <= kPageSize - sizeof(T);
  }
  uint64_t load_slow(uint64_t vaddr, unsigned size);
  void store_slow(uint64_t vaddr, unsigned size, uint64_t value);
  uint8_t* atomic_host(uint64_t vaddr, Access access);
  // Physical address for `vaddr`, raising the page or access fault; fills the TLB for RAM.
  uint64_t translate(uint64_t vaddr, Access access);
  TranslationContext translation_context(Access access) const;
  void enter_trap(uint64_t cause, uint64_t tval, bool interrupt);
  void write_mstatus(uint64_t value);
  bool counter_enabled(uint16_t number) const;

  Bus& bus_;
  const uint64_t hart_id_;
  const TimeSource* time_ = nullptr;
  SemihostingHandler* semihosting_ = nullptr;
  CodeWriteObserver* code_observer_ = nullptr;
  MmioObserver* mmio_observer_ = nullptr;
  uint64_t tlb_misses_ = 0;
  HostTlb tlb_;
  std::atomic<bool> stop_requested_{false};
  bool waiting_ = false;
  bool sync_requested_ = false;
  uint64_t traps_taken_ = 0;
  uint64_t last_trap_cause_ = 0;
  uint64_t translation_epoch_ = 0;

  // CSR state (priv spec chapter 3 and 4).
  uint64_t mstatus_ = 0;
  uint64_t medeleg_ = 0, mideleg_ = 0, mie_ = 0;
  std::atomic<uint64_t> mip_{0};
  std::atomic<uint64_t> external_seip_{0};
  uint64_t mtvec_ = 0, stvec_ = 0;
  uint64_t mscratch_ = 0, sscratch_ = 0;
  uint64_t mepc_ = 0, sepc_ = 0, mcause_ = 0, scause_ = 0, mtval_ = 0, stval_ = 0;
  uint64_t satp_ = 0;
  uint32_t mcounteren_ = 0, scounteren_ = 0;
  uint64_t menvcfg_ = 0, senvcfg_ = 0;
  uint64_t stimecmp_ = ~uint64_t{0};
  uint64_t instret_written_delta_ = 0;  // retired() - instret, changed by minstret writes
  uint64_t cycle_minus_instret_ = 0;  // mcycle = instret + this (one cycle per instruction)
  uint64_t pmpcfg_[8] = {};           // pmpcfg0, 2, ..., 14 (RV64: even numbers only)
  uint64_t pmpaddr_[64] = {};
  uint64_t tselect_ = 0;
  unsigned fflags_ = 0, frm_ = 0;
};

}  // namespace hartbox
