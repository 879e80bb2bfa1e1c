// Bytes per second with a burst, as a token bucket that starts full: what the fleet's limits
// are made of. The virtual switch polices each port with one (manager/switch.hpp: a frame that
// finds too few tokens is dropped); a machine's disks are shaped by one (devices/disk_bandwidth.hpp:
// a request that finds too few tokens waits).
//
// Time is whatever the owner counts in nanoseconds (host time for the switch, the machine's
// clock for disks), never read here. Not thread-safe: its owner locks. `bytes_per_second` 0
// means no limit.
#pragma once

#include <cstdint>

namespace hartbox {

class TokenBucket {
 public:
  TokenBucket() = default;
  TokenBucket(uint64_t bytes_per_second, uint64_t burst_bytes, uint64_t now_ns);

  bool limited() const { return rate_ != 0; }
  uint64_t bytes_per_second() const { return rate_; }
  uint64_t burst_bytes() const { return burst_; }

  // A policer's test: takes `bytes` tokens at `now_ns` if there are enough, else takes none. A
  // request larger than the burst never passes.
  bool take(uint64_t bytes, uint64_t now_ns);
  // A shaper's test: passes once the bucket holds `bytes` tokens, or is full when `bytes` is
  // larger than the burst, and then takes all `bytes` (the bucket may go into debt, which later
  // requests wait out). Over any long run the rate holds exactly, whatever the request sizes.
  bool take_or_borrow(uint64_t bytes, uint64_t now_ns);
  // Nanoseconds from `now_ns` until take_or_borrow(bytes) would pass (0: it would now).
  uint64_t wait_ns(uint64_t bytes, uint64_t now_ns) const;

 private:
  double tokens_at(uint64_t now_ns) const;  // refilled up to now_ns, capped at the burst
  void refill(uint64_t now_ns);
  double needed(uint64_t bytes) const;      // what take_or_borrow() waits for

  uint64_t rate_ = 0;
  uint64_t burst_ = 0;
  double tokens_ = 0;
  uint64_t last_ns_ = 0;
};

}  // namespace hartbox
