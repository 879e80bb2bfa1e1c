#include "core/engines/code_pages.hpp"

#include <algorithm>

namespace hartbox {

CodePages::~CodePages() {
  for (Hart* hart : harts_)
    if (hart->code_write_observer() == this) hart->set_code_write_observer(nullptr);
  if (ram_) ram_->set_write_observer(nullptr);
}

void CodePages::observe(Hart& hart) {
  if (hart.code_write_observer() == this) return;
  hart.set_code_write_observer(this);
  if (std::find(harts_.begin(), harts_.end(), &hart) == harts_.end()) harts_.push_back(&hart);
  ram_ = &hart.bus().ram();
  ram_->set_write_observer(this);
  // Store TLB entries made before we observed may point at pages that are about to be cached.
  hart.flush_tlb();
}

void CodePages::add_cache(CodeCache& cache) {
  if (std::find(caches_.begin(), caches_.end(), &cache) == caches_.end()) caches_.push_back(&cache);
}

void CodePages::remove_cache(CodeCache& cache) { std::erase(caches_, &cache); }

void CodePages::mark_code_page(uint64_t paddr) {
  if (pages_.insert(paddr >> kPageShift).second)
    for (Hart* hart : harts_) hart->tlb().flush_physical_page(paddr);
}

void CodePages::invalidate_page(uint64_t page_number) {
  pages_.erase(page_number);
  ++invalidations_;
  for (Hart* hart : harts_) hart->request_sync();  // the running code may be what changed
  for (CodeCache* cache : caches_) cache->drop_page(page_number);
}

void CodePages::code_page_written(uint64_t paddr_page) {
  if (is_code_page(paddr_page)) invalidate_page(paddr_page >> kPageShift);
}

void CodePages::instruction_fence() {
  if (pages_.empty()) return;
  pages_.clear();
  ++invalidations_;
  for (Hart* hart : harts_) hart->request_sync();
  for (CodeCache* cache : caches_) cache->drop_all();
}

void CodePages::ram_written(uint64_t paddr, uint64_t len) {
  if (pages_.empty() || len == 0) return;
  const uint64_t first = paddr >> kPageShift, last = (paddr + len - 1) >> kPageShift;
  for (uint64_t page = first; page <= last; ++page)
    if (pages_.contains(page)) invalidate_page(page);
}

}  // namespace hartbox
