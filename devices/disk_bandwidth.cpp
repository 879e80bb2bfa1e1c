#include "devices/disk_bandwidth.hpp"

#include <algorithm>

namespace hartbox {

namespace {

constexpr uint64_t kNsPerSecond = 1'000'000'000;
__extension__ typedef unsigned __int128 u128;  // ticks * 10^9 overflows 64 bits after ~58 years at 10 MHz

}  // namespace

uint64_t DiskBandwidth::default_burst(uint64_t bytes_per_second) {
  return std::max<uint64_t>(bytes_per_second / 10, 64 * 1024);
}

void DiskBandwidth::set_limit(uint64_t bytes_per_second, uint64_t burst_bytes) {
  if (bytes_per_second == 0) {
    bucket_ = TokenBucket();
    return;
  }
  bucket_ = TokenBucket(bytes_per_second, burst_bytes ? burst_bytes : default_burst(bytes_per_second), now_ns());
}

uint64_t DiskBandwidth::now_ns() const {
  const u128 ns = static_cast<u128>(clock_.mtime()) * kNsPerSecond / clock_.frequency_hz();
  return ns > std::numeric_limits<uint64_t>::max() ? std::numeric_limits<uint64_t>::max() : static_cast<uint64_t>(ns);
}

bool DiskBandwidth::admit(uint64_t bytes, bool retry) {
  if (!bucket_.take_or_borrow(bytes, now_ns())) {
    if (!retry) ++stats_.throttled;
    return false;
  }
  ++stats_.requests;
  stats_.bytes += bytes;
  return true;
}

uint64_t DiskBandwidth::ready_tick(uint64_t bytes) const {
  const uint64_t now = clock_.mtime();
  const uint64_t wait = bucket_.wait_ns(bytes, now_ns());
  if (wait == 0) return now;
  // Rounded up to a whole tick: at that tick the tokens are there.
  const u128 ticks =
      (static_cast<u128>(wait) * clock_.frequency_hz() + kNsPerSecond - 1) / kNsPerSecond;
  if (ticks >= kNoDeadline - now) return kNoDeadline - 1;
  return now + static_cast<uint64_t>(ticks);
}

}  // namespace hartbox
