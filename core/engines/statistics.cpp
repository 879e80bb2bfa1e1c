#include "core/engines/statistics.hpp"

#include <algorithm>

namespace hartbox {

void ExecutionStatistics::retired(const Hart&, uint64_t pc, const isa::DecodedInsn& insn) {
  const isa::InsnClass cls = isa::op_info(insn.op).cls;
  ++by_class_[static_cast<size_t>(cls)];
  ++retired_;
  if (block_ends_ || !current_) {
    current_ = &blocks_[pc];  // unordered_map references stay valid across insertions
    current_->pc = pc;
    ++current_->entries;
  }
  ++current_->instructions;
  // A basic block ends at a control transfer or a system/CSR instruction, as the block engine
  // cuts them.
  block_ends_ = cls == isa::InsnClass::Branch || cls == isa::InsnClass::Jump || cls == isa::InsnClass::System ||
                cls == isa::InsnClass::Csr;
}

void ExecutionStatistics::trapped(const Hart&, uint64_t, uint64_t cause, uint64_t) {
  ++traps_[cause];
  block_ends_ = true;
}

std::vector<ExecutionStatistics::BlockCount> ExecutionStatistics::hottest_blocks(size_t n) const {
  std::vector<BlockCount> all;
  all.reserve(blocks_.size());
  for (const auto& [pc, count] : blocks_) all.push_back(count);
  const size_t keep = std::min(n, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(),
                    [](const BlockCount& a, const BlockCount& b) {
                      return a.instructions != b.instructions ? a.instructions > b.instructions : a.pc < b.pc;
                    });
  all.resize(keep);
  return all;
}

}  // namespace hartbox
