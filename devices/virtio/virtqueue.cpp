#include "devices/virtio/virtqueue.hpp"

#include <algorithm>
#include <atomic>
#include <bit>
#include <limits>
#include <utility>

#include "core/state_io.hpp"

namespace hartbox {

using namespace virtio;

namespace {

// Orders our ring accesses against a driver running on other host threads (the harts of a
// multi-hart guest). GCC's ThreadSanitizer does not support fences (-Wtsan); it does not model
// guest RAM shared with harts either, so TSan builds do without.
void fence(std::memory_order order) {
#if defined(__SANITIZE_THREAD__)
  (void)order;
#else
  std::atomic_thread_fence(order);
#endif
}

constexpr uint64_t kDescSize = 16;
constexpr uint64_t kUsedElemSize = 8;

// Ring part sizes, including used_event / avail_event (spec 2.7, the table of part sizes).
constexpr uint64_t desc_table_bytes(uint64_t n) { return kDescSize * n; }
constexpr uint64_t avail_ring_bytes(uint64_t n) { return 6 + 2 * n; }
constexpr uint64_t used_ring_bytes(uint64_t n) { return 6 + kUsedElemSize * n; }

// Copies between a host buffer and a list of guest segments, starting `offset` bytes in.
template <class Copy>
size_t copy_segments(const std::vector<GuestSegment>& segs, uint64_t offset, size_t len, Copy copy) {
  size_t done = 0;
  for (const GuestSegment& s : segs) {
    if (done == len) break;
    if (offset >= s.len) {
      offset -= s.len;
      continue;
    }
    size_t n = static_cast<size_t>(std::min<uint64_t>(s.len - offset, len - done));
    copy(s.addr + offset, done, n);
    done += n;
    offset = 0;
  }
  return done;
}

}  // namespace

size_t DescriptorChain::read(uint64_t offset, void* dst, size_t len) const {
  auto* out = static_cast<uint8_t*>(dst);
  return copy_segments(readable_, offset, len, [&](uint64_t paddr, size_t at, size_t n) {
    ram_->read(paddr, out + at, n);
  });
}

size_t DescriptorChain::write(uint64_t offset, const void* src, size_t len) const {
  const auto* in = static_cast<const uint8_t*>(src);
  return copy_segments(writable_, offset, len, [&](uint64_t paddr, size_t at, size_t n) {
    ram_->write(paddr, in + at, n);
  });
}

Virtqueue::Virtqueue(GuestRam& ram, uint16_t max_size)
    : ram_(ram), max_size_(std::min(max_size, kMaxQueueSize)) {}

VirtqueueLayout Virtqueue::legacy_layout(uint64_t base, uint32_t size, uint64_t align) {
  VirtqueueLayout l;
  l.desc = base;
  l.avail = base + desc_table_bytes(size);
  uint64_t avail_end = l.avail + avail_ring_bytes(size);
  l.used = (avail_end + align - 1) & ~(align - 1);
  return l;
}

bool Virtqueue::enable(uint32_t size, const VirtqueueLayout& layout) {
  if (broken_) return false;
  if (size == 0 || size > max_size_ || !std::has_single_bit(size)) {
    mark_broken("queue size " + std::to_string(size) + " is not a power of two in 1.." +
                std::to_string(max_size_));
    return false;
  }
  if (!ram_.contains(layout.desc, desc_table_bytes(size)) ||
      !ram_.contains(layout.avail, avail_ring_bytes(size)) ||
      !ram_.contains(layout.used, used_ring_bytes(size))) {
    mark_broken("virtqueue rings are not inside guest RAM");
    return false;
  }
  size_ = static_cast<uint16_t>(size);
  layout_ = layout;
  last_avail_ = 0;
  used_idx_ = 0;
  signalled_used_ = 0;
  ready_ = true;
  return true;
}

void Virtqueue::reset() {
  size_ = 0;
  layout_ = {};
  ready_ = false;
  broken_ = false;
  broken_reason_.clear();
  indirect_ = false;
  event_idx_ = false;
  last_avail_ = 0;
  used_idx_ = 0;
  signalled_used_ = 0;
}

void Virtqueue::set_features(uint64_t negotiated) {
  indirect_ = (negotiated & feature_bit(kFRingIndirectDesc)) != 0;
  event_idx_ = (negotiated & feature_bit(kFRingEventIdx)) != 0;
}

void Virtqueue::mark_broken(std::string reason) {
  if (!broken_) broken_reason_ = std::move(reason);
  broken_ = true;
}

// Ring fields are only read or written inside rings that enable() checked against RAM.
uint16_t Virtqueue::read_u16(uint64_t paddr) {
  uint8_t b[2];
  ram_.read(paddr, b, 2);
  return load_le16(b);
}

void Virtqueue::write_u16(uint64_t paddr, uint16_t value) {
  uint8_t b[2];
  store_le16(b, value);
  ram_.write(paddr, b, 2);
}

Virtqueue::Desc Virtqueue::read_desc(uint64_t table, uint32_t index) {
  uint8_t b[kDescSize];
  ram_.read(table + kDescSize * index, b, sizeof b);
  return Desc{load_le64(b), load_le32(b + 8), load_le16(b + 12), load_le16(b + 14)};
}

void Virtqueue::publish_avail_event() {
  // avail_event lives after the used ring's entries (spec 2.7.8).
  write_u16(layout_.used + 4 + kUsedElemSize * size_, last_avail_);
}

void Virtqueue::unpop() {
  --last_avail_;
  // avail_event asked for a notification past the entry given back; it is already there, so
  // the device will not be told of it again and must come back to it by itself.
  if (event_idx_) publish_avail_event();
}

std::optional<DescriptorChain> Virtqueue::pop() {
  if (!ready_ || broken_) return std::nullopt;
  uint16_t avail_idx = read_u16(layout_.avail + 2);
  if (avail_idx == last_avail_) {
    if (!event_idx_) return std::nullopt;
    // Ask for a notification on the next buffer, then look again: a driver on another hart may
    // have added one between our read and the avail_event write (the usual re-check).
    publish_avail_event();
    fence(std::memory_order_seq_cst);
    avail_idx = read_u16(layout_.avail + 2);
    if (avail_idx == last_avail_) return std::nullopt;
  }
  const uint16_t pending = static_cast<uint16_t>(avail_idx - last_avail_);
  if (pending > size_) {
    mark_broken("available index " + std::to_string(avail_idx) + " is " + std::to_string(pending) +
                " entries ahead of " + std::to_string(last_avail_) + " (queue size " +
                std::to_string(size_) + ")");
    return std::nullopt;
  }
  // Read the ring entry and descriptors only after seeing idx (the driver's barrier, 2.7.13).
  fence(std::memory_order_acquire);
  const uint16_t head = read_u16(layout_.avail + 4 + 2 * uint64_t{static_cast<uint16_t>(last_avail_ % size_)});
  DescriptorChain chain;
  chain.ram_ = &ram_;
  chain.head_ = head;
  if (!walk_chain(head, chain)) return std::nullopt;
  ++last_avail_;
  if (event_idx_) publish_avail_event();
  return chain;
}

bool Virtqueue::add_segment(DescriptorChain& chain, const Desc& d) {
  if (d.len == 0) return true;  // contributes nothing and touches nothing
  if (!ram_.contains(d.addr, d.len)) {
    mark_broken("descriptor buffer at " + std::to_string(d.addr) + " (" + std::to_string(d.len) +
                " bytes) is outside guest RAM");
    return false;
  }
  constexpr uint64_t kMaxChainBytes = uint64_t{1} << 32;  // 2.7.5.2: at most 2^32 bytes
  if (d.flags & kDescWrite) {
    chain.writable_bytes_ += d.len;
    if (chain.writable_bytes_ > kMaxChainBytes) {
      mark_broken("descriptor chain longer than 4 GiB");
      return false;
    }
    chain.writable_.push_back({d.addr, d.len});
  } else {
    // 2.7.4.2: device-writable elements come after all device-readable ones.
    if (!chain.writable_.empty()) {
      mark_broken("device-readable descriptor after a device-writable one");
      return false;
    }
    chain.readable_bytes_ += d.len;
    if (chain.readable_bytes_ > kMaxChainBytes) {
      mark_broken("descriptor chain longer than 4 GiB");
      return false;
    }
    chain.readable_.push_back({d.addr, d.len});
  }
  return true;
}

bool Virtqueue::walk_chain(uint16_t head, DescriptorChain& chain) {
  if (head >= size_) {
    mark_broken("descriptor index " + std::to_string(head) + " >= queue size " +
                std::to_string(size_));
    return false;
  }
  uint64_t table = layout_.desc;
  uint32_t table_entries = size_;
  bool in_indirect = false;
  uint32_t index = head;
  uint32_t count = 0;  // descriptors visited in the current table: more than its size is a loop
  for (;;) {
    if (++count > table_entries) {
      mark_broken(in_indirect ? "indirect descriptor chain loops"
                              : "descriptor chain longer than the queue size (a loop)");
      return false;
    }
    const Desc d = read_desc(table, index);
    if (d.flags & kDescIndirect) {
      if (!indirect_) {
        mark_broken("indirect descriptor without VIRTIO_F_INDIRECT_DESC");
        return false;
      }
      if (in_indirect) {
        mark_broken("indirect descriptor inside an indirect table");
        return false;
      }
      if (d.flags & kDescNext) {
        mark_broken("indirect descriptor with VIRTQ_DESC_F_NEXT");
        return false;
      }
      if (d.len == 0 || d.len % kDescSize != 0 || d.len / kDescSize > kMaxIndirectDescriptors) {
        mark_broken("indirect table of bad length " + std::to_string(d.len));
        return false;
      }
      if (!ram_.contains(d.addr, d.len)) {
        mark_broken("indirect table outside guest RAM");
        return false;
      }
      // 2.7.5.3.2: the chain continues (and ends) in the table; its WRITE flag is ignored.
      table = d.addr;
      table_entries = static_cast<uint32_t>(d.len / kDescSize);
      in_indirect = true;
      index = 0;
      count = 0;
      continue;
    }
    if (!add_segment(chain, d)) return false;
    if (!(d.flags & kDescNext)) return true;
    index = d.next;
    if (index >= table_entries) {
      mark_broken("next descriptor index " + std::to_string(index) + " out of range (" +
                  std::to_string(table_entries) + " entries)");
      return false;
    }
  }
}

void Virtqueue::push(const DescriptorChain& chain, uint32_t written) {
  if (!ready_ || broken_) return;
  uint8_t elem[kUsedElemSize];
  store_le32(elem, chain.head());
  store_le32(elem + 4, written);
  ram_.write(layout_.used + 4 + kUsedElemSize * static_cast<uint16_t>(used_idx_ % size_), elem,
             sizeof elem);
  // The entry must be visible before the index that publishes it (2.7.8.2).
  fence(std::memory_order_release);
  ++used_idx_;
  write_u16(layout_.used + 2, used_idx_);
}

bool Virtqueue::needs_notification() {
  if (!ready_ || broken_) return false;
  if (signalled_used_ == used_idx_) return false;  // nothing used since the last decision
  const uint16_t old = signalled_used_;
  signalled_used_ = used_idx_;
  // The used idx write must be visible before we read the driver's suppression fields.
  fence(std::memory_order_seq_cst);
  if (!event_idx_) return (read_u16(layout_.avail) & kAvailNoInterrupt) == 0;
  // vring_need_event(): notify if used_event lies in [old, new) (2.7.10, virtio_ring.h).
  const uint16_t used_event = read_u16(layout_.avail + 4 + 2 * uint64_t{size_});
  return static_cast<uint16_t>(used_idx_ - used_event - 1) < static_cast<uint16_t>(used_idx_ - old);
}

void Virtqueue::save(StateWriter& out) const {
  out.begin_section(state_tag("VQUE"));
  out.u16(max_size_);
  out.u16(size_);
  out.u64(layout_.desc);
  out.u64(layout_.avail);
  out.u64(layout_.used);
  out.boolean(ready_);
  out.boolean(broken_);
  out.string(broken_reason_);
  out.boolean(indirect_);
  out.boolean(event_idx_);
  out.u16(last_avail_);
  out.u16(used_idx_);
  out.u16(signalled_used_);
  out.end_section();
}

void Virtqueue::load(StateReader& in) {
  in.begin_section(state_tag("VQUE"));
  in.expect(in.u16() == max_size_, "the snapshot's virtqueue has another maximum size");
  size_ = in.u16();
  layout_.desc = in.u64();
  layout_.avail = in.u64();
  layout_.used = in.u64();
  ready_ = in.boolean();
  broken_ = in.boolean();
  broken_reason_ = in.string(4096);
  indirect_ = in.boolean();
  event_idx_ = in.boolean();
  last_avail_ = in.u16();
  used_idx_ = in.u16();
  signalled_used_ = in.u16();
  if (ready_) {
    in.expect(size_ != 0 && size_ <= max_size_ && std::has_single_bit(size_) &&
                  ram_.contains(layout_.desc, desc_table_bytes(size_)) &&
                  ram_.contains(layout_.avail, avail_ring_bytes(size_)) &&
                  ram_.contains(layout_.used, used_ring_bytes(size_)),
              "corrupted: a ready virtqueue of size " + std::to_string(size_) + " whose rings are not inside RAM");
  }
  in.end_section();
}

}  // namespace hartbox
