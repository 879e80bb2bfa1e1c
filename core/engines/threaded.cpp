#include "core/engines/threaded.hpp"

// Dispatch by computed goto ("labels as values") is a GCC/Clang extension, used on purpose.
#pragma GCC diagnostic ignored "-Wpedantic"

#include "core/isa/semantics.hpp"

namespace hartbox {

ThreadedInterpreter::CodePage* ThreadedInterpreter::code_page_for(Hart& h, uint64_t pc) {
  const uint64_t vpn = pc >> kPageShift;
  PageCacheEntry& entry = page_cache_[vpn % page_cache_.size()];
  if (entry.vpn == vpn && entry.epoch == h.translation_epoch()) return entry.page;
  h.fetch(pc);  // raises the fetch fault, if any, and fills the fetch TLB for RAM
  const HostTlb::Entry& tlb = h.tlb().slot(Access::Fetch, pc);
  if (tlb.vpn != vpn) return nullptr;  // not plain RAM: interpret without caching
  const uint64_t paddr_page = tlb.paddr_page;
  auto& page = pages_[paddr_page >> kPageShift];
  if (!page) {
    page = std::make_unique<CodePage>();
    code_pages().mark_code_page(paddr_page);
  }
  entry = {vpn, h.translation_epoch(), page.get()};
  return page.get();
}

void ThreadedInterpreter::drop_page(uint64_t page_number) {
  auto it = pages_.find(page_number);
  if (it == pages_.end()) return;
  retired_pages_.push_back(std::move(it->second));  // may be executing right now
  pages_.erase(it);
  page_cache_.fill({});
}

void ThreadedInterpreter::drop_all() {
  for (auto& [number, page] : pages_) retired_pages_.push_back(std::move(page));
  pages_.clear();
  page_cache_.fill({});
}

SliceResult ThreadedInterpreter::run(Hart& h, uint64_t budget) {
  const bool observed = observer() != nullptr;
  if (observed != built_observed_) {
    drop_all();
    built_observed_ = observed;
  }
  return observed ? run_slots<true>(h, budget) : run_slots<false>(h, budget);
}

template <bool kObserved>
SliceResult ThreadedInterpreter::run_slots(Hart& h, uint64_t budget) {
  static const void* const kHandlers[isa::kOpCount] = {
      &&op_ILLEGAL,
#define HB_OP(name, match, mask, fmt, cls) &&op_##name,
#include "core/isa/opcodes.def"
#undef HB_OP
  };
  code_pages().observe(h);
  retired_pages_.clear();  // nothing runs from them any more
  uint64_t step = 0;

  while (step < budget) {
    if (h.stop_requested()) return {StopReason::Requested, step};
    if (h.interrupt_pending()) {
      const uint64_t pc = h.pc;
      if (h.take_pending_interrupt() && observer()) observer()->trapped(h, pc, h.last_trap_cause(), 0);
    }
    if (h.waiting()) return {StopReason::Wait, step};
    h.take_sync_request();  // this is a sync point
    const uint64_t start_pc = h.pc;
    try {
      CodePage* page = code_page_for(h, start_pc);
      Slot* slot = page ? &page->slots[(start_pc & kPageMask) >> 1] : nullptr;

      // Decodes the slot for h.pc from the page's bytes; false if the instruction crosses into
      // the next page (never cached: that page could change without this one being told).
      auto decode_slot = [&](Slot& s) -> bool {
        const uint32_t raw = h.fetch(h.pc);
        if (isa::insn_length(raw) == 4 && (h.pc & kPageMask) == kPageSize - 2) return false;
        s.insn = isa::decode(raw);
        s.handler = kHandlers[static_cast<unsigned>(s.insn.op)];
        return true;
      };

      if (!slot || (!slot->handler && !decode_slot(*slot))) {
        // Uncached: an instruction outside RAM or across a page boundary.
        const isa::DecodedInsn d = isa::decode(h.fetch(start_pc));
        h.next_pc = start_pc + d.len;
        isa::execute(h, d);
        h.x[0] = 0;
        h.pc = h.next_pc;
        ++h.instret;
        ++step;
        if (observer()) observer()->retired(h, start_pc, d);
        continue;
      }
      goto* slot->handler;

      // Each handler runs the instruction's body, then either falls through to the next slot of
      // the same page (straight-line code) or returns to the loop above (control transfers,
      // page ends, the end of the budget, and code that changed under us).
#define HB_HANDLER(name)                                                                   \
  op_##name : {                                                                            \
    const uint64_t pc = h.pc;                                                              \
    const uint64_t fallthrough = pc + slot->insn.len;                                      \
    h.next_pc = fallthrough;                                                               \
    isa::exec_##name(h, slot->insn);                                                       \
    h.x[0] = 0;                                                                            \
    h.pc = h.next_pc;                                                                      \
    ++h.instret;                                                                           \
    ++step;                                                                                \
    if constexpr (kObserved) observer()->retired(h, pc, slot->insn);                       \
    if (h.pc != fallthrough || (fallthrough & kPageMask) == 0 || step >= budget ||         \
        h.take_sync_request())                                                             \
      continue;                                                                            \
    slot += slot->insn.len / 2;                                                            \
    if (!slot->handler && !decode_slot(*slot)) continue;                                   \
    goto* slot->handler;                                                                   \
  }
      HB_HANDLER(ILLEGAL)
#define HB_OP(name, match, mask, fmt, cls) HB_HANDLER(name)
#include "core/isa/opcodes.def"
#undef HB_OP
#undef HB_HANDLER
    } catch (const Trap& trap) {
      h.x[0] = 0;
      const uint64_t pc = h.pc;
      h.take_trap(trap);
      ++step;
      if (observer()) observer()->trapped(h, pc, static_cast<uint64_t>(trap.cause), trap.tval);
    }
  }
  return {StopReason::Budget, step};
}

}  // namespace hartbox
