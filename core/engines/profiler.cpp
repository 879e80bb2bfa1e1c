#include "core/engines/profiler.hpp"

#include <algorithm>
#include <cinttypes>

namespace hartbox {

namespace {
constexpr uint32_t kUnknownFunction = ~uint32_t{0};
bool is_link_register(unsigned reg) { return reg == 1 || reg == 5; }  // ra, t0 (alternate link)
}  // namespace

Profiler::Profiler(std::vector<std::pair<uint64_t, std::string>> symbols) : symbols_(std::move(symbols)) {
  std::sort(symbols_.begin(), symbols_.end());
  nodes_.push_back(Node{0, kUnknownFunction, {}, {}});
}

uint32_t Profiler::function_at(uint64_t pc) const {
  auto it = std::upper_bound(symbols_.begin(), symbols_.end(), pc,
                             [](uint64_t value, const auto& symbol) { return value < symbol.first; });
  if (it == symbols_.begin()) return kUnknownFunction;
  return static_cast<uint32_t>(std::distance(symbols_.begin(), it) - 1);
}

uint32_t Profiler::child(uint32_t node, uint32_t function) {
  auto found = nodes_[node].children.find(function);
  if (found != nodes_[node].children.end()) return found->second;
  const auto index = static_cast<uint32_t>(nodes_.size());
  nodes_.push_back(Node{node, function, {}, {}});
  nodes_[node].children.emplace(function, index);
  return index;
}

void Profiler::retired(const Hart& hart, uint64_t pc, const isa::DecodedInsn& insn) {
  const auto id = static_cast<size_t>(hart.hart_id());
  if (stack_per_hart_.size() <= id) stack_per_hart_.resize(id + 1, 0);
  uint32_t& node = stack_per_hart_[id];
  ++nodes_[node].self[function_at(pc)];
  const bool call = (insn.op == isa::Op::JAL || insn.op == isa::Op::JALR) && is_link_register(insn.rd);
  const bool ret = insn.op == isa::Op::JALR && insn.rd == 0 && is_link_register(insn.rs1) && insn.imm == 0;
  if (call) {
    node = child(node, function_at(hart.pc));  // hart.pc is the callee now
  } else if (ret && node != 0) {
    node = nodes_[node].parent;
  }
}

void Profiler::trapped(const Hart&, uint64_t, uint64_t, uint64_t) {}

std::string Profiler::name_of(uint32_t function) const {
  if (function == kUnknownFunction || function >= symbols_.size()) return "[unknown]";
  return symbols_[function].second;
}

void Profiler::write_folded(std::FILE* out) const {
  for (size_t n = 0; n < nodes_.size(); ++n) {
    std::vector<std::string> frames;
    for (size_t at = n; at != 0; at = nodes_[at].parent) frames.push_back(name_of(nodes_[at].function));
    std::reverse(frames.begin(), frames.end());
    std::string prefix;
    for (const std::string& frame : frames) prefix += frame + ";";
    for (const auto& [leaf, count] : nodes_[n].self) {
      // The leaf is the function the instructions ran in; skip it when it is the frame itself.
      std::string line = prefix;
      if (frames.empty() || name_of(leaf) != frames.back())
        line += name_of(leaf);
      else
        line.pop_back();
      std::fprintf(out, "%s %" PRIu64 "\n", line.c_str(), count);
    }
  }
}

}  // namespace hartbox
