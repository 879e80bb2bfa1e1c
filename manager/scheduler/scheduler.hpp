// The scheduling policy interface: which runnable machine a host worker runs next, and for how
// long. Three policies implement it: RoundRobinScheduler (round_robin.hpp), StrictPriority-
// Scheduler (strict_priority.hpp) and FairShareScheduler (fair_share.hpp).
//
// A Scheduler is a plain data structure: it never reads a clock, sleeps or touches a machine.
// Its caller (the WorkerPool) passes the current time into every call and tells it what happened
// (a slice ended after so much usage, a machine went to sleep or woke up). That keeps policies
// deterministic and testable with made-up times.
//
// Units. Times and usage are "cost units", a uint64_t: nanoseconds of host time normally, and
// instructions in deterministic mode (where a worker's clock is the number of instructions it
// has run, so a fleet run does not depend on host speed). Every duration in SchedulerConfig is
// in the same units.
//
// Not thread-safe: the WorkerPool serialises all calls under its own lock.
//
// Life of a machine in a scheduler:
//   add()  -> Parked --wake()--> Runnable --pick()--> OnCpu --account()--> Runnable (or Throttled)
//   OnCpu/Runnable --park()--> Parked;   Throttled --(time passes, next pick)--> Runnable
//   any --remove()--> gone
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "manager/event_log.hpp"

namespace hartbox {

using GroupId = uint32_t;  // a tenant: machines in a group share the group's weight
inline constexpr GroupId kDefaultGroup = 0;
using SchedTime = uint64_t;  // cost units, see the file comment
inline constexpr SchedTime kNever = std::numeric_limits<SchedTime>::max();

// Per-machine scheduling parameters. Every policy honours `cap`; weights, reservations and
// groups are the fair-share policy's; `priority` is the strict-priority policy's.
struct SchedParams {
  static constexpr uint32_t kDefaultWeight = 100;  // cgroup v2 cpu.weight's default
  static constexpr uint32_t kMaxWeight = 10000;    // cpu.weight's range is 1..10000
  uint32_t weight = kDefaultWeight;
  // Hard limit as a fraction of one host thread (0.25: a quarter), enforced per period like
  // cgroup v2 cpu.max; 0 = no cap.
  double cap = 0.0;
  // Minimum share as a fraction of one host thread while runnable (fair share only); 0 = none.
  double reservation = 0.0;
  int priority = 0;  // strict priority: higher runs first
  GroupId group = kDefaultGroup;
};

// Throws std::invalid_argument with a sentence if a parameter is out of range (weight 1..10000,
// cap and reservation in [0, 1], reservation <= cap when both are set).
void validate(const SchedParams& params);

struct SchedulerConfig {
  // Length of a slice at the default weight. Round robin and strict priority give every slice
  // this length; fair share scales it by weight (see fair_share.hpp).
  SchedTime slice = 1'000'000;  // 1 ms
  SchedTime min_slice = 50'000;  // the shortest slice fair share hands out (50 us)
  // Caps and reservations are enforced over this period (cpu.max's default is 100 ms).
  SchedTime period = 100'000'000;
  // A waking machine may run ahead of the least-served runnable machine by at most this much
  // CPU time (fair share; see fair_share.hpp).
  SchedTime wake_bonus = 1'000'000;
};

// What a worker should run and for how long.
struct Pick {
  VmId vm = kNoVm;
  SchedTime budget = 0;  // end the slice after at most this much usage (cost units)
};

// Why a machine is not running, as the scheduler sees it (for inspect/list).
enum class SchedState : uint8_t { Parked, Runnable, OnCpu, Throttled };
std::string_view to_string(SchedState state);

// What a scheduler knows about one machine (for inspect and tests).
struct SchedInfo {
  SchedState state = SchedState::Parked;
  SchedParams params{};
  SchedTime consumed = 0;             // total usage charged
  uint64_t vruntime = 0;              // fair share's virtual runtime (0 elsewhere)
  SchedTime period_used = 0;          // usage charged in the current cap period
  SchedTime throttled_until = 0;      // while Throttled
  uint64_t throttle_count = 0;        // times the cap throttled it
};

class Scheduler {
 public:
  virtual ~Scheduler() = default;
  virtual std::string_view name() const = 0;

  // A new machine, Parked. Throws std::invalid_argument on a duplicate id or bad params.
  virtual void add(VmId vm, const SchedParams& params, SchedTime now) = 0;
  // Forgets the machine, whatever its state.
  virtual void remove(VmId vm) = 0;
  // New parameters take effect from the next pick (a cap from the current period on).
  virtual void update(VmId vm, const SchedParams& params, SchedTime now) = 0;
  // Groups share by weight (fair share; other policies ignore it). Default weight 100.
  virtual void set_group_weight(GroupId group, uint32_t weight) = 0;

  // Parked -> Runnable (no effect in any other state). `now` lets fair share place the machine
  // (wake-up lag, see fair_share.hpp).
  virtual void wake(VmId vm, SchedTime now) = 0;
  // Runnable/Throttled/OnCpu -> Parked. A machine on a CPU must be account()ed first.
  virtual void park(VmId vm) = 0;

  // Chooses the next machine for `worker` (0-based), marks it OnCpu and removes it from the run
  // queue; nullopt if nothing can run now (see next_event()).
  virtual std::optional<Pick> pick(unsigned worker, SchedTime now) = 0;
  // A picked machine's slice ended after `usage` cost units. OnCpu -> Runnable, or Throttled if
  // that used up its cap for this period.
  virtual void account(VmId vm, SchedTime usage, SchedTime now) = 0;

  // When a throttled machine next becomes runnable, or kNever.
  virtual SchedTime next_event() const = 0;
  // Parked/Runnable/... and the accounting above; nullopt for an unknown id.
  virtual std::optional<SchedInfo> info(VmId vm) const = 0;
  virtual size_t runnable_count() const = 0;  // Runnable (not OnCpu, not Throttled)
};

// The policy names a fleet spec may use: "fair_share" (the default), "round_robin",
// "strict_priority".
std::vector<std::string_view> scheduler_names();
// Throws std::invalid_argument for an unknown name.
std::unique_ptr<Scheduler> make_scheduler(std::string_view name, const SchedulerConfig& config);

}  // namespace hartbox
