#include "manager/report.hpp"

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <numeric>

namespace hartbox {

namespace {

constexpr double kCpuBoundParkedFraction = 0.05;

double clamp_nonnegative(double x) { return std::isfinite(x) && x > 0 ? x : 0.0; }

}  // namespace

// ---------------------------------------------------------------------------------------------
// Entitlements

std::vector<double> water_fill(double capacity, std::span<const WaterFillItem> items) {
  const size_t n = items.size();
  std::vector<double> out(n, 0.0);
  if (n == 0) return out;
  capacity = clamp_nonnegative(capacity);
  std::vector<double> lo(n), hi(n), w(n);
  double sum_lo = 0, sum_hi = 0, max_level = 0;
  for (size_t i = 0; i < n; ++i) {
    hi[i] = clamp_nonnegative(items[i].ceiling);
    lo[i] = std::min(clamp_nonnegative(items[i].floor), hi[i]);
    w[i] = clamp_nonnegative(items[i].weight);
    sum_lo += lo[i];
    sum_hi += hi[i];
    if (w[i] > 0) max_level = std::max(max_level, hi[i] / w[i]);
  }
  if (sum_hi <= capacity) return hi;
  if (sum_lo >= capacity) {
    // Over-reserved: floors shrink in proportion.
    for (size_t i = 0; i < n; ++i) out[i] = sum_lo > 0 ? lo[i] * capacity / sum_lo : 0.0;
    return out;
  }
  // total(l) = sum clamp(l * w_i, lo_i, hi_i) grows with l from sum_lo (l = 0) to sum_hi
  // (l = max_level); bisect for total(l) = capacity.
  auto total = [&](double level) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += std::clamp(level * w[i], lo[i], hi[i]);
    return sum;
  };
  double a = 0, b = max_level;
  for (int iteration = 0; iteration < 200 && b - a > 1e-15 * std::max(1.0, b); ++iteration) {
    const double mid = (a + b) / 2;
    (total(mid) < capacity ? a : b) = mid;
  }
  for (size_t i = 0; i < n; ++i) out[i] = std::clamp(b * w[i], lo[i], hi[i]);
  return out;
}

namespace {

// Entitlements of the machines `members` (indices into input.machines) sharing `capacity`.
void entitle_partition(const EntitlementInput& input, const std::vector<size_t>& members, double capacity,
                       std::vector<double>& out) {
  const bool fair = input.policy == "fair_share";
  auto ceiling = [&](size_t i) {
    const EntitlementMachine& m = input.machines[i];
    double c = std::min(clamp_nonnegative(m.demand), 1.0);
    if (m.cap > 0) c = std::min(c, m.cap);
    return c;
  };
  auto floor = [&](size_t i) { return fair ? std::min(clamp_nonnegative(input.machines[i].reservation), ceiling(i)) : 0.0; };

  auto fill = [&](const std::vector<size_t>& who, double cap, bool weighted) {
    std::vector<WaterFillItem> items;
    for (size_t i : who)
      items.push_back({weighted ? static_cast<double>(input.machines[i].weight) : 1.0, floor(i), ceiling(i)});
    const std::vector<double> got = water_fill(cap, items);
    for (size_t k = 0; k < who.size(); ++k) out[who[k]] = got[k];
    return std::accumulate(got.begin(), got.end(), 0.0);
  };

  if (input.policy == "strict_priority") {
    std::map<int, std::vector<size_t>, std::greater<>> levels;
    for (size_t i : members) levels[input.machines[i].priority].push_back(i);
    double left = capacity;
    for (auto& [priority, level] : levels) left = std::max(0.0, left - fill(level, left, false));
    return;
  }
  if (!fair) {  // round robin: equal parts
    fill(members, capacity, false);
    return;
  }
  // Fair share, two levels: groups by group weight, then machines by weight within a group.
  std::map<std::string, std::vector<size_t>, std::less<>> groups;
  for (size_t i : members) groups[input.machines[i].group].push_back(i);
  std::vector<WaterFillItem> group_items;
  for (auto& [name, who] : groups) {
    WaterFillItem g;
    auto it = input.group_weights.find(name);
    g.weight = it != input.group_weights.end() ? it->second : SchedParams::kDefaultWeight;
    g.floor = 0;
    g.ceiling = 0;
    for (size_t i : who) {
      g.floor += floor(i);
      g.ceiling += ceiling(i);
    }
    group_items.push_back(g);
  }
  const std::vector<double> group_share = water_fill(capacity, group_items);
  size_t k = 0;
  for (auto& [name, who] : groups) fill(who, group_share[k++], true);
}

}  // namespace

std::vector<double> compute_entitlements(const EntitlementInput& input) {
  std::vector<double> out(input.machines.size(), 0.0);
  const unsigned workers = std::max(1u, input.workers);
  auto capacity_of = [&](unsigned worker) {
    return worker < input.worker_capacity.size() ? std::clamp(input.worker_capacity[worker], 0.0, 1.0) : 1.0;
  };
  if (input.deterministic) {
    // One scheduler per worker, each sharing its own thread.
    std::map<unsigned, std::vector<size_t>> partitions;
    for (size_t i = 0; i < input.machines.size(); ++i)
      partitions[input.machines[i].worker.value_or(0) % workers].push_back(i);
    for (auto& [worker, members] : partitions) entitle_partition(input, members, capacity_of(worker), out);
  } else {
    std::vector<size_t> all(input.machines.size());
    std::iota(all.begin(), all.end(), size_t{0});
    double capacity = 0;
    for (unsigned w = 0; w < workers; ++w) capacity += capacity_of(w);
    entitle_partition(input, all, capacity, out);
  }
  return out;
}

double jain_index(std::span<const double> x) {
  double sum = 0, squares = 0;
  for (double v : x) {
    sum += v;
    squares += v * v;
  }
  if (x.empty() || squares == 0) return 1.0;
  return sum * sum / (static_cast<double>(x.size()) * squares);
}

// ---------------------------------------------------------------------------------------------
// ReportCollector

ReportCollector::ReportCollector() = default;

void ReportCollector::on_slice(const SliceRecord& slice) {
  std::lock_guard lock(mutex_);
  PerVm& v = vms_[slice.vm];
  ++v.slices;
  v.disk_bytes += slice.disk_bytes;
  v.disk_throttled += slice.disk_throttled;
  if (v.parked_since) {
    // It became runnable `latency` before this slice started (its deadline, or the wake-up).
    const auto woke = slice.latency ? slice.start - *slice.latency : slice.start;
    if (woke > *v.parked_since)
      v.parked += std::chrono::duration_cast<std::chrono::nanoseconds>(woke - *v.parked_since);
    v.parked_since.reset();
  }
  if (slice.latency) v.latency.add(*slice.latency);
  // Parked in WFI, or paused: either way not asking for the CPU until its next slice.
  if (slice.reason == SliceEnd::Wait || slice.reason == SliceEnd::Paused) v.parked_since = slice.end;
}

ReportCollector::VmSlices ReportCollector::vm(VmId id, std::chrono::steady_clock::time_point now) const {
  std::lock_guard lock(mutex_);
  VmSlices out;
  auto it = vms_.find(id);
  if (it == vms_.end()) return out;
  const PerVm& v = it->second;
  out.slices = v.slices;
  out.parked = v.parked;
  out.disk_bytes = v.disk_bytes;
  out.disk_throttled = v.disk_throttled;
  if (v.parked_since && now > *v.parked_since)
    out.parked += std::chrono::duration_cast<std::chrono::nanoseconds>(now - *v.parked_since);
  const LatencyStats stats = v.latency.stats();
  out.latency_samples = stats.count;
  if (stats.count) {
    out.p50 = v.latency.quantile(0.50);
    out.p90 = v.latency.quantile(0.90);
    out.p99 = v.latency.quantile(0.99);
    out.max = stats.max;
    out.mean = stats.mean;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The report

EntitlementMachine entitlement_machine(const VmInfo& vm, double demand, unsigned workers) {
  EntitlementMachine e;
  e.weight = vm.params.weight;
  e.cap = vm.params.cap;
  e.reservation = vm.params.reservation;
  e.priority = vm.params.priority;
  e.group = vm.group;
  e.demand = demand;
  e.worker = static_cast<unsigned>(vm.id % std::max(1u, workers));  // deterministic mode's pinning
  return e;
}

// With ThreadCpuTime, a slice whose thread the host preempted, or that waited for the host's
// disk, costs the machine only the CPU it got: shares counted by the steady clock would blame
// the scheduler for the host's load.
bool counts_thread_cpu(const FleetConfig& config) {
  return !config.deterministic && config.charge == Charge::ThreadCpuTime;
}
std::chrono::nanoseconds billed(const FleetConfig& config, const VmAccounting& accounting) {
  return counts_thread_cpu(config) ? accounting.thread_cpu_time : accounting.cpu_time;
}
std::chrono::nanoseconds billed(const FleetConfig& config, const WorkerStats& worker) {
  return counts_thread_cpu(config) ? worker.thread_cpu : worker.busy;
}

FleetReport build_report(const ReportInput& input, const ReportCollector* collector,
                         std::chrono::steady_clock::time_point now) {
  FleetReport r;
  r.policy = input.config.policy;
  r.workers = input.workers;
  r.deterministic = input.config.deterministic;
  r.wall_seconds = std::chrono::duration<double>(input.wall).count();
  r.events = input.events;
  r.networks = input.networks;
  const double wall = r.wall_seconds > 0 ? r.wall_seconds : 1e-9;

  EntitlementInput ent;
  ent.policy = input.config.policy;
  ent.workers = input.workers;
  ent.deterministic = input.config.deterministic;
  ent.group_weights = input.group_weights;
  for (const WorkerStats& w : input.worker_stats)
    ent.worker_capacity.push_back(std::chrono::duration<double>(billed(input.config, w)).count() / wall);
  r.capacity = 0;
  for (unsigned w = 0; w < std::max(1u, input.workers); ++w)
    r.capacity += w < ent.worker_capacity.size() ? std::min(1.0, ent.worker_capacity[w]) : 1.0;

  for (const VmInfo& vm : input.vms) {
    if (vm.state == VmState::Destroyed) continue;
    MachineReport m;
    m.id = vm.id;
    m.name = vm.name;
    m.group = vm.group;
    m.state = std::string(to_string(vm.state));
    if (vm.stop) m.end = describe(*vm.stop);
    else if (vm.state == VmState::Failed) m.end = vm.failure;
    else m.end = std::string(to_string(vm.state));
    m.params = vm.params;
    const VmAccounting& acc = vm.accounting;
    m.instructions = acc.instructions;
    m.cpu_seconds = std::chrono::duration<double>(billed(input.config, acc)).count();
    m.mips = m.cpu_seconds > 0 ? static_cast<double>(acc.instructions) / m.cpu_seconds / 1e6 : 0.0;
    m.share = m.cpu_seconds / wall;
    m.slices = acc.slices;
    m.wakeups = acc.wakeups;
    m.throttles = acc.throttles;
    if (collector) {
      const auto slices = collector->vm(vm.id, now);
      m.parked_fraction = std::min(1.0, std::chrono::duration<double>(slices.parked).count() / wall);
      m.latency_samples = slices.latency_samples;
      m.p50 = slices.p50;
      m.p90 = slices.p90;
      m.p99 = slices.p99;
      m.max = slices.max;
      m.disk_bytes = slices.disk_bytes;
      m.disk_throttled = slices.disk_throttled;
    } else {
      m.latency_samples = acc.latency.count;
      m.p50 = acc.latency.p50;
      m.p90 = acc.latency.p99;  // the closest the Fleet keeps
      m.p99 = acc.latency.p99;
      m.max = acc.latency.max;
    }
    m.cpu_bound = vm.state == VmState::Running && acc.slices > 0 && m.parked_fraction < kCpuBoundParkedFraction;

    ent.machines.push_back(entitlement_machine(vm, m.cpu_bound ? 1.0 : std::min(1.0, m.share), input.workers));

    r.instructions += m.instructions;
    r.cpu_seconds += m.cpu_seconds;
    r.machines.push_back(std::move(m));
  }

  if (r.deterministic) {
    // The scheduler's clock is each worker's instruction count (worker_pool.hpp), so that is what
    // it shares out: a machine's share is its part of its worker's instructions.
    const unsigned workers = std::max(1u, input.workers);
    std::vector<double> worker_instructions(workers, 0.0);
    for (size_t i = 0; i < r.machines.size(); ++i)
      worker_instructions[*ent.machines[i].worker] += static_cast<double>(r.machines[i].instructions);
    for (size_t i = 0; i < r.machines.size(); ++i) {
      const unsigned w = *ent.machines[i].worker;
      const double capacity = w < ent.worker_capacity.size() ? std::min(1.0, ent.worker_capacity[w]) : 1.0;
      MachineReport& m = r.machines[i];
      m.share = worker_instructions[w] > 0 ? static_cast<double>(m.instructions) / worker_instructions[w] * capacity : 0;
      if (!m.cpu_bound) ent.machines[i].demand = std::min(1.0, m.share);
    }
  }
  const std::vector<double> entitled = compute_entitlements(ent);
  std::vector<double> normalised;
  for (size_t i = 0; i < r.machines.size(); ++i) {
    MachineReport& m = r.machines[i];
    m.entitlement = entitled[i];
    m.normalised = m.entitlement > 0 ? m.share / m.entitlement : 0.0;
    if (m.cpu_bound) normalised.push_back(m.normalised);
  }
  r.cpu_bound = normalised.size();
  if (!normalised.empty()) r.jain = jain_index(normalised);

  std::chrono::nanoseconds busy{0}, host{0};
  for (const WorkerStats& w : input.worker_stats) {
    busy += w.busy;
    host += w.thread_cpu;
  }
  r.host_cpu_seconds = std::chrono::duration<double>(host).count();
  r.utilisation = std::chrono::duration<double>(busy).count() / (wall * std::max(1u, input.workers));
  return r;
}

namespace {

std::string human_count(uint64_t n) {
  char text[32];
  if (n >= 10'000'000'000ull) std::snprintf(text, sizeof text, "%.1fG", static_cast<double>(n) / 1e9);
  else if (n >= 10'000'000) std::snprintf(text, sizeof text, "%.1fM", static_cast<double>(n) / 1e6);
  else if (n >= 10'000) std::snprintf(text, sizeof text, "%.1fk", static_cast<double>(n) / 1e3);
  else std::snprintf(text, sizeof text, "%" PRIu64, n);
  return text;
}

std::string human_bytes(uint64_t n) {
  char text[32];
  if (n >= (uint64_t{1} << 30)) std::snprintf(text, sizeof text, "%.1f GiB", static_cast<double>(n) / (1 << 30));
  else if (n >= (uint64_t{1} << 20)) std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(n) / (1 << 20));
  else if (n >= 1024) std::snprintf(text, sizeof text, "%.1f KiB", static_cast<double>(n) / 1024);
  else std::snprintf(text, sizeof text, "%" PRIu64 " bytes", n);
  return text;
}

std::string human_duration(std::chrono::nanoseconds d) {
  char text[32];
  const double ns = static_cast<double>(d.count());
  if (ns < 1e3) std::snprintf(text, sizeof text, "%.0fns", ns);
  else if (ns < 1e6) std::snprintf(text, sizeof text, "%.0fus", ns / 1e3);
  else if (ns < 1e9) std::snprintf(text, sizeof text, "%.1fms", ns / 1e6);
  else std::snprintf(text, sizeof text, "%.2fs", ns / 1e9);
  return text;
}

double micros(std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e3; }

}  // namespace

std::string format_report(const FleetReport& r) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line,
                "Fleet report: %s policy, %u worker%s%s, %.2f s wall, %s instructions, %.2f s CPU (%.0f%% busy)\n",
                r.policy.c_str(), r.workers, r.workers == 1 ? "" : "s", r.deterministic ? " (deterministic)" : "",
                r.wall_seconds, human_count(r.instructions).c_str(), r.cpu_seconds, r.utilisation * 100);
  out += line;
  // If the host ran other work on our CPUs, the workers got less CPU than the time they spent
  // in slices. Worth saying when it is a lot: shares (in CPU time) then add up to less.
  const double busy_seconds = r.utilisation * r.wall_seconds * std::max(1u, r.workers);
  if (r.host_cpu_seconds > 0 && r.host_cpu_seconds < 0.8 * busy_seconds) {
    std::snprintf(line, sizeof line,
                  "  note: the host gave the workers only %.2f s of CPU while they ran guests for %.2f s (%.0f%%): it was "
                  "busy with other work; shares and entitlements count the CPU time the machines got\n",
                  r.host_cpu_seconds, busy_seconds, 100 * r.host_cpu_seconds / busy_seconds);
    out += line;
  }
  size_t name_width = 7;
  size_t group_width = 5;
  for (const MachineReport& m : r.machines) {
    name_width = std::max(name_width, m.name.size());
    group_width = std::max(group_width, m.group.size());
  }
  const int nw = static_cast<int>(name_width), gw = static_cast<int>(group_width);
  std::snprintf(line, sizeof line, "  %-*s %-*s %6s %5s %8s %7s %6s %7s %7s %6s %25s %7s  %s\n", nw, "MACHINE", gw,
                "GROUP", "WEIGHT", "CAP", "INSNS", "CPU s", "MIPS", "SHARE", "ENTITLED", "RATIO",
                "LATENCY p50/p90/p99/max", "WAKEUPS", "END");
  out += line;
  for (const MachineReport& m : r.machines) {
    char cap[16], ratio[16], latency[64];
    if (m.params.cap > 0) std::snprintf(cap, sizeof cap, "%.0f%%", m.params.cap * 100);
    else std::snprintf(cap, sizeof cap, "-");
    if (m.cpu_bound) std::snprintf(ratio, sizeof ratio, "%.2f", m.normalised);
    else std::snprintf(ratio, sizeof ratio, "(idle)");
    if (m.latency_samples)
      std::snprintf(latency, sizeof latency, "%s/%s/%s/%s", human_duration(m.p50).c_str(),
                    human_duration(m.p90).c_str(), human_duration(m.p99).c_str(), human_duration(m.max).c_str());
    else std::snprintf(latency, sizeof latency, "-");
    std::snprintf(line, sizeof line, "  %-*s %-*s %6u %5s %8s %7.2f %6.0f %6.1f%% %7.1f%% %6s %25s %7" PRIu64 "  %s\n",
                  nw, m.name.c_str(), gw, m.group.c_str(), m.params.weight, cap, human_count(m.instructions).c_str(),
                  m.cpu_seconds, m.mips, m.share * 100, m.entitlement * 100, ratio, latency, m.wakeups, m.end.c_str());
    out += line;
  }
  std::snprintf(line, sizeof line,
                "  (SHARE: %% of one host thread%s; ENTITLED: its fair part of the %.2f threads the workers ran; "
                "RATIO = SHARE / ENTITLED)\n",
                r.deterministic ? ", counted in instructions (the deterministic scheduler's clock)" : "", r.capacity);
  out += line;
  if (r.jain) {
    std::snprintf(line, sizeof line, "Jain fairness index over %zu CPU-bound machine%s: %.4f (1 = each got its entitlement)\n",
                  r.cpu_bound, r.cpu_bound == 1 ? "" : "s", *r.jain);
  } else {
    std::snprintf(line, sizeof line, "Jain fairness index: no CPU-bound machine\n");
  }
  out += line;
  for (const MachineReport& m : r.machines) {
    if (m.disk_bytes == 0 && m.disk_throttled == 0) continue;
    std::snprintf(line, sizeof line, "Disk %s: %s read and written", m.name.c_str(), human_bytes(m.disk_bytes).c_str());
    out += line;
    if (m.disk_throttled) {
      std::snprintf(line, sizeof line, ", %" PRIu64 " request%s waited for its bandwidth limit", m.disk_throttled,
                    m.disk_throttled == 1 ? "" : "s");
      out += line;
    }
    out += '\n';
  }
  for (const SegmentReport& s : r.networks) {
    std::snprintf(line, sizeof line,
                  "Network %s: %zu ports, %" PRIu64 " frames (%" PRIu64 " bytes), %" PRIu64 " unicast, %" PRIu64
                  " flooded, %" PRIu64 " filtered, %" PRIu64 " policed, %zu MAC entries%s\n",
                  s.name.c_str(), s.ports, s.frames, s.bytes, s.unicast, s.flooded, s.filtered, s.policed,
                  s.mac_entries,
                  s.captured ? (", " + std::to_string(s.captured) + " captured").c_str() : "");
    out += line;
  }
  return out;
}

nlohmann::json report_json(const FleetReport& r) {
  using nlohmann::json;
  json machines = json::array();
  for (const MachineReport& m : r.machines) {
    machines.push_back({
        {"id", m.id},
        {"name", m.name},
        {"group", m.group},
        {"state", m.state},
        {"end", m.end},
        {"weight", m.params.weight},
        {"cap", m.params.cap},
        {"reservation", m.params.reservation},
        {"priority", m.params.priority},
        {"instructions", m.instructions},
        {"cpu_seconds", m.cpu_seconds},
        {"mips", m.mips},
        {"share", m.share},
        {"entitlement", m.entitlement},
        {"normalised_share", m.normalised},
        {"cpu_bound", m.cpu_bound},
        {"parked_fraction", m.parked_fraction},
        {"slices", m.slices},
        {"wakeups", m.wakeups},
        {"throttles", m.throttles},
        {"disk_bytes", m.disk_bytes},
        {"disk_throttled_requests", m.disk_throttled},
        {"latency_us",
         {{"samples", m.latency_samples},
          {"p50", micros(m.p50)},
          {"p90", micros(m.p90)},
          {"p99", micros(m.p99)},
          {"max", micros(m.max)}}},
    });
  }
  json networks = json::array();
  for (const SegmentReport& s : r.networks) {
    networks.push_back({{"name", s.name},
                        {"ports", s.ports},
                        {"frames", s.frames},
                        {"bytes", s.bytes},
                        {"unicast", s.unicast},
                        {"flooded", s.flooded},
                        {"filtered", s.filtered},
                        {"policed", s.policed},
                        {"captured", s.captured},
                        {"mac_entries", s.mac_entries}});
  }
  return {
      {"policy", r.policy},
      {"workers", r.workers},
      {"deterministic", r.deterministic},
      {"wall_seconds", r.wall_seconds},
      {"instructions", r.instructions},
      {"cpu_seconds", r.cpu_seconds},
      {"utilisation", r.utilisation},
      {"host_cpu_seconds", r.host_cpu_seconds},
      {"capacity_threads", r.capacity},
      {"jain_index", r.jain ? json(*r.jain) : json(nullptr)},
      {"cpu_bound_machines", r.cpu_bound},
      {"events", r.events},
      {"machines", machines},
      {"networks", networks},
  };
}

}  // namespace hartbox
