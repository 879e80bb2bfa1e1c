// Tests for devices/goldfish_rtc: expectations from the Goldfish virtual hardware document
// (GOLDFISH-VIRTUAL-HARDWARE.TXT, "goldfish_rtc") and QEMU's hw/rtc/goldfish_rtc.c.
#include "devices/goldfish_rtc.hpp"

#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/hart.hpp"
#include "devices/irq.hpp"

using namespace hartbox;
using R = GoldfishRtc;

namespace {

struct RecordingController final : InterruptController {
  std::vector<std::pair<unsigned, bool>> calls;
  bool level[128] = {};
  void set_irq(unsigned source, bool high) override {
    calls.emplace_back(source, high);
    level[source] = high;
  }
};

constexpr uint64_t kStart = 0x1234'5678'9abc'def0ull;

struct Fixture {
  FixedWallClock clock{kStart};
  RecordingController pic;
  GoldfishRtc rtc{clock, IrqLine{&pic, 11}};

  uint32_t rd(uint64_t reg) {
    uint64_t value = 0xdead'beef'dead'beefull;
    REQUIRE(rtc.read(reg, 4, value));
    REQUIRE(value <= 0xffff'ffffull);
    return static_cast<uint32_t>(value);
  }
  void wr(uint64_t reg, uint32_t value) { REQUIRE(rtc.write(reg, 4, value)); }
  uint64_t time() {
    const uint64_t low = rd(R::TIME_LOW);
    return (uint64_t{rd(R::TIME_HIGH)} << 32) | low;
  }
  void arm(uint64_t when) {
    wr(R::ALARM_HIGH, static_cast<uint32_t>(when >> 32));
    wr(R::ALARM_LOW, static_cast<uint32_t>(when));
  }
  bool line() const { return pic.level[11]; }
};

struct FakeTime final : TimeSource {
  uint64_t ticks = 0;
  uint64_t mtime() const override { return ticks; }
};

}  // namespace

TEST_CASE("rtc: TIME_LOW latches TIME_HIGH", "[rtc]") {
  Fixture f;
  CHECK(f.rd(R::TIME_LOW) == 0x9abc'def0u);
  f.clock.advance(uint64_t{1} << 32);  // the high half moves on ...
  CHECK(f.rd(R::TIME_HIGH) == 0x1234'5678u);  // ... but the latch holds the value read with TIME_LOW
  CHECK(f.rd(R::TIME_LOW) == 0x9abc'def0u);
  CHECK(f.rd(R::TIME_HIGH) == 0x1234'5679u);
  f.clock.advance(5);
  CHECK(f.time() == kStart + (uint64_t{1} << 32) + 5);
}

TEST_CASE("rtc: the guest can set the time, which keeps running", "[rtc]") {
  Fixture f;
  f.wr(R::TIME_HIGH, 0x0000'0001);
  f.wr(R::TIME_LOW, 0x0000'0010);
  CHECK(f.time() == 0x1'0000'0010ull);
  CHECK(f.rtc.now_ns() == 0x1'0000'0010ull);
  f.clock.advance(1000);
  CHECK(f.time() == 0x1'0000'0010ull + 1000);
  // Setting only the low half keeps the high half.
  f.wr(R::TIME_LOW, 0);
  CHECK(f.time() == 0x1'0000'0000ull);
}

TEST_CASE("rtc: an armed alarm fires once its time has come", "[rtc]") {
  Fixture f;
  f.wr(R::IRQ_ENABLED, 1);
  CHECK(f.rd(R::IRQ_ENABLED) == 1);
  const uint64_t when = kStart + 1000;
  f.arm(when);
  CHECK(f.rd(R::ALARM_LOW) == static_cast<uint32_t>(when));
  CHECK(f.rd(R::ALARM_HIGH) == static_cast<uint32_t>(when >> 32));
  CHECK(f.rd(R::ALARM_STATUS) == 1);
  CHECK(f.rtc.next_deadline_ns() == when);
  f.clock.advance(999);
  f.rtc.poll();
  CHECK_FALSE(f.line());
  CHECK(f.rd(R::ALARM_STATUS) == 1);
  f.clock.advance(1);
  f.rtc.poll();
  CHECK(f.line());
  CHECK(f.rtc.irq_level());
  CHECK(f.rd(R::ALARM_STATUS) == 0);
  CHECK(f.rtc.next_deadline_ns() == std::numeric_limits<uint64_t>::max());
  f.wr(R::CLEAR_INTERRUPT, 1);
  CHECK_FALSE(f.line());
  // It fired once: more time does not bring it back.
  f.clock.advance(1'000'000);
  f.rtc.poll();
  CHECK_FALSE(f.line());
}

TEST_CASE("rtc: a register access notices an alarm without poll()", "[rtc]") {
  Fixture f;
  f.wr(R::IRQ_ENABLED, 1);
  f.arm(kStart + 10);
  f.clock.advance(10);
  CHECK(f.rd(R::ALARM_STATUS) == 0);
  CHECK(f.line());
}

TEST_CASE("rtc: an alarm in the past fires as it is armed", "[rtc]") {
  Fixture f;
  f.wr(R::IRQ_ENABLED, 1);
  f.arm(kStart - 1);
  CHECK(f.line());
  CHECK(f.rd(R::ALARM_STATUS) == 0);
  f.wr(R::CLEAR_INTERRUPT, 0);
  CHECK_FALSE(f.line());
  f.arm(kStart);  // "now" counts as passed
  CHECK(f.line());
}

TEST_CASE("rtc: ALARM_HIGH alone does not arm", "[rtc]") {
  Fixture f;
  f.wr(R::IRQ_ENABLED, 1);
  f.wr(R::ALARM_HIGH, 0);
  CHECK(f.rd(R::ALARM_STATUS) == 0);
  f.rtc.poll();
  CHECK_FALSE(f.line());
}

TEST_CASE("rtc: IRQ_ENABLED gates the line, not the alarm", "[rtc]") {
  Fixture f;
  f.arm(kStart + 5);
  f.clock.advance(5);
  f.rtc.poll();
  CHECK(f.rd(R::ALARM_STATUS) == 0);  // fired
  CHECK_FALSE(f.line());              // but masked
  f.wr(R::IRQ_ENABLED, 0xffff'fffe);  // bit 0 only
  CHECK(f.rd(R::IRQ_ENABLED) == 0);
  CHECK_FALSE(f.line());
  f.wr(R::IRQ_ENABLED, 1);  // the pending interrupt shows once enabled (QEMU)
  CHECK(f.line());
  f.wr(R::IRQ_ENABLED, 0);
  CHECK_FALSE(f.line());
}

TEST_CASE("rtc: CLEAR_ALARM disarms", "[rtc]") {
  Fixture f;
  f.wr(R::IRQ_ENABLED, 1);
  f.arm(kStart + 100);
  f.wr(R::CLEAR_ALARM, 1);
  CHECK(f.rd(R::ALARM_STATUS) == 0);
  f.clock.advance(200);
  f.rtc.poll();
  CHECK_FALSE(f.line());
}

TEST_CASE("rtc: reset disarms, clears and lowers but keeps the time", "[rtc]") {
  Fixture f;
  f.wr(R::TIME_HIGH, 7);
  f.wr(R::IRQ_ENABLED, 1);
  f.arm(0);
  REQUIRE(f.line());
  f.rtc.reset();
  CHECK_FALSE(f.line());
  CHECK(f.rd(R::IRQ_ENABLED) == 0);
  CHECK(f.rd(R::ALARM_STATUS) == 0);
  CHECK(f.rd(R::ALARM_LOW) == 0);
  CHECK((f.time() >> 32) == 7);
}

TEST_CASE("rtc: only aligned 32-bit accesses inside the registers are valid", "[rtc]") {
  Fixture f;
  uint64_t value = 0;
  for (unsigned size : {1u, 2u, 8u}) {
    CHECK_FALSE(f.rtc.read(R::TIME_LOW, size, value));
    CHECK_FALSE(f.rtc.write(R::ALARM_LOW, size, 0));
  }
  CHECK_FALSE(f.rtc.read(2, 4, value));
  CHECK_FALSE(f.rtc.read(0x24, 4, value));
  CHECK_FALSE(f.rtc.write(0xffc, 4, 0));
  CHECK(f.rd(R::ALARM_STATUS) == 0);  // the faulting ALARM_LOW writes armed nothing
  CHECK(f.rd(0x20) == 0);             // inside the block but no register
  CHECK(f.rd(R::CLEAR_ALARM) == 0);
  f.wr(0x20, 0xffff'ffff);
  // A hostile sweep.
  for (uint64_t offset = 0; offset < 0x1010; ++offset)
    for (unsigned size : {1u, 2u, 4u, 8u}) {
      (void)f.rtc.read(offset, size, value);
      (void)f.rtc.write(offset, size, ~offset);
    }
  f.rtc.poll();
}

TEST_CASE("rtc: the virtual wall clock follows mtime", "[rtc]") {
  FakeTime time;
  VirtualWallClock clock{time, 10'000'000, 1'700'000'000'000'000'000ull};
  CHECK(clock.now_ns() == 1'700'000'000'000'000'000ull);
  time.ticks = 15'000'001;  // 1.5000001 s at 10 MHz
  CHECK(clock.now_ns() == 1'700'000'000'000'000'000ull + 1'500'000'100ull);
  // 10^9 s and 0.9999999 s: ticks * 10^9 would overflow 64 bits, the conversion must not.
  time.ticks = 10'000'000'000'000'000ull + 9'999'999;
  CHECK(clock.now_ns() == 1'700'000'000'000'000'000ull + 1'000'000'000'000'000'000ull + 999'999'900);
  CHECK_THROWS(VirtualWallClock(time, 0, 0));
  CHECK_THROWS(VirtualWallClock(time, 20'000'000'000ull, 0));

  time.ticks = 0;
  RecordingController pic;
  GoldfishRtc rtc{clock, IrqLine{&pic, 11}};
  REQUIRE(rtc.write(R::IRQ_ENABLED, 4, 1));
  REQUIRE(rtc.write(R::ALARM_HIGH, 4, (1'700'000'001'000'000'000ull) >> 32));
  REQUIRE(rtc.write(R::ALARM_LOW, 4, 1'700'000'001'000'000'000ull & 0xffff'ffff));
  time.ticks = 9'999'999;
  rtc.poll();
  CHECK_FALSE(pic.level[11]);
  time.ticks = 10'000'000;  // one second later
  rtc.poll();
  CHECK(pic.level[11]);
}

TEST_CASE("rtc: the host wall clock reads the Unix time", "[rtc]") {
  HostWallClock host;
  const uint64_t before = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count());
  const uint64_t now = host.now_ns();
  CHECK(now >= before);
  CHECK(now - before < 10'000'000'000ull);
  CHECK(now > 1'577'836'800'000'000'000ull);  // after 2020-01-01
  GoldfishRtc rtc{IrqLine{}};                 // owns its host clock
  uint64_t low = 0;
  REQUIRE(rtc.read(R::TIME_LOW, 4, low));
  CHECK(rtc.now_ns() >= now);
}
