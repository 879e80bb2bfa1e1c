// Round robin: one FIFO of runnable machines, a fixed slice each (SchedulerConfig::slice),
// weights and priorities ignored. A machine that wakes or uses up its slice goes to the back.
// Caps are honoured (see CapLimiter in bandwidth.hpp).
#pragma once

#include <deque>
#include <unordered_map>

#include "manager/scheduler/bandwidth.hpp"
#include "manager/scheduler/scheduler.hpp"

namespace hartbox {

class RoundRobinScheduler final : public Scheduler {
 public:
  explicit RoundRobinScheduler(const SchedulerConfig& config) : config_(config), caps_(config.period) {}
  std::string_view name() const override { return "round_robin"; }
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
  size_t runnable_count() const override { return queue_.size(); }

 private:
  struct Entry {
    SchedParams params;
    SchedState state = SchedState::Parked;
    SchedTime consumed = 0;
  };
  Entry& entry(VmId vm);
  void release_throttled(SchedTime now);

  SchedulerConfig config_;
  std::unordered_map<VmId, Entry> entries_;
  std::deque<VmId> queue_;
  CapLimiter caps_;
};

}  // namespace hartbox
