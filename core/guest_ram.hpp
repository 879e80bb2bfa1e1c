// Guest physical RAM, paged: 4 KiB host pages allocated on first touch, shareable
// copy-on-write between machines.
//
// A machine with `-m 4G` that touches 1 MiB costs about 1 MiB of host memory. The page table
// is two-level (2 MiB chunks of 512 page slots), so reaching a resident page is two indexed
// loads, never a map lookup, and an untouched 2 MiB region costs one null pointer.
//
// Clones: share_pages_from() makes this RAM share every resident page of a template; a page is
// copied the first time either side writes it (page_for_write). Reads never copy. A hart's
// store TLB therefore maps only pages it owns alone, and whoever holds host pointers to a page
// that gets replaced hears about it through the RamPageObserver.
//
// Pages come from blocks that this RAM maps from the kernel as it grows (16 pages at first,
// doubling up to 2 MiB): the kernel zero-fills a page when it is first touched, and a resident
// page costs its 4 KiB plus a small reference count, where a page of its own from malloc cost
// about twice that. A block is unmapped when its last page is dropped, by whichever machine
// held it last (a clone may keep a template's block alive).
//
// Owned by one machine and used from the thread that runs it; page sharing between machines is
// safe across threads (the page's reference count is atomic, and a shared page is never
// written).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
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

// Told when host pointers into this RAM may have gone stale: a shared page was replaced by a
// private copy, or pages became shared (so cached write pointers must go). The machine drops
// its harts' TLB entries.
class RamPageObserver {
 public:
  virtual ~RamPageObserver() = default;
  virtual void page_replaced(uint64_t paddr) = 0;
  virtual void pages_shared() = 0;
};

// The guest touched more pages than its memory limit allows.
struct MemoryLimitExceeded : std::runtime_error {
  using std::runtime_error::runtime_error;
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

  // Host pointer to the start of the page holding `paddr` (inside RAM), for reading; allocates
  // a zeroed page on first touch. The page may be shared with other machines: never write it.
  uint8_t* page(uint64_t paddr) {
    const uint64_t off = paddr - base_;
    if (Chunk* chunk = chunks_[off >> kChunkShift].get()) {
      if (uint8_t* p = chunk->pages[(off >> kPageShift) & (kPagesPerChunk - 1)].get()) return p;
    }
    return allocate(paddr);
  }
  // The same for writing: a page shared with another machine is copied first.
  uint8_t* page_for_write(uint64_t paddr);
  uint8_t* host(uint64_t paddr) { return page(paddr) + (paddr & kPageMask); }
  uint8_t* host_for_write(uint64_t paddr) { return page_for_write(paddr) + (paddr & kPageMask); }

  // Null if the page was never touched (for snapshots and statistics; never allocates).
  const uint8_t* page_if_resident(uint64_t paddr) const;

  // Bulk copies that may cross pages; the range must be inside RAM. Writes notify the write
  // observer (device DMA goes through these).
  void read(uint64_t paddr, void* dst, size_t len);
  void write(uint64_t paddr, const void* src, size_t len);
  void fill(uint64_t paddr, uint8_t value, size_t len);

  // Makes this RAM (same base and size) share every resident page of `other`, copy-on-write on
  // both sides; this RAM's own pages are dropped first. Both sides' page observers are told.
  void share_pages_from(GuestRam& other);

  // Pages allocated for this RAM, and how many of them are shared with other machines.
  size_t resident_pages() const { return resident_pages_; }
  size_t shared_pages() const;
  // At most this many resident pages (0: no limit); touching another throws MemoryLimitExceeded.
  void set_page_limit(size_t pages) { page_limit_ = pages; }

  void set_write_observer(RamWriteObserver* observer) { write_observer_ = observer; }
  void set_page_observer(RamPageObserver* observer) { page_observer_ = observer; }

 private:
  static constexpr unsigned kChunkShift = 21;  // 2 MiB
  static constexpr uint64_t kPagesPerChunk = uint64_t{1} << (kChunkShift - kPageShift);
  using PagePtr = std::shared_ptr<uint8_t>;  // the reference count says whether it is shared
  struct Chunk {
    PagePtr pages[kPagesPerChunk];
  };
  // A run of pages mapped at once; unmapped when the last page taken from it is dropped.
  struct PageBlock {
    uint8_t* memory;
    size_t bytes;
    PageBlock(size_t pages);
    ~PageBlock();
    PageBlock(const PageBlock&) = delete;
    PageBlock& operator=(const PageBlock&) = delete;
  };
  static constexpr size_t kFirstBlockPages = 16;
  static constexpr size_t kMaxBlockPages = 512;
  PagePtr& slot(uint64_t paddr);
  uint8_t* allocate(uint64_t paddr);
  // A page of zeros (untouched, so not yet resident) from the current block.
  PagePtr new_page();

  uint64_t base_;
  uint64_t size_;
  std::vector<std::unique_ptr<Chunk>> chunks_;
  size_t resident_pages_ = 0;
  size_t page_limit_ = 0;
  std::shared_ptr<PageBlock> block_;  // where new pages come from
  size_t block_used_ = 0;             // pages of it handed out
  RamWriteObserver* write_observer_ = nullptr;
  RamPageObserver* page_observer_ = nullptr;
};

}  // namespace hartbox
