// Fair share: proportional sharing by weight, like Linux CFS/EEVDF and cgroup v2 cpu.weight,
// in two levels. Groups (tenants) share the host by group weight; machines share their group's
// part by machine weight.
//
// Virtual runtime. Each machine's vruntime grows by usage * kScale / weight, and each group's
// by usage * kScale / group weight; pick() takes the group with the least vruntime among those
// with a runnable machine, then the machine with the least vruntime in that group. Over any
// interval in which a set of machines stays runnable, each one's usage is then proportional to
// its weight, to within one slice.
//
// Slices are weight-scaled: slice * weight / 100, clamped to [min_slice, slice]. Every slice
// then advances vruntime by about the same amount, so the error bound (one slice of vruntime)
// is the same relative share for a machine of weight 1 as for one of weight 10000.
//
// Wake-ups. A machine that wakes (from WFI, a pause, or a throttle) gets
//   vruntime = max(own vruntime, group min_vruntime - wake_bonus * kScale / weight)
// so it runs promptly (ahead of the machines that kept running) but can bank at most
// wake_bonus of CPU time while asleep. Groups that become active again are placed the same way
// against the least group vruntime. min_vruntime never decreases.
//
// Caps (bandwidth.hpp) throttle a machine for the rest of a period. Reservations guarantee a
// machine reservation * period of usage per period while it is runnable: a machine below its
// reservation is picked before the fair order (the one furthest below first); what it uses is
// charged to its vruntime as usual, so the fair share it gets on top is reduced accordingly.
#pragma once

#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "manager/scheduler/bandwidth.hpp"
#include "manager/scheduler/scheduler.hpp"

namespace hartbox {

class FairShareScheduler final : public Scheduler {
 public:
  // vruntime advances by usage * kScale / weight: with weights up to 10000, usage in ns and
  // kScale 2^16, 64 bits last ~8,900 years of CPU time at weight 1.
  static constexpr uint64_t kScale = uint64_t{1} << 16;

  explicit FairShareScheduler(const SchedulerConfig& config);
  std::string_view name() const override { return "fair_share"; }
  void add(VmId vm, const SchedParams& params, SchedTime now) override;
  void remove(VmId vm) override;
  void update(VmId vm, const SchedParams& params, SchedTime now) override;
  void set_group_weight(GroupId group, uint32_t weight) override;
  void wake(VmId vm, SchedTime now) override;
  void park(VmId vm) override;
  std::optional<Pick> pick(unsigned worker, SchedTime now) override;
  void account(VmId vm, SchedTime usage, SchedTime now) override;
  SchedTime next_event() const override;
  std::optional<SchedInfo> info(VmId vm) const override;
  size_t runnable_count() const override { return runnable_; }

  // For tests and inspection.
  uint64_t group_vruntime(GroupId group) const;
  uint64_t group_min_vruntime(GroupId group) const;  // of the machines in the group
  uint64_t min_group_vruntime() const { return min_group_vruntime_; }

 private:
  struct Entry {
    SchedParams params;
    SchedState state = SchedState::Parked;
    SchedTime consumed = 0;
    uint64_t vruntime = 0;
    PeriodUsage reserved;  // usage this period, for the reservation
  };
  struct Group {
    uint32_t weight = SchedParams::kDefaultWeight;
    uint64_t vruntime = 0;
    uint64_t min_vruntime = 0;                       // of its machines, never decreasing
    std::set<std::pair<uint64_t, VmId>> queue;       // runnable machines by vruntime
    size_t members = 0;
    size_t on_cpu = 0;
  };

  Entry& entry(VmId vm);
  Group& group(GroupId id);
  // `waking`: it was not runnable a moment ago, so the wake-up lag rule applies.
  void enqueue(VmId vm, Entry& e, bool waking);
  void dequeue(VmId vm, Entry& e);
  void place_on_wake(Entry& e, Group& g);
  void update_min_vruntime(Group& g, const Entry* current);
  void release_throttled(SchedTime now);
  SchedTime slice_for(const Entry& e) const;
  std::optional<VmId> pick_reserved(SchedTime now);

  SchedulerConfig config_;
  std::unordered_map<VmId, Entry> entries_;
  std::map<GroupId, Group> groups_;
  std::set<std::pair<uint64_t, GroupId>> group_queue_;  // groups with a runnable machine
  uint64_t min_group_vruntime_ = 0;                     // never decreasing
  std::set<VmId> reserving_;                            // machines with a reservation
  size_t runnable_ = 0;
  CapLimiter caps_;
};

}  // namespace hartbox
