#include "manager/vm.hpp"

#include <algorithm>
#include <bit>
#include <cinttypes>
#include <cmath>
#include <cstdio>

namespace hartbox {

std::string_view to_string(VmState state) {
  switch (state) {
    case VmState::Created: return "created";
    case VmState::Running: return "running";
    case VmState::Paused: return "paused";
    case VmState::Stopped: return "stopped";
    case VmState::Failed: return "failed";
    case VmState::Destroyed: return "destroyed";
  }
  return "?";
}

bool transition_allowed(VmState from, VmState to) {
  switch (to) {
    case VmState::Created: return false;
    case VmState::Running: return from == VmState::Created || from == VmState::Paused;
    case VmState::Paused: return from == VmState::Running;
    case VmState::Stopped: return from == VmState::Running || from == VmState::Paused;
    case VmState::Failed: return from != VmState::Destroyed && from != VmState::Failed;
    case VmState::Destroyed:
      return from == VmState::Created || from == VmState::Stopped || from == VmState::Failed;
  }
  return false;
}

namespace {
std::string transition_message(VmId vm, VmState from, VmState to) {
  return "vm " + std::to_string(vm) + ": cannot go from " + std::string(to_string(from)) + " to " +
         std::string(to_string(to));
}
}  // namespace

IllegalTransition::IllegalTransition(VmId vm_id, VmState from_state, VmState to_state)
    : std::logic_error(transition_message(vm_id, from_state, to_state)), vm(vm_id), from(from_state), to(to_state) {}

std::string describe(const StopInfo& info) {
  char text[128];
  switch (info.cause) {
    case StopInfo::Cause::Exited:
      std::snprintf(text, sizeof text, "exit code %d", info.exit_code);
      return text;
    case StopInfo::Cause::Trap:
      std::snprintf(text, sizeof text, "trap loop: mcause 0x%" PRIx64 " at pc 0x%" PRIx64 ", mtval 0x%" PRIx64,
                    info.trap_cause, info.trap_pc, info.trap_value);
      return text;
    case StopInfo::Cause::Requested: return "stopped by request";
  }
  return "?";
}

// --- LatencyHistogram ---

unsigned LatencyHistogram::bucket_of(uint64_t ns) {
  if (ns < kSubBuckets) return static_cast<unsigned>(ns);
  const unsigned exponent = static_cast<unsigned>(std::bit_width(ns)) - 1;  // >= 3
  const unsigned sub = static_cast<unsigned>((ns >> (exponent - 3)) & (kSubBuckets - 1));
  return (exponent - 2) * kSubBuckets + sub;
}

uint64_t LatencyHistogram::bucket_upper(unsigned bucket) {
  if (bucket < kSubBuckets) return bucket;
  const unsigned exponent = bucket / kSubBuckets + 2;
  const uint64_t sub = bucket % kSubBuckets;
  const uint64_t lower = (kSubBuckets + sub) << (exponent - 3);
  return lower + (uint64_t{1} << (exponent - 3)) - 1;
}

void LatencyHistogram::add(std::chrono::nanoseconds sample) {
  const uint64_t ns = sample.count() > 0 ? static_cast<uint64_t>(sample.count()) : 0;
  if (!counts_) counts_ = std::make_unique<std::array<uint32_t, kBuckets>>();
  uint32_t& slot = (*counts_)[bucket_of(ns)];
  if (slot != UINT32_MAX) ++slot;
  ++count_;
  sum_ns_ += ns;
  max_ns_ = std::max(max_ns_, ns);
}

std::chrono::nanoseconds LatencyHistogram::quantile(double q) const {
  if (!counts_ || count_ == 0) return std::chrono::nanoseconds{0};
  const double wanted = std::ceil(std::clamp(q, 0.0, 1.0) * static_cast<double>(count_));
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(wanted));
  uint64_t seen = 0;
  for (unsigned b = 0; b < kBuckets; ++b) {
    seen += (*counts_)[b];
    if (seen >= rank)
      return std::chrono::nanoseconds{static_cast<int64_t>(std::min(bucket_upper(b), max_ns_))};
  }
  return std::chrono::nanoseconds{static_cast<int64_t>(max_ns_)};
}

LatencyStats LatencyHistogram::stats() const {
  LatencyStats s;
  s.count = count_;
  if (count_ == 0) return s;
  s.mean = std::chrono::nanoseconds{static_cast<int64_t>(sum_ns_ / count_)};
  s.max = std::chrono::nanoseconds{static_cast<int64_t>(max_ns_)};
  s.p50 = quantile(0.5);
  s.p99 = quantile(0.99);
  return s;
}

// --- VirtualMachine ---

VirtualMachine::VirtualMachine(VmId id, std::string name, std::string group, const SchedParams& params,
                               std::unique_ptr<Machine> machine, EventLog* log)
    : id_(id), name_(std::move(name)), group_(std::move(group)), machine_(std::move(machine)), log_(log),
      params_(params) {
  if (log_) log_->append(id_, name_, EventKind::Created, "group " + group_);
}

VirtualMachine::~VirtualMachine() = default;

VmState VirtualMachine::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void VirtualMachine::transition(VmState to, EventKind kind, const std::string& detail) {
  if (!transition_allowed(state_, to)) throw IllegalTransition(id_, state_, to);
  state_ = to;
  // Appended under our lock, so one VM's events are in the order its transitions happened.
  if (log_) log_->append(id_, name_, kind, detail);
}

void VirtualMachine::start() {
  std::lock_guard lock(mutex_);
  transition(VmState::Running, EventKind::Started, {});
}

void VirtualMachine::pause() {
  std::lock_guard lock(mutex_);
  transition(VmState::Paused, EventKind::Paused, {});
}

void VirtualMachine::resume() {
  std::lock_guard lock(mutex_);
  transition(VmState::Running, EventKind::Resumed, {});
}

void VirtualMachine::stopped(const StopInfo& info) {
  std::lock_guard lock(mutex_);
  transition(VmState::Stopped, EventKind::Stopped, describe(info));
  stop_info_ = info;
}

void VirtualMachine::fail(const std::string& reason) {
  std::lock_guard lock(mutex_);
  transition(VmState::Failed, EventKind::Failed, reason);
  failure_ = reason;
}

void VirtualMachine::destroy() {
  std::lock_guard lock(mutex_);
  transition(VmState::Destroyed, EventKind::Destroyed, {});
}

std::optional<StopInfo> VirtualMachine::stop_info() const {
  std::lock_guard lock(mutex_);
  return stop_info_;
}

std::string VirtualMachine::failure() const {
  std::lock_guard lock(mutex_);
  return failure_;
}

SchedParams VirtualMachine::params() const {
  std::lock_guard lock(mutex_);
  return params_;
}

void VirtualMachine::set_params(const SchedParams& params, const std::string& what_changed) {
  std::lock_guard lock(mutex_);
  params_ = params;
  if (log_) log_->append(id_, name_, EventKind::ParametersChanged, what_changed);
}

void VirtualMachine::account_slice(std::chrono::nanoseconds cpu_time, std::chrono::nanoseconds thread_cpu_time,
                                   uint64_t steps, uint64_t instructions) {
  std::lock_guard lock(mutex_);
  accounting_.cpu_time += cpu_time;
  accounting_.thread_cpu_time += thread_cpu_time;
  accounting_.steps += steps;
  accounting_.instructions += instructions;
  ++accounting_.slices;
}

void VirtualMachine::account_wakeup() {
  std::lock_guard lock(mutex_);
  ++accounting_.wakeups;
}

void VirtualMachine::account_latency(std::chrono::nanoseconds latency) {
  std::lock_guard lock(mutex_);
  latency_.add(latency);
}

void VirtualMachine::account_throttle() {
  std::lock_guard lock(mutex_);
  ++accounting_.throttles;
}

VmAccounting VirtualMachine::accounting() const {
  std::lock_guard lock(mutex_);
  VmAccounting out = accounting_;
  out.latency = latency_.stats();
  return out;
}

}  // namespace hartbox
