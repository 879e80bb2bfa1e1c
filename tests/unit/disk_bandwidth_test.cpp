// The disk bandwidth limit (devices/disk_bandwidth.hpp, on the shared devices/token_bucket.hpp):
//
//   - The shaper's arithmetic: take_or_borrow() lets a request through once the bucket holds
//     it (or is full), may leave it in debt, and wait_ns() says exactly when the next one passes.
//   - A guest doing disk I/O (roms/c/disk_io.c: 512 KiB written and read back in 4 KiB
//     requests, each awaited in WFI) under a limit of N bytes/s moves N bytes per second of its
//     virtual time once its burst is spent, through Machine::run and through a fleet's workers;
//     it waits in WFI (it retires no more instructions than an unlimited run: no spinning) and
//     its data is intact.
//   - Without a limit, or with one that never binds, the run is the same to the instruction and
//     to the tick, and nothing is throttled.
//   - The fleet's slices carry the disk's bytes and throttled requests to the report.
//   - A request waiting for bandwidth stays on its ring: the driver sees nothing used until the
//     tokens are there, and a snapshot taken meanwhile resumes it.
//
// Every time measured is the machine's virtual time (MachineClock::Mode::Virtual: 100
// instructions a tick plus what WFI skips), never the host's: the figures do not depend on the
// host's speed or load.
#include <catch2/catch_test_macros.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "devices/disk_bandwidth.hpp"
#include "devices/machine.hpp"
#include "devices/token_bucket.hpp"
#include "manager/fleet.hpp"
#include "manager/report.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace hartbox;
using namespace std::chrono_literals;

namespace {

// roms/c/disk_io.c: 4 rounds of 16 writes and 16 reads of 4 KiB.
constexpr uint64_t kDiskIoBytes = 4 * 2 * 16 * 4096;
constexpr uint64_t kDiskIoRequests = 4 * 2 * 16;
constexpr uint64_t kMaxSteps = 400'000'000;

std::filesystem::path disk_io_rom() {
  if (const char* env = std::getenv("HARTBOX_ROMS_DIR"); env && *env) return std::filesystem::path(env) / "c" / "disk_io.elf";
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path() / ".." / "roms" / "c" / "disk_io.elf";
}

MachineConfig disk_io_config(const test::TempDir& dir, ConsoleSink& console, uint64_t limit) {
  MachineConfig c;
  c.engine = "block";
  c.time = MachineClock::Mode::Virtual;
  c.ram_size = uint64_t{16} << 20;
  c.console = &console;
  c.command_line = {disk_io_rom().string()};
  c.disks.push_back(DiskSpec{dir.file("disk.img", std::string(1 << 20, '\0')), false, "", {}});
  c.disk_bytes_per_second = limit;
  return c;
}

struct DiskRun {
  RunOutcome::Kind kind{};
  std::optional<int> exit_code;
  std::string output;
  uint64_t retired = 0;
  uint64_t mtime = 0;
  DiskBandwidthStats stats;
  double seconds() const { return static_cast<double>(mtime) / static_cast<double>(MachineClock::kDefaultFrequencyHz); }
};

DiskRun run_disk_io(uint64_t limit) {
  test::TempDir dir("disk-bandwidth");
  StringConsoleSink console;
  Machine m(disk_io_config(dir, console, limit));
  m.load_elf(disk_io_rom().string());
  DiskRun r;
  r.kind = m.run(kMaxSteps).kind;
  r.exit_code = m.exit_code();
  r.output = console.output() + console.error_output();
  r.retired = m.retired();
  r.mtime = m.clock().mtime();
  r.stats = m.disk_bandwidth().stats();
  return r;
}

void require_rom() {
  if (!std::filesystem::exists(disk_io_rom())) FAIL("no " << disk_io_rom() << " (build the roms, or set HARTBOX_ROMS_DIR)");
}

// A whole run under Machine::run to compare others with; it must succeed.
DiskRun reference_run(uint64_t limit) {
  require_rom();
  DiskRun r = run_disk_io(limit);
  REQUIRE(r.exit_code == 0);
  return r;
}

}  // namespace

TEST_CASE("token bucket: the shaper borrows, and says when the next request passes", "[disk_bandwidth]") {
  // 1000 bytes/s, burst 500, full at t = 0.
  TokenBucket bucket(1000, 500, 0);
  CHECK(bucket.wait_ns(500, 0) == 0);
  CHECK(bucket.take_or_borrow(300, 0));
  CHECK(bucket.wait_ns(300, 0) == 100'000'000);  // 200 left: 100 more take 0.1 s
  CHECK_FALSE(bucket.take_or_borrow(300, 0));
  CHECK(bucket.take_or_borrow(300, 100'000'000));  // now empty
  // Larger than the burst: waits for a full bucket, then goes into debt by the rest.
  CHECK(bucket.wait_ns(2000, 100'000'000) == 500'000'000);
  CHECK_FALSE(bucket.take_or_borrow(2000, 599'000'000));
  CHECK(bucket.take_or_borrow(2000, 600'000'000));  // 500 - 2000 = -1500 tokens
  CHECK(bucket.wait_ns(1, 600'000'000) == 1'501'000'000);
  CHECK_FALSE(bucket.take_or_borrow(1, 2'000'000'000));
  CHECK(bucket.take_or_borrow(1, 2'101'000'000));
  // The policer still never passes what exceeds the burst.
  CHECK_FALSE(TokenBucket(1000, 500, 0).take(501, 0));
  // No limit: everything passes at once.
  TokenBucket unlimited;
  CHECK(unlimited.take_or_borrow(uint64_t{1} << 40, 0));
  CHECK(unlimited.wait_ns(uint64_t{1} << 40, 0) == 0);
}

TEST_CASE("disk bandwidth: a guest moves N bytes per virtual second under a limit of N", "[disk_bandwidth]") {
  require_rom();
  const DiskRun free_run = run_disk_io(0);
  REQUIRE(free_run.kind == RunOutcome::Kind::Exited);
  REQUIRE(free_run.exit_code == 0);
  REQUIRE(free_run.stats.bytes == kDiskIoBytes);

  for (const uint64_t limit : {uint64_t{128} << 10, uint64_t{256} << 10, uint64_t{1} << 20}) {
    INFO("limit " << limit << " bytes/s");
    const DiskRun r = run_disk_io(limit);
    INFO(r.output);
    REQUIRE(r.kind == RunOutcome::Kind::Exited);  // not a deadlock: the wait has a deadline
    REQUIRE(r.exit_code == 0);                    // every block read back as written
    CHECK(r.stats.requests == kDiskIoRequests);
    CHECK(r.stats.bytes == kDiskIoBytes);
    CHECK(r.stats.throttled > 0);
    // After the burst (free), every byte costs 1/limit s: the run cannot be shorter than that,
    // and takes no longer than that plus its own unlimited time (its computing).
    const uint64_t burst = DiskBandwidth::default_burst(limit);
    const double paced = static_cast<double>(kDiskIoBytes - burst) / static_cast<double>(limit);
    const double rate = static_cast<double>(kDiskIoBytes - burst) / r.seconds();
    std::printf("disk bandwidth: limit %llu B/s: %llu bytes in %.4f virtual s (%.4f unlimited), %.0f B/s after the "
                "burst, %llu of %llu requests throttled, %llu instructions (%llu unlimited)\n",
                static_cast<unsigned long long>(limit), static_cast<unsigned long long>(r.stats.bytes), r.seconds(),
                free_run.seconds(), rate, static_cast<unsigned long long>(r.stats.throttled),
                static_cast<unsigned long long>(r.stats.requests), static_cast<unsigned long long>(r.retired),
                static_cast<unsigned long long>(free_run.retired));
    CHECK(r.seconds() >= paced * 0.999);
    CHECK(r.seconds() <= paced * 1.001 + free_run.seconds());
    CHECK(rate <= static_cast<double>(limit) * 1.001);
    CHECK(rate >= static_cast<double>(limit) * 0.9);
    // The guest slept through the waits in WFI: hardly an instruction more than unlimited.
    CHECK(r.retired <= free_run.retired + free_run.retired / 100);
  }
}

TEST_CASE("disk bandwidth: without a limit, or one that never binds, nothing changes", "[disk_bandwidth]") {
  const DiskRun none = reference_run(0);
  const DiskRun loose = reference_run(uint64_t{1} << 40);  // a terabyte a second: never short
  CHECK(none.stats.throttled == 0);
  CHECK(loose.stats.throttled == 0);
  CHECK(loose.retired == none.retired);
  CHECK(loose.mtime == none.mtime);
  CHECK(loose.output == none.output);
  // And unlimited is far faster than the slowest limit above would allow.
  CHECK(none.seconds() < static_cast<double>(kDiskIoBytes) / static_cast<double>(uint64_t{1} << 20) / 4);
}

TEST_CASE("disk bandwidth: in a fleet, a throttled machine parks and is woken at its deadline", "[disk_bandwidth][fleet]") {
  const uint64_t limit = uint64_t{256} << 10;
  const DiskRun alone = reference_run(limit);

  test::TempDir dir("disk-bandwidth-fleet");
  StringConsoleSink console;
  ReportCollector collector;
  FleetConfig config;
  config.workers = 1;
  config.on_slice = [&collector](const SliceRecord& slice) { collector.on_slice(slice); };
  Fleet fleet(config);
  VmSpec vm;
  vm.name = "disk";
  vm.machine = disk_io_config(dir, console, limit);
  vm.setup = [](Machine& m) { m.load_elf(disk_io_rom().string()); };
  const VmId id = fleet.create(vm);
  fleet.start(id);
  REQUIRE(fleet.wait_stopped(id, 120s));
  const VmInfo info = fleet.inspect(id);
  INFO(console.output());
  REQUIRE(info.stop);
  CHECK(info.stop->exit_code == 0);
  // Parked in WFI and woken at each request's deadline, never run to find it still waiting.
  CHECK(info.accounting.wakeups >= alone.stats.throttled);
  CHECK(info.accounting.instructions <= alone.retired + alone.retired / 100);
  fleet.with_machine(id, [&](Machine& m) {
    CHECK(m.disk_bandwidth().stats().bytes == kDiskIoBytes);
    CHECK(m.disk_bandwidth().stats().throttled == alone.stats.throttled);
    // The same virtual time as under Machine::run, to within the slices' rounding.
    const double seconds = static_cast<double>(m.clock().mtime()) / static_cast<double>(MachineClock::kDefaultFrequencyHz);
    CHECK(seconds >= alone.seconds() * 0.99);
    CHECK(seconds <= alone.seconds() * 1.01);
  });
  // The slices told the report what the disk did (hartbox fleet --report).
  const auto slices = collector.vm(id, std::chrono::steady_clock::now());
  CHECK(slices.disk_bytes == kDiskIoBytes);
  CHECK(slices.disk_throttled == alone.stats.throttled);
}

TEST_CASE("disk bandwidth: a waiting request stays on the ring, and a snapshot resumes it", "[disk_bandwidth][snapshot]") {
  const uint64_t limit = uint64_t{128} << 10;
  const DiskRun whole = reference_run(limit);

  test::TempDir dir("disk-bandwidth-snapshot");
  StringConsoleSink console;
  auto machine = std::make_unique<Machine>(disk_io_config(dir, console, limit));
  Machine& m = *machine;
  m.load_elf(disk_io_rom().string());
  // Run until the disk has a request it may not serve yet, and the guest waits for it in WFI.
  uint64_t steps = 0;
  while (!(m.board().virtio_slot(0).next_deadline() != UINT64_MAX && m.disk_bandwidth().stats().throttled > 0 && m.idle())) {
    REQUIRE_FALSE(m.exit_code());
    REQUIRE(steps < kMaxSteps);
    steps += m.run_slice(10'000).steps;
  }
  const uint64_t served = m.disk_bandwidth().stats().requests;
  REQUIRE(served < kDiskIoRequests);
  // Polling before the deadline serves nothing: the request waits, it is not failed.
  m.board().poll();
  CHECK(m.disk_bandwidth().stats().requests == served);
  CHECK(m.idle());

  const std::string snap = (dir.path() / "waiting.snap").string();
  m.snapshot(snap);
  machine.reset();  // closes the disk (and its lock) for the restored machine
  StringConsoleSink restored_console;
  MachineConfig host;
  host.engine = "block";
  host.console = &restored_console;
  host.disk_bytes_per_second = limit;
  auto restored = Machine::restore(snap, host);
  const RunOutcome out = restored->run(kMaxSteps);
  INFO(restored_console.output());
  REQUIRE(out.kind == RunOutcome::Kind::Exited);  // the waiting request was found again
  CHECK(restored->exit_code() == 0);
  // The rest of the run's requests, the waiting one first, all went through the restored disk.
  CHECK(restored->disk_bandwidth().stats().requests == kDiskIoRequests - served);
  CHECK(console.output() + restored_console.output() == whole.output);
}

TEST_CASE("disk bandwidth: the limit is host policy: restore and clone take it from their host config", "[disk_bandwidth][snapshot]") {
  test::TempDir dir("disk-bandwidth-host");
  StringConsoleSink console;
  MachineConfig config;
  config.ram_size = uint64_t{1} << 20;
  config.console = &console;
  config.disks.push_back(DiskSpec{dir.file("disk.img", std::string(4096, '\0')), true, "", {}});  // shared: read-only
  config.disk_bytes_per_second = 1000;
  Machine m(config);
  CHECK(m.disk_bandwidth().bytes_per_second() == 1000);
  CHECK(m.disk_bandwidth().burst_bytes() == DiskBandwidth::default_burst(1000));
  const std::string snap = (dir.path() / "m.snap").string();
  m.snapshot(snap);

  MachineConfig host;
  host.console = &console;
  CHECK(Machine::restore(snap, host)->disk_bandwidth().bytes_per_second() == 0);
  CHECK(Machine::snapshot_config(snap).disk_bytes_per_second == 0);  // not in the file
  host.disk_bytes_per_second = 5000;
  CHECK(Machine::restore(snap, host)->disk_bandwidth().bytes_per_second() == 5000);
  CHECK(m.clone(host)->disk_bandwidth().bytes_per_second() == 5000);
}
