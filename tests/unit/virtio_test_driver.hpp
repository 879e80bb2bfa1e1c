// A minimal virtio driver for the virtio unit tests: it programs a VirtioMmio through its
// registers, as a guest kernel would (spec 3.1.1 and 4.2.3), and builds split virtqueues in a
// GuestRam (spec 2.7) written field by field from the spec's layouts, never with the device
// code's own helpers, so that a layout mistake in the device shows up as a failing test.
#pragma once

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/guest_ram.hpp"
#include "devices/irq.hpp"
#include "devices/virtio/mmio_transport.hpp"

namespace hartbox::test {

inline constexpr uint64_t kRamBase = 0x8000'0000;
inline constexpr uint64_t kRamSize = 16 << 20;

// Records the level of each interrupt source.
struct FakeInterruptController : InterruptController {
  std::map<unsigned, bool> level;
  unsigned raises = 0;
  void set_irq(unsigned source, bool l) override {
    if (l && !level[source]) ++raises;
    level[source] = l;
  }
  bool high(unsigned source) { return level[source]; }
};

inline uint16_t ram_u16(GuestRam& ram, uint64_t a) {
  uint8_t b[2];
  ram.read(a, b, 2);
  return static_cast<uint16_t>(b[0] | (b[1] << 8));
}
inline uint32_t ram_u32(GuestRam& ram, uint64_t a) {
  uint8_t b[4];
  ram.read(a, b, 4);
  return uint32_t{b[0]} | (uint32_t{b[1]} << 8) | (uint32_t{b[2]} << 16) | (uint32_t{b[3]} << 24);
}
inline void put_u16(GuestRam& ram, uint64_t a, uint16_t v) {
  uint8_t b[2] = {static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8)};
  ram.write(a, b, 2);
}
inline void put_u32(GuestRam& ram, uint64_t a, uint32_t v) {
  uint8_t b[4];
  for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (8 * i));
  ram.write(a, b, 4);
}
inline void put_u64(GuestRam& ram, uint64_t a, uint64_t v) {
  put_u32(ram, a, static_cast<uint32_t>(v));
  put_u32(ram, a + 4, static_cast<uint32_t>(v >> 32));
}

// The driver's side of one split virtqueue.
class DriverQueue {
 public:
  struct Buf {
    uint64_t addr;
    uint32_t len;
    bool device_writes;
  };
  struct UsedElem {
    uint32_t id;
    uint32_t len;
  };

  DriverQueue() = default;
  DriverQueue(GuestRam& ram, uint16_t size, uint64_t desc, uint64_t avail, uint64_t used)
      : ram_(&ram), size_(size), desc_(desc), avail_(avail), used_(used) {
    ram.fill(desc, 0, 16u * size);
    ram.fill(avail, 0, 6u + 2u * size);
    ram.fill(used, 0, 6u + 8u * size);
  }
  // The legacy layout of spec 2.7.2 at `base`: used ring at the next `align` boundary.
  static DriverQueue legacy(GuestRam& ram, uint16_t size, uint64_t base, uint64_t align) {
    uint64_t avail = base + 16u * size;
    uint64_t used = (avail + 6u + 2u * size + align - 1) / align * align;
    return DriverQueue(ram, size, base, avail, used);
  }

  uint16_t size() const { return size_; }
  uint64_t desc() const { return desc_; }
  uint64_t avail() const { return avail_; }
  uint64_t used() const { return used_; }

  // struct virtq_desc { le64 addr; le32 len; le16 flags; le16 next; } (2.7.5)
  void set_desc(uint64_t table, uint32_t i, uint64_t addr, uint32_t len, uint16_t flags,
                uint16_t next) {
    put_u64(*ram_, table + 16u * i, addr);
    put_u32(*ram_, table + 16u * i + 8, len);
    put_u16(*ram_, table + 16u * i + 12, flags);
    put_u16(*ram_, table + 16u * i + 14, next);
  }
  void set_desc(uint32_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next) {
    set_desc(desc_, i, addr, len, flags, next);
  }
  // Builds a chain of `bufs` in free descriptors (taken round-robin) and returns its head.
  uint16_t build_chain(const std::vector<Buf>& bufs) {
    uint16_t head = next_free_;
    for (size_t k = 0; k < bufs.size(); ++k) {
      uint16_t i = next_free_;
      next_free_ = static_cast<uint16_t>((next_free_ + 1) % size_);
      uint16_t flags = bufs[k].device_writes ? 2 : 0;
      if (k + 1 < bufs.size()) flags |= 1;
      set_desc(i, bufs[k].addr, bufs[k].len, flags, next_free_);
    }
    return head;
  }
  // struct virtq_avail { le16 flags; le16 idx; le16 ring[size]; le16 used_event; } (2.7.6)
  void publish(uint16_t head) {
    put_u16(*ram_, avail_ + 4 + 2u * (avail_idx_ % size_), head);
    ++avail_idx_;
    put_u16(*ram_, avail_ + 2, avail_idx_);
  }
  uint16_t add(const std::vector<Buf>& bufs) {
    uint16_t head = build_chain(bufs);
    publish(head);
    return head;
  }
  void set_avail_idx(uint16_t idx) {
    avail_idx_ = idx;
    put_u16(*ram_, avail_ + 2, idx);
  }
  void set_avail_flags(uint16_t flags) { put_u16(*ram_, avail_, flags); }
  void set_used_event(uint16_t v) { put_u16(*ram_, avail_ + 4 + 2u * size_, v); }
  // struct virtq_used { le16 flags; le16 idx; struct { le32 id; le32 len; } ring[size];
  //                     le16 avail_event; } (2.7.8)
  uint16_t used_idx() const { return ram_u16(*ram_, used_ + 2); }
  UsedElem used_elem(uint16_t i) const {
    uint64_t e = used_ + 4 + 8u * (i % size_);
    return {ram_u32(*ram_, e), ram_u32(*ram_, e + 4)};
  }
  uint16_t avail_event() const { return ram_u16(*ram_, used_ + 4 + 8u * size_); }

 private:
  GuestRam* ram_ = nullptr;
  uint16_t size_ = 0;
  uint64_t desc_ = 0, avail_ = 0, used_ = 0;
  uint16_t avail_idx_ = 0;
  uint16_t next_free_ = 0;
};

// Drives a VirtioMmio through its registers.
class MmioDriver {
 public:
  explicit MmioDriver(VirtioMmio& mmio) : mmio_(mmio) {}

  uint32_t read32(uint32_t off) {
    uint64_t v = 0;
    if (!mmio_.read(off, 4, v)) throw std::runtime_error("read fault");
    return static_cast<uint32_t>(v);
  }
  void write32(uint32_t off, uint32_t v) {
    if (!mmio_.write(off, 4, v)) throw std::runtime_error("write fault");
  }
  uint64_t config(uint32_t off, unsigned size) {
    uint64_t v = 0;
    if (!mmio_.read(0x100 + off, size, v)) throw std::runtime_error("config read fault");
    return v;
  }
  uint32_t status() { return read32(0x070); }
  void add_status(uint32_t bits) { write32(0x070, status() | bits); }
  uint64_t device_features() {
    write32(0x014, 0);
    uint64_t lo = read32(0x010);
    write32(0x014, 1);
    uint64_t hi = read32(0x010);
    return lo | (hi << 32);
  }
  void write_driver_features(uint64_t f) {
    write32(0x024, 0);
    write32(0x020, static_cast<uint32_t>(f));
    write32(0x024, 1);
    write32(0x020, static_cast<uint32_t>(f >> 32));
  }
  // 3.1.1 steps 1..6. Returns whether the device kept FEATURES_OK (modern) or true (legacy).
  bool negotiate(uint64_t wanted) {
    write32(0x070, 0);
    add_status(1);  // ACKNOWLEDGE
    add_status(2);  // DRIVER
    write_driver_features(device_features() & wanted);
    if (read32(0x004) == 1) return true;
    add_status(8);  // FEATURES_OK
    return (status() & 8) != 0;
  }
  void driver_ok() { add_status(4); }

  // 4.2.3.2 (modern).
  void setup_queue(unsigned index, const DriverQueue& q) {
    write32(0x030, index);
    write32(0x038, q.size());
    write32(0x080, static_cast<uint32_t>(q.desc()));
    write32(0x084, static_cast<uint32_t>(q.desc() >> 32));
    write32(0x090, static_cast<uint32_t>(q.avail()));
    write32(0x094, static_cast<uint32_t>(q.avail() >> 32));
    write32(0x0a0, static_cast<uint32_t>(q.used()));
    write32(0x0a4, static_cast<uint32_t>(q.used() >> 32));
    write32(0x044, 1);
  }
  // 4.2.4 (legacy): GuestPageSize 4096, QueueNum, QueueAlign, QueuePFN.
  void setup_legacy_queue(unsigned index, const DriverQueue& q, uint32_t align) {
    write32(0x028, 4096);
    write32(0x030, index);
    write32(0x038, q.size());
    write32(0x03c, align);
    write32(0x040, static_cast<uint32_t>(q.desc() / 4096));
  }
  void notify(unsigned index) { write32(0x050, index); }
  uint32_t interrupt_status() { return read32(0x060); }
  void ack(uint32_t bits) { write32(0x064, bits); }

 private:
  VirtioMmio& mmio_;
};

// A device for transport and virtqueue tests: each chain's readable bytes are copied into its
// writable buffers (as much as fits) and the chain is returned with that length. Its 8-byte
// configuration space is writable; bump_config() changes it as a device would.
class EchoDevice : public VirtioDevice {
 public:
  static constexpr uint32_t kId = 0x2a;
  uint64_t features = virtio::feature_bit(virtio::kFVersion1) |
                      virtio::feature_bit(virtio::kFRingIndirectDesc) |
                      virtio::feature_bit(virtio::kFRingEventIdx) | (uint64_t{1} << 3);
  uint8_t config[8] = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88};
  unsigned resets = 0;
  unsigned activations = 0;
  unsigned chains = 0;
  uint64_t negotiated = 0;  // the driver's features at DRIVER_OK

  uint32_t device_id() const override { return kId; }
  uint64_t device_features() const override { return features; }
  unsigned num_queues() const override { return 2; }
  uint16_t queue_max_size(unsigned) const override { return 64; }
  uint32_t config_size() const override { return sizeof config; }
  void read_config(uint32_t offset, std::span<uint8_t> out) const override {
    std::memcpy(out.data(), config + offset, out.size());
  }
  void write_config(uint32_t offset, std::span<const uint8_t> in) override {
    std::memcpy(config + offset, in.data(), in.size());
  }
  void activate() override {
    ++activations;
    negotiated = transport().driver_features();
  }
  void reset() override { ++resets; }
  void queue_notify(unsigned q) override {
    Virtqueue& vq = transport().queue(q);
    while (auto chain = vq.pop()) {
      ++chains;
      std::vector<uint8_t> data(static_cast<size_t>(chain->readable_bytes()));
      chain->read(0, data.data(), data.size());
      size_t n = chain->write(0, data.data(), data.size());
      vq.push(*chain, static_cast<uint32_t>(n));
    }
    transport().notify_used(q);
  }
  void bump_config() {
    config[0] ^= 0xff;
    transport().config_changed();
  }
};

}  // namespace hartbox::test
