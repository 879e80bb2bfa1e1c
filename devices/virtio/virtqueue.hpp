// Split virtqueues (virtio 1.2, section 2.7) processed by the device side over GuestRam.
//
// A Virtqueue is the device's view of one queue: the descriptor table, the available ring
// (driver area) and the used ring (device area) that the driver placed in guest RAM. The
// transport configures it (size and ring addresses, or the legacy page-based layout of 2.7.2)
// and enables it; the device pops descriptor chains, reads or writes their buffers, pushes them
// onto the used ring and asks whether the driver wants an interrupt (2.7.7 / 2.7.10).
//
// The guest is not trusted. Everything read from guest memory is copied once and validated
// before use: a descriptor index >= queue size, a chain longer than the queue (a loop), an
// indirect table of bad length, an indirect descriptor inside an indirect table, a buffer
// outside RAM or a chain over 4 GiB, readable after writable, an available index more than a
// queue size ahead: each marks the queue broken (the transport then sets DEVICE_NEEDS_RESET,
// spec 2.1.2) and the queue is not processed again until the driver resets the device. Guest
// memory is only ever reached through GuestRam::read()/write() on ranges checked with
// contains(), so DMA writes reach the RAM write observer and never land outside RAM.
//
// Owned by a transport (VirtioMmio), which serialises every call: one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/guest_ram.hpp"

namespace hartbox {

class StateWriter;
class StateReader;

namespace virtio {

inline constexpr uint64_t feature_bit(unsigned bit) { return uint64_t{1} << bit; }

// Reserved feature bits (spec 6).
inline constexpr unsigned kFRingIndirectDesc = 28;
inline constexpr unsigned kFRingEventIdx = 29;
inline constexpr unsigned kFVersion1 = 32;

// Device status field (spec 2.1).
inline constexpr uint32_t kStatusAcknowledge = 1;
inline constexpr uint32_t kStatusDriver = 2;
inline constexpr uint32_t kStatusDriverOk = 4;
inline constexpr uint32_t kStatusFeaturesOk = 8;
inline constexpr uint32_t kStatusNeedsReset = 64;
inline constexpr uint32_t kStatusFailed = 128;

// Descriptor flags and ring flags (spec 2.7.5, 2.7.6).
inline constexpr uint16_t kDescNext = 1;
inline constexpr uint16_t kDescWrite = 2;
inline constexpr uint16_t kDescIndirect = 4;
inline constexpr uint16_t kAvailNoInterrupt = 1;

// Largest queue size a device may offer here (QEMU's VIRTQUEUE_MAX_SIZE), and the largest
// indirect table we accept: the spec lets a device set "a reasonable limit" (2.7.4.1).
inline constexpr uint16_t kMaxQueueSize = 1024;
inline constexpr uint32_t kMaxIndirectDescriptors = 1024;

// Little-endian loads and stores on byte buffers (virtio structures are little-endian; the
// legacy interface uses the guest's native order, which is little-endian on RISC-V).
inline uint16_t load_le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
inline uint32_t load_le32(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) | (uint32_t{p[3]} << 24);
}
inline uint64_t load_le64(const uint8_t* p) {
  return uint64_t{load_le32(p)} | (uint64_t{load_le32(p + 4)} << 32);
}
inline void store_le16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
inline void store_le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
inline void store_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

}  // namespace virtio

// One buffer element of a chain: a guest-physical range already checked to lie inside RAM.
struct GuestSegment {
  uint64_t addr;
  uint32_t len;
};

// A descriptor chain popped from the available ring: its head index (what goes back into the
// used ring) and its buffers, split into the device-readable ones followed by the
// device-writable ones. Offsets in read()/write() count bytes across the segments of each kind.
class DescriptorChain {
 public:
  uint16_t head() const { return head_; }
  const std::vector<GuestSegment>& readable() const { return readable_; }
  const std::vector<GuestSegment>& writable() const { return writable_; }
  uint64_t readable_bytes() const { return readable_bytes_; }
  uint64_t writable_bytes() const { return writable_bytes_; }

  // Copies up to `len` readable bytes starting at `offset` into `dst`; returns the bytes copied
  // (fewer if the readable buffers end first).
  size_t read(uint64_t offset, void* dst, size_t len) const;
  // Copies up to `len` bytes into the writable buffers starting at `offset`; returns the bytes
  // copied.
  size_t write(uint64_t offset, const void* src, size_t len) const;

 private:
  friend class Virtqueue;
  GuestRam* ram_ = nullptr;
  uint16_t head_ = 0;
  std::vector<GuestSegment> readable_;
  std::vector<GuestSegment> writable_;
  uint64_t readable_bytes_ = 0;
  uint64_t writable_bytes_ = 0;
};

// Where a queue's three parts are in guest memory.
struct VirtqueueLayout {
  uint64_t desc = 0;   // descriptor table (Descriptor Area)
  uint64_t avail = 0;  // available ring (Driver Area)
  uint64_t used = 0;   // used ring (Device Area)
};

class Virtqueue {
 public:
  Virtqueue(GuestRam& ram, uint16_t max_size);

  uint16_t max_size() const { return max_size_; }

  // The legacy layout (spec 2.7.2): descriptor table at `base`, the available ring right after
  // it, the used ring at the next multiple of `align` (a power of two).
  static VirtqueueLayout legacy_layout(uint64_t base, uint32_t size, uint64_t align);

  // --- Transport side ---
  // Starts processing the queue with `size` entries at `layout`, from ring index 0. A size that
  // is not a power of two in 1..max_size(), or a ring not entirely inside RAM, marks the queue
  // broken instead. Returns ready().
  bool enable(uint32_t size, const VirtqueueLayout& layout);
  void disable() { ready_ = false; }
  // Back to the power-on state: not ready, not broken.
  void reset();
  // The negotiated features that change how rings are read (INDIRECT_DESC, EVENT_IDX).
  void set_features(uint64_t negotiated);

  bool ready() const { return ready_; }
  uint16_t size() const { return size_; }
  const VirtqueueLayout& layout() const { return layout_; }

  // --- Device side ---
  // The next available chain, or nothing if the ring is empty, the queue is not ready, or the
  // queue is (or just became) broken. With EVENT_IDX, also tells the driver (avail_event) to
  // notify us on the next buffer it adds.
  std::optional<DescriptorChain> pop();
  // Gives back the chain the last pop() returned, untouched: the next pop() returns it again. For
  // a request the device cannot serve yet (virtio-blk under a bandwidth limit): it stays on the
  // ring as the driver left it.
  void unpop();
  // Returns a chain to the driver, with `written` bytes written into its writable buffers.
  void push(const DescriptorChain& chain, uint32_t written);
  // After one or more push()es: whether the driver asked for a used buffer notification
  // (VIRTQ_AVAIL_F_NO_INTERRUPT, or used_event with EVENT_IDX: spec 2.7.7.2, 2.7.10).
  bool needs_notification();

  // Puts the queue in the error state (a device-detected driver error such as a virtio-blk
  // request with no status byte). The first reason is kept.
  void mark_broken(std::string reason);
  bool broken() const { return broken_; }
  const std::string& broken_reason() const { return broken_reason_; }

  uint16_t last_avail_idx() const { return last_avail_; }
  uint16_t used_idx() const { return used_idx_; }

  // Snapshots: size, ring addresses, ready/broken, negotiated ring features, the last available
  // index seen, the used index and the event-index state. load() checks a ready queue's rings
  // against RAM as enable() does; a queue that could not have been enabled is SnapshotError.
  void save(StateWriter& out) const;
  void load(StateReader& in);

 private:
  struct Desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
  };
  uint16_t read_u16(uint64_t paddr);
  void write_u16(uint64_t paddr, uint16_t value);
  Desc read_desc(uint64_t table, uint32_t index);
  bool walk_chain(uint16_t head, DescriptorChain& chain);
  bool add_segment(DescriptorChain& chain, const Desc& d);
  void publish_avail_event();

  GuestRam& ram_;
  uint16_t max_size_;
  uint16_t size_ = 0;
  VirtqueueLayout layout_;
  bool ready_ = false;
  bool broken_ = false;
  std::string broken_reason_;
  bool indirect_ = false;
  bool event_idx_ = false;
  uint16_t last_avail_ = 0;      // next available ring entry to consume
  uint16_t used_idx_ = 0;        // our copy of used->idx
  uint16_t signalled_used_ = 0;  // used_idx_ when we last decided about an interrupt
};

}  // namespace hartbox
