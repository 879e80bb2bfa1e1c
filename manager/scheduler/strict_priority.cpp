#include "manager/scheduler/strict_priority.hpp"

#include <algorithm>
#include <stdexcept>

namespace hartbox {

StrictPriorityScheduler::Entry& StrictPriorityScheduler::entry(VmId vm) {
  const auto it = entries_.find(vm);
  if (it == entries_.end()) throw std::invalid_argument("strict_priority: unknown vm " + std::to_string(vm));
  return it->second;
}

void StrictPriorityScheduler::enqueue(VmId vm, Entry& e) {
  e.state = SchedState::Runnable;
  levels_[e.params.priority].push_back(vm);
  ++runnable_;
}

void StrictPriorityScheduler::dequeue(VmId vm, const Entry& e) {
  const auto level = levels_.find(e.params.priority);
  auto& queue = level->second;
  queue.erase(std::find(queue.rbegin(), queue.rend(), vm).base() - 1);
  if (queue.empty()) levels_.erase(level);
  --runnable_;
}

void StrictPriorityScheduler::add(VmId vm, const SchedParams& params, SchedTime) {
  validate(params);
  if (!entries_.emplace(vm, Entry{params}).second)
    throw std::invalid_argument("strict_priority: vm " + std::to_string(vm) + " added twice");
  caps_.set(vm, params.cap);
}

void StrictPriorityScheduler::remove(VmId vm) {
  const auto it = entries_.find(vm);
  if (it == entries_.end()) return;
  if (it->second.state == SchedState::Runnable) dequeue(vm, it->second);
  caps_.forget(vm);
  entries_.erase(it);
}

void StrictPriorityScheduler::update(VmId vm, const SchedParams& params, SchedTime now) {
  validate(params);
  Entry& e = entry(vm);
  const bool queued = e.state == SchedState::Runnable;
  if (queued) dequeue(vm, e);
  e.params = params;
  caps_.set(vm, params.cap);
  if (queued || (e.state == SchedState::Throttled && !caps_.throttled(vm, now))) enqueue(vm, e);
}

void StrictPriorityScheduler::wake(VmId vm, SchedTime now) {
  Entry& e = entry(vm);
  if (e.state != SchedState::Parked) return;
  if (caps_.throttled(vm, now))
    e.state = SchedState::Throttled;
  else
    enqueue(vm, e);
}

void StrictPriorityScheduler::park(VmId vm) {
  Entry& e = entry(vm);
  if (e.state == SchedState::Runnable) dequeue(vm, e);
  e.state = SchedState::Parked;
}

void StrictPriorityScheduler::release_throttled(SchedTime now) {
  for (VmId vm : caps_.release(now)) {
    const auto it = entries_.find(vm);
    if (it != entries_.end() && it->second.state == SchedState::Throttled) enqueue(vm, it->second);
  }
}

std::optional<Pick> StrictPriorityScheduler::pick(unsigned, SchedTime now) {
  release_throttled(now);
  if (levels_.empty()) return std::nullopt;
  auto level = levels_.begin();
  const VmId vm = level->second.front();
  level->second.pop_front();
  if (level->second.empty()) levels_.erase(level);
  --runnable_;
  entries_.at(vm).state = SchedState::OnCpu;
  return Pick{vm, std::max<SchedTime>(1, std::min(config_.slice, caps_.remaining(vm, now)))};
}

void StrictPriorityScheduler::account(VmId vm, SchedTime usage, SchedTime now) {
  Entry& e = entry(vm);
  e.consumed += usage;
  if (caps_.charge(vm, usage, now))
    e.state = SchedState::Throttled;
  else
    enqueue(vm, e);
}

std::optional<SchedInfo> StrictPriorityScheduler::info(VmId vm) const {
  const auto it = entries_.find(vm);
  if (it == entries_.end()) return std::nullopt;
  return caps_.info(vm, it->second.state, it->second.params, it->second.consumed);
}

}  // namespace hartbox
