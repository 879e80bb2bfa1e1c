#include "manager/scheduler/bandwidth.hpp"

#include <algorithm>
#include <cmath>

namespace hartbox {

void PeriodUsage::roll(SchedTime now, SchedTime period, SchedTime quota) {
  if (!started) {
    started = true;
    period_start = now;
    return;
  }
  if (now < period_start || now - period_start < period) return;
  const SchedTime elapsed = (now - period_start) / period;
  period_start += elapsed * period;
  // Each elapsed period pays back one quota; saturate rather than overflow after long sleeps.
  const SchedTime repaid = quota != 0 && elapsed > kNever / quota ? kNever : elapsed * quota;
  used = used > repaid ? used - repaid : 0;
}

SchedTime quota_of(double fraction, SchedTime period) {
  if (fraction <= 0.0) return 0;
  const double quota = std::round(std::min(fraction, 1.0) * static_cast<double>(period));
  return std::max<SchedTime>(1, static_cast<SchedTime>(quota));
}

void CapLimiter::set(VmId vm, double cap) {
  if (cap <= 0.0) {
    forget(vm);
    return;
  }
  Cap& c = caps_[vm];
  c.quota = quota_of(cap, period_);
  if (c.until != 0) {
    // A new quota may end (or lengthen) the current throttle.
    throttled_.erase({c.until, vm});
    const SchedTime periods = c.usage.used / c.quota;
    c.until = periods == 0 ? 0 : c.usage.period_start + periods * period_;
    if (c.until != 0) throttled_.insert({c.until, vm});
  }
}

void CapLimiter::forget(VmId vm) {
  const auto it = caps_.find(vm);
  if (it == caps_.end()) return;
  if (it->second.until != 0) throttled_.erase({it->second.until, vm});
  caps_.erase(it);
}

bool CapLimiter::charge(VmId vm, SchedTime usage, SchedTime now) {
  const auto it = caps_.find(vm);
  if (it == caps_.end()) return false;
  Cap& c = it->second;
  if (!c.usage.started) {
    // The first slice ran just before now: its period began when it did.
    c.usage.started = true;
    c.usage.period_start = now - std::min(now, usage);
  }
  c.usage.roll(now, period_, c.quota);
  c.usage.used += usage;
  if (c.usage.used < c.quota) return false;
  // Throttled until the period in which the carried-over usage is below the quota again.
  if (c.until != 0) throttled_.erase({c.until, vm});
  c.until = c.usage.period_start + (c.usage.used / c.quota) * period_;
  throttled_.insert({c.until, vm});
  ++c.throttles;
  return true;
}

SchedTime CapLimiter::remaining(VmId vm, SchedTime now) {
  const auto it = caps_.find(vm);
  if (it == caps_.end()) return kNever;
  Cap& c = it->second;
  if (!c.usage.started) return c.quota;
  c.usage.roll(now, period_, c.quota);
  return c.usage.used >= c.quota ? 0 : c.quota - c.usage.used;
}

bool CapLimiter::throttled(VmId vm, SchedTime now) const {
  const auto it = caps_.find(vm);
  return it != caps_.end() && it->second.until > now;
}

SchedTime CapLimiter::throttled_until(VmId vm) const {
  const auto it = caps_.find(vm);
  return it == caps_.end() ? 0 : it->second.until;
}

SchedTime CapLimiter::period_used(VmId vm) const {
  const auto it = caps_.find(vm);
  return it == caps_.end() ? 0 : it->second.usage.used;
}

uint64_t CapLimiter::throttle_count(VmId vm) const {
  const auto it = caps_.find(vm);
  return it == caps_.end() ? 0 : it->second.throttles;
}

std::vector<VmId> CapLimiter::release(SchedTime now) {
  std::vector<VmId> released;
  while (!throttled_.empty() && throttled_.begin()->first <= now) {
    const VmId vm = throttled_.begin()->second;
    throttled_.erase(throttled_.begin());
    caps_[vm].until = 0;
    released.push_back(vm);
  }
  return released;
}

SchedInfo CapLimiter::info(VmId vm, SchedState state, const SchedParams& params, SchedTime consumed) const {
  SchedInfo info;
  info.state = state;
  info.params = params;
  info.consumed = consumed;
  info.period_used = period_used(vm);
  info.throttled_until = throttled_until(vm);
  info.throttle_count = throttle_count(vm);
  return info;
}

}  // namespace hartbox
