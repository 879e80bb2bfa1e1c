#include "core/mmu.hpp"

#include <atomic>

namespace hartbox {
namespace {

// PTE fields (priv spec 4.4.1, figure "Sv39 page table entry").
constexpr uint64_t V = 1 << 0, R = 1 << 1, W = 1 << 2, X = 1 << 3, U = 1 << 4, A = 1 << 6, D = 1 << 7;
constexpr uint64_t kPpnMask = (uint64_t{1} << 44) - 1;
constexpr unsigned kPpnShift = 10;
constexpr uint64_t kReservedHigh = ~uint64_t{0} << 54;  // N, PBMT and reserved bits: no Svnapot/Svpbmt

// Sets A (and D) in a PTE that lives in RAM, atomically with respect to other harts.
bool update_pte(Bus& bus, uint64_t pte_addr, uint64_t expected, uint64_t desired) {
  if (!bus.is_plain_ram_page(pte_addr)) return bus.write(pte_addr, 8, desired);
  std::atomic_ref<uint64_t> word(*reinterpret_cast<uint64_t*>(bus.ram().host_for_write(pte_addr)));
  return word.compare_exchange_strong(expected, desired);
}

}  // namespace

WalkResult walk_page_table(Bus& bus, const TranslationContext& ctx, uint64_t vaddr, Access access) {
  const uint64_t mode = ctx.satp >> 60;
  const unsigned levels = mode == kSatpModeSv48 ? 4 : 3;
  const unsigned va_bits = 12 + 9 * levels;
  const WalkResult page_fault{std::nullopt, page_fault_for(access)};
  const WalkResult access_fault{std::nullopt, access_fault_for(access)};

  // The address must be sign-extended from its top implemented bit (4.3.1).
  if (static_cast<uint64_t>(static_cast<int64_t>(vaddr << (64 - va_bits)) >> (64 - va_bits)) != vaddr)
    return page_fault;

  for (int attempt = 0; attempt < 16; ++attempt) {  // retried only if another hart changes the PTE
    uint64_t table = (ctx.satp & kPpnMask) << kPageShift;
    for (int level = static_cast<int>(levels) - 1; level >= 0; --level) {
      const uint64_t vpn = (vaddr >> (kPageShift + 9 * static_cast<unsigned>(level))) & 511;
      const uint64_t pte_addr = table + vpn * 8;
      uint64_t pte;
      if (!bus.read(pte_addr, 8, pte)) return access_fault;
      if (!(pte & V) || (!(pte & R) && (pte & W)) || (pte & kReservedHigh)) return page_fault;
      const uint64_t ppn = (pte >> kPpnShift) & kPpnMask;
      if (!(pte & (R | X))) {  // pointer to the next level
        if (pte & (D | A | U)) return page_fault;  // reserved for non-leaf PTEs (4.4.1)
        table = ppn << kPageShift;
        continue;
      }
      // Leaf: permission checks (4.3.2 step 5).
      bool user_page = pte & U;
      if (ctx.priv == 0 && !user_page) return page_fault;
      if (ctx.priv == 1 && user_page && (access == Access::Fetch || !ctx.sum)) return page_fault;
      switch (access) {
        case Access::Fetch: if (!(pte & X)) return page_fault; break;
        case Access::Load: if (!(pte & R) && !(ctx.mxr && (pte & X))) return page_fault; break;
        case Access::Store: if (!(pte & W)) return page_fault; break;
      }
      // A superpage must be aligned to its size (step 6).
      const uint64_t low_ppn_mask = (uint64_t{1} << (9 * static_cast<unsigned>(level))) - 1;
      if (ppn & low_ppn_mask) return page_fault;
      // Hardware A/D update (step 7), done atomically; if the PTE changed under us, walk again.
      uint64_t wanted = pte | A | (access == Access::Store ? D : 0);
      if (wanted != pte) {
        if (!update_pte(bus, pte_addr, pte, wanted)) goto retry;
        pte = wanted;
      }
      {
        const uint64_t page_offset_mask = (uint64_t{1} << (kPageShift + 9 * static_cast<unsigned>(level))) - 1;
        const uint64_t paddr = ((ppn << kPageShift) & ~page_offset_mask) | (vaddr & page_offset_mask);
        return {Translation{paddr & ((uint64_t{1} << 56) - 1), (pte & W) && (pte & D)}, page_fault.fault};
      }
    }
    return page_fault;  // ran out of levels without a leaf
  retry:;
  }
  return page_fault;
}

}  // namespace hartbox
