// Snapshots, restores and clones of whole machines (devices/snapshot.hpp, core/state_io.hpp).
//
//   - State I/O: XXH64 against the reference values, the reader's checks.
//   - Round trips: every rom in roms/ (found as in lockstep_test.cpp: $HARTBOX_ROMS_DIR, else
//     <test binary>/../roms) runs to the middle, is snapshotted, restored into a fresh machine
//     (on each engine, and across engines) and run to the end: the output and the instruction
//     count are those of an uninterrupted run, and the restored machine ends in exactly the
//     state of the original that went on running.
//   - Virtio state: queues driven from the host keep their ring indices across a restore.
//   - Bad files: truncated, corrupted, foreign, of another version, or crafted with valid
//     checksums but inconsistent state: one SnapshotError line naming the file, never a crash.
//   - Atomic writes: a write that fails midway (file size limit) or a process killed while
//     writing leaves the previous snapshot intact.
//   - Clones: RAM shared copy-on-write, the same run as the template, disks on their own
//     overlays over a frozen, shared chain.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/state_io.hpp"
#include "devices/machine.hpp"
#include "devices/virtio/rng.hpp"
#include "tests/unit/virtio_test_driver.hpp"

using namespace hartbox;
using Catch::Matchers::ContainsSubstring;

namespace {

constexpr const char* kEngines[] = {"interp", "threaded", "block"};

// A temporary directory, removed with its contents.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char pattern[] = "/tmp/hartbox-snapshot-test-XXXXXX";
    const char* made = ::mkdtemp(pattern);
    if (!made) throw std::runtime_error("mkdtemp failed");
    path = made;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

std::filesystem::path roms_dir() {
  if (const char* env = std::getenv("HARTBOX_ROMS_DIR"); env && *env) return env;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path() / ".." / "roms";
}

// The roms to round-trip: every ISA test and C program, except file_io, which needs its host
// file open across the snapshot point (and a restored machine cannot reopen host files).
std::vector<std::filesystem::path> find_roms() {
  std::vector<std::filesystem::path> out;
  const auto dir = roms_dir();
  std::error_code ec;
  for (const char* sub : {"isa", "c"}) {
    for (const auto& entry : std::filesystem::directory_iterator(dir / sub, ec)) {
      const auto& p = entry.path();
      if (p.extension() == ".elf" && p.stem() != "file_io") out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

MachineConfig config_for(const std::string& engine, ConsoleSink& console, const std::string& rom = {}) {
  MachineConfig c;
  c.engine = engine;
  c.console = &console;
  c.ram_size = uint64_t{64} << 20;
  if (!rom.empty()) c.command_line = {rom};
  return c;
}

// What a run ends with.
struct Outcome {
  std::string output;
  uint64_t retired = 0;
  std::optional<int> exit_code;
};

constexpr uint64_t kMaxSteps = 200'000'000;

Outcome run_whole(const std::string& rom, const std::string& engine) {
  StringConsoleSink console;
  Machine m(config_for(engine, console, rom));
  m.load_elf(rom);
  m.run(kMaxSteps);
  return {console.output() + console.error_output(), m.retired(), m.exit_code()};
}

// The architectural state two machines must agree on after the same run. mtime only on the
// same engine: engines may end a slice at different instructions (where virtual time is
// latched), though never at a different instruction count overall.
void require_same_state(Machine& a, Machine& b, const std::string& what, bool same_engine) {
  INFO(what);
  REQUIRE(a.hart_count() == b.hart_count());
  for (unsigned h = 0; h < a.hart_count(); ++h) {
    Hart& x = a.hart(h);
    Hart& y = b.hart(h);
    CHECK(x.pc == y.pc);
    CHECK(x.priv == y.priv);
    CHECK(x.retired() == y.retired());
    CHECK(std::equal(std::begin(x.x), std::end(x.x), std::begin(y.x)));
    CHECK(std::equal(std::begin(x.f), std::end(x.f), std::begin(y.f)));
    for (uint16_t csr : {csr::mstatus, csr::mepc, csr::mcause, csr::mtval, csr::mtvec, csr::mie, csr::mip,
                         csr::medeleg, csr::mideleg, csr::sepc, csr::scause, csr::stvec, csr::satp, csr::mscratch,
                         csr::minstret, csr::mcycle}) {
      uint64_t vx = 0, vy = 0;
      const Privilege px = x.priv, py = y.priv;
      x.priv = y.priv = Privilege::Machine;  // read every CSR as M-mode would
      REQUIRE(x.csr_read(csr, vx));
      REQUIRE(y.csr_read(csr, vy));
      x.priv = px, y.priv = py;
      INFO("csr 0x" << std::hex << csr);
      CHECK(vx == vy);
    }
  }
  if (same_engine) CHECK(a.clock().mtime() == b.clock().mtime());
  CHECK(a.exit_code() == b.exit_code());
  // The same pages resident, with the same bytes.
  GuestRam& ra = a.ram();
  GuestRam& rb = b.ram();
  size_t differing = 0, residency = 0;
  for (uint64_t at = ra.base(); at - ra.base() < ra.size(); at += kPageSize) {
    const uint8_t* pa = ra.page_if_resident(at);
    const uint8_t* pb = rb.page_if_resident(at);
    if (!pa != !pb) ++residency;
    else if (pa && std::memcmp(pa, pb, kPageSize) != 0) ++differing;
  }
  CHECK(residency == 0);
  CHECK(differing == 0);
}

}  // namespace

// --- State I/O -----------------------------------------------------------------------------------

TEST_CASE("state_io: XXH64 matches the reference values", "[snapshot][state_io]") {
  CHECK(hash64("", 0) == 0xEF46DB3751D8E999ull);
  CHECK(hash64("abc", 3) == 0x44BC2CF5AD770999ull);
  // Incremental in odd pieces == one call; and zstd's frame checksum is its low 32 bits.
  std::vector<uint8_t> data(100'000);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + 3);
  Hash64 h;
  for (size_t i = 0; i < data.size(); i += 333) h.update(data.data() + i, std::min<size_t>(333, data.size() - i));
  CHECK(h.digest() == hash64(data.data(), data.size()));
  std::vector<uint8_t> frame(ZSTD_compressBound(data.size()));
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  const size_t n = ZSTD_compress2(cctx, frame.data(), frame.size(), data.data(), data.size());
  ZSTD_freeCCtx(cctx);
  REQUIRE(!ZSTD_isError(n));
  uint32_t zstd_checksum = 0;
  std::memcpy(&zstd_checksum, frame.data() + n - 4, 4);
  CHECK(zstd_checksum == static_cast<uint32_t>(hash64(data.data(), data.size())));
}

TEST_CASE("state_io: sections, values and the reader's checks", "[snapshot][state_io]") {
  StateWriter w;
  w.begin_section(state_tag("OUTR"));
  w.u8(1);
  w.u16(0x1234);
  w.u32(0xdeadbeef);
  w.u64(0x0123456789abcdefull);
  w.boolean(true);
  w.string("hello");
  w.begin_section(state_tag("INNR"));
  w.blob(std::vector<uint8_t>{1, 2, 3});
  w.end_section();
  w.end_section();
  const std::vector<uint8_t> bytes = w.data();

  StateReader r(bytes, "test.hbs");
  r.begin_section(state_tag("OUTR"));
  CHECK(r.u8() == 1);
  CHECK(r.u16() == 0x1234);
  CHECK(r.u32() == 0xdeadbeef);
  CHECK(r.u64() == 0x0123456789abcdefull);
  CHECK(r.boolean());
  CHECK(r.string(16) == "hello");
  r.begin_section(state_tag("INNR"));
  CHECK(r.blob(16) == std::vector<uint8_t>{1, 2, 3});
  r.end_section();
  r.end_section();
  CHECK(r.remaining() == 0);

  // A wrong tag, a truncated buffer, an over-long string, a section not read to its end.
  StateReader wrong(bytes, "test.hbs");
  CHECK_THROWS_WITH(wrong.begin_section(state_tag("HART")),
                    ContainsSubstring("test.hbs: expected section HART, found OUTR"));
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    StateReader t(std::span<const uint8_t>(bytes.data(), cut), "cut.hbs");
    try {
      t.begin_section(state_tag("OUTR"));
      t.u8(), t.u16(), t.u32(), t.u64(), (void)t.boolean(), (void)t.string(16);
      t.begin_section(state_tag("INNR"));
      (void)t.blob(16);
      t.end_section();
      t.end_section();
      FAIL("a truncated buffer of " << cut << " bytes was read whole");
    } catch (const SnapshotError& e) {
      CHECK_THAT(e.what(), ContainsSubstring("cut.hbs: ") && ContainsSubstring("truncated"));
    }
  }
  StateReader shortstr(bytes, "test.hbs");
  shortstr.begin_section(state_tag("OUTR"));
  shortstr.u8(), shortstr.u16(), shortstr.u32(), shortstr.u64(), (void)shortstr.boolean();
  CHECK_THROWS_WITH(shortstr.string(4), ContainsSubstring("a string of 5 bytes"));
  StateReader leftover(bytes, "test.hbs");
  leftover.begin_section(state_tag("OUTR"));
  CHECK_THROWS_WITH(leftover.end_section(), ContainsSubstring("bytes left over") && ContainsSubstring("section OUTR"));
}

// --- Round trips ---------------------------------------------------------------------------------

TEST_CASE("snapshot: every rom resumes from the middle with the same output and count", "[snapshot][roms]") {
  const std::vector<std::filesystem::path> roms = find_roms();
  if (roms.empty()) {
    if (const char* env = std::getenv("HARTBOX_ROMS_DIR"); env && *env) FAIL("HARTBOX_ROMS_DIR=" << env << " holds no roms");
    WARN("snapshot: no roms in " << roms_dir().string() << ": skipped");
    SKIP("no roms");
  }
  TempDir dir;
  size_t runs = 0;
  for (const auto& rom_path : roms) {
    const std::string rom = rom_path.string();
    for (const std::string engine : kEngines) {
      // Restore under the next engine too: engines keep no state a snapshot needs.
      for (const std::string& restore_engine : {engine, std::string(engine == "block" ? "interp" : "block")}) {
        INFO(rom_path.filename().string() << ": snapshot on " << engine << ", restore on " << restore_engine);
        const Outcome whole = run_whole(rom, engine);
        ++runs;
        // A rom that needs what this bare machine lacks (a disk, a network peer) and waits
        // forever has no end to compare with.
        if (!whole.exit_code) continue;
        // Stop at a multiple of the machine's slice (4096 steps), so that the rest of the run is
        // sliced as the uninterrupted one was and even timer interrupts land on the same
        // instruction.
        const uint64_t middle = std::max<uint64_t>(whole.retired / 2 / 4096 * 4096, 1);

        StringConsoleSink first_console;
        Machine original(config_for(engine, first_console, rom));
        original.load_elf(rom);
        const RunOutcome first = original.run(middle);
        const std::string path = dir.file("rom.hbs");
        original.snapshot(path);
        const std::string before = first_console.output() + first_console.error_output();

        StringConsoleSink second_console;
        std::unique_ptr<Machine> restored = Machine::restore(path, config_for(restore_engine, second_console));
        CHECK(restored->retired() == original.retired());
        const RunOutcome rest = restored->run(kMaxSteps);
        CHECK(rest.kind == RunOutcome::Kind::Exited);
        CHECK(before + second_console.output() + second_console.error_output() == whole.output);
        CHECK(restored->retired() == whole.retired);
        CHECK(restored->exit_code() == whole.exit_code);
        if (first.kind == RunOutcome::Kind::InstructionLimit) {
          // The original, resumed where it stopped, must end exactly as the restored one.
          original.run(kMaxSteps);
          require_same_state(original, *restored, "original resumed vs restored", engine == restore_engine);
        }
      }
    }
  }
  CHECK(runs == roms.size() * std::size(kEngines) * 2);
}

TEST_CASE("snapshot: a snapshot of a restored machine restores the same machine again", "[snapshot][roms]") {
  const std::vector<std::filesystem::path> roms = find_roms();
  const auto it = std::find_if(roms.begin(), roms.end(), [](const auto& p) { return p.stem() == "printf_float"; });
  if (it == roms.end()) SKIP("printf_float.elf not built");
  const std::string rom = it->string();
  const Outcome whole = run_whole(rom, "block");
  TempDir dir;
  // Three hops through three files, each restored in a fresh machine that runs a third.
  StringConsoleSink c0;
  auto m = std::make_unique<Machine>(config_for("block", c0, rom));
  m->load_elf(rom);
  std::string output;
  std::vector<std::unique_ptr<StringConsoleSink>> consoles;
  for (int hop = 0; hop < 3; ++hop) {
    m->run(whole.retired / 4 + 1);
    const std::string path = dir.file("hop" + std::to_string(hop) + ".hbs");
    m->snapshot(path);
    output += hop == 0 ? c0.output() : consoles.back()->output();
    consoles.push_back(std::make_unique<StringConsoleSink>());
    m = Machine::restore(path, config_for(kEngines[hop], *consoles.back()));
  }
  m->run(kMaxSteps);
  CHECK(output + consoles.back()->output() == whole.output);
  CHECK(m->retired() == whole.retired);
  CHECK(m->exit_code() == whole.exit_code);
}

TEST_CASE("snapshot: the configuration comes back, with the host's side from the caller", "[snapshot]") {
  TempDir dir;
  StringConsoleSink console;
  MachineConfig config = config_for("threaded", console);
  config.harts = 3;
  config.ram_size = uint64_t{32} << 20;
  config.rng = true;
  config.command_line = {"prog", "one", "two"};
  Machine m(config);
  m.ram().write(kRamBase + 0x1234, "resident", 8);
  m.snapshot(dir.file("c.hbs"));

  const MachineConfig seen = Machine::snapshot_config(dir.file("c.hbs"));
  CHECK(seen.harts == 3);
  CHECK(seen.ram_size == config.ram_size);
  CHECK(seen.engine == "threaded");
  CHECK(seen.rng);
  CHECK(seen.command_line == config.command_line);
  CHECK(seen.semihosting_root == std::filesystem::current_path().string());

  StringConsoleSink other;
  auto restored = Machine::restore(dir.file("c.hbs"), config_for("interp", other));
  CHECK(restored->hart_count() == 3);
  CHECK(restored->ram().size() == config.ram_size);
  CHECK(restored->engine().name() == "interp");
  CHECK(restored->config().command_line == config.command_line);
  // Only the page that was touched is resident again.
  CHECK(restored->ram().resident_pages() == 1);
  char text[9] = {};
  restored->ram().read(kRamBase + 0x1234, text, 8);
  CHECK(std::string(text) == "resident");

  // The network cards are the caller's: as many backends as the snapshot had cards.
  MachineConfig with_nic = config_for("block", other);
  with_nic.nics.push_back(nullptr);
  CHECK_THROWS_WITH(Machine::restore(dir.file("c.hbs"), with_nic),
                    ContainsSubstring("c.hbs: the machine has 0 network cards, but 1 backends were given"));
}

TEST_CASE("snapshot: virtqueues resume at their ring indices", "[snapshot][virtio]") {
  TempDir dir;
  StringConsoleSink console;
  MachineConfig config = config_for("block", console);
  config.rng = true;
  Machine m(config);
  VirtioMmio& slot = m.board().virtio_slot(0);
  REQUIRE(slot.device()->device_id() == VirtioRng::kDeviceId);
  test::MmioDriver driver(slot);
  REQUIRE(driver.negotiate(uint64_t{1} << 32 | uint64_t{1} << 29));  // VERSION_1, EVENT_IDX
  test::DriverQueue q(m.ram(), 8, kRamBase + 0x10000, kRamBase + 0x11000, kRamBase + 0x12000);
  driver.setup_queue(0, q);
  driver.driver_ok();
  // Five requests: the used ring wraps past the queue size on the next ones.
  for (int i = 0; i < 5; ++i) {
    q.add({{kRamBase + 0x20000 + 64u * static_cast<unsigned>(i), 16, true}});
    driver.notify(0);
  }
  REQUIRE(q.used_idx() == 5);
  m.snapshot(dir.file("v.hbs"));

  StringConsoleSink other;
  auto restored = Machine::restore(dir.file("v.hbs"), config_for("block", other));
  VirtioMmio& slot2 = restored->board().virtio_slot(0);
  CHECK(slot2.status() == slot.status());
  CHECK(slot2.interrupt_status() == slot.interrupt_status());
  // The driver's side lives in guest RAM, which came back too: go on from there, by hand (a
  // test::DriverQueue would clear the rings), with five more requests that wrap around the ring.
  GuestRam& ram = restored->ram();
  const uint64_t desc = kRamBase + 0x10000, avail = kRamBase + 0x11000, used = kRamBase + 0x12000;
  for (uint16_t k = 5; k < 10; ++k) {
    const uint16_t d = k % 8;
    test::put_u64(ram, desc + 16u * d, kRamBase + 0x30000 + 64u * k);
    test::put_u32(ram, desc + 16u * d + 8, 16);
    test::put_u16(ram, desc + 16u * d + 12, 2);  // device-writable
    test::put_u16(ram, avail + 4 + 2u * d, d);
  }
  test::put_u16(ram, avail + 2, 10);
  test::MmioDriver(slot2).notify(0);
  CHECK(test::ram_u16(ram, used + 2) == 10);                // used idx went on from 5
  CHECK(test::ram_u32(ram, used + 4 + 8u * (9 % 8)) == 1);  // the 10th request used descriptor 1
  CHECK(test::ram_u16(ram, used + 4 + 8u * 8) == 10);       // avail_event: EVENT_IDX state went on too
}

// --- Bad files -----------------------------------------------------------------------------------

namespace {

// A small valid snapshot (a machine that ran a few instructions of a rom, or none).
std::vector<uint8_t> small_snapshot(const TempDir& dir) {
  StringConsoleSink console;
  Machine m(config_for("interp", console));
  const uint32_t loop[] = {0x00100513, 0x00150513, 0xffdff06f};  // li a0,1; addi a0,a0,1; j -4
  m.ram().write(kRamBase, loop, sizeof loop);
  m.run(1000);
  m.snapshot(dir.file("good.hbs"));
  return read_bytes(dir.file("good.hbs"));
}

std::string restore_error(const std::string& path) {
  StringConsoleSink console;
  try {
    Machine::restore(path, config_for("block", console));
  } catch (const SnapshotError& e) {
    const std::string message = e.what();
    CHECK(message.find('\n') == std::string::npos);  // one line
    CHECK(message.rfind(path + ": ", 0) == 0);      // naming the file first
    return message;
  }
  FAIL("restoring " << path << " did not fail");
  return {};
}

uint64_t le64(const std::vector<uint8_t>& b, size_t at) {
  uint64_t v = 0;
  for (unsigned i = 0; i < 8; ++i) v |= uint64_t{b[at + i]} << (8 * i);
  return v;
}
void set_le(std::vector<uint8_t>& b, size_t at, uint64_t v, unsigned width) {
  for (unsigned i = 0; i < width; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
// Recomputes both hashes, as a forger (or a bug) would: then only the structure checks remain.
void rehash(std::vector<uint8_t>& file) {
  const size_t header = static_cast<size_t>(le64(file, 12) & 0xffffffff);
  set_le(file, 16, file.size() - header, 8);
  set_le(file, 32, hash64(file.data() + header, file.size() - header), 8);
  set_le(file, 40, 0, 8);
  set_le(file, 40, hash64(file.data(), header), 8);
}
// The decompressed payload, and a file rebuilt around a changed one.
std::vector<uint8_t> payload_of(const std::vector<uint8_t>& file) {
  const size_t header = static_cast<size_t>(le64(file, 12) & 0xffffffff);
  std::vector<uint8_t> out(static_cast<size_t>(le64(file, 24)));
  const size_t n = ZSTD_decompress(out.data(), out.size(), file.data() + header, file.size() - header);
  REQUIRE(!ZSTD_isError(n));
  return out;
}
std::vector<uint8_t> with_payload(std::vector<uint8_t> file, const std::vector<uint8_t>& payload) {
  const size_t header = static_cast<size_t>(le64(file, 12) & 0xffffffff);
  std::vector<uint8_t> frame(ZSTD_compressBound(payload.size()));
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  const size_t n = ZSTD_compress2(cctx, frame.data(), frame.size(), payload.data(), payload.size());
  ZSTD_freeCCtx(cctx);
  REQUIRE(!ZSTD_isError(n));
  file.resize(header);
  file.insert(file.end(), frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n));
  set_le(file, 24, payload.size(), 8);
  rehash(file);
  return file;
}

}  // namespace

TEST_CASE("snapshot: truncated, corrupted, foreign and other-version files are refused", "[snapshot][bad]") {
  TempDir dir;
  const std::vector<uint8_t> good = small_snapshot(dir);
  const std::string bad = dir.file("bad.hbs");
  {
    StringConsoleSink console;
    CHECK_NOTHROW(Machine::restore(dir.file("good.hbs"), config_for("block", console)));
  }

  SECTION("missing") { CHECK_THAT(restore_error(dir.file("none.hbs")), ContainsSubstring("cannot open")); }
  SECTION("a directory") { CHECK_THAT(restore_error(dir.path.string()), ContainsSubstring("is a directory")); }
  SECTION("empty") {
    write_bytes(bad, {});
    CHECK_THAT(restore_error(bad), ContainsSubstring("empty file"));
  }
  SECTION("foreign: an ELF, text") {
    write_bytes(bad, read_bytes("/bin/true"));
    CHECK_THAT(restore_error(bad), ContainsSubstring("not a Hartbox snapshot"));
    write_bytes(bad, std::vector<uint8_t>(100, 'x'));
    CHECK_THAT(restore_error(bad), ContainsSubstring("not a Hartbox snapshot"));
  }
  SECTION("truncated anywhere") {
    for (size_t cut : {size_t{7}, size_t{47}, size_t{48}, size_t{60}, good.size() / 2, good.size() - 1}) {
      write_bytes(bad, std::vector<uint8_t>(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(cut)));
      CHECK_THAT(restore_error(bad), ContainsSubstring("truncated"));
    }
  }
  SECTION("extended") {
    std::vector<uint8_t> longer = good;
    longer.push_back(0);
    write_bytes(bad, longer);
    CHECK_THAT(restore_error(bad), ContainsSubstring("truncated or extended"));
  }
  SECTION("every corrupted byte is caught") {
    // Flip each byte in turn (the header's, then a spread over the payload).
    std::vector<size_t> positions;
    for (size_t i = 8; i < std::min<size_t>(good.size(), 200); ++i) positions.push_back(i);
    for (size_t i = 200; i < good.size(); i += std::max<size_t>(1, good.size() / 300)) positions.push_back(i);
    for (size_t at : positions) {
      std::vector<uint8_t> flipped = good;
      flipped[at] ^= 0x40;
      write_bytes(bad, flipped);
      const std::string message = restore_error(bad);
      CHECK_THAT(message, ContainsSubstring("checksum") || ContainsSubstring("corrupted") ||
                              ContainsSubstring("truncated") || ContainsSubstring("version"));
    }
  }
  SECTION("another format version") {
    std::vector<uint8_t> v2 = good;
    set_le(v2, 8, 2, 4);
    rehash(v2);
    write_bytes(bad, v2);
    CHECK_THAT(restore_error(bad), ContainsSubstring("snapshot format version 2 is not supported"));
  }
  SECTION("valid checksums, inconsistent state") {
    // A hart in privilege mode 2, which does not exist: found by the HART section's reader.
    std::vector<uint8_t> state = payload_of(good);
    const std::vector<uint8_t> tag = {'H', 'A', 'R', 'T'};
    const auto hart = std::search(state.begin(), state.end(), tag.begin(), tag.end());
    REQUIRE(hart != state.end());
    const auto hart_at = static_cast<size_t>(hart - state.begin());
    // tag, length, hart id, x[32], f[32], pc, next_pc, then the privilege byte.
    const size_t priv = hart_at + 4 + 8 + 8 + 64 * 8 + 16;
    REQUIRE(state[priv] == 3);
    state[priv] = 2;
    write_bytes(bad, with_payload(good, state));
    CHECK_THAT(restore_error(bad), ContainsSubstring("privilege mode 2") && ContainsSubstring("section HART"));
    // A section length that runs past its parent.
    state = payload_of(good);
    set_le(state, hart_at + 4, 1u << 30, 8);
    write_bytes(bad, with_payload(good, state));
    CHECK_THAT(restore_error(bad), ContainsSubstring("truncated: section HART claims"));
  }
  SECTION("random damage to the state never crashes") {
    // Mutate the decompressed state at random and re-seal it: every restore either works or
    // throws SnapshotError (run it under the asan preset to check the "never crashes" part).
    const std::vector<uint8_t> state = payload_of(good);
    std::mt19937_64 random(42);
    size_t refused = 0;
    for (int round = 0; round < 300; ++round) {
      std::vector<uint8_t> damaged = state;
      const size_t hits = 1 + random() % 4;
      for (size_t i = 0; i < hits; ++i) damaged[random() % damaged.size()] = static_cast<uint8_t>(random());
      write_bytes(bad, with_payload(good, damaged));
      StringConsoleSink console;
      try {
        auto m = Machine::restore(bad, config_for("interp", console));
        m->run(100);  // and a machine that was accepted runs
      } catch (const SnapshotError&) {
        ++refused;
      }
    }
    CHECK(refused > 0);  // most damage lands in RAM pages, which any bytes are valid for
  }
}

// --- Atomic writes -------------------------------------------------------------------------------

TEST_CASE("snapshot: a write that fails midway leaves the previous snapshot intact", "[snapshot][atomic]") {
  TempDir dir;
  StringConsoleSink console;
  Machine m(config_for("block", console));
  std::vector<uint8_t> noise(8 << 20);  // 8 MiB that zstd cannot shrink much
  std::mt19937_64 random(7);
  for (auto& b : noise) b = static_cast<uint8_t>(random());
  const std::string path = dir.file("s.hbs");
  m.ram().write(kRamBase, noise.data(), 4096);
  m.snapshot(path);
  const std::vector<uint8_t> before = read_bytes(path);
  m.ram().write(kRamBase, noise.data(), noise.size());

  SECTION("the file system refuses the write (file size limit: EFBIG)") {
    struct rlimit old {};
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    struct sigaction ignore {}, previous {};
    ignore.sa_handler = SIG_IGN;
    REQUIRE(::sigaction(SIGXFSZ, &ignore, &previous) == 0);
    struct rlimit small = old;
    small.rlim_cur = 1 << 20;  // the new snapshot needs about 8 MiB
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    std::string message;
    try {
      m.snapshot(path);
    } catch (const SnapshotError& e) {
      message = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    ::sigaction(SIGXFSZ, &previous, nullptr);
    CHECK_THAT(message, ContainsSubstring(path + ": cannot write the snapshot") && ContainsSubstring("File too large"));
    CHECK(read_bytes(path) == before);
    CHECK_FALSE(std::filesystem::exists(path + ".tmp"));  // cleaned up
  }
  SECTION("the process dies while writing") {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      // SIGXFSZ's default action kills the process inside write(), as a crash would.
      struct rlimit no_core {0, 0};
      ::setrlimit(RLIMIT_CORE, &no_core);
      struct rlimit small {1 << 20, 1 << 20};
      ::setrlimit(RLIMIT_FSIZE, &small);
      try {
        m.snapshot(path);
      } catch (...) {
      }
      ::_exit(0);  // not reached if the limit killed us
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    CHECK(WIFSIGNALED(status));
    CHECK(read_bytes(path) == before);
    CHECK(std::filesystem::exists(path + ".tmp"));  // the half-written file, never renamed
    // The old snapshot still restores, and the next snapshot replaces the stale .tmp.
    StringConsoleSink other;
    CHECK_NOTHROW(Machine::restore(path, config_for("block", other)));
    m.snapshot(path);
    CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
    auto restored = Machine::restore(path, config_for("block", other));
    std::vector<uint8_t> back(noise.size());
    restored->ram().read(kRamBase, back.data(), back.size());
    CHECK(back == noise);
  }
  SECTION("a directory that does not exist") {
    CHECK_THROWS_WITH(m.snapshot(dir.file("no/such/dir.hbs")),
                      ContainsSubstring("no/such/dir.hbs: cannot write the snapshot") &&
                          ContainsSubstring("No such file"));
    CHECK(read_bytes(path) == before);
  }
}

// --- Clones --------------------------------------------------------------------------------------

TEST_CASE("clone: a clone runs on exactly as its template, sharing its pages", "[snapshot][clone]") {
  const std::vector<std::filesystem::path> roms = find_roms();
  const auto it = std::find_if(roms.begin(), roms.end(), [](const auto& p) { return p.stem() == "printf_float"; });
  if (it == roms.end()) SKIP("printf_float.elf not built");
  const std::string rom = it->string();
  for (const std::string engine : kEngines) {
    INFO(engine);
    const Outcome whole = run_whole(rom, engine);
    StringConsoleSink template_console;
    Machine templ(config_for(engine, template_console, rom));
    templ.load_elf(rom);
    templ.run(whole.retired / 2 / 4096 * 4096);
    const std::string before = template_console.output();

    StringConsoleSink clone_console;
    std::unique_ptr<Machine> clone = templ.clone(config_for(engine, clone_console));
    CHECK(clone->ram().resident_pages() == templ.ram().resident_pages());
    CHECK(clone->ram().shared_pages() == clone->ram().resident_pages());
    clone->run(kMaxSteps);
    CHECK(before + clone_console.output() == whole.output);
    CHECK(clone->retired() == whole.retired);
    CHECK(clone->exit_code() == whole.exit_code);
    // The clone's writes were its own: the template goes on as if nothing happened.
    CHECK(clone->ram().shared_pages() < clone->ram().resident_pages());
    templ.run(kMaxSteps);
    CHECK(template_console.output() == whole.output);
    require_same_state(templ, *clone, "template vs clone", true);
  }
}

namespace {

std::vector<uint8_t> disk_bytes(Machine& m, uint64_t offset, size_t len) {
  auto* block = dynamic_cast<VirtioBlock*>(m.board().virtio_slot(0).device());
  REQUIRE(block);
  std::vector<uint8_t> out(len);
  REQUIRE(block->disk().read(offset, out.data(), len) == 0);
  return out;
}
void write_disk(Machine& m, uint64_t offset, const std::string& text) {
  auto* block = dynamic_cast<VirtioBlock*>(m.board().virtio_slot(0).device());
  REQUIRE(block);
  REQUIRE(block->disk().write(offset, text.data(), text.size()) == 0);
}
std::string as_text(const std::vector<uint8_t>& b) { return std::string(b.begin(), b.end()); }

}  // namespace

TEST_CASE("clone: disks go onto their own overlays over a frozen, shared chain", "[snapshot][clone][disk]") {
  TempDir dir;
  const std::string image = dir.file("base.img");
  write_bytes(image, std::vector<uint8_t>(1 << 20, 'b'));
  StringConsoleSink console;
  MachineConfig config = config_for("block", console);
  config.disks.push_back(DiskSpec{image, false, "", {}});  // a raw, writable image
  Machine templ(config);
  write_disk(templ, 0, "template-before");
  CloneOptions options;
  options.overlay_dir = dir.path.string();

  auto a = templ.clone(config_for("block", console), options);
  // The raw image is frozen: the template moved onto an overlay with 4 KiB blocks (the
  // discard granularity the guest was shown), and the clone has its own.
  CHECK(templ.config().disks[0].overlay.find(dir.path.string()) == 0);
  CHECK(a->config().disks[0].overlay != templ.config().disks[0].overlay);
  CHECK(a->config().disks[0].backing == templ.config().disks[0].backing);
  write_disk(*a, 0, "clone-a--------");
  write_disk(templ, 16, "template-after");
  CHECK(as_text(disk_bytes(*a, 0, 16)) == "clone-a--------b");
  CHECK(as_text(disk_bytes(templ, 0, 30)) == "template-beforebtemplate-after");
  CHECK(as_text(disk_bytes(*a, 16, 14)) == "bbbbbbbbbbbbbb");  // not the template's later write

  // A second clone: the template wrote to its overlay since, so that overlay is frozen too.
  auto b = templ.clone(config_for("block", console), options);
  CHECK(templ.config().disks[0].backing.size() == 1);
  CHECK(b->config().disks[0].backing.size() == 1);
  CHECK(as_text(disk_bytes(*b, 0, 30)) == "template-beforebtemplate-after");
  // A third one with the template idle shares the same chain: nothing new is frozen.
  auto c = templ.clone(config_for("block", console), options);
  CHECK(c->config().disks[0].backing == b->config().disks[0].backing);
  write_disk(*c, 0, "clone-c");
  CHECK(as_text(disk_bytes(*b, 0, 7)) == "templat");
  // The base image itself was never written after the first freeze.
  const std::vector<uint8_t> raw = read_bytes(image);
  CHECK(std::string(raw.begin(), raw.begin() + 16) == "template-beforeb");

  // Temporary overlays go with their machines.
  const std::string a_overlay = a->config().disks[0].overlay;
  CHECK(std::filesystem::exists(a_overlay));
  a.reset();
  CHECK_FALSE(std::filesystem::exists(a_overlay));
  // ...so such a clone cannot be snapshotted, but one made with keep_overlays can.
  CHECK_THROWS_WITH(b->snapshot(dir.file("b.hbs")), ContainsSubstring("is temporary"));
  options.keep_overlays = true;
  auto kept = templ.clone(config_for("block", console), options);
  write_disk(*kept, 100, "kept");
  kept->snapshot(dir.file("kept.hbs"));
  const std::string kept_overlay = kept->config().disks[0].overlay;
  kept.reset();
  CHECK(std::filesystem::exists(kept_overlay));
  auto back = Machine::restore(dir.file("kept.hbs"), config_for("block", console));
  CHECK(as_text(disk_bytes(*back, 100, 4)) == "kept");
  CHECK(as_text(disk_bytes(*back, 0, 14)) == "template-befor");
}
