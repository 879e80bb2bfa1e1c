// --profile: where a guest program spends its instructions, as a folded-stack profile
// ("main;parse;next_token 1234" per line) that any flame-graph viewer reads (flamegraph.pl,
// speedscope, Perfetto). Calls and returns are followed as the RISC-V calling convention marks
// them (jal/jalr writing ra or t0 calls; jalr x0, 0(ra|t0) returns), and each retired
// instruction counts for the stack it ran under, symbolised from the program's ELF symbols.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/engines/engine.hpp"

namespace hartbox {

class Profiler final : public ExecutionObserver {
 public:
  // `symbols`: (address, name) of the program's functions and labels.
  explicit Profiler(std::vector<std::pair<uint64_t, std::string>> symbols);

  void retired(const Hart& hart, uint64_t pc, const isa::DecodedInsn& insn) override;
  void trapped(const Hart& hart, uint64_t pc, uint64_t cause, uint64_t tval) override;

  // Writes one "frame;frame;leaf count" line per distinct stack.
  void write_folded(std::FILE* out) const;

 private:
  // Stacks form a tree; node 0 is the root. Each node is a function entered by a call.
  struct Node {
    uint32_t parent;
    uint32_t function;
    std::unordered_map<uint32_t, uint32_t> children;  // function -> node
    std::unordered_map<uint32_t, uint64_t> self;      // leaf function -> instructions
  };
  uint32_t function_at(uint64_t pc) const;
  uint32_t child(uint32_t node, uint32_t function);
  std::string name_of(uint32_t function) const;

  std::vector<std::pair<uint64_t, std::string>> symbols_;  // sorted by address
  std::vector<Node> nodes_;
  std::vector<uint32_t> stack_per_hart_;  // current node of each hart
};

}  // namespace hartbox
