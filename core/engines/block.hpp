// The basic-block engine (the default): a block of straight-line code, up to a control
// transfer, a system or CSR instruction, the end of its page or kMaxBlockInsns instructions, is
// decoded once into a compact array of operations, each holding the address of its handler
// (computed goto) and its decoded operands. Blocks are found by physical address, through a
// jump cache keyed by virtual address for the current translation; a block remembers its
// successors and jumps straight to them (chaining) while the translation is unchanged; and a
// block counts its instructions once, not once per instruction.
//
// Bounds: interrupts, the budget and stop requests are checked between blocks, so a loop
// inside a block delays them by at most kMaxBlockInsns instructions; anything that can make an
// interrupt pending or change translation or code (CSR writes, device accesses, code
// invalidation) ends the block right after the instruction that did it (Hart::request_sync).
#pragma once

#include <array>
#include <memory>
#include <unordered_map>
#include <vector>

#include "core/engines/caching_engine.hpp"

namespace hartbox {

class BlockEngine final : public CachingEngine {
 public:
  explicit BlockEngine(CodePages* code_pages = nullptr) : CachingEngine(code_pages) {}
  static constexpr unsigned kMaxBlockInsns = 128;

  std::string_view name() const override { return "block"; }
  SliceResult run(Hart& hart, uint64_t budget) override;

  struct Stats {
    uint64_t blocks_built = 0, lookups = 0, jump_cache_hits = 0, chained = 0, invalidations = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  // Each operation has four handlers: `last` sets hart.pc and hart.next_pc, runs the
  // instruction and ends the block, for a block's last operation (control transfers, system and
  // CSR instructions always are); `with_pc` sets them for an instruction inside a block that
  // reads the pc (auipc); `plain` does not, for the rest (a trap or a sync point inside the
  // block recomputes the pc from the operation's offset); `observed` sets the pc and tells the
  // observer, for blocks built while one watches. So an operation in the middle of a block pays
  // neither for the pc, nor for a test of the block's end, nor for a test of the observer, and
  // only a memory access tests for a sync point.
  struct Handlers {
    const void* const* plain;
    const void* const* with_pc;
    const void* const* last;
    const void* const* observed;
  };
  struct Op {
    const void* handler;
    isa::DecodedInsn insn;
    uint32_t offset;  // from the block's first instruction
  };
  // A block and its operations are one allocation, the operations right after the header, so
  // entering a block touches one object, not a header and then a separate array (two dependent
  // cache misses when thousands of blocks are out of cache).
  struct Block {
    uint64_t paddr = 0;
    uint32_t count = 0;  // operations
    Op* ops() { return reinterpret_cast<Op*>(this + 1); }
    // Successor blocks by their start pc, valid while `link_stamp` matches (same translation
    // epoch and no block dropped since they were made).
    std::array<uint64_t, 2> next_pc{~uint64_t{0}, ~uint64_t{0}};
    std::array<Block*, 2> next{nullptr, nullptr};
    uint64_t link_epoch = ~uint64_t{0};
    uint64_t link_generation = ~uint64_t{0};
  };
  struct JumpCacheEntry {
    uint64_t pc = ~uint64_t{0};
    uint64_t epoch = 0;
    uint64_t generation = 0;
    Block* block = nullptr;
  };

  // The block starting at `pc`, built on first use; null if code at `pc` cannot be cached (not
  // in RAM, or an instruction crossing into the next page). Raises fetch faults.
  Block* lookup(Hart& hart, uint64_t pc, const Handlers& handlers);
  Block* build(Hart& hart, uint64_t pc, uint64_t paddr, const uint8_t* host_page, const Handlers& handlers);
  void drop_page(uint64_t page_number) override;
  void drop_all() override;
  void notify_retired(Hart& hart, const Op& op, ptrdiff_t index, uint64_t count);

  struct BlockDeleter {
    void operator()(Block* block) const;
  };
  using BlockPtr = std::unique_ptr<Block, BlockDeleter>;
  static BlockPtr new_block(uint64_t paddr, const Op* ops, uint32_t count);

  std::unordered_map<uint64_t, BlockPtr> blocks_;                    // by physical start address
  std::unordered_map<uint64_t, std::vector<uint64_t>> page_blocks_;  // page number -> block starts
  std::vector<BlockPtr> retired_blocks_;  // dropped while possibly executing
  // pc -> block, direct-mapped. It grows with the number of blocks (64 entries to 4096): a
  // machine that runs a few blocks, like the thousands idle in a fleet, does not pay 128 KiB.
  static constexpr size_t kFirstJumpCache = 64, kMaxJumpCache = 4096;
  std::vector<JumpCacheEntry> jump_cache_ = std::vector<JumpCacheEntry>(kFirstJumpCache);
  uint64_t generation_ = 0;  // counts drops, so links to dropped blocks are never followed
  bool built_observed_ = false;  // the cached blocks set the pc at every operation
  Stats stats_;
};

}  // namespace hartbox
