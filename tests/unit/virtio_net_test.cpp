// Tests for devices/virtio/net and net_backend: virtio-net (virtio 1.2, section 5.1) between two
// devices on a LoopbackPair, the bounded receive queue, the legacy 10-byte header (5.1.6), and
// a PcapCapture read back with libpcap.
#include <catch2/catch_test_macros.hpp>

#include <pcap/pcap.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "devices/virtio/net.hpp"
#include "devices/virtio/net_backend.hpp"
#include "tests/unit/virtio_test_driver.hpp"

using namespace hartbox;
using namespace hartbox::test;

namespace {

constexpr uint64_t kVersion1 = uint64_t{1} << 32;
constexpr uint64_t kTxBuf = kRamBase + 0x40000;
constexpr uint64_t kRxBufs = kRamBase + 0x100000;
constexpr uint32_t kRxBufSize = 2048;

std::vector<uint8_t> frame(size_t len, uint8_t seed) {
  std::vector<uint8_t> f(len);
  for (size_t i = 0; i < len; ++i) f[i] = static_cast<uint8_t>(seed ^ (i * 13));
  return f;
}

// A virtio-net device behind a VirtioMmio, with the driver's receive and transmit queues.
struct NetRig {
  GuestRam ram{kRamBase, kRamSize};
  FakeInterruptController pic;
  VirtioNet* net;
  VirtioMmio mmio;
  MmioDriver drv{mmio};
  DriverQueue rx, tx;
  size_t hdr;
  std::map<uint16_t, uint64_t> rx_addr;  // head -> buffer
  uint16_t rx_seen = 0;
  uint32_t next_rx = 0;

  NetRig(NetBackend* backend, VirtioNetConfig cfg = {}, VirtioMmio::Version v = VirtioMmio::Version::Modern)
      : net(new VirtioNet(backend, std::move(cfg))),
        mmio(ram, IrqLine{&pic, 8}, std::unique_ptr<VirtioDevice>(net), v),
        hdr(v == VirtioMmio::Version::Legacy ? 10 : 12) {
    REQUIRE(drv.negotiate(~uint64_t{0}));
    if (v == VirtioMmio::Version::Legacy) {
      rx = DriverQueue::legacy(ram, 64, kRamBase + 0x4000, 4096);
      tx = DriverQueue::legacy(ram, 64, kRamBase + 0x8000, 4096);
      drv.setup_legacy_queue(0, rx, 4096);
      drv.setup_legacy_queue(1, tx, 4096);
    } else {
      rx = DriverQueue(ram, 64, kRamBase + 0x1000, kRamBase + 0x2000, kRamBase + 0x3000);
      tx = DriverQueue(ram, 64, kRamBase + 0x5000, kRamBase + 0x6000, kRamBase + 0x7000);
      drv.setup_queue(0, rx);
      drv.setup_queue(1, tx);
    }
    drv.driver_ok();
  }

  // Transmits `f` after a zeroed header, in two descriptors.
  void send(const std::vector<uint8_t>& f) {
    std::vector<uint8_t> h(hdr, 0);
    ram.write(kTxBuf, h.data(), h.size());
    ram.write(kTxBuf + 0x100, f.data(), f.size());
    const uint16_t before = tx.used_idx();
    tx.add({{kTxBuf, static_cast<uint32_t>(hdr), false}, {kTxBuf + 0x100, static_cast<uint32_t>(f.size()), false}});
    drv.notify(1);
    REQUIRE(tx.used_idx() == before + 1);
    CHECK(tx.used_elem(before).len == 0);
  }
  void add_rx_buffers(unsigned n, uint32_t size = kRxBufSize, bool notify = true) {
    for (unsigned i = 0; i < n; ++i) {
      const uint64_t addr = kRxBufs + uint64_t{next_rx++ % 128} * 0x10000;  // inside the 16 MiB of RAM
      ram.fill(addr, 0xaa, size);
      rx_addr[rx.add({{addr, size, true}})] = addr;
    }
    if (notify) drv.notify(0);
  }
  // The frames the device put in receive buffers since the last call (header checked).
  std::vector<std::vector<uint8_t>> received() {
    std::vector<std::vector<uint8_t>> out;
    while (rx_seen != rx.used_idx()) {
      auto e = rx.used_elem(rx_seen++);
      if (e.len == 0) {
        out.emplace_back();
        continue;
      }
      REQUIRE(e.len >= hdr);
      std::vector<uint8_t> bytes(e.len);
      ram.read(rx_addr.at(static_cast<uint16_t>(e.id)), bytes.data(), e.len);
      // virtio_net_hdr: flags 0, gso_type NONE, hdr_len/gso_size/csum_* 0, num_buffers 1.
      for (size_t i = 0; i < 10; ++i) CHECK(bytes[i] == 0);
      if (hdr == 12) {
        CHECK(bytes[10] == 1);
        CHECK(bytes[11] == 0);
      }
      out.emplace_back(bytes.begin() + static_cast<long>(hdr), bytes.end());
    }
    return out;
  }
};

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hartbox-net-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("virtio-net: features and configuration (5.1.3, 5.1.4)", "[virtio][net]") {
  LoopbackPair pair;
  VirtioNetConfig cfg;
  cfg.mac = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
  cfg.mtu = 1500;
  NetRig rig(&pair.end(0), cfg);
  CHECK(rig.drv.read32(0x008) == 1);
  const uint64_t f = rig.drv.device_features();
  CHECK((f & (uint64_t{1} << 5)) != 0);   // MAC
  CHECK((f & (uint64_t{1} << 16)) != 0);  // STATUS
  CHECK((f & (uint64_t{1} << 3)) != 0);   // MTU
  CHECK((f & kVersion1) != 0);
  for (unsigned b : {0u, 1u, 7u, 11u, 15u, 17u, 22u}) CHECK((f & (uint64_t{1} << b)) == 0);  // no offloads, no MQ
  for (uint32_t i = 0; i < 6; ++i) CHECK(rig.drv.config(i, 1) == cfg.mac[i]);
  CHECK(rig.drv.config(6, 2) == 1);  // VIRTIO_NET_S_LINK_UP
  CHECK(rig.drv.config(10, 2) == 1500);
  // The configuration is read-only on the modern interface.
  REQUIRE(rig.mmio.write(0x100, 1, 0xff));
  CHECK(rig.drv.config(0, 1) == 0x02);
  rig.drv.write32(0x030, 2);
  CHECK(rig.drv.read32(0x034) == 0);  // two queues only

  NetRig unplugged(nullptr);
  CHECK(unplugged.drv.config(6, 2) == 0);  // no backend: link down
  CHECK((unplugged.drv.device_features() & (uint64_t{1} << 3)) == 0);  // no MTU by default
}

TEST_CASE("virtio-net: frames cross a loopback pair between two devices", "[virtio][net]") {
  LoopbackPair pair;
  NetRig a(&pair.end(0));
  NetRig b(&pair.end(1));
  b.add_rx_buffers(8);
  const auto f1 = frame(60, 1), f2 = frame(1514, 2);
  a.send(f1);
  a.send(f2);
  CHECK(a.drv.interrupt_status() == 1);  // TX buffers used
  // Delivery is deferred to the receiving machine's thread: nothing yet in b's guest memory.
  CHECK(b.rx.used_idx() == 0);
  CHECK(b.net->pending_rx_frames() == 2);
  b.mmio.poll();
  auto got = b.received();
  REQUIRE(got.size() == 2);
  CHECK(got[0] == f1);
  CHECK(got[1] == f2);
  CHECK(b.rx.used_elem(0).len == 12 + 60);
  CHECK(b.drv.interrupt_status() == 1);
  CHECK(b.pic.high(8));
  // And back.
  a.add_rx_buffers(2);
  b.send(frame(100, 3));
  a.mmio.poll();
  auto back = a.received();
  REQUIRE(back.size() == 1);
  CHECK(back[0] == frame(100, 3));
  auto sa = a.net->stats();
  CHECK(sa.tx_frames == 2);
  CHECK(sa.tx_bytes == 60 + 1514);
  CHECK(sa.rx_frames == 1);
  CHECK(b.net->stats().rx_frames == 2);
}

TEST_CASE("virtio-net: frames wait for receive buffers, up to a bound, then drop", "[virtio][net]") {
  LoopbackPair pair;
  NetRig a(&pair.end(0));
  VirtioNetConfig cfg;
  cfg.max_pending_rx = 4;
  unsigned wakeups = 0;
  cfg.rx_wakeup = [&wakeups] { ++wakeups; };
  NetRig b(&pair.end(1), cfg);
  for (uint8_t i = 0; i < 6; ++i) a.send(frame(64, i));
  CHECK(wakeups == 4);
  CHECK(b.net->pending_rx_frames() == 4);
  CHECK(b.net->stats().rx_dropped == 2);
  b.mmio.poll();  // no receive buffers: nothing moves
  CHECK(b.rx.used_idx() == 0);
  // Adding buffers (and notifying) hands the waiting frames over, oldest first.
  b.add_rx_buffers(3);
  auto got = b.received();
  REQUIRE(got.size() == 3);
  for (uint8_t i = 0; i < 3; ++i) CHECK(got[i] == frame(64, i));
  CHECK(b.net->pending_rx_frames() == 1);
  b.add_rx_buffers(3);
  got = b.received();
  REQUIRE(got.size() == 1);
  CHECK(got[0] == frame(64, 3));
}

TEST_CASE("virtio-net: a receive buffer too small for the frame is returned empty", "[virtio][net]") {
  LoopbackPair pair;
  NetRig a(&pair.end(0));
  NetRig b(&pair.end(1));
  b.add_rx_buffers(1, 100);
  a.send(frame(200, 1));
  b.mmio.poll();
  auto got = b.received();
  REQUIRE(got.size() == 1);
  CHECK(got[0].empty());
  CHECK(b.net->stats().rx_buffer_too_small == 1);
  CHECK(b.net->pending_rx_frames() == 0);
}

TEST_CASE("virtio-net: malformed transmit buffers are dropped and returned", "[virtio][net][hostile]") {
  LoopbackPair pair;
  NetRig a(&pair.end(0));
  NetRig b(&pair.end(1));
  // Header only, a header cut short, and nothing at all.
  a.tx.add({{kTxBuf, 12, false}});
  a.tx.add({{kTxBuf, 5, false}});
  a.tx.add({{kTxBuf, 0, false}});
  // A device-writable buffer in a transmit chain carries nothing to send.
  a.tx.add({{kTxBuf, 12, true}});
  a.drv.notify(1);
  CHECK(a.tx.used_idx() == 4);
  CHECK(a.net->stats().tx_dropped == 4);
  CHECK(b.net->pending_rx_frames() == 0);
  CHECK((a.drv.status() & 64) == 0);
  // An oversized frame is dropped by the receiving side too.
  std::vector<uint8_t> huge(VirtioNet::kMaxFrameBytes + 1, 0);
  pair.end(0).send(huge);
  CHECK(b.net->stats().rx_dropped == 1);
}

TEST_CASE("virtio-net: no backend: transmitted frames are dropped", "[virtio][net]") {
  NetRig a(nullptr);
  a.send(frame(60, 1));
  CHECK(a.net->stats().tx_dropped == 1);
  CHECK(a.net->stats().tx_frames == 0);
}

TEST_CASE("virtio-net legacy: a 10-byte header without MRG_RXBUF (5.1.6)", "[virtio][net][legacy]") {
  LoopbackPair pair;
  NetRig a(&pair.end(0), {}, VirtioMmio::Version::Legacy);
  NetRig b(&pair.end(1), {}, VirtioMmio::Version::Modern);
  REQUIRE(a.hdr == 10);
  a.add_rx_buffers(2);
  b.add_rx_buffers(2);
  a.send(frame(80, 5));  // 10-byte header stripped
  b.mmio.poll();
  auto got = b.received();
  REQUIRE(got.size() == 1);
  CHECK(got[0] == frame(80, 5));
  b.send(frame(90, 6));
  a.mmio.poll();
  CHECK(a.rx.used_elem(0).len == 10 + 90);
  auto back = a.received();
  REQUIRE(back.size() == 1);
  CHECK(back[0] == frame(90, 6));
  // A legacy driver may write the MAC (5.1.4.2); a reset restores the configured one.
  REQUIRE(a.mmio.write(0x100, 1, 0x06));
  CHECK(a.drv.config(0, 1) == 0x06);
  a.drv.write32(0x070, 0);
  CHECK(a.drv.config(0, 1) == 0x52);
}

TEST_CASE("virtio-net: reset drops frames waiting for the old driver", "[virtio][net]") {
  LoopbackPair pair;
  NetRig a(&pair.end(0));
  NetRig b(&pair.end(1));
  a.send(frame(60, 1));
  CHECK(b.net->pending_rx_frames() == 1);
  b.drv.write32(0x070, 0);
  CHECK(b.net->pending_rx_frames() == 0);
}

TEST_CASE("pcap capture: every frame in both directions, readable by libpcap", "[virtio][net][pcap]") {
  TempDir dir;
  const std::string path = (dir.path / "cap.pcap").string();
  LoopbackPair pair;
  const auto f1 = frame(60, 1), f2 = frame(1514, 2), f3 = frame(99, 3);
  {
    PcapCapture capture(pair.end(0), path);
    NetRig a(&capture);
    NetRig b(&pair.end(1));
    a.add_rx_buffers(4);
    b.add_rx_buffers(4);
    a.send(f1);           // out through the capture
    b.send(f2);           // in through the capture
    a.send(f3);
    a.mmio.poll();
    b.mmio.poll();
    REQUIRE(a.received().size() == 1);
    REQUIRE(b.received().size() == 2);
    CHECK(capture.frames_recorded() == 3);
  }
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  REQUIRE(p != nullptr);
  CHECK(pcap_datalink(p) == DLT_EN10MB);
  CHECK(pcap_snapshot(p) == 65535);
  std::vector<std::vector<uint8_t>> frames;
  struct pcap_pkthdr* h;
  const u_char* data;
  while (pcap_next_ex(p, &h, &data) == 1) {
    CHECK(h->caplen == h->len);
    frames.emplace_back(data, data + h->caplen);
  }
  pcap_close(p);
  REQUIRE(frames.size() == 3);
  CHECK(frames[0] == f1);
  CHECK(frames[1] == f2);
  CHECK(frames[2] == f3);
}

TEST_CASE("pcap capture: an unwritable path is a clear error", "[virtio][net][pcap]") {
  LoopbackPair pair;
  try {
    PcapCapture capture(pair.end(0), "/nonexistent-dir/x.pcap");
    FAIL("no error");
  } catch (const NetBackendError& e) {
    CHECK(std::string(e.what()).find("/nonexistent-dir/x.pcap") != std::string::npos);
  }
}

TEST_CASE("virtio-net: two machines on two threads exchange frames", "[virtio][net][threads]") {
  // Each machine is driven only by its own thread; frames cross through the loopback pair. The
  // worker threads use no Catch2 assertions (they are not thread-safe); results are checked after
  // the join. A sender keeps at most 256 frames in flight, so nothing is dropped.
  LoopbackPair pair;
  VirtioNetConfig cfg;
  cfg.max_pending_rx = 1024;
  NetRig a(&pair.end(0), cfg);
  NetRig b(&pair.end(1), cfg);
  a.add_rx_buffers(32);
  b.add_rx_buffers(32);
  constexpr int kFrames = 3000;
  struct Side {
    std::atomic<int> received{0};
    int bad = 0;
  };
  auto run = [](NetRig& self, uint8_t seed, Side& me, const Side& peer) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    int sent = 0;
    uint8_t expect_seed = static_cast<uint8_t>(seed ^ 3);  // the peer's seed
    int expect = 0;
    while ((sent < kFrames || me.received.load() < kFrames) && std::chrono::steady_clock::now() < deadline) {
      if (sent < kFrames && sent - peer.received.load() < 256) {
        auto f = frame(64 + static_cast<size_t>(sent % 100), static_cast<uint8_t>(seed + sent));
        std::vector<uint8_t> h(self.hdr, 0);
        self.ram.write(kTxBuf, h.data(), h.size());
        self.ram.write(kTxBuf + 0x100, f.data(), f.size());
        self.tx.add({{kTxBuf, static_cast<uint32_t>(self.hdr), false},
                     {kTxBuf + 0x100, static_cast<uint32_t>(f.size()), false}});
        self.drv.notify(1);
        ++sent;
      }
      self.mmio.poll();
      unsigned got = 0;
      while (self.rx_seen != self.rx.used_idx()) {
        auto e = self.rx.used_elem(self.rx_seen++);
        auto want = frame(64 + static_cast<size_t>(expect % 100), static_cast<uint8_t>(expect_seed + expect));
        std::vector<uint8_t> bytes(e.len);
        self.ram.read(self.rx_addr.at(static_cast<uint16_t>(e.id)), bytes.data(), e.len);
        if (e.len != self.hdr + want.size() || !std::equal(want.begin(), want.end(), bytes.begin() + 12)) ++me.bad;
        ++expect;
        ++got;
      }
      if (got) {
        me.received += static_cast<int>(got);
        self.add_rx_buffers(got);
      } else {
        std::this_thread::yield();
      }
    }
  };
  Side sa, sb;
  std::thread ta([&] { run(a, 1, sa, sb); });
  std::thread tb([&] { run(b, 2, sb, sa); });
  ta.join();
  tb.join();
  CHECK(sa.received.load() == kFrames);
  CHECK(sb.received.load() == kFrames);
  CHECK(sa.bad == 0);
  CHECK(sb.bad == 0);
  CHECK(a.net->stats().rx_dropped == 0);
  CHECK(b.net->stats().rx_dropped == 0);
}
