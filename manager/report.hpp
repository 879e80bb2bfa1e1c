// The end-of-run report of `hartbox fleet`: per machine, what it got (instructions, CPU time,
// its share of a host thread) against what it was entitled to, how promptly it was served
// (scheduling latency percentiles), how often it woke, and how it ended; for the fleet, Jain's
// fairness index over the CPU-bound machines. As a text table for people and as JSON.
//
// Shares and entitlements are in host threads: 0.5 is half of one worker thread; a fleet with W
// workers has at most W to give out, and gives out what its workers were busy running (if the
// host ran other work on our CPUs, less). Time is counted in what the scheduler bills
// (FleetConfig::charge): the worker threads' CPU time by default, the steady clock around slices
// with Charge::WallTime. A machine's entitlement is its part of that under the
// policy, given what every machine asked for (max-min fairness, "water filling"):
//   - demand: a CPU-bound machine asks for a whole thread (a machine runs on one worker at a
//     time); any other asks for what it used (it parked in WFI the rest of the time);
//   - fair_share: groups share the capacity by group weight, machines their group's part by
//     weight; nobody gets more than min(demand, cap); reservations are floors;
//   - round_robin: equal parts, caps honoured;
//   - strict_priority: the highest priority level is served first (equal parts within a level),
//     lower levels get what is left;
//   - deterministic mode pins each machine to one worker, so each worker's thread is shared
//     among its own machines, and its scheduler's clock is instructions: shares are then each
//     machine's part of its worker's instructions.
// A machine is CPU-bound if it ran for the whole run and was parked (waiting in WFI, or paused)
// for less than 5% of it. Jain's index J = (sum x)^2 / (n * sum x^2) over x = share / entitlement of the
// CPU-bound machines: 1 when each got exactly its entitlement (or the same fraction of it),
// 1/n at worst.
//
// Below the table, each machine whose disks moved data: how much, and how many requests waited
// for its disk bandwidth limit.
//
// ReportCollector gathers what the Fleet's accounting does not keep (the latency histogram's
// 90th percentile, time spent parked, disk traffic) from the per-slice hook; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "manager/fleet.hpp"
#include "manager/worker_pool.hpp"

namespace hartbox {

// ---------------------------------------------------------------------------------------------
// Entitlement and fairness: pure functions.

struct EntitlementMachine {
  uint32_t weight = SchedParams::kDefaultWeight;
  double cap = 0;          // fraction of a thread; 0: none
  double reservation = 0;  // fraction of a thread
  int priority = 0;
  std::string group = "default";
  double demand = 1.0;     // threads it would use if it could (at most 1)
  std::optional<unsigned> worker;  // deterministic mode: the worker it is pinned to
};

struct EntitlementInput {
  std::string policy = "fair_share";  // "fair_share", "round_robin", "strict_priority"
  unsigned workers = 1;
  // Threads each worker actually delivered (its busy time / wall time); empty: 1 each. Sharing
  // out what was delivered keeps the host's own load (other processes on our CPUs) out of the
  // fairness figures; utilisation reports it separately.
  std::vector<double> worker_capacity;
  bool deterministic = false;
  std::map<std::string, uint32_t, std::less<>> group_weights;  // absent: 100
  std::vector<EntitlementMachine> machines;
};

// Each machine's entitlement in threads, in input order.
std::vector<double> compute_entitlements(const EntitlementInput& input);

// A machine's parameters as compute_entitlements() takes them, with the threads it asks for.
EntitlementMachine entitlement_machine(const VmInfo& vm, double demand, unsigned workers);

// Whether shares count the workers' CPU time (what the scheduler bills by default) rather than
// the steady clock around slices; and the two clocks' readings in that unit.
bool counts_thread_cpu(const FleetConfig& config);
std::chrono::nanoseconds billed(const FleetConfig& config, const VmAccounting& accounting);
std::chrono::nanoseconds billed(const FleetConfig& config, const WorkerStats& worker);

// Splits `capacity` among items by weight (max-min fair): item i gets clamp(l * w_i, floor_i,
// ceiling_i) with one level l for all; everyone gets its ceiling if capacity allows, and floors
// scale down if even they do not fit. Exposed for tests.
struct WaterFillItem {
  double weight = 1, floor = 0, ceiling = 1;
};
std::vector<double> water_fill(double capacity, std::span<const WaterFillItem> items);

// Jain's fairness index of `x` (all >= 0): (sum x)^2 / (n sum x^2); 1 for an empty or all-zero
// input.
double jain_index(std::span<const double> x);

// ---------------------------------------------------------------------------------------------
// What the slice hook tells us.

class ReportCollector {
 public:
  ReportCollector();
  // The per-slice hook (any worker thread).
  void on_slice(const SliceRecord& slice);

  struct VmSlices {
    uint64_t slices = 0;
    std::chrono::nanoseconds parked{0};  // time spent parked in WFI or paused, up to `now`
    std::chrono::nanoseconds p50{0}, p90{0}, p99{0}, max{0}, mean{0};
    uint64_t latency_samples = 0;
    uint64_t disk_bytes = 0, disk_throttled = 0;  // SliceRecord's, summed
  };
  VmSlices vm(VmId vm, std::chrono::steady_clock::time_point now) const;

 private:
  struct PerVm {
    uint64_t slices = 0;
    std::chrono::nanoseconds parked{0};
    std::optional<std::chrono::steady_clock::time_point> parked_since;
    LatencyHistogram latency;
    uint64_t disk_bytes = 0, disk_throttled = 0;
  };
  mutable std::mutex mutex_;
  std::unordered_map<VmId, PerVm> vms_;
};

// ---------------------------------------------------------------------------------------------
// The report.

struct MachineReport {
  VmId id = kNoVm;
  std::string name, group;
  std::string state;        // "running", "stopped", "failed", ... at the end of the run
  std::string end;          // how it ended: "exit code 0", "stopped at end of run", a failure
  SchedParams params;
  uint64_t instructions = 0;
  double cpu_seconds = 0;
  double mips = 0;          // instructions per CPU microsecond
  double share = 0;         // threads: cpu_seconds / wall_seconds (deterministic: see above)
  double entitlement = 0;   // threads
  double normalised = 0;    // share / entitlement (0 when the entitlement is 0)
  bool cpu_bound = false;
  double parked_fraction = 0;
  uint64_t slices = 0, wakeups = 0, throttles = 0;
  uint64_t latency_samples = 0;
  std::chrono::nanoseconds p50{0}, p90{0}, p99{0}, max{0};
  // Its disks (from the collector): data bytes moved, and requests that waited for its disk
  // bandwidth limit (limits.disk_bytes_per_second).
  uint64_t disk_bytes = 0, disk_throttled = 0;
};

struct SegmentReport {
  std::string name;
  uint64_t frames = 0, bytes = 0, flooded = 0, unicast = 0, captured = 0;
  uint64_t filtered = 0;  // for a station behind the sender's own port (two cards, one address?)
  uint64_t policed = 0;   // frames dropped by ports' limits
  size_t ports = 0, mac_entries = 0;
};

struct FleetReport {
  std::string policy;
  unsigned workers = 0;
  bool deterministic = false;
  double wall_seconds = 0;
  uint64_t instructions = 0;
  double cpu_seconds = 0;
  double utilisation = 0;              // busy / (wall * workers)
  double host_cpu_seconds = 0;         // CPU time the host gave the worker threads
  double capacity = 0;                 // threads the workers spent running guests (shared out)
  std::optional<double> jain;          // over the CPU-bound machines; nullopt if there are none
  size_t cpu_bound = 0;
  std::vector<MachineReport> machines;
  std::vector<SegmentReport> networks;
  uint64_t events = 0;
};

// A snapshot of what a report is made of, taken while the machines still run (so a machine
// still running at the end counts as having run the whole time).
struct ReportInput {
  FleetConfig config;
  unsigned workers = 1;
  std::vector<VmInfo> vms;
  std::map<std::string, uint32_t, std::less<>> group_weights;
  std::chrono::nanoseconds wall{0};
  std::vector<WorkerStats> worker_stats;
  uint64_t events = 0;
  std::vector<SegmentReport> networks;
};

// Builds the report; `collector` may be null (then latency percentiles come from the Fleet's
// accounting, without p90, and nothing counts as parked).
FleetReport build_report(const ReportInput& input, const ReportCollector* collector,
                         std::chrono::steady_clock::time_point now);

std::string format_report(const FleetReport& report);
nlohmann::json report_json(const FleetReport& report);

}  // namespace hartbox
