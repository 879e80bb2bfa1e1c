// Isolation: what one machine does must not reach another machine in the same process, and a
// bad file is one clear error, never a crash.
//
//   - A good machine runs a counting loop (sums and sums of squares, stored to RAM) and powers
//     off through the test device. Its results, alone, are the baseline.
//   - A bad machine runs the same number of slices beside it (interleaved on one thread, then on
//     its own thread): random bytes as code, trap vectors pointing into them, and wild accesses
//     to every device of the board at bad sizes and offsets (UART, CLINT, PLIC, RTC, virtio-blk on
//     a real disk file, virtio-net, the boot ROM, unmapped space), jumps to MMIO and to nowhere.
//     It must keep running (no exception leaves run_slice), and the good machine's exit code,
//     instruction count, registers and RAM must equal the baseline exactly.
//   - Malformed ELF files and bad raw images give a LoadError whose message is one line naming
//     the file; the machine that refused them, and its neighbour, still run programs.
// Every engine is tried on both sides.
#include <array>
#include <catch2/catch_test_macros.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/csr.hpp"
#include "core/engines/engine.hpp"
#include "devices/console.hpp"
#include "devices/machine.hpp"
#include "devices/virtio/null_net_backend.hpp"
#include "tests/unit/rv64_encoding.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace hartbox;
using hartbox::test::TempDir;

namespace {

// Registers by ABI name.
enum : unsigned { ZERO = 0, RA = 1, SP = 2, T0 = 5, T1 = 6, T2 = 7, S0 = 8, A0 = 10, A1 = 11, T3 = 28, T4 = 29 };

constexpr uint64_t kRamSize = 16 << 20;
constexpr uint64_t kData = kRamBase + 0x10'0000;
constexpr uint64_t kGarbage = kRamBase + 0x1000;  // 64 KiB of random bytes in the bad machine
constexpr uint64_t kTestDevice = virt::kTestBase;
constexpr int32_t kLoopCount = 20000;

// Loads a 32-bit constant (lui + addi, the addi's sign taken into account).
void load_constant(std::vector<uint32_t>& code, unsigned rd, uint32_t value) {
  const uint32_t low = value & 0xfffu;
  const uint32_t high = (value + (low >= 0x800 ? 0x1000u : 0u)) >> 12;
  code.push_back(enc::lui(rd, high & 0xfffffu));
  code.push_back(enc::addi(rd, rd, static_cast<int32_t>(low >= 0x800 ? static_cast<int32_t>(low) - 0x1000
                                                                        : static_cast<int32_t>(low))));
}

// t0 = 1 + ... + n, t3 = 1^2 + ... + n^2 (both stored to kData after every step), then
// "pass" (0x5555) to the test device: exit code 0.
std::vector<uint32_t> good_program() {
  using namespace enc;
  std::vector<uint32_t> code;
  code.push_back(addi(T0, ZERO, 0));
  code.push_back(addi(T1, ZERO, 1));
  load_constant(code, T2, kLoopCount + 1);
  load_constant(code, S0, static_cast<uint32_t>(kData));  // sign-extends: lui gives 0xffff_ffff_8...
  code.push_back(addi(T3, ZERO, 0));
  // The lui above sign-extends 0x8010_0000 to 0xffff_ffff_8010_0000: clear the top with a shift
  // pair (slli 32, srli 32).
  code.push_back(i(32, S0, 1, S0, 0x13));
  code.push_back(i(32, S0, 5, S0, 0x13));
  const size_t loop = code.size();
  code.push_back(add(T0, T0, T1));
  code.push_back(mul(T4, T1, T1));
  code.push_back(add(T3, T3, T4));
  code.push_back(sd(T0, S0, 0));
  code.push_back(sd(T3, S0, 8));
  code.push_back(addi(T1, T1, 1));
  code.push_back(b(static_cast<int32_t>(loop * 4) - static_cast<int32_t>(code.size() * 4), T1, T2, 1));  // bne
  code.push_back(lui(A0, static_cast<uint32_t>(kTestDevice >> 12)));
  load_constant(code, A1, 0x5555);
  code.push_back(sw(A1, A0, 0));
  code.push_back(kJumpToSelf);
  return code;
}

// Wild accesses to every device at bad sizes and offsets, then a jump into the garbage, where
// every trap lands too (mtvec points at it).
std::vector<uint32_t> wild_program() {
  using namespace enc;
  std::vector<uint32_t> code;
  load_constant(code, T0, static_cast<uint32_t>(kGarbage));
  code.push_back(i(32, T0, 1, T0, 0x13));  // slli 32
  code.push_back(i(32, T0, 5, T0, 0x13));  // srli 32: zero-extended
  code.push_back(csrw(csr::mtvec, T0));
  code.push_back(csrw(csr::stvec, T0));
  const uint32_t devices[] = {static_cast<uint32_t>(virt::kUartBase), static_cast<uint32_t>(virt::kClintBase),
                              static_cast<uint32_t>(virt::kPlicBase), static_cast<uint32_t>(virt::kRtcBase),
                              0x1000'1000u /* virtio-blk */,          0x1000'2000u /* virtio-net */,
                              static_cast<uint32_t>(virt::kBootRomBase), 0x0000'0000u, 0x4000'0000u,
                              0x0200'bff8u /* mtime */, 0x0c20'0004u /* PLIC claim */};
  for (uint32_t base : devices) {
    load_constant(code, T1, base);
    code.push_back(sd(T0, T1, 0));
    code.push_back(sb(T0, T1, 3));
    code.push_back(sh(T0, T1, 1));
    code.push_back(sw(T0, T1, 0x70));  // virtio Status, among others
    code.push_back(sw(T0, T1, 0x50));  // virtio QueueNotify, among others
    code.push_back(ld(T2, T1, 4));
    code.push_back(lw(T2, T1, 2));
    code.push_back(lh(T2, T1, 0x101));
    code.push_back(lb(T2, T1, 0x7ff));
  }
  code.push_back(kFenceI);
  load_constant(code, T1, static_cast<uint32_t>(virt::kUartBase));
  code.push_back(jalr(RA, T1, 0));  // execute from MMIO: a fault, into the garbage
  code.push_back(jalr(RA, T0, 0));  // and straight into the garbage
  return code;
}

void write_code(Machine& m, uint64_t at, const std::vector<uint32_t>& code) {
  m.ram().write(at, code.data(), code.size() * sizeof(uint32_t));
}

struct GoodResult {
  std::optional<int> exit_code;
  uint64_t retired = 0;
  std::array<uint64_t, 32> x{};
  uint64_t sum = 0, squares = 0;
  bool operator==(const GoodResult&) const = default;
};

class GoodMachine {
 public:
  explicit GoodMachine(const std::string& engine) {
    MachineConfig config;
    config.ram_size = kRamSize;
    config.engine = engine;
    config.semihosting = false;
    config.console = &console_;
    machine_ = std::make_unique<Machine>(config);
    write_code(*machine_, kRamBase, good_program());
    machine_->set_entry(kRamBase);
  }
  Machine& machine() { return *machine_; }
  bool done() const { return machine_->exit_code().has_value(); }
  void slice(uint64_t budget) {
    if (!done()) machine_->run_slice(budget);
  }
  GoodResult result() {
    GoodResult r;
    r.exit_code = machine_->exit_code();
    r.retired = machine_->retired();
    for (unsigned i = 0; i < 32; ++i) r.x[i] = machine_->hart().x[i];
    machine_->ram().read(kData, &r.sum, 8);
    machine_->ram().read(kData + 8, &r.squares, 8);
    return r;
  }

 private:
  StringConsoleSink console_;
  std::unique_ptr<Machine> machine_;
};

class BadMachine {
 public:
  BadMachine(const std::string& engine, const TempDir& dir, uint32_t seed) {
    const std::string disk = dir.file("bad-" + engine + "-" + std::to_string(seed) + ".img", std::string(64 * 1024, '\0'));
    MachineConfig config;
    config.ram_size = kRamSize;
    config.engine = engine;
    config.semihosting = false;
    config.console = &console_;
    config.console_input = &input_;
    DiskSpec spec;
    spec.path = disk;
    config.disks.push_back(spec);
    config.nics.push_back(&nic_);
    config.rng = true;
    machine_ = std::make_unique<Machine>(config);
    std::mt19937 random(seed);
    std::vector<uint32_t> garbage(16 * 1024);
    for (uint32_t& word : garbage) word = static_cast<uint32_t>(random());
    write_code(*machine_, kGarbage, garbage);
    write_code(*machine_, kRamBase, wild_program());
    machine_->set_entry(kRamBase);
  }
  Machine& machine() { return *machine_; }
  // One slice; false if an exception escaped it (which must never happen).
  bool slice(uint64_t budget) {
    try {
      machine_->run_slice(budget);
      return true;
    } catch (...) {
      return false;
    }
  }

 private:
  StringConsoleSink console_;
  StringConsoleSource input_{"garbage in\n"};
  DiscardingNetBackend nic_;
  std::unique_ptr<Machine> machine_;
};

constexpr uint64_t kSlice = 1000;

GoodResult baseline(const std::string& engine) {
  GoodMachine good(engine);
  for (int i = 0; i < 1000 && !good.done(); ++i) good.slice(kSlice);
  return good.result();
}

}  // namespace

TEST_CASE("isolation: the good program's baseline is what the arithmetic says", "[isolation]") {
  for (std::string_view engine : engine_names()) {
    INFO("engine " << engine);
    const GoodResult r = baseline(std::string(engine));
    REQUIRE(r.exit_code == 0);
    const uint64_t n = kLoopCount;
    CHECK(r.sum == n * (n + 1) / 2);
    CHECK(r.squares == n * (n + 1) * (2 * n + 1) / 6);
    CHECK(r.x[T0] == r.sum);
  }
}

TEST_CASE("isolation: a machine running garbage and wild MMIO leaves its neighbour alone", "[isolation]") {
  TempDir dir("isolation");
  for (std::string_view good_engine : engine_names()) {
    const GoodResult expected = baseline(std::string(good_engine));
    for (std::string_view bad_engine : engine_names()) {
      INFO("good machine on " << good_engine << ", bad machine on " << bad_engine);
      GoodMachine good{std::string(good_engine)};
      BadMachine bad(std::string(bad_engine), dir, 1);
      bool bad_survived = true;
      unsigned slices = 0;
      for (; slices < 1000 && !good.done(); ++slices) {
        bad_survived = bad.slice(kSlice) && bad_survived;
        good.slice(kSlice);
      }
      // The bad machine keeps going after the good one is finished.
      for (unsigned k = 0; k < 50; ++k) bad_survived = bad.slice(kSlice) && bad_survived;
      CHECK(bad_survived);
      CHECK(bad.machine().hart().traps_taken() > 0);
      CHECK(good.result() == expected);
    }
  }
}

TEST_CASE("isolation: machines on their own threads do not disturb each other", "[isolation]") {
  TempDir dir("isolation");
  const GoodResult expected = baseline("block");
  constexpr unsigned kBad = 3;
  GoodMachine good("block");
  std::vector<std::unique_ptr<BadMachine>> bad;
  for (unsigned i = 0; i < kBad; ++i) {
    const std::string_view engine = engine_names()[i % engine_names().size()];
    bad.push_back(std::make_unique<BadMachine>(std::string(engine), dir, 100 + i));
  }
  std::array<bool, kBad> survived{};
  std::atomic<bool> good_done{false};
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < kBad; ++i) {
    threads.emplace_back([&, i] {
      bool ok = true;
      for (unsigned k = 0; k < 200 || !good_done.load(); ++k) ok = bad[i]->slice(kSlice) && ok;
      survived[i] = ok;
    });
  }
  for (int k = 0; k < 1000 && !good.done(); ++k) good.slice(kSlice);
  good_done = true;
  for (std::thread& t : threads) t.join();
  for (unsigned i = 0; i < kBad; ++i) CHECK(survived[i]);
  CHECK(good.result() == expected);
}

TEST_CASE("isolation: malformed ELF files and bad raw images are one error line", "[isolation]") {
  TempDir dir("isolation");
  std::string truncated_header("\x7f" "ELF\x02\x01\x01", 7);
  std::string elf_outside_ram(64 + 56, '\0');
  {
    // A valid RV64 ELF header and one PT_LOAD at 0x1000 (outside RAM).
    const unsigned char ident[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
    std::memcpy(elf_outside_ram.data(), ident, 16);
    auto put16 = [&](size_t at, uint16_t v) { std::memcpy(elf_outside_ram.data() + at, &v, 2); };
    auto put32 = [&](size_t at, uint32_t v) { std::memcpy(elf_outside_ram.data() + at, &v, 4); };
    auto put64 = [&](size_t at, uint64_t v) { std::memcpy(elf_outside_ram.data() + at, &v, 8); };
    put16(16, 2);        // ET_EXEC
    put16(18, 243);      // EM_RISCV
    put32(20, 1);        // EV_CURRENT
    put64(24, 0x1000);   // entry
    put64(32, 64);       // phoff
    put16(52, 64);       // ehsize
    put16(54, 56);       // phentsize
    put16(56, 1);        // phnum
    put32(64, 1);        // PT_LOAD
    put64(64 + 8, 0);    // offset
    put64(64 + 16, 0x1000);
    put64(64 + 24, 0x1000);
    put64(64 + 32, 16);  // filesz
    put64(64 + 40, 16);  // memsz
  }
  struct BadFile {
    std::string label, path;
  };
  const std::vector<BadFile> elves = {
      {"empty", dir.file("empty.elf", "")},
      {"text", dir.file("text.elf", "#!/bin/sh\necho this is not an ELF\n")},
      {"truncated header", dir.file("truncated.elf", truncated_header)},
      {"segment outside RAM", dir.file("outside.elf", elf_outside_ram)},
      {"missing", (dir.path() / "no-such-file.elf").string()},
      {"a directory", dir.path().string()},
  };
  GoodMachine neighbour("block");
  MachineConfig config;
  config.ram_size = kRamSize;
  config.semihosting = false;
  StringConsoleSink console;
  config.console = &console;
  Machine machine(config);
  for (const BadFile& f : elves) {
    INFO(f.label);
    try {
      machine.load_elf(f.path);
      FAIL("load_elf accepted " << f.label);
    } catch (const LoadError& e) {
      const std::string message = e.what();
      CHECK(message.rfind(f.path + ": ", 0) == 0);
      CHECK(message.find('\n') == std::string::npos);
    }
    neighbour.slice(kSlice);
  }
  const std::string raw = dir.file("raw.bin", std::string(64, '\x13'));
  const std::vector<std::pair<std::string, uint64_t>> raws = {
      {raw, 0x1000},                           // below RAM
      {raw, kRamBase + kRamSize - 8},          // runs past the end of RAM
      {raw, ~uint64_t{0} - 7},                 // wraps around
      {dir.file("empty.bin", ""), kRamBase},   // empty
      {(dir.path() / "missing.bin").string(), kRamBase},
  };
  for (const auto& [path, address] : raws) {
    INFO(path << " at " << address);
    try {
      machine.load_raw(path, address);
      FAIL("load_raw accepted " << path);
    } catch (const LoadError& e) {
      const std::string message = e.what();
      CHECK(message.rfind(path + ": ", 0) == 0);
      CHECK(message.find('\n') == std::string::npos);
    }
  }
  // Both machines still run programs.
  write_code(machine, kRamBase, good_program());
  machine.set_entry(kRamBase);
  const RunOutcome outcome = machine.run(10'000'000);
  CHECK(outcome.kind == RunOutcome::Kind::Exited);
  CHECK(outcome.exit_code == 0);
  for (int k = 0; k < 1000 && !neighbour.done(); ++k) neighbour.slice(kSlice);
  CHECK(neighbour.result() == baseline("block"));
}
