// Fuzz target `virtio_net`: the virtio-net transmit and receive paths (devices/virtio/net.hpp)
// driven by a hostile driver (fuzz/virtio_rig.hpp), with frames arriving from the network when
// the input says so.
//
// Checked beyond memory safety: every frame the device sends to the backend holds at least an
// Ethernet header and at most kMaxFrameBytes; frames delivered from the network are queued at
// most max_pending_rx deep (the rest dropped and counted); the device's counters add up.
//
// Input: byte 0 picks the transport version, byte 1 the MTU and pending-frame limit; the rest is
// the driver program. Driver action 12 delivers a frame (its length and a fill pattern, or bytes
// from the input), 13 delivers a burst of small frames.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "devices/virtio/net.hpp"
#include "fuzz/fuzz_support.hpp"
#include "fuzz/virtio_rig.hpp"

using namespace hartbox;

namespace {

class RecordingBackend final : public NetBackend {
 public:
  void send(std::span<const uint8_t> frame) override {
    fuzz::require(frame.size() >= VirtioNet::kEthernetHeader && frame.size() <= VirtioNet::kMaxFrameBytes,
                  "the device sent a frame of " + std::to_string(frame.size()) + " bytes");
    ++sent;
  }
  void set_receiver(NetFrameSink* s) override { sink = s; }

  NetFrameSink* sink = nullptr;
  uint64_t sent = 0;
};

class Network final : public fuzz::DeviceActions {
 public:
  Network(RecordingBackend& backend, VirtioNet& device, size_t max_pending)
      : backend_(backend), device_(device), max_pending_(max_pending) {}

  void act(uint8_t opcode, fuzz::InputReader& in) override {
    if (!backend_.sink) return;
    if (opcode % 16 == 12) {
      const uint8_t how = in.u8();
      if (how & 1) {
        std::span<const uint8_t> bytes = in.bytes(in.u16() % 2048);
        frame_.assign(bytes.begin(), bytes.end());
      } else {
        // Up to a little beyond the largest frame, to reach the oversize drop.
        const size_t len = (how & 2) ? VirtioNet::kMaxFrameBytes - 4 + in.u8() % 8 : in.u16() % 4096;
        frame_.assign(len, static_cast<uint8_t>(how));
      }
      backend_.sink->deliver(frame_);
      ++delivered_;
    } else if (opcode % 16 == 13) {
      const unsigned n = in.u8() % 64;
      frame_.assign(60, 0x5a);
      for (unsigned i = 0; i < n; ++i) backend_.sink->deliver(frame_);
      delivered_ += n;
    }
  }

  void check() override {
    const VirtioNet::Stats s = device_.stats();
    const size_t pending = device_.pending_rx_frames();
    fuzz::require(pending <= max_pending_, "pending receive frames " + std::to_string(pending) + " exceed the limit");
    fuzz::require(s.tx_frames == backend_.sent, "tx_frames does not count the frames sent");
    // Every delivered frame is pending, received, dropped, or refused for a small buffer (or
    // discarded by a device reset, which only lowers the sum).
    fuzz::require(s.rx_frames + s.rx_dropped + s.rx_buffer_too_small + pending <= delivered_,
                  "receive counters exceed the frames delivered");
  }

 private:
  RecordingBackend& backend_;
  VirtioNet& device_;
  size_t max_pending_;
  std::vector<uint8_t> frame_;
  uint64_t delivered_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::InputReader in(std::span<const uint8_t>(data, size));
  const uint8_t version = in.u8();
  const uint8_t shape = in.u8();
  RecordingBackend backend;
  VirtioNetConfig config;
  config.mtu = (shape & 1) ? static_cast<uint16_t>(68 + (shape >> 1) * 37) : 0;
  config.max_pending_rx = 1 + (shape >> 4);
  config.queue_size = 256;
  unsigned wakeups = 0;
  config.rx_wakeup = [&wakeups] { ++wakeups; };
  const size_t max_pending = config.max_pending_rx;
  auto device = std::make_unique<VirtioNet>(&backend, config);
  VirtioNet& net = *device;
  fuzz::VirtioRig rig(std::move(device), (version & 1) ? VirtioMmio::Version::Legacy : VirtioMmio::Version::Modern);
  Network network(backend, net, max_pending);
  rig.run(in, &network);
  return 0;
}
