#include "manager/fleet.hpp"

#include <cstdio>

namespace hartbox {

namespace {
WorkerPoolConfig pool_config(const FleetConfig& config) {
  WorkerPoolConfig pool;
  pool.policy = config.policy;
  pool.scheduler = config.scheduler;
  pool.workers = config.workers;
  pool.slice_instructions = config.slice_instructions ? config.slice_instructions : 1;
  pool.deterministic = config.deterministic;
  pool.charge = config.charge;
  pool.on_slice = config.on_slice;
  return pool;
}

std::string format_fraction(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}
}  // namespace

Fleet::Fleet(FleetConfig config) : config_(std::move(config)), events_(config_.event_log_capacity) {
  try {
    pool_ = std::make_unique<WorkerPool>(pool_config(config_));
  } catch (const std::invalid_argument& e) {
    throw FleetError(e.what());
  }
  groups_.emplace("default", kDefaultGroup);
  events_.append(kNoVm, {}, EventKind::Note,
                 "fleet: policy " + config_.policy + ", " + std::to_string(pool_->worker_count()) + " workers" +
                     (config_.deterministic ? ", deterministic" : ""));
}

Fleet::~Fleet() {
  std::vector<std::shared_ptr<VirtualMachine>> running;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, record] : vms_) running.push_back(record.vm);
  }
  {
    std::lock_guard control(control_mutex_);
    for (const auto& vm : running) {
      const VmState state = vm->state();
      if (state != VmState::Running && state != VmState::Paused) continue;
      try {
        pool_->stop(*vm);
      } catch (const IllegalTransition&) {
        // It stopped or failed by itself meanwhile.
      }
    }
  }
  running.clear();
  {
    // Machines go before the pool: an outside event (on_external_event) may still call wake().
    std::lock_guard lock(mutex_);
    vms_.clear();
  }
  pool_.reset();
}

std::shared_ptr<VirtualMachine> Fleet::get(VmId vm) const {
  std::lock_guard lock(mutex_);
  const auto it = vms_.find(vm);
  if (it == vms_.end()) throw FleetError("no vm " + std::to_string(vm));
  return it->second.vm;
}

std::optional<VmId> Fleet::find(std::string_view name) const {
  std::lock_guard lock(mutex_);
  const auto it = names_.find(name);
  if (it == names_.end()) return std::nullopt;
  return it->second;
}

GroupId Fleet::group_id_locked(const std::string& group) {
  const auto it = groups_.find(group);
  if (it != groups_.end()) return it->second;
  const GroupId id = static_cast<GroupId>(groups_.size());
  groups_.emplace(group, id);
  return id;
}

double Fleet::reserved_except_locked(VmId vm) const {
  double total = 0.0;
  for (const auto& [id, record] : vms_)
    if (id != vm) total += record.vm->params().reservation;
  return total;
}

VmId Fleet::create(const VmSpec& spec) {
  SchedParams params;
  params.weight = spec.weight;
  params.cap = spec.cap;
  params.reservation = spec.reservation;
  params.priority = spec.priority;
  try {
    validate(params);
  } catch (const std::invalid_argument& e) {
    throw FleetError((spec.name.empty() ? std::string("vm") : spec.name) + ": " + e.what());
  }
  if (spec.worker && *spec.worker >= pool_->worker_count())
    throw FleetError(spec.name + ": there is no worker " + std::to_string(*spec.worker));

  VmId id;
  std::string name;
  {
    std::lock_guard lock(mutex_);
    id = next_id_++;
    name = spec.name.empty() ? "vm" + std::to_string(id) : spec.name;
    if (names_.count(name)) throw FleetError("a vm named '" + name + "' already exists");
    if (params.reservation > 0.0 &&
        reserved_except_locked(kNoVm) + params.reservation > static_cast<double>(pool_->worker_count()))
      throw FleetError(name + ": the reservations would exceed the " + std::to_string(pool_->worker_count()) +
                       " host threads");
    params.group = group_id_locked(spec.group);
    names_.emplace(name, id);  // reserved while the machine is built
  }

  std::unique_ptr<Machine> machine;
  try {
    MachineConfig config = spec.machine;
    WorkerPool* pool = pool_.get();
    config.on_external_event = [pool, id, chained = spec.machine.on_external_event] {
      if (chained) chained();
      pool->wake(id);
    };
    machine = spec.factory ? spec.factory(config) : std::make_unique<Machine>(config);
    if (!machine) throw std::runtime_error("the factory built no machine");
    if (spec.setup) spec.setup(*machine);
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    names_.erase(name);
    throw FleetError(name + ": " + e.what());
  }

  auto vm = std::make_shared<VirtualMachine>(id, name, spec.group, params, std::move(machine), &events_);
  std::lock_guard lock(mutex_);
  vms_.emplace(id, Record{std::move(vm), spec.worker});
  return id;
}

void Fleet::start(VmId id) { start_all({id}); }

void Fleet::start_all(const std::vector<VmId>& ids) {
  std::lock_guard control(control_mutex_);
  std::vector<WorkerPool::Admission> admissions;
  {
    std::lock_guard lock(mutex_);
    for (VmId id : ids) {
      const auto it = vms_.find(id);
      if (it == vms_.end()) throw FleetError("no vm " + std::to_string(id));
      if (it->second.vm->state() != VmState::Created)
        throw IllegalTransition(id, it->second.vm->state(), VmState::Running);
    }
    for (VmId id : ids) {
      const Record& record = vms_.at(id);
      record.vm->start();
      admissions.push_back({record.vm.get(), record.worker});
    }
  }
  pool_->attach(admissions);
}

void Fleet::pause(VmId id) {
  const auto vm = get(id);
  std::lock_guard control(control_mutex_);
  pool_->pause(*vm);
}

void Fleet::resume(VmId id) {
  const auto vm = get(id);
  std::lock_guard control(control_mutex_);
  pool_->resume(*vm);
}

void Fleet::stop(VmId id) {
  const auto vm = get(id);
  std::lock_guard control(control_mutex_);
  pool_->stop(*vm);
}

void Fleet::destroy(VmId id) {
  std::shared_ptr<VirtualMachine> vm = get(id);
  {
    std::lock_guard control(control_mutex_);
    const VmState state = vm->state();
    if (state == VmState::Running || state == VmState::Paused) {
      try {
        pool_->stop(*vm);
      } catch (const IllegalTransition&) {
        // It stopped or failed by itself meanwhile: destroy it all the same.
      }
    }
    pool_->detach(*vm);
    vm->destroy();
    std::lock_guard lock(mutex_);
    names_.erase(vm->name());
    vms_.erase(id);
  }
  vm.reset();  // the machine's memory goes here, outside every lock
}

bool Fleet::wait_stopped(VmId id, std::chrono::nanoseconds timeout) const {
  std::shared_ptr<VirtualMachine> vm;
  {
    std::lock_guard lock(mutex_);
    const auto it = vms_.find(id);
    if (it == vms_.end()) return true;
    vm = it->second.vm;
  }
  if (vm->state() == VmState::Created) return false;
  pool_->wait_left(id, timeout);
  const VmState state = vm->state();
  return state == VmState::Stopped || state == VmState::Failed || state == VmState::Destroyed;
}

bool Fleet::wait_all_stopped(std::chrono::nanoseconds timeout) const { return pool_->wait_empty(timeout); }

VmInfo Fleet::info_of(const VirtualMachine& vm) const {
  VmInfo info;
  info.id = vm.id();
  info.name = vm.name();
  info.group = vm.group();
  info.state = vm.state();
  info.params = vm.params();
  info.stop = vm.stop_info();
  info.failure = vm.failure();
  info.sched = pool_->sched_info(vm.id());
  info.accounting = vm.accounting();
  return info;
}

std::vector<VmInfo> Fleet::list() const {
  std::vector<std::shared_ptr<VirtualMachine>> vms;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, record] : vms_) vms.push_back(record.vm);
  }
  std::vector<VmInfo> out;
  out.reserve(vms.size());
  for (const auto& vm : vms) out.push_back(info_of(*vm));
  return out;
}

VmInfo Fleet::inspect(VmId id) const { return info_of(*get(id)); }

void Fleet::change_params(VmId id, const std::function<void(SchedParams&)>& change, const std::string& what) {
  const auto vm = get(id);
  std::lock_guard control(control_mutex_);
  SchedParams params = vm->params();
  change(params);
  try {
    validate(params);
  } catch (const std::invalid_argument& e) {
    throw FleetError(vm->name() + ": " + e.what());
  }
  {
    std::lock_guard lock(mutex_);
    if (params.reservation > 0.0 &&
        reserved_except_locked(id) + params.reservation > static_cast<double>(pool_->worker_count()))
      throw FleetError(vm->name() + ": the reservations would exceed the " + std::to_string(pool_->worker_count()) +
                       " host threads");
  }
  vm->set_params(params, what);
  pool_->update(*vm, params);
}

void Fleet::set_weight(VmId id, uint32_t weight) {
  change_params(id, [&](SchedParams& p) { p.weight = weight; }, "weight " + std::to_string(weight));
}

void Fleet::set_cap(VmId id, double cap) {
  change_params(id, [&](SchedParams& p) { p.cap = cap; }, cap > 0.0 ? "cap " + format_fraction(cap) : "no cap");
}

void Fleet::set_reservation(VmId id, double reservation) {
  change_params(id, [&](SchedParams& p) { p.reservation = reservation; },
                reservation > 0.0 ? "reservation " + format_fraction(reservation) : "no reservation");
}

void Fleet::set_priority(VmId id, int priority) {
  change_params(id, [&](SchedParams& p) { p.priority = priority; }, "priority " + std::to_string(priority));
}

void Fleet::set_group_weight(const std::string& group, uint32_t weight) {
  std::lock_guard control(control_mutex_);
  if (weight < 1 || weight > SchedParams::kMaxWeight)
    throw FleetError("group " + group + ": a weight must be between 1 and " + std::to_string(SchedParams::kMaxWeight));
  GroupId id;
  {
    std::lock_guard lock(mutex_);
    id = group_id_locked(group);
  }
  pool_->set_group_weight(id, weight);
  events_.append(kNoVm, {}, EventKind::ParametersChanged, "group " + group + " weight " + std::to_string(weight));
}

void Fleet::with_machine(VmId id, const std::function<void(Machine&)>& fn) {
  const auto vm = get(id);
  std::lock_guard control(control_mutex_);
  if (vm->state() == VmState::Running)
    throw FleetError(vm->name() + " is running: pause it first");
  fn(vm->machine());
}

}  // namespace hartbox
