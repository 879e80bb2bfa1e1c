#include "manager/scheduler/fair_share.hpp"

#include <algorithm>
#include <stdexcept>

namespace hartbox {

namespace {
// vruntime units for `usage` at `weight`.
uint64_t weighted(SchedTime usage, uint32_t weight) {
  __extension__ typedef unsigned __int128 u128;  // GCC/Clang: exact for any usage
  const u128 v = static_cast<u128>(usage) * FairShareScheduler::kScale / weight;
  return v > UINT64_MAX ? UINT64_MAX : static_cast<uint64_t>(v);
}
}  // namespace

FairShareScheduler::FairShareScheduler(const SchedulerConfig& config) : config_(config), caps_(config.period) {}

FairShareScheduler::Entry& FairShareScheduler::entry(VmId vm) {
  const auto it = entries_.find(vm);
  if (it == entries_.end()) throw std::invalid_argument("fair_share: unknown vm " + std::to_string(vm));
  return it->second;
}

FairShareScheduler::Group& FairShareScheduler::group(GroupId id) {
  auto [it, inserted] = groups_.try_emplace(id);
  // A new group starts level with the least-served active one: no credit for being new.
  if (inserted) it->second.vruntime = min_group_vruntime_;
  return it->second;
}

uint64_t FairShareScheduler::group_vruntime(GroupId id) const {
  const auto it = groups_.find(id);
  return it == groups_.end() ? 0 : it->second.vruntime;
}

uint64_t FairShareScheduler::group_min_vruntime(GroupId id) const {
  const auto it = groups_.find(id);
  return it == groups_.end() ? 0 : it->second.min_vruntime;
}

void FairShareScheduler::enqueue(VmId vm, Entry& e, bool waking) {
  const GroupId gid = e.params.group;
  Group& g = group(gid);
  if (waking) place_on_wake(e, g);
  const bool group_was_idle = g.queue.empty();
  if (group_was_idle && g.on_cpu == 0 && waking) {
    // The group becomes active again: the same lag rule one level up.
    const uint64_t bonus = weighted(config_.wake_bonus, g.weight);
    g.vruntime = std::max(g.vruntime, min_group_vruntime_ > bonus ? min_group_vruntime_ - bonus : 0);
  }
  g.queue.insert({e.vruntime, vm});
  if (group_was_idle) group_queue_.insert({g.vruntime, gid});
  e.state = SchedState::Runnable;
  ++runnable_;
}

void FairShareScheduler::dequeue(VmId vm, Entry& e) {
  const GroupId gid = e.params.group;
  Group& g = groups_.at(gid);
  g.queue.erase({e.vruntime, vm});
  if (g.queue.empty()) group_queue_.erase({g.vruntime, gid});
  --runnable_;
}

void FairShareScheduler::place_on_wake(Entry& e, Group& g) {
  const uint64_t bonus = weighted(config_.wake_bonus, e.params.weight);
  e.vruntime = std::max(e.vruntime, g.min_vruntime > bonus ? g.min_vruntime - bonus : 0);
}

void FairShareScheduler::update_min_vruntime(Group& g, const Entry* current) {
  uint64_t candidate = UINT64_MAX;
  if (!g.queue.empty()) candidate = g.queue.begin()->first;
  if (current) candidate = std::min(candidate, current->vruntime);
  if (candidate != UINT64_MAX) g.min_vruntime = std::max(g.min_vruntime, candidate);
}

void FairShareScheduler::add(VmId vm, const SchedParams& params, SchedTime) {
  validate(params);
  if (entries_.count(vm)) throw std::invalid_argument("fair_share: vm " + std::to_string(vm) + " added twice");
  Group& g = group(params.group);
  Entry e;
  e.params = params;
  e.vruntime = g.min_vruntime;  // level with its group: no credit for being new
  entries_.emplace(vm, e);
  ++g.members;
  caps_.set(vm, params.cap);
  if (params.reservation > 0.0) reserving_.insert(vm);
}

void FairShareScheduler::remove(VmId vm) {
  const auto it = entries_.find(vm);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  Group& g = groups_.at(e.params.group);
  if (e.state == SchedState::Runnable) dequeue(vm, e);
  if (e.state == SchedState::OnCpu) --g.on_cpu;
  --g.members;
  caps_.forget(vm);
  reserving_.erase(vm);
  entries_.erase(it);
}

void FairShareScheduler::update(VmId vm, const SchedParams& params, SchedTime now) {
  validate(params);
  Entry& e = entry(vm);
  const bool queued = e.state == SchedState::Runnable;
  if (queued) dequeue(vm, e);
  if (params.group != e.params.group) {
    Group& old_group = groups_.at(e.params.group);
    --old_group.members;
    if (e.state == SchedState::OnCpu) --old_group.on_cpu;
    Group& new_group = group(params.group);
    ++new_group.members;
    if (e.state == SchedState::OnCpu) ++new_group.on_cpu;
    e.vruntime = new_group.min_vruntime;  // vruntimes of different groups do not compare
  }
  e.params = params;
  caps_.set(vm, params.cap);
  if (params.reservation > 0.0)
    reserving_.insert(vm);
  else
    reserving_.erase(vm);
  if (queued || (e.state == SchedState::Throttled && !caps_.throttled(vm, now))) enqueue(vm, e, !queued);
}

void FairShareScheduler::set_group_weight(GroupId id, uint32_t weight) {
  if (weight < 1 || weight > SchedParams::kMaxWeight)
    throw std::invalid_argument("a group weight must be between 1 and " + std::to_string(SchedParams::kMaxWeight));
  group(id).weight = weight;
}

void FairShareScheduler::wake(VmId vm, SchedTime now) {
  Entry& e = entry(vm);
  if (e.state != SchedState::Parked) return;
  if (caps_.throttled(vm, now))
    e.state = SchedState::Throttled;
  else
    enqueue(vm, e, true);
}

void FairShareScheduler::park(VmId vm) {
  Entry& e = entry(vm);
  if (e.state == SchedState::Runnable) dequeue(vm, e);
  if (e.state == SchedState::OnCpu) --groups_.at(e.params.group).on_cpu;
  e.state = SchedState::Parked;
}

void FairShareScheduler::release_throttled(SchedTime now) {
  for (VmId vm : caps_.release(now)) {
    const auto it = entries_.find(vm);
    // It kept running elsewhere in the meantime: throttling is no sleep that earns a bonus,
    // but the lag rule still stops it from coming back with banked credit.
    if (it != entries_.end() && it->second.state == SchedState::Throttled) enqueue(vm, it->second, true);
  }
}

namespace {
// Usage in the reservation's current period (reset, not carried, at each period start).
void roll_reservation(PeriodUsage& usage, SchedTime now, SchedTime period) {
  if (!usage.started) {
    usage.started = true;
    usage.period_start = now;
    usage.used = 0;
  } else if (now >= usage.period_start && now - usage.period_start >= period) {
    usage.period_start += (now - usage.period_start) / period * period;
    usage.used = 0;
  }
}
}  // namespace

std::optional<VmId> FairShareScheduler::pick_reserved(SchedTime now) {
  std::optional<VmId> best;
  double best_ratio = 1.0;
  for (VmId vm : reserving_) {
    Entry& e = entries_.at(vm);
    if (e.state != SchedState::Runnable) continue;
    roll_reservation(e.reserved, now, config_.period);
    const double quota = static_cast<double>(quota_of(e.params.reservation, config_.period));
    const double ratio = static_cast<double>(e.reserved.used) / quota;
    if (ratio < best_ratio) {
      best_ratio = ratio;
      best = vm;
    }
  }
  return best;
}

SchedTime FairShareScheduler::slice_for(const Entry& e) const {
  const SchedTime scaled = config_.slice / SchedParams::kDefaultWeight * e.params.weight +
                           config_.slice % SchedParams::kDefaultWeight * e.params.weight / SchedParams::kDefaultWeight;
  return std::clamp(scaled, std::min(config_.min_slice, config_.slice), config_.slice);
}

std::optional<Pick> FairShareScheduler::pick(unsigned, SchedTime now) {
  release_throttled(now);
  std::optional<VmId> chosen = pick_reserved(now);
  if (!chosen) {
    if (group_queue_.empty()) return std::nullopt;
    const Group& g = groups_.at(group_queue_.begin()->second);
    chosen = g.queue.begin()->second;
  }
  const VmId vm = *chosen;
  Entry& e = entries_.at(vm);
  dequeue(vm, e);
  e.state = SchedState::OnCpu;
  ++groups_.at(e.params.group).on_cpu;
  SchedTime budget = slice_for(e);
  if (caps_.capped(vm)) budget = std::min(budget, caps_.remaining(vm, now));
  return Pick{vm, std::max<SchedTime>(1, budget)};
}

void FairShareScheduler::account(VmId vm, SchedTime usage, SchedTime now) {
  Entry& e = entry(vm);
  if (e.state != SchedState::OnCpu) throw std::logic_error("fair_share: account() for a vm that is not on a cpu");
  const GroupId gid = e.params.group;
  Group& g = groups_.at(gid);
  --g.on_cpu;
  e.consumed += usage;
  e.vruntime += weighted(usage, e.params.weight);
  // The group's key in group_queue_ changes with its vruntime.
  const bool group_queued = !g.queue.empty();
  if (group_queued) group_queue_.erase({g.vruntime, gid});
  g.vruntime += weighted(usage, g.weight);
  if (group_queued) group_queue_.insert({g.vruntime, gid});
  if (e.params.reservation > 0.0) {
    roll_reservation(e.reserved, now, config_.period);
    e.reserved.used += usage;
  }
  update_min_vruntime(g, &e);
  uint64_t least_group = g.vruntime;
  if (!group_queue_.empty()) least_group = std::min(least_group, group_queue_.begin()->first);
  min_group_vruntime_ = std::max(min_group_vruntime_, least_group);

  if (caps_.charge(vm, usage, now))
    e.state = SchedState::Throttled;
  else
    enqueue(vm, e, false);
}

SchedTime FairShareScheduler::next_event() const { return caps_.next_release(); }

std::optional<SchedInfo> FairShareScheduler::info(VmId vm) const {
  const auto it = entries_.find(vm);
  if (it == entries_.end()) return std::nullopt;
  SchedInfo info = caps_.info(vm, it->second.state, it->second.params, it->second.consumed);
  info.vruntime = it->second.vruntime;
  return info;
}

}  // namespace hartbox
