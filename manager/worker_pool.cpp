#include "manager/worker_pool.hpp"

#include <pthread.h>
#include <sys/prctl.h>
#include <time.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

#include "core/csr.hpp"
#include "core/engines/block.hpp"

namespace hartbox {

std::string_view to_string(SliceEnd end) {
  switch (end) {
    case SliceEnd::Budget: return "budget";
    case SliceEnd::Wait: return "wait";
    case SliceEnd::Throttled: return "throttled";
    case SliceEnd::Exited: return "exited";
    case SliceEnd::Trapped: return "trapped";
    case SliceEnd::Failed: return "failed";
    case SliceEnd::Paused: return "paused";
    case SliceEnd::Stopped: return "stopped";
  }
  return "?";
}

namespace {
constexpr uint64_t kNoDeadline = std::numeric_limits<uint64_t>::max();
// Until a machine's speed has been measured, assume 50 instructions per microsecond (a slow
// guess: the first slice ends early rather than late).
constexpr double kDefaultInsnsPerNs = 0.05;
// No timed slice is shorter than this many instructions (a few microseconds): below it the
// slice's bookkeeping would cost more than the slice.
constexpr uint64_t kMinSliceInstructions = 1000;

std::chrono::nanoseconds thread_cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec};
}
}  // namespace

// A machine in the pool. Guarded by the pool's mutex.
struct WorkerPool::Slot {
  enum class Request : uint8_t { None, Pause, Stop, Detach };
  VirtualMachine* vm = nullptr;
  unsigned worker = 0;        // pinned (deterministic) or last used
  bool on_cpu = false;
  bool parked = false;        // not in the scheduler's queue: waits in WFI or is paused
  bool paused = false;
  bool wake_pending = false;  // an outside event arrived while on a worker
  bool needs_poll = false;    // woken from WFI: let the devices raise what is due first
  Request request = Request::None;
  uint64_t generation = 0;    // of its entry in the parked heap
  std::optional<Clock::time_point> wake_reference;  // for the latency of the next slice
  double insns_per_ns = 0.0;  // measured speed, 0 until known
  uint64_t trap_only_steps = 0;  // steps in a row that retired nothing
};

struct WorkerPool::Worker {
  std::condition_variable cv;
  bool idle = false;
  SchedTime virtual_clock = 0;  // deterministic mode: instructions run (plus throttled time)
  WorkerStats stats;
};

// What a slice did, worked out on the worker before it takes the lock again.
struct WorkerPool::SliceOutcome {
  SliceResult result{StopReason::Budget, 0};
  uint64_t instructions = 0;
  Clock::time_point start, end;
  std::optional<std::string> failure;
  std::optional<StopInfo> stop;      // exited or trap loop
  bool idle = false;                 // every hart waits, nothing pending
  bool time_skipped = false;         // virtual time jumped to the next deadline
  std::optional<Clock::time_point> host_deadline;  // when parked with a real deadline
};

WorkerPool::WorkerPool(WorkerPoolConfig config) : config_(std::move(config)), epoch_(Clock::now()) {
  unsigned count = config_.workers ? config_.workers : std::thread::hardware_concurrency();
  if (count == 0) count = 1;
  const size_t schedulers = config_.deterministic ? count : 1;
  for (size_t i = 0; i < schedulers; ++i) schedulers_.push_back(make_scheduler(config_.policy, config_.scheduler));
  for (unsigned i = 0; i < count; ++i) workers_.push_back(std::make_unique<Worker>());
  for (unsigned i = 0; i < count; ++i) threads_.emplace_back([this, i] { worker_main(i); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard lock(mutex_);
    shutdown_ = true;
    for (auto& [id, slot] : slots_)
      if (slot->on_cpu)
        for (unsigned h = 0; h < slot->vm->machine().hart_count(); ++h) slot->vm->machine().hart(h).request_stop();
    for (auto& worker : workers_) worker->cv.notify_all();
  }
  for (auto& thread : threads_) thread.join();
}

SchedTime WorkerPool::sched_now_locked(unsigned worker, Clock::time_point host_now) const {
  if (config_.deterministic) return workers_[worker]->virtual_clock;
  return static_cast<SchedTime>(std::chrono::duration_cast<std::chrono::nanoseconds>(host_now - epoch_).count());
}

Scheduler& WorkerPool::scheduler_for(const Slot& slot) {
  return config_.deterministic ? *schedulers_[slot.worker] : *schedulers_[0];
}

WorkerPool::Slot* WorkerPool::find_locked(VmId vm) const {
  const auto it = slots_.find(vm);
  return it == slots_.end() ? nullptr : it->second.get();
}

void WorkerPool::notify_worker_locked(const Slot& slot) {
  if (config_.deterministic) {
    Worker& worker = *workers_[slot.worker];
    worker.idle = false;
    worker.cv.notify_one();
    return;
  }
  for (auto& worker : workers_) {
    if (!worker->idle) continue;
    worker->idle = false;  // so the next notification goes to another sleeper
    worker->cv.notify_one();
    return;
  }
}

void WorkerPool::notify_timekeeper_locked() {
  // Whoever sleeps until the earliest deadline must re-read it; with no timekeeper, an idle
  // worker becomes one. Busy workers end their slices at the earliest deadline by themselves.
  if (timekeeper_) {
    workers_[*timekeeper_]->cv.notify_one();
    return;
  }
  for (auto& worker : workers_) {
    if (!worker->idle) continue;
    worker->idle = false;
    worker->cv.notify_one();
    return;
  }
}

void WorkerPool::erase_locked(VmId vm) {
  slots_.erase(vm);
  changed_.notify_all();
}

void WorkerPool::unpark_locked(Slot& slot, Clock::time_point reference, Clock::time_point now) {
  slot.parked = false;
  ++slot.generation;
  slot.wake_reference = reference;
  slot.needs_poll = true;
  scheduler_for(slot).wake(slot.vm->id(), sched_now_locked(slot.worker, now));
  slot.vm->account_wakeup();
  notify_worker_locked(slot);
}

void WorkerPool::park_locked(Slot& slot, std::optional<Clock::time_point> host_deadline) {
  slot.parked = true;
  ++slot.generation;
  scheduler_for(slot).park(slot.vm->id());
  if (!host_deadline) return;
  // Entries of machines woken early stay in the heap until their time comes; if they pile up
  // (a machine woken by its network far more often than by its timer), keep only live ones.
  if (parked_.size() > 2 * slots_.size() + 64) {
    std::vector<ParkedEntry> live;
    while (!parked_.empty()) {
      const ParkedEntry& entry = parked_.top();
      const Slot* owner = find_locked(entry.vm);
      if (owner && owner->parked && owner->generation == entry.generation) live.push_back(entry);
      parked_.pop();
    }
    for (const ParkedEntry& entry : live) parked_.push(entry);
  }
  const bool earliest = parked_.empty() || *host_deadline < parked_.top().deadline;
  parked_.push({*host_deadline, slot.vm->id(), slot.generation});
  if (earliest) notify_timekeeper_locked();
}

void WorkerPool::wake_expired_locked(Clock::time_point now) {
  while (!parked_.empty() && parked_.top().deadline <= now) {
    const ParkedEntry entry = parked_.top();
    parked_.pop();
    Slot* slot = find_locked(entry.vm);
    if (!slot || slot->generation != entry.generation || !slot->parked || slot->paused) continue;
    unpark_locked(*slot, entry.deadline, now);
  }
}

void WorkerPool::attach(const std::vector<Admission>& vms) {
  std::lock_guard lock(mutex_);
  const Clock::time_point now = Clock::now();
  for (const Admission& admission : vms) {
    VirtualMachine& vm = *admission.vm;
    if (slots_.count(vm.id())) throw std::invalid_argument("vm " + std::to_string(vm.id()) + " is already in the pool");
    if (vm.state() != VmState::Running) throw IllegalTransition(vm.id(), vm.state(), VmState::Running);
    if (admission.worker && *admission.worker >= worker_count())
      throw std::invalid_argument("vm " + std::to_string(vm.id()) + ": no worker " + std::to_string(*admission.worker));
  }
  for (const Admission& admission : vms) {
    VirtualMachine& vm = *admission.vm;
    auto slot = std::make_unique<Slot>();
    slot->vm = &vm;
    slot->worker = config_.deterministic ? admission.worker.value_or(static_cast<unsigned>(vm.id() % worker_count())) : 0;
    Scheduler& scheduler = scheduler_for(*slot);
    const SchedTime sched_now = sched_now_locked(slot->worker, now);
    scheduler.add(vm.id(), vm.params(), sched_now);
    scheduler.wake(vm.id(), sched_now);
    notify_worker_locked(*slot);
    slots_.emplace(vm.id(), std::move(slot));
  }
}

void WorkerPool::wait_off_cpu_locked(std::unique_lock<std::mutex>& lock, VmId vm) const {
  changed_.wait(lock, [&] {
    const Slot* slot = find_locked(vm);
    return !slot || !slot->on_cpu;
  });
}

namespace {
void request_stop(Machine& machine) {
  for (unsigned h = 0; h < machine.hart_count(); ++h) machine.hart(h).request_stop();
}
}  // namespace

void WorkerPool::pause(VirtualMachine& vm) {
  std::unique_lock lock(mutex_);
  for (;;) {
    Slot* slot = find_locked(vm.id());
    if (!slot || slot->paused || vm.state() != VmState::Running)
      throw IllegalTransition(vm.id(), vm.state(), VmState::Paused);
    if (!slot->on_cpu) {
      if (!slot->parked) park_locked(*slot, std::nullopt);
      ++slot->generation;  // forget its deadline: a paused machine is not woken
      slot->paused = true;
      vm.pause();
      return;
    }
    if (slot->request != Slot::Request::None) {
      wait_off_cpu_locked(lock, vm.id());  // someone else's request first, then look again
      continue;
    }
    slot->request = Slot::Request::Pause;
    request_stop(vm.machine());
    wait_off_cpu_locked(lock, vm.id());
    // The guest may have exited or failed in that same slice, or a stop overtook us.
    if (vm.state() != VmState::Paused) throw IllegalTransition(vm.id(), vm.state(), VmState::Paused);
    return;
  }
}

void WorkerPool::resume(VirtualMachine& vm) {
  std::lock_guard lock(mutex_);
  Slot* slot = find_locked(vm.id());
  if (!slot || !slot->paused) throw IllegalTransition(vm.id(), vm.state(), VmState::Running);
  vm.resume();
  slot->paused = false;
  const Clock::time_point now = Clock::now();
  unpark_locked(*slot, now, now);
}

void WorkerPool::stop(VirtualMachine& vm) {
  std::unique_lock lock(mutex_);
  Slot* slot = find_locked(vm.id());
  const VmState state = vm.state();
  if (!slot || (state != VmState::Running && state != VmState::Paused))
    throw IllegalTransition(vm.id(), state, VmState::Stopped);
  if (slot->on_cpu) {
    // Stop overrides a pending pause (whose caller then sees Stopped); a detach stays a detach.
    if (slot->request != Slot::Request::Detach) slot->request = Slot::Request::Stop;
    request_stop(vm.machine());
    changed_.wait(lock, [&] { return !find_locked(vm.id()); });
    return;  // stopped by the worker (or it exited or failed in that slice)
  }
  scheduler_for(*slot).remove(vm.id());
  vm.stopped(StopInfo{StopInfo::Cause::Requested});
  erase_locked(vm.id());
}

void WorkerPool::detach(VirtualMachine& vm) {
  std::unique_lock lock(mutex_);
  Slot* slot = find_locked(vm.id());
  if (!slot) return;
  if (slot->on_cpu) {
    slot->request = Slot::Request::Detach;
    request_stop(vm.machine());
    changed_.wait(lock, [&] { return !find_locked(vm.id()); });
    return;
  }
  scheduler_for(*slot).remove(vm.id());
  erase_locked(vm.id());
}

void WorkerPool::wake(VmId vm) {
  std::lock_guard lock(mutex_);
  Slot* slot = find_locked(vm);
  if (!slot) return;
  if (slot->on_cpu) {
    slot->wake_pending = true;  // seen when the slice ends: the machine is not parked then
    return;
  }
  if (!slot->parked || slot->paused) return;  // already runnable, or resume() will run it
  const Clock::time_point now = Clock::now();
  unpark_locked(*slot, now, now);
}

void WorkerPool::update(VirtualMachine& vm, const SchedParams& params) {
  std::lock_guard lock(mutex_);
  Slot* slot = find_locked(vm.id());
  if (!slot) return;
  scheduler_for(*slot).update(vm.id(), params, sched_now_locked(slot->worker, Clock::now()));
  // A new cap can end a throttle; the scheduler's next event may have moved.
  notify_worker_locked(*slot);
  notify_timekeeper_locked();
}

void WorkerPool::set_group_weight(GroupId group, uint32_t weight) {
  std::lock_guard lock(mutex_);
  for (auto& scheduler : schedulers_) scheduler->set_group_weight(group, weight);
}

std::optional<SchedInfo> WorkerPool::sched_info(VmId vm) const {
  std::lock_guard lock(mutex_);
  const Slot* slot = find_locked(vm);
  if (!slot) return std::nullopt;
  return (config_.deterministic ? *schedulers_[slot->worker] : *schedulers_[0]).info(vm);
}

std::vector<WorkerStats> WorkerPool::worker_stats() const {
  std::lock_guard lock(mutex_);
  std::vector<WorkerStats> out;
  for (size_t i = 0; i < workers_.size(); ++i) {
    out.push_back(workers_[i]->stats);
    clockid_t clock;
    timespec ts{};
    if (pthread_getcpuclockid(const_cast<std::thread&>(threads_[i]).native_handle(), &clock) == 0 &&
        clock_gettime(clock, &ts) == 0)
      out.back().thread_cpu = std::chrono::seconds{ts.tv_sec} + std::chrono::nanoseconds{ts.tv_nsec};
  }
  return out;
}

size_t WorkerPool::attached_count() const {
  std::lock_guard lock(mutex_);
  return slots_.size();
}

bool WorkerPool::wait_empty(std::chrono::nanoseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return slots_.empty(); });
}

bool WorkerPool::wait_left(VmId vm, std::chrono::nanoseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return !find_locked(vm); });
}

// --- The workers ---

void WorkerPool::worker_main(unsigned index) {
  // Sleeps until a deadline end within a microsecond of it, not the default 50 us (timer slack
  // is a per-thread setting on Linux).
  prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
  std::unique_lock lock(mutex_);
  Worker& me = *workers_[index];
  while (!shutdown_) {
    const Clock::time_point now = Clock::now();
    wake_expired_locked(now);
    Scheduler& scheduler = config_.deterministic ? *schedulers_[index] : *schedulers_[0];
    if (const std::optional<Pick> pick = scheduler.pick(index, sched_now_locked(index, now))) {
      run_slice(lock, index, *pick);
      continue;
    }
    if (config_.deterministic && scheduler.next_event() != kNever) {
      // Everything runnable here is throttled: this worker's clock (instructions) moves on to
      // the end of the throttle, as host time would.
      me.virtual_clock = std::max(me.virtual_clock, scheduler.next_event());
      continue;
    }
    idle_wait(lock, index);
  }
}

void WorkerPool::idle_wait(std::unique_lock<std::mutex>& lock, unsigned index) {
  Worker& me = *workers_[index];
  const Clock::time_point start = Clock::now();
  Clock::time_point until = Clock::time_point::max();
  if (!parked_.empty()) until = parked_.top().deadline;
  if (!config_.deterministic && schedulers_[0]->next_event() != kNever)
    until = std::min(until, epoch_ + std::chrono::nanoseconds{static_cast<int64_t>(
                                         std::min<SchedTime>(schedulers_[0]->next_event(), INT64_MAX))});
  me.idle = true;
  if (until != Clock::time_point::max() && (!timekeeper_ || *timekeeper_ == index)) {
    timekeeper_ = index;
    me.cv.wait_until(lock, until);
    if (timekeeper_ == index) timekeeper_.reset();
  } else {
    me.cv.wait(lock);
  }
  me.idle = false;
  me.stats.idle += std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start);
}

namespace {

// A machine's running totals, read around each slice for the timeline and the report (a few
// loads per hart).
struct MachineCounters {
  uint64_t traps = 0, blocks_built = 0, invalidations = 0;
  uint64_t disk_bytes = 0, disk_throttled = 0;
};

MachineCounters machine_counters(Machine& machine) {
  MachineCounters c;
  const DiskBandwidthStats disk = machine.disk_bandwidth().stats();
  c.disk_bytes = disk.bytes;
  c.disk_throttled = disk.throttled;
  for (unsigned i = 0; i < machine.hart_count(); ++i) {
    c.traps += machine.hart(i).traps_taken();
    if (const auto* block = dynamic_cast<const BlockEngine*>(&machine.engine(i))) {
      c.blocks_built += block->stats().blocks_built;
      c.invalidations += block->stats().invalidations;
    }
  }
  return c;
}

}  // namespace

void WorkerPool::run_slice(std::unique_lock<std::mutex>& lock, unsigned index, const Pick& pick) {
  Worker& me = *workers_[index];
  Slot& slot = *slots_.at(pick.vm);
  VirtualMachine& vm = *slot.vm;
  Machine& machine = vm.machine();
  slot.on_cpu = true;
  slot.worker = index;
  // A stop request can only be stale here (pause and stop take queued machines off directly),
  // so clear it; requests made from now on are seen by the engines.
  for (unsigned h = 0; h < machine.hart_count(); ++h) machine.hart(h).clear_stop_request();
  const Clock::time_point picked = Clock::now();
  std::optional<std::chrono::nanoseconds> latency;
  if (slot.wake_reference) latency = std::max(std::chrono::nanoseconds{0}, picked - *slot.wake_reference);
  slot.wake_reference.reset();
  const bool needs_poll = std::exchange(slot.needs_poll, false);
  const double speed = slot.insns_per_ns > 0 ? slot.insns_per_ns : kDefaultInsnsPerNs;
  // Wake-up preemption: end this slice when the earliest sleeper is due (not shorter than
  // min_slice), so the sleeper starts promptly even when every worker is busy.
  std::optional<Clock::time_point> next_sleeper;
  if (!config_.deterministic && !parked_.empty()) next_sleeper = parked_.top().deadline;
  const uint64_t trap_limit = config_.trap_loop_steps;
  lock.unlock();

  // --- The machine is ours until we set on_cpu = false again. ---
  uint64_t budget = config_.slice_instructions;
  const bool virtual_time = machine.clock().mode() == MachineClock::Mode::Virtual;
  if (config_.deterministic) {
    budget = std::min<uint64_t>(budget, pick.budget);
  } else {
    double ns = static_cast<double>(pick.budget);
    if (next_sleeper)
      ns = std::min(ns, std::max(static_cast<double>(config_.scheduler.min_slice),
                                 static_cast<double>((*next_sleeper - picked).count())));
    if (!virtual_time) {
      // Its own timer, if still ahead (a passed one is raised by the poll that ends the slice).
      const uint64_t deadline = machine.next_deadline();
      const auto until = deadline != kNoDeadline ? machine.clock().until(deadline) : std::chrono::nanoseconds{0};
      if (until.count() > 0) ns = std::min(ns, static_cast<double>(until.count()));
    }
    const double insns = std::max(static_cast<double>(kMinSliceInstructions), ns * speed);
    budget = std::min<uint64_t>(budget, static_cast<uint64_t>(std::min(insns, 1e18)));
  }
  if (virtual_time) {
    // Its own timer: virtual time advances one tick per kDefaultInsnsPerTick instructions.
    machine.clock().latch();
    const uint64_t deadline = machine.next_deadline();
    const uint64_t now_ticks = machine.clock().mtime();
    if (deadline != kNoDeadline && deadline > now_ticks) {
      const uint64_t ticks = deadline - now_ticks;
      const uint64_t insns = ticks > kNoDeadline / MachineClock::kDefaultInsnsPerTick
                                 ? kNoDeadline
                                 : ticks * MachineClock::kDefaultInsnsPerTick;
      budget = std::min(budget, std::max<uint64_t>(insns, MachineClock::kDefaultInsnsPerTick));
    }
  }

  SliceOutcome out;
  const uint64_t retired_before = machine.retired();
  const MachineCounters counters_before = machine_counters(machine);
  const std::chrono::nanoseconds thread_start = thread_cpu_now();
  out.start = Clock::now();
  try {
    if (needs_poll) machine.board().poll();
    out.result = machine.run_slice(budget);
  } catch (const std::exception& e) {
    out.failure = e.what();
  }
  out.end = Clock::now();
  const std::chrono::nanoseconds thread_cpu = thread_cpu_now() - thread_start;
  out.instructions = machine.retired() - retired_before;
  if (!out.failure) {
    if (machine.exit_code()) {
      out.stop = StopInfo{StopInfo::Cause::Exited, *machine.exit_code()};
    } else {
      slot.trap_only_steps = out.instructions ? 0 : slot.trap_only_steps + out.result.steps;
      if (slot.trap_only_steps >= trap_limit) {
        Hart& hart = machine.hart(0);
        StopInfo info{StopInfo::Cause::Trap};
        info.trap_cause = hart.last_trap_cause();
        hart.csr_read(csr::mepc, info.trap_pc);
        hart.csr_read(csr::mtval, info.trap_value);
        out.stop = info;
      }
    }
    uint64_t deadline = kNoDeadline;
    if (!out.stop && out.result.reason == StopReason::Wait && machine.idle()) {
      // Real time moves on by itself: a deadline that passed after the slice's own poll is
      // missing from next_deadline() (which lists future ones only) and not yet pending. Polling
      // after reading it raises any such one, so none is lost.
      deadline = machine.next_deadline();
      machine.board().poll();
      out.idle = machine.idle();
    }
    if (out.idle) {
      if (deadline != kNoDeadline) {
        if (virtual_time) {
          // Nothing runs until the deadline, so virtual time jumps there (as Machine::run).
          machine.clock().skip_to(deadline);
          machine.board().poll();
          out.time_skipped = true;
        } else {
          out.host_deadline = Clock::now() + machine.clock().until(deadline);
        }
      }
    }
  }
  const auto cpu = std::chrono::duration_cast<std::chrono::nanoseconds>(out.end - out.start);
  vm.account_slice(cpu, thread_cpu, out.result.steps, out.instructions);
  if (latency) vm.account_latency(*latency);

  lock.lock();
  // --- Back under the lock: account, then decide where the machine goes. ---
  slot.on_cpu = false;
  // Speed in instructions per charged nanosecond: it turns the scheduler's budgets into
  // instruction budgets.
  const auto charged = config_.charge == Charge::ThreadCpuTime ? thread_cpu : cpu;
  // Only slices that used their whole budget say how fast the guest runs (one that went to
  // sleep after a few instructions does not).
  if (!out.failure && out.result.reason == StopReason::Budget && out.result.steps >= kMinSliceInstructions &&
      charged.count() > 0) {
    const double measured = static_cast<double>(out.result.steps) / static_cast<double>(charged.count());
    slot.insns_per_ns = slot.insns_per_ns > 0 ? 0.75 * slot.insns_per_ns + 0.25 * measured : measured;
  }
  me.stats.busy += cpu;
  ++me.stats.slices;
  me.stats.instructions += out.instructions;
  SchedTime usage = static_cast<SchedTime>(std::max<int64_t>(1, charged.count()));
  if (config_.deterministic) {
    usage = std::max<uint64_t>(1, out.result.steps);
    me.virtual_clock += usage;
  }
  Scheduler& scheduler = scheduler_for(slot);
  const VmId id = vm.id();
  const Clock::time_point now = Clock::now();
  scheduler.account(id, usage, sched_now_locked(index, now));

  SliceRecord record;
  const MachineCounters counters_after = machine_counters(machine);
  record.traps = counters_after.traps - counters_before.traps;
  record.blocks_built = counters_after.blocks_built - counters_before.blocks_built;
  record.block_invalidations = counters_after.invalidations - counters_before.invalidations;
  record.disk_bytes = counters_after.disk_bytes - counters_before.disk_bytes;
  record.disk_throttled = counters_after.disk_throttled - counters_before.disk_throttled;
  record.worker = index;
  record.vm = id;
  record.start = out.start;
  record.end = out.end;
  record.steps = out.result.steps;
  record.instructions = out.instructions;
  record.latency = latency;
  record.thread_cpu = thread_cpu;
  const Slot::Request request = std::exchange(slot.request, Slot::Request::None);
  const bool woken = std::exchange(slot.wake_pending, false);
  bool left = true;
  if (out.failure) {
    record.reason = SliceEnd::Failed;
    scheduler.remove(id);
    vm.fail(*out.failure);
  } else if (out.stop) {
    record.reason = out.stop->cause == StopInfo::Cause::Exited ? SliceEnd::Exited : SliceEnd::Trapped;
    scheduler.remove(id);
    vm.stopped(*out.stop);
  } else if (request == Slot::Request::Stop) {
    record.reason = SliceEnd::Stopped;
    scheduler.remove(id);
    vm.stopped(StopInfo{StopInfo::Cause::Requested});
  } else if (request == Slot::Request::Detach) {
    record.reason = SliceEnd::Stopped;
    scheduler.remove(id);
  } else {
    left = false;
    if (request == Slot::Request::Pause) {
      record.reason = SliceEnd::Paused;
      park_locked(slot, std::nullopt);
      slot.paused = true;
      vm.pause();
    } else if (out.idle && !out.time_skipped && !woken) {
      record.reason = SliceEnd::Wait;
      park_locked(slot, out.host_deadline);
    } else {
      const std::optional<SchedInfo> info = scheduler.info(id);
      record.reason = out.idle ? SliceEnd::Wait : SliceEnd::Budget;
      if (info && info->state == SchedState::Throttled) {
        record.reason = SliceEnd::Throttled;
        vm.account_throttle();
      }
      if (out.time_skipped) vm.account_wakeup();
    }
  }
  // Recorded under the lock: a machine's slices reach the hook in the order they ran (the next
  // one, perhaps on another worker, cannot start before), and the slice that ends its run does
  // before stop() or wait_stopped() returns.
  if (config_.on_slice) config_.on_slice(record);
  if (left) erase_locked(id);
  if (request != Slot::Request::None) changed_.notify_all();
}

}  // namespace hartbox
