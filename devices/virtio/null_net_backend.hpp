// A network backend with nothing behind it: the card's link is up, frames sent are dropped (and
// counted), nothing is ever received. `--nic none`, and the inside of `--nic pcap=FILE`.
#pragma once

#include <atomic>

#include "devices/virtio/net_backend.hpp"

namespace hartbox {

class DiscardingNetBackend final : public NetBackend {
 public:
  void send(std::span<const uint8_t>) override { sent_.fetch_add(1, std::memory_order_relaxed); }
  void set_receiver(NetFrameSink*) override {}
  uint64_t frames_sent() const { return sent_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> sent_{0};
};

}  // namespace hartbox
