// A VirtualMachine: a Machine with an identity (id, name, group), scheduling parameters, a
// checked lifecycle and its accounting.
//
// Lifecycle (every transition appends to the EventLog; any other is refused with
// IllegalTransition):
//
//   Created --start--> Running <--pause/resume--> Paused
//   Running/Paused --stopped--> Stopped   (the guest's exit code, the trap that ended it, or a
//                                          stop request)
//   any but Destroyed/Failed --fail--> Failed   (a reason: an exception from the machine, ...)
//   Created/Stopped/Failed --destroy--> Destroyed
//
// "Running" means "the scheduler may run it": a Running machine can be on a host thread, queued,
// parked in WFI or throttled by its cap (see SchedState).
//
// Threads: the identity is immutable; state, parameters and accounting are guarded by an
// internal mutex, so any thread may read them. The Machine itself belongs to whichever thread
// the WorkerPool lets run it; other threads may only call Hart::request_stop() on its harts, or
// use machine() while the VM is not Running (Created, Paused, Stopped, Failed).
// Owned by the Fleet.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "devices/machine.hpp"
#include "manager/event_log.hpp"
#include "manager/scheduler/scheduler.hpp"

namespace hartbox {

enum class VmState : uint8_t { Created, Running, Paused, Stopped, Failed, Destroyed };
std::string_view to_string(VmState state);
// The lifecycle's edges, as the file comment draws them.
bool transition_allowed(VmState from, VmState to);

struct IllegalTransition : std::logic_error {
  IllegalTransition(VmId vm, VmState from, VmState to);
  VmId vm;
  VmState from, to;
};

// How a machine reached Stopped.
struct StopInfo {
  enum class Cause : uint8_t {
    Exited,     // the guest ended itself (HTIF, semihosting, the test device): exit_code
    Trap,       // the guest is stuck taking traps without retiring instructions: trap_*
    Requested,  // someone called stop()
  };
  Cause cause = Cause::Requested;
  int exit_code = 0;
  uint64_t trap_cause = 0;  // mcause of the last trap (bit 63: interrupt)
  uint64_t trap_pc = 0;     // mepc
  uint64_t trap_value = 0;  // mtval
};
std::string describe(const StopInfo& info);  // "exit code 3", "trap: cause 0x1 at pc 0x...", ...

// Scheduling latency: from a machine's timer deadline (or the moment it was woken by an outside
// event, or resumed) to the start of its next slice. Percentiles come from a log-linear histogram
// (8 buckets per power of two, so within 12.5%); count, mean and max are exact.
struct LatencyStats {
  uint64_t count = 0;
  std::chrono::nanoseconds mean{0}, p50{0}, p99{0}, max{0};
};

// Everything is measured, never sampled: CPU time is steady_clock around each slice.
struct VmAccounting {
  uint64_t instructions = 0;          // retired by the guest while this VM ran
  uint64_t steps = 0;                 // instructions plus traps taken
  std::chrono::nanoseconds cpu_time{0};         // steady clock around its slices
  std::chrono::nanoseconds thread_cpu_time{0};  // the workers' CPU time in those slices: less
                                                // than cpu_time when the host preempted them
  uint64_t slices = 0;
  uint64_t wakeups = 0;               // left WFI (timer deadline or outside event) or resumed
  uint64_t throttles = 0;             // times its cap throttled it
  LatencyStats latency{};
};

class LatencyHistogram {
 public:
  void add(std::chrono::nanoseconds sample);
  LatencyStats stats() const;
  // The upper bound of the bucket holding the q-quantile (0 < q <= 1).
  std::chrono::nanoseconds quantile(double q) const;

 private:
  static constexpr unsigned kSubBuckets = 8;  // per power of two
  static constexpr unsigned kBuckets = 64 * kSubBuckets;
  static unsigned bucket_of(uint64_t ns);
  static uint64_t bucket_upper(unsigned bucket);
  std::unique_ptr<std::array<uint32_t, kBuckets>> counts_;  // made on the first sample
  uint64_t count_ = 0;
  uint64_t sum_ns_ = 0;
  uint64_t max_ns_ = 0;
};

class VirtualMachine {
 public:
  // `log` must outlive the VM. Appends a Created event.
  VirtualMachine(VmId id, std::string name, std::string group, const SchedParams& params,
                 std::unique_ptr<Machine> machine, EventLog* log);
  VirtualMachine(const VirtualMachine&) = delete;
  VirtualMachine& operator=(const VirtualMachine&) = delete;
  ~VirtualMachine();

  VmId id() const { return id_; }
  const std::string& name() const { return name_; }
  const std::string& group() const { return group_; }

  // --- Lifecycle: each throws IllegalTransition from a state the diagram does not allow ---
  VmState state() const;
  void start();                       // Created -> Running
  void pause();                       // Running -> Paused
  void resume();                      // Paused -> Running
  void stopped(const StopInfo& info); // Running/Paused -> Stopped
  void fail(const std::string& reason);  // any but Destroyed/Failed -> Failed
  void destroy();                     // Created/Stopped/Failed -> Destroyed
  std::optional<StopInfo> stop_info() const;  // once Stopped
  std::string failure() const;                // once Failed: the reason

  // --- Scheduling parameters (the scheduler holds its own copy; the Fleet keeps both equal) ---
  SchedParams params() const;
  void set_params(const SchedParams& params, const std::string& what_changed);

  // --- Accounting, by the thread that ran the slice ---
  void account_slice(std::chrono::nanoseconds cpu_time, std::chrono::nanoseconds thread_cpu_time, uint64_t steps,
                     uint64_t instructions);
  // A wake-up; `latency` when the VM had a deadline or wake time to measure from.
  void account_wakeup();
  void account_latency(std::chrono::nanoseconds latency);
  void account_throttle();
  VmAccounting accounting() const;

  // The machine. See the file comment for who may use it when.
  Machine& machine() { return *machine_; }

 private:
  // Moves to `to` or throws; appends `kind` with `detail` to the log. Caller holds mutex_.
  void transition(VmState to, EventKind kind, const std::string& detail);

  const VmId id_;
  const std::string name_;
  const std::string group_;
  std::unique_ptr<Machine> machine_;
  EventLog* const log_;

  mutable std::mutex mutex_;
  VmState state_ = VmState::Created;
  std::optional<StopInfo> stop_info_;
  std::string failure_;
  SchedParams params_;
  VmAccounting accounting_;  // latency filled from latency_ on read
  LatencyHistogram latency_;
};

}  // namespace hartbox
