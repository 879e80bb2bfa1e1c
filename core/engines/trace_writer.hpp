// --trace: one line per retired instruction (hart, privilege, pc, raw bits, Capstone
// disassembly, the register written and its new value), in the spirit of Spike's
// --log-commits, with the events that matter marked: ">>> trap:", ">>> interrupt:",
// ">>> privilege:" changes and "--- mmio" device accesses. Filters keep a trace readable: an
// address range, a privilege mode, the first N instructions, or traps only.
#pragma once

#include <cstdio>

#include "core/engines/engine.hpp"
#include "core/isa/disassembler.hpp"

namespace hartbox {

struct TraceFilter {
  uint64_t low = 0, high = ~uint64_t{0};  // pc range [low, high)
  unsigned privilege_mask = 0b1011;        // bit per mode: 1 = U, 2 = S, 8 = M
  uint64_t max_instructions = ~uint64_t{0};  // stop tracing after this many lines
  bool traps_only = false;
};

class TraceWriter final : public ExecutionObserver, public MmioObserver {
 public:
  explicit TraceWriter(std::FILE* out, TraceFilter filter = {}) : out_(out), filter_(filter) {}
  void retired(const Hart& hart, uint64_t pc, const isa::DecodedInsn& insn) override;
  void trapped(const Hart& hart, uint64_t pc, uint64_t cause, uint64_t tval) override;
  void mmio(const Hart& hart, uint64_t paddr, unsigned size, uint64_t value, bool write) override;

 private:
  bool wanted(const Hart& hart, uint64_t pc) const;
  void note_privilege(const Hart& hart);

  std::FILE* out_;
  TraceFilter filter_;
  isa::Disassembler disassembler_;
  uint64_t lines_ = 0;
  unsigned last_priv_ = 3;
};

// Which register file an instruction writes its result to, for traces and lockstep diffs.
enum class Destination { None, Integer, Float };
Destination destination_of(isa::Op op);

}  // namespace hartbox
