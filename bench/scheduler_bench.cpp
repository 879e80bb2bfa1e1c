// hartbox_scheduler_bench: the scheduler's promises, measured on real machines running tiny
// guest programs (raw RV64 machine code, below), each figure printed against its target.
//
//   (a) weights 1:2:4 on one host thread: each share within 2% (relative) of its entitlement
//   (b) 1,000 machines, random weights 1..100, all host threads: Jain's index of the
//       normalised shares >= 0.99
//   (c) a machine capped at 25% on an idle host: 25% +/- 1%
//   (d) a machine waking every 1 ms among 100 CPU-bound ones on one thread: p99 start within
//       2 ms of the deadline
//   (e) 1,000 CPU-bound machines on one thread retire >= 95% of the instructions/s of one alone
//   (f) 10,000 idle machines: < 1% of a core, < 64 KiB of host memory per machine beyond the
//       guest pages they touched
//   (g) a clone from a template starts in < 100 us
//
// Usage: hartbox_scheduler_bench [--duration SECONDS] [--only a,b,...] [--charge thread|wall]
// --duration is each measurement's length (default 10; 1 for a quick run). --charge picks what
// the scheduler bills a slice (FleetConfig::charge): the worker thread's CPU time (the default)
// or the steady clock around it; the shares in (a)-(c) are measured in the same unit. On a host
// whose other work preempts the workers they differ by that stolen time.
//
// Timing figures ((c), (d) and the wall-clock part of (e)) want a quiet host: the load average
// is printed first, and (d) also shows its figure without the host's steal.
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "manager/fleet.hpp"

namespace {

using namespace hartbox;
using Seconds = std::chrono::duration<double>;

// --- A few RV64 encodings (unprivileged spec chapter 2 and 34; privileged spec for wfi) ---
constexpr uint32_t r_x0 = 0, r_t0 = 5, r_t1 = 6, r_t2 = 7, r_t3 = 28, r_t4 = 29;
uint32_t i_type(uint32_t opcode, uint32_t funct3, uint32_t rd, uint32_t rs1, int32_t imm) {
  return (static_cast<uint32_t>(imm & 0xfff) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode;
}
uint32_t addi(uint32_t rd, uint32_t rs1, int32_t imm) { return i_type(0x13, 0, rd, rs1, imm); }
uint32_t ld(uint32_t rd, uint32_t rs1, int32_t imm) { return i_type(0x03, 3, rd, rs1, imm); }
uint32_t csrrs(uint32_t rd, uint32_t csr, uint32_t rs1) { return i_type(0x73, 2, rd, rs1, static_cast<int32_t>(csr)); }
uint32_t lui(uint32_t rd, uint32_t imm20) { return (imm20 << 12) | (rd << 7) | 0x37; }
uint32_t add(uint32_t rd, uint32_t rs1, uint32_t rs2) { return (rs2 << 20) | (rs1 << 15) | (rd << 7) | 0x33; }
uint32_t sd(uint32_t rs2, uint32_t rs1, int32_t imm) {
  const uint32_t u = static_cast<uint32_t>(imm & 0xfff);
  return ((u >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (3u << 12) | ((u & 0x1f) << 7) | 0x23;
}
uint32_t jal_x0(int32_t offset) {
  const uint32_t u = static_cast<uint32_t>(offset);
  return (((u >> 20) & 1) << 31) | (((u >> 1) & 0x3ff) << 21) | (((u >> 11) & 1) << 20) | (((u >> 12) & 0xff) << 12) |
         0x6f;
}
constexpr uint32_t kWfi = 0x10500073;
constexpr uint32_t kMie = 0x304;

// CPU-bound: count forever.
std::vector<uint32_t> busy_program() { return {addi(r_t0, r_t0, 1), jal_x0(-4)}; }

// Sleeps in WFI with no interrupt enabled: parked for good.
std::vector<uint32_t> idle_program() { return {kWfi, jal_x0(-4)}; }

// Sets the CLINT timer every `period_ticks` (absolute schedule) and waits for it in WFI, with
// interrupts masked globally (WFI still wakes, priv spec 3.3.3).
std::vector<uint32_t> timer_program(int32_t period_ticks) {
  return {
      lui(r_t0, 0x2004),                    // t0 = mtimecmp (hart 0)
      lui(r_t1, 0x200c),                    // t1 - 8 = mtime
      ld(r_t2, r_t1, -8),                   // t2 = mtime
      lui(r_t3, static_cast<uint32_t>(period_ticks >> 12)),
      addi(r_t3, r_t3, period_ticks & 0xfff),  // t3 = period (period_ticks & 0x800 must be 0)
      addi(r_t4, r_x0, 0x80),
      csrrs(r_x0, kMie, r_t4),              // mie.MTIE
      add(r_t2, r_t2, r_t3),                // loop: next deadline
      sd(r_t2, r_t0, 0),
      kWfi,
      jal_x0(-12),
  };
}

void load_program(Machine& machine, const std::vector<uint32_t>& code) {
  machine.ram().write(kRamBase, code.data(), code.size() * sizeof(uint32_t));
  machine.set_entry(kRamBase);
}

VmSpec spec_for(const std::vector<uint32_t>& program, uint32_t weight = SchedParams::kDefaultWeight) {
  VmSpec spec;
  spec.weight = weight;
  spec.machine.ram_size = uint64_t{1} << 20;
  spec.machine.time = MachineClock::Mode::Real;
  spec.machine.semihosting = false;
  spec.setup = [program](Machine& m) { load_program(m, program); };
  return spec;
}

// What every measurement needs: what the scheduler bills, and the targets missed so far.
struct Bench {
  Charge charge = Charge::ThreadCpuTime;
  int failures = 0;

  // The time a VM was billed, as the scheduler saw it.
  std::chrono::nanoseconds charged(const VmAccounting& a) const {
    return charge == Charge::ThreadCpuTime ? a.thread_cpu_time : a.cpu_time;
  }
  void report(const char* test, const std::string& figure, const std::string& target, bool pass) {
    std::printf("  %-4s %-58s target %-24s %s\n", test, figure.c_str(), target.c_str(), pass ? "PASS" : "FAIL");
    std::fflush(stdout);
    if (!pass) ++failures;
  }
  FleetConfig fleet_config(unsigned workers = 0) const {
    FleetConfig config;
    config.workers = workers;  // 0: all host threads
    config.charge = charge;
    return config;
  }
  FleetConfig one_thread() const { return fleet_config(1); }
};
std::string fmt(const char* format, double a, double b = 0, double c = 0, double d = 0) {
  char text[160];
  std::snprintf(text, sizeof text, format, a, b, c, d);
  return text;
}

std::vector<VmAccounting> snapshot(const Fleet& fleet, const std::vector<VmId>& ids) {
  std::vector<VmAccounting> out;
  for (VmId id : ids) out.push_back(fleet.inspect(id).accounting);
  return out;
}

std::vector<double> cpu_seconds_between(const Bench& bench, const std::vector<VmAccounting>& before,
                                        const std::vector<VmAccounting>& after) {
  std::vector<double> out;
  for (size_t i = 0; i < before.size(); ++i)
    out.push_back(std::chrono::duration<double>(bench.charged(after[i]) - bench.charged(before[i])).count());
  return out;
}

void sleep_for(double seconds) { std::this_thread::sleep_for(Seconds(seconds)); }
constexpr double kWarmup = 0.3;

// (a)
void weights_1_2_4(Bench& bench, double duration) {
  Fleet fleet(bench.one_thread());
  const uint32_t weights[] = {1, 2, 4};
  std::vector<VmId> ids;
  for (uint32_t w : weights) ids.push_back(fleet.create(spec_for(busy_program(), w)));
  fleet.start_all(ids);
  sleep_for(kWarmup);
  const auto before = snapshot(fleet, ids);
  sleep_for(duration);
  const auto cpu = cpu_seconds_between(bench, before, snapshot(fleet, ids));
  double total = 0;
  for (double c : cpu) total += c;
  for (size_t i = 0; i < ids.size(); ++i) {
    const double share = cpu[i] / total;
    const double entitled = weights[i] / 7.0;
    const double error = std::fabs(share / entitled - 1.0);
    bench.report("(a)", fmt("weight %.0f: share %.4f vs %.4f, error %.2f%%", weights[i], share, entitled, error * 100),
           "error <= 2% relative", error <= 0.02);
  }
}

// (b)
void jain_1000(Bench& bench, double duration) {
  Fleet fleet(bench.fleet_config());
  std::mt19937 random(1234);
  std::uniform_int_distribution<uint32_t> weight(1, 100);
  std::vector<VmId> ids;
  std::vector<double> weights;
  for (int i = 0; i < 1000; ++i) {
    weights.push_back(weight(random));
    ids.push_back(fleet.create(spec_for(busy_program(), static_cast<uint32_t>(weights.back()))));
  }
  fleet.start_all(ids);
  sleep_for(kWarmup);
  const auto before = snapshot(fleet, ids);
  sleep_for(duration);
  const auto cpu = cpu_seconds_between(bench, before, snapshot(fleet, ids));
  double total_cpu = 0, total_weight = 0;
  for (size_t i = 0; i < ids.size(); ++i) total_cpu += cpu[i], total_weight += weights[i];
  double sum = 0, sum_sq = 0, worst = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const double x = cpu[i] / (total_cpu * weights[i] / total_weight);
    sum += x;
    sum_sq += x * x;
    worst = std::max(worst, std::fabs(x - 1));
  }
  const double jain = sum * sum / (static_cast<double>(ids.size()) * sum_sq);
  bench.report("(b)",
         fmt("Jain %.4f over 1000 VMs on %.0f threads (worst |x-1| %.3f)", jain, fleet.worker_count(), worst),
         ">= 0.99", jain >= 0.99);
}

// (c)
void cap_25(Bench& bench, double duration) {
  Fleet fleet(bench.one_thread());
  VmSpec spec = spec_for(busy_program());
  spec.cap = 0.25;
  const VmId id = fleet.create(spec);
  fleet.start(id);
  sleep_for(kWarmup);
  const auto before = snapshot(fleet, {id});
  const auto t0 = std::chrono::steady_clock::now();
  sleep_for(duration);
  const auto after = snapshot(fleet, {id});
  const double wall = Seconds(std::chrono::steady_clock::now() - t0).count();
  const double share = cpu_seconds_between(bench, before, after)[0] / wall;
  bench.report("(c)", fmt("capped VM used %.2f%% of one thread (%.0f throttles)", share * 100,
                    static_cast<double>(after[0].throttles - before[0].throttles)),
         "25% +/- 1%", std::fabs(share - 0.25) <= 0.01);
}

// (d)
// Besides the raw figure, each sample is also shown without the host's share of it: the time
// within [deadline, start] when the host had taken the worker thread away (steal, from the
// slices' wall time minus their thread CPU time). On a quiet host the two agree.
void latency_100(Bench& bench, double duration) {
  std::mutex mutex;
  std::vector<SliceRecord> records;
  records.reserve(1 << 20);
  std::atomic<bool> measuring{false};
  FleetConfig config = bench.one_thread();
  config.on_slice = [&](const SliceRecord& r) {
    if (!measuring.load(std::memory_order_relaxed)) return;
    std::lock_guard lock(mutex);
    records.push_back(r);
  };
  Fleet fleet(config);
  std::vector<VmId> ids;
  for (int i = 0; i < 100; ++i) ids.push_back(fleet.create(spec_for(busy_program())));
  const VmId timer = fleet.create(spec_for(timer_program(10'000)));  // 10 MHz timebase: 1 ms
  ids.push_back(timer);
  fleet.start_all(ids);
  sleep_for(kWarmup);
  measuring = true;
  sleep_for(duration);
  measuring = false;
  std::lock_guard lock(mutex);
  std::vector<int64_t> raw, own;
  size_t first = 0;  // records before a sample's deadline can be skipped for later samples
  for (size_t i = 0; i < records.size(); ++i) {
    const SliceRecord& r = records[i];
    if (r.vm != timer || !r.latency) continue;
    const auto from = r.start - *r.latency;
    double steal_ns = 0;
    while (first < i && records[first].end <= from) ++first;
    for (size_t j = first; j < i; ++j) {
      const SliceRecord& q = records[j];
      const double wall = static_cast<double>((q.end - q.start).count());
      if (wall <= 0) continue;
      const double overlap = static_cast<double>((std::min(q.end, r.start) - std::max(q.start, from)).count());
      if (overlap <= 0) continue;
      steal_ns += std::max(0.0, wall - static_cast<double>(q.thread_cpu.count())) * overlap / wall;
    }
    raw.push_back(r.latency->count());
    own.push_back(std::max<int64_t>(0, r.latency->count() - static_cast<int64_t>(steal_ns)));
  }
  if (raw.empty()) {
    bench.report("(d)", "no wake-ups measured", "p99 <= 2 ms", false);
    return;
  }
  std::sort(raw.begin(), raw.end());
  std::sort(own.begin(), own.end());
  const auto at = [](const std::vector<int64_t>& v, double q) {
    return static_cast<double>(v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))]) / 1e6;
  };
  bench.report("(d)", fmt("wake-up latency p50 %.3f ms, p99 %.3f ms, max %.3f ms", at(raw, 0.5), at(raw, 0.99),
                    static_cast<double>(raw.back()) / 1e6),
         "p99 <= 2 ms", at(raw, 0.99) <= 2.0);
  std::printf("       (%zu wake-ups in %.1f s; without host steal: p50 %.3f ms, p99 %.3f ms, max %.3f ms)\n",
              raw.size(), duration, at(own, 0.5), at(own, 0.99), static_cast<double>(own.back()) / 1e6);
}

// (e)
struct Throughput {
  double per_second;         // instructions per second of wall-clock time
  double per_thread_second;  // instructions per second of the worker thread's CPU time
};

Throughput instructions_per_second(const Bench& bench, int machines, double duration) {
  Fleet fleet(bench.one_thread());
  std::vector<VmId> ids;
  for (int i = 0; i < machines; ++i) ids.push_back(fleet.create(spec_for(busy_program())));
  fleet.start_all(ids);
  sleep_for(kWarmup);
  const WorkerStats before = fleet.worker_stats()[0];
  const auto t0 = std::chrono::steady_clock::now();
  sleep_for(duration);
  const WorkerStats after = fleet.worker_stats()[0];
  const double insns = static_cast<double>(after.instructions - before.instructions);
  return {insns / Seconds(std::chrono::steady_clock::now() - t0).count(),
          insns / Seconds(after.thread_cpu - before.thread_cpu).count()};
}

void overhead_1000(Bench& bench, double duration) {
  const Throughput alone = instructions_per_second(bench, 1, duration);
  const Throughput many = instructions_per_second(bench, 1000, duration);
  bench.report("(e)", fmt("per worker CPU-second: 1000 VMs %.1f MIPS vs one %.1f MIPS = %.1f%%", many.per_thread_second / 1e6,
                    alone.per_thread_second / 1e6, 100 * many.per_thread_second / alone.per_thread_second),
         ">= 95%", many.per_thread_second >= 0.95 * alone.per_thread_second);
  bench.report("(e)", fmt("per wall-clock second: 1000 VMs %.1f MIPS vs one %.1f MIPS = %.1f%%", many.per_second / 1e6,
                    alone.per_second / 1e6, 100 * many.per_second / alone.per_second),
         ">= 95% (quiet host)", many.per_second >= 0.95 * alone.per_second);
}

// (f)
long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return 0;
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Host memory of `count` bare machines like the fleet's, each run into its WFI, in KiB per
// machine: measured in a child process so the two measurements do not share a heap.
double bare_machine_kib(int count) {
  int fds[2];
  if (pipe(fds) != 0) return -1;
  const pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    const long before = rss_kib();
    std::vector<std::unique_ptr<Machine>> machines;
    const VmSpec spec = spec_for(idle_program());
    for (int i = 0; i < count; ++i) {
      machines.push_back(std::make_unique<Machine>(spec.machine));
      spec.setup(*machines.back());
      machines.back()->run_slice(1000);
    }
    const double kib = static_cast<double>(rss_kib() - before) / count;
    if (write(fds[1], &kib, sizeof kib) != sizeof kib) _exit(1);
    _exit(0);
  }
  close(fds[1]);
  double kib = -1;
  if (child < 0 || read(fds[0], &kib, sizeof kib) != sizeof kib) kib = -1;
  close(fds[0]);
  if (child > 0) waitpid(child, nullptr, 0);
  return kib;
}

void density_10000(Bench& bench, double duration) {
  constexpr int kMachines = 10'000;
  // Before any fleet exists, so the child is forked from a single-threaded process.
  const double machine_kib = bare_machine_kib(kMachines);
  const long rss_before = rss_kib();
  Fleet fleet(bench.fleet_config());
  std::vector<VmId> ids;
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < kMachines; ++i) ids.push_back(fleet.create(spec_for(idle_program())));
  fleet.start_all(ids);
  // Let every machine run into WFI and park.
  for (int tries = 0; tries < 600; ++tries) {
    bool all_parked = true;
    for (VmId id : ids) {
      const auto info = fleet.inspect(id);
      if (!info.sched || info.sched->state != SchedState::Parked) {
        all_parked = false;
        break;
      }
    }
    if (all_parked) break;
    sleep_for(0.05);
  }
  const double setup = Seconds(std::chrono::steady_clock::now() - t0).count();
  const double cpu0 = process_cpu_seconds();
  const auto w0 = std::chrono::steady_clock::now();
  sleep_for(duration);
  const double cpu = (process_cpu_seconds() - cpu0) / Seconds(std::chrono::steady_clock::now() - w0).count();
  const long rss_after = rss_kib();
  bench.report("(f)", fmt("10000 idle VMs use %.3f%% of a core (created+started in %.1f s)", cpu * 100, setup), "< 1%",
         cpu < 0.01);
  // Each machine touched one 4 KiB guest page: its program.
  const double per_vm = static_cast<double>(rss_after - rss_before) / kMachines - 4.0;
  bench.report("(f)", fmt("host memory per VM beyond its guest pages: %.1f KiB", per_vm), "< 64 KiB", per_vm < 64.0);
  std::printf("       (of which the bare Machine (core/devices) %.1f KiB, the manager %.1f KiB)\n",
              machine_kib - 4.0, per_vm - (machine_kib - 4.0));
}

// (g)
// A clone of a running template: Machine::clone() (harts, devices, RAM shared copy-on-write),
// timed to the moment the new machine could run. Two templates: one idle machine like those of
// (f) (one page touched), and one that touched 16 MiB (4,096 pages to share).
double clone_microseconds(Machine& source, int count) {
  std::vector<std::unique_ptr<Machine>> clones;
  clones.reserve(static_cast<size_t>(count));
  std::vector<double> times;
  for (int i = 0; i < count; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    clones.push_back(source.clone(source.config()));
    times.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void clone_start(Bench& bench) {
  const VmSpec spec = spec_for(idle_program());
  Machine small(spec.machine);
  spec.setup(small);
  small.run_slice(1000);
  const double small_us = clone_microseconds(small, 200);
  bench.report("(g)", fmt("clone of an idle machine (%.0f page): median %.1f us",
                          static_cast<double>(small.ram().resident_pages()), small_us),
               "< 100 us", small_us < 100.0);

  MachineConfig big_config = spec.machine;
  big_config.ram_size = uint64_t{32} << 20;
  Machine big(big_config);
  spec.setup(big);
  big.ram().fill(kRamBase + kPageSize, 0x5a, (uint64_t{16} << 20));
  big.run_slice(1000);
  const double big_us = clone_microseconds(big, 50);
  bench.report("(g)", fmt("clone of a machine with %.0f pages touched: median %.1f us",
                          static_cast<double>(big.ram().resident_pages()), big_us),
               "< 100 us", big_us < 100.0);
}

}  // namespace

int main(int argc, char** argv) {
  double duration = 10.0;
  std::string only = "abcdefg";
  Bench bench;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--duration" && i + 1 < argc) {
      duration = std::strtod(argv[++i], nullptr);
    } else if (arg == "--only" && i + 1 < argc) {
      only = argv[++i];
    } else if (arg == "--charge" && i + 1 < argc && (std::string(argv[i + 1]) == "wall" || std::string(argv[i + 1]) == "thread")) {
      bench.charge = std::string(argv[++i]) == "wall" ? Charge::WallTime : Charge::ThreadCpuTime;
    } else {
      std::fprintf(stderr, "usage: %s [--duration SECONDS] [--only a,b,c,d,e,f,g] [--charge thread|wall]\n", argv[0]);
      return 2;
    }
  }
  if (!(duration > 0)) {
    std::fprintf(stderr, "%s: --duration must be positive\n", argv[0]);
    return 2;
  }
  double load[3] = {};
  getloadavg(load, 3);
  std::printf("hartbox scheduler bench: %.1f s per measurement, %u host threads, charging %s, load average %.2f\n",
              duration, std::thread::hardware_concurrency(), bench.charge == Charge::ThreadCpuTime ? "thread CPU time" : "wall time",
              load[0]);
  if (only.find('a') != std::string::npos) weights_1_2_4(bench, duration);
  if (only.find('b') != std::string::npos) jain_1000(bench, duration);
  if (only.find('c') != std::string::npos) cap_25(bench, duration);
  if (only.find('d') != std::string::npos) latency_100(bench, duration);
  if (only.find('e') != std::string::npos) overhead_1000(bench, duration);
  if (only.find('f') != std::string::npos) density_10000(bench, duration);
  if (only.find('g') != std::string::npos) clone_start(bench);
  std::printf("%s\n", bench.failures ? "SOME TARGETS MISSED" : "all targets met");
  return bench.failures ? 1 : 0;
}
