#include "manager/scheduler/round_robin.hpp"

#include <algorithm>
#include <stdexcept>

namespace hartbox {

RoundRobinScheduler::Entry& RoundRobinScheduler::entry(VmId vm) {
  const auto it = entries_.find(vm);
  if (it == entries_.end()) throw std::invalid_argument("round_robin: unknown vm " + std::to_string(vm));
  return it->second;
}

void RoundRobinScheduler::add(VmId vm, const SchedParams& params, SchedTime) {
  validate(params);
  if (!entries_.emplace(vm, Entry{params}).second)
    throw std::invalid_argument("round_robin: vm " + std::to_string(vm) + " added twice");
  caps_.set(vm, params.cap);
}

void RoundRobinScheduler::remove(VmId vm) {
  const auto it = entries_.find(vm);
  if (it == entries_.end()) return;
  if (it->second.state == SchedState::Runnable) queue_.erase(std::find(queue_.begin(), queue_.end(), vm));
  caps_.forget(vm);
  entries_.erase(it);
}

void RoundRobinScheduler::update(VmId vm, const SchedParams& params, SchedTime now) {
  validate(params);
  Entry& e = entry(vm);
  e.params = params;
  caps_.set(vm, params.cap);
  if (e.state == SchedState::Throttled && !caps_.throttled(vm, now)) {
    e.state = SchedState::Runnable;
    queue_.push_back(vm);
  }
}

void RoundRobinScheduler::wake(VmId vm, SchedTime now) {
  Entry& e = entry(vm);
  if (e.state != SchedState::Parked) return;
  if (caps_.throttled(vm, now)) {
    e.state = SchedState::Throttled;
    return;
  }
  e.state = SchedState::Runnable;
  queue_.push_back(vm);
}

void RoundRobinScheduler::park(VmId vm) {
  Entry& e = entry(vm);
  // After account() the machine is at the back: search from there.
  if (e.state == SchedState::Runnable) queue_.erase(std::find(queue_.rbegin(), queue_.rend(), vm).base() - 1);
  e.state = SchedState::Parked;
}

void RoundRobinScheduler::release_throttled(SchedTime now) {
  for (VmId vm : caps_.release(now)) {
    const auto it = entries_.find(vm);
    if (it == entries_.end() || it->second.state != SchedState::Throttled) continue;
    it->second.state = SchedState::Runnable;
    queue_.push_back(vm);
  }
}

std::optional<Pick> RoundRobinScheduler::pick(unsigned, SchedTime now) {
  release_throttled(now);
  if (queue_.empty()) return std::nullopt;
  const VmId vm = queue_.front();
  queue_.pop_front();
  entries_.at(vm).state = SchedState::OnCpu;
  return Pick{vm, std::max<SchedTime>(1, std::min(config_.slice, caps_.remaining(vm, now)))};
}

void RoundRobinScheduler::account(VmId vm, SchedTime usage, SchedTime now) {
  Entry& e = entry(vm);
  e.consumed += usage;
  if (caps_.charge(vm, usage, now)) {
    e.state = SchedState::Throttled;
    return;
  }
  e.state = SchedState::Runnable;
  queue_.push_back(vm);
}

std::optional<SchedInfo> RoundRobinScheduler::info(VmId vm) const {
  const auto it = entries_.find(vm);
  if (it == entries_.end()) return std::nullopt;
  return caps_.info(vm, it->second.state, it->second.params, it->second.consumed);
}

}  // namespace hartbox
