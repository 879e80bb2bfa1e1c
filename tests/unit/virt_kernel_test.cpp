// Hartbox's own test kernel (roms/kernel: virt_kernel.elf) on whole virt machines.
//
// The kernel runs in S-mode behind a small M-mode shim and checks the board with its own
// drivers: timer interrupts (Sstc and SBI-forwarded), UART interrupts through the PLIC (console
// input and loopback), virtio-blk (writes, FLUSH, read-back, GET_ID, error statuses, data kept
// across a restart) and virtio-net (frames between two machines). It exits through the SiFive
// test device: 0 when every check passed, otherwise a code naming the check (kernel.h), after
// printing "FAIL <code>: ..." on the UART. These tests boot it as `hartbox run --bios none
// --kernel` does (Machine::boot without firmware), pass its command line in /chosen/bootargs,
// and check the exit code, what it printed and, for the disk, the image file itself.
//
// The ELF is found at run time: in $HARTBOX_ROMS_DIR/kernel if that is set, else in
// ../roms/kernel beside this test binary (build/<preset>/tests/ -> build/<preset>/roms/), as
// lockstep_test.cpp finds the roms. The build always makes it, so a missing ELF is a failure.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "devices/console.hpp"
#include "devices/machine.hpp"
#include "devices/virtio/net.hpp"
#include "devices/virtio/net_backend.hpp"
#include "roms/kernel/disk_layout.h"

using namespace hartbox;

namespace {

// Far beyond what any check needs (a whole run is about a million instructions); reaching it
// means the kernel is stuck.
constexpr uint64_t kMaxSteps = 200'000'000;
constexpr uint64_t kSlice = 4096;
constexpr uint64_t kDiskBytes = 1 << 20;

std::filesystem::path roms_dir() {
  if (const char* env = std::getenv("HARTBOX_ROMS_DIR"); env && *env) return env;
  std::error_code ec;
  const auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return exe.parent_path() / ".." / "roms";
}

std::string kernel_path() {
  const std::filesystem::path elf = roms_dir() / "kernel" / "virt_kernel.elf";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(elf, ec))
    FAIL("the test kernel is missing: " << elf.string()
                                        << " (the build makes it: build the hartbox_roms target, or point "
                                           "HARTBOX_ROMS_DIR at build/<preset>/roms)");
  return elf.string();
}

// A private directory for disk images, removed with its contents.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hartbox-kernel-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// A disk image of `bytes`, filled with a byte that is not zero so that nothing can pass by
// reading zeros where data should be.
std::string make_disk(const TempDir& dir, const std::string& name, uint64_t bytes = kDiskBytes) {
  const std::string path = (dir.path / name).string();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  const std::vector<char> fill(bytes, '\x5a');
  out.write(fill.data(), static_cast<std::streamsize>(fill.size()));
  REQUIRE(out.good());
  return path;
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Checks that the image holds boot `boot`'s record and data, as disk_layout.h defines them.
void check_image(const std::string& path, uint32_t boot) {
  const std::vector<uint8_t> bytes = read_file(path);
  REQUIRE(bytes.size() == kDiskBytes);
  const uint64_t capacity = bytes.size() / HBK_SECTOR;
  hbk_boot_record record{};
  std::memcpy(&record, bytes.data(), sizeof record);
  CHECK(std::string(record.magic, 8) == HBK_RECORD_MAGIC);
  CHECK(record.boot == boot);
  CHECK(record.capacity == capacity);
  uint64_t wrong = 0;
  for (unsigned k = 0; k < HBK_REGIONS; ++k) {
    const hbk_region region = hbk_region_of(capacity, k);
    for (uint64_t s = region.sector; s < region.sector + region.sectors; ++s)
      for (uint32_t i = 0; i < HBK_SECTOR; ++i)
        if (bytes[s * HBK_SECTOR + i] != hbk_disk_pattern(boot, s, i)) ++wrong;
  }
  CHECK(wrong == 0);
}

// One machine running the test kernel, with its console captured.
struct Guest {
  StringConsoleSink console;
  StringConsoleSource input;
  std::unique_ptr<Machine> machine;

  Guest(MachineConfig config, const std::string& append, bool with_input = false) {
    config.console = &console;
    config.console_input = with_input ? &input : nullptr;
    config.semihosting = false;
    machine = std::make_unique<Machine>(config);
    BootSpec boot;  // as `--bios none --kernel virt_kernel.elf --append ...`
    boot.kernel = kernel_path();
    boot.append = append;
    machine->boot(boot);
  }
  std::string output() const { return console.output(); }
  bool printed(const std::string& text) const { return output().find(text) != std::string::npos; }

  // Machine::run, as `hartbox run` does; the run must end with the guest's exit.
  int run_to_exit() {
    const RunOutcome outcome = machine->run(kMaxSteps);
    INFO("console:\n" << output());
    REQUIRE(outcome.kind == RunOutcome::Kind::Exited);
    return outcome.exit_code;
  }
};

MachineConfig with_disk(const std::string& path, const std::string& engine = "block", bool read_only = false) {
  MachineConfig config;
  config.engine = engine;
  DiskSpec disk;
  disk.path = path;
  disk.read_only = read_only;
  config.disks = {disk};
  return config;
}

enum class DriveEnd { Done, StepLimit, Stuck };

// Every hart waits in WFI and no interrupt is pending: only time (or a frame) can wake it.
bool asleep(Machine& m) {
  for (unsigned i = 0; i < m.hart_count(); ++i)
    if (!m.hart(i).waiting() || m.hart(i).interrupt_pending()) return false;
  return true;
}

// Runs `machines` a slice each, in turn, on this thread until `done()` holds. A machine whose
// harts all wait in WFI gets its virtual time moved on by as much as the busiest other machine
// ran this round (100 instructions a tick), or, when every machine waits, by the time to the
// earliest deadline among them: the clocks advance together, as if the machines shared one,
// and a timeout in one guest cannot fire while the other is still getting going.
DriveEnd drive(const std::vector<Machine*>& machines, const std::function<bool()>& done) {
  uint64_t steps = 0, idle_rounds = 0;
  while (!done()) {
    uint64_t ran = 0, round_steps = 0;
    std::vector<Machine*> waiting;
    for (Machine* m : machines) {
      if (m->exit_code()) continue;
      const SliceResult slice = m->run_slice(kSlice);
      round_steps += slice.steps;
      if (m->exit_code()) continue;
      if (slice.reason == StopReason::Wait && asleep(*m))
        waiting.push_back(m);
      else
        ran = std::max(ran, slice.steps);
    }
    steps += round_steps;
    if (steps > kMaxSteps) return DriveEnd::StepLimit;
    idle_rounds = round_steps == 0 ? idle_rounds + 1 : 0;
    if (idle_rounds > 1000) return DriveEnd::Stuck;  // waiting, and time cannot help
    if (waiting.empty()) continue;
    uint64_t ticks = ran / MachineClock::kDefaultInsnsPerTick;
    if (ran == 0) {
      ticks = std::numeric_limits<uint64_t>::max();
      for (Machine* m : waiting) {
        const uint64_t deadline = m->board().next_deadline(), now = m->clock().mtime();
        if (deadline != std::numeric_limits<uint64_t>::max())
          ticks = std::min(ticks, deadline > now ? deadline - now : 0);
      }
      if (ticks == std::numeric_limits<uint64_t>::max()) return DriveEnd::Stuck;
    }
    for (Machine* m : waiting)
      m->clock().skip_to(std::min(m->board().next_deadline(), m->clock().mtime() + ticks));
  }
  return DriveEnd::Done;
}

// The number in the first group of `pattern` in `output`, or -1.
long printed_number(const std::string& output, const std::string& pattern) {
  std::smatch match;
  if (!std::regex_search(output, match, std::regex(pattern))) return -1;
  return std::stol(match[1].str());
}

}  // namespace

TEST_CASE("The test kernel: timer, UART and virtio-blk, and the disk's data after a restart", "[virt_kernel]") {
  const std::string engine = GENERATE("block", "threaded", "interp");
  INFO("engine " << engine);
  TempDir dir;
  const std::string disk = make_disk(dir, "disk.img");

  // First boot: SBI-forwarded timer; console input typed once the kernel asks for it.
  {
    Guest guest(with_disk(disk, engine), "input=hartbox", true);
    const auto asked = [&] { return guest.printed("uart: type hartbox") || guest.machine->exit_code().has_value(); };
    REQUIRE(drive({guest.machine.get()}, asked) == DriveEnd::Done);
    guest.input.append("hartbox\n");
    CHECK(guest.run_to_exit() == 0);
    const std::string out = guest.output();
    INFO("console:\n" << out);
    CHECK(guest.printed("user: U-mode ecall and illegal instruction trapped to S-mode"));
    CHECK(guest.printed("timer: SBI set_timer"));
    CHECK(guest.printed("timer: 20 ticks over"));
    CHECK(guest.printed("uart: read 'hartbox' from the console"));
    CHECK(guest.printed("uart: loopback: 10 bytes"));
    CHECK_FALSE(guest.printed("Lo0pBack"));  // loopback bytes never reach the line
    CHECK(guest.printed("blk: boot 1: fresh disk"));
    CHECK(guest.printed("blk: boot 1: wrote 14 sectors"));
    CHECK(guest.printed("blk: serial 'hartbox-disk0'"));
    CHECK(guest.printed("blk: read past the end: IOERR; unknown type: UNSUPP"));
    CHECK(guest.printed("virt_kernel: all checks passed"));
  }
  check_image(disk, 1);

  // Second boot, a new machine on the same image ("after a restart"), with the Sstc timer.
  {
    Guest guest(with_disk(disk, engine), "timer=sstc");
    CHECK(guest.run_to_exit() == 0);
    INFO("console:\n" << guest.output());
    CHECK(guest.printed("timer: Sstc stimecmp"));
    CHECK(guest.printed("blk: boot 2: data written by boot 1 is intact"));
    CHECK(guest.printed("virt_kernel: all checks passed"));
  }
  check_image(disk, 2);
}

TEST_CASE("The test kernel's timer ticks on time in virtual time", "[virt_kernel]") {
  // In virtual time a tick is never early, and at most one slice late: time moves between
  // slices (Machine::run's slices are 4096 instructions, 41 ticks), and a hart waiting in WFI
  // lets it jump straight to the deadline. So 20 ticks of 1 ms span 20 ms and little more.
  const std::string mode = GENERATE("timer=sbi", "timer=sstc");
  Guest guest(MachineConfig{}, "checks=timer " + mode);
  CHECK(guest.run_to_exit() == 0);
  INFO("console:\n" << guest.output());
  const long elapsed = printed_number(guest.output(), "timer: 20 ticks over ([0-9]+) time units");
  const long late = printed_number(guest.output(), "at most ([0-9]+) late");
  CHECK(elapsed >= 200'000);
  CHECK(elapsed < 200'000 + 100);
  CHECK(late >= 0);
  CHECK(late < 100);
}

TEST_CASE("The test kernel fails with the code of the check that fails", "[virt_kernel]") {
  TempDir dir;
  // drive() rather than Machine::run: with a network card, run() paces a waiting machine
  // with the host's clock, and the no-answer case waits 10 s of guest time.
  auto expect_failure = [](Guest& guest, int code) {
    const DriveEnd end = drive({guest.machine.get()}, [&] { return guest.machine->exit_code().has_value(); });
    INFO("console:\n" << guest.output());
    REQUIRE(end == DriveEnd::Done);
    CHECK(*guest.machine->exit_code() == code);
    CHECK(guest.printed("FAIL " + std::to_string(code) + ": "));
    CHECK_FALSE(guest.printed("all checks passed"));
  };

  SECTION("no disk: 30") {
    Guest guest(MachineConfig{}, "");
    expect_failure(guest, 30);
  }
  SECTION("a disk of 32 sectors: 34") {
    Guest guest(with_disk(make_disk(dir, "small.img", 32 * HBK_SECTOR)), "checks=blk");
    expect_failure(guest, 34);
  }
  SECTION("a read-only disk: writes fail, 36") {
    Guest guest(with_disk(make_disk(dir, "ro.img"), "block", true), "checks=blk");
    expect_failure(guest, 36);
  }
  SECTION("the previous boot's data damaged on the host: 38") {
    const std::string disk = make_disk(dir, "damaged.img");
    {
      Guest guest(with_disk(disk), "checks=blk");
      REQUIRE(guest.run_to_exit() == 0);
    }
    // One byte of the middle sector, which the kernel read back correctly in its first boot.
    std::fstream file(disk, std::ios::binary | std::ios::in | std::ios::out);
    const uint64_t at = hbk_region_of(kDiskBytes / HBK_SECTOR, 2).sector * HBK_SECTOR + 100;
    file.seekp(static_cast<std::streamoff>(at));
    file.put(static_cast<char>(hbk_disk_pattern(1, at / HBK_SECTOR, 100) ^ 1));
    file.close();
    Guest guest(with_disk(disk), "checks=blk");
    expect_failure(guest, 38);
  }
  SECTION("an unknown command-line word: 4") {
    Guest guest(MachineConfig{}, "checks=timer colour=blue");
    expect_failure(guest, 4);
  }
  SECTION("the network check with no network card: 50") {
    Guest guest(MachineConfig{}, "checks=net net=a");
    expect_failure(guest, 50);
  }
  SECTION("the network check with no role: 55") {
    LoopbackPair link;
    MachineConfig config;
    config.nics = {&link.end(0)};
    Guest guest(config, "checks=net");
    expect_failure(guest, 55);
  }
  SECTION("a peer that never answers: 56 after the kernel's 10 s of virtual time") {
    LoopbackPair link;
    MachineConfig config;
    config.nics = {&link.end(0)};
    Guest guest(config, "checks=net net=a");
    expect_failure(guest, 56);
  }
}

TEST_CASE("Two test kernels exchange frames over virtio-net on a loopback link", "[virt_kernel]") {
  // a waits for b's hello, sends 32 frames in acknowledged windows of 8, then b sends 32 back.
  // b skips the timer check, so it is up first and its first hellos are lost in a's reset.
  const auto engines = GENERATE(std::pair<std::string, std::string>{"block", "block"},
                                std::pair<std::string, std::string>{"threaded", "interp"});
  INFO("engines " << engines.first << " and " << engines.second);
  LoopbackPair link;
  MachineConfig config_a, config_b;
  config_a.engine = engines.first;
  config_a.nics = {&link.end(0)};
  config_b.engine = engines.second;
  config_b.nics = {&link.end(1)};
  Guest a(config_a, "checks=timer,net net=a timer=sstc");
  Guest b(config_b, "checks=net net=b");

  const DriveEnd end = drive({a.machine.get(), b.machine.get()},
                             [&] { return a.machine->exit_code() && b.machine->exit_code(); });

  INFO("a:\n" << a.output() << "\nb:\n" << b.output());
  REQUIRE(end == DriveEnd::Done);
  CHECK(*a.machine->exit_code() == 0);
  CHECK(*b.machine->exit_code() == 0);
  for (Guest* guest : {&a, &b}) {
    CHECK(guest->printed("frames, all acknowledged"));
    CHECK(guest->printed("received 32 frames in order"));
    CHECK(guest->printed("virt_kernel: all checks passed"));
  }
  CHECK(a.printed("net: a: b is up"));
  CHECK(link.dropped() == 0);

  // What each kernel says it sent and received, against its device's own count.
  for (Guest* guest : {&a, &b}) {
    auto* net = dynamic_cast<VirtioNet*>(guest->machine->board().virtio_slot(0).device());
    REQUIRE(net != nullptr);
    const VirtioNet::Stats stats = net->stats();
    const long sent = printed_number(guest->output(), "net: [ab]: ([0-9]+) frames sent");
    const long received = printed_number(guest->output(), "frames sent, ([0-9]+) received");
    CHECK(sent >= 32 + 4);  // the data frames and at least the four ACKs
    CHECK(static_cast<uint64_t>(sent) == stats.tx_frames);
    CHECK(received >= 32 + 4);
    CHECK(static_cast<uint64_t>(received) <= stats.rx_frames);
    CHECK(stats.rx_buffer_too_small == 0);
    CHECK(stats.tx_dropped == 0);
  }
}

// QEMU's system reset resets every device (VirtBoard::reset): the rebooted kernel's reset-state
// check must find the UART, the PLIC and virtio-blk as at power-on, and the disk's data kept.
TEST_CASE("A reset through the test device restarts the kernel on reset devices", "[virt_kernel][reset]") {
  TempDir dir;
  const std::string disk = make_disk(dir, "reboot.img");
  Guest guest(with_disk(disk), "checks=blk reboot=2");
  const int exit_code = guest.run_to_exit();
  INFO("console:\n" << guest.output());
  CHECK(exit_code == 0);
  CHECK(guest.printed("blk: boot 2: data written by boot 1 is intact"));
  check_image(disk, 2);
}
