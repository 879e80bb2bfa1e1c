// A machine's disk bandwidth limit: the bytes per second that all of its virtio-blk disks move
// together (the fleet spec's limits.disk_bytes_per_second), as a token bucket
// (devices/token_bucket.hpp) that runs on the machine's own clock: a virtual-time machine gets
// so many bytes per virtual second, reproducibly; a real-time one per host second.
//
// A request that finds the bucket short is not failed: VirtioBlock leaves it on its ring and
// tries again from poll(), and next_deadline() tells the board (VirtBoard::next_deadline) when
// it can run, so a machine whose harts wait in WFI for it is parked until then, as for a timer,
// instead of spinning. What counts is the data a request reads or writes (IN and OUT); flushes,
// discards, zeroing and GET_ID are free.
//
// Owned by its Machine, one per machine (no state is shared between machines); used on the
// machine's thread only, by its disks and its board.
#pragma once

#include <cstdint>
#include <limits>

#include "devices/clock.hpp"
#include "devices/token_bucket.hpp"

namespace hartbox {

struct DiskBandwidthStats {
  uint64_t requests = 0;   // admitted, limited or not
  uint64_t bytes = 0;      // their data
  uint64_t throttled = 0;  // requests that had to wait at least once
};

class DiskBandwidth {
 public:
  static constexpr uint64_t kNoDeadline = std::numeric_limits<uint64_t>::max();

  explicit DiskBandwidth(const MachineClock& clock) : clock_(clock) {}

  // 0: no limit. The burst defaults to a tenth of a second of traffic, at least 64 KiB (so a
  // typical request never waits on an idle disk). Starts with a full bucket.
  void set_limit(uint64_t bytes_per_second, uint64_t burst_bytes = 0);
  uint64_t bytes_per_second() const { return bucket_.bytes_per_second(); }
  uint64_t burst_bytes() const { return bucket_.burst_bytes(); }
  static uint64_t default_burst(uint64_t bytes_per_second);

  // May a request moving `bytes` run now? If so it is charged and counted. `retry`: the same
  // request was refused before (so it is counted as throttled once).
  bool admit(uint64_t bytes, bool retry);
  // The clock tick (mtime) at which a request of `bytes` will be admitted.
  uint64_t ready_tick(uint64_t bytes) const;

  DiskBandwidthStats stats() const { return stats_; }

 private:
  uint64_t now_ns() const;

  const MachineClock& clock_;
  TokenBucket bucket_;
  DiskBandwidthStats stats_;
};

}  // namespace hartbox
