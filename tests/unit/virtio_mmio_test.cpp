// Tests for devices/virtio/mmio_transport and virtqueue, driving the transport as a driver would.
// Expected values come from the virtio 1.2 spec: 4.2.2 (register layout), 4.2.4 (legacy
// interface), 2.1 (device status), 2.2 (feature bits), 2.4 (configuration space), 2.7 (split
// virtqueues: rings, indirect descriptors, notification suppression).
#include <catch2/catch_test_macros.hpp>

#include <cstring>
#include <memory>

#include "devices/virtio/mmio_transport.hpp"
#include "tests/unit/virtio_test_driver.hpp"

using namespace hartbox;
using namespace hartbox::test;

namespace {

constexpr unsigned kIrq = 3;
constexpr uint64_t kDesc = kRamBase + 0x1000;
constexpr uint64_t kAvail = kRamBase + 0x2000;
constexpr uint64_t kUsed = kRamBase + 0x3000;
constexpr uint64_t kData = kRamBase + 0x10000;
constexpr uint64_t kVersion1 = uint64_t{1} << 32;
constexpr uint64_t kIndirect = uint64_t{1} << 28;
constexpr uint64_t kEventIdx = uint64_t{1} << 29;

struct Rig {
  GuestRam ram{kRamBase, kRamSize};
  FakeInterruptController pic;
  EchoDevice* dev;
  std::unique_ptr<VirtioMmio> mmio;
  MmioDriver drv;

  explicit Rig(VirtioMmio::Version v = VirtioMmio::Version::Modern)
      : dev(new EchoDevice),
        mmio(std::make_unique<VirtioMmio>(ram, IrqLine{&pic, kIrq}, std::unique_ptr<VirtioDevice>(dev), v)),
        drv(*mmio) {}
};

std::vector<uint8_t> bytes(GuestRam& ram, uint64_t addr, size_t n) {
  std::vector<uint8_t> v(n);
  ram.read(addr, v.data(), n);
  return v;
}

}  // namespace

TEST_CASE("virtio-mmio: identification registers (4.2.2)", "[virtio][mmio]") {
  Rig rig;
  CHECK(rig.drv.read32(0x000) == 0x74726976);
  CHECK(rig.drv.read32(0x004) == 2);
  CHECK(rig.drv.read32(0x008) == EchoDevice::kId);
  CHECK(rig.drv.read32(0x00c) == 0x554d4551);
  CHECK(rig.drv.read32(0x070) == 0);
  rig.drv.write32(0x030, 0);
  CHECK(rig.drv.read32(0x034) == 64);  // QueueNumMax
  rig.drv.write32(0x030, 2);           // no third queue
  CHECK(rig.drv.read32(0x034) == 0);
  // No shared memory regions: length -1, base all-ones.
  CHECK(rig.drv.read32(0x0b0) == 0xffffffff);
  CHECK(rig.drv.read32(0x0bc) == 0xffffffff);
}

TEST_CASE("virtio-mmio: an empty slot reads DeviceID 0 and ignores writes", "[virtio][mmio]") {
  GuestRam ram(kRamBase, kRamSize);
  FakeInterruptController pic;
  VirtioMmio slot(ram, IrqLine{&pic, 1}, nullptr);
  MmioDriver drv(slot);
  CHECK(drv.read32(0x000) == 0x74726976);
  CHECK(drv.read32(0x004) == 2);
  CHECK(drv.read32(0x008) == 0);
  CHECK(drv.read32(0x00c) == 0x554d4551);
  for (uint32_t off = 0x010; off < 0x200; off += 4) {
    drv.write32(off, 0xffffffff);
  }
  CHECK(drv.read32(0x070) == 0);
  CHECK(drv.read32(0x034) == 0);
  CHECK(drv.read32(0x060) == 0);
  CHECK(drv.config(0, 4) == 0);
  CHECK_FALSE(pic.high(1));
  slot.poll();
}

TEST_CASE("virtio-mmio: feature negotiation (2.2, 6.1)", "[virtio][mmio]") {
  Rig rig;
  const uint64_t offered = rig.drv.device_features();
  CHECK((offered & kVersion1) != 0);
  CHECK((offered & kIndirect) != 0);
  CHECK(offered == rig.dev->features);

  SECTION("a subset including VERSION_1 is accepted") {
    CHECK(rig.drv.negotiate(kVersion1 | kIndirect));
    CHECK(rig.drv.status() == (1 | 2 | 8));
  }
  SECTION("FEATURES_OK is refused without VERSION_1") {
    CHECK_FALSE(rig.drv.negotiate(kIndirect));
    CHECK(rig.drv.status() == (1 | 2));
    // DRIVER_OK without FEATURES_OK is ignored.
    rig.drv.add_status(4);
    CHECK((rig.drv.status() & 4) == 0);
    CHECK(rig.dev->activations == 0);
  }
  SECTION("FEATURES_OK is refused when the driver accepts a feature not offered") {
    rig.drv.write32(0x070, 0);
    rig.drv.add_status(1);
    rig.drv.add_status(2);
    rig.drv.write_driver_features(kVersion1 | (uint64_t{1} << 7));
    rig.drv.add_status(8);
    CHECK((rig.drv.status() & 8) == 0);
  }
  SECTION("DriverFeatures is frozen after FEATURES_OK") {
    CHECK(rig.drv.negotiate(kVersion1));
    rig.drv.write_driver_features(kVersion1 | kEventIdx);
    rig.drv.driver_ok();
    CHECK(rig.dev->activations == 1);
    CHECK(rig.dev->negotiated == kVersion1);
    // EVENT_IDX was not negotiated: used_event is ignored and the first use interrupts.
    DriverQueue q(rig.ram, 8, kDesc, kAvail, kUsed);
    q.set_used_event(5);
    rig.drv.setup_queue(0, q);
    q.add({{kData, 1, false}, {kData + 1, 1, true}});
    rig.drv.notify(0);
    CHECK(rig.drv.interrupt_status() == 1);
  }
}

TEST_CASE("virtio-mmio: status state machine (2.1, 3.1.1)", "[virtio][mmio]") {
  Rig rig;
  // DRIVER without ACKNOWLEDGE is taken, as on QEMU (U-Boot sets DRIVER alone after a reset).
  rig.drv.write32(0x070, 2);
  CHECK(rig.drv.status() == 2);
  rig.drv.write32(0x070, 0);
  rig.drv.write32(0x070, 1);
  rig.drv.write32(0x070, 1 | 2);
  CHECK(rig.drv.status() == 3);
  rig.drv.write32(0x070, 1);  // clearing DRIVER is not allowed
  CHECK(rig.drv.status() == 3);
  rig.drv.write_driver_features(kVersion1);
  rig.drv.write32(0x070, 1 | 8);  // nor is clearing DRIVER while adding FEATURES_OK
  CHECK(rig.drv.status() == 3);
  rig.drv.write32(0x070, 3 | 4);  // DRIVER_OK before FEATURES_OK
  CHECK(rig.drv.status() == 3);
  rig.drv.write32(0x070, 3 | 64);  // DEVICE_NEEDS_RESET belongs to the device
  CHECK(rig.drv.status() == 3);
  rig.drv.write32(0x070, 3 | 128);  // FAILED may always be set
  CHECK(rig.drv.status() == (3 | 128));
  rig.drv.write32(0x070, 0);
  CHECK(rig.drv.status() == 0);
  CHECK(rig.dev->resets == 2);  // one per write of 0
}

TEST_CASE("virtio-mmio: a request round trip through a modern queue", "[virtio][mmio]") {
  Rig rig;
  REQUIRE(rig.drv.negotiate(kVersion1));
  DriverQueue q(rig.ram, 16, kDesc, kAvail, kUsed);
  rig.drv.setup_queue(0, q);
  CHECK(rig.drv.read32(0x044) == 1);

  const char msg[] = "hello, virtio";
  rig.ram.write(kData, msg, sizeof msg);
  uint16_t head = q.add({{kData, sizeof msg, false}, {kData + 0x1000, 64, true}});

  // Before DRIVER_OK the device does not consume buffers (3.1.1).
  rig.drv.notify(0);
  CHECK(q.used_idx() == 0);

  rig.drv.driver_ok();
  rig.drv.notify(0);
  REQUIRE(q.used_idx() == 1);
  CHECK(q.used_elem(0).id == head);
  CHECK(q.used_elem(0).len == sizeof msg);
  CHECK(std::memcmp(bytes(rig.ram, kData + 0x1000, sizeof msg).data(), msg, sizeof msg) == 0);
  CHECK(rig.drv.interrupt_status() == 1);
  CHECK(rig.pic.high(kIrq));
  rig.drv.ack(1);
  CHECK(rig.drv.interrupt_status() == 0);
  CHECK_FALSE(rig.pic.high(kIrq));

  // A notification for a queue that was never set up, or does not exist, is ignored.
  rig.drv.notify(1);
  rig.drv.notify(7);
  CHECK(rig.drv.interrupt_status() == 0);
  CHECK((rig.drv.status() & 64) == 0);
}

TEST_CASE("virtio-mmio: queue configuration is fixed while the queue is ready", "[virtio][mmio]") {
  Rig rig;
  REQUIRE(rig.drv.negotiate(kVersion1));
  DriverQueue q(rig.ram, 8, kDesc, kAvail, kUsed);
  rig.drv.setup_queue(0, q);
  rig.drv.driver_ok();
  rig.drv.write32(0x030, 0);
  rig.drv.write32(0x038, 4);                            // ignored: QueueReady is 1
  rig.drv.write32(0x080, static_cast<uint32_t>(kData));  // ignored
  uint8_t b = 7;
  rig.ram.write(kData, &b, 1);
  q.add({{kData, 1, false}, {kData + 1, 1, true}});
  rig.drv.notify(0);
  CHECK(q.used_idx() == 1);
  // Writing 0 to QueueReady stops the queue.
  rig.drv.write32(0x044, 0);
  CHECK(rig.drv.read32(0x044) == 0);
  q.add({{kData, 1, false}, {kData + 1, 1, true}});
  rig.drv.notify(0);
  CHECK(q.used_idx() == 1);
}

TEST_CASE("virtio-mmio: device reset clears queues, interrupts and status (4.2.2)", "[virtio][mmio]") {
  Rig rig;
  REQUIRE(rig.drv.negotiate(kVersion1));
  DriverQueue q(rig.ram, 16, kDesc, kAvail, kUsed);
  rig.drv.setup_queue(0, q);
  rig.drv.driver_ok();
  q.add({{kData, 4, false}, {kData + 0x100, 4, true}});
  rig.drv.notify(0);
  REQUIRE(rig.pic.high(kIrq));

  const unsigned resets = rig.dev->resets;
  rig.drv.write32(0x070, 0);
  CHECK(rig.drv.status() == 0);
  CHECK(rig.drv.interrupt_status() == 0);
  CHECK_FALSE(rig.pic.high(kIrq));
  rig.drv.write32(0x030, 0);
  CHECK(rig.drv.read32(0x044) == 0);
  CHECK(rig.dev->resets == resets + 1);

  // The device works again after a fresh initialisation, from ring index 0.
  REQUIRE(rig.drv.negotiate(kVersion1));
  DriverQueue q2(rig.ram, 16, kDesc, kAvail, kUsed);
  rig.drv.setup_queue(0, q2);
  rig.drv.driver_ok();
  q2.add({{kData, 4, false}, {kData + 0x100, 4, true}});
  rig.drv.notify(0);
  CHECK(q2.used_idx() == 1);
  CHECK(q2.used_elem(0).len == 4);
}

TEST_CASE("virtio-mmio: configuration space and ConfigGeneration (2.4, 4.2.2)", "[virtio][mmio]") {
  Rig rig;
  CHECK(rig.drv.config(0, 1) == 0x11);
  CHECK(rig.drv.config(1, 1) == 0x22);
  CHECK(rig.drv.config(2, 2) == 0x4433);
  CHECK(rig.drv.config(4, 4) == 0x88776655);
  CHECK(rig.drv.config(0, 8) == 0x8877665544332211);
  CHECK(rig.drv.config(3, 1) == 0x44);  // byte alignment is allowed
  CHECK(rig.drv.config(6, 4) == 0);     // runs past the end of the space
  CHECK(rig.drv.config(0x200, 4) == 0);
  REQUIRE(rig.mmio->write(0x101, 1, 0xab));
  CHECK(rig.dev->config[1] == 0xab);

  REQUIRE(rig.drv.negotiate(kVersion1));
  const uint32_t gen = rig.drv.read32(0x0fc);
  rig.dev->bump_config();
  CHECK(rig.drv.read32(0x0fc) != gen);
  // Before DRIVER_OK there is no configuration change notification.
  CHECK(rig.drv.interrupt_status() == 0);
  rig.drv.driver_ok();
  rig.dev->bump_config();
  CHECK(rig.drv.interrupt_status() == 2);
  CHECK(rig.pic.high(kIrq));
  rig.drv.ack(2);
  CHECK_FALSE(rig.pic.high(kIrq));
}

TEST_CASE("virtio-mmio: registers take 32-bit aligned accesses only", "[virtio][mmio]") {
  Rig rig;
  uint64_t v = 1;
  REQUIRE(rig.mmio->read(0x000, 2, v));
  CHECK(v == 0);
  REQUIRE(rig.mmio->read(0x002, 4, v));
  CHECK(v == 0);
  REQUIRE(rig.mmio->write(0x070, 1, 1));  // ignored
  CHECK(rig.drv.status() == 0);
  CHECK_FALSE(rig.mmio->read(0x1000, 4, v));
  CHECK_FALSE(rig.mmio->read(0xffe, 4, v));
}

TEST_CASE("virtio-mmio: interrupt status keeps each event until acknowledged", "[virtio][mmio]") {
  Rig rig;
  REQUIRE(rig.drv.negotiate(kVersion1));
  DriverQueue q(rig.ram, 16, kDesc, kAvail, kUsed);
  rig.drv.setup_queue(0, q);
  rig.drv.driver_ok();
  q.add({{kData, 4, false}, {kData + 0x100, 4, true}});
  rig.drv.notify(0);
  rig.dev->bump_config();
  CHECK(rig.drv.interrupt_status() == 3);
  rig.drv.ack(1);
  CHECK(rig.drv.interrupt_status() == 2);
  CHECK(rig.pic.high(kIrq));  // still a config change pending
  rig.drv.ack(2);
  CHECK_FALSE(rig.pic.high(kIrq));
}

TEST_CASE("virtio-mmio legacy: registers, negotiation and a PFN queue (4.2.4)", "[virtio][mmio][legacy]") {
  Rig rig(VirtioMmio::Version::Legacy);
  CHECK(rig.drv.read32(0x004) == 1);
  // Only the first 32 feature bits exist on the legacy interface.
  const uint64_t offered = rig.drv.device_features();
  CHECK((offered >> 32) == 0);
  CHECK((offered & kIndirect) != 0);
  CHECK(rig.drv.read32(0x0fc) == 0);  // no ConfigGeneration register

  REQUIRE(rig.drv.negotiate(kIndirect | kEventIdx));
  DriverQueue q = DriverQueue::legacy(rig.ram, 32, kRamBase + 0x4000, 4096);
  // With 32 entries: descriptors 512 bytes, avail ring 6 + 64 bytes, used ring on the next page.
  CHECK(q.avail() == kRamBase + 0x4000 + 512);
  CHECK(q.used() == kRamBase + 0x5000);
  rig.drv.setup_legacy_queue(0, q, 4096);
  CHECK(rig.drv.read32(0x040) == (kRamBase + 0x4000) / 4096);
  rig.drv.driver_ok();
  CHECK(rig.drv.status() == (1 | 2 | 4));
  CHECK(rig.dev->activations == 1);

  const uint32_t word = 0xdeadbeef;
  rig.ram.write(kData, &word, 4);
  uint16_t head = q.add({{kData, 4, false}, {kData + 0x10, 4, true}});
  rig.drv.notify(0);
  REQUIRE(q.used_idx() == 1);
  CHECK(q.used_elem(0).id == head);
  CHECK(q.used_elem(0).len == 4);
  CHECK(ram_u32(rig.ram, kData + 0x10) == word);
  CHECK(rig.pic.high(kIrq));
  // EVENT_IDX was negotiated: the device published avail_event.
  CHECK(q.avail_event() == 1);

  // Writing 0 to QueuePFN stops the queue; reset clears the PFN too.
  rig.drv.write32(0x030, 0);
  rig.drv.write32(0x040, 0);
  CHECK(rig.drv.read32(0x040) == 0);
  rig.drv.setup_legacy_queue(0, DriverQueue::legacy(rig.ram, 32, kRamBase + 0x4000, 4096), 4096);
  CHECK(rig.drv.read32(0x040) != 0);
  rig.drv.write32(0x070, 0);
  rig.drv.write32(0x030, 0);
  CHECK(rig.drv.read32(0x040) == 0);
  CHECK_FALSE(rig.pic.high(kIrq));
}

TEST_CASE("virtio-mmio legacy: a driver's unoffered features are dropped", "[virtio][mmio][legacy]") {
  Rig rig(VirtioMmio::Version::Legacy);
  rig.drv.add_status(1);
  rig.drv.add_status(2);
  rig.drv.write_driver_features(kIndirect | (uint64_t{1} << 7) | kVersion1);
  rig.drv.driver_ok();
  CHECK((rig.drv.status() & 4) != 0);
  CHECK(rig.dev->negotiated == kIndirect);
  // Indirect descriptors work (negotiated); nothing broke.
  DriverQueue q = DriverQueue::legacy(rig.ram, 8, kRamBase + 0x4000, 4096);
  rig.drv.setup_legacy_queue(0, q, 4096);
  q.set_desc(kData + 0x800, 0, kData, 2, 1, 1);
  q.set_desc(kData + 0x800, 1, kData + 0x10, 2, 2, 0);
  q.set_desc(0, kData + 0x800, 32, 4, 0);
  q.publish(0);
  rig.drv.notify(0);
  CHECK(q.used_idx() == 1);
  CHECK((rig.drv.status() & 64) == 0);
}

TEST_CASE("virtqueue: indirect descriptors (2.7.5.3)", "[virtio][virtqueue]") {
  Rig rig;
  REQUIRE(rig.drv.negotiate(kVersion1 | kIndirect));
  DriverQueue q(rig.ram, 8, kDesc, kAvail, kUsed);
  rig.drv.setup_queue(0, q);
  rig.drv.driver_ok();
  const uint64_t table = kRamBase + 0x8000;
  rig.ram.write(kData, "abcdefgh", 8);

  SECTION("a chain held entirely in an indirect table") {
    q.set_desc(table, 0, kData, 3, 1, 1);                // readable, NEXT
    q.set_desc(table, 1, kData + 3, 5, 1, 2);            // readable, NEXT
    q.set_desc(table, 2, kData + 0x100, 8, 2, 0);        // writable
    q.set_desc(0, table, 3 * 16, 4 | 2, 0);              // INDIRECT (WRITE is ignored)
    q.publish(0);
    rig.drv.notify(0);
    REQUIRE(q.used_idx() == 1);
    CHECK(q.used_elem(0).len == 8);
    CHECK(std::memcmp(bytes(rig.ram, kData + 0x100, 8).data(), "abcdefgh", 8) == 0);
  }
  SECTION("direct descriptors followed by an indirect one") {
    q.set_desc(0, kData, 4, 1, 1);                // readable "abcd", NEXT -> 1
    q.set_desc(1, table, 2 * 16, 4, 0);           // INDIRECT
    q.set_desc(table, 0, kData + 4, 4, 1, 1);     // readable "efgh"
    q.set_desc(table, 1, kData + 0x100, 8, 2, 0);  // writable
    q.publish(0);
    rig.drv.notify(0);
    REQUIRE(q.used_idx() == 1);
    CHECK(q.used_elem(0).len == 8);
    CHECK(std::memcmp(bytes(rig.ram, kData + 0x100, 8).data(), "abcdefgh", 8) == 0);
  }
  CHECK((rig.drv.status() & 64) == 0);
}

TEST_CASE("virtqueue: used buffer notification suppression (2.7.7, 2.7.10)", "[virtio][virtqueue]") {
  SECTION("VIRTQ_AVAIL_F_NO_INTERRUPT without EVENT_IDX") {
    Rig rig;
    REQUIRE(rig.drv.negotiate(kVersion1));
    DriverQueue q(rig.ram, 8, kDesc, kAvail, kUsed);
    rig.drv.setup_queue(0, q);
    rig.drv.driver_ok();
    q.set_avail_flags(1);
    q.add({{kData, 1, false}, {kData + 1, 1, true}});
    rig.drv.notify(0);
    CHECK(q.used_idx() == 1);
    CHECK(rig.drv.interrupt_status() == 0);
    CHECK_FALSE(rig.pic.high(kIrq));
    q.set_avail_flags(0);
    q.add({{kData, 1, false}, {kData + 1, 1, true}});
    rig.drv.notify(0);
    CHECK(rig.drv.interrupt_status() == 1);
  }
  SECTION("used_event with EVENT_IDX; the device publishes avail_event") {
    Rig rig;
    REQUIRE(rig.drv.negotiate(kVersion1 | kEventIdx));
    DriverQueue q(rig.ram, 8, kDesc, kAvail, kUsed);
    rig.drv.setup_queue(0, q);
    rig.drv.driver_ok();
    q.set_avail_flags(1);  // must be ignored with EVENT_IDX
    q.set_used_event(2);   // interrupt once used idx goes past 2, i.e. reaches 3
    for (int i = 0; i < 2; ++i) {
      q.add({{kData, 1, false}, {kData + 1, 1, true}});
      rig.drv.notify(0);
      CHECK(rig.drv.interrupt_status() == 0);
    }
    q.add({{kData, 1, false}, {kData + 1, 1, true}});
    rig.drv.notify(0);
    CHECK(q.used_idx() == 3);
    CHECK(rig.drv.interrupt_status() == 1);
    CHECK(q.avail_event() == 3);
    rig.drv.ack(1);
    // used_event behind the used index: no interrupt for the next buffer.
    q.add({{kData, 1, false}, {kData + 1, 1, true}});
    rig.drv.notify(0);
    CHECK(rig.drv.interrupt_status() == 0);
    // A batch that crosses used_event interrupts once.
    q.set_used_event(5);
    q.add({{kData, 1, false}, {kData + 1, 1, true}});
    q.add({{kData, 1, false}, {kData + 1, 1, true}});
    q.add({{kData, 1, false}, {kData + 1, 1, true}});
    rig.drv.notify(0);
    CHECK(q.used_idx() == 7);
    CHECK(rig.drv.interrupt_status() == 1);
  }
}

TEST_CASE("virtqueue: used ring wraps around the queue size", "[virtio][virtqueue]") {
  Rig rig;
  REQUIRE(rig.drv.negotiate(kVersion1));
  DriverQueue q(rig.ram, 4, kDesc, kAvail, kUsed);
  rig.drv.setup_queue(0, q);
  rig.drv.driver_ok();
  for (uint16_t i = 0; i < 11; ++i) {
    uint8_t b = static_cast<uint8_t>(i);
    rig.ram.write(kData, &b, 1);
    uint16_t head = q.add({{kData, 1, false}, {kData + 0x10 + i, 1, true}});
    rig.drv.notify(0);
    REQUIRE(q.used_idx() == i + 1);
    CHECK(q.used_elem(i).id == head);
    uint8_t out = 0xff;
    rig.ram.read(kData + 0x10 + i, &out, 1);
    CHECK(out == i);
  }
}

TEST_CASE("virtqueue: legacy layout follows 2.7.2", "[virtio][virtqueue]") {
  // ALIGN(16 * qsz + 2 * (3 + qsz)) for the used ring.
  auto l = Virtqueue::legacy_layout(0x80000000, 256, 4096);
  CHECK(l.desc == 0x80000000);
  CHECK(l.avail == 0x80000000 + 4096);
  CHECK(l.used == 0x80000000 + 8192);
  auto m = Virtqueue::legacy_layout(0x80000000, 1024, 4096);
  CHECK(m.avail == 0x80000000 + 16384);
  CHECK(m.used == 0x80000000 + 16384 + 4096);
  auto s = Virtqueue::legacy_layout(0x80000000, 8, 64);
  CHECK(s.avail == 0x80000080);
  CHECK(s.used == 0x800000c0);  // 0x80 + 6 + 16 = 0x96 -> 0xc0
}
