// Tests for manager/vm, manager/event_log, manager/worker_pool and manager/fleet: the lifecycle
// state machine (legal and illegal steps), the event log, guests that exit, trap or fail,
// pause/resume/stop from other threads (also under the tsan preset), parking, and deterministic
// mode's reproducibility. Guests are a few instructions of raw RV64 machine code.
//
// Nothing here asserts on host timing: waits poll a condition with a generous time limit.
#include <atomic>
#include <catch2/catch_test_macros.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "manager/event_log.hpp"
#include "manager/fleet.hpp"
#include "manager/vm.hpp"

using namespace hartbox;
using namespace std::chrono_literals;

namespace {

// --- RV64 encodings (unprivileged spec chapter 2 and 34) ---
namespace rv {
constexpr uint32_t x0 = 0, t0 = 5, t1 = 6, t2 = 7, t3 = 28, t4 = 29, t5 = 30;
uint32_t itype(uint32_t opcode, uint32_t f3, uint32_t rd, uint32_t rs1, int32_t imm) {
  return (static_cast<uint32_t>(imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode;
}
uint32_t stype(uint32_t f3, uint32_t rs2, uint32_t rs1, int32_t imm) {
  const uint32_t u = static_cast<uint32_t>(imm & 0xfff);
  return ((u >> 5) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((u & 0x1f) << 7) | 0x23;
}
uint32_t addi(uint32_t rd, uint32_t rs1, int32_t imm) { return itype(0x13, 0, rd, rs1, imm); }
uint32_t slli(uint32_t rd, uint32_t rs1, int32_t shamt) { return itype(0x13, 1, rd, rs1, shamt); }
uint32_t ld(uint32_t rd, uint32_t rs1, int32_t imm) { return itype(0x03, 3, rd, rs1, imm); }
uint32_t jalr(uint32_t rd, uint32_t rs1, int32_t imm) { return itype(0x67, 0, rd, rs1, imm); }
uint32_t csrrs(uint32_t rd, uint32_t csr, uint32_t rs1) { return itype(0x73, 2, rd, rs1, static_cast<int32_t>(csr)); }
uint32_t sd(uint32_t rs2, uint32_t rs1, int32_t imm) { return stype(3, rs2, rs1, imm); }
uint32_t sw(uint32_t rs2, uint32_t rs1, int32_t imm) { return stype(2, rs2, rs1, imm); }
uint32_t lui(uint32_t rd, uint32_t imm20) { return (imm20 << 12) | (rd << 7) | 0x37; }
uint32_t add(uint32_t rd, uint32_t rs1, uint32_t rs2) { return (rs2 << 20) | (rs1 << 15) | (rd << 7) | 0x33; }
uint32_t bne(uint32_t rs1, uint32_t rs2, int32_t offset) {
  const uint32_t u = static_cast<uint32_t>(offset);
  return (((u >> 12) & 1) << 31) | (((u >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (1u << 12) |
         (((u >> 1) & 0xf) << 8) | (((u >> 11) & 1) << 7) | 0x63;
}
uint32_t jal_x0(int32_t offset) {
  const uint32_t u = static_cast<uint32_t>(offset);
  return (((u >> 20) & 1) << 31) | (((u >> 1) & 0x3ff) << 21) | (((u >> 11) & 1) << 20) | (((u >> 12) & 0xff) << 12) |
         0x6f;
}
constexpr uint32_t wfi = 0x10500073;
constexpr uint32_t mie = 0x304;

// Writes the SiFive test device (virt 0x10_0000): pass (code 0) or fail with `code`.
std::vector<uint32_t> exit_with(int code) {
  const uint32_t value = code == 0 ? 0x5555u : (static_cast<uint32_t>(code) << 16) | 0x3333u;
  return {lui(t2, 0x100), lui(t3, value >> 12), addi(t3, t3, static_cast<int32_t>(value & 0xfff)), sw(t3, t2, 0),
          jal_x0(0)};
}
}  // namespace rv

std::vector<uint32_t> busy_program() { return {rv::addi(rv::t0, rv::t0, 1), rv::jal_x0(-4)}; }
std::vector<uint32_t> idle_program() { return {rv::wfi, rv::jal_x0(-4)}; }

// Counts to `loops` (a multiple of 4096) and exits with `code`.
std::vector<uint32_t> count_then_exit(uint32_t loops, int code) {
  std::vector<uint32_t> p = {rv::lui(rv::t1, loops >> 12), rv::addi(rv::t0, rv::t0, 1), rv::bne(rv::t0, rv::t1, -4)};
  for (uint32_t insn : rv::exit_with(code)) p.push_back(insn);
  return p;
}

// Waits for the CLINT timer `wakeups` times, `period` ticks apart, then exits with 0.
std::vector<uint32_t> timer_then_exit(int32_t period, int32_t wakeups) {
  std::vector<uint32_t> p = {
      rv::lui(rv::t0, 0x2004),      // mtimecmp
      rv::lui(rv::t1, 0x200c),      // mtime + 8
      rv::ld(rv::t2, rv::t1, -8),
      rv::addi(rv::t3, rv::x0, period),
      rv::addi(rv::t4, rv::x0, 0x80),
      rv::csrrs(rv::x0, rv::mie, rv::t4),
      rv::addi(rv::t5, rv::x0, wakeups),
      rv::add(rv::t2, rv::t2, rv::t3),  // loop:
      rv::sd(rv::t2, rv::t0, 0),
      rv::wfi,
      rv::addi(rv::t5, rv::t5, -1),
      rv::bne(rv::t5, rv::x0, -16),
  };
  for (uint32_t insn : rv::exit_with(0)) p.push_back(insn);
  return p;
}

// Jumps to address 0, where nothing is: every fetch faults, and mtvec (0) leads back there.
std::vector<uint32_t> trap_loop_program() { return {rv::jalr(rv::x0, rv::x0, 0)}; }

VmSpec spec_for(std::vector<uint32_t> program, std::string name = {}, MachineClock::Mode time = MachineClock::Mode::Real) {
  VmSpec spec;
  spec.name = std::move(name);
  spec.machine.ram_size = uint64_t{1} << 20;
  spec.machine.time = time;
  spec.machine.semihosting = false;
  spec.setup = [program = std::move(program)](Machine& m) {
    m.ram().write(kRamBase, program.data(), program.size() * sizeof(uint32_t));
    m.set_entry(kRamBase);
  };
  return spec;
}

// Polls `condition` until it holds or 20 s pass (so only a hang fails, never a slow host).
bool eventually(const std::function<bool()>& condition) {
  const auto limit = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < limit) {
    if (condition()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return condition();
}

FleetConfig small_fleet(unsigned workers = 2) {
  FleetConfig config;
  config.workers = workers;
  config.slice_instructions = 20'000;
  return config;
}

VmState state_after(EventKind kind) {
  switch (kind) {
    case EventKind::Started: return VmState::Running;
    case EventKind::Paused: return VmState::Paused;
    case EventKind::Resumed: return VmState::Running;
    case EventKind::Stopped: return VmState::Stopped;
    case EventKind::Failed: return VmState::Failed;
    case EventKind::Destroyed: return VmState::Destroyed;
    default: return VmState::Created;
  }
}

// Replays each VM's lifecycle events: every one must be a legal transition.
void check_event_history(const EventLog& log) {
  std::map<VmId, VmState> states;
  for (const Event& e : log.snapshot()) {
    if (e.vm == kNoVm) continue;
    if (e.kind == EventKind::Created) {
      CHECK_FALSE(states.count(e.vm));
      states[e.vm] = VmState::Created;
      continue;
    }
    if (e.kind == EventKind::ParametersChanged || e.kind == EventKind::Note) continue;
    REQUIRE(states.count(e.vm));
    const VmState to = state_after(e.kind);
    INFO("vm " << e.vm << ": " << to_string(states[e.vm]) << " -> " << to_string(to));
    CHECK(transition_allowed(states[e.vm], to));
    states[e.vm] = to;
  }
}

}  // namespace

// --- The state machine ---

TEST_CASE("lifecycle: the allowed transitions are exactly the diagram's", "[vm][lifecycle]") {
  using S = VmState;
  const S all[] = {S::Created, S::Running, S::Paused, S::Stopped, S::Failed, S::Destroyed};
  const std::vector<std::pair<S, S>> legal = {
      {S::Created, S::Running},   {S::Running, S::Paused},    {S::Paused, S::Running},
      {S::Running, S::Stopped},   {S::Paused, S::Stopped},    {S::Created, S::Failed},
      {S::Running, S::Failed},    {S::Paused, S::Failed},     {S::Stopped, S::Failed},
      {S::Created, S::Destroyed}, {S::Stopped, S::Destroyed}, {S::Failed, S::Destroyed},
  };
  for (S from : all)
    for (S to : all) {
      const bool expected = std::find(legal.begin(), legal.end(), std::make_pair(from, to)) != legal.end();
      INFO(to_string(from) << " -> " << to_string(to));
      CHECK(transition_allowed(from, to) == expected);
    }
}

TEST_CASE("lifecycle: a VirtualMachine logs every transition and refuses illegal ones", "[vm][lifecycle]") {
  EventLog log;
  MachineConfig config;
  config.ram_size = 1 << 20;
  VirtualMachine vm(7, "web", "tenant-a", {}, std::make_unique<Machine>(config), &log);
  CHECK(vm.state() == VmState::Created);
  CHECK_THROWS_AS(vm.pause(), IllegalTransition);
  CHECK_THROWS_AS(vm.stopped({}), IllegalTransition);
  vm.start();
  try {
    vm.start();
    FAIL("a second start() must throw");
  } catch (const IllegalTransition& e) {
    CHECK(e.vm == 7);
    CHECK(e.from == VmState::Running);
    CHECK(e.to == VmState::Running);
    CHECK(std::string(e.what()).find("running") != std::string::npos);
  }
  vm.pause();
  CHECK_THROWS_AS(vm.pause(), IllegalTransition);
  CHECK_THROWS_AS(vm.destroy(), IllegalTransition);  // stop it first
  vm.resume();
  vm.stopped({StopInfo::Cause::Exited, 3});
  CHECK(vm.state() == VmState::Stopped);
  REQUIRE(vm.stop_info());
  CHECK(vm.stop_info()->exit_code == 3);
  CHECK_THROWS_AS(vm.resume(), IllegalTransition);
  vm.fail("disk image vanished");
  CHECK(vm.failure() == "disk image vanished");
  vm.destroy();
  CHECK_THROWS_AS(vm.fail("again"), IllegalTransition);

  const auto events = log.snapshot();
  std::vector<EventKind> kinds;
  for (const Event& e : events) kinds.push_back(e.kind);
  CHECK(kinds == std::vector<EventKind>{EventKind::Created, EventKind::Started, EventKind::Paused, EventKind::Resumed,
                                        EventKind::Stopped, EventKind::Failed, EventKind::Destroyed});
  CHECK(events[4].detail == "exit code 3");
  CHECK(events[0].vm_name == "web");
  for (size_t i = 1; i < events.size(); ++i) {
    CHECK(events[i].sequence == events[i - 1].sequence + 1);
    CHECK(events[i].since_start >= events[i - 1].since_start);
  }
  check_event_history(log);
}

TEST_CASE("event log: bounded, sequenced, readable from a point", "[vm][event_log]") {
  EventLog log(3);
  for (int i = 0; i < 5; ++i) log.append(1, "a", EventKind::Note, std::to_string(i));
  CHECK(log.last_sequence() == 5);
  CHECK(log.dropped() == 2);
  const auto all = log.snapshot();
  REQUIRE(all.size() == 3);
  CHECK(all.front().sequence == 3);
  CHECK(all.front().detail == "2");
  const auto newer = log.since(4);
  REQUIRE(newer.size() == 1);
  CHECK(newer[0].sequence == 5);
  CHECK(log.since(5).empty());
  CHECK(log.since(1).size() == 3);  // older ones are gone
  CHECK(log.wait_newer(5, 1ms) == 5);
  CHECK(log.wait_newer(2, 1ms) == 5);
  CHECK(format_event(all.back()).find("vm 1 (a) Note: 4") != std::string::npos);

  // Appends from several threads all arrive, each with its own sequence number.
  EventLog shared(10'000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) shared.append(kNoVm, {}, EventKind::Note);
    });
  for (auto& thread : threads) thread.join();
  CHECK(shared.last_sequence() == 2000);
  CHECK(shared.snapshot().size() == 2000);
}

TEST_CASE("latency histogram: exact count, mean and max; percentiles within a bucket", "[vm]") {
  LatencyHistogram h;
  CHECK(h.stats().count == 0);
  for (int i = 1; i <= 100; ++i) h.add(std::chrono::microseconds{i});
  const LatencyStats s = h.stats();
  CHECK(s.count == 100);
  CHECK(s.max == 100us);
  CHECK(s.mean == std::chrono::nanoseconds{50'500});
  CHECK(s.p50 >= 50us);
  CHECK(s.p50 <= 50us * 1.125);
  CHECK(s.p99 >= 99us);
  CHECK(s.p99 <= 100us);
}

// --- Fleets of real machines ---

TEST_CASE("fleet: a guest that exits is Stopped with its exit code", "[vm][fleet]") {
  Fleet fleet(small_fleet());
  std::atomic<uint64_t> slices{0};
  const VmId id = fleet.create(spec_for(count_then_exit(4096 * 4, 7), "exiter"));
  CHECK(fleet.find("exiter") == id);
  CHECK(fleet.inspect(id).state == VmState::Created);
  CHECK_FALSE(fleet.wait_stopped(id, 1ms));  // never started
  fleet.start(id);
  REQUIRE(fleet.wait_stopped(id, 20s));
  const VmInfo info = fleet.inspect(id);
  CHECK(info.state == VmState::Stopped);
  REQUIRE(info.stop);
  CHECK(info.stop->cause == StopInfo::Cause::Exited);
  CHECK(info.stop->exit_code == 7);
  CHECK(info.accounting.instructions >= 2 * 4096 * 4);
  CHECK(info.accounting.slices >= 1);
  CHECK(info.accounting.cpu_time.count() > 0);
  CHECK_FALSE(info.sched);  // out of the pool
  CHECK_THROWS_AS(fleet.stop(id), IllegalTransition);
  CHECK_THROWS_AS(fleet.start(id), IllegalTransition);
  check_event_history(fleet.events());
  (void)slices;
}

TEST_CASE("fleet: a guest stuck in a trap loop is Stopped with the trap", "[vm][fleet]") {
  Fleet fleet(small_fleet(1));
  const VmId id = fleet.create(spec_for(trap_loop_program()));
  fleet.start(id);
  REQUIRE(fleet.wait_stopped(id, 20s));
  const VmInfo info = fleet.inspect(id);
  REQUIRE(info.stop);
  CHECK(info.stop->cause == StopInfo::Cause::Trap);
  CHECK(info.stop->trap_cause == 1);  // instruction access fault
  CHECK(info.stop->trap_pc == 0);
  CHECK(describe(*info.stop).find("mcause 0x1") != std::string::npos);
}

TEST_CASE("fleet: a machine that throws is Failed with the reason", "[vm][fleet]") {
  Fleet fleet(small_fleet(1));
  // Stores to a second page of RAM with a limit of one page: GuestRam throws.
  VmSpec spec = spec_for({rv::addi(rv::t1, rv::x0, 1), rv::slli(rv::t1, rv::t1, 31), rv::lui(rv::t2, 0x10),
                          rv::add(rv::t1, rv::t1, rv::t2), rv::sd(rv::t0, rv::t1, 0), rv::jal_x0(0)});
  const auto load = spec.setup;
  spec.setup = [load](Machine& m) {
    load(m);
    m.ram().set_page_limit(1);
  };
  const VmId id = fleet.create(spec);
  fleet.start(id);
  REQUIRE(fleet.wait_stopped(id, 20s));
  const VmInfo info = fleet.inspect(id);
  CHECK(info.state == VmState::Failed);
  CHECK_FALSE(info.failure.empty());
  fleet.destroy(id);
  CHECK_THROWS_AS(fleet.inspect(id), FleetError);
}

TEST_CASE("fleet: pause, resume, stop and destroy a running machine", "[vm][fleet]") {
  Fleet fleet(small_fleet());
  const VmId id = fleet.create(spec_for(busy_program(), "spinner"));
  CHECK_THROWS_AS(fleet.pause(id), IllegalTransition);  // not started
  CHECK_THROWS_AS(fleet.resume(id), IllegalTransition);
  fleet.start(id);
  REQUIRE(eventually([&] { return fleet.inspect(id).accounting.instructions > 0; }));
  CHECK_THROWS_AS(fleet.with_machine(id, [](Machine&) {}), FleetError);

  fleet.pause(id);
  VmInfo info = fleet.inspect(id);
  CHECK(info.state == VmState::Paused);
  REQUIRE(info.sched);
  CHECK(info.sched->state == SchedState::Parked);
  const uint64_t frozen = info.accounting.instructions;
  std::this_thread::sleep_for(20ms);
  CHECK(fleet.inspect(id).accounting.instructions == frozen);  // a paused machine never runs
  uint64_t pc = 0;
  fleet.with_machine(id, [&](Machine& m) { pc = m.hart(0).pc; });
  CHECK(pc >= kRamBase);
  CHECK_THROWS_AS(fleet.pause(id), IllegalTransition);

  fleet.resume(id);
  CHECK(fleet.inspect(id).state == VmState::Running);
  REQUIRE(eventually([&] { return fleet.inspect(id).accounting.instructions > frozen; }));
  CHECK(fleet.inspect(id).accounting.wakeups >= 1);  // resuming counts as a wake-up
  CHECK_THROWS_AS(fleet.resume(id), IllegalTransition);

  fleet.stop(id);
  info = fleet.inspect(id);
  CHECK(info.state == VmState::Stopped);
  REQUIRE(info.stop);
  CHECK(info.stop->cause == StopInfo::Cause::Requested);
  CHECK_THROWS_AS(fleet.stop(id), IllegalTransition);

  fleet.destroy(id);
  CHECK_FALSE(fleet.find("spinner"));
  CHECK(fleet.list().empty());
  CHECK_THROWS_AS(fleet.pause(id), FleetError);
  check_event_history(fleet.events());
}

TEST_CASE("fleet: a paused machine can be stopped; a running one destroyed", "[vm][fleet]") {
  Fleet fleet(small_fleet());
  const VmId a = fleet.create(spec_for(busy_program()));
  const VmId b = fleet.create(spec_for(busy_program()));
  fleet.start_all({a, b});
  fleet.pause(a);
  fleet.stop(a);
  CHECK(fleet.inspect(a).state == VmState::Stopped);
  fleet.destroy(b);  // stops it first
  CHECK(fleet.list().size() == 1);
  const auto events = fleet.events().snapshot();
  CHECK(events.back().kind == EventKind::Destroyed);
  CHECK(events[events.size() - 2].kind == EventKind::Stopped);
}

TEST_CASE("fleet: an idle machine parks and an outside event wakes it", "[vm][fleet]") {
  Fleet fleet(small_fleet());
  const VmId id = fleet.create(spec_for(idle_program()));
  fleet.start(id);
  REQUIRE(eventually([&] {
    const auto sched = fleet.inspect(id).sched;
    return sched && sched->state == SchedState::Parked;
  }));
  const uint64_t slices = fleet.inspect(id).accounting.slices;
  std::this_thread::sleep_for(20ms);
  CHECK(fleet.inspect(id).accounting.slices == slices);  // parked: costs nothing
  fleet.wake(id);
  REQUIRE(eventually([&] { return fleet.inspect(id).accounting.slices > slices; }));
  CHECK(fleet.inspect(id).accounting.wakeups >= 1);
  REQUIRE(eventually([&] { return fleet.inspect(id).sched->state == SchedState::Parked; }));
  fleet.wake(999);  // unknown ids are ignored
}

TEST_CASE("fleet: a timer-driven guest is woken at its deadlines (real time)", "[vm][fleet]") {
  std::mutex mutex;
  std::vector<SliceRecord> records;
  FleetConfig config = small_fleet();
  config.on_slice = [&](const SliceRecord& r) {
    std::lock_guard lock(mutex);
    records.push_back(r);
  };
  Fleet fleet(config);
  const VmId id = fleet.create(spec_for(timer_then_exit(2000, 20)));  // 20 x 200 us
  fleet.start(id);
  REQUIRE(fleet.wait_stopped(id, 20s));
  const VmInfo info = fleet.inspect(id);
  REQUIRE(info.stop);
  CHECK(info.stop->exit_code == 0);
  CHECK(info.accounting.wakeups >= 1);
  CHECK(info.accounting.latency.count == info.accounting.wakeups);
  std::lock_guard lock(mutex);
  REQUIRE_FALSE(records.empty());
  CHECK(records.back().reason == SliceEnd::Exited);
  size_t waits = 0;
  for (const SliceRecord& r : records) {
    CHECK(r.vm == id);
    CHECK(r.end >= r.start);
    if (r.reason == SliceEnd::Wait) ++waits;
  }
  CHECK(waits >= 1);
}

TEST_CASE("fleet: parameters are checked and logged", "[vm][fleet]") {
  Fleet fleet(small_fleet(2));
  VmSpec spec = spec_for(busy_program(), "x");
  const VmId id = fleet.create(spec);
  CHECK_THROWS_AS(fleet.create(spec), FleetError);  // the name is taken
  spec.name = "bad";
  spec.weight = 0;
  CHECK_THROWS_AS(fleet.create(spec), FleetError);
  spec.weight = 100;
  spec.setup = [](Machine&) { throw LoadError("no such kernel"); };
  try {
    fleet.create(spec);
    FAIL("create() must throw");
  } catch (const FleetError& e) {
    CHECK(std::string(e.what()).find("no such kernel") != std::string::npos);
  }
  CHECK_FALSE(fleet.find("bad"));  // nothing kept
  fleet.set_weight(id, 300);
  CHECK(fleet.inspect(id).params.weight == 300);
  CHECK_THROWS_AS(fleet.set_weight(id, 0), FleetError);
  fleet.set_cap(id, 0.5);
  CHECK_THROWS_AS(fleet.set_cap(id, 2.0), FleetError);
  fleet.set_reservation(id, 0.25);
  CHECK_THROWS_AS(fleet.set_reservation(id, 0.75), FleetError);  // above the cap
  fleet.set_priority(id, 5);
  fleet.set_group_weight("tenant-b", 200);
  CHECK_THROWS_AS(fleet.set_group_weight("tenant-b", 0), FleetError);
  const VmInfo info = fleet.inspect(id);
  CHECK(info.params.cap == 0.5);
  CHECK(info.params.reservation == 0.25);
  CHECK(info.params.priority == 5);
  size_t changes = 0;
  for (const Event& e : fleet.events().snapshot())
    if (e.kind == EventKind::ParametersChanged) ++changes;
  CHECK(changes == 5);
  // Reservations may not promise more than the host threads.
  VmSpec greedy = spec_for(busy_program(), "greedy");
  greedy.reservation = 1.0;
  const VmId g1 = fleet.create(greedy);
  greedy.name = "greedy2";
  greedy.reservation = 0.8;
  CHECK_THROWS_AS(fleet.create(greedy), FleetError);
  (void)g1;
}

TEST_CASE("fleet: deterministic mode runs the same instructions in the same order", "[vm][fleet][deterministic]") {
  struct Run {
    std::map<unsigned, std::vector<std::tuple<VmId, uint64_t, uint64_t, SliceEnd>>> per_worker;
    std::map<VmId, uint64_t> instructions;
  };
  const auto run_once = [] {
    Run run;
    std::mutex mutex;
    FleetConfig config;
    config.workers = 2;
    config.deterministic = true;
    config.slice_instructions = 5'000;
    config.scheduler.slice = 20'000;     // instructions, in deterministic mode
    config.scheduler.min_slice = 1'000;
    config.scheduler.period = 200'000;
    config.on_slice = [&](const SliceRecord& r) {
      std::lock_guard lock(mutex);
      run.per_worker[r.worker].emplace_back(r.vm, r.steps, r.instructions, r.reason);
    };
    {
      Fleet fleet(config);
      std::vector<VmId> ids;
      const uint32_t weights[] = {100, 300, 50, 1000, 100};
      for (int i = 0; i < 5; ++i) {
        VmSpec spec = spec_for(count_then_exit(4096 * static_cast<uint32_t>(10 + 3 * i), i), {},
                               MachineClock::Mode::Virtual);
        spec.weight = weights[i];
        if (i == 2) spec.cap = 0.3;
        ids.push_back(fleet.create(spec));
      }
      ids.push_back(fleet.create(spec_for(timer_then_exit(300, 40), {}, MachineClock::Mode::Virtual)));
      fleet.start_all(ids);
      REQUIRE(fleet.wait_all_stopped(60s));
      for (VmId id : ids) {
        const VmInfo info = fleet.inspect(id);
        CHECK(info.state == VmState::Stopped);
        run.instructions[id] = info.accounting.instructions;
      }
    }
    return run;
  };
  const Run first = run_once();
  const Run second = run_once();
  CHECK(first.per_worker.size() == 2);  // both workers had machines
  CHECK(first.instructions == second.instructions);
  CHECK(first.per_worker == second.per_worker);
}

TEST_CASE("fleet: concurrent pause, resume, stop, tuning and inspection are safe", "[vm][fleet][races]") {
  Fleet fleet(small_fleet(2));
  std::vector<VmId> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(fleet.create(spec_for(busy_program())));
  for (int i = 0; i < 2; ++i) ids.push_back(fleet.create(spec_for(idle_program())));
  for (int i = 0; i < 2; ++i) ids.push_back(fleet.create(spec_for(timer_then_exit(500, 2000))));
  fleet.start_all(ids);

  std::atomic<int> illegal{0};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 random(t + 1);
      for (int i = 0; i < 150; ++i) {
        const VmId id = ids[random() % ids.size()];
        try {
          switch (random() % 9) {
            case 0: fleet.pause(id); break;
            case 1: case 2: fleet.resume(id); break;
            case 3: if (random() % 4 == 0) fleet.stop(id); break;
            case 4: fleet.set_weight(id, 1 + static_cast<uint32_t>(random() % 1000)); break;
            case 5: fleet.set_cap(id, (random() % 2) ? 0.0 : 0.3); break;
            case 6: fleet.wake(id); break;
            case 7: (void)fleet.list(); break;
            default: (void)fleet.inspect(id); break;
          }
        } catch (const IllegalTransition&) {
          ++illegal;  // e.g. resuming a running machine: refused, never corrupting
        }
      }
    });
  for (auto& thread : threads) thread.join();
  for (VmId id : ids) {
    const VmState state = fleet.inspect(id).state;
    CHECK((state == VmState::Running || state == VmState::Paused || state == VmState::Stopped));
  }
  for (VmId id : ids) fleet.destroy(id);
  CHECK(fleet.list().empty());
  CHECK(fleet.wait_all_stopped(1s));
  check_event_history(fleet.events());
  CHECK(illegal.load() > 0);
}
