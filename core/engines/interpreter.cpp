#include "core/engines/interpreter.hpp"

#include "core/isa/semantics.hpp"

namespace hartbox {

SliceResult Interpreter::run(Hart& h, uint64_t budget) {
  uint64_t step = 0;
  for (; step < budget; ++step) {
    if (h.stop_requested()) return {StopReason::Requested, step};
    if (h.interrupt_pending()) {
      const uint64_t pc = h.pc;
      if (h.take_pending_interrupt() && observer()) observer()->trapped(h, pc, h.last_trap_cause(), 0);
    }
    if (h.waiting()) return {StopReason::Wait, step};
    const uint64_t pc = h.pc;
    try {
      const isa::DecodedInsn d = isa::decode(h.fetch(pc));
      h.next_pc = pc + d.len;
      isa::execute(h, d);
      h.x[0] = 0;
      h.pc = h.next_pc;
      ++h.instret;
      if (observer()) [[unlikely]] observer()->retired(h, pc, d);
    } catch (const Trap& trap) {
      h.x[0] = 0;
      h.take_trap(trap);
      if (observer()) observer()->trapped(h, pc, static_cast<uint64_t>(trap.cause), trap.tval);
    }
  }
  return {StopReason::Budget, step};
}

}  // namespace hartbox
