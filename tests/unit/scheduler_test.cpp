// Tests for manager/scheduler: the three policies driven with made-up times (no clock, no
// threads, no timed assertions), so every figure here is exact arithmetic.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_floating_point.hpp>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

#include "manager/scheduler/bandwidth.hpp"
#include "manager/scheduler/fair_share.hpp"
#include "manager/scheduler/round_robin.hpp"
#include "manager/scheduler/scheduler.hpp"
#include "manager/scheduler/strict_priority.hpp"

using namespace hartbox;
using Catch::Matchers::WithinAbs;
using Catch::Matchers::WithinRel;

namespace {

constexpr SchedTime kMs = 1'000'000;  // cost units are nanoseconds here

// A host thread with a fake clock: every picked machine uses its whole budget (or `usage` if
// set), and time stands still only while something runs.
struct FakeWorker {
  explicit FakeWorker(std::unique_ptr<Scheduler> s) : scheduler(std::move(s)) {}
  std::unique_ptr<Scheduler> scheduler;
  SchedTime now = 0;
  std::map<VmId, SchedTime> used;
  std::vector<VmId> order;
  std::optional<SchedTime> usage;  // override the budget

  void add(VmId vm, SchedParams params = {}) {
    scheduler->add(vm, params, now);
    scheduler->wake(vm, now);
  }
  // One pick and account; when nothing can run, time moves to the scheduler's next event.
  std::optional<VmId> step() {
    const std::optional<Pick> pick = scheduler->pick(0, now);
    if (!pick) {
      const SchedTime next = scheduler->next_event();
      REQUIRE(next != kNever);
      REQUIRE(next > now);
      now = next;
      return std::nullopt;
    }
    const SchedTime spent = usage.value_or(pick->budget);
    now += spent;
    used[pick->vm] += spent;
    order.push_back(pick->vm);
    scheduler->account(pick->vm, spent, now);
    return pick->vm;
  }
  void run_for(SchedTime duration) {
    const SchedTime end = now + duration;
    while (now < end) step();
  }
  SchedTime total() const {
    SchedTime sum = 0;
    for (const auto& [vm, t] : used) sum += t;
    return sum;
  }
};

SchedulerConfig config_1ms() {
  SchedulerConfig config;
  config.slice = 1 * kMs;
  config.min_slice = kMs / 20;
  config.period = 100 * kMs;
  config.wake_bonus = 1 * kMs;
  return config;
}

SchedParams weight(uint32_t w, GroupId group = kDefaultGroup) {
  SchedParams p;
  p.weight = w;
  p.group = group;
  return p;
}

}  // namespace

TEST_CASE("fair share: weights 1:2:4 get 1/7, 2/7 and 4/7 of a thread", "[scheduler][fair_share]") {
  FakeWorker w(make_scheduler("fair_share", config_1ms()));
  w.add(1, weight(1));
  w.add(2, weight(2));
  w.add(3, weight(4));
  w.run_for(10'000 * kMs);
  const double total = static_cast<double>(w.total());
  CHECK_THAT(static_cast<double>(w.used[1]) / total, WithinRel(1.0 / 7, 0.001));
  CHECK_THAT(static_cast<double>(w.used[2]) / total, WithinRel(2.0 / 7, 0.001));
  CHECK_THAT(static_cast<double>(w.used[3]) / total, WithinRel(4.0 / 7, 0.001));
}

TEST_CASE("fair share: slices scale with weight between min_slice and slice", "[scheduler][fair_share]") {
  FairShareScheduler s(config_1ms());
  const std::pair<uint32_t, SchedTime> cases[] = {
      {1, kMs / 20}, {4, kMs / 20}, {50, kMs / 2}, {100, kMs}, {10000, kMs}};
  VmId id = 1;
  for (const auto& [w, expected] : cases) {
    s.add(id, weight(w), 0);
    s.wake(id, 0);
    const auto pick = s.pick(0, 0);
    REQUIRE(pick);
    CHECK(pick->vm == id);
    CHECK(pick->budget == expected);
    s.account(id, 1, 1);
    s.remove(id);
    ++id;
  }
}

TEST_CASE("fair share: 1,000 machines with random weights share in proportion", "[scheduler][fair_share]") {
  FakeWorker w(make_scheduler("fair_share", config_1ms()));
  std::mt19937 random(7);
  std::uniform_int_distribution<uint32_t> dist(1, 100);
  std::map<VmId, double> weights;
  double weight_sum = 0;
  for (VmId vm = 1; vm <= 1000; ++vm) {
    weights[vm] = dist(random);
    weight_sum += weights[vm];
    w.add(vm, weight(static_cast<uint32_t>(weights[vm])));
  }
  w.run_for(20'000 * kMs);
  const double total = static_cast<double>(w.total());
  double sum = 0, sum_sq = 0;
  for (const auto& [vm, wt] : weights) {
    const double x = static_cast<double>(w.used[vm]) / (total * wt / weight_sum);
    sum += x;
    sum_sq += x * x;
  }
  const double jain = sum * sum / (1000.0 * sum_sq);
  CHECK(jain >= 0.999);
}

TEST_CASE("fair share: machines on several workers are never picked twice", "[scheduler][fair_share]") {
  FairShareScheduler s(config_1ms());
  for (VmId vm = 1; vm <= 3; ++vm) {
    s.add(vm, weight(100), 0);
    s.wake(vm, 0);
  }
  const auto a = s.pick(0, 0), b = s.pick(1, 0), c = s.pick(2, 0);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE(c);
  CHECK(a->vm != b->vm);
  CHECK(b->vm != c->vm);
  CHECK(a->vm != c->vm);
  CHECK_FALSE(s.pick(3, 0));
  CHECK(s.info(a->vm)->state == SchedState::OnCpu);
  s.account(a->vm, kMs, kMs);
  CHECK(s.info(a->vm)->state == SchedState::Runnable);
  CHECK(s.runnable_count() == 1);
  // Accounting a machine that is not on a CPU is a caller bug, not silently ignored.
  CHECK_THROWS_AS(s.account(a->vm, kMs, kMs), std::logic_error);
}

TEST_CASE("caps: a machine capped at 25% gets 25% of each period", "[scheduler][caps]") {
  for (const char* policy : {"fair_share", "round_robin", "strict_priority"}) {
    INFO(policy);
    FakeWorker w(make_scheduler(policy, config_1ms()));
    SchedParams p;
    p.cap = 0.25;
    w.add(1, p);
    // The first pick's budget is the slice; later ones never exceed the quota left.
    w.run_for(1000 * kMs);
    CHECK(w.used[1] == 250 * kMs);
    const auto info = w.scheduler->info(1);
    REQUIRE(info);
    CHECK(info->throttle_count == 10);
    CHECK(info->state == SchedState::Throttled);  // until the period that starts now
  }
}

TEST_CASE("caps: throttled until the next period; an overrun is paid back", "[scheduler][caps]") {
  SchedulerConfig config = config_1ms();
  config.slice = 50 * kMs;  // longer than the quota, so budgets show the quota left
  FairShareScheduler s(config);
  SchedParams p;
  p.cap = 0.25;  // 25 ms per 100 ms period
  s.add(1, p, 0);
  s.wake(1, 0);
  auto pick = s.pick(0, 0);
  REQUIRE(pick);
  // The slice ran long (say the machine ignored its budget): 40 ms.
  s.account(1, 40 * kMs, 40 * kMs);
  auto info = s.info(1);
  CHECK(info->state == SchedState::Throttled);
  CHECK(info->throttled_until == 100 * kMs);
  CHECK(s.next_event() == 100 * kMs);
  CHECK_FALSE(s.pick(0, 99 * kMs));
  // Next period: 15 ms of debt, so 10 ms are left.
  pick = s.pick(0, 100 * kMs);
  REQUIRE(pick);
  CHECK(pick->budget == 10 * kMs);
  s.account(1, 10 * kMs, 110 * kMs);
  CHECK(s.info(1)->state == SchedState::Throttled);
  CHECK(s.info(1)->throttled_until == 200 * kMs);
  // An idle machine does not bank quota: after a long sleep it has one period's worth.
  s.park(1);
  s.wake(1, 1000 * kMs);
  pick = s.pick(0, 1000 * kMs);
  REQUIRE(pick);
  CHECK(pick->budget == 25 * kMs);
  s.account(1, 30 * kMs, 1030 * kMs);
  CHECK(s.info(1)->state == SchedState::Throttled);
}

TEST_CASE("caps: a capped machine leaves the rest of the thread to others", "[scheduler][caps]") {
  FakeWorker w(make_scheduler("fair_share", config_1ms()));
  SchedParams capped;
  capped.cap = 0.25;
  w.add(1, capped);
  w.add(2);
  w.run_for(1000 * kMs);
  CHECK(w.used[1] == 250 * kMs);
  CHECK(w.used[2] == 750 * kMs);
  // Lifting the cap restores equal shares.
  capped.cap = 0;
  w.scheduler->update(1, capped, w.now);
  w.used.clear();
  w.run_for(1000 * kMs);
  CHECK_THAT(static_cast<double>(w.used[1]), WithinRel(500.0 * kMs, 0.01));
}

TEST_CASE("caps: changing a cap while throttled takes effect at once", "[scheduler][caps]") {
  RoundRobinScheduler s(config_1ms());
  SchedParams p;
  p.cap = 0.01;  // 1 ms per period
  s.add(1, p, 0);
  s.wake(1, 0);
  REQUIRE(s.pick(0, 0));
  s.account(1, kMs, kMs);
  CHECK(s.info(1)->state == SchedState::Throttled);
  p.cap = 0.5;
  s.update(1, p, 2 * kMs);
  CHECK(s.info(1)->state == SchedState::Runnable);
  REQUIRE(s.pick(0, 2 * kMs));
}

TEST_CASE("groups: tenants share by group weight, machines within their group", "[scheduler][groups]") {
  FakeWorker w(make_scheduler("fair_share", config_1ms()));
  w.add(1, weight(100, 1));  // tenant 1: one machine
  w.add(2, weight(100, 2));  // tenant 2: three machines
  w.add(3, weight(100, 2));
  w.add(4, weight(200, 2));
  w.run_for(4000 * kMs);
  double total = static_cast<double>(w.total());
  CHECK_THAT(static_cast<double>(w.used[1]) / total, WithinRel(0.5, 0.005));
  CHECK_THAT(static_cast<double>(w.used[2]) / total, WithinRel(0.125, 0.01));
  CHECK_THAT(static_cast<double>(w.used[3]) / total, WithinRel(0.125, 0.01));
  CHECK_THAT(static_cast<double>(w.used[4]) / total, WithinRel(0.25, 0.01));

  w.scheduler->set_group_weight(2, 300);  // tenant 2 now has three times tenant 1's share
  w.used.clear();
  w.run_for(4000 * kMs);
  total = static_cast<double>(w.total());
  CHECK_THAT(static_cast<double>(w.used[1]) / total, WithinRel(0.25, 0.01));
  CHECK_THAT(static_cast<double>(w.used[4]) / total, WithinRel(0.375, 0.01));
  CHECK_THROWS_AS(w.scheduler->set_group_weight(2, 0), std::invalid_argument);
}

TEST_CASE("wake-up: a sleeper runs first but banks at most wake_bonus", "[scheduler][fair_share]") {
  const SchedulerConfig config = config_1ms();
  FakeWorker w(std::make_unique<FairShareScheduler>(config));
  auto& fair = static_cast<FairShareScheduler&>(*w.scheduler);
  w.add(1);
  w.add(2);
  w.scheduler->park(2);  // machine 2 sleeps while machine 1 runs for a second
  w.run_for(1000 * kMs);
  CHECK(w.used[1] == 1000 * kMs);
  const uint64_t min_vruntime = fair.group_min_vruntime(kDefaultGroup);
  w.scheduler->wake(2, w.now);
  const uint64_t bonus = config.wake_bonus * FairShareScheduler::kScale / 100;
  CHECK(w.scheduler->info(2)->vruntime == min_vruntime - bonus);
  // It runs at once, and for no more than the bonus (plus the slice that crosses it) before
  // machine 1 runs again.
  w.order.clear();
  w.used.clear();
  while (w.order.empty() || w.order.back() == 2) w.step();
  CHECK(w.order.front() == 2);
  CHECK(w.used[2] <= config.wake_bonus + config.slice);
  CHECK(w.used[2] >= config.wake_bonus);

  // A machine that slept only briefly keeps its own (later) vruntime: no bonus on top.
  w.run_for(100 * kMs);
  const uint64_t own = w.scheduler->info(1)->vruntime;
  w.scheduler->park(1);
  w.scheduler->wake(1, w.now);
  CHECK(w.scheduler->info(1)->vruntime == own);
}

TEST_CASE("wake-up: min_vruntime never decreases and newcomers start level", "[scheduler][fair_share]") {
  FakeWorker w(make_scheduler("fair_share", config_1ms()));
  auto& fair = static_cast<FairShareScheduler&>(*w.scheduler);
  w.add(1);
  uint64_t last = 0;
  for (int i = 0; i < 50; ++i) {
    w.step();
    CHECK(fair.group_min_vruntime(kDefaultGroup) >= last);
    last = fair.group_min_vruntime(kDefaultGroup);
  }
  w.add(2);  // a newcomer gets no credit for the past
  CHECK(w.scheduler->info(2)->vruntime == fair.group_min_vruntime(kDefaultGroup));
  w.used.clear();
  w.run_for(100 * kMs);
  CHECK_THAT(static_cast<double>(w.used[2]), WithinAbs(50.0 * kMs, 1.0 * kMs));
}

TEST_CASE("reservations: a light machine still gets its minimum share", "[scheduler][fair_share]") {
  FakeWorker w(make_scheduler("fair_share", config_1ms()));
  SchedParams reserved = weight(1);
  reserved.reservation = 0.3;
  w.add(1, reserved);
  w.add(2, weight(1000));
  w.run_for(1000 * kMs);
  const double share = static_cast<double>(w.used[1]) / static_cast<double>(w.total());
  CHECK(share >= 0.299);
  CHECK(share < 0.31);  // the reservation, not more: its vruntime paid for it
}

TEST_CASE("round robin: FIFO with a fixed slice, weights ignored", "[scheduler][round_robin]") {
  FakeWorker w(make_scheduler("round_robin", config_1ms()));
  w.add(1, weight(1));
  w.add(2, weight(10000));
  w.add(3);
  for (int i = 0; i < 6; ++i) w.step();
  CHECK(w.order == std::vector<VmId>{1, 2, 3, 1, 2, 3});
  CHECK(w.used[1] == 2 * kMs);
  CHECK(w.used[2] == 2 * kMs);
  // A woken machine joins the back of the queue.
  w.scheduler->park(1);
  w.scheduler->wake(1, w.now);
  w.order.clear();
  for (int i = 0; i < 3; ++i) w.step();
  CHECK(w.order == std::vector<VmId>{2, 3, 1});
}

TEST_CASE("strict priority: the highest runnable priority runs, equals take turns", "[scheduler][strict_priority]") {
  FakeWorker w(make_scheduler("strict_priority", config_1ms()));
  SchedParams high, low;
  high.priority = 10;
  low.priority = 1;
  w.add(1, low);
  w.add(2, high);
  w.add(3, high);
  for (int i = 0; i < 4; ++i) w.step();
  CHECK(w.order == std::vector<VmId>{2, 3, 2, 3});  // 1 starves: that is the policy
  w.scheduler->park(2);
  w.scheduler->park(3);
  w.order.clear();
  w.step();
  CHECK(w.order == std::vector<VmId>{1});
  // Raising a queued machine's priority moves it at once.
  SchedParams top;
  top.priority = 99;
  w.scheduler->wake(2, w.now);
  w.scheduler->update(1, top, w.now);
  w.order.clear();
  w.step();
  w.step();
  CHECK(w.order == std::vector<VmId>{1, 1});
}

TEST_CASE("every policy: park, wake and remove move a machine as documented", "[scheduler]") {
  for (std::string_view policy : scheduler_names()) {
    INFO(std::string(policy));
    auto s = make_scheduler(policy, config_1ms());
    CHECK(s->name() == policy);
    s->add(1, {}, 0);
    CHECK(s->info(1)->state == SchedState::Parked);
    CHECK_FALSE(s->pick(0, 0));
    CHECK(s->next_event() == kNever);
    s->wake(1, 0);
    s->wake(1, 0);  // no effect when already runnable
    CHECK(s->runnable_count() == 1);
    auto pick = s->pick(0, 0);
    REQUIRE(pick);
    CHECK(s->info(1)->state == SchedState::OnCpu);
    s->account(1, kMs, kMs);
    s->park(1);
    CHECK(s->info(1)->state == SchedState::Parked);
    CHECK(s->runnable_count() == 0);
    CHECK(s->info(1)->consumed == kMs);
    s->wake(1, kMs);
    s->remove(1);
    CHECK_FALSE(s->info(1));
    CHECK_FALSE(s->pick(0, kMs));
    s->remove(1);  // unknown ids are ignored
    CHECK_THROWS_AS(s->wake(1, 0), std::invalid_argument);
    s->add(2, {}, 0);
    CHECK_THROWS_AS(s->add(2, {}, 0), std::invalid_argument);
  }
}

TEST_CASE("parameters are checked", "[scheduler]") {
  SchedParams p;
  CHECK_NOTHROW(validate(p));
  p.weight = 0;
  CHECK_THROWS_AS(validate(p), std::invalid_argument);
  p.weight = 10001;
  CHECK_THROWS_AS(validate(p), std::invalid_argument);
  p = {};
  p.cap = 1.5;
  CHECK_THROWS_AS(validate(p), std::invalid_argument);
  p = {};
  p.cap = 0.2;
  p.reservation = 0.3;
  CHECK_THROWS_AS(validate(p), std::invalid_argument);
  CHECK_THROWS_AS(make_scheduler("lottery", {}), std::invalid_argument);
  FairShareScheduler s(config_1ms());
  p = {};
  p.weight = 0;
  CHECK_THROWS_AS(s.add(1, p, 0), std::invalid_argument);
}

TEST_CASE("period usage: debt is carried, credit is not", "[scheduler][caps]") {
  PeriodUsage u;
  u.roll(5, 100, 25);  // starts the first period at 5
  u.used = 70;
  u.roll(104, 100, 25);
  CHECK(u.used == 70);
  u.roll(105, 100, 25);  // one period later: one quota paid back
  CHECK(u.used == 45);
  CHECK(u.period_start == 105);
  u.roll(1005, 100, 25);  // nine more periods: debt gone, no credit
  CHECK(u.used == 0);
  CHECK(quota_of(0.25, 100) == 25);
  CHECK(quota_of(1e-9, 100) == 1);
  CHECK(quota_of(0, 100) == 0);
}
