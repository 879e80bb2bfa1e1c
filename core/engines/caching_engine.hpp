// Base of the engines that cache decoded code (threaded, block): registers the engine's cache
// with the machine's CodePages, or with a private one when the engine runs a lone hart.
#pragma once

#include <memory>

#include "core/engines/code_pages.hpp"
#include "core/engines/engine.hpp"

namespace hartbox {

class CachingEngine : public Engine, protected CodeCache {
 public:
  explicit CachingEngine(CodePages* shared) {
    if (!shared) {
      own_pages_ = std::make_unique<CodePages>();
      shared = own_pages_.get();
    }
    pages_ = shared;
    pages_->add_cache(*this);
  }
  ~CachingEngine() override { pages_->remove_cache(*this); }
  CachingEngine(const CachingEngine&) = delete;
  CachingEngine& operator=(const CachingEngine&) = delete;

 protected:
  CodePages& code_pages() { return *pages_; }

 private:
  std::unique_ptr<CodePages> own_pages_;  // declared first: destroyed after the caches detach
  CodePages* pages_ = nullptr;
};

}  // namespace hartbox
