// --stats: what the guest executed, gathered by an ExecutionObserver (so it costs nothing when
// not attached): instructions by class, the hottest basic blocks, traps and interrupts by cause.
// Engine-internal counters (block cache, TLB) are read from the engines and the harts at the end.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <unordered_map>
#include <vector>

#include "core/engines/engine.hpp"

namespace hartbox {

class ExecutionStatistics final : public ExecutionObserver {
 public:
  void retired(const Hart& hart, uint64_t pc, const isa::DecodedInsn& insn) override;
  void trapped(const Hart& hart, uint64_t pc, uint64_t cause, uint64_t tval) override;

  struct BlockCount {
    uint64_t pc = 0;          // where the block starts
    uint64_t entries = 0;     // times it was entered
    uint64_t instructions = 0;  // instructions retired in it
  };
  // The `n` blocks with the most instructions retired, most first.
  std::vector<BlockCount> hottest_blocks(size_t n) const;

  static constexpr size_t kClasses = static_cast<size_t>(isa::InsnClass::System) + 1;
  const std::array<uint64_t, kClasses>& by_class() const { return by_class_; }
  // Trap and interrupt counts by mcause value (bit 63 set for interrupts).
  const std::map<uint64_t, uint64_t>& traps() const { return traps_; }
  uint64_t retired_total() const { return retired_; }

 private:
  std::array<uint64_t, kClasses> by_class_{};
  std::map<uint64_t, uint64_t> traps_;
  std::unordered_map<uint64_t, BlockCount> blocks_;
  BlockCount* current_ = nullptr;
  bool block_ends_ = true;  // the next instruction starts a new block
  uint64_t retired_ = 0;
};

}  // namespace hartbox
