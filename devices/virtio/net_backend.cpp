#include "devices/virtio/net_backend.hpp"

#include <pcap/pcap.h>
#include <sys/time.h>

#include <algorithm>

namespace hartbox {

// ---------------------------------------------------------------------------------------------
// LoopbackPair

LoopbackPair::LoopbackPair() {
  for (unsigned i = 0; i < 2; ++i) {
    ends_[i].pair_ = this;
    ends_[i].index_ = i;
  }
}

uint64_t LoopbackPair::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void LoopbackPair::End::send(std::span<const uint8_t> frame) {
  std::lock_guard lock(pair_->mutex_);
  NetFrameSink* peer = pair_->sinks_[index_ ^ 1];
  if (peer) {
    peer->deliver(frame);
  } else {
    ++pair_->dropped_;
  }
}

void LoopbackPair::End::set_receiver(NetFrameSink* sink) {
  std::lock_guard lock(pair_->mutex_);
  pair_->sinks_[index_] = sink;
}

// ---------------------------------------------------------------------------------------------
// PcapCapture

PcapCapture::PcapCapture(NetBackend& inner, const std::string& path) : inner_(inner) {
  pcap_ = pcap_open_dead(DLT_EN10MB, kSnapLen);
  if (!pcap_) throw NetBackendError(path + ": cannot start a pcap capture");
  dumper_ = pcap_dump_open(pcap_, path.c_str());
  if (!dumper_) {
    std::string why = pcap_geterr(pcap_);
    pcap_close(pcap_);
    throw NetBackendError(path + ": cannot create pcap file: " + why);
  }
  inner_.set_receiver(this);
}

PcapCapture::~PcapCapture() {
  inner_.set_receiver(nullptr);  // no delivery runs after this returns
  std::lock_guard lock(mutex_);
  pcap_dump_close(dumper_);
  pcap_close(pcap_);
}

void PcapCapture::record_locked(std::span<const uint8_t> frame) {
  struct pcap_pkthdr header {};
  struct timeval now {};
  gettimeofday(&now, nullptr);
  header.ts = now;
  header.len = static_cast<bpf_u_int32>(frame.size());
  header.caplen = static_cast<bpf_u_int32>(std::min<size_t>(frame.size(), kSnapLen));
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &header, frame.data());
  ++recorded_;
}

void PcapCapture::send(std::span<const uint8_t> frame) {
  {
    std::lock_guard lock(mutex_);
    record_locked(frame);
  }
  inner_.send(frame);  // without our lock: the inner backend may deliver back through us
}

void PcapCapture::set_receiver(NetFrameSink* sink) {
  std::lock_guard lock(mutex_);
  sink_ = sink;
}

void PcapCapture::deliver(std::span<const uint8_t> frame) {
  // Holding our lock across the sink's deliver() makes set_receiver() wait for it (the
  // backend contract); the sink never calls back into us.
  std::lock_guard lock(mutex_);
  record_locked(frame);
  if (sink_) sink_->deliver(frame);
}

void PcapCapture::flush() {
  std::lock_guard lock(mutex_);
  pcap_dump_flush(dumper_);
}

uint64_t PcapCapture::frames_recorded() const {
  std::lock_guard lock(mutex_);
  return recorded_;
}

}  // namespace hartbox
