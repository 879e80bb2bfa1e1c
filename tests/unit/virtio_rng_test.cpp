// Tests for devices/virtio/rng (virtio 1.2, section 5.4: device ID 4, one requestq whose
// device-writable buffers the device fills with entropy).
#include <catch2/catch_test_macros.hpp>

#include <memory>
#include <set>
#include <vector>

#include "devices/virtio/rng.hpp"
#include "tests/unit/virtio_test_driver.hpp"

using namespace hartbox;
using namespace hartbox::test;

namespace {

constexpr uint64_t kBuf = kRamBase + 0x40000;

struct RngRig {
  GuestRam ram{kRamBase, kRamSize};
  FakeInterruptController pic;
  VirtioMmio mmio;
  MmioDriver drv{mmio};
  DriverQueue q;
  explicit RngRig(VirtioMmio::Version v = VirtioMmio::Version::Modern)
      : mmio(ram, IrqLine{&pic, 4}, std::make_unique<VirtioRng>(), v) {
    REQUIRE(drv.negotiate(~uint64_t{0}));
    if (v == VirtioMmio::Version::Legacy) {
      q = DriverQueue::legacy(ram, 16, kRamBase + 0x4000, 4096);
      drv.setup_legacy_queue(0, q, 4096);
    } else {
      q = DriverQueue(ram, 16, kRamBase + 0x1000, kRamBase + 0x2000, kRamBase + 0x3000);
      drv.setup_queue(0, q);
    }
    drv.driver_ok();
  }
};

}  // namespace

TEST_CASE("virtio-rng: identity and features (5.4)", "[virtio][rng]") {
  RngRig rig;
  CHECK(rig.drv.read32(0x008) == 4);
  CHECK((rig.drv.device_features() & (uint64_t{1} << 32)) != 0);
  CHECK(rig.drv.status() == (1 | 2 | 4 | 8));
  rig.drv.write32(0x030, 1);
  CHECK(rig.drv.read32(0x034) == 0);  // a single queue
}

TEST_CASE("virtio-rng: fills the device-writable buffer", "[virtio][rng]") {
  for (auto version : {VirtioMmio::Version::Modern, VirtioMmio::Version::Legacy}) {
    RngRig rig(version);
    constexpr uint32_t kLen = 4096;
    rig.ram.fill(kBuf, 0, kLen);
    const uint16_t head = rig.q.add({{kBuf, 1000, true}, {kBuf + 1000, kLen - 1000, true}});
    rig.drv.notify(0);
    REQUIRE(rig.q.used_idx() == 1);
    CHECK(rig.q.used_elem(0).id == head);
    CHECK(rig.q.used_elem(0).len == kLen);
    std::vector<uint8_t> out(kLen);
    rig.ram.read(kBuf, out.data(), kLen);
    // 4096 random bytes: every byte value is likely present many times over; an all-zero or
    // constant buffer (or an unfilled second segment) is not.
    std::set<uint8_t> values(out.begin(), out.end());
    CHECK(values.size() > 200);
    std::set<uint8_t> tail(out.begin() + 1000, out.end());
    CHECK(tail.size() > 200);
    CHECK(rig.drv.interrupt_status() == 1);
    CHECK(rig.pic.high(4));
  }
}

TEST_CASE("virtio-rng: a huge request is served in part", "[virtio][rng]") {
  RngRig rig;
  rig.q.add({{kRamBase + 0x800000, 0x700000, true}});
  rig.q.add({{kBuf, 16, true}});
  rig.drv.notify(0);
  REQUIRE(rig.q.used_idx() == 2);
  CHECK(rig.q.used_elem(0).len == VirtioRng::kMaxBytesPerRequest);
  CHECK(rig.q.used_elem(1).len == 16);
}
