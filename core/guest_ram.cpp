#include "core/guest_ram.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <stdexcept>

namespace hartbox {

GuestRam::GuestRam(uint64_t base, uint64_t size) : base_(base), size_(size) {
  if (size == 0 || (size & kPageMask) != 0 || (base & kPageMask) != 0)
    throw std::invalid_argument("guest RAM base and size must be non-zero multiples of 4 KiB");
  chunks_.resize(static_cast<size_t>((size + (uint64_t{1} << kChunkShift) - 1) >> kChunkShift));
}

GuestRam::~GuestRam() {
  for (auto& chunk : chunks_) {
    if (!chunk) continue;
    for (uint8_t* p : chunk->pages) std::free(p);
  }
}

uint8_t* GuestRam::allocate(uint64_t paddr) {
  std::lock_guard lock(allocation_mutex_);
  uint64_t off = paddr - base_;
  auto& chunk = chunks_[off >> kChunkShift];
  if (!chunk) chunk = std::make_unique<Chunk>();
  uint8_t*& slot = chunk->pages[(off >> kPageShift) & (kPagesPerChunk - 1)];
  if (!slot) {
    void* p = std::aligned_alloc(kPageSize, kPageSize);
    if (!p) throw std::bad_alloc();
    std::memset(p, 0, kPageSize);
    slot = static_cast<uint8_t*>(p);
    ++resident_pages_;
  }
  return slot;
}

const uint8_t* GuestRam::page_if_resident(uint64_t paddr) const {
  uint64_t off = paddr - base_;
  const Chunk* chunk = chunks_[off >> kChunkShift].get();
  return chunk ? chunk->pages[(off >> kPageShift) & (kPagesPerChunk - 1)] : nullptr;
}

void GuestRam::read(uint64_t paddr, void* dst, size_t len) {
  auto* out = static_cast<uint8_t*>(dst);
  while (len > 0) {
    size_t n = std::min<size_t>(len, kPageSize - (paddr & kPageMask));
    std::memcpy(out, host(paddr), n);
    paddr += n, out += n, len -= n;
  }
}

void GuestRam::write(uint64_t paddr, const void* src, size_t len) {
  if (write_observer_) write_observer_->ram_written(paddr, len);
  auto* in = static_cast<const uint8_t*>(src);
  while (len > 0) {
    size_t n = std::min<size_t>(len, kPageSize - (paddr & kPageMask));
    std::memcpy(host(paddr), in, n);
    paddr += n, in += n, len -= n;
  }
}

void GuestRam::fill(uint64_t paddr, uint8_t value, size_t len) {
  if (write_observer_) write_observer_->ram_written(paddr, len);
  while (len > 0) {
    size_t n = std::min<size_t>(len, kPageSize - (paddr & kPageMask));
    std::memset(host(paddr), value, n);
    paddr += n, len -= n;
  }
}

}  // namespace hartbox
