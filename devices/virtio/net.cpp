#include "devices/virtio/net.hpp"

#include <algorithm>
#include <cstring>

#include "core/state_io.hpp"

namespace hartbox {

using namespace virtio;

VirtioNet::VirtioNet(NetBackend* backend, VirtioNetConfig config)
    : backend_(backend), config_(std::move(config)) {
  reset();
  if (backend_) backend_->set_receiver(this);
}

VirtioNet::~VirtioNet() {
  // After this returns no delivery to us is running (the NetBackend contract).
  if (backend_) backend_->set_receiver(nullptr);
}

uint64_t VirtioNet::device_features() const {
  uint64_t f = feature_bit(kFVersion1) | feature_bit(kFRingIndirectDesc) | feature_bit(kFRingEventIdx) |
               feature_bit(kFMac) | feature_bit(kFStatus);
  if (config_.mtu != 0) f |= feature_bit(kFMtu);
  return f;
}

void VirtioNet::reset() {
  // struct virtio_net_config (5.1.4): mac, status, max_virtqueue_pairs, mtu.
  config_space_.fill(0);
  std::memcpy(config_space_.data(), config_.mac.data(), 6);
  store_le16(&config_space_[6], backend_ ? kStatusLinkUp : 0);
  store_le16(&config_space_[8], 1);
  store_le16(&config_space_[10], config_.mtu);
  header_bytes_ = kHeaderBytes;
  // Frames queued for the previous driver instance are stale.
  std::lock_guard lock(rx_mutex_);
  pending_.clear();
  pending_count_.store(0, std::memory_order_relaxed);
}

void VirtioNet::read_config(uint32_t offset, std::span<uint8_t> out) const {
  std::memcpy(out.data(), config_space_.data() + offset, out.size());
}

void VirtioNet::write_config(uint32_t offset, std::span<const uint8_t> in) {
  // The configuration is read-only, except that a legacy driver may set the MAC (5.1.4.2).
  if (!transport().legacy()) return;
  for (size_t i = 0; i < in.size(); ++i) {
    if (offset + i < 6) config_space_[offset + i] = in[i];
  }
}

void VirtioNet::activate() {
  // 5.1.6: the header has num_buffers with VERSION_1 or MRG_RXBUF; legacy without it is 2 bytes
  // shorter.
  header_bytes_ = transport().has_feature(kFVersion1) || transport().has_feature(kFMrgRxbuf)
                      ? kHeaderBytes
                      : kLegacyHeaderBytes;
}

void VirtioNet::queue_notify(unsigned queue) {
  if (queue == kTxQueue) {
    transmit();
  } else if (queue == kRxQueue) {
    receive();  // new receive buffers: hand over what is waiting
  }
}

void VirtioNet::poll() {
  if (pending_count_.load(std::memory_order_acquire) != 0) receive();
}

void VirtioNet::transmit() {
  Virtqueue& vq = transport().queue(kTxQueue);
  while (auto chain = vq.pop()) {
    const uint64_t total = chain->readable_bytes();
    const uint64_t hdr = header_bytes();
    // A frame must at least hold an Ethernet header; no offloads means no frame beyond
    // kMaxFrameBytes. Anything else is dropped and the buffer returned (as Firecracker does).
    if (total < hdr + kEthernetHeader || total - hdr > kMaxFrameBytes || !backend_) {
      ++tx_dropped_;
    } else {
      const size_t len = static_cast<size_t>(total - hdr);
      tx_buffer_.resize(len);
      chain->read(hdr, tx_buffer_.data(), len);
      backend_->send(std::span<const uint8_t>(tx_buffer_.data(), len));
      ++tx_frames_;
      tx_bytes_ += len;
    }
    vq.push(*chain, 0);
  }
  transport().notify_used(kTxQueue);
}

void VirtioNet::receive() {
  Virtqueue& vq = transport().queue(kRxQueue);
  if (!vq.ready()) return;
  bool used = false;
  for (;;) {
    std::vector<uint8_t> frame;
    {
      std::lock_guard lock(rx_mutex_);
      if (pending_.empty()) break;
      frame = std::move(pending_.front());
      pending_.pop_front();
    }
    auto chain = vq.pop();
    if (!chain) {
      // No receive buffer: the frame waits at the head of the queue.
      std::lock_guard lock(rx_mutex_);
      pending_.push_front(std::move(frame));
      break;
    }
    pending_count_.fetch_sub(1, std::memory_order_relaxed);
    used = true;
    const size_t hdr = header_bytes();
    if (chain->writable_bytes() < hdr + frame.size()) {
      // Without MRG_RXBUF each buffer must hold a whole frame (5.1.6.3.1); this one cannot.
      ++rx_too_small_;
      vq.push(*chain, 0);
      continue;
    }
    uint8_t header[kHeaderBytes] = {};  // flags 0, GSO_NONE, no checksum offload
    if (hdr == kHeaderBytes) store_le16(&header[10], 1);  // num_buffers (5.1.6.4)
    chain->write(0, header, hdr);
    chain->write(hdr, frame.data(), frame.size());
    vq.push(*chain, static_cast<uint32_t>(hdr + frame.size()));
    ++rx_frames_;
    rx_bytes_ += frame.size();
  }
  if (used) transport().notify_used(kRxQueue);
}

void VirtioNet::deliver(std::span<const uint8_t> frame) {
  if (frame.size() > kMaxFrameBytes) {
    ++rx_dropped_;
    return;
  }
  {
    std::lock_guard lock(rx_mutex_);
    if (pending_.size() >= config_.max_pending_rx) {
      ++rx_dropped_;
      return;
    }
    pending_.emplace_back(frame.begin(), frame.end());
    pending_count_.fetch_add(1, std::memory_order_release);
  }
  if (config_.rx_wakeup) config_.rx_wakeup();
}

VirtioNet::Stats VirtioNet::stats() const {
  Stats s;
  s.tx_frames = tx_frames_.load();
  s.tx_bytes = tx_bytes_.load();
  s.tx_dropped = tx_dropped_.load();
  s.rx_frames = rx_frames_.load();
  s.rx_bytes = rx_bytes_.load();
  s.rx_dropped = rx_dropped_.load();
  s.rx_buffer_too_small = rx_too_small_.load();
  return s;
}

size_t VirtioNet::pending_rx_frames() const {
  std::lock_guard lock(rx_mutex_);
  return pending_.size();
}

void VirtioNet::save(StateWriter& out) const {
  out.begin_section(state_tag("VNET"));
  out.bytes(config_space_.data(), config_space_.size());
  out.u64(header_bytes_);
  const Stats s = stats();
  for (uint64_t v : {s.tx_frames, s.tx_bytes, s.tx_dropped, s.rx_frames, s.rx_bytes,
                     s.rx_dropped + pending_rx_frames(), s.rx_buffer_too_small})
    out.u64(v);
  out.end_section();
}

void VirtioNet::load(StateReader& in) {
  in.begin_section(state_tag("VNET"));
  in.bytes(config_space_.data(), config_space_.size());
  // The link state is this machine's: a card restored without a backend has no link.
  store_le16(&config_space_[6], backend_ ? kStatusLinkUp : 0);
  header_bytes_ = static_cast<size_t>(in.u64());
  in.expect(header_bytes_ == kHeaderBytes || header_bytes_ == kLegacyHeaderBytes,
            "corrupted: virtio-net header size " + std::to_string(header_bytes_));
  for (std::atomic<uint64_t>* v : {&tx_frames_, &tx_bytes_, &tx_dropped_, &rx_frames_, &rx_bytes_, &rx_dropped_,
                                   &rx_too_small_})
    v->store(in.u64());
  in.end_section();
}

}  // namespace hartbox
