// Tests for manager/switch: learning, flooding, filtering, segment isolation, MAC ageing, the
// token-bucket policers, the pcap capture, wake-ups, the receiver-detach contract and
// concurrent senders. Ports are driven directly (fake machines: a NetFrameSink per port) with a
// fake clock.
#include <catch2/catch_test_macros.hpp>

#include <pcap/pcap.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "manager/switch.hpp"

using namespace hartbox;

namespace {

MacAddress mac(uint8_t last) { return {0x52, 0x54, 0x00, 0x00, 0x00, last}; }
const MacAddress kBroadcast = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
const MacAddress kMulticast = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};

std::vector<uint8_t> frame(const MacAddress& dst, const MacAddress& src, size_t size = 64, uint8_t fill = 0) {
  std::vector<uint8_t> f(size, fill);
  std::copy(dst.begin(), dst.end(), f.begin());
  std::copy(src.begin(), src.end(), f.begin() + 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  return f;
}

// A machine's card, as the switch sees it: it records what it is given.
struct FakeCard : NetFrameSink {
  std::mutex mutex;
  std::vector<std::vector<uint8_t>> frames;
  void deliver(std::span<const uint8_t> f) override {
    std::lock_guard lock(mutex);
    frames.emplace_back(f.begin(), f.end());
  }
  size_t count() {
    std::lock_guard lock(mutex);
    return frames.size();
  }
};

struct FakeClock {
  std::atomic<uint64_t> ns{1'000'000'000};
  void advance(std::chrono::nanoseconds d) { ns += static_cast<uint64_t>(d.count()); }
};

struct Rig {
  FakeClock clock;
  VirtualSwitch sw;
  explicit Rig(SwitchOptions options = {})
      : sw([&] {
          options.clock_ns = [this] { return clock.ns.load(); };
          return options;
        }()) {}
};

// A port with a card attached.
struct Station {
  SwitchPort* port;
  FakeCard card;
  Station(VirtualSwitch& sw, const std::string& segment, const std::string& name, PortLimits limits = {})
      : port(&sw.add_port(segment, name, limits)) {
    port->set_receiver(&card);
  }
  ~Station() { port->set_receiver(nullptr); }
};

}  // namespace

TEST_CASE("switch: an unknown destination is flooded, a known one is learnt and switched", "[switch]") {
  Rig rig;
  rig.sw.add_segment("lan");
  Station a(rig.sw, "lan", "a"), b(rig.sw, "lan", "b"), c(rig.sw, "lan", "c");

  // a -> b: nobody knows b yet, so b and c both get it (never a itself).
  a.port->send(frame(mac(2), mac(1)));
  CHECK(a.card.count() == 0);
  CHECK(b.card.count() == 1);
  CHECK(c.card.count() == 1);
  CHECK(rig.sw.lookup("lan", mac(1)) == a.port);

  // b answers a: a is known, so only a gets it, and b is learnt.
  b.port->send(frame(mac(1), mac(2)));
  CHECK(a.card.count() == 1);
  CHECK(c.card.count() == 1);
  CHECK(rig.sw.lookup("lan", mac(2)) == b.port);

  // a -> b again: unicast now.
  a.port->send(frame(mac(2), mac(1)));
  CHECK(b.card.count() == 2);
  CHECK(c.card.count() == 1);

  const SegmentStats s = rig.sw.segment_stats("lan");
  CHECK(s.frames == 3);
  CHECK(s.flooded == 1);
  CHECK(s.unicast == 2);
  CHECK(s.mac_entries == 2);
  CHECK(s.ports == 3);
  CHECK(a.port->stats().tx_frames == 2);
  CHECK(b.port->stats().rx_frames == 2);
  CHECK(b.port->stats().rx_bytes == 128);
}

TEST_CASE("switch: broadcast and multicast go to every other port of the segment", "[switch]") {
  Rig rig;
  rig.sw.add_segment("lan");
  Station a(rig.sw, "lan", "a"), b(rig.sw, "lan", "b"), c(rig.sw, "lan", "c");
  // Even once everyone is known.
  b.port->send(frame(kBroadcast, mac(2)));
  c.port->send(frame(kBroadcast, mac(3)));
  a.port->send(frame(kBroadcast, mac(1)));
  a.port->send(frame(kMulticast, mac(1)));
  CHECK(a.card.count() == 2);  // from b and c
  CHECK(b.card.count() == 3);  // from c, and a's two
  CHECK(c.card.count() == 3);
  CHECK(rig.sw.segment_stats("lan").flooded == 4);
}

TEST_CASE("switch: a frame for the sender's own port is filtered", "[switch]") {
  Rig rig;
  rig.sw.add_segment("lan");
  Station a(rig.sw, "lan", "a"), b(rig.sw, "lan", "b");
  a.port->send(frame(kBroadcast, mac(1)));
  a.port->send(frame(kBroadcast, mac(9)));  // a second station behind a's port
  b.port->send(frame(kBroadcast, mac(2)));
  const size_t before = b.card.count();
  a.port->send(frame(mac(9), mac(1)));
  CHECK(b.card.count() == before);
  CHECK(rig.sw.segment_stats("lan").filtered == 1);
}

TEST_CASE("switch: segments are isolated", "[switch]") {
  Rig rig;
  rig.sw.add_segment("tenant-a");
  rig.sw.add_segment("tenant-b");
  Station a1(rig.sw, "tenant-a", "a1"), a2(rig.sw, "tenant-a", "a2");
  Station b1(rig.sw, "tenant-b", "b1"), b2(rig.sw, "tenant-b", "b2");

  a1.port->send(frame(kBroadcast, mac(1)));
  a1.port->send(frame(mac(3), mac(1)));  // b1's address, but b1 is on another segment
  b1.port->send(frame(mac(3), mac(3)));  // invalid but harmless: learnt only in tenant-b
  b1.port->send(frame(mac(1), mac(3)));  // a1's address: unknown in tenant-b, so flooded there
  CHECK(a2.card.count() == 2);
  CHECK(b2.card.count() == 1);           // b1's unicast to itself is filtered, the other flooded
  CHECK(b1.card.count() == 0);
  CHECK(a1.card.count() == 0);
  CHECK(rig.sw.lookup("tenant-a", mac(3)) == nullptr);
  CHECK(rig.sw.lookup("tenant-b", mac(1)) == nullptr);
  CHECK(rig.sw.lookup("tenant-b", mac(3)) == b1.port);
}

TEST_CASE("switch: MAC entries age out and a moved station is relearnt", "[switch]") {
  SwitchOptions options;
  options.mac_ageing = std::chrono::seconds(10);
  Rig rig(options);
  rig.sw.add_segment("lan");
  Station a(rig.sw, "lan", "a"), b(rig.sw, "lan", "b"), c(rig.sw, "lan", "c");

  b.port->send(frame(kBroadcast, mac(2)));
  REQUIRE(rig.sw.lookup("lan", mac(2)) == b.port);
  rig.clock.advance(std::chrono::seconds(9));
  CHECK(rig.sw.lookup("lan", mac(2)) == b.port);
  a.port->send(frame(mac(2), mac(1)));
  CHECK(c.card.count() == 1);  // only the broadcast

  rig.clock.advance(std::chrono::seconds(2));  // 11 s since b was last heard
  CHECK(rig.sw.lookup("lan", mac(2)) == nullptr);
  CHECK(rig.sw.segment_stats("lan").mac_entries == 1);  // a, heard 2 s ago
  a.port->send(frame(mac(2), mac(1)));
  CHECK(c.card.count() == 2);  // flooded again
  CHECK(b.card.count() == 2);

  // b's address now shows up behind c's port: the table follows it.
  c.port->send(frame(kBroadcast, mac(2)));
  CHECK(rig.sw.lookup("lan", mac(2)) == c.port);
  a.port->send(frame(mac(2), mac(1)));
  CHECK(c.card.count() == 3);
  CHECK(b.card.count() == 3);  // only c's broadcast reached b
}

TEST_CASE("switch: a full MAC table stops learning instead of growing", "[switch]") {
  SwitchOptions options;
  options.max_mac_entries = 4;
  Rig rig(options);
  rig.sw.add_segment("lan");
  Station a(rig.sw, "lan", "a"), b(rig.sw, "lan", "b");
  for (uint8_t i = 1; i <= 10; ++i) a.port->send(frame(kBroadcast, mac(i)));
  CHECK(rig.sw.segment_stats("lan").mac_entries == 4);
  CHECK(rig.sw.lookup("lan", mac(10)) == nullptr);
  b.port->send(frame(mac(10), mac(20)));  // unknown: flooded, still delivered
  CHECK(a.card.count() == 1);
}

TEST_CASE("switch: malformed frames are dropped and counted", "[switch]") {
  Rig rig;
  rig.sw.add_segment("lan");
  Station a(rig.sw, "lan", "a"), b(rig.sw, "lan", "b");
  const std::vector<uint8_t> runt(13, 0);
  a.port->send(runt);
  a.port->send(frame(mac(2), kBroadcast));  // a group address as the source
  CHECK(b.card.count() == 0);
  CHECK(a.port->stats().tx_malformed == 2);
  CHECK(rig.sw.segment_stats("lan").frames == 0);
}

TEST_CASE("switch: token bucket arithmetic", "[switch]") {
  TokenBucket unlimited;
  CHECK_FALSE(unlimited.limited());
  CHECK(unlimited.take(1'000'000, 0));

  // 1000 bytes/s, burst 500, starting full at t = 0.
  TokenBucket bucket(1000, 500, 0);
  CHECK(bucket.take(300, 0));
  CHECK(bucket.take(200, 0));
  CHECK_FALSE(bucket.take(1, 0));                 // empty
  CHECK_FALSE(bucket.take(101, 100'000'000));     // 0.1 s earns 100 bytes
  CHECK(bucket.take(100, 100'000'000));
  CHECK(bucket.take(500, 10'000'000'000));        // a long idle refills to the burst, no more
  CHECK_FALSE(bucket.take(1, 10'000'000'000));
  CHECK_FALSE(bucket.take(501, 20'000'000'000));  // larger than the burst: never
  CHECK(bucket.take(500, 20'000'000'000));
  CHECK(PortLimits::default_burst(1'000'000) == 100'000);
  CHECK(PortLimits::default_burst(1000) == 16 * 1024);
}

TEST_CASE("switch: a port's tx limit drops what exceeds it and counts it", "[switch]") {
  Rig rig;
  rig.sw.add_segment("lan");
  PortLimits limits;
  limits.tx_bytes_per_second = 10'000;
  limits.tx_burst_bytes = 1000;
  Station a(rig.sw, "lan", "a", limits), b(rig.sw, "lan", "b");
  for (int i = 0; i < 20; ++i) a.port->send(frame(mac(2), mac(1), 100));
  CHECK(b.card.count() == 10);  // the burst: 1000 bytes
  CHECK(a.port->stats().tx_policed == 10);
  rig.clock.advance(std::chrono::milliseconds(50));  // 500 bytes earned
  for (int i = 0; i < 20; ++i) a.port->send(frame(mac(2), mac(1), 100));
  CHECK(b.card.count() == 15);
  CHECK(a.port->stats().tx_policed == 25);
  CHECK(rig.sw.segment_stats("lan").policed == 25);
  // Over one simulated second at a steady 200 frames/s of 100 bytes (20 kB/s offered), about
  // 10 kB/s gets through.
  const size_t start = b.card.count();
  for (int i = 0; i < 200; ++i) {
    rig.clock.advance(std::chrono::milliseconds(5));
    a.port->send(frame(mac(2), mac(1), 100));
  }
  const size_t passed = b.card.count() - start;
  CHECK(passed >= 95);
  CHECK(passed <= 110);
}

TEST_CASE("switch: a port's rx limit polices what is delivered to it", "[switch]") {
  Rig rig;
  rig.sw.add_segment("lan");
  PortLimits limits;
  limits.rx_bytes_per_second = 1000;
  limits.rx_burst_bytes = 300;
  Station a(rig.sw, "lan", "a"), b(rig.sw, "lan", "b", limits), c(rig.sw, "lan", "c");
  for (int i = 0; i < 5; ++i) a.port->send(frame(kBroadcast, mac(1), 100));
  CHECK(b.card.count() == 3);
  CHECK(c.card.count() == 5);  // another port's limit does not touch c
  CHECK(b.port->stats().rx_policed == 2);
  CHECK(a.port->stats().tx_policed == 0);
  CHECK(rig.sw.segment_stats("lan").policed == 2);
}

TEST_CASE("switch: a frame for a port with no card is counted, and detaching waits", "[switch]") {
  Rig rig;
  rig.sw.add_segment("lan");
  Station a(rig.sw, "lan", "a");
  SwitchPort& bare = rig.sw.add_port("lan", "bare");
  a.port->send(frame(kBroadcast, mac(1)));
  CHECK(bare.stats().rx_no_receiver == 1);

  // A receiver that is detached while another thread delivers: set_receiver(nullptr) returns
  // only once no delivery to it is running (the NetBackend contract), so it can then go away.
  struct SlowCard : NetFrameSink {
    std::atomic<bool> inside{false}, alive{true};
    std::atomic<int> bad{0};
    void deliver(std::span<const uint8_t>) override {
      inside = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (!alive) ++bad;
      inside = false;
    }
  };
  auto slow = std::make_unique<SlowCard>();
  bare.set_receiver(slow.get());
  std::thread sender([&] { a.port->send(frame(kBroadcast, mac(1))); });
  while (!slow->inside) std::this_thread::yield();
  bare.set_receiver(nullptr);
  CHECK_FALSE(slow->inside);
  slow->alive = false;
  sender.join();
  CHECK(slow->bad == 0);
}

TEST_CASE("switch: delivering to a port wakes its machine", "[switch]") {
  Rig rig;
  rig.sw.add_segment("lan");
  std::atomic<int> wakeups{0};
  SwitchPort& a = rig.sw.add_port("lan", "a");
  SwitchPort& b = rig.sw.add_port("lan", "b", {}, [&] { ++wakeups; });
  FakeCard card;
  a.send(frame(kBroadcast, mac(1)));
  CHECK(wakeups == 0);  // no card: nothing was queued, so nothing to wake for
  b.set_receiver(&card);
  a.send(frame(kBroadcast, mac(1)));
  a.send(frame(mac(2), mac(1)));
  CHECK(wakeups == 2);
  b.set_receiver(nullptr);
}

TEST_CASE("switch: each segment's capture holds that segment's frames, readable by libpcap", "[switch]") {
  const auto dir = std::filesystem::temp_directory_path() / ("hartbox_switch_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string lan = (dir / "lan.pcap").string(), dmz = (dir / "dmz.pcap").string();
  {
    Rig rig;
    rig.sw.add_segment("lan", lan);
    rig.sw.add_segment("dmz", dmz);
    Station a(rig.sw, "lan", "a"), b(rig.sw, "lan", "b"), d(rig.sw, "dmz", "d");
    a.port->send(frame(kBroadcast, mac(1), 60, 0xaa));
    b.port->send(frame(mac(1), mac(2), 1514, 0xbb));
    d.port->send(frame(kBroadcast, mac(4), 80, 0xdd));
    CHECK(rig.sw.segment_stats("lan").captured == 2);
    CHECK(rig.sw.segment_stats("dmz").captured == 1);
  }
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(lan.c_str(), err);
  REQUIRE(p != nullptr);
  CHECK(pcap_datalink(p) == DLT_EN10MB);
  std::vector<size_t> sizes;
  pcap_pkthdr* header;
  const u_char* data;
  while (pcap_next_ex(p, &header, &data) == 1) {
    sizes.push_back(header->caplen);
    CHECK(data[20] == (sizes.size() == 1 ? 0xaa : 0xbb));
  }
  pcap_close(p);
  CHECK(sizes == std::vector<size_t>{60, 1514});
  std::filesystem::remove_all(dir);
}

TEST_CASE("switch: bad segments and ports are refused with a sentence", "[switch]") {
  VirtualSwitch sw;
  sw.add_segment("lan");
  CHECK_THROWS_AS(sw.add_segment("lan"), NetBackendError);
  CHECK_THROWS_AS(sw.add_segment(""), NetBackendError);
  CHECK_THROWS_AS(sw.add_port("wan", "x"), NetBackendError);
  try {
    sw.add_segment("x", "/nonexistent-dir/x.pcap");
    FAIL("no error for an impossible capture file");
  } catch (const NetBackendError& e) {
    CHECK(std::string(e.what()).find("/nonexistent-dir/x.pcap") != std::string::npos);
  }
  CHECK_FALSE(sw.has_segment("x"));
  CHECK(sw.segment_names() == std::vector<std::string>{"lan"});
}

TEST_CASE("switch: machines on different threads send concurrently", "[switch]") {
  VirtualSwitch sw;  // the real clock
  sw.add_segment("lan");
  constexpr int kStations = 4, kFrames = 2000;
  std::vector<std::unique_ptr<Station>> stations;
  for (int i = 0; i < kStations; ++i)
    stations.push_back(std::make_unique<Station>(sw, "lan", std::string("s").append(std::to_string(i))));
  // Everyone announces itself, so later frames are unicast.
  for (int i = 0; i < kStations; ++i)
    stations[static_cast<size_t>(i)]->port->send(frame(kBroadcast, mac(static_cast<uint8_t>(i + 1))));
  std::vector<std::thread> threads;
  for (int i = 0; i < kStations; ++i) {
    threads.emplace_back([&, i] {
      const uint8_t self = static_cast<uint8_t>(i + 1);
      const uint8_t peer = static_cast<uint8_t>((i + 1) % kStations + 1);
      for (int n = 0; n < kFrames; ++n) stations[static_cast<size_t>(i)]->port->send(frame(mac(peer), mac(self)));
    });
  }
  for (auto& t : threads) t.join();
  size_t total = 0;
  for (auto& s : stations) total += s->card.count();
  CHECK(total == static_cast<size_t>(kStations * (kStations - 1) + kStations * kFrames));
  CHECK(sw.segment_stats("lan").unicast == static_cast<uint64_t>(kStations * kFrames));
}
