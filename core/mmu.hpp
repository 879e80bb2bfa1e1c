// Virtual-memory translation: the Sv39/Sv48 page-table walker (privileged spec 4.3-4.5) and
// the per-hart software TLB that maps a virtual page straight to a host pointer.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "core/bus.hpp"
#include "core/trap.hpp"

namespace hartbox {

enum class Access : uint8_t { Fetch = 0, Load = 1, Store = 2 };

// What the walker needs to know about the hart (priv spec 4.3.2, "Virtual Address Translation
// Process"). `priv` is the effective privilege (MPRV already applied for loads and stores).
struct TranslationContext {
  uint64_t satp;
  unsigned priv;  // 0 = U, 1 = S, 3 = M
  bool sum;
  bool mxr;
};

inline constexpr uint64_t kSatpModeBare = 0, kSatpModeSv39 = 8, kSatpModeSv48 = 9;

struct Translation {
  uint64_t paddr;
  bool writable_and_dirty;  // a later store through this mapping needs no page-table update
};

// Walks the page table in `bus` (PTE reads go through the bus, so a table outside RAM gives an
// access fault). Sets A, and D on stores, in the PTE atomically as the spec allows ("hardware
// updating of A/D bits", Svadu behaviour, as QEMU does). Returns the fault to raise on failure.
struct WalkResult {
  std::optional<Translation> translation;
  Exception fault = Exception::LoadPageFault;
};
WalkResult walk_page_table(Bus& bus, const TranslationContext& ctx, uint64_t vaddr, Access access);

// Exception raised for a failed translation of `access`.
constexpr Exception page_fault_for(Access access) {
  return access == Access::Fetch  ? Exception::InstructionPageFault
         : access == Access::Load ? Exception::LoadPageFault
                                  : Exception::StorePageFault;
}
constexpr Exception access_fault_for(Access access) {
  return access == Access::Fetch  ? Exception::InstructionAccessFault
         : access == Access::Load ? Exception::LoadAccessFault
                                  : Exception::StoreAccessFault;
}

// A direct-mapped TLB of host pointers, one per access kind. An entry for virtual page `vpn`
// holds `host - vaddr` so that a hit is a tag compare and an add. Only plain RAM pages are
// entered; MMIO always takes the slow path.
class HostTlb {
 public:
  static constexpr unsigned kEntries = 256;
  struct Entry {
    uint64_t vpn = ~uint64_t{0};
    uintptr_t host_minus_vaddr = 0;
    uint64_t paddr_page = 0;
  };

  Entry& slot(Access access, uint64_t vaddr) {
    return entries_[static_cast<unsigned>(access)][(vaddr >> kPageShift) & (kEntries - 1)];
  }
  // Host pointer for `vaddr` if its page is cached for `access`.
  uint8_t* lookup(Access access, uint64_t vaddr) {
    Entry& e = slot(access, vaddr);
    if (e.vpn != (vaddr >> kPageShift)) return nullptr;
    return reinterpret_cast<uint8_t*>(e.host_minus_vaddr + vaddr);
  }
  void insert(Access access, uint64_t vaddr, uint64_t paddr, uint8_t* host_page) {
    Entry& e = slot(access, vaddr);
    e.vpn = vaddr >> kPageShift;
    e.host_minus_vaddr = reinterpret_cast<uintptr_t>(host_page) - (vaddr & ~kPageMask);
    e.paddr_page = paddr & ~kPageMask;
  }
  void flush() {
    for (auto& table : entries_)
      for (Entry& e : table) e.vpn = ~uint64_t{0};
  }
  // Drop every entry, of any access kind, that maps the physical page holding `paddr`.
  void flush_physical_page(uint64_t paddr) {
    for (auto& table : entries_)
      for (Entry& e : table)
        if (e.paddr_page == (paddr & ~kPageMask)) e.vpn = ~uint64_t{0};
  }

 private:
  std::array<std::array<Entry, kEntries>, 3> entries_{};
};

}  // namespace hartbox
