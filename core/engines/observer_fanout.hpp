// Several observers on one engine (--trace with --stats and --profile): forwards every event to
// each, in order.
#pragma once

#include <vector>

#include "core/engines/engine.hpp"

namespace hartbox {

class ObserverFanout final : public ExecutionObserver {
 public:
  void add(ExecutionObserver* observer) {
    if (observer) observers_.push_back(observer);
  }
  bool empty() const { return observers_.empty(); }
  // The single observer to attach: null for none, the observer itself for one, this for more.
  ExecutionObserver* attachable() {
    return observers_.empty() ? nullptr : observers_.size() == 1 ? observers_.front() : this;
  }
  void retired(const Hart& hart, uint64_t pc, const isa::DecodedInsn& insn) override {
    for (ExecutionObserver* o : observers_) o->retired(hart, pc, insn);
  }
  void trapped(const Hart& hart, uint64_t pc, uint64_t cause, uint64_t tval) override {
    for (ExecutionObserver* o : observers_) o->trapped(hart, pc, cause, tval);
  }

 private:
  std::vector<ExecutionObserver*> observers_;
};

}  // namespace hartbox
