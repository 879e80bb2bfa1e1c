// A Fleet: many VirtualMachines run by a WorkerPool under one Scheduler policy, with an event
// log, per-VM accounting and a per-slice timeline hook. It is what `hartbox fleet` and the
// control socket drive.
//
// Owns the VMs (and so their Machines), the scheduler(s) and the worker threads. Every member
// may be called from any thread, except from the on_slice hook (it runs on a worker).
// Machines are addressed by VmId (1, 2, ... in creation order, never reused) or looked up by
// name with find(). Errors: FleetError (unknown VM, duplicate name, bad parameter) and
// IllegalTransition (a lifecycle step the state does not allow, see vm.hpp).
//
// Time: give fleets MachineConfig::time = Real (a parked machine sleeps until its real
// deadline); deterministic mode wants Virtual (see worker_pool.hpp).
//
// Typical use:
//   Fleet fleet({.policy = "fair_share"});
//   VmId a = fleet.create({.name = "a", .weight = 200, .machine = config, .setup = load});
//   fleet.start(a);
//   fleet.wait_stopped(a, 10s);
//   VmInfo info = fleet.inspect(a);   // info.state, info.stop, info.accounting
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "devices/machine.hpp"
#include "manager/event_log.hpp"
#include "manager/scheduler/scheduler.hpp"
#include "manager/vm.hpp"
#include "manager/worker_pool.hpp"

namespace hartbox {

struct FleetError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct FleetConfig {
  std::string policy = "fair_share";  // "fair_share", "round_robin", "strict_priority"
  unsigned workers = 0;               // host threads; 0: std::thread::hardware_concurrency()
  uint64_t slice_instructions = 100'000;
  // Scheduler durations in ns (in deterministic mode: in instructions). See scheduler.hpp.
  SchedulerConfig scheduler{};
  bool deterministic = false;         // see worker_pool.hpp
  Charge charge = Charge::ThreadCpuTime;  // what the scheduler bills a slice (worker_pool.hpp)
  size_t event_log_capacity = EventLog::kDefaultCapacity;
  // Called after every slice on the worker that ran it (timeline), under the worker pool's
  // lock: keep it short and thread-safe; it must not call the Fleet. A VM's slices arrive in the
  // order they ran, the last one before stop()/pause()/wait_stopped() return (worker_pool.hpp).
  SliceHook on_slice{};
};

// How to build a VM. The machine is built inside create(), on the caller's thread.
struct VmSpec {
  std::string name{};                 // unique in the fleet; empty: "vm<id>"
  std::string group = "default";      // the tenant; groups share by group weight
  uint32_t weight = SchedParams::kDefaultWeight;
  double cap = 0.0;                   // fraction of one host thread; 0 = none
  double reservation = 0.0;           // fraction of one host thread; 0 = none
  int priority = 0;                   // strict_priority: higher first
  std::optional<unsigned> worker{};   // deterministic mode: pin to this worker
  MachineConfig machine{};            // on_external_event is set by the fleet (it chains to
                                      // one already there)
  // Loads the guest (load_elf, boot, load_raw + set_entry ...). May throw (LoadError...):
  // create() then throws FleetError with its message and keeps nothing.
  std::function<void(Machine&)> setup{};
  // Builds the machine instead of `Machine(config)` (e.g. a clone of a template). It must pass
  // `config` (with the fleet's on_external_event) on to the machine it builds.
  std::function<std::unique_ptr<Machine>(const MachineConfig& config)> factory{};
};

// A VM as list/inspect report it: a consistent snapshot.
struct VmInfo {
  VmId id = kNoVm;
  std::string name{};
  std::string group{};
  VmState state = VmState::Created;
  SchedParams params{};               // params.group is the group's id inside the scheduler
  std::optional<StopInfo> stop{};     // when Stopped
  std::string failure{};              // when Failed
  std::optional<SchedInfo> sched{};   // while Running or Paused in the pool
  VmAccounting accounting{};
};

class Fleet {
 public:
  explicit Fleet(FleetConfig config = {});
  // Stops every running or paused VM (as stop()), frees the machines, joins the workers.
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // --- Lifecycle ---
  VmId create(const VmSpec& spec);    // -> Created
  void start(VmId vm);                // Created -> Running
  void start_all(const std::vector<VmId>& vms);  // all Created ones, in one step (deterministic)
  void pause(VmId vm);                // Running -> Paused, returns once it is off its worker
  void resume(VmId vm);               // Paused -> Running
  void stop(VmId vm);                 // Running/Paused -> Stopped (by request)
  void destroy(VmId vm);              // stops it if needed, -> Destroyed, frees the machine

  // Blocks until the VM is Stopped, Failed or Destroyed (or unknown), or `timeout` passes;
  // true if it is. False at once for a VM that was never started.
  bool wait_stopped(VmId vm, std::chrono::nanoseconds timeout) const;
  // Until no started VM is Running or Paused.
  bool wait_all_stopped(std::chrono::nanoseconds timeout) const;

  // --- Looking ---
  std::vector<VmInfo> list() const;   // by id
  VmInfo inspect(VmId vm) const;
  std::optional<VmId> find(std::string_view name) const;
  EventLog& events() { return events_; }
  const EventLog& events() const { return events_; }
  std::vector<WorkerStats> worker_stats() const { return pool_->worker_stats(); }
  unsigned worker_count() const { return pool_->worker_count(); }
  const FleetConfig& config() const { return config_; }

  // --- Tuning (logged as ParametersChanged; take effect from the next pick) ---
  void set_weight(VmId vm, uint32_t weight);  // 1..10000
  void set_cap(VmId vm, double cap);          // [0, 1], 0 = none
  void set_reservation(VmId vm, double reservation);  // [0, 1]; all together <= workers
  void set_priority(VmId vm, int priority);
  void set_group_weight(const std::string& group, uint32_t weight);

  // Outside work for a VM (what its machine's on_external_event calls).
  void wake(VmId vm) { pool_->wake(vm); }

  // Runs `fn` with the machine while the VM is not Running (Created, Paused, Stopped, Failed):
  // snapshots, console, debugging. Throws FleetError if it is Running. `fn` must not call the
  // Fleet.
  void with_machine(VmId vm, const std::function<void(Machine&)>& fn);

 private:
  struct Record {
    std::shared_ptr<VirtualMachine> vm;
    std::optional<unsigned> worker;  // deterministic pinning
  };
  std::shared_ptr<VirtualMachine> get(VmId vm) const;  // throws FleetError if unknown
  VmInfo info_of(const VirtualMachine& vm) const;
  GroupId group_id_locked(const std::string& group);
  double reserved_except_locked(VmId vm) const;
  void change_params(VmId vm, const std::function<void(SchedParams&)>& change, const std::string& what);

  const FleetConfig config_;
  EventLog events_;
  // Serialises lifecycle and tuning calls (they may wait for a slice to end); never held by
  // list/inspect. Taken before mutex_.
  std::mutex control_mutex_;
  mutable std::mutex mutex_;  // guards the maps below; never held while waiting on the pool
  std::map<VmId, Record> vms_;
  std::map<std::string, VmId, std::less<>> names_;
  std::map<std::string, GroupId, std::less<>> groups_;
  VmId next_id_ = 1;
  std::unique_ptr<WorkerPool> pool_;
};

}  // namespace hartbox
