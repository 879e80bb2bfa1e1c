#include "devices/virtio/rng.hpp"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <vector>

namespace hartbox {

using namespace virtio;

uint64_t VirtioRng::device_features() const {
  return feature_bit(kFVersion1) | feature_bit(kFRingIndirectDesc) | feature_bit(kFRingEventIdx);
}

namespace {

// Fills `buf` from getrandom(); returns the bytes obtained (short only if the host fails).
size_t host_random(uint8_t* buf, size_t len) {
  size_t done = 0;
  while (done < len) {
    ssize_t n = ::getrandom(buf + done, len - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    done += static_cast<size_t>(n);
  }
  return done;
}

}  // namespace

void VirtioRng::queue_notify(unsigned queue) {
  Virtqueue& vq = transport().queue(queue);
  std::vector<uint8_t> buf;
  while (auto chain = vq.pop()) {
    // 5.4.6: the device fills the device-writable buffers; readable ones carry nothing.
    const size_t want = static_cast<size_t>(std::min<uint64_t>(chain->writable_bytes(), kMaxBytesPerRequest));
    buf.resize(want);
    const size_t got = host_random(buf.data(), want);
    chain->write(0, buf.data(), got);
    vq.push(*chain, static_cast<uint32_t>(got));
  }
  transport().notify_used(queue);
}

}  // namespace hartbox
