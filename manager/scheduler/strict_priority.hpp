// Strict priority: the runnable machine with the highest SchedParams::priority runs; machines of
// equal priority take turns (round robin, a fixed slice each). Lower priorities run only when
// no higher one is runnable, so they can starve: that is the point of the policy. Weights are
// ignored; caps are honoured (a throttled machine lets lower priorities run).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <unordered_map>

#include "manager/scheduler/bandwidth.hpp"
#include "manager/scheduler/scheduler.hpp"

namespace hartbox {

class StrictPriorityScheduler final : public Scheduler {
 public:
  explicit StrictPriorityScheduler(const SchedulerConfig& config) : config_(config), caps_(config.period) {}
  std::string_view name() const override { return "strict_priority"; }
  void add(VmId vm, const SchedParams& params, SchedTime now) override;
  void remove(VmId vm) override;
  void update(VmId vm, const SchedParams& params, SchedTime now) override;
  void set_group_weight(GroupId, uint32_t) override {}
  void wake(VmId vm, SchedTime now) override;
  void park(VmId vm) override;
  std::optional<Pick> pick(unsigned worker, SchedTime now) override;
  void account(VmId vm, SchedTime usage, SchedTime now) override;
  SchedTime next_event() const override { return caps_.next_release(); }
  std::optional<SchedInfo> info(VmId vm) const override;
  size_t runnable_count() const override { return runnable_; }

 private:
  struct Entry {
    SchedParams params;
    SchedState state = SchedState::Parked;
    SchedTime consumed = 0;
  };
  Entry& entry(VmId vm);
  void enqueue(VmId vm, Entry& e);
  void dequeue(VmId vm, const Entry& e);
  void release_throttled(SchedTime now);

  SchedulerConfig config_;
  std::unordered_map<VmId, Entry> entries_;
  std::map<int, std::deque<VmId>, std::greater<>> levels_;  // highest priority first
  size_t runnable_ = 0;
  CapLimiter caps_;
};

}  // namespace hartbox
