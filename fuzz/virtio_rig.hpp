// A hostile virtio driver for the virtio fuzz targets: the fuzz input is a little program of
// driver actions (negotiate, write descriptors, publish heads, notify, scribble on RAM and on the
// registers) run against one VirtioMmio with a real device behind it, all in a GuestRam.
//
// Descriptors are written from compact records, so that the fuzzer reaches real buffers (in a
// data area, anywhere in RAM, across the end of RAM, at absurd addresses) without having to guess
// 64-bit addresses; raw writes and register writes let it produce anything else. Nothing a driver
// does may crash the host, throw out of the transport, write outside RAM (GuestRam has no room
// there: AddressSanitizer would see it) or leave the interrupt line out of step with
// InterruptStatus.
//
// Belongs to the thread that runs the fuzz input.
#pragma once

#include <cstdint>
#include <cstring>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/guest_ram.hpp"
#include "devices/irq.hpp"
#include "devices/virtio/mmio_transport.hpp"
#include "fuzz/fuzz_support.hpp"

namespace hartbox::fuzz {

inline constexpr uint64_t kRamBase = 0x8000'0000;
inline constexpr uint64_t kRamSize = 1 << 20;
inline constexpr uint64_t kRingArea = kRamBase + 0x1000;      // queue q: 0x4000 * q + desc/avail/used
inline constexpr uint64_t kIndirectArea = kRamBase + 0x10000;  // indirect tables
inline constexpr uint64_t kDataArea = kRamBase + 0x20000;      // buffers
inline constexpr uint64_t kDataSize = kRamSize - 0x20000;

// Reads the fuzz input front to back; past the end everything reads as zero.
class InputReader {
 public:
  explicit InputReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  bool empty() const { return at_ >= bytes_.size(); }
  uint8_t u8() { return at_ < bytes_.size() ? bytes_[at_++] : 0; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | (u8() << 8)); }
  uint32_t u32() { return u16() | (uint32_t{u16()} << 16); }
  uint64_t u64() { return u32() | (uint64_t{u32()} << 32); }
  std::span<const uint8_t> bytes(size_t n) {
    n = std::min(n, bytes_.size() - std::min(at_, bytes_.size()));
    std::span<const uint8_t> out = bytes_.subspan(at_, n);
    at_ += n;
    return out;
  }

 private:
  std::span<const uint8_t> bytes_;
  size_t at_ = 0;
};

struct LevelPic final : InterruptController {
  bool level = false;
  void set_irq(unsigned, bool l) override { level = l; }
};

// Device-specific actions (opcode 11 and up), and a hook after each action.
class DeviceActions {
 public:
  virtual ~DeviceActions() = default;
  virtual void act(uint8_t opcode, InputReader& in) = 0;
  virtual void check() {}
};

class VirtioRig {
 public:
  VirtioRig(std::unique_ptr<VirtioDevice> device, VirtioMmio::Version version)
      : mmio_(ram_, IrqLine{&pic_, 1}, std::move(device), version) {}

  GuestRam& ram() { return ram_; }
  VirtioMmio& mmio() { return mmio_; }
  bool legacy() const { return mmio_.version() == VirtioMmio::Version::Legacy; }

  // Runs the driver program in `in` until it ends.
  void run(InputReader& in, DeviceActions* extra) {
    for (unsigned steps = 0; !in.empty() && steps < 512; ++steps) {
      const uint8_t opcode = in.u8();
      try {
        step(opcode, in, extra);
      } catch (const std::exception& e) {
        finding("an exception escaped the virtio device (action " + std::to_string(opcode) + "): " + e.what());
      }
      require(pic_.level == (mmio_.interrupt_status() != 0),
              "the interrupt line is " + std::string(pic_.level ? "high" : "low") + " but InterruptStatus is " +
                  std::to_string(mmio_.interrupt_status()));
      if (extra) extra->check();
    }
  }

  uint32_t read32(uint32_t offset) {
    uint64_t v = 0;
    require(mmio_.read(offset, 4, v), "a register read faulted");
    return static_cast<uint32_t>(v);
  }
  void write32(uint32_t offset, uint32_t value) { require(mmio_.write(offset, 4, value), "a register write faulted"); }

 private:
  struct Queue {
    uint16_t size = 0;
    uint64_t desc = 0, avail = 0, used = 0;
    uint16_t avail_idx = 0;
  };

  void put(uint64_t paddr, const void* src, size_t len) {
    if (ram_.contains(paddr, len)) ram_.write(paddr, src, len);
  }
  void put16(uint64_t paddr, uint16_t v) { put(paddr, &v, 2); }

  uint64_t address(uint8_t selector, uint32_t offset, uint64_t raw) const {
    switch (selector % 6) {
      case 0: return kDataArea + offset % kDataSize;
      case 1: return kRamBase + offset % kRamSize;  // anywhere, rings included
      case 2: return kRamBase + kRamSize - offset % 8192;  // across the end of RAM
      case 3: return raw;
      case 4: return offset;  // below RAM
      default: return ~uint64_t{0} - offset;  // wraps around
    }
  }

  // Status 0, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queues, DRIVER_OK (3.1.1), with the
  // features and queue sizes the input asks for.
  void negotiate(InputReader& in) {
    const uint64_t wanted = in.u64();
    const uint8_t sizes = in.u8();
    const bool skip_driver_ok = (sizes & 0x80) != 0;
    write32(VirtioMmio::kRegStatus, 0);
    write32(VirtioMmio::kRegStatus, 1);
    write32(VirtioMmio::kRegStatus, 3);
    write32(VirtioMmio::kRegDeviceFeaturesSel, 0);
    uint64_t offered = read32(VirtioMmio::kRegDeviceFeatures);
    write32(VirtioMmio::kRegDeviceFeaturesSel, 1);
    offered |= uint64_t{read32(VirtioMmio::kRegDeviceFeatures)} << 32;
    // Mostly what the device offers (ANDed), sometimes anything at all.
    const uint64_t features = (wanted & 1) ? wanted : (offered & wanted);
    write32(VirtioMmio::kRegDriverFeaturesSel, 0);
    write32(VirtioMmio::kRegDriverFeatures, static_cast<uint32_t>(features));
    write32(VirtioMmio::kRegDriverFeaturesSel, 1);
    write32(VirtioMmio::kRegDriverFeatures, static_cast<uint32_t>(features >> 32));
    if (!legacy()) write32(VirtioMmio::kRegStatus, 3 | 8);
    for (unsigned q = 0; q < 2; ++q) {
      write32(VirtioMmio::kRegQueueSel, q);
      const uint32_t max = read32(VirtioMmio::kRegQueueNumMax);
      if (max == 0) continue;
      // A power of two up to 256, or (rarely) whatever the input says.
      uint32_t size = uint32_t{1} << ((sizes >> (3 * q)) & 7) << 1;
      if (size > max) size = max;
      if ((sizes & 0x40) && q == 0) size = sizes;
      Queue& queue = queues_[q];
      queue = Queue{static_cast<uint16_t>(size), kRingArea + 0x4000u * q, kRingArea + 0x4000u * q + 0x1000,
                    kRingArea + 0x4000u * q + 0x2000, 0};
      ram_.fill(kRingArea + 0x4000u * q, 0, 0x4000);
      write32(VirtioMmio::kRegQueueNum, size);
      if (legacy()) {
        // 2.7.2 layout at a page: descriptors, avail after them, used at the next 4 KiB.
        queue.avail = queue.desc + 16u * size;
        queue.used = (queue.avail + 6 + 2u * size + 4095) & ~uint64_t{4095};
        write32(VirtioMmio::kRegGuestPageSize, 4096);
        write32(VirtioMmio::kRegQueueAlign, 4096);
        write32(VirtioMmio::kRegQueuePfn, static_cast<uint32_t>(queue.desc >> 12));
      } else {
        write32(VirtioMmio::kRegQueueDescLow, static_cast<uint32_t>(queue.desc));
        write32(VirtioMmio::kRegQueueDescHigh, static_cast<uint32_t>(queue.desc >> 32));
        write32(VirtioMmio::kRegQueueDriverLow, static_cast<uint32_t>(queue.avail));
        write32(VirtioMmio::kRegQueueDriverHigh, static_cast<uint32_t>(queue.avail >> 32));
        write32(VirtioMmio::kRegQueueDeviceLow, static_cast<uint32_t>(queue.used));
        write32(VirtioMmio::kRegQueueDeviceHigh, static_cast<uint32_t>(queue.used >> 32));
        write32(VirtioMmio::kRegQueueReady, 1);
      }
    }
    if (!skip_driver_ok) write32(VirtioMmio::kRegStatus, read32(VirtioMmio::kRegStatus) | 4);
  }

  void step(uint8_t opcode, InputReader& in, DeviceActions* extra) {
    switch (opcode % 16) {
      case 0: negotiate(in); break;
      case 1:
      case 2: {  // a descriptor in a queue's table (1) or in the indirect area (2)
        Queue& q = queues_[in.u8() & 1];
        const uint16_t index = in.u16();
        const uint8_t selector = in.u8();
        const uint32_t offset = in.u32();
        const uint32_t len = in.u32() % 0x20000;
        const uint16_t flags = in.u16() & 0xf;
        const uint16_t next = in.u16();
        const uint64_t raw = selector % 6 == 3 ? in.u64() : 0;
        uint8_t d[16];
        virtio::store_le64(d, address(selector, offset, raw));
        virtio::store_le32(d + 8, (selector & 0x80) ? in.u32() : len);
        virtio::store_le16(d + 12, flags);
        virtio::store_le16(d + 14, next);
        const uint64_t at = opcode % 16 == 1 ? q.desc + 16u * (q.size ? index % q.size : 0)
                                             : kIndirectArea + 16u * (index % 4096);
        put(at, d, sizeof d);
        break;
      }
      case 3: {  // publish a head
        Queue& q = queues_[in.u8() & 1];
        const uint16_t head = in.u16();
        if (q.size == 0) break;
        put16(q.avail + 4 + 2u * (q.avail_idx % q.size), head);
        ++q.avail_idx;
        put16(q.avail + 2, q.avail_idx);
        break;
      }
      case 4: {  // avail idx, anything
        Queue& q = queues_[in.u8() & 1];
        q.avail_idx = in.u16();
        put16(q.avail + 2, q.avail_idx);
        break;
      }
      case 5: write32(VirtioMmio::kRegQueueNotify, in.u16() & 3); break;
      case 6: {  // raw bytes anywhere in RAM
        const uint64_t at = kRamBase + in.u32() % kRamSize;
        const std::span<const uint8_t> bytes = in.bytes(in.u8());
        if (ram_.contains(at, bytes.size()) && !bytes.empty()) ram_.write(at, bytes.data(), bytes.size());
        break;
      }
      case 7: {  // any register write, at any size
        const uint64_t offset = in.u16() & 0x1fff;
        const unsigned size = 1u << (in.u8() & 3);
        const uint64_t value = in.u64();
        (void)mmio_.write(offset, size, value);
        break;
      }
      case 8: {  // any register read
        const uint64_t offset = in.u16() & 0x1fff;
        const unsigned size = 1u << (in.u8() & 3);
        uint64_t value = 0;
        (void)mmio_.read(offset, size, value);
        break;
      }
      case 9: mmio_.poll(); break;
      case 10: {  // suppression fields: avail flags and used_event
        Queue& q = queues_[in.u8() & 1];
        put16(q.avail, in.u16());
        if (q.size) put16(q.avail + 4 + 2u * q.size, in.u16());
        break;
      }
      case 11: {  // acknowledge interrupts
        write32(VirtioMmio::kRegInterruptAck, in.u8());
        break;
      }
      default:
        if (extra) extra->act(opcode, in);
        break;
    }
  }

  GuestRam ram_{kRamBase, kRamSize};
  LevelPic pic_;
  VirtioMmio mmio_;
  Queue queues_[2];
};

}  // namespace hartbox::fuzz
