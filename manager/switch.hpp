// The fleet's virtual Ethernet switch: isolated L2 segments (one per tenant, say), each with
// ports that machines' virtio-net cards plug into. A port is a NetBackend.
//
// Forwarding is a learning bridge's (IEEE 802.1D, 7.8/7.9), one table per segment: a frame's
// source MAC is learnt against the port it came in on; a unicast frame to a known, fresh address
// goes to that port only (and is filtered if that is the port it came from); a frame to an
// unknown address, or to a broadcast or multicast one, is flooded to every other port of the
// segment. Nothing ever crosses from one segment to another. Entries not refreshed within the
// ageing time are forgotten (802.1D's default: 300 s).
//
// Limits: each port may police what its machine sends (tx) and what is delivered to it (rx)
// with a token bucket (devices/token_bucket.hpp; bytes per second, burst in bytes). A frame that
// finds too few tokens is dropped and counted, as a policer does; a frame larger than the burst
// never passes.
//
// Capture: a segment may record every frame that enters it (after the sender's policer) to a
// pcap file (LINKTYPE_ETHERNET) with libpcap; host wall-clock timestamps.
//
// Threads: machines on different worker threads send concurrently. Each segment has a lock for
// its MAC table, port list, counters and capture; each port a lock for its receiver and its rx
// policer, held while a frame is handed to the receiver (so set_receiver(nullptr) waits for a
// delivery in progress, the NetBackend contract). Frames from one sender reach a receiver in
// the order they were sent. Ports live as long as the switch; segments and ports may be added
// while traffic flows (for clones), never removed.
//
// Wake-ups: after a frame was handed to a port's receiver the port's `wakeup` hook runs (on the
// sender's thread, without any switch lock held), so a scheduler can unpark the receiving
// machine. (VirtioNet also calls its own rx_wakeup; a spurious wake-up is harmless.)
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "devices/token_bucket.hpp"
#include "devices/virtio/net_backend.hpp"

namespace hartbox {

using MacAddress = std::array<uint8_t, 6>;

struct PortLimits {
  uint64_t tx_bytes_per_second = 0;  // what the machine sends; 0: no limit
  uint64_t tx_burst_bytes = 0;       // 0: default_burst(tx_bytes_per_second)
  uint64_t rx_bytes_per_second = 0;  // what is delivered to the machine; 0: no limit
  uint64_t rx_burst_bytes = 0;

  // A tenth of a second of traffic, and at least two full-size frames with jumbo headroom
  // (16 KiB), so a limit never silently blocks every frame.
  static uint64_t default_burst(uint64_t bytes_per_second);
};

struct PortStats {
  uint64_t tx_frames = 0, tx_bytes = 0;  // accepted from the machine
  uint64_t tx_policed = 0;               // dropped by the tx token bucket
  uint64_t tx_malformed = 0;             // shorter than an Ethernet header, or a group source MAC
  uint64_t rx_frames = 0, rx_bytes = 0;  // handed to the machine's card
  uint64_t rx_policed = 0;               // dropped by the rx token bucket
  uint64_t rx_no_receiver = 0;           // the card had not attached (or had detached)
};

struct SegmentStats {
  uint64_t frames = 0, bytes = 0;  // entered the segment
  uint64_t unicast = 0;            // forwarded to the one port that owns the destination
  uint64_t flooded = 0;            // unknown unicast, broadcast or multicast
  uint64_t filtered = 0;           // the destination sits behind the sender's own port
  uint64_t captured = 0;           // written to the pcap file
  uint64_t policed = 0;            // dropped by its ports' token buckets (tx and rx)
  size_t mac_entries = 0;          // fresh entries in the MAC table
  size_t ports = 0;
};

struct SwitchOptions {
  std::chrono::nanoseconds mac_ageing = std::chrono::seconds(300);
  // Entries per segment; when full and nothing has aged, new addresses are not learnt (their
  // frames are flooded), so a guest spraying source addresses cannot grow host memory.
  size_t max_mac_entries = 4096;
  // Host time in nanoseconds for ageing and policing; null: std::chrono::steady_clock. Tests
  // inject a fake one. Called with switch locks held, from any thread.
  std::function<uint64_t()> clock_ns;
};

class VirtualSwitch;
struct SwitchSegment;  // a segment's MAC table, ports, counters and capture (switch.cpp)

// One port: the NetBackend a machine's virtio-net card is given. Owned by its switch.
class SwitchPort final : public NetBackend {
 public:
  void send(std::span<const uint8_t> frame) override;
  void set_receiver(NetFrameSink* sink) override;

  const std::string& name() const { return name_; }
  const std::string& segment_name() const;
  PortStats stats() const;

  SwitchPort(const SwitchPort&) = delete;
  SwitchPort& operator=(const SwitchPort&) = delete;

 private:
  friend class VirtualSwitch;
  SwitchPort(VirtualSwitch& owner, SwitchSegment& segment, std::string name, PortLimits limits,
             std::function<void()> wakeup, uint64_t now_ns);
  // Hands a frame to this port's receiver; returns true if one took it.
  bool deliver(std::span<const uint8_t> frame, uint64_t now_ns);

  VirtualSwitch& switch_;
  SwitchSegment& segment_;
  std::string name_;
  std::function<void()> wakeup_;

  mutable std::mutex rx_mutex_;  // guards sink_, rx_bucket_ and the rx counters
  NetFrameSink* sink_ = nullptr;
  TokenBucket rx_bucket_;
  uint64_t rx_frames_ = 0, rx_bytes_ = 0, rx_policed_ = 0, rx_no_receiver_ = 0;

  // The tx side is guarded by the segment's lock.
  TokenBucket tx_bucket_;
  uint64_t tx_frames_ = 0, tx_bytes_ = 0, tx_policed_ = 0, tx_malformed_ = 0;
};

class VirtualSwitch {
 public:
  explicit VirtualSwitch(SwitchOptions options = {});
  ~VirtualSwitch();
  VirtualSwitch(const VirtualSwitch&) = delete;
  VirtualSwitch& operator=(const VirtualSwitch&) = delete;

  // A new, empty segment. `pcap_path` (optional) receives every frame entering the segment.
  // Throws NetBackendError if the name is taken or empty, or the capture file cannot be created
  // (the message names the file).
  void add_segment(const std::string& name, const std::string& pcap_path = "");
  bool has_segment(const std::string& name) const;
  std::vector<std::string> segment_names() const;

  // A new port on `segment`, named `port_name` (for reports; need not be unique). `wakeup` runs
  // after a frame was delivered to the port's receiver. Throws NetBackendError for an unknown
  // segment. The port lives as long as the switch.
  SwitchPort& add_port(const std::string& segment, const std::string& port_name, PortLimits limits = {},
                       std::function<void()> wakeup = {});

  SegmentStats segment_stats(const std::string& segment) const;
  // The port a fresh MAC-table entry points at, if any (for tests and inspection).
  const SwitchPort* lookup(const std::string& segment, const MacAddress& mac) const;
  // Writes buffered capture data to the files.
  void flush_captures();

 private:
  friend class SwitchPort;
  uint64_t now_ns() const;
  void forward(SwitchPort& from, std::span<const uint8_t> frame);

  SwitchOptions options_;
  mutable std::mutex topology_mutex_;  // guards segments_ (the map, not the segments)
  std::map<std::string, std::unique_ptr<SwitchSegment>> segments_;
};

}  // namespace hartbox
