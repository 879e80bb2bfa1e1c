// The execution-engine interface. An engine runs one hart for a slice: up to `budget`
// instructions, or until the hart waits (WFI) or someone asks it to stop, then returns. It
// never owns the thread, the process, a signal handler or the terminal: the manager runs
// thousands of machines in slices on a few host threads.
//
// Engines differ only in how they reach the instruction bodies of core/isa/semantics.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/hart.hpp"
#include "core/isa/decoder.hpp"

namespace hartbox {

// Observes execution for --trace and --stats. Engines call it only when one is attached, so an
// absent tracer costs one predictable branch per instruction.
class ExecutionObserver {
 public:
  virtual ~ExecutionObserver() = default;
  // After an instruction retired; `pc` is its address and hart.next_pc where execution goes on
  // (hart.pc may still be `pc` in the block engine). An observer may end the slice after this
  // instruction with hart.request_stop() and hart.request_sync().
  virtual void retired(const Hart& hart, uint64_t pc, const isa::DecodedInsn& insn) = 0;
  // When a trap or interrupt is taken; `pc` is where it was raised, `cause` has bit 63 for
  // interrupts.
  virtual void trapped(const Hart& hart, uint64_t pc, uint64_t cause, uint64_t tval) = 0;
};

struct SliceResult {
  StopReason reason;
  uint64_t steps;  // instructions retired plus traps taken in this slice
};

// Observers can be compiled out (cmake -DHARTBOX_OBSERVERS=OFF), only to measure what having
// them costs while none is attached: bench/ab_compare.py runs such a build against a normal one.
// A build without them refuses --trace, --stats, --profile and --gdb.
#ifndef HARTBOX_OBSERVERS
#define HARTBOX_OBSERVERS 1
#endif
inline constexpr bool kObserversCompiledIn = HARTBOX_OBSERVERS != 0;

class Engine {
 public:
  virtual ~Engine() = default;
  virtual std::string_view name() const = 0;
  // Runs `hart` for at most `budget` instructions (traps count as one step).
  virtual SliceResult run(Hart& hart, uint64_t budget) = 0;
  void set_observer(ExecutionObserver* observer) { observer_ = observer; }

 protected:
  // The attached observer, or null (always, in a build without observers).
  ExecutionObserver* observer() const { return kObserversCompiledIn ? observer_ : nullptr; }

 private:
  ExecutionObserver* observer_ = nullptr;
};

class CodePages;

// The engines a user can choose with --engine, the default first.
std::vector<std::string_view> engine_names();
// A new engine for one hart; null if `name` is not an engine. Engines that cache decoded code
// share `code_pages` with the other harts' engines of the same machine; with none given, the
// engine keeps its own (fine for a machine with one hart).
std::unique_ptr<Engine> make_engine(std::string_view name, CodePages* code_pages = nullptr);

}  // namespace hartbox
