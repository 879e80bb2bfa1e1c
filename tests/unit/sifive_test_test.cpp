// Tests for devices/sifive_test: expectations from QEMU's hw/misc/sifive_test.c (the finisher
// codes of include/hw/misc/sifive_test.h and its valid access sizes).
#include "devices/sifive_test.hpp"

#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <vector>

#include "devices/power_control.hpp"

using namespace hartbox;

namespace {

struct RecordingPower final : PowerControl {
  std::vector<int> power_offs;
  int resets = 0;
  void power_off(int code) override { power_offs.push_back(code); }
  void reset() override { ++resets; }
};

}  // namespace

TEST_CASE("sifive_test: FINISHER_PASS powers off with code 0", "[sifive_test]") {
  RecordingPower power;
  SifiveTest test{power};
  CHECK(test.write(0, 4, 0x5555));
  CHECK(power.power_offs == std::vector<int>{0});
  CHECK(power.resets == 0);
  // Only the low 16 bits select the action: a PASS ignores the upper half.
  CHECK(test.write(0, 4, 0xabcd'5555));
  CHECK(power.power_offs == std::vector<int>{0, 0});
}

TEST_CASE("sifive_test: FINISHER_FAIL powers off with the code in bits 31:16", "[sifive_test]") {
  RecordingPower power;
  SifiveTest test{power};
  CHECK(test.write(0, 4, 0x3333 | (3u << 16)));
  CHECK(test.write(0, 4, 0x3333 | (0xffffu << 16)));
  CHECK(test.write(0, 4, 0x3333));
  CHECK(power.power_offs == std::vector<int>{3, 0xffff, 0});
}

TEST_CASE("sifive_test: FINISHER_RESET resets", "[sifive_test]") {
  RecordingPower power;
  SifiveTest test{power};
  CHECK(test.write(0, 4, 0x7777));
  CHECK(power.resets == 1);
  CHECK(power.power_offs.empty());
}

TEST_CASE("sifive_test: other values and offsets are ignored", "[sifive_test]") {
  RecordingPower power;
  SifiveTest test{power};
  for (uint32_t value : {0u, 0x1234u, 0x5554u, 0x3334u, 0x7776u, 0x5555'0000u, 0xffffu})
    CHECK(test.write(0, 4, value));
  CHECK(test.write(4, 4, 0x5555));
  CHECK(test.write(0xffc, 4, 0x3333));
  CHECK(test.write(2, 2, 0x5555));
  CHECK(power.power_offs.empty());
  CHECK(power.resets == 0);
}

TEST_CASE("sifive_test: 16-bit writes count, 8- and 64-bit accesses fault", "[sifive_test]") {
  RecordingPower power;
  SifiveTest test{power};
  CHECK(test.write(0, 2, 0x5555));  // QEMU: valid.min_access_size = 2
  CHECK(power.power_offs == std::vector<int>{0});
  CHECK_FALSE(test.write(0, 1, 0x55));
  CHECK_FALSE(test.write(0, 8, 0x5555));
  CHECK_FALSE(test.write(2, 4, 0x5555));  // misaligned
  CHECK_FALSE(test.write(0x1000, 4, 0x5555));
  CHECK(power.power_offs.size() == 1);
}

TEST_CASE("sifive_test: reads return 0", "[sifive_test]") {
  RecordingPower power;
  SifiveTest test{power};
  uint64_t value = 0xdead;
  CHECK(test.read(0, 4, value));
  CHECK(value == 0);
  value = 0xdead;
  CHECK(test.read(0x10, 2, value));
  CHECK(value == 0);
  CHECK_FALSE(test.read(0, 1, value));
  CHECK_FALSE(test.read(0, 8, value));
  CHECK_FALSE(test.read(1, 2, value));
  CHECK(power.power_offs.empty());
  CHECK(power.resets == 0);
}
