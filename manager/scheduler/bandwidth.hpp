// Bandwidth limits shared by the policies: usage per period (cgroup v2 cpu.max's model), and the
// caps built on it.
//
// A cap of c allows c * period of usage per period. Usage is charged when a slice ends; a
// machine that reaches its quota is throttled until the period in which its usage falls below
// the quota again. Overruns are carried into the next period as debt (CFS bandwidth control
// does the same), so the long-run share is exact even though slices end a little past the
// quota. Unused quota is not carried: a machine that idles cannot bank a burst.
#pragma once

#include <cstdint>
#include <set>
#include <unordered_map>
#include <utility>

#include "manager/scheduler/scheduler.hpp"

namespace hartbox {

// Usage inside fixed periods that start at the first charge.
struct PeriodUsage {
  SchedTime period_start = 0;
  SchedTime used = 0;  // in the current period, including debt carried from earlier ones
  bool started = false;
  // Moves to the period holding `now`; each elapsed period pays back `quota` of usage.
  void roll(SchedTime now, SchedTime period, SchedTime quota);
};

// The quota of a fraction of one host thread over `period` (at least 1 unit for any cap > 0).
SchedTime quota_of(double fraction, SchedTime period);

class CapLimiter {
 public:
  explicit CapLimiter(SchedTime period) : period_(period ? period : 1) {}
  SchedTime period() const { return period_; }

  // Sets (cap > 0) or removes (cap == 0) a machine's cap; removing one releases its throttle.
  void set(VmId vm, double cap);
  void forget(VmId vm);
  bool capped(VmId vm) const { return caps_.count(vm) != 0; }

  // Charges usage; true if the machine is throttled afterwards (until throttled_until()).
  bool charge(VmId vm, SchedTime usage, SchedTime now);
  // Quota left in the current period; kNever when uncapped.
  SchedTime remaining(VmId vm, SchedTime now);
  // True while the machine has used up its quota (release time not yet reached).
  bool throttled(VmId vm, SchedTime now) const;
  SchedTime throttled_until(VmId vm) const;
  SchedTime period_used(VmId vm) const;
  uint64_t throttle_count(VmId vm) const;
  // A policy's info() for a machine: its state, parameters and usage, with this limiter's part.
  SchedInfo info(VmId vm, SchedState state, const SchedParams& params, SchedTime consumed) const;

  // Machines whose throttle ended at or before `now`, earliest first; they are no longer
  // throttled.
  std::vector<VmId> release(SchedTime now);
  SchedTime next_release() const { return throttled_.empty() ? kNever : throttled_.begin()->first; }

 private:
  struct Cap {
    SchedTime quota = 0;
    PeriodUsage usage;
    SchedTime until = 0;  // throttled until (0: not throttled)
    uint64_t throttles = 0;
  };
  SchedTime period_;
  std::unordered_map<VmId, Cap> caps_;
  std::set<std::pair<SchedTime, VmId>> throttled_;  // (until, vm)
};

}  // namespace hartbox
