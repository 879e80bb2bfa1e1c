#include "manager/switch.hpp"

#include <pcap/pcap.h>
#include <sys/time.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace hartbox {

namespace {

constexpr size_t kEthernetHeader = 14;
constexpr int kSnapLen = 65535;

uint64_t mac_key(const uint8_t* bytes) {
  uint64_t key = 0;
  for (int i = 0; i < 6; ++i) key = (key << 8) | bytes[i];
  return key;
}

// The I/G bit (802.3 3.2.3): set for group (multicast and broadcast) addresses.
bool is_group(const uint8_t* mac) { return (mac[0] & 1) != 0; }

}  // namespace

uint64_t PortLimits::default_burst(uint64_t bytes_per_second) {
  return std::max<uint64_t>(bytes_per_second / 10, 16 * 1024);
}

// ---------------------------------------------------------------------------------------------
// A segment

struct SwitchSegment {
  struct Entry {
    SwitchPort* port;
    uint64_t seen_ns;
  };

  std::string name;
  mutable std::mutex mutex;  // guards everything below
  std::vector<std::unique_ptr<SwitchPort>> ports;
  std::unordered_map<uint64_t, Entry> macs;
  uint64_t frames = 0, bytes = 0, unicast = 0, flooded = 0, filtered = 0, captured = 0;
  ::pcap* pcap = nullptr;
  ::pcap_dumper* dumper = nullptr;

  ~SwitchSegment() {
    if (dumper) pcap_dump_close(dumper);
    if (pcap) pcap_close(pcap);
  }

  bool fresh(const Entry& e, uint64_t now, uint64_t ageing) const {
    return now <= e.seen_ns || now - e.seen_ns < ageing;  // seen "after" now: another thread's clock read
  }

  void capture_locked(std::span<const uint8_t> frame) {
    if (!dumper) return;
    struct pcap_pkthdr header {};
    struct timeval tv {};
    gettimeofday(&tv, nullptr);
    header.ts = tv;
    header.len = static_cast<bpf_u_int32>(frame.size());
    header.caplen = static_cast<bpf_u_int32>(std::min<size_t>(frame.size(), kSnapLen));
    pcap_dump(reinterpret_cast<u_char*>(dumper), &header, frame.data());
    ++captured;
  }

  // Learns `mac` behind `port`, unless the table is full of fresh entries.
  void learn_locked(uint64_t mac, SwitchPort* port, uint64_t now, const SwitchOptions& options) {
    const uint64_t ageing = static_cast<uint64_t>(options.mac_ageing.count());
    auto it = macs.find(mac);
    if (it != macs.end()) {
      it->second = {port, now};  // refreshed, or the station moved to another port
      return;
    }
    if (macs.size() >= options.max_mac_entries) {
      std::erase_if(macs, [&](const auto& kv) { return !fresh(kv.second, now, ageing); });
      if (macs.size() >= options.max_mac_entries) return;
    }
    macs.emplace(mac, Entry{port, now});
  }
};

// ---------------------------------------------------------------------------------------------
// SwitchPort

SwitchPort::SwitchPort(VirtualSwitch& owner, SwitchSegment& segment, std::string name, PortLimits limits,
                       std::function<void()> wakeup, uint64_t now_ns)
    : switch_(owner), segment_(segment), name_(std::move(name)), wakeup_(std::move(wakeup)) {
  if (limits.rx_bytes_per_second != 0) {
    const uint64_t burst =
        limits.rx_burst_bytes ? limits.rx_burst_bytes : PortLimits::default_burst(limits.rx_bytes_per_second);
    rx_bucket_ = TokenBucket(limits.rx_bytes_per_second, burst, now_ns);
  }
  if (limits.tx_bytes_per_second != 0) {
    const uint64_t burst =
        limits.tx_burst_bytes ? limits.tx_burst_bytes : PortLimits::default_burst(limits.tx_bytes_per_second);
    tx_bucket_ = TokenBucket(limits.tx_bytes_per_second, burst, now_ns);
  }
}

const std::string& SwitchPort::segment_name() const { return segment_.name; }

void SwitchPort::send(std::span<const uint8_t> frame) { switch_.forward(*this, frame); }

void SwitchPort::set_receiver(NetFrameSink* sink) {
  std::lock_guard lock(rx_mutex_);
  sink_ = sink;
}

bool SwitchPort::deliver(std::span<const uint8_t> frame, uint64_t now_ns) {
  {
    std::lock_guard lock(rx_mutex_);
    if (!sink_) {
      ++rx_no_receiver_;
      return false;
    }
    if (!rx_bucket_.take(frame.size(), now_ns)) {
      ++rx_policed_;
      return false;
    }
    // Held across deliver(): set_receiver() waits for it (the NetBackend contract).
    sink_->deliver(frame);
    ++rx_frames_;
    rx_bytes_ += frame.size();
  }
  if (wakeup_) wakeup_();
  return true;
}

PortStats SwitchPort::stats() const {
  PortStats s;
  {
    std::lock_guard lock(segment_.mutex);
    s.tx_frames = tx_frames_;
    s.tx_bytes = tx_bytes_;
    s.tx_policed = tx_policed_;
    s.tx_malformed = tx_malformed_;
  }
  std::lock_guard lock(rx_mutex_);
  s.rx_frames = rx_frames_;
  s.rx_bytes = rx_bytes_;
  s.rx_policed = rx_policed_;
  s.rx_no_receiver = rx_no_receiver_;
  return s;
}

// ---------------------------------------------------------------------------------------------
// VirtualSwitch

VirtualSwitch::VirtualSwitch(SwitchOptions options) : options_(std::move(options)) {}

VirtualSwitch::~VirtualSwitch() = default;

uint64_t VirtualSwitch::now_ns() const {
  if (options_.clock_ns) return options_.clock_ns();
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count());
}

void VirtualSwitch::add_segment(const std::string& name, const std::string& pcap_path) {
  if (name.empty()) throw NetBackendError("a network segment needs a name");
  auto segment = std::make_unique<SwitchSegment>();
  segment->name = name;
  if (!pcap_path.empty()) {
    segment->pcap = pcap_open_dead(DLT_EN10MB, kSnapLen);
    if (!segment->pcap) throw NetBackendError(pcap_path + ": cannot start a pcap capture");
    segment->dumper = pcap_dump_open(segment->pcap, pcap_path.c_str());
    if (!segment->dumper)
      throw NetBackendError(pcap_path + ": cannot create pcap file: " + pcap_geterr(segment->pcap));
  }
  std::lock_guard lock(topology_mutex_);
  if (segments_.count(name)) throw NetBackendError("network segment '" + name + "' already exists");
  segments_.emplace(name, std::move(segment));
}

bool VirtualSwitch::has_segment(const std::string& name) const {
  std::lock_guard lock(topology_mutex_);
  return segments_.count(name) != 0;
}

std::vector<std::string> VirtualSwitch::segment_names() const {
  std::lock_guard lock(topology_mutex_);
  std::vector<std::string> names;
  for (const auto& [name, segment] : segments_) names.push_back(name);
  return names;
}

SwitchPort& VirtualSwitch::add_port(const std::string& segment_name, const std::string& port_name, PortLimits limits,
                                    std::function<void()> wakeup) {
  SwitchSegment* segment = nullptr;
  {
    std::lock_guard lock(topology_mutex_);
    auto it = segments_.find(segment_name);
    if (it == segments_.end()) throw NetBackendError("no network segment named '" + segment_name + "'");
    segment = it->second.get();
  }
  // The constructor is private to the switch, hence no make_unique.
  std::unique_ptr<SwitchPort> port(new SwitchPort(*this, *segment, port_name, limits, std::move(wakeup), now_ns()));
  SwitchPort& result = *port;
  std::lock_guard lock(segment->mutex);
  segment->ports.push_back(std::move(port));
  return result;
}

SegmentStats VirtualSwitch::segment_stats(const std::string& name) const {
  SwitchSegment* segment = nullptr;
  {
    std::lock_guard lock(topology_mutex_);
    auto it = segments_.find(name);
    if (it == segments_.end()) return {};
    segment = it->second.get();
  }
  const uint64_t now = now_ns();
  const uint64_t ageing = static_cast<uint64_t>(options_.mac_ageing.count());
  std::lock_guard lock(segment->mutex);
  SegmentStats s;
  s.frames = segment->frames;
  s.bytes = segment->bytes;
  s.unicast = segment->unicast;
  s.flooded = segment->flooded;
  s.filtered = segment->filtered;
  s.captured = segment->captured;
  s.ports = segment->ports.size();
  for (const auto& [mac, entry] : segment->macs)
    if (segment->fresh(entry, now, ageing)) ++s.mac_entries;
  for (const auto& port : segment->ports) {
    s.policed += port->tx_policed_;
    std::lock_guard rx_lock(port->rx_mutex_);  // segment, then port: the only nesting of the two
    s.policed += port->rx_policed_;
  }
  return s;
}

const SwitchPort* VirtualSwitch::lookup(const std::string& name, const MacAddress& mac) const {
  SwitchSegment* segment = nullptr;
  {
    std::lock_guard lock(topology_mutex_);
    auto it = segments_.find(name);
    if (it == segments_.end()) return nullptr;
    segment = it->second.get();
  }
  const uint64_t now = now_ns();
  std::lock_guard lock(segment->mutex);
  auto it = segment->macs.find(mac_key(mac.data()));
  if (it == segment->macs.end() ||
      !segment->fresh(it->second, now, static_cast<uint64_t>(options_.mac_ageing.count())))
    return nullptr;
  return it->second.port;
}

void VirtualSwitch::flush_captures() {
  std::lock_guard lock(topology_mutex_);
  for (auto& [name, segment] : segments_) {
    std::lock_guard segment_lock(segment->mutex);
    if (segment->dumper) pcap_dump_flush(segment->dumper);
  }
}

void VirtualSwitch::forward(SwitchPort& from, std::span<const uint8_t> frame) {
  SwitchSegment& segment = from.segment_;
  // Where the frame goes; at most a handful of ports, so a small vector is fine.
  std::vector<SwitchPort*> targets;
  uint64_t now = 0;
  {
    std::lock_guard lock(segment.mutex);
    // Read under the lock: a time read before it could be older than an entry another thread
    // has just refreshed, and that entry would look aged out.
    now = now_ns();
    if (frame.size() < kEthernetHeader || is_group(frame.data() + 6)) {
      ++from.tx_malformed_;
      return;
    }
    if (!from.tx_bucket_.take(frame.size(), now)) {
      ++from.tx_policed_;
      return;
    }
    ++from.tx_frames_;
    from.tx_bytes_ += frame.size();
    ++segment.frames;
    segment.bytes += frame.size();
    segment.capture_locked(frame);
    segment.learn_locked(mac_key(frame.data() + 6), &from, now, options_);

    const uint8_t* dst = frame.data();
    SwitchPort* known = nullptr;
    if (!is_group(dst)) {
      auto it = segment.macs.find(mac_key(dst));
      if (it != segment.macs.end()) {
        if (segment.fresh(it->second, now, static_cast<uint64_t>(options_.mac_ageing.count())))
          known = it->second.port;
        else
          segment.macs.erase(it);  // aged out: flood, and relearn from the reply
      }
    }
    if (known == &from) {
      ++segment.filtered;
      return;
    }
    if (known) {
      ++segment.unicast;
      targets.push_back(known);
    } else {
      ++segment.flooded;
      for (const auto& port : segment.ports)
        if (port.get() != &from) targets.push_back(port.get());
    }
  }
  // Delivered without the segment lock, so receivers on other threads do not serialise on it.
  for (SwitchPort* port : targets) port->deliver(frame, now);
}

}  // namespace hartbox
