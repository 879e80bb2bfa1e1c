// The virt board as a whole (devices/virt_board.cpp).
//
// A system reset through the SiFive test device (0x7777) puts every device back to its power-on
// state before the harts start again, as QEMU's qemu_system_reset() does: a guest that rebooted
// must not find the last boot's interrupt enables, timer or open queues. And the RTC can start
// at a fixed date, so that a run in virtual time is reproducible even when the guest reads it.
#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <limits>

#include "devices/console.hpp"
#include "devices/machine.hpp"

using namespace hartbox;

namespace {

constexpr uint64_t kUart = 0x1000'0000, kPlic = 0x0c00'0000,
                   kVirtio0 = 0x1000'1000;
constexpr uint64_t kMtimecmp0 = kClintBase + 0x4000, kMsip0 = kClintBase;

// lui t0, 0x100; lui t1, 0x7; addi t1, t1, 0x777; sw t1, 0(t0); j .
constexpr uint32_t kResetProgram[] = {0x001002b7, 0x00007337, 0x77730313, 0x0062a023, 0x0000006f};

uint64_t peek(Machine& m, uint64_t address, unsigned size = 4) {
  uint64_t value = 0;
  REQUIRE(m.bus().read(address, size, value));
  return value;
}

}  // namespace

TEST_CASE("A reset through the test device returns every board device to its power-on state",
          "[virt][reset][regression]") {
  StringConsoleSink console;
  MachineConfig config;
  config.semihosting = false;
  config.console = &console;
  config.rng = true;  // a virtio device in slot 0
  Machine m(config);
  m.ram().write(kRamBase, kResetProgram, sizeof kResetProgram);
  m.set_entry(kRamBase);

  // The last boot left state everywhere.
  REQUIRE(m.bus().write(kUart + 1, 1, 0x0f));         // IER: every interrupt enabled
  REQUIRE(m.bus().write(kUart + 7, 1, 0x5a));         // scratch
  REQUIRE(m.bus().write(kPlic + 4 * 10, 4, 7));       // the UART's priority
  REQUIRE(m.bus().write(kPlic + 0x2000, 4, 1u << 10));  // hart 0 M context enables it
  REQUIRE(m.bus().write(kMtimecmp0, 8, 1000));
  REQUIRE(m.bus().write(kMsip0, 4, 1));
  REQUIRE(m.bus().write(kVirtio0 + 0x70, 4, 1));      // Status: ACKNOWLEDGE
  REQUIRE(peek(m, kUart + 1, 1) == 0x0f);
  REQUIRE(peek(m, kVirtio0 + 0x70) == 1);
  REQUIRE(peek(m, kMsip0) == 1);

  m.run_slice(100);  // runs into the reset store, then the board resets at the end of the slice

  CHECK(peek(m, kUart + 1, 1) == 0);   // 16550: IER cleared
  CHECK(peek(m, kUart + 7, 1) == 0);   // and its scratch register
  CHECK(peek(m, kPlic + 4 * 10) == 0);
  CHECK(peek(m, kPlic + 0x2000) == 0);
  CHECK(peek(m, kMtimecmp0, 8) == std::numeric_limits<uint64_t>::max());
  CHECK(peek(m, kMsip0) == 0);
  CHECK(peek(m, kVirtio0 + 0x70) == 0);  // the driver must negotiate again
}

TEST_CASE("With an RTC base the Goldfish RTC reads the same date on every run", "[virt][rtc]") {
  // Goldfish RTC: TIME_LOW (0x00) latches TIME_HIGH (0x04); ns since the epoch.
  constexpr uint64_t kRtc = 0x0010'1000, kBase = uint64_t{1'700'000'000} * 1'000'000'000;
  auto read_rtc = [](Machine& m) {
    const uint64_t low = peek(m, kRtc + 0x00), high = peek(m, kRtc + 0x04);
    return (high << 32) | low;
  };
  StringConsoleSink console;
  MachineConfig config;
  config.semihosting = false;
  config.console = &console;
  config.rtc_base_ns = kBase;
  Machine first(config), second(config);
  CHECK(read_rtc(first) == kBase);  // virtual time has not moved: mtime is 0
  CHECK(read_rtc(second) == kBase);
  first.clock().skip_to(first.clock().frequency_hz());  // one second later
  CHECK(read_rtc(first) == kBase + 1'000'000'000);
}
