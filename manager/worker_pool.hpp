// Host worker threads that run VirtualMachines in slices, as a Scheduler decides.
//
// A worker picks a machine, runs Machine::run_slice() on it without holding any lock, and
// accounts the slice by measurement, never by sampling: the steady clock and the worker thread's
// CPU time around it (WorkerPoolConfig::charge says which one the scheduler bills), or, in
// deterministic mode, its instruction count. A slice ends:
//   - after its budget: the scheduler's budget (time, converted to instructions with the
//     machine's measured speed) and at most `slice_instructions`;
//   - at the machine's own timer deadline (real time), so its interrupt is not late;
//   - shortly after a parked machine's deadline, so the sleeper starts promptly (wake-up
//     preemption, never shorter than the scheduler's min_slice);
//   - when every hart waits in WFI: the machine is parked and costs nothing until its next
//     deadline (a min-heap of host times, converted from mtime ticks through the machine's
//     clock) or an outside event (wake(), which MachineConfig::on_external_event calls);
//   - when the guest exits, fails, or someone pauses or stops it (Hart::request_stop()).
// Idle workers sleep on their own condition variable; one of them (the timekeeper) sleeps only
// until the earliest deadline, the others until someone has work for them.
//
// Virtual-time machines never sleep on the host: when every hart waits, time jumps to the next
// deadline (as Machine::run does) and the machine stays runnable; with no deadline it parks
// until an outside event.
//
// Deterministic mode: every machine is pinned to a worker (VmSpec::worker, or id modulo the
// worker count), every worker has its own Scheduler whose clock is the instructions it has run,
// and slices are measured in instructions. With virtual-time machines and no outside events
// (network), a run retires the same instructions in the same order every time. Start the
// machines in one call (Fleet::start_all) so no worker runs before the others are queued.
//
// Threads: all public members may be called from any thread except from an on_slice hook
// (which runs on a worker). pause() and stop() return once the machine is off its worker.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <queue>
#include <thread>
#include <unordered_map>
#include <vector>

#include "manager/scheduler/scheduler.hpp"
#include "manager/vm.hpp"

namespace hartbox {

// Why a slice ended, for the timeline.
enum class SliceEnd : uint8_t {
  Budget,    // used its budget (or reached a deadline): still runnable
  Wait,      // every hart waits in WFI: parked (or, virtual time, time skipped)
  Throttled, // used its budget and its cap for this period
  Exited,    // the guest exited: Stopped
  Trapped,   // stuck in a trap loop: Stopped
  Failed,    // the machine threw: Failed
  Paused,    // pause() took it off
  Stopped,   // stop() took it off
};
std::string_view to_string(SliceEnd end);

// One slice, for the timeline (`hartbox fleet --timeline`).
struct SliceRecord {
  unsigned worker = 0;
  VmId vm = kNoVm;
  std::chrono::steady_clock::time_point start{}, end{};
  uint64_t steps = 0;         // instructions plus traps
  uint64_t instructions = 0;  // retired
  SliceEnd reason = SliceEnd::Budget;
  // Deadline or wake-up to this slice's start, when this slice followed a wake-up.
  std::optional<std::chrono::nanoseconds> latency{};
  // The worker thread's CPU time in the slice: less than end - start when the host took the
  // worker away meanwhile (steal).
  std::chrono::nanoseconds thread_cpu{0};
  // What the machine's harts and engines did in the slice, for the timeline's per-machine
  // counters: traps and interrupts taken, blocks the block engine built and invalidations
  // (code written or translation changes that dropped cached blocks).
  uint64_t traps = 0, blocks_built = 0, block_invalidations = 0;
  // What its disks moved in the slice (data bytes read and written), and the requests that
  // found its disk bandwidth limit short and had to wait (devices/disk_bandwidth.hpp).
  uint64_t disk_bytes = 0, disk_throttled = 0;
};
using SliceHook = std::function<void(const SliceRecord&)>;

// What a slice costs the machine in the scheduler (its vruntime, its cap). Both are measured
// around every slice, never sampled; deterministic mode always charges instructions.
enum class Charge : uint8_t {
  // The worker thread's CPU time over the slice (CLOCK_THREAD_CPUTIME_ID), as the kernel charges
  // a cgroup: time the host took the worker away (steal) is nobody's, so a busy host does not
  // bill whichever machine happened to be on the worker. The default.
  ThreadCpuTime,
  // steady_clock around the slice: what the machine kept its worker from, steal included.
  WallTime,
};

struct WorkerPoolConfig {
  std::string policy = "fair_share";   // see make_scheduler()
  SchedulerConfig scheduler{};         // in ns (or, deterministic, in instructions)
  unsigned workers = 0;                // 0: std::thread::hardware_concurrency()
  uint64_t slice_instructions = 100'000;  // upper bound of any slice
  bool deterministic = false;
  Charge charge = Charge::ThreadCpuTime;
  // A guest taking this many traps in a row without retiring an instruction is stopped with
  // StopInfo::Cause::Trap (its trap handler itself faults).
  uint64_t trap_loop_steps = 100'000;
  // Called on the worker thread after every slice, under the pool's lock: keep it short (append
  // to a buffer) and thread-safe, and do not call the pool (or the Fleet) from it. In return, a
  // machine's slices arrive in the order they ran, and the one that ends its run (or pauses it)
  // arrives before stop()/pause()/wait_left() return.
  SliceHook on_slice{};
};

struct WorkerStats {
  std::chrono::nanoseconds busy{0};        // inside run_slice (steady clock)
  std::chrono::nanoseconds idle{0};        // asleep, waiting for work
  uint64_t slices = 0;
  uint64_t instructions = 0;
  std::chrono::nanoseconds thread_cpu{0};  // the thread's CPU time (what the host gave it)
};

class WorkerPool {
 public:
  // Starts the worker threads.
  explicit WorkerPool(WorkerPoolConfig config);
  // Stops and joins the workers. Machines still attached are left as they are.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  unsigned worker_count() const { return static_cast<unsigned>(workers_.size()); }
  bool deterministic() const { return config_.deterministic; }

  // Hands Running machines to the scheduler, all under one lock (so, in deterministic mode,
  // they are queued before any of them runs). `worker` pins a machine in deterministic mode
  // (nullopt: id modulo the worker count). The VMs must stay alive until they leave the pool
  // (they stop or fail, or detach() returns).
  struct Admission {
    VirtualMachine* vm = nullptr;
    std::optional<unsigned> worker{};
  };
  void attach(const std::vector<Admission>& vms);

  // Running -> Paused; returns once it is off its worker. Throws IllegalTransition if the VM is
  // not Running (or not in the pool).
  void pause(VirtualMachine& vm);
  // Paused -> Running: runnable again (it is charged as a wake-up, without banked credit).
  void resume(VirtualMachine& vm);
  // Running/Paused -> Stopped (StopInfo::Cause::Requested); returns once it is off its worker
  // and out of the pool. Throws IllegalTransition in other states.
  void stop(VirtualMachine& vm);
  // Takes a VM out of the pool whatever its state (waits while it is on a worker). No-op if
  // it is not in the pool.
  void detach(VirtualMachine& vm);

  // Something outside the guest has work for it (a network frame): if parked, it becomes
  // runnable. Safe from any thread, for any id (unknown ids are ignored).
  void wake(VmId vm);

  void update(VirtualMachine& vm, const SchedParams& params);
  void set_group_weight(GroupId group, uint32_t weight);

  // The scheduler's view of a machine in the pool; nullopt if it is not in the pool.
  std::optional<SchedInfo> sched_info(VmId vm) const;
  std::vector<WorkerStats> worker_stats() const;
  size_t attached_count() const;
  // Blocks until no machine is in the pool (all stopped, failed or detached) or `timeout`
  // passes; true if the pool is empty.
  bool wait_empty(std::chrono::nanoseconds timeout) const;
  // Blocks until `vm` has left the pool or `timeout` passes; true if it has.
  bool wait_left(VmId vm, std::chrono::nanoseconds timeout) const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Slot;    // a machine in the pool: its worker, run-control flags, measured speed
  struct Worker;  // a host thread's condition variable, clock and statistics
  struct ParkedEntry {
    Clock::time_point deadline;
    VmId vm;
    uint64_t generation;  // stale entries (woken early, paused, gone) are skipped
    bool operator>(const ParkedEntry& other) const { return deadline > other.deadline; }
  };
  struct SliceOutcome;

  void worker_main(unsigned index);
  void idle_wait(std::unique_lock<std::mutex>& lock, unsigned index);
  void run_slice(std::unique_lock<std::mutex>& lock, unsigned index, const Pick& pick);
  SchedTime sched_now_locked(unsigned worker, Clock::time_point host_now) const;
  Scheduler& scheduler_for(const Slot& slot);
  Slot* find_locked(VmId vm) const;
  void unpark_locked(Slot& slot, Clock::time_point reference, Clock::time_point now);
  void park_locked(Slot& slot, std::optional<Clock::time_point> host_deadline);
  void wake_expired_locked(Clock::time_point now);
  void notify_worker_locked(const Slot& slot);
  void notify_timekeeper_locked();
  void erase_locked(VmId vm);
  void wait_off_cpu_locked(std::unique_lock<std::mutex>& lock, VmId vm) const;

  const WorkerPoolConfig config_;
  const Clock::time_point epoch_;
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;  // a machine left a worker or the pool
  std::vector<std::unique_ptr<Scheduler>> schedulers_;  // one, or one per worker
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unordered_map<VmId, std::unique_ptr<Slot>> slots_;
  std::priority_queue<ParkedEntry, std::vector<ParkedEntry>, std::greater<>> parked_;
  std::optional<unsigned> timekeeper_;  // the idle worker that sleeps until the next deadline
  bool shutdown_ = false;
  std::vector<std::thread> threads_;  // last: started once everything above exists
};

}  // namespace hartbox
