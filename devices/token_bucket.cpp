#include "devices/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace hartbox {

TokenBucket::TokenBucket(uint64_t bytes_per_second, uint64_t burst_bytes, uint64_t now_ns)
    : rate_(bytes_per_second), burst_(burst_bytes), tokens_(static_cast<double>(burst_bytes)), last_ns_(now_ns) {}

double TokenBucket::tokens_at(uint64_t now_ns) const {
  if (now_ns <= last_ns_) return tokens_;
  const double earned = static_cast<double>(now_ns - last_ns_) * 1e-9 * static_cast<double>(rate_);
  return std::min(static_cast<double>(burst_), tokens_ + earned);
}

void TokenBucket::refill(uint64_t now_ns) {
  if (now_ns <= last_ns_) return;  // a clock read "before" the last one (another thread's): no refill
  tokens_ = tokens_at(now_ns);
  last_ns_ = now_ns;
}

double TokenBucket::needed(uint64_t bytes) const {
  return static_cast<double>(std::min(bytes, burst_));
}

bool TokenBucket::take(uint64_t bytes, uint64_t now_ns) {
  if (rate_ == 0) return true;
  refill(now_ns);
  if (tokens_ < static_cast<double>(bytes)) return false;
  tokens_ -= static_cast<double>(bytes);
  return true;
}

bool TokenBucket::take_or_borrow(uint64_t bytes, uint64_t now_ns) {
  if (rate_ == 0) return true;
  refill(now_ns);
  if (tokens_ < needed(bytes)) return false;
  tokens_ -= static_cast<double>(bytes);
  return true;
}

uint64_t TokenBucket::wait_ns(uint64_t bytes, uint64_t now_ns) const {
  if (rate_ == 0) return 0;
  const double missing = needed(bytes) - tokens_at(now_ns);
  if (missing <= 0) return 0;
  // Rounded up, so that waiting this long is always enough.
  return static_cast<uint64_t>(std::ceil(missing * 1e9 / static_cast<double>(rate_)));
}

}  // namespace hartbox
