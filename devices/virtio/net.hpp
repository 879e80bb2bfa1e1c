// virtio-net (virtio 1.2, section 5.1): one receive queue (0) and one transmit queue (1), a
// configured MAC address and link status, no offloads, no control queue, attached to a
// NetBackend.
//
// Every buffer starts with struct virtio_net_hdr (5.1.6): 12 bytes with VIRTIO_F_VERSION_1,
// 10 bytes on the legacy interface (num_buffers exists only with VIRTIO_NET_F_MRG_RXBUF, which
// is not offered). Transmitted headers are ignored (nothing that would give them meaning is
// offered); received frames get a zero header with num_buffers = 1.
//
// Threads: frames arrive from the backend on any thread (NetFrameSink::deliver) and wait in a
// bounded queue; they reach the guest on the machine's thread, when the transport's poll() runs
// or when the driver adds receive buffers. When the guest has no receive buffer the queue keeps
// up to `max_pending_rx` frames and drops (and counts) the rest, as a NIC's FIFO would.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <vector>

#include "devices/virtio/mmio_transport.hpp"
#include "devices/virtio/net_backend.hpp"

namespace hartbox {

struct VirtioNetConfig {
  std::array<uint8_t, 6> mac{0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  uint16_t mtu = 0;  // 0: VIRTIO_NET_F_MTU is not offered
  uint16_t queue_size = 256;
  size_t max_pending_rx = 256;  // frames held while the guest has no receive buffer
  // Called on the delivering thread after a frame was queued for the guest: the board's cue to
  // call the transport's poll() soon (e.g. wake a hart waiting in WFI). Must not call into the
  // device or the transport.
  std::function<void()> rx_wakeup;
};

class VirtioNet final : public VirtioDevice, private NetFrameSink {
 public:
  static constexpr uint32_t kDeviceId = 1;
  static constexpr unsigned kRxQueue = 0;
  static constexpr unsigned kTxQueue = 1;

  // Feature bits and status (5.1.3, 5.1.4).
  static constexpr unsigned kFMtu = 3;
  static constexpr unsigned kFMac = 5;
  static constexpr unsigned kFMrgRxbuf = 15;
  static constexpr unsigned kFStatus = 16;
  static constexpr uint16_t kStatusLinkUp = 1;

  static constexpr size_t kHeaderBytes = 12;
  static constexpr size_t kLegacyHeaderBytes = 10;
  static constexpr size_t kEthernetHeader = 14;
  // Largest frame carried (no segmentation offloads: an MTU of 65535 plus a VLAN header).
  static constexpr size_t kMaxFrameBytes = 65535 + 18;
  static constexpr uint32_t kConfigSize = 12;  // mac, status, max_virtqueue_pairs, mtu

  struct Stats {
    uint64_t tx_frames = 0, tx_bytes = 0, tx_dropped = 0;
    uint64_t rx_frames = 0, rx_bytes = 0;
    uint64_t rx_dropped = 0;         // the pending queue was full (or the frame too big)
    uint64_t rx_buffer_too_small = 0;  // a receive buffer could not hold the frame
  };

  // `backend` may be null (no link: transmitted frames are dropped); it must outlive the device.
  VirtioNet(NetBackend* backend, VirtioNetConfig config = {});
  ~VirtioNet() override;

  uint32_t device_id() const override { return kDeviceId; }
  uint64_t device_features() const override;
  unsigned num_queues() const override { return 2; }
  uint16_t queue_max_size(unsigned) const override { return config_.queue_size; }
  uint32_t config_size() const override { return kConfigSize; }
  void read_config(uint32_t offset, std::span<uint8_t> out) const override;
  void write_config(uint32_t offset, std::span<const uint8_t> in) override;
  void activate() override;
  void queue_notify(unsigned queue) override;
  void poll() override;
  void reset() override;
  // Snapshots: the configuration space (a legacy driver may have set the MAC), the header size
  // and the statistics. Frames received but not yet handed to the guest are not saved: they
  // count as dropped (rx_dropped) in the restored device, as if the link had lost them.
  void save(StateWriter& out) const override;
  void load(StateReader& in) override;

  Stats stats() const;
  size_t pending_rx_frames() const;

 private:
  void deliver(std::span<const uint8_t> frame) override;
  void transmit();
  void receive();
  size_t header_bytes() const { return header_bytes_; }

  NetBackend* backend_;
  const VirtioNetConfig config_;
  std::array<uint8_t, kConfigSize> config_space_{};
  size_t header_bytes_ = kHeaderBytes;
  std::vector<uint8_t> tx_buffer_;

  mutable std::mutex rx_mutex_;  // guards pending_
  std::deque<std::vector<uint8_t>> pending_;
  std::atomic<size_t> pending_count_{0};

  std::atomic<uint64_t> tx_frames_{0}, tx_bytes_{0}, tx_dropped_{0};
  std::atomic<uint64_t> rx_frames_{0}, rx_bytes_{0}, rx_dropped_{0}, rx_too_small_{0};
};

}  // namespace hartbox
