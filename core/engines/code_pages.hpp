// Keeping cached decoded code exact: which physical pages hold code that an engine has decoded,
// and dropping that code when those pages may have changed.
//
// One CodePages belongs to a machine and is shared by the engines of all its harts. A page
// becomes a code page when any engine decodes from it. From then on no hart's store TLB maps
// it, so every store to it, from any hart, reaches code_page_written(); DMA and loader writes
// arrive through GuestRam's write observer; fence.i drops everything. Each engine that caches
// code registers as a CodeCache and drops what it decoded from a page when told. This is what
// makes self-modifying code, and code written then run without fence.i, work.
//
// Used from the thread that runs the machine.
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "core/guest_ram.hpp"
#include "core/hart.hpp"

namespace hartbox {

// An engine's cache of decoded code.
class CodeCache {
 public:
  virtual ~CodeCache() = default;
  virtual void drop_page(uint64_t page_number) = 0;  // physical page number
  virtual void drop_all() = 0;
};

class CodePages final : public CodeWriteObserver, public RamWriteObserver {
 public:
  CodePages() = default;
  CodePages(const CodePages&) = delete;
  CodePages& operator=(const CodePages&) = delete;
  ~CodePages() override;

  // Starts observing `hart` and its RAM; idempotent.
  void observe(Hart& hart);
  void add_cache(CodeCache& cache);
  void remove_cache(CodeCache& cache);

  // Records that code was decoded from the page holding `paddr`, and removes the page from
  // every observed hart's TLB, so that stores to it take the slow path.
  void mark_code_page(uint64_t paddr);

  bool is_code_page(uint64_t paddr) const override { return pages_.contains(paddr >> kPageShift); }
  void code_page_written(uint64_t paddr_page) override;
  void instruction_fence() override;
  void ram_written(uint64_t paddr, uint64_t len) override;

  uint64_t invalidations() const { return invalidations_; }

 private:
  void invalidate_page(uint64_t page_number);

  std::unordered_set<uint64_t> pages_;  // physical page numbers holding decoded code
  std::vector<Hart*> harts_;
  std::vector<CodeCache*> caches_;
  GuestRam* ram_ = nullptr;
  uint64_t invalidations_ = 0;
};

}  // namespace hartbox
