// hartbox_soak: a fleet of machines (1,000 by default) running mixed guest workloads for a set
// time, on a few host threads, reporting what they did and what the host paid for it.
//
// Workloads, hand-assembled RV64 code written into each machine's RAM (no toolchain needed):
//   cpu        a counting loop with multiplies and stores (CPU-bound)
//   idle       WFI with a timer interrupt every 10 ms of real time (parked between them)
//   jumps      wild jumps: to address 0, unmapped space, MMIO, past the end of RAM, a
//              non-canonical address and a page of random bytes; every fetch fault resumes
//   illegal    illegal encodings, an unknown CSR, FP with FS off, ecall, ebreak
//   mmio       bad MMIO: wrong sizes and offsets on the UART, CLINT, PLIC, RTC, boot ROM, the
//              virtio slots (an entropy device and a network card), unmapped space, AMOs on MMIO
//   smc        self-modifying code, with and without fence.i (code-cache invalidation)
//   garbage    random bytes as code with the trap vector pointing into them (anything goes; a
//              guest that powers itself off is recreated)
// The fault workloads trap on purpose: a small handler counts each trap and resumes after the
// faulting instruction (or at the start, for fetch faults), so every trap is a fault injected
// and survived. Machines are also recycled (destroyed and recreated) as the run goes, so that
// teardown leaks show up as growth.
//
// Machines run round-robin in slices: machine i belongs to thread i % threads; an idle machine is
// skipped until its timer deadline. Every `--sample` seconds one line: instructions retired (and
// MIPS over the interval), traps (faults survived), machines recycled, exceptions that escaped a
// slice (must stay 0), the process's resident memory (VmRSS) and the guest pages resident. At the
// end: totals per workload and the memory verdict: after the warm-up (the first fifth of the run,
// at least two samples), RSS must not grow by more than max(5%, 32 MiB).
//
// Exit status: 0 if nothing escaped and memory held steady, 1 otherwise, 2 for a bad command line.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/csr.hpp"
#include "core/engines/engine.hpp"
#include "devices/console.hpp"
#include "devices/machine.hpp"
#include "devices/virtio/null_net_backend.hpp"
#include "tests/unit/rv64_encoding.hpp"

using namespace hartbox;
using Clock = std::chrono::steady_clock;

namespace {

enum : unsigned { ZERO = 0, RA = 1, SP = 2, T0 = 5, T1 = 6, T2 = 7, S0 = 8, S1 = 9, A0 = 10, A1 = 11, A2 = 12,
                  A3 = 13, T3 = 28, T4 = 29, T5 = 30, T6 = 31 };

constexpr uint64_t kCode = kRamBase;
constexpr uint64_t kHandler = kRamBase + 0x800;
constexpr uint64_t kTable = kRamBase + 0xc00;     // jump targets
constexpr uint64_t kGarbage = kRamBase + 0x1000;  // 16 KiB of random bytes
constexpr uint64_t kData = kRamBase + 0x10'0000;
constexpr uint64_t kRamSize = 16 << 20;
constexpr uint64_t kTimerTicks = 100'000;  // 10 ms at the CLINT's 10 MHz

// Code being assembled at a known address.
class Asm {
 public:
  explicit Asm(uint64_t at) : at_(at) {}
  void emit(uint32_t word) { words_.push_back(word); }
  uint64_t here() const { return at_ + 4 * words_.size(); }
  // rd = value (any 64-bit constant: lui/addi, then shifts for the high part).
  void li(unsigned rd, uint64_t value) {
    if (value <= 0x7ff) {
      emit(enc::addi(rd, ZERO, static_cast<int32_t>(value)));
      return;
    }
    if (value >> 32) {
      li(rd, value >> 32);
      emit(enc::slli(rd, rd, 16));
      emit(enc::addi(rd, rd, 0));
      li_or(rd, (value >> 16) & 0xffff);
      emit(enc::slli(rd, rd, 16));
      li_or(rd, value & 0xffff);
      return;
    }
    const auto v = static_cast<uint32_t>(value);
    const uint32_t low = v & 0xfffu;
    const uint32_t high = ((v + (low >= 0x800 ? 0x1000u : 0u)) >> 12) & 0xfffffu;
    emit(enc::lui(rd, high));
    emit(enc::addi(rd, rd, low >= 0x800 ? static_cast<int32_t>(low) - 0x1000 : static_cast<int32_t>(low)));
    if (v & 0x8000'0000u) {  // lui sign-extends: clear the top half
      emit(enc::slli(rd, rd, 32));
      emit(enc::srli(rd, rd, 32));
    }
  }
  void branch_to(uint64_t target, unsigned rs1, unsigned rs2, unsigned f3) {
    emit(enc::b(static_cast<int32_t>(static_cast<int64_t>(target) - static_cast<int64_t>(here())), rs1, rs2, f3));
  }
  void jump_to(uint64_t target) {
    emit(enc::j(static_cast<int32_t>(static_cast<int64_t>(target) - static_cast<int64_t>(here())), ZERO));
  }
  void write_to(Machine& m) const { m.ram().write(at_, words_.data(), words_.size() * 4); }

 private:
  // rd |= a 16-bit value, through T6 (free in every program that uses li with large values).
  void li_or(unsigned rd, uint64_t v16) {
    const auto v = static_cast<uint32_t>(v16);
    emit(enc::lui(T6, ((v + ((v & 0x800) ? 0x1000u : 0u)) >> 12) & 0xfffffu));
    emit(enc::addi(T6, T6, (v & 0x800) ? static_cast<int32_t>(v & 0xfff) - 0x1000 : static_cast<int32_t>(v & 0xfff)));
    emit(enc::r(0, T6, rd, 6, rd, 0x33));  // or rd, rd, t6
  }
  uint64_t at_;
  std::vector<uint32_t> words_;
};

// The trap handler of the fault workloads: count the trap at kData, then resume after the
// faulting instruction (2 or 4 bytes, read at mepc), or at the program's start (in s1) for a
// fetch fault. Uses t3..t5 only.
void fault_handler(Machine& m) {
  using namespace enc;
  Asm h(kHandler);
  h.li(T4, kData);
  h.emit(ld(T5, T4, 0));
  h.emit(addi(T5, T5, 1));
  h.emit(sd(T5, T4, 0));
  h.emit(csrr(T3, csr::mcause));
  const uint64_t fetch_fault = kHandler + 4 * 40;
  h.emit(addi(T4, ZERO, 1));  // instruction access fault
  h.branch_to(fetch_fault, T3, T4, 0);
  h.emit(addi(T4, ZERO, 12));  // instruction page fault
  h.branch_to(fetch_fault, T3, T4, 0);
  h.emit(csrr(T3, csr::mepc));
  h.emit(lh(T4, T3, 0));  // the faulting instruction's low half (mepc is in RAM here)
  h.emit(andi(T4, T4, 3));
  h.emit(addi(T5, ZERO, 3));
  h.emit(addi(T3, T3, 2));
  h.emit(b(8, T4, T5, 1));  // bne: compressed, 2 bytes
  h.emit(addi(T3, T3, 2));
  h.emit(csrw(csr::mepc, T3));
  h.emit(kMret);
  while (h.here() < fetch_fault) h.emit(addi(ZERO, ZERO, 0));
  h.emit(csrw(csr::mepc, S1));
  h.emit(kMret);
  h.write_to(m);
}

enum class Workload : uint8_t { Cpu, Idle, Jumps, Illegal, Mmio, Smc, Garbage, kCount };
constexpr std::array<const char*, 7> kWorkloadNames = {"cpu", "idle", "jumps", "illegal", "mmio", "smc", "garbage"};
// Of every 20 machines: 6 cpu, 4 idle, 2 of each fault workload.
constexpr std::array<Workload, 20> kMix = {
    Workload::Cpu,  Workload::Cpu,     Workload::Cpu,     Workload::Cpu,  Workload::Cpu,  Workload::Cpu,
    Workload::Idle, Workload::Idle,    Workload::Idle,    Workload::Idle, Workload::Jumps, Workload::Jumps,
    Workload::Illegal, Workload::Illegal, Workload::Mmio, Workload::Mmio, Workload::Smc,  Workload::Smc,
    Workload::Garbage, Workload::Garbage};

void load_program(Machine& m, Workload w, uint32_t seed) {
  using namespace enc;
  Asm a(kCode);
  std::mt19937 random(seed);
  switch (w) {
    case Workload::Cpu: {
      a.li(S0, kData);
      a.emit(addi(T1, ZERO, 1));
      const uint64_t loop = a.here();
      a.emit(add(T0, T0, T1));
      a.emit(mul(T4, T1, T1));
      a.emit(add(T3, T3, T4));
      a.emit(andi(T5, T1, 0x7f8));
      a.emit(add(T5, T5, S0));
      a.emit(sd(T3, T5, 0));
      a.emit(addi(T1, T1, 1));
      a.jump_to(loop);
      break;
    }
    case Workload::Idle: {
      // Handler: re-arm the timer kTimerTicks ahead, count the wake-up.
      Asm h(kHandler);
      h.li(T3, virt::kClintBase + 0xbff8);
      h.emit(ld(T4, T3, 0));
      h.li(T5, kTimerTicks);
      h.emit(add(T4, T4, T5));
      h.li(T3, virt::kClintBase + 0x4000);
      h.emit(sd(T4, T3, 0));
      h.emit(addi(S0, S0, 1));
      h.emit(kMret);
      h.write_to(m);
      a.li(T0, kHandler);
      a.emit(csrw(csr::mtvec, T0));
      a.li(T3, virt::kClintBase + 0xbff8);
      a.emit(ld(T4, T3, 0));
      a.li(T5, kTimerTicks);
      a.emit(add(T4, T4, T5));
      a.li(T3, virt::kClintBase + 0x4000);
      a.emit(sd(T4, T3, 0));
      a.emit(addi(T0, ZERO, 0x80));  // MTIE
      a.emit(csrw(csr::mie, T0));
      a.emit(addi(T0, ZERO, 8));  // MIE
      a.emit(csrs(csr::mstatus, T0));
      const uint64_t loop = a.here();
      a.emit(kWfi);
      a.jump_to(loop);
      break;
    }
    case Workload::Jumps: {
      fault_handler(m);
      const uint64_t targets[8] = {0x0, 0x4000'0000, virt::kUartBase, virt::kClintBase + 0x10, kRamBase + kRamSize,
                                   0xffff'ffff'ffff'f000, kGarbage, kGarbage + 0x2002};
      m.ram().write(kTable, targets, sizeof targets);
      std::vector<uint32_t> garbage(4096);
      for (uint32_t& word : garbage) word = static_cast<uint32_t>(random());
      m.ram().write(kGarbage, garbage.data(), garbage.size() * 4);
      a.li(T0, kHandler);
      a.emit(csrw(csr::mtvec, T0));
      a.li(S0, kTable);
      a.emit(addi(A0, ZERO, 1));
      const uint64_t loop = a.here();
      a.li(S1, loop);  // where a fetch fault resumes
      // xorshift: a0 ^= a0 << 13; a0 ^= a0 >> 7; a0 ^= a0 << 17
      a.emit(slli(T1, A0, 13));
      a.emit(xor_(A0, A0, T1));
      a.emit(srli(T1, A0, 7));
      a.emit(xor_(A0, A0, T1));
      a.emit(slli(T1, A0, 17));
      a.emit(xor_(A0, A0, T1));
      a.emit(andi(T1, A0, 7 * 8));
      a.emit(add(T1, T1, S0));
      a.emit(ld(T2, T1, 0));
      a.emit(jalr(RA, T2, 0));
      a.jump_to(loop);
      break;
    }
    case Workload::Illegal: {
      fault_handler(m);
      a.li(T0, kHandler);
      a.emit(csrw(csr::mtvec, T0));
      const uint64_t loop = a.here();
      a.li(S1, loop);
      a.emit(0xffffffff);                    // reserved 32-bit encoding
      a.emit(0x00000000);                    // two illegal 16-bit zeros (skipped as one 4-byte slot)
      a.emit(csrr(T0, 0x7c0));               // a CSR that does not exist
      a.emit(csrw(csr::mvendorid, T0));      // writing a read-only CSR
      a.emit(kFaddD);                        // FP with mstatus.FS = Off
      a.emit(kEcall);
      a.emit(kEbreak);
      a.emit(lr_d(T0, ZERO));                // LR at address 0: access fault
      a.emit(addi(A0, A0, 1));
      a.jump_to(loop);
      break;
    }
    case Workload::Mmio: {
      fault_handler(m);
      a.li(T0, kHandler);
      a.emit(csrw(csr::mtvec, T0));
      const uint64_t loop = a.here();
      a.li(S1, loop);
      const uint64_t devices[] = {virt::kUartBase, virt::kClintBase, virt::kPlicBase + 0x20'0004, virt::kRtcBase,
                                  0x1000'1000 /* virtio rng */, 0x1000'2000 /* virtio net */, 0x1000'8000 /* empty */,
                                  virt::kBootRomBase, 0x3000'0000 /* unmapped */};
      for (uint64_t base : devices) {
        a.li(T1, base);
        a.emit(sd(A0, T1, 0));
        a.emit(sb(A0, T1, 3));
        a.emit(sh(A0, T1, 1));
        a.emit(ld(T2, T1, 5));
        a.emit(lh(T2, T1, 0x103));
        a.emit(lbu(T2, T1, 0x70));
        a.emit(sw(ZERO, T1, 0x64));
        a.emit(amoadd_d(T2, A0, T1));
      }
      a.emit(addi(A0, A0, 1));
      a.jump_to(loop);
      break;
    }
    case Workload::Smc: {
      fault_handler(m);
      a.li(T0, kHandler);
      a.emit(csrw(csr::mtvec, T0));
      const uint64_t loop = a.here();
      a.li(S1, loop);
      // Rewrite the instruction at `slot` between two encodings of "addi a0, a0, k", sometimes
      // with fence.i and sometimes without (a store to cached code must be seen either way).
      const uint64_t slot = loop + 4 * 16;
      a.li(T0, slot);
      a.li(T1, addi(A0, A0, 1));
      a.li(T2, addi(A0, A0, 2));
      a.emit(andi(T3, A1, 1));
      a.emit(b(12, T3, ZERO, 0));  // beq t3, zero: store t2
      a.emit(sw(T1, T0, 0));
      a.emit(j(8, ZERO));
      a.emit(sw(T2, T0, 0));
      a.emit(andi(T3, A1, 2));
      a.emit(b(8, T3, ZERO, 0));
      a.emit(kFenceI);
      while (a.here() < slot) a.emit(addi(ZERO, ZERO, 0));
      a.emit(addi(A0, A0, 1));  // the slot
      a.emit(addi(A1, A1, 1));
      a.jump_to(loop);
      break;
    }
    case Workload::Garbage:
    case Workload::kCount: {
      std::vector<uint32_t> garbage(4096);
      for (uint32_t& word : garbage) word = static_cast<uint32_t>(random());
      m.ram().write(kGarbage, garbage.data(), garbage.size() * 4);
      a.li(T0, kGarbage + (random() & 0x3ffc));
      a.emit(csrw(csr::mtvec, T0));
      a.emit(jalr(ZERO, T0, 0));
      break;
    }
  }
  a.write_to(m);
  m.set_entry(kCode);
}

class DiscardConsole final : public ConsoleSink {
 public:
  void write(std::string_view) override {}
};

// One machine of the fleet, with what it needs to outlive it.
struct Guest {
  Workload workload = Workload::Cpu;
  DiscardConsole console;
  DiscardingNetBackend nic;
  std::unique_ptr<Machine> machine;
  uint64_t retired_seen = 0, traps_seen = 0;  // what has been added to the totals
};

void build_guest(Guest& g, Workload w, unsigned index, uint32_t seed) {
  g.machine.reset();
  g.workload = w;
  MachineConfig config;
  config.ram_size = kRamSize;
  const auto engines = engine_names();
  config.engine = std::string(engines[index % engines.size()]);
  config.time = MachineClock::Mode::Real;
  config.semihosting = false;
  config.console = &g.console;
  if (w == Workload::Mmio) {
    config.rng = true;
    config.nics.push_back(&g.nic);
  }
  g.machine = std::make_unique<Machine>(config);
  load_program(*g.machine, w, seed);
  g.retired_seen = g.traps_seen = 0;
}

// Counters of one worker thread, read by the sampler.
struct alignas(64) WorkerStats {
  std::array<std::atomic<uint64_t>, static_cast<size_t>(Workload::kCount)> retired{};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(Workload::kCount)> traps{};
  std::atomic<uint64_t> slices{0}, recycled{0}, escaped{0}, guest_pages{0};
};

struct Options {
  double minutes = 1;
  unsigned machines = 1000;
  unsigned threads = 2;
  double sample_seconds = 10;
  uint64_t slice = 10'000;
  double recycle_per_minute = 0.05;  // fraction of the fleet recreated per minute
  std::string csv;
  int only = -1;  // a single workload for every machine (--only NAME), to study one at a time
};

uint64_t rss_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;
  return 0;
}

void worker(unsigned id, const Options& opt, std::vector<Guest*> mine, WorkerStats& stats,
            const std::atomic<bool>& stop) {
  std::mt19937 random(1000 + id);
  const double recycle_per_pass_guess = opt.recycle_per_minute * static_cast<double>(mine.size());
  auto last_recycle = Clock::now();
  size_t next_recycle = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    bool ran = false;
    uint64_t pages = 0;
    for (size_t k = 0; k < mine.size() && !stop.load(std::memory_order_relaxed); ++k) {
      Guest& g = *mine[k];
      Machine& m = *g.machine;
      const auto w = static_cast<size_t>(g.workload);
      if (m.idle() && m.clock().until(m.next_deadline()).count() > 0) {
        pages += m.ram().resident_pages();
        continue;
      }
      try {
        m.run_slice(opt.slice);
      } catch (const std::exception& e) {
        stats.escaped.fetch_add(1, std::memory_order_relaxed);
        std::fprintf(stderr, "soak: an exception escaped a %s machine's slice: %s\n", kWorkloadNames[w], e.what());
      }
      ran = true;
      stats.slices.fetch_add(1, std::memory_order_relaxed);
      const uint64_t retired = m.retired(), traps = m.hart().traps_taken();
      stats.retired[w].fetch_add(retired - g.retired_seen, std::memory_order_relaxed);
      stats.traps[w].fetch_add(traps - g.traps_seen, std::memory_order_relaxed);
      g.retired_seen = retired;
      g.traps_seen = traps;
      pages += m.ram().resident_pages();
      if (m.exit_code()) {  // a garbage guest powered itself off: a new one takes its place
        build_guest(g, g.workload, static_cast<unsigned>(random()), static_cast<uint32_t>(random()));
        stats.recycled.fetch_add(1, std::memory_order_relaxed);
      }
    }
    stats.guest_pages.store(pages, std::memory_order_relaxed);
    // Recycle machines at the configured rate, round-robin over this thread's share.
    const double minutes = std::chrono::duration<double>(Clock::now() - last_recycle).count() / 60;
    if (!mine.empty() && minutes * recycle_per_pass_guess >= 1) {
      last_recycle = Clock::now();
      Guest& g = *mine[next_recycle++ % mine.size()];
      build_guest(g, g.workload, static_cast<unsigned>(random()), static_cast<uint32_t>(random()));
      stats.recycled.fetch_add(1, std::memory_order_relaxed);
    }
    if (!ran) std::this_thread::sleep_for(std::chrono::microseconds(500));  // everyone is parked
  }
}

bool parse(int argc, char** argv, Options& opt) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (arg == "--help") {
      std::printf("usage: hartbox_soak [--minutes M] [--machines N] [--threads T] [--sample SECONDS] "
                  "[--slice INSNS] [--recycle FRACTION_PER_MINUTE] [--csv FILE] [--only WORKLOAD]\n");
      std::exit(0);
    }
    if (!(v = value())) return false;
    char* end = nullptr;
    const double number = std::strtod(v, &end);
    const bool numeric = end && *end == '\0' && number >= 0;
    if (arg == "--minutes" && numeric && number > 0) opt.minutes = number;
    else if (arg == "--machines" && numeric && number >= 1) opt.machines = static_cast<unsigned>(number);
    else if (arg == "--threads" && numeric && number >= 1) opt.threads = static_cast<unsigned>(number);
    else if (arg == "--sample" && numeric && number > 0) opt.sample_seconds = number;
    else if (arg == "--slice" && numeric && number >= 1) opt.slice = static_cast<uint64_t>(number);
    else if (arg == "--recycle" && numeric) opt.recycle_per_minute = number;
    else if (arg == "--csv") opt.csv = v;
    else if (arg == "--only") {
      const auto it = std::find(kWorkloadNames.begin(), kWorkloadNames.end(), std::string_view(v));
      if (it == kWorkloadNames.end()) return false;
      opt.only = static_cast<int>(it - kWorkloadNames.begin());
    }
    else return false;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  if (!parse(argc, argv, opt)) {
    std::fprintf(stderr, "hartbox_soak: bad command line (try --help)\n");
    return 2;
  }
  std::printf("soak: %u machines on %u threads for %.1f min, slices of %" PRIu64 " instructions, sample every %.0f s\n",
              opt.machines, opt.threads, opt.minutes, opt.slice, opt.sample_seconds);
  std::printf("soak: mix per 20 machines: 6 cpu, 4 idle, 2 each of jumps, illegal, mmio, smc, garbage\n");
  const auto build_start = Clock::now();
  std::vector<std::unique_ptr<Guest>> guests;
  for (unsigned i = 0; i < opt.machines; ++i) {
    guests.push_back(std::make_unique<Guest>());
    const Workload w = opt.only >= 0 ? static_cast<Workload>(opt.only) : kMix[i % kMix.size()];
    build_guest(*guests.back(), w, i, 12345 + i);
  }
  const uint64_t rss_built = rss_bytes();
  std::printf("soak: built in %.2f s, RSS %.1f MiB (%.1f KiB per machine)\n",
              std::chrono::duration<double>(Clock::now() - build_start).count(), static_cast<double>(rss_built) / (1 << 20),
              static_cast<double>(rss_built) / 1024 / opt.machines);

  std::vector<WorkerStats> stats(opt.threads);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < opt.threads; ++t) {
    std::vector<Guest*> mine;
    for (unsigned i = t; i < opt.machines; i += opt.threads) mine.push_back(guests[i].get());
    threads.emplace_back(worker, t, std::cref(opt), std::move(mine), std::ref(stats[t]), std::cref(stop));
  }

  std::FILE* csv = opt.csv.empty() ? nullptr : std::fopen(opt.csv.c_str(), "w");
  if (csv) std::fprintf(csv, "seconds,instructions,mips,traps,recycled,escaped,rss_mib,guest_pages\n");
  std::printf("%8s %16s %9s %14s %9s %8s %10s %12s\n", "time[s]", "instructions", "MIPS", "traps", "recycled",
              "escaped", "RSS[MiB]", "guest pages");
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(opt.minutes * 60);
  std::vector<double> rss_samples, times;
  uint64_t last_insns = 0;
  double last_t = 0;
  auto totals = [&](auto field) {
    uint64_t sum = 0;
    for (WorkerStats& s : stats) sum += field(s);
    return sum;
  };
  auto sum_array = [](const auto& array) {
    uint64_t sum = 0;
    for (const auto& v : array) sum += v.load(std::memory_order_relaxed);
    return sum;
  };
  for (auto next = start + std::chrono::duration<double>(opt.sample_seconds);; next += std::chrono::duration<double>(opt.sample_seconds)) {
    std::this_thread::sleep_until(std::min(next, end));
    const double t = std::chrono::duration<double>(Clock::now() - start).count();
    const uint64_t insns = totals([&](WorkerStats& s) { return sum_array(s.retired); });
    const uint64_t traps = totals([&](WorkerStats& s) { return sum_array(s.traps); });
    const uint64_t recycled = totals([](WorkerStats& s) { return s.recycled.load(); });
    const uint64_t escaped = totals([](WorkerStats& s) { return s.escaped.load(); });
    const uint64_t pages = totals([](WorkerStats& s) { return s.guest_pages.load(); });
    const double rss = static_cast<double>(rss_bytes()) / (1 << 20);
    const double mips = static_cast<double>(insns - last_insns) / std::max(1e-9, t - last_t) / 1e6;
    std::printf("%8.1f %16" PRIu64 " %9.1f %14" PRIu64 " %9" PRIu64 " %8" PRIu64 " %10.1f %12" PRIu64 "\n", t, insns, mips,
                traps, recycled, escaped, rss, pages);
    std::fflush(stdout);
    if (csv) {
      std::fprintf(csv, "%.1f,%" PRIu64 ",%.2f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.1f,%" PRIu64 "\n", t, insns, mips, traps,
                   recycled, escaped, rss, pages);
      std::fflush(csv);
    }
    rss_samples.push_back(rss);
    times.push_back(t);
    last_insns = insns;
    last_t = t;
    if (Clock::now() >= end) break;
  }
  stop = true;
  for (std::thread& t : threads) t.join();
  if (csv) std::fclose(csv);

  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("\nsoak: per workload (instructions retired, traps taken = faults injected and survived):\n");
  uint64_t all_insns = 0, all_traps = 0;
  for (size_t w = 0; w < kWorkloadNames.size(); ++w) {
    uint64_t insns = 0, traps = 0;
    for (WorkerStats& s : stats) {
      insns += s.retired[w].load();
      traps += s.traps[w].load();
    }
    all_insns += insns;
    all_traps += traps;
    std::printf("  %-8s %16" PRIu64 " instructions %14" PRIu64 " traps\n", kWorkloadNames[w], insns, traps);
  }
  const uint64_t escaped = totals([](WorkerStats& s) { return s.escaped.load(); });
  const uint64_t recycled = totals([](WorkerStats& s) { return s.recycled.load(); });
  std::printf("soak: %" PRIu64 " instructions in %.1f s (%.1f MIPS), %" PRIu64 " traps survived, %" PRIu64
              " machines recycled, %" PRIu64 " exceptions escaped\n",
              all_insns, seconds, static_cast<double>(all_insns) / seconds / 1e6, all_traps, recycled, escaped);

  // Memory: after the warm-up (a fifth of the run, at least two samples), no growth.
  const size_t warm = std::max<size_t>(2, rss_samples.size() / 5);
  bool memory_ok = true;
  if (rss_samples.size() > warm) {
    const double at_warm = rss_samples[warm - 1];
    const double peak = *std::max_element(rss_samples.begin() + static_cast<std::ptrdiff_t>(warm), rss_samples.end());
    const double last = rss_samples.back();
    const double allowed = std::max(at_warm * 0.05, 32.0);
    memory_ok = peak - at_warm <= allowed;
    std::printf("soak: RSS %.1f MiB when warm (t = %.0f s), peak after %.1f MiB, last %.1f MiB: %+.1f MiB (allowed %.1f): %s\n",
                at_warm, times[warm - 1], peak, last, peak - at_warm, allowed, memory_ok ? "steady" : "GROWING");
  } else {
    std::printf("soak: too few samples for a memory verdict (run longer or sample more often)\n");
  }
  const bool ok = escaped == 0 && memory_ok;
  std::printf("soak: %s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
