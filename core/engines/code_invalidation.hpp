// Keeping cached decoded code exact: which physical pages hold code an engine has decoded, and
// dropping that code when those pages may have changed.
//
// A page becomes a code page when an engine decodes from it. From then on, no hart's store TLB
// maps it, so every store to it (from any hart of the machine) reaches code_page_written(); DMA
// and loader writes arrive through GuestRam's write observer; fence.i drops everything. This is
// what makes self-modifying code, and code written then run without fence.i, work.
//
// Belongs to one engine instance, which belongs to one machine; used from that machine's thread.
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "core/guest_ram.hpp"
#include "core/hart.hpp"

namespace hartbox {

class CodeInvalidation : public CodeWriteObserver, public RamWriteObserver {
 public:
  ~CodeInvalidation() override;

  // Starts observing `hart` (and its RAM); idempotent.
  void observe(Hart& hart);

  bool is_code_page(uint64_t paddr) const override { return pages_.contains(paddr >> kPageShift); }
  void code_page_written(uint64_t paddr_page) override;
  void instruction_fence() override;
  void ram_written(uint64_t paddr, uint64_t len) override;

  uint64_t invalidations() const { return invalidations_; }

 protected:
  // Records that code was decoded from the page holding `paddr`, and removes the page from
  // every observed hart's store TLB.
  void mark_code_page(uint64_t paddr);
  // Drop everything decoded from one page, or from all pages.
  virtual void drop_page(uint64_t page_number) = 0;
  virtual void drop_all() = 0;

 private:
  void invalidate_page(uint64_t page_number);

  std::unordered_set<uint64_t> pages_;  // physical page numbers holding decoded code
  std::vector<Hart*> harts_;
  GuestRam* ram_ = nullptr;
  uint64_t invalidations_ = 0;
};

}  // namespace hartbox
