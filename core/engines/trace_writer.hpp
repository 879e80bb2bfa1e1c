// --trace: one line per retired instruction (hart, privilege, pc, raw bits, Capstone
// disassembly, the register written and its new value) and one per trap, in the spirit of
// Spike's --log-commits.
#pragma once

#include <cstdio>

#include "core/engines/engine.hpp"
#include "core/isa/disassembler.hpp"

namespace hartbox {

class TraceWriter final : public ExecutionObserver {
 public:
  explicit TraceWriter(std::FILE* out) : out_(out) {}
  void retired(const Hart& hart, uint64_t pc, const isa::DecodedInsn& insn) override;
  void trapped(const Hart& hart, uint64_t pc, uint64_t cause, uint64_t tval) override;

 private:
  std::FILE* out_;
  isa::Disassembler disassembler_;
};

// Which register file an instruction writes its result to, for traces and lockstep diffs.
enum class Destination { None, Integer, Float };
Destination destination_of(isa::Op op);

}  // namespace hartbox
