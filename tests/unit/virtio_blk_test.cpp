// Tests for devices/virtio/block: virtio-blk requests (virtio 1.2, 5.2.6) driven through the
// MMIO transport against temporary files and injected failing files, the copy-on-write overlay
// and disk specs.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "devices/virtio/block.hpp"
#include "tests/unit/virtio_test_driver.hpp"

using namespace hartbox;
using namespace hartbox::test;
using Catch::Matchers::ContainsSubstring;

namespace {

constexpr unsigned kIrq = 2;
constexpr uint64_t kHdr = kRamBase + 0x20000;
constexpr uint64_t kBuf = kRamBase + 0x100000;
constexpr uint64_t kStatusAddr = kRamBase + 0x30000;
constexpr uint64_t kVersion1 = uint64_t{1} << 32;
constexpr uint64_t bit(unsigned b) { return uint64_t{1} << b; }

// A temporary directory, removed with its contents.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "hartbox-blk-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 9));
  return v;
}

void write_file(const std::string& path, const std::vector<uint8_t>& data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  REQUIRE(f.good());
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

// An in-memory BlockFile that can fail on demand and logs what it was asked to do.
struct MemFile : BlockFile {
  std::vector<uint8_t> data;
  int read_error = 0, write_error = 0, sync_error = 0;
  unsigned syncs = 0;
  std::vector<std::string> log;  // "write@OFFSET", "sync"
  bool frozen = false;           // a simulated crash: later writes are lost

  explicit MemFile(size_t n = 0) : data(n) {}
  int read_at(uint64_t off, void* dst, size_t len) override {
    if (read_error) return read_error;
    if (off + len > data.size()) return EIO;
    std::memcpy(dst, data.data() + off, len);
    return 0;
  }
  int write_at(uint64_t off, const void* src, size_t len) override {
    if (write_error) return write_error;
    log.push_back("write@" + std::to_string(off));
    if (frozen) return 0;
    if (off + len > data.size()) data.resize(static_cast<size_t>(off + len));
    std::memcpy(data.data() + off, src, len);
    return 0;
  }
  int sync() override {
    ++syncs;
    log.push_back("sync");
    return sync_error;
  }
  int punch_hole(uint64_t off, uint64_t len) override { return zero_range(off, len); }
  int zero_range(uint64_t off, uint64_t len) override {
    if (write_error) return write_error;
    if (frozen) return 0;
    if (off + len > data.size()) return EINVAL;
    std::memset(data.data() + off, 0, static_cast<size_t>(len));
    return 0;
  }
  int size(uint64_t& bytes) override {
    bytes = data.size();
    return 0;
  }
  int truncate(uint64_t bytes) override {
    data.resize(static_cast<size_t>(bytes));
    return 0;
  }
};

// A BlockFile that forwards to a MemFile owned by the test.
struct FileRef : BlockFile {
  MemFile* f;
  explicit FileRef(MemFile* file) : f(file) {}
  int read_at(uint64_t o, void* d, size_t l) override { return f->read_at(o, d, l); }
  int write_at(uint64_t o, const void* s, size_t l) override { return f->write_at(o, s, l); }
  int sync() override { return f->sync(); }
  int punch_hole(uint64_t o, uint64_t l) override { return f->punch_hole(o, l); }
  int zero_range(uint64_t o, uint64_t l) override { return f->zero_range(o, l); }
  int size(uint64_t& b) override { return f->size(b); }
  int truncate(uint64_t b) override { return f->truncate(b); }
};

uint64_t all_features() {
  return kVersion1 | bit(28) | bit(29) | bit(1) | bit(2) | bit(5) | bit(6) | bit(9) | bit(13) | bit(14);
}

// A VirtioBlock behind a VirtioMmio, initialised like Linux does it.
struct BlkRig {
  GuestRam ram{kRamBase, kRamSize};
  FakeInterruptController pic;
  VirtioBlock* blk;
  VirtioMmio mmio;
  MmioDriver drv{mmio};
  DriverQueue q;
  uint32_t last_used_len = 0;

  explicit BlkRig(std::unique_ptr<DiskImage> disk, uint64_t features = all_features(),
                  VirtioMmio::Version v = VirtioMmio::Version::Modern, std::string serial = "")
      : blk(new VirtioBlock(std::move(disk), std::move(serial))),
        mmio(ram, IrqLine{&pic, kIrq}, std::unique_ptr<VirtioDevice>(blk), v) {
    REQUIRE(drv.negotiate(features));
    if (v == VirtioMmio::Version::Legacy) {
      q = DriverQueue::legacy(ram, 64, kRamBase + 0x4000, 4096);
      drv.setup_legacy_queue(0, q, 4096);
    } else {
      q = DriverQueue(ram, 64, kRamBase + 0x1000, kRamBase + 0x2000, kRamBase + 0x3000);
      drv.setup_queue(0, q);
    }
    drv.driver_ok();
  }

  // Submits one request: header, then `out` as device-readable data or `in_len` device-writable
  // bytes, then the status byte. Returns the status byte; `in` receives the data read.
  uint8_t request(uint32_t type, uint64_t sector, const std::vector<uint8_t>& out = {},
                  uint32_t in_len = 0, std::vector<uint8_t>* in = nullptr) {
    uint8_t hdr[16] = {};
    for (int i = 0; i < 4; ++i) hdr[i] = static_cast<uint8_t>(type >> (8 * i));
    for (int i = 0; i < 8; ++i) hdr[8 + i] = static_cast<uint8_t>(sector >> (8 * i));
    ram.write(kHdr, hdr, sizeof hdr);
    uint8_t poison = 0xee;
    ram.write(kStatusAddr, &poison, 1);
    std::vector<DriverQueue::Buf> bufs{{kHdr, 16, false}};
    if (!out.empty()) {
      ram.write(kBuf, out.data(), out.size());
      bufs.push_back({kBuf, static_cast<uint32_t>(out.size()), false});
    }
    if (in_len) {
      ram.fill(kBuf, 0xcc, in_len);
      bufs.push_back({kBuf, in_len, true});
    }
    bufs.push_back({kStatusAddr, 1, true});
    const uint16_t before = q.used_idx();
    const uint16_t head = q.add(bufs);
    drv.notify(0);
    REQUIRE(q.used_idx() == before + 1);
    CHECK(q.used_elem(before).id == head);
    last_used_len = q.used_elem(before).len;
    if (in) {
      in->resize(in_len);
      ram.read(kBuf, in->data(), in_len);
    }
    uint8_t status = 0;
    ram.read(kStatusAddr, &status, 1);
    return status;
  }

  std::vector<uint8_t> read_sectors(uint64_t sector, uint32_t count, uint8_t expect = 0) {
    std::vector<uint8_t> data;
    CHECK(request(0, sector, {}, count * 512, &data) == expect);
    return data;
  }
};

std::vector<uint8_t> segment(uint64_t sector, uint32_t sectors, uint32_t flags) {
  std::vector<uint8_t> s(16);
  for (int i = 0; i < 8; ++i) s[static_cast<size_t>(i)] = static_cast<uint8_t>(sector >> (8 * i));
  for (int i = 0; i < 4; ++i) s[static_cast<size_t>(8 + i)] = static_cast<uint8_t>(sectors >> (8 * i));
  for (int i = 0; i < 4; ++i) s[static_cast<size_t>(12 + i)] = static_cast<uint8_t>(flags >> (8 * i));
  return s;
}

std::unique_ptr<DiskImage> raw_disk(const std::string& path, bool ro = false) {
  return open_disk(DiskSpec{path, ro, "", {}});
}

}  // namespace

TEST_CASE("virtio-blk: features and configuration space (5.2.3, 5.2.4)", "[virtio][blk]") {
  TempDir dir;
  write_file(dir.file("d.img"), pattern(64 * 1024 + 100, 1));  // not a multiple of 512
  BlkRig rig(raw_disk(dir.file("d.img")));
  CHECK(rig.drv.read32(0x008) == 2);
  const uint64_t f = rig.drv.device_features();
  CHECK((f & kVersion1) != 0);
  CHECK((f & bit(28)) != 0);  // RING_INDIRECT_DESC
  CHECK((f & bit(29)) != 0);  // RING_EVENT_IDX
  for (unsigned b : {1u, 2u, 6u, 9u, 13u, 14u}) CHECK((f & bit(b)) != 0);
  CHECK((f & bit(5)) == 0);  // not read-only
  CHECK(rig.drv.config(0, 4) == 128);  // capacity in 512-byte sectors (low word)
  CHECK(rig.drv.config(4, 4) == 0);
  CHECK(rig.drv.config(8, 4) == 1024 * 1024);  // size_max
  CHECK(rig.drv.config(12, 4) == 254);         // seg_max
  CHECK(rig.drv.config(20, 4) == 512);         // blk_size
  CHECK(rig.drv.config(36, 4) == (1u << 22));  // max_discard_sectors
  CHECK(rig.drv.config(40, 4) == 32);          // max_discard_seg
  CHECK(rig.drv.config(44, 4) == 8);           // discard_sector_alignment: 4 KiB
  CHECK(rig.drv.config(48, 4) == (1u << 22));  // max_write_zeroes_sectors
  CHECK(rig.drv.config(52, 4) == 32);          // max_write_zeroes_seg
  CHECK(rig.drv.config(56, 1) == 1);           // write_zeroes_may_unmap
  CHECK(rig.drv.config(33, 1) == 0);           // unused0
}

TEST_CASE("virtio-blk: read, write, flush and get-id (5.2.6)", "[virtio][blk]") {
  TempDir dir;
  const auto original = pattern(256 * 1024, 3);
  write_file(dir.file("d.img"), original);
  BlkRig rig(raw_disk(dir.file("d.img")), all_features(), VirtioMmio::Version::Modern, "hartbox-serial-0001");

  SECTION("IN reads sectors") {
    auto data = rig.read_sectors(5, 3);
    CHECK(std::equal(data.begin(), data.end(), original.begin() + 5 * 512));
    CHECK(rig.last_used_len == 3 * 512 + 1);
    CHECK(rig.drv.interrupt_status() == 1);
    CHECK(rig.pic.high(kIrq));
  }
  SECTION("OUT writes sectors to the file") {
    auto fresh = pattern(1024, 99);
    CHECK(rig.request(1, 10, fresh) == 0);
    CHECK(rig.last_used_len == 1);
    auto file = read_file(dir.file("d.img"));
    CHECK(std::equal(fresh.begin(), fresh.end(), file.begin() + 10 * 512));
    CHECK(std::equal(file.begin(), file.begin() + 10 * 512, original.begin()));
    CHECK(std::equal(file.begin() + 12 * 512, file.end(), original.begin() + 12 * 512));
    CHECK(rig.read_sectors(10, 2) == fresh);
    CHECK(rig.request(4, 0) == 0);  // FLUSH
  }
  SECTION("GET_ID returns the 20-byte serial") {
    std::vector<uint8_t> id;
    CHECK(rig.request(8, 0, {}, 20, &id) == 0);
    const std::string serial = "hartbox-serial-0001";
    std::vector<uint8_t> expect(serial.begin(), serial.end());
    expect.push_back(0);
    CHECK(id == expect);
    CHECK(rig.last_used_len == 21);
  }
  SECTION("the last sector is readable, one past it is not") {
    CHECK(rig.read_sectors(511, 1).size() == 512);
    rig.read_sectors(512, 1, 1);
    rig.read_sectors(511, 2, 1);
    // A sector number so large that sector * 512 overflows.
    rig.read_sectors(uint64_t{1} << 55, 1, 1);
    rig.read_sectors(~uint64_t{0}, 1, 1);
    CHECK(rig.request(1, 512, pattern(512, 1)) == 1);
  }
  SECTION("data lengths that are not whole sectors are IOERR") {
    CHECK(rig.request(0, 0, {}, 100) == 1);
    CHECK(rig.request(1, 0, pattern(700, 1)) == 1);
    CHECK(read_file(dir.file("d.img")) == original);
  }
  SECTION("unknown and unsupported request types are UNSUPP") {
    CHECK(rig.request(99, 0) == 2);
    CHECK(rig.request(10, 0, {}, 6) == 2);  // GET_LIFETIME
    CHECK(rig.request(14, 0, segment(0, 1, 0)) == 2);  // SECURE_ERASE
    CHECK(rig.request(0x80000001u, 0, pattern(512, 1)) == 2);  // legacy barrier bit
  }
}

TEST_CASE("virtio-blk: a short serial is NUL-padded", "[virtio][blk]") {
  TempDir dir;
  write_file(dir.file("d.img"), pattern(4096, 1));
  BlkRig rig(raw_disk(dir.file("d.img")), all_features(), VirtioMmio::Version::Modern, "abc");
  std::vector<uint8_t> id;
  CHECK(rig.request(8, 0, {}, 20, &id) == 0);
  std::vector<uint8_t> expect(20, 0);
  expect[0] = 'a', expect[1] = 'b', expect[2] = 'c';
  CHECK(id == expect);
}

TEST_CASE("virtio-blk: discard and write zeroes", "[virtio][blk]") {
  TempDir dir;
  const auto original = pattern(1024 * 1024, 5);
  write_file(dir.file("d.img"), original);
  BlkRig rig(raw_disk(dir.file("d.img")));

  SECTION("WRITE_ZEROES zeroes the range, with and without unmap") {
    auto segs = segment(8, 8, 0);
    auto seg2 = segment(100, 3, 1);
    segs.insert(segs.end(), seg2.begin(), seg2.end());
    CHECK(rig.request(13, 0, segs) == 0);
    auto file = read_file(dir.file("d.img"));
    REQUIRE(file.size() == original.size());
    for (size_t i = 0; i < file.size(); ++i) {
      const bool zeroed = (i >= 8 * 512 && i < 16 * 512) || (i >= 100 * 512 && i < 103 * 512);
      if (file[i] != (zeroed ? 0 : original[i])) FAIL("byte " << i);
    }
    CHECK(rig.read_sectors(100, 3) == std::vector<uint8_t>(3 * 512, 0));
  }
  SECTION("DISCARD succeeds and deallocates") {
    struct stat before, after;
    REQUIRE(::stat(dir.file("d.img").c_str(), &before) == 0);
    CHECK(rig.request(11, 0, segment(0, 1024, 0)) == 0);
    REQUIRE(::stat(dir.file("d.img").c_str(), &after) == 0);
    CHECK(after.st_size == before.st_size);
    CHECK(after.st_blocks < before.st_blocks);
  }
  SECTION("flags: unmap on DISCARD and unknown flags are UNSUPP") {
    CHECK(rig.request(11, 0, segment(0, 8, 1)) == 2);
    CHECK(rig.request(11, 0, segment(0, 8, 4)) == 2);
    CHECK(rig.request(13, 0, segment(0, 8, 2)) == 2);
    CHECK(read_file(dir.file("d.img")) == original);
  }
  SECTION("bad segments are IOERR and change nothing") {
    CHECK(rig.request(13, 0, segment(2047, 2, 0)) == 1);            // past the end
    CHECK(rig.request(13, 0, segment(~uint64_t{0}, 1, 0)) == 1);    // overflowing sector
    CHECK(rig.request(13, 0, segment(0, (1u << 22) + 1, 0)) == 1);  // above max_write_zeroes_sectors
    std::vector<uint8_t> many;
    for (int i = 0; i < 33; ++i) {
      auto s = segment(static_cast<uint64_t>(i), 1, 0);
      many.insert(many.end(), s.begin(), s.end());
    }
    CHECK(rig.request(13, 0, many) == 1);                          // above max_write_zeroes_seg
    CHECK(rig.request(13, 0, pattern(20, 0)) == 1);                // not whole segments
    // A good segment followed by a bad one: nothing is done (all are checked first).
    auto mixed = segment(0, 1, 0);
    auto bad = segment(5000, 1, 0);
    mixed.insert(mixed.end(), bad.begin(), bad.end());
    CHECK(rig.request(13, 0, mixed) == 1);
    CHECK(read_file(dir.file("d.img")) == original);
  }
}

TEST_CASE("virtio-blk: DISCARD and WRITE_ZEROES need their features negotiated", "[virtio][blk]") {
  TempDir dir;
  write_file(dir.file("d.img"), pattern(64 * 1024, 5));
  BlkRig rig(raw_disk(dir.file("d.img")), kVersion1 | bit(9));
  CHECK(rig.request(11, 0, segment(0, 8, 0)) == 2);
  CHECK(rig.request(13, 0, segment(0, 8, 0)) == 2);
  CHECK(read_file(dir.file("d.img")) == pattern(64 * 1024, 5));
}

TEST_CASE("virtio-blk: a read-only disk fails writes with IOERR and writes nothing (5.2.6.2)", "[virtio][blk]") {
  TempDir dir;
  const auto original = pattern(64 * 1024, 9);
  write_file(dir.file("ro.img"), original);
  ::chmod(dir.file("ro.img").c_str(), 0444);
  BlkRig rig(raw_disk(dir.file("ro.img"), true));
  const uint64_t f = rig.drv.device_features();
  CHECK((f & bit(5)) != 0);   // VIRTIO_BLK_F_RO
  CHECK((f & bit(13)) == 0);  // no DISCARD
  CHECK((f & bit(14)) == 0);  // no WRITE_ZEROES
  CHECK(rig.request(1, 0, pattern(512, 1)) == 1);
  CHECK(rig.request(11, 0, segment(0, 8, 0)) == 1);
  CHECK(rig.request(13, 0, segment(0, 8, 0)) == 1);
  CHECK(rig.read_sectors(0, 2) == std::vector<uint8_t>(original.begin(), original.begin() + 1024));
  CHECK(rig.request(4, 0) == 0);
  CHECK(read_file(dir.file("ro.img")) == original);
}

TEST_CASE("virtio-blk: the device itself refuses writes to a read-only disk", "[virtio][blk]") {
  // A disk that says it is read-only but would accept writes: the device must not ask.
  struct PermissiveDisk : DiskImage {
    unsigned writes = 0;
    uint64_t size() const override { return 64 * 1024; }
    bool read_only() const override { return true; }
    int read(uint64_t, void* dst, size_t len) override {
      std::memset(dst, 0, len);
      return 0;
    }
    int write(uint64_t, const void*, size_t) override { return ++writes, 0; }
    int flush() override { return 0; }
    int discard(uint64_t, uint64_t) override { return ++writes, 0; }
    int write_zeroes(uint64_t, uint64_t, bool) override { return ++writes, 0; }
  };
  auto* disk = new PermissiveDisk;
  BlkRig rig{std::unique_ptr<DiskImage>(disk)};
  CHECK(rig.request(1, 0, pattern(512, 1)) == 1);
  CHECK(rig.request(11, 0, segment(0, 8, 0)) == 1);
  CHECK(rig.request(13, 0, segment(0, 8, 0)) == 1);
  CHECK(disk->writes == 0);
}

TEST_CASE("virtio-blk: malformed requests", "[virtio][blk][hostile]") {
  TempDir dir;
  write_file(dir.file("d.img"), pattern(64 * 1024, 9));
  BlkRig rig(raw_disk(dir.file("d.img")));
  SECTION("no device-writable status byte: the device needs a reset") {
    rig.ram.write(kHdr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16);
    rig.q.add({{kHdr, 16, false}, {kBuf, 512, false}});
    rig.drv.notify(0);
    CHECK(rig.q.used_idx() == 0);
    CHECK((rig.drv.status() & 64) != 0);
    CHECK((rig.drv.interrupt_status() & 2) != 0);
  }
  SECTION("header in a device-writable buffer: IOERR") {
    uint8_t st = 0xee;
    rig.ram.write(kStatusAddr, &st, 1);
    rig.q.add({{kHdr, 16, true}, {kStatusAddr, 1, true}});
    rig.drv.notify(0);
    REQUIRE(rig.q.used_idx() == 1);
    rig.ram.read(kStatusAddr, &st, 1);
    CHECK(st == 1);
    CHECK((rig.drv.status() & 64) == 0);
  }
  SECTION("a truncated header: IOERR") {
    uint8_t st = 0xee;
    rig.ram.write(kStatusAddr, &st, 1);
    rig.q.add({{kHdr, 8, false}, {kStatusAddr, 1, true}});
    rig.drv.notify(0);
    REQUIRE(rig.q.used_idx() == 1);
    rig.ram.read(kStatusAddr, &st, 1);
    CHECK(st == 1);
  }
}

TEST_CASE("virtio-blk: host I/O errors complete requests with IOERR", "[virtio][blk]") {
  auto* file = new MemFile(64 * 1024);
  BlkRig rig(std::make_unique<RawDiskImage>(std::unique_ptr<BlockFile>(file), false));
  CHECK(rig.request(1, 0, pattern(512, 1)) == 0);
  file->read_error = EIO;
  rig.read_sectors(0, 1, 1);
  file->read_error = 0;
  file->write_error = ENOSPC;
  CHECK(rig.request(1, 0, pattern(512, 2)) == 1);
  CHECK(rig.request(13, 0, segment(0, 8, 0)) == 1);
  file->write_error = 0;
  CHECK(rig.request(4, 0) == 0);
  // A failed sync fails this flush and every later one (the data may be gone).
  file->sync_error = EIO;
  CHECK(rig.request(4, 0) == 1);
  file->sync_error = 0;
  CHECK(rig.request(4, 0) == 1);
  // The device keeps serving reads.
  CHECK(rig.read_sectors(0, 1) == pattern(512, 1));
  CHECK((rig.drv.status() & 64) == 0);
}

TEST_CASE("virtio-blk: FLUSH reports OK only after the sync", "[virtio][blk]") {
  auto* file = new MemFile(64 * 1024);
  BlkRig rig(std::make_unique<RawDiskImage>(std::unique_ptr<BlockFile>(file), false));
  CHECK(rig.request(1, 0, pattern(512, 1)) == 0);
  CHECK(file->syncs == 0);  // FLUSH negotiated: a write alone is not synced
  CHECK(rig.request(4, 0) == 0);
  CHECK(file->syncs == 1);
}

TEST_CASE("virtio-blk: without FLUSH negotiated every write is made stable (5.2.6.2)", "[virtio][blk]") {
  auto* file = new MemFile(64 * 1024);
  BlkRig rig(std::make_unique<RawDiskImage>(std::unique_ptr<BlockFile>(file), false), kVersion1 | bit(14));
  CHECK(rig.request(1, 0, pattern(512, 1)) == 0);
  CHECK(file->syncs == 1);
  CHECK(rig.request(13, 0, segment(0, 1, 0)) == 0);
  CHECK(file->syncs == 2);
  file->sync_error = EIO;
  CHECK(rig.request(1, 0, pattern(512, 1)) == 1);
}

TEST_CASE("virtio-blk: real host errors: ENOSPC from /dev/full, EIO from a truncated image", "[virtio][blk]") {
  auto full = PosixBlockFile::open("/dev/full", PosixBlockFile::Mode::ReadWrite);
  uint8_t b[512] = {};
  CHECK(full->write_at(0, b, sizeof b) == ENOSPC);

  TempDir dir;
  write_file(dir.file("d.img"), pattern(64 * 1024, 1));
  BlkRig rig(raw_disk(dir.file("d.img")));
  REQUIRE(::truncate(dir.file("d.img").c_str(), 4096) == 0);  // shrunk behind the device's back
  rig.read_sectors(100, 1, 1);
  CHECK(rig.read_sectors(0, 1) == pattern(512, 1));
  // The file is removed: the open descriptor keeps working (POSIX), nothing crashes.
  std::filesystem::remove(dir.file("d.img"));
  CHECK(rig.request(1, 0, pattern(512, 4)) == 0);
  CHECK(rig.request(4, 0) == 0);
}

TEST_CASE("virtio-blk: legacy transport", "[virtio][blk][legacy]") {
  TempDir dir;
  const auto original = pattern(64 * 1024, 3);
  write_file(dir.file("d.img"), original);
  BlkRig rig(raw_disk(dir.file("d.img")), all_features() & 0xffffffffu, VirtioMmio::Version::Legacy);
  CHECK(rig.drv.read32(0x004) == 1);
  CHECK(rig.read_sectors(1, 1) == std::vector<uint8_t>(original.begin() + 512, original.begin() + 1024));
  CHECK(rig.request(1, 3, pattern(512, 8)) == 0);
  CHECK(rig.read_sectors(3, 1) == pattern(512, 8));
}

TEST_CASE("virtio-blk: an image is locked against a second writer", "[virtio][blk]") {
  TempDir dir;
  write_file(dir.file("d.img"), pattern(4096, 1));
  auto first = raw_disk(dir.file("d.img"));
  CHECK_THROWS_WITH(raw_disk(dir.file("d.img")), ContainsSubstring("in use"));
  CHECK_THROWS_WITH(raw_disk(dir.file("d.img"), true), ContainsSubstring("in use"));
  first.reset();
  auto again = raw_disk(dir.file("d.img"));
}

TEST_CASE("disk specs: PATH[,readonly][,overlay=PATH]", "[virtio][blk][spec]") {
  auto s = parse_disk_spec("disk.img");
  CHECK(s.path == "disk.img");
  CHECK_FALSE(s.read_only);
  CHECK(s.overlay.empty());
  s = parse_disk_spec("/a/b.img,readonly");
  CHECK(s.path == "/a/b.img");
  CHECK(s.read_only);
  s = parse_disk_spec("base.img,overlay=over.img");
  CHECK(s.overlay == "over.img");
  CHECK_FALSE(s.read_only);
  s = parse_disk_spec("base.img,overlay=o.img,readonly");
  CHECK(s.read_only);
  CHECK(s.overlay == "o.img");
  s = parse_disk_spec("a,,b.img,overlay=c,,d");
  CHECK(s.path == "a,b.img");
  CHECK(s.overlay == "c,d");

  CHECK_THROWS_AS(parse_disk_spec(""), DiskError);
  CHECK_THROWS_WITH(parse_disk_spec(",readonly"), ContainsSubstring("missing image path"));
  CHECK_THROWS_WITH(parse_disk_spec("d.img,rw"), ContainsSubstring("unknown option 'rw'"));
  CHECK_THROWS_WITH(parse_disk_spec("d.img,overlay="), ContainsSubstring("needs a path"));
  CHECK_THROWS_WITH(parse_disk_spec("d.img,readonly,readonly"), ContainsSubstring("twice"));
  CHECK_THROWS_WITH(parse_disk_spec("d.img,overlay=a,overlay=b"), ContainsSubstring("twice"));
  CHECK_THROWS_WITH(parse_disk_spec("d.img,"), ContainsSubstring("empty option"));
  CHECK_THROWS_WITH(parse_disk_spec("d.img,overlay=d.img"), ContainsSubstring("cannot be the base"));
}

TEST_CASE("open_disk: clear errors", "[virtio][blk][spec]") {
  TempDir dir;
  CHECK_THROWS_WITH(open_disk(parse_disk_spec(dir.file("missing.img"))),
                    ContainsSubstring("missing.img") && ContainsSubstring("No such file"));
  CHECK_THROWS_WITH(open_disk(parse_disk_spec(dir.path.string())), ContainsSubstring("directory"));
  write_file(dir.file("empty.img"), {});
  CHECK_THROWS_WITH(open_disk(parse_disk_spec(dir.file("empty.img"))), ContainsSubstring("smaller than one"));
}

TEST_CASE("overlay: the base never changes and written data persists across reopen", "[virtio][blk][overlay]") {
  TempDir dir;
  const auto base = pattern(1024 * 1024 + 3 * 512, 11);  // last block partial
  write_file(dir.file("base.img"), base);
  const std::string spec = dir.file("base.img") + ",overlay=" + dir.file("over.img");
  auto fresh = pattern(3 * 512, 200);
  {
    BlkRig rig(open_disk(parse_disk_spec(spec), 4096));
    CHECK(rig.drv.config(0, 4) == base.size() / 512);
    CHECK(rig.drv.config(44, 4) == 8);  // discard alignment: the overlay block
    // Unwritten blocks read from the base.
    CHECK(rig.read_sectors(0, 4) == std::vector<uint8_t>(base.begin(), base.begin() + 2048));
    // A write in the middle of a block copies the rest of it up from the base.
    CHECK(rig.request(1, 9, fresh) == 0);  // sectors 9..11: blocks 1 (partial) and 1
    auto around = rig.read_sectors(8, 8);  // sectors 8..15 = block 1
    CHECK(std::equal(around.begin(), around.begin() + 512, base.begin() + 8 * 512));
    CHECK(std::equal(around.begin() + 512, around.begin() + 2048, fresh.begin()));
    CHECK(std::equal(around.begin() + 2048, around.end(), base.begin() + 12 * 512));
    // The last, partial block.
    const uint64_t last = base.size() / 512 - 1;
    CHECK(rig.request(1, last, pattern(512, 7)) == 0);
    CHECK(rig.read_sectors(last, 1) == pattern(512, 7));
    CHECK(rig.read_sectors(last - 1, 1) ==
          std::vector<uint8_t>(base.end() - 1024, base.end() - 512));
    // WRITE_ZEROES over a base block makes it read zeros without touching the base.
    CHECK(rig.request(13, 0, segment(64, 16, 1)) == 0);
    CHECK(rig.read_sectors(64, 16) == std::vector<uint8_t>(16 * 512, 0));
    CHECK(rig.request(4, 0) == 0);
    auto* disk = dynamic_cast<OverlayDiskImage*>(&rig.blk->disk());
    REQUIRE(disk != nullptr);
    CHECK(disk->block_size() == 4096);
    CHECK(disk->present_blocks() == 4);  // blocks 1, the last, 8 and 9
  }
  CHECK(read_file(dir.file("base.img")) == base);
  {
    BlkRig rig(open_disk(parse_disk_spec(spec)));
    CHECK(rig.read_sectors(9, 3) == fresh);
    CHECK(rig.read_sectors(8, 1) == std::vector<uint8_t>(base.begin() + 8 * 512, base.begin() + 9 * 512));
    CHECK(rig.read_sectors(64, 16) == std::vector<uint8_t>(16 * 512, 0));
    CHECK(rig.read_sectors(200, 1) == std::vector<uint8_t>(base.begin() + 200 * 512, base.begin() + 201 * 512));
    // A read-only open of the same overlay sees the data and refuses writes.
  }
  {
    BlkRig rig(open_disk(parse_disk_spec(spec + ",readonly")));
    CHECK(rig.read_sectors(9, 3) == fresh);
    CHECK(rig.request(1, 0, pattern(512, 1)) == 1);
  }
  CHECK(read_file(dir.file("base.img")) == base);
}

TEST_CASE("overlay: opening checks the header against the base", "[virtio][blk][overlay]") {
  TempDir dir;
  write_file(dir.file("base.img"), pattern(64 * 1024, 1));
  const std::string over = dir.file("over.img");
  open_disk(parse_disk_spec(dir.file("base.img") + ",overlay=" + over));  // creates it

  SECTION("a base of another size") {
    write_file(dir.file("other.img"), pattern(128 * 1024, 1));
    CHECK_THROWS_WITH(open_disk(parse_disk_spec(dir.file("other.img") + ",overlay=" + over)),
                      ContainsSubstring("over.img") && ContainsSubstring("65536 bytes") &&
                          ContainsSubstring("131072 bytes"));
  }
  SECTION("not an overlay") {
    write_file(over, pattern(8192, 1));
    CHECK_THROWS_WITH(open_disk(parse_disk_spec(dir.file("base.img") + ",overlay=" + over)),
                      ContainsSubstring("bad magic"));
  }
  SECTION("a corrupted header") {
    auto bytes = read_file(over);
    bytes[17] ^= 1;  // base size
    write_file(over, bytes);
    CHECK_THROWS_WITH(open_disk(parse_disk_spec(dir.file("base.img") + ",overlay=" + over)),
                      ContainsSubstring("checksum"));
  }
  SECTION("a truncated overlay") {
    REQUIRE(::truncate(over.c_str(), 4096 + 10) == 0);
    CHECK_THROWS_WITH(open_disk(parse_disk_spec(dir.file("base.img") + ",overlay=" + over)),
                      ContainsSubstring("truncated"));
  }
  SECTION("a short file") {
    REQUIRE(::truncate(over.c_str(), 100) == 0);
    CHECK_THROWS_WITH(open_disk(parse_disk_spec(dir.file("base.img") + ",overlay=" + over)),
                      ContainsSubstring("too short"));
  }
  SECTION("a bad block size leaves no half-made overlay behind") {
    CHECK_THROWS_WITH(open_disk(parse_disk_spec(dir.file("base.img") + ",overlay=" + dir.file("new.img")), 1000),
                      ContainsSubstring("block size"));
    CHECK_FALSE(std::filesystem::exists(dir.file("new.img")));
  }
  SECTION("a read-only disk does not create a missing overlay") {
    CHECK_THROWS_WITH(open_disk(parse_disk_spec(dir.file("base.img") + ",readonly,overlay=" + dir.file("new.img"))),
                      ContainsSubstring("does not exist"));
    CHECK_FALSE(std::filesystem::exists(dir.file("new.img")));
  }
}

TEST_CASE("overlay: flush syncs the data before the bitmap that exposes it", "[virtio][blk][overlay]") {
  MemFile base(64 * 1024);
  for (size_t i = 0; i < base.data.size(); ++i) base.data[i] = static_cast<uint8_t>(i);
  MemFile over;
  OverlayDiskImage::format(base, over, 4096, "over");
  const uint64_t bitmap_pos = 4096;
  const std::string bitmap_write = "write@" + std::to_string(bitmap_pos);
  {
    OverlayDiskImage disk(std::make_unique<FileRef>(&base), std::make_unique<FileRef>(&over), false, "over", "base");
    over.log.clear();
    uint8_t buf[100];
    std::memset(buf, 0xab, sizeof buf);
    REQUIRE(disk.write(5000, buf, sizeof buf) == 0);
    // Before the flush the on-disk bitmap is unchanged.
    CHECK(std::find(over.log.begin(), over.log.end(), bitmap_write) == over.log.end());
    REQUIRE(disk.flush() == 0);
    auto bm = std::find(over.log.begin(), over.log.end(), bitmap_write);
    REQUIRE(bm != over.log.end());
    auto first_sync = std::find(over.log.begin(), over.log.end(), "sync");
    CHECK(first_sync < bm);                                        // data synced first
    CHECK(std::find(bm, over.log.end(), "sync") != over.log.end());  // then the bitmap
    // A crash now: the next writes are lost, so the block must not be exposed after reopen.
    REQUIRE(disk.write(20000, buf, sizeof buf) == 0);
    over.frozen = true;
  }
  over.frozen = false;
  OverlayDiskImage disk(std::make_unique<FileRef>(&base), std::make_unique<FileRef>(&over), false, "over", "base");
  uint8_t out[100];
  REQUIRE(disk.read(5000, out, sizeof out) == 0);
  CHECK(out[0] == 0xab);
  CHECK(out[99] == 0xab);
  CHECK(disk.block_present(1));
  CHECK_FALSE(disk.block_present(4));  // the block written after the crash point is absent
  REQUIRE(disk.read(20000, out, sizeof out) == 0);
  CHECK(out[0] == static_cast<uint8_t>(20000 & 0xff));  // base data
}

TEST_CASE("overlay: I/O errors come back as errors", "[virtio][blk][overlay]") {
  MemFile base(64 * 1024);
  MemFile over;
  OverlayDiskImage::format(base, over, 4096, "over");
  OverlayDiskImage disk(std::make_unique<FileRef>(&base), std::make_unique<FileRef>(&over), false, "over", "base");
  uint8_t buf[512] = {};
  base.read_error = EIO;
  CHECK(disk.read(0, buf, sizeof buf) == EIO);
  CHECK(disk.write(100, buf, 10) == EIO);  // copy-up needs the base
  CHECK_FALSE(disk.block_present(0));
  base.read_error = 0;
  over.write_error = ENOSPC;
  CHECK(disk.write(100, buf, 10) == ENOSPC);
  CHECK_FALSE(disk.block_present(0));
  over.write_error = 0;
  CHECK(disk.write(100, buf, 10) == 0);
  over.sync_error = EIO;
  CHECK(disk.flush() == EIO);
  over.sync_error = 0;
  CHECK(disk.flush() == EIO);  // sticky
}
