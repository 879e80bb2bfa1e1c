#include "core/guest_ram.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <string>

namespace hartbox {

GuestRam::PageBlock::PageBlock(size_t pages) : bytes(pages * kPageSize) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  memory = static_cast<uint8_t*>(p);
}

GuestRam::PageBlock::~PageBlock() { ::munmap(memory, bytes); }

GuestRam::GuestRam(uint64_t base, uint64_t size) : base_(base), size_(size) {
  if (size == 0 || (size & kPageMask) != 0 || (base & kPageMask) != 0)
    throw std::invalid_argument("guest RAM base and size must be non-zero multiples of 4 KiB");
  chunks_.resize(static_cast<size_t>((size + (uint64_t{1} << kChunkShift) - 1) >> kChunkShift));
}

GuestRam::~GuestRam() = default;

GuestRam::PagePtr GuestRam::new_page() {
  if (!block_ || block_used_ * kPageSize == block_->bytes) {
    // Each block twice the last (up to 2 MiB): few mappings for a big guest, little address
    // space for a small one. The size of RAM bounds it too.
    const size_t last = block_ ? block_->bytes / kPageSize : kFirstBlockPages / 2;
    const size_t pages = std::min<uint64_t>({last * 2, kMaxBlockPages, size_ / kPageSize});
    block_ = std::make_shared<PageBlock>(std::max<size_t>(pages, 1));
    block_used_ = 0;
  }
  uint8_t* page = block_->memory + block_used_++ * kPageSize;
  // The page's own reference count (use_count() says whether it is shared), holding its block.
  return PagePtr(page, [block = block_](uint8_t*) {});
}

GuestRam::PagePtr& GuestRam::slot(uint64_t paddr) {
  const uint64_t off = paddr - base_;
  auto& chunk = chunks_[off >> kChunkShift];
  if (!chunk) chunk = std::make_unique<Chunk>();
  return chunk->pages[(off >> kPageShift) & (kPagesPerChunk - 1)];
}

uint8_t* GuestRam::allocate(uint64_t paddr) {
  PagePtr& page = slot(paddr);
  if (!page) {
    if (page_limit_ && resident_pages_ >= page_limit_)
      throw MemoryLimitExceeded("the guest touched more than its memory limit of " + std::to_string(page_limit_) +
                                " pages");
    page = new_page();  // fresh from the kernel: zeros
    ++resident_pages_;
  }
  return page.get();
}

uint8_t* GuestRam::page_for_write(uint64_t paddr) {
  PagePtr& page = slot(paddr);
  if (!page) return allocate(paddr);
  if (page.use_count() > 1) {
    // Shared with another machine: copy it, and tell whoever cached the old pointer.
    PagePtr copy = new_page();
    std::memcpy(copy.get(), page.get(), kPageSize);
    page = std::move(copy);
    if (page_observer_) page_observer_->page_replaced(paddr & ~kPageMask);
  }
  return page.get();
}

const uint8_t* GuestRam::page_if_resident(uint64_t paddr) const {
  const uint64_t off = paddr - base_;
  const Chunk* chunk = chunks_[off >> kChunkShift].get();
  return chunk ? chunk->pages[(off >> kPageShift) & (kPagesPerChunk - 1)].get() : nullptr;
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
    std::memcpy(host_for_write(paddr), in, n);
    paddr += n, in += n, len -= n;
  }
}

void GuestRam::fill(uint64_t paddr, uint8_t value, size_t len) {
  if (write_observer_) write_observer_->ram_written(paddr, len);
  while (len > 0) {
    size_t n = std::min<size_t>(len, kPageSize - (paddr & kPageMask));
    std::memset(host_for_write(paddr), value, n);
    paddr += n, len -= n;
  }
}

void GuestRam::share_pages_from(GuestRam& other) {
  if (other.base_ != base_ || other.size_ != size_)
    throw std::invalid_argument("copy-on-write sharing needs RAM of the same base and size");
  if (write_observer_) write_observer_->ram_written(base_, size_);  // all our bytes change
  resident_pages_ = 0;
  for (size_t c = 0; c < chunks_.size(); ++c) {
    chunks_[c].reset();
    if (!other.chunks_[c]) continue;
    chunks_[c] = std::make_unique<Chunk>();
    for (uint64_t i = 0; i < kPagesPerChunk; ++i) {
      chunks_[c]->pages[i] = other.chunks_[c]->pages[i];
      if (chunks_[c]->pages[i]) ++resident_pages_;
    }
  }
  if (page_observer_) page_observer_->pages_shared();
  if (other.page_observer_) other.page_observer_->pages_shared();
}

size_t GuestRam::shared_pages() const {
  size_t shared = 0;
  for (const auto& chunk : chunks_) {
    if (!chunk) continue;
    for (const PagePtr& page : chunk->pages)
      if (page && page.use_count() > 1) ++shared;
  }
  return shared;
}

}  // namespace hartbox
