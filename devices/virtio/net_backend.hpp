// What a virtio-net device is plugged into: a NetBackend carries Ethernet frames (without any
// virtio header) between the device and a network.
//
// Frames leave through send(), called on the sending machine's thread. Frames arrive through the
// NetFrameSink the device registered with set_receiver(); a backend may call it from any thread
// (another machine's thread for a LoopbackPair or the manager's switch), so a sink only queues
// the frame and never touches guest memory there (VirtioNet hands it to the guest on its own
// machine's thread, in poll()).
//
// Contract for every backend: after set_receiver(nullptr) (or another sink) returns, the previous
// sink is no longer called and no call to it is still running, so a device can detach in its
// destructor. A sink must not call back into the backend from deliver().
//
// The backends here: LoopbackPair (two devices wired back to back, in one process) and
// PcapCapture (records everything that passes through another backend into a pcap file). The
// manager's virtual switch implements the same interface.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <stdexcept>
#include <string>

struct pcap;
struct pcap_dumper;

namespace hartbox {

struct NetBackendError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class NetFrameSink {
 public:
  virtual ~NetFrameSink() = default;
  // A frame from the network. Any thread; must not block for long.
  virtual void deliver(std::span<const uint8_t> frame) = 0;
};

class NetBackend {
 public:
  virtual ~NetBackend() = default;
  // A frame from the device to the network.
  virtual void send(std::span<const uint8_t> frame) = 0;
  // Where frames from the network go (nullptr: they are dropped). See the contract above.
  virtual void set_receiver(NetFrameSink* sink) = 0;
};

// Two backends wired back to back: a frame sent on one end is delivered to the other end's
// receiver (or dropped, and counted, if it has none). Thread-safe.
class LoopbackPair {
 public:
  LoopbackPair();
  LoopbackPair(const LoopbackPair&) = delete;
  LoopbackPair& operator=(const LoopbackPair&) = delete;

  NetBackend& end(unsigned index) { return ends_[index & 1]; }
  uint64_t dropped() const;

 private:
  class End final : public NetBackend {
   public:
    void send(std::span<const uint8_t> frame) override;
    void set_receiver(NetFrameSink* sink) override;

   private:
    friend class LoopbackPair;
    LoopbackPair* pair_ = nullptr;
    unsigned index_ = 0;
  };

  mutable std::mutex mutex_;  // held while delivering, so detaching waits for deliveries
  NetFrameSink* sinks_[2] = {nullptr, nullptr};
  uint64_t dropped_ = 0;
  End ends_[2];
};

// Wraps another backend and records every frame that passes, in both directions, to a pcap file
// (LINKTYPE_ETHERNET, snapshot length 65535) written with libpcap. Host wall-clock timestamps.
// Thread-safe. The file is complete once the capture is destroyed (or after flush()).
class PcapCapture final : public NetBackend, private NetFrameSink {
 public:
  static constexpr int kSnapLen = 65535;

  // `inner` must outlive the capture. Throws NetBackendError if the file cannot be created.
  PcapCapture(NetBackend& inner, const std::string& path);
  ~PcapCapture() override;
  PcapCapture(const PcapCapture&) = delete;
  PcapCapture& operator=(const PcapCapture&) = delete;

  void send(std::span<const uint8_t> frame) override;
  void set_receiver(NetFrameSink* sink) override;

  void flush();
  uint64_t frames_recorded() const;

 private:
  void deliver(std::span<const uint8_t> frame) override;
  void record_locked(std::span<const uint8_t> frame);

  NetBackend& inner_;
  mutable std::mutex mutex_;  // guards the pcap handles, the counter and sink_
  ::pcap* pcap_ = nullptr;
  ::pcap_dumper* dumper_ = nullptr;
  NetFrameSink* sink_ = nullptr;
  uint64_t recorded_ = 0;
};

}  // namespace hartbox
