// virtio-rng, the entropy device (virtio 1.2, section 5.4): one request queue whose
// device-writable buffers the device fills with random bytes from the host's getrandom(2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "devices/virtio/mmio_transport.hpp"

namespace hartbox {

class VirtioRng final : public VirtioDevice {
 public:
  static constexpr uint32_t kDeviceId = 4;
  // At most this many bytes per request: the device may fill less than the buffer (5.4.6), and
  // a guest asking for gigabytes must not hold the transport for long.
  static constexpr size_t kMaxBytesPerRequest = 64 * 1024;

  explicit VirtioRng(uint16_t queue_size = 64) : queue_size_(queue_size) {}

  uint32_t device_id() const override { return kDeviceId; }
  uint64_t device_features() const override;
  unsigned num_queues() const override { return 1; }
  uint16_t queue_max_size(unsigned) const override { return queue_size_; }
  uint32_t config_size() const override { return 0; }
  void read_config(uint32_t, std::span<uint8_t>) const override {}
  void queue_notify(unsigned queue) override;
  void reset() override {}
  // Snapshots: nothing of its own beyond the queue, which the transport saves (the default
  // VirtioDevice::save/load).

 private:
  uint16_t queue_size_;
};

}  // namespace hartbox
