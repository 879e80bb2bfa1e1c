// The threaded interpreter: each instruction is decoded once, into the address of its handler
// and its operands, and kept in a per-code-page table; dispatch jumps from handler to handler
// with computed goto (GCC/Clang labels as values), so a re-executed instruction is never
// decoded again.
//
// Between control transfers it walks the page's table sequentially; interrupts, the budget and
// stop requests are checked at every control transfer and page boundary, so a straight run of
// code delays them by at most one page of instructions (2048).
#pragma once

#include <array>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/engines/caching_engine.hpp"

namespace hartbox {

class ThreadedInterpreter final : public CachingEngine {
 public:
  explicit ThreadedInterpreter(CodePages* code_pages = nullptr) : CachingEngine(code_pages) {}
  std::string_view name() const override { return "threaded"; }
  SliceResult run(Hart& hart, uint64_t budget) override;

 private:
  struct Slot {
    const void* handler = nullptr;  // null: not decoded yet
    isa::DecodedInsn insn;
  };
  // One slot per 2-byte offset of a physical code page.
  struct CodePage {
    std::array<Slot, kPageSize / 2> slots;
  };
  // Virtual page -> decoded page, valid for one translation epoch (see Hart::flush_tlb).
  struct PageCacheEntry {
    uint64_t vpn = ~uint64_t{0};
    uint64_t epoch = 0;
    CodePage* page = nullptr;
  };

  // The dispatch loop, compiled twice: with the observer told of every instruction, and without
  // a test for it. The slots hold one instantiation's handler addresses, so the cache is
  // dropped when an observer comes or goes.
  template <bool kObserved>
  SliceResult run_slots(Hart& hart, uint64_t budget);
  CodePage* code_page_for(Hart& hart, uint64_t pc);
  void drop_page(uint64_t page_number) override;
  void drop_all() override;

  std::unordered_map<uint64_t, std::unique_ptr<CodePage>> pages_;  // by physical page number
  std::vector<std::unique_ptr<CodePage>> retired_pages_;  // dropped while possibly executing
  std::array<PageCacheEntry, 64> page_cache_{};
  bool built_observed_ = false;  // the slots hold run_slots<true>'s handlers
};

}  // namespace hartbox
