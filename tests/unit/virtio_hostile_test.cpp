// A hostile driver: malformed split virtqueues must put the device in the error state of spec
// 2.1.2 (DEVICE_NEEDS_RESET set, configuration change notification sent since DRIVER_OK is
// set), stop that queue, write nothing outside the rings, and never crash. A reset recovers.
#include <catch2/catch_test_macros.hpp>

#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "devices/virtio/mmio_transport.hpp"
#include "tests/unit/virtio_test_driver.hpp"

using namespace hartbox;
using namespace hartbox::test;

namespace {

constexpr unsigned kIrq = 5;
constexpr uint64_t kDesc = kRamBase + 0x1000;
constexpr uint64_t kAvail = kRamBase + 0x2000;
constexpr uint64_t kUsed = kRamBase + 0x3000;
constexpr uint64_t kTable = kRamBase + 0x8000;
constexpr uint64_t kData = kRamBase + 0x10000;
constexpr uint64_t kRamEnd = kRamBase + kRamSize;
constexpr uint64_t kFeatures = (uint64_t{1} << 32) | (uint64_t{1} << 28) | (uint64_t{1} << 29);
constexpr uint16_t kQueueSize = 16;

// Every DMA write the device makes (GuestRam::write/fill report them).
struct WriteLog : RamWriteObserver {
  std::vector<std::pair<uint64_t, uint64_t>> writes;
  void ram_written(uint64_t paddr, uint64_t len) override { writes.emplace_back(paddr, len); }
};

struct Rig {
  GuestRam ram{kRamBase, kRamSize};
  FakeInterruptController pic;
  EchoDevice* dev = new EchoDevice;
  VirtioMmio mmio{ram, IrqLine{&pic, kIrq}, std::unique_ptr<VirtioDevice>(dev)};
  MmioDriver drv{mmio};
  DriverQueue q;
  WriteLog log;

  explicit Rig(uint64_t features = kFeatures) {
    REQUIRE(drv.negotiate(features));
    q = DriverQueue(ram, kQueueSize, kDesc, kAvail, kUsed);
    drv.setup_queue(0, q);
    drv.driver_ok();
    REQUIRE(drv.read32(0x044) == 1);
  }

  // Notifies queue 0, logging the device's DMA writes (not the test driver's own).
  void notify() {
    ram.set_write_observer(&log);
    drv.notify(0);
    ram.set_write_observer(nullptr);
  }

  // The device must now be broken: DEVICE_NEEDS_RESET, a config interrupt, nothing used, and
  // no write anywhere but the used ring's avail_event (EVENT_IDX bookkeeping).
  void expect_broken() {
    CHECK((drv.status() & 64) != 0);
    CHECK((drv.interrupt_status() & 2) != 0);
    CHECK(pic.high(kIrq));
    CHECK(q.used_idx() == 0);
    CHECK(dev->chains == 0);
    for (auto [addr, len] : log.writes) {
      CHECK(addr >= kUsed);
      CHECK(addr + len <= kUsed + 6 + 8u * kQueueSize);
    }
    // Later notifications do nothing, even with a good chain.
    q.add({{kData, 4, false}, {kData + 0x100, 4, true}});
    drv.notify(0);
    CHECK(q.used_idx() == 0);
    mmio.poll();
    // Reset and reinitialise: the device works again.
    REQUIRE(drv.negotiate(kFeatures));
    CHECK((drv.status() & 64) == 0);
    DriverQueue fresh(ram, kQueueSize, kDesc, kAvail, kUsed);
    drv.setup_queue(0, fresh);
    drv.driver_ok();
    fresh.add({{kData, 4, false}, {kData + 0x100, 4, true}});
    drv.notify(0);
    CHECK(fresh.used_idx() == 1);
    CHECK((drv.status() & 64) == 0);
  }
};

}  // namespace

TEST_CASE("hostile ring: descriptor index out of range", "[virtio][hostile]") {
  SECTION("head index >= queue size") {
    Rig rig;
    rig.q.publish(kQueueSize);
    rig.notify();
    rig.expect_broken();
  }
  SECTION("head index 0xffff") {
    Rig rig;
    rig.q.publish(0xffff);
    rig.notify();
    rig.expect_broken();
  }
  SECTION("next index >= queue size") {
    Rig rig;
    rig.q.set_desc(0, kData, 4, 1, kQueueSize + 3);
    rig.q.publish(0);
    rig.notify();
    rig.expect_broken();
  }
}

TEST_CASE("hostile ring: descriptor loops", "[virtio][hostile]") {
  SECTION("a descriptor pointing at itself") {
    Rig rig;
    rig.q.set_desc(0, kData, 4, 1, 0);
    rig.q.publish(0);
    rig.notify();
    rig.expect_broken();
  }
  SECTION("a two-descriptor cycle") {
    Rig rig;
    rig.q.set_desc(0, kData, 4, 1, 1);
    rig.q.set_desc(1, kData + 0x100, 4, 1 | 2, 0);
    rig.q.publish(0);
    rig.notify();
    rig.expect_broken();
  }
  SECTION("a chain that visits every descriptor and loops back") {
    Rig rig;
    for (uint16_t i = 0; i < kQueueSize; ++i) {
      rig.q.set_desc(i, kData, 1, 1, static_cast<uint16_t>((i + 1) % kQueueSize));
    }
    rig.q.publish(3);
    rig.notify();
    rig.expect_broken();
  }
}

TEST_CASE("hostile ring: available index jumps more than a queue ahead", "[virtio][hostile]") {
  Rig rig;
  rig.q.set_desc(0, kData, 4, 0, 0);
  rig.q.set_avail_idx(kQueueSize + 1);
  rig.notify();
  rig.expect_broken();
}

TEST_CASE("hostile ring: buffers outside guest RAM", "[virtio][hostile]") {
  struct Case {
    const char* what;
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
  };
  const Case cases[] = {
      {"below RAM", 0x1000, 16, 0},
      {"below RAM, device-writable", kRamBase - 8, 16, 2},
      {"crossing the end of RAM", kRamEnd - 8, 16, 2},
      {"just past the end of RAM", kRamEnd, 1, 2},
      {"a 4 GiB length", kData, 0xffffffff, 2},
      {"an address that wraps around", std::numeric_limits<uint64_t>::max() - 7, 16, 2},
      {"an MMIO address", 0x10001000, 4, 2},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      Rig rig;
      rig.q.set_desc(0, kData, 4, 1, 1);
      rig.q.set_desc(1, c.addr, c.len, c.flags, 0);
      rig.q.publish(0);
      rig.notify();
      rig.expect_broken();
    }
  }
}

TEST_CASE("hostile ring: a device-readable buffer after a device-writable one", "[virtio][hostile]") {
  Rig rig;
  rig.q.add({{kData + 0x100, 4, true}, {kData, 4, false}});
  rig.notify();
  rig.expect_broken();
}

TEST_CASE("hostile ring: a chain of more than 4 GiB", "[virtio][hostile]") {
  Rig rig;
  // 300 descriptors of 16 MiB each (all of RAM, legal one by one) in an indirect table.
  for (uint32_t i = 0; i < 300; ++i) {
    rig.q.set_desc(kTable, i, kRamBase, static_cast<uint32_t>(kRamSize), 1, static_cast<uint16_t>(i + 1));
  }
  rig.q.set_desc(kTable, 299, kRamBase, static_cast<uint32_t>(kRamSize), 0, 0);
  rig.q.set_desc(0, kTable, 300 * 16, 4, 0);
  rig.q.publish(0);
  rig.notify();
  rig.expect_broken();
}

TEST_CASE("hostile ring: malformed indirect tables", "[virtio][hostile]") {
  SECTION("length not a multiple of 16") {
    Rig rig;
    rig.q.set_desc(kTable, 0, kData, 4, 0, 0);
    rig.q.set_desc(0, kTable, 24, 4, 0);
    rig.q.publish(0);
    rig.notify();
    rig.expect_broken();
  }
  SECTION("zero length") {
    Rig rig;
    rig.q.set_desc(0, kTable, 0, 4, 0);
    rig.q.publish(0);
    rig.notify();
    rig.expect_broken();
  }
  SECTION("a huge table") {
    Rig rig;
    rig.q.set_desc(0, kTable, 0xfffffff0, 4, 0);
    rig.q.publish(0);
    rig.notify();
    rig.expect_broken();
  }
  SECTION("an indirect descriptor inside an indirect table") {
    Rig rig;
    const uint64_t inner = kTable + 0x1000;
    rig.q.set_desc(inner, 0, kData, 4, 0, 0);
    rig.q.set_desc(kTable, 0, inner, 16, 4, 0);
    rig.q.set_desc(0, kTable, 16, 4, 0);
    rig.q.publish(0);
    rig.notify();
    rig.expect_broken();
  }
  SECTION("an indirect table pointing at itself") {
    Rig rig;
    rig.q.set_desc(kTable, 0, kTable, 16, 4, 0);
    rig.q.set_desc(0, kTable, 16, 4, 0);
    rig.q.publish(0);
    rig.notify();
    rig.expect_broken();
  }
  SECTION("INDIRECT together with NEXT") {
    Rig rig;
    rig.q.set_desc(kTable, 0, kData, 4, 0, 0);
    rig.q.set_desc(0, kTable, 16, 4 | 1, 1);
    rig.q.set_desc(1, kData, 4, 0, 0);
    rig.q.publish(0);
    rig.notify();
    rig.expect_broken();
  }
  SECTION("a loop inside the table") {
    Rig rig;
    rig.q.set_desc(kTable, 0, kData, 4, 1, 1);
    rig.q.set_desc(kTable, 1, kData, 4, 1, 0);
    rig.q.set_desc(0, kTable, 32, 4, 0);
    rig.q.publish(0);
    rig.notify();
    rig.expect_broken();
  }
  SECTION("next index past the end of the table") {
    Rig rig;
    rig.q.set_desc(kTable, 0, kData, 4, 1, 2);
    rig.q.set_desc(kTable, 1, kData, 4, 0, 0);
    rig.q.set_desc(0, kTable, 32, 4, 0);
    rig.q.publish(0);
    rig.notify();
    rig.expect_broken();
  }
  SECTION("a table outside RAM") {
    Rig rig;
    rig.q.set_desc(0, kRamEnd - 16, 32, 4, 0);
    rig.q.publish(0);
    rig.notify();
    rig.expect_broken();
  }
  SECTION("INDIRECT when VIRTIO_F_INDIRECT_DESC was not negotiated") {
    Rig rig((uint64_t{1} << 32));
    rig.q.set_desc(kTable, 0, kData, 4, 0, 0);
    rig.q.set_desc(0, kTable, 16, 4, 0);
    rig.q.publish(0);
    rig.notify();
    rig.expect_broken();
  }
}

TEST_CASE("hostile ring: bad queue placement or size at QueueReady", "[virtio][hostile]") {
  struct Case {
    const char* what;
    uint32_t num;
    uint64_t desc, avail, used;
  };
  const Case cases[] = {
      {"descriptor table below RAM", 16, 0x1000, kAvail, kUsed},
      {"available ring past the end of RAM", 16, kDesc, kRamEnd - 8, kUsed},
      {"used ring crossing the end of RAM", 16, kDesc, kAvail, kRamEnd - 64},
      {"used ring at a wrapping address", 16, kDesc, kAvail, std::numeric_limits<uint64_t>::max() - 8},
      {"queue size 0", 0, kDesc, kAvail, kUsed},
      {"queue size not a power of two", 12, kDesc, kAvail, kUsed},
      {"queue size above QueueNumMax", 128, kDesc, kAvail, kUsed},
      {"queue size above 65535", 0x10010, kDesc, kAvail, kUsed},
  };
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.what) {
      GuestRam ram(kRamBase, kRamSize);
      FakeInterruptController pic;
      VirtioMmio mmio(ram, IrqLine{&pic, kIrq}, std::make_unique<EchoDevice>());
      MmioDriver drv(mmio);
      REQUIRE(drv.negotiate(kFeatures));
      drv.write32(0x030, 0);
      drv.write32(0x038, c.num);
      drv.write32(0x080, static_cast<uint32_t>(c.desc));
      drv.write32(0x084, static_cast<uint32_t>(c.desc >> 32));
      drv.write32(0x090, static_cast<uint32_t>(c.avail));
      drv.write32(0x094, static_cast<uint32_t>(c.avail >> 32));
      drv.write32(0x0a0, static_cast<uint32_t>(c.used));
      drv.write32(0x0a4, static_cast<uint32_t>(c.used >> 32));
      drv.write32(0x044, 1);
      CHECK(drv.read32(0x044) == 0);
      CHECK((drv.status() & 64) != 0);
      // No DRIVER_OK yet: no configuration change notification (2.1.2).
      CHECK(drv.interrupt_status() == 0);
      drv.driver_ok();
      drv.notify(0);
      CHECK_FALSE(pic.high(kIrq));
    }
  }
}

TEST_CASE("hostile ring: legacy queue outside RAM or with a bad page size", "[virtio][hostile][legacy]") {
  GuestRam ram(kRamBase, kRamSize);
  FakeInterruptController pic;
  VirtioMmio mmio(ram, IrqLine{&pic, kIrq}, std::make_unique<EchoDevice>(), VirtioMmio::Version::Legacy);
  MmioDriver drv(mmio);
  REQUIRE(drv.negotiate(0));
  drv.driver_ok();
  SECTION("PFN past the end of RAM") {
    drv.write32(0x028, 4096);
    drv.write32(0x030, 0);
    drv.write32(0x038, 16);
    drv.write32(0x03c, 4096);
    drv.write32(0x040, static_cast<uint32_t>((kRamEnd - 4096) / 4096));  // used ring falls outside
  }
  SECTION("PFN with a huge guest page size") {
    drv.write32(0x028, 0x80000000u);
    drv.write32(0x030, 0);
    drv.write32(0x038, 16);
    drv.write32(0x040, 0xffffffff);
  }
  SECTION("guest page size 0") {
    drv.write32(0x028, 0);
    drv.write32(0x030, 0);
    drv.write32(0x040, static_cast<uint32_t>(kDesc / 4096));
  }
  SECTION("QueueAlign not a power of two") {
    drv.write32(0x028, 4096);
    drv.write32(0x030, 0);
    drv.write32(0x03c, 3000);
    drv.write32(0x040, static_cast<uint32_t>(kDesc / 4096));
  }
  CHECK(drv.read32(0x040) == 0);
  CHECK((drv.status() & 64) != 0);
  CHECK((drv.interrupt_status() & 2) != 0);
  drv.notify(0);
}

TEST_CASE("hostile ring: a driver rewriting descriptors and rings at random never crashes", "[virtio][hostile]") {
  // A deterministic fuzz: random bytes in the descriptor table, available ring and indirect
  // table, random notifications. Every outcome is allowed except a crash or a write outside
  // the used ring and the writable buffers described inside RAM.
  uint64_t seed = 0x9e3779b97f4a7c15;
  auto next = [&seed] {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
  };
  unsigned chains = 0, broken_rounds = 0;
  for (int round = 0; round < 200; ++round) {
    GuestRam ram(kRamBase, kRamSize);
    FakeInterruptController pic;
    auto* dev = new EchoDevice;
    VirtioMmio mmio(ram, IrqLine{&pic, kIrq}, std::unique_ptr<VirtioDevice>(dev));
    MmioDriver drv(mmio);
    REQUIRE(drv.negotiate(kFeatures));
    DriverQueue q(ram, kQueueSize, kDesc, kAvail, kUsed);
    drv.setup_queue(0, q);
    drv.driver_ok();
    WriteLog log;
    for (int step = 0; step < 20; ++step) {
      // Descriptors mostly point into a small data area so that some chains are valid.
      for (uint32_t i = 0; i < kQueueSize; ++i) {
        uint64_t r = next();
        uint64_t addr = (r & 1) ? kData + (r >> 40) % 0x1000 : next();
        uint32_t len = (r & 2) ? static_cast<uint32_t>((r >> 8) % 64) : static_cast<uint32_t>(next());
        uint16_t flags = static_cast<uint16_t>((r >> 16) & 7);
        if ((r >> 20) % 4 == 0 && (flags & 4)) addr = kTable;
        q.set_desc(i, addr, (flags & 4) && (r & 8) ? static_cast<uint32_t>(16 * ((r >> 24) % 4 + 1)) : len, flags,
                   static_cast<uint16_t>((r >> 32) % (kQueueSize + 2)));
        q.set_desc(kTable, i % 4, kData + (r >> 36) % 0x800, static_cast<uint32_t>(r >> 50) % 32,
                   static_cast<uint16_t>((r >> 44) & 7), static_cast<uint16_t>((r >> 47) % 5));
      }
      uint64_t r = next();
      q.publish(static_cast<uint16_t>(r % (kQueueSize + 1)));
      if (r % 17 == 0) q.set_avail_idx(static_cast<uint16_t>(next()));
      ram.set_write_observer(&log);
      drv.notify(static_cast<uint32_t>(next() % 3));
      mmio.poll();
      ram.set_write_observer(nullptr);
    }
    for (auto [addr, len] : log.writes) {
      const bool in_used = addr >= kUsed && addr + len <= kUsed + 6 + 8u * kQueueSize;
      const bool in_data = addr >= kData && addr + len <= kData + 0x1000 + 64;
      CHECK((in_used || in_data));
    }
    chains += dev->chains;
    if (drv.status() & 64) ++broken_rounds;
  }
  // The fuzz reaches both outcomes.
  CHECK(chains > 0);
  CHECK(broken_rounds > 0);
}
