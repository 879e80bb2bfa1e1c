// Guest physical RAM, paged: 4 KiB host pages allocated on first touch.
//
// A machine with `-m 4G` that touches 1 MiB costs about 1 MiB of host memory. The page
// table is two-level (2 MiB chunks of 512 page pointers), so reaching a resident page is
// two indexed loads, never a map lookup, and an untouched 2 MiB region costs one null pointer.
//
// Owned by one machine. Page allocation is not thread-safe against itself: harts of one
// machine that run on different host threads take `allocation_mutex()` (cheap: it is only
// touched when a page is first allocated, which the per-hart TLB then caches).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <vector>

namespace hartbox {

inline constexpr unsigned kPageShift = 12;
inline constexpr uint64_t kPageSize = uint64_t{1} << kPageShift;
inline constexpr uint64_t kPageMask = kPageSize - 1;

// Told when RAM is written other than through a hart's TLB fast path (device DMA, loaders,
// host services), so engines can drop code they decoded from those bytes.
class RamWriteObserver {
 public:
  virtual ~RamWriteObserver() = default;
  virtual void ram_written(uint64_t paddr, uint64_t len) = 0;
};

class GuestRam {
 public:
  GuestRam(uint64_t base, uint64_t size);
  GuestRam(const GuestRam&) = delete;
  GuestRam& operator=(const GuestRam&) = delete;
  ~GuestRam();

  uint64_t base() const { return base_; }
  uint64_t size() const { return size_; }
  bool contains(uint64_t paddr, uint64_t len = 1) const {
    return paddr >= base_ && len <= size_ && paddr - base_ <= size_ - len;
  }

  // Host pointer to the start of the page holding `paddr`, allocating (zeroed) on first
  // touch. `paddr` must be inside RAM.
  uint8_t* page(uint64_t paddr) {
    uint64_t off = paddr - base_;
    Chunk* chunk = chunks_[off >> kChunkShift].get();
    if (chunk) {
      uint8_t* p = chunk->pages[(off >> kPageShift) & (kPagesPerChunk - 1)];
      if (p) return p;
    }
    return allocate(paddr);
  }
  // Host pointer to the byte at `paddr` (inside RAM), allocating its page if needed.
  uint8_t* host(uint64_t paddr) { return page(paddr) + (paddr & kPageMask); }

  // Null if the page was never touched (for snapshots and statistics; never allocates).
  const uint8_t* page_if_resident(uint64_t paddr) const;

  // Bulk copies that may cross pages; the range must be inside RAM. Writes notify the
  // write observer (device DMA goes through these).
  void read(uint64_t paddr, void* dst, size_t len);
  void write(uint64_t paddr, const void* src, size_t len);
  void fill(uint64_t paddr, uint8_t value, size_t len);

  size_t resident_pages() const { return resident_pages_; }

  void set_write_observer(RamWriteObserver* observer) { write_observer_ = observer; }

 private:
  static constexpr unsigned kChunkShift = 21;  // 2 MiB
  static constexpr uint64_t kPagesPerChunk = uint64_t{1} << (kChunkShift - kPageShift);
  struct Chunk {
    uint8_t* pages[kPagesPerChunk] = {};
  };
  uint8_t* allocate(uint64_t paddr);

  uint64_t base_;
  uint64_t size_;
  std::vector<std::unique_ptr<Chunk>> chunks_;
  size_t resident_pages_ = 0;
  RamWriteObserver* write_observer_ = nullptr;
  std::mutex allocation_mutex_;
};

}  // namespace hartbox
