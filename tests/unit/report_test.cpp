// Tests for manager/report: the water-filling, the entitlements of each policy (weights, groups,
// caps, reservations, priorities, deterministic pinning), Jain's index, the slice collector,
// and the report's text and JSON.
#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <numeric>

#include "manager/report.hpp"

using namespace hartbox;
using Catch::Approx;
using Catch::Matchers::ContainsSubstring;

namespace {

EntitlementMachine busy(uint32_t weight = 100, std::string group = "default") {
  EntitlementMachine m;
  m.weight = weight;
  m.group = std::move(group);
  return m;
}

double sum(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0); }

}  // namespace

TEST_CASE("report: Jain's fairness index", "[report]") {
  CHECK(jain_index(std::vector<double>{}) == 1.0);
  CHECK(jain_index(std::vector<double>{0, 0}) == 1.0);
  CHECK(jain_index(std::vector<double>{1, 1, 1, 1}) == Approx(1.0));
  CHECK(jain_index(std::vector<double>{0.5, 0.5, 0.5}) == Approx(1.0));  // same fraction each
  CHECK(jain_index(std::vector<double>{1, 0, 0, 0}) == Approx(0.25));     // 1/n: one got everything
  CHECK(jain_index(std::vector<double>{1, 2}) == Approx(9.0 / 10.0));     // (1+2)^2 / (2 * 5)
  CHECK(jain_index(std::vector<double>{1, 1, 0}) == Approx(2.0 / 3.0));
}

TEST_CASE("report: water filling", "[report]") {
  using V = std::vector<WaterFillItem>;
  // Enough for everyone: each gets its ceiling.
  CHECK(water_fill(3, V{{1, 0, 1}, {1, 0, 0.5}}) == std::vector<double>{1, 0.5});
  // By weight.
  auto x = water_fill(1, V{{300, 0, 1}, {100, 0, 1}});
  CHECK(x[0] == Approx(0.75));
  CHECK(x[1] == Approx(0.25));
  // A ceiling frees capacity for the others (max-min).
  x = water_fill(2, V{{100, 0, 0.2}, {100, 0, 1}, {100, 0, 1}});
  CHECK(x[0] == Approx(0.2));
  CHECK(x[1] == Approx(0.9));
  CHECK(x[2] == Approx(0.9));
  // A floor lifts a light machine.
  x = water_fill(1, V{{100, 0.4, 1}, {900, 0, 1}});
  CHECK(x[0] == Approx(0.4));
  CHECK(x[1] == Approx(0.6));
  // Floors that do not fit shrink in proportion.
  x = water_fill(1, V{{1, 1, 1}, {1, 1, 1}});
  CHECK(x[0] == Approx(0.5));
  CHECK(x[1] == Approx(0.5));
  CHECK(water_fill(1, V{}).empty());
  // Nothing to give.
  CHECK(water_fill(0, V{{1, 0, 1}}) == std::vector<double>{0});
}

TEST_CASE("report: fair-share entitlements by weight, with one machine per worker at most", "[report]") {
  EntitlementInput in;
  in.workers = 2;
  in.machines = {busy(300), busy(100), busy(100)};
  auto e = compute_entitlements(in);
  // 300:100:100 of 2 threads would give 1.2 to the first, but a machine runs on one thread.
  CHECK(e[0] == Approx(1.0));
  CHECK(e[1] == Approx(0.5));
  CHECK(e[2] == Approx(0.5));
  in.workers = 1;
  e = compute_entitlements(in);
  CHECK(e[0] == Approx(0.6));
  CHECK(e[1] == Approx(0.2));
  CHECK(sum(e) == Approx(1.0));
}

TEST_CASE("report: fair-share entitlements in two levels, with caps and idle machines", "[report]") {
  EntitlementInput in;
  in.workers = 2;
  in.group_weights = {{"a", 200}, {"b", 100}};
  EntitlementMachine idle = busy();
  idle.demand = 0.05;  // it parked most of the time
  EntitlementMachine capped = busy(100, "b");
  capped.cap = 0.25;
  in.machines = {busy(200, "a"), busy(100, "a"), capped, busy(100, "b"), idle};
  const auto e = compute_entitlements(in);
  // The idle machine (default group) gets what it asked for; a and b share the other 1.95
  // threads 2:1, then their machines share each group's part.
  CHECK(e[4] == Approx(0.05));
  CHECK(e[0] + e[1] == Approx(1.3));
  CHECK(e[0] == Approx(1.3 * 2 / 3));
  CHECK(e[1] == Approx(1.3 / 3));
  CHECK(e[2] == Approx(0.25));
  CHECK(e[3] == Approx(0.4));
  CHECK(sum(e) == Approx(2.0));
}

TEST_CASE("report: reservations are floors", "[report]") {
  EntitlementInput in;
  in.workers = 1;
  EntitlementMachine reserved = busy(1);
  reserved.reservation = 0.3;
  in.machines = {reserved, busy(10000)};
  const auto e = compute_entitlements(in);
  CHECK(e[0] == Approx(0.3));
  CHECK(e[1] == Approx(0.7));
  // Round robin ignores reservations and weights.
  in.policy = "round_robin";
  const auto rr = compute_entitlements(in);
  CHECK(rr[0] == Approx(0.5));
  CHECK(rr[1] == Approx(0.5));
}

TEST_CASE("report: strict priority serves the highest level first", "[report]") {
  EntitlementInput in;
  in.policy = "strict_priority";
  in.workers = 2;
  EntitlementMachine high = busy(), mid = busy(), low = busy();
  high.priority = 10;
  mid.priority = 5;
  low.priority = 1;
  high.cap = 0.5;
  in.machines = {high, mid, mid, low};
  const auto e = compute_entitlements(in);
  CHECK(e[0] == Approx(0.5));
  CHECK(e[1] == Approx(0.75));
  CHECK(e[2] == Approx(0.75));
  CHECK(e[3] == Approx(0.0));
}

TEST_CASE("report: deterministic mode shares each worker among the machines pinned to it", "[report]") {
  EntitlementInput in;
  in.workers = 2;
  in.deterministic = true;
  auto m = [](unsigned worker, uint32_t weight) {
    EntitlementMachine e = busy(weight);
    e.worker = worker;
    return e;
  };
  in.machines = {m(0, 100), m(0, 300), m(1, 100)};
  const auto e = compute_entitlements(in);
  CHECK(e[0] == Approx(0.25));
  CHECK(e[1] == Approx(0.75));
  CHECK(e[2] == Approx(1.0));
}

TEST_CASE("report: the collector measures parked time and latency percentiles", "[report]") {
  using namespace std::chrono;
  ReportCollector collector;
  const auto t0 = steady_clock::now();
  SliceRecord s;
  s.vm = 7;
  s.start = t0;
  s.end = t0 + milliseconds(1);
  s.reason = SliceEnd::Wait;  // parks at t0 + 1 ms
  s.disk_bytes = 4096;
  s.disk_throttled = 1;
  collector.on_slice(s);
  s.disk_bytes = 0;
  s.disk_throttled = 0;
  s.start = t0 + milliseconds(11);
  s.end = t0 + milliseconds(12);
  s.latency = milliseconds(1);  // it was woken at t0 + 10 ms
  s.reason = SliceEnd::Budget;
  collector.on_slice(s);
  for (int i = 0; i < 98; ++i) {
    s.latency = microseconds(10);
    collector.on_slice(s);
  }
  // A pause counts as parked too, until the slice after the resume.
  s.reason = SliceEnd::Paused;
  s.latency.reset();
  s.start = t0 + milliseconds(12);
  s.end = t0 + milliseconds(13);
  collector.on_slice(s);
  s.reason = SliceEnd::Budget;
  s.start = t0 + milliseconds(16);
  s.end = t0 + milliseconds(17);
  s.latency = microseconds(0);
  s.disk_bytes = 8192;
  collector.on_slice(s);
  const auto v = collector.vm(7, t0 + milliseconds(20));
  CHECK(v.slices == 102);
  CHECK(v.disk_bytes == 12288);
  CHECK(v.disk_throttled == 1);
  CHECK(v.parked == milliseconds(12));
  CHECK(v.latency_samples == 100);
  CHECK(v.p50 >= microseconds(10));
  CHECK(v.p50 <= microseconds(12));  // the histogram's buckets are within 12.5%
  CHECK(v.p90 <= microseconds(12));
  CHECK(v.max == milliseconds(1));
  CHECK(collector.vm(8, t0).slices == 0);
}

TEST_CASE("report: from the fleet's numbers to the table and the JSON", "[report]") {
  using namespace std::chrono;
  ReportInput in;
  in.config.policy = "fair_share";
  in.workers = 1;
  in.wall = seconds(10);
  auto vm = [](VmId id, const char* name, uint32_t weight, double cpu_s, VmState state) {
    VmInfo v;
    v.id = id;
    v.name = name;
    v.group = "default";
    v.state = state;
    v.params.weight = weight;
    v.accounting.cpu_time = duration_cast<nanoseconds>(duration<double>(cpu_s));
    v.accounting.thread_cpu_time = v.accounting.cpu_time;
    v.accounting.instructions = static_cast<uint64_t>(cpu_s * 1e8);
    v.accounting.slices = 100;
    return v;
  };
  in.vms = {vm(1, "heavy", 300, 7.2, VmState::Running), vm(2, "light", 100, 2.4, VmState::Running),
            vm(3, "done", 100, 0.4, VmState::Stopped)};
  in.vms[2].stop = StopInfo{StopInfo::Cause::Exited, 0, 0, 0, 0};
  WorkerStats worker;
  worker.busy = seconds(10);
  worker.thread_cpu = seconds(10);
  in.worker_stats = {worker};
  SegmentReport lan;
  lan.name = "lan";
  lan.frames = 12;
  in.networks = {lan};

  const FleetReport r = build_report(in, nullptr, steady_clock::now());
  REQUIRE(r.machines.size() == 3);
  CHECK(r.machines[0].share == Approx(0.72));
  CHECK(r.machines[0].cpu_bound);
  CHECK_FALSE(r.machines[2].cpu_bound);  // it exited during the run
  // The exited machine used 0.04; the other 0.96 split 3:1.
  CHECK(r.machines[2].entitlement == Approx(0.04));
  CHECK(r.machines[0].entitlement == Approx(0.72));
  CHECK(r.machines[1].entitlement == Approx(0.24));
  CHECK(r.machines[0].normalised == Approx(1.0));
  CHECK(r.cpu_bound == 2);
  REQUIRE(r.jain);
  CHECK(*r.jain == Approx(1.0));
  CHECK(r.utilisation == Approx(1.0));
  CHECK(r.machines[2].end == "exit code 0");
  CHECK(r.machines[0].mips == Approx(100.0));

  const std::string text = format_report(r);
  CHECK_THAT(text, ContainsSubstring("Fleet report: fair_share policy, 1 worker"));
  CHECK_THAT(text, ContainsSubstring("heavy"));
  CHECK_THAT(text, ContainsSubstring("Jain fairness index over 2 CPU-bound machines: 1.0000"));
  CHECK_THAT(text, ContainsSubstring("Network lan: 0 ports, 12 frames"));

  const nlohmann::json j = report_json(r);
  CHECK(j["policy"] == "fair_share");
  CHECK(j["workers"] == 1);
  CHECK(j["jain_index"].get<double>() == Approx(1.0));
  CHECK(j["cpu_bound_machines"] == 2);
  REQUIRE(j["machines"].size() == 3);
  CHECK(j["machines"][1]["name"] == "light");
  CHECK(j["machines"][1]["entitlement"].get<double>() == Approx(0.24));
  CHECK(j["machines"][2]["end"] == "exit code 0");
  CHECK(j["machines"][0]["latency_us"].contains("p90"));
  CHECK(j["networks"][0]["frames"] == 12);
  CHECK(j["machines"][0]["disk_throttled_requests"] == 0);
  CHECK_THAT(text, !ContainsSubstring("Disk "));  // no machine moved disk data

  // A machine whose disks moved data, some of it held back by its bandwidth limit.
  FleetReport disky = r;
  disky.machines[1].disk_bytes = uint64_t{3} << 20;
  disky.machines[1].disk_throttled = 7;
  CHECK_THAT(format_report(disky), ContainsSubstring("Disk light: 3.0 MiB read and written, 7 requests waited for its "
                                                     "bandwidth limit"));
  disky.machines[2].disk_bytes = 512;  // no limit, or one it never reached
  CHECK_THAT(format_report(disky), ContainsSubstring("Disk done: 512 bytes read and written\n"));
  const nlohmann::json dj = report_json(disky);
  CHECK(dj["machines"][1]["disk_bytes"] == uint64_t{3} << 20);
  CHECK(dj["machines"][1]["disk_throttled_requests"] == 7);

  // With no CPU-bound machine there is no index.
  in.vms = {vm(3, "done", 100, 0.4, VmState::Stopped)};
  const FleetReport quiet = build_report(in, nullptr, steady_clock::now());
  CHECK_FALSE(quiet.jain);
  CHECK(report_json(quiet)["jain_index"].is_null());
  CHECK_THAT(format_report(quiet), ContainsSubstring("no CPU-bound machine"));
}

TEST_CASE("report: shares are counted in what the scheduler bills", "[report]") {
  using namespace std::chrono;
  // Two machines of equal weight on one worker for 10 s. The host took the worker away for 2 s
  // while `slow` was on it (or it waited for the host's disk): by the steady clock `slow` had 6 s
  // and `fast` 4 s, but the worker's CPU time, which the scheduler bills by default, gave each 4 s.
  ReportInput in;
  in.config.policy = "fair_share";
  in.workers = 1;
  in.wall = seconds(10);
  auto vm = [](VmId id, const char* name, seconds wall, seconds cpu) {
    VmInfo v;
    v.id = id;
    v.name = name;
    v.group = "default";
    v.state = VmState::Running;
    v.accounting.cpu_time = wall;
    v.accounting.thread_cpu_time = cpu;
    v.accounting.instructions = 1'000'000;
    v.accounting.slices = 100;
    return v;
  };
  in.vms = {vm(1, "slow", seconds(6), seconds(4)), vm(2, "fast", seconds(4), seconds(4))};
  WorkerStats worker;
  worker.busy = seconds(10);
  worker.thread_cpu = seconds(8);
  in.worker_stats = {worker};

  const FleetReport billed = build_report(in, nullptr, steady_clock::now());
  REQUIRE(billed.machines.size() == 2);
  CHECK(billed.capacity == Approx(0.8));
  CHECK(billed.machines[0].share == Approx(0.4));
  CHECK(billed.machines[0].entitlement == Approx(0.4));
  CHECK(billed.machines[1].share == Approx(0.4));
  REQUIRE(billed.jain);
  CHECK(*billed.jain == Approx(1.0));

  // Billed by the steady clock, the same run is unfair to `fast`.
  in.config.charge = Charge::WallTime;
  const FleetReport wall = build_report(in, nullptr, steady_clock::now());
  CHECK(wall.capacity == Approx(1.0));
  CHECK(wall.machines[0].share == Approx(0.6));
  CHECK(wall.machines[1].share == Approx(0.4));
  REQUIRE(wall.jain);
  CHECK(*wall.jain < 0.97);
}
