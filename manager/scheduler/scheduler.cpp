#include "manager/scheduler/scheduler.hpp"

#include <cmath>
#include <stdexcept>

#include "manager/scheduler/fair_share.hpp"
#include "manager/scheduler/round_robin.hpp"
#include "manager/scheduler/strict_priority.hpp"

namespace hartbox {

void validate(const SchedParams& params) {
  if (params.weight < 1 || params.weight > SchedParams::kMaxWeight)
    throw std::invalid_argument("a weight must be between 1 and " + std::to_string(SchedParams::kMaxWeight) +
                                ", not " + std::to_string(params.weight));
  if (!(params.cap >= 0.0 && params.cap <= 1.0))
    throw std::invalid_argument("a cap is a fraction of one host thread, between 0 (none) and 1");
  if (!(params.reservation >= 0.0 && params.reservation <= 1.0))
    throw std::invalid_argument("a reservation is a fraction of one host thread, between 0 (none) and 1");
  if (params.cap > 0.0 && params.reservation > params.cap)
    throw std::invalid_argument("a reservation cannot exceed the cap");
}

std::string_view to_string(SchedState state) {
  switch (state) {
    case SchedState::Parked: return "parked";
    case SchedState::Runnable: return "runnable";
    case SchedState::OnCpu: return "on-cpu";
    case SchedState::Throttled: return "throttled";
  }
  return "?";
}

std::vector<std::string_view> scheduler_names() { return {"fair_share", "round_robin", "strict_priority"}; }

std::unique_ptr<Scheduler> make_scheduler(std::string_view name, const SchedulerConfig& config) {
  if (config.slice == 0 || config.period == 0)
    throw std::invalid_argument("the scheduler's slice and period must be positive");
  if (name == "fair_share") return std::make_unique<FairShareScheduler>(config);
  if (name == "round_robin") return std::make_unique<RoundRobinScheduler>(config);
  if (name == "strict_priority") return std::make_unique<StrictPriorityScheduler>(config);
  throw std::invalid_argument("unknown scheduling policy '" + std::string(name) +
                              "' (fair_share, round_robin or strict_priority)");
}

}  // namespace hartbox
