// Regression tests for bugs found by fuzzing (fuzz/), the sanitizer runs (tools/sanitizers.sh)
// and the robustness review of the hostile-guest work. Each test names the bug it guards.
// Some only show their bug under a sanitizer (the asan preset runs them all). The manager's
// (fleet spec, control socket) are in manager_regression_test.cpp.
#include <catch2/catch_test_macros.hpp>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/engines/engine.hpp"
#include "devices/console.hpp"
#include "devices/machine.hpp"
#include "tests/unit/temp_dir.hpp"

using namespace hartbox;
using hartbox::test::TempDir;

namespace {

// lui a0, 0x100; lui a1, 5; addi a1, a1, 0x555; sw a1, 0(a0); j . -- "pass" to the test device.
constexpr uint32_t kPassProgram[] = {0x00100537, 0x000055b7, 0x55558593, 0x00b52023, 0x0000006f};

std::vector<uint8_t> pass_program_bytes() {
  std::vector<uint8_t> bytes(sizeof kPassProgram);
  std::memcpy(bytes.data(), kPassProgram, sizeof kPassProgram);
  return bytes;
}

// A minimal RV64 ELF: one PT_LOAD of kPassProgram at the start of RAM, entry there.
std::vector<uint8_t> pass_program_elf() {
  std::vector<uint8_t> f(64 + 56, 0);
  auto put = [&f](size_t at, uint64_t v, unsigned width) {
    for (unsigned i = 0; i < width; ++i) f[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  const uint8_t ident[] = {0x7f, 'E', 'L', 'F', 2, 1, 1};
  std::memcpy(f.data(), ident, sizeof ident);
  put(16, 2, 2);           // ET_EXEC
  put(18, 243, 2);         // EM_RISCV
  put(20, 1, 4);           // EV_CURRENT
  put(24, kRamBase, 8);    // e_entry
  put(32, 64, 8);          // e_phoff
  put(52, 64, 2);          // e_ehsize
  put(54, 56, 2);          // e_phentsize
  put(56, 1, 2);           // e_phnum
  put(64, 1, 4);           // PT_LOAD
  put(68, 7, 4);           // RWX
  put(72, 120, 8);         // p_offset
  put(80, kRamBase, 8);    // p_vaddr
  put(88, kRamBase, 8);    // p_paddr
  put(96, sizeof kPassProgram, 8);
  put(104, sizeof kPassProgram, 8);
  put(112, 4, 8);          // p_align
  const std::vector<uint8_t> code = pass_program_bytes();
  f.insert(f.end(), code.begin(), code.end());
  return f;
}

// pass_program_elf() plus a symbol table with one symbol, `tohost`, at `tohost` (SHN_ABS).
std::vector<uint8_t> pass_program_elf_with_tohost(uint64_t tohost) {
  std::vector<uint8_t> f = pass_program_elf();  // 140 bytes: header, one PT_LOAD, the code
  auto put = [&f](size_t at, uint64_t v, unsigned width) {
    if (f.size() < at + width) f.resize(at + width, 0);
    for (unsigned i = 0; i < width; ++i) f[at + i] = static_cast<uint8_t>(v >> (8 * i));
  };
  constexpr size_t kSymtab = 144, kStrtab = 192, kShstrtab = 200, kSections = 232;
  // .symtab: the null symbol, then tohost (STB_GLOBAL, STT_OBJECT, SHN_ABS).
  put(kSymtab + 24 + 0, 1, 4);
  put(kSymtab + 24 + 4, 0x11, 1);
  put(kSymtab + 24 + 6, 0xfff1, 2);
  put(kSymtab + 24 + 8, tohost, 8);
  put(kSymtab + 24 + 16, 8, 8);
  const char strtab[] = "\0tohost";
  const char shstrtab[] = "\0.symtab\0.strtab\0.shstrtab";
  f.resize(kStrtab, 0);
  f.insert(f.end(), strtab, strtab + sizeof strtab);
  f.resize(kShstrtab, 0);
  f.insert(f.end(), shstrtab, shstrtab + sizeof shstrtab);
  f.resize(kSections, 0);
  // Section headers: null, .symtab, .strtab, .shstrtab.
  auto section = [&](size_t index, uint32_t name, uint32_t type, uint64_t offset, uint64_t size, uint32_t link,
                     uint32_t info, uint64_t entsize) {
    const size_t at = kSections + 64 * index;
    put(at + 0, name, 4);
    put(at + 4, type, 4);
    put(at + 24, offset, 8);
    put(at + 32, size, 8);
    put(at + 40, link, 4);
    put(at + 44, info, 4);
    put(at + 48, 8, 8);
    put(at + 56, entsize, 8);
  };
  section(0, 0, 0, 0, 0, 0, 0, 0);
  section(1, 1, 2, kSymtab, 48, 2, 1, 24);                 // SHT_SYMTAB, link .strtab
  section(2, 9, 3, kStrtab, sizeof strtab, 0, 0, 0);       // SHT_STRTAB
  section(3, 17, 3, kShstrtab, sizeof shstrtab, 0, 0, 0);  // SHT_STRTAB
  put(40, kSections, 8);  // e_shoff
  put(58, 64, 2);         // e_shentsize
  put(60, 4, 2);          // e_shnum
  put(62, 3, 2);          // e_shstrndx
  return f;
}

MachineConfig small_machine(uint64_t ram, StringConsoleSink& console) {
  MachineConfig config;
  config.ram_size = ram;
  config.semihosting = false;
  config.console = &console;
  return config;
}

}  // namespace

// Found by fuzz/engines (AddressSanitizer, heap-use-after-free in CodePages::~CodePages): Machine
// declared code_pages_ before harts_, so the harts were destroyed first and ~CodePages then read
// (and could write) each freed Hart to detach itself. Every machine whose block or threaded
// engine had run hit it on destruction. Only a sanitizer build shows it.
TEST_CASE("regression: a machine whose caching engine ran is destroyed cleanly", "[regression]") {
  for (const char* engine : {"block", "threaded"}) {
    INFO(engine);
    StringConsoleSink console;
    MachineConfig config = small_machine(4 << 20, console);
    config.engine = engine;
    auto machine = std::make_unique<Machine>(config);
    machine->ram().write(kRamBase, kPassProgram, sizeof kPassProgram);
    machine->set_entry(kRamBase);
    machine->run_slice(100);
    CHECK(machine->exit_code() == 0);
    machine.reset();  // AddressSanitizer reports the use-after-free here
  }
}

// Found while building seeds for fuzz/snapshot: load_elf() (and boot()) put the device tree at
// (top of RAM - its size) rounded down to 2 MiB. With 2 MiB of RAM or less that is the start of
// RAM, where the program was just loaded: `hartbox run -m 1M prog.elf` ran the device tree.
TEST_CASE("regression: the device tree never overwrites the program on a small machine", "[regression]") {
  TempDir dir("regress");
  const std::string elf = dir.file("pass.elf", pass_program_elf());
  const std::string raw = dir.file("pass.bin", pass_program_bytes());
  for (uint64_t ram : {uint64_t{64} << 10, uint64_t{1} << 20, uint64_t{2} << 20, uint64_t{4} << 20}) {
    INFO("RAM " << ram << " bytes");
    {
      StringConsoleSink console;
      Machine machine(small_machine(ram, console));
      machine.load_elf(elf);
      uint32_t first = 0;
      machine.ram().read(kRamBase, &first, 4);
      CHECK(first == kPassProgram[0]);
      const RunOutcome outcome = machine.run(10'000);
      CHECK(outcome.kind == RunOutcome::Kind::Exited);
      CHECK(outcome.exit_code == 0);
    }
    {
      StringConsoleSink console;
      Machine machine(small_machine(ram, console));
      BootSpec boot;
      boot.kernel = raw;  // no firmware: the kernel goes to the start of RAM
      machine.boot(boot);
      const RunOutcome outcome = machine.run(10'000);
      CHECK(outcome.kind == RunOutcome::Kind::Exited);
      CHECK(outcome.exit_code == 0);
    }
  }
}

// Found with the one above: when the device tree is larger than RAM (`hartbox run -m 4K --smp 8`:
// eight cpu nodes make it about 5 KiB), (top of RAM - its size) falls below RAM and the tree was
// written there, outside GuestRam's page table: a segmentation fault (a heap overflow under
// AddressSanitizer). Either the machine refuses (LoadError) or the tree fits.
TEST_CASE("regression: a device tree larger than RAM is an error, never a write outside RAM", "[regression]") {
  TempDir dir("regress");
  const std::string elf = dir.file("pass.elf", pass_program_elf());
  for (unsigned harts : {1u, 8u, 32u}) {
    INFO(harts << " harts, 4 KiB of RAM");
    StringConsoleSink console;
    MachineConfig config = small_machine(4096, console);
    config.harts = harts;
    Machine machine(config);
    try {
      machine.load_elf(elf);
      const uint64_t fdt = machine.hart().x[11];  // a1: where the tree went
      CHECK(machine.ram().contains(fdt, machine.device_tree().size()));
    } catch (const LoadError& e) {
      CHECK(std::string(e.what()).find('\n') == std::string::npos);
    }
  }
}

// Found by the engine review behind fuzz/engines: load_raw() (used by boot() for raw firmware and
// kernels) reads the file straight into GuestRam::host() pages, so the RAM write observer never
// hears of it. When the guest reboots through the test device (0x7777), boot() reloads the raw
// image but the block and threaded engines keep the code they decoded before: code the guest had
// patched runs again after the reboot. This guest patches `li a0, 1` into `li a0, 2`, runs it,
// reboots, runs it again and exits with a0: the reloaded image says 1.
TEST_CASE("regression: after a reboot every engine runs the reloaded raw image", "[regression]") {
  constexpr uint32_t kReloadProgram[] = {
      0x00000297, 0x00001337, 0x00530333, 0x00032383, 0x00138393, 0x00732023, 0x00100e13, 0x03c39263,
      0x0682ae83, 0x07d2a023, 0x038000ef, 0x001005b7, 0x00007637, 0x77760613, 0x00c5a023, 0x0000006f,
      0x020000ef, 0x01051693, 0x00003737, 0x33370713, 0x00e6e6b3, 0x001005b7, 0x00d5a023, 0x0000006f,
      0x00100513, 0x00008067, 0x00200513};
  // auipc t0, 0; t1 = t0 + 0x1000 (a boot counter outside the image); count this boot; on the
  // first: patch L (li a0, 1) with the word after it (li a0, 2), call L, reset (0x7777); on the
  // second: call L, then fail with code a0 (a0 << 16 | 0x3333).
  TempDir dir("regress");
  std::vector<uint8_t> image(sizeof kReloadProgram);
  std::memcpy(image.data(), kReloadProgram, sizeof kReloadProgram);
  const std::string raw = dir.file("reload.bin", image);
  for (std::string_view engine : engine_names()) {
    INFO(engine);
    StringConsoleSink console;
    MachineConfig config = small_machine(16 << 20, console);
    config.engine = std::string(engine);
    Machine machine(config);
    BootSpec boot;
    boot.kernel = raw;
    machine.boot(boot);
    const RunOutcome outcome = machine.run(100'000);
    REQUIRE(outcome.kind == RunOutcome::Kind::Exited);
    CHECK(outcome.exit_code == 1);
  }
}

// Found by fuzz/elf_loader (Machine::load_elf): an ELF whose `tohost` symbol is misaligned, or
// lies on a device (the UART at 0x1000_0000), made the HTIF constructor or Bus::attach throw
// std::invalid_argument out of Machine::load_elf, which promises LoadError naming the file; the
// CLI printed "hartbox: device htif overlaps uart16550" without the file's name.
TEST_CASE("regression: a bad tohost symbol is a LoadError naming the file", "[regression]") {
  TempDir dir("regress");
  {
    // The writer above is right: a good tohost loads and the program runs.
    const std::string good = dir.file("good.elf", pass_program_elf_with_tohost(kRamBase + 0x1000));
    StringConsoleSink console;
    Machine machine(small_machine(4 << 20, console));
    REQUIRE(machine.load_elf(good).symbol("tohost") == kRamBase + 0x1000);
  }
  for (uint64_t tohost : {kRamBase + 0x1001, uint64_t{0x1000'0000}, uint64_t{virt::kClintBase}, ~uint64_t{0} - 3}) {
    INFO("tohost at " << tohost);
    const std::string path = dir.file("tohost.elf", pass_program_elf_with_tohost(tohost));
    StringConsoleSink console;
    Machine machine(small_machine(4 << 20, console));
    try {
      machine.load_elf(path);
      FAIL("loaded");
    } catch (const LoadError& e) {
      CHECK(std::string(e.what()).rfind(path + ": ", 0) == 0);
    } catch (const std::exception& e) {
      FAIL("not a LoadError: " << e.what());
    }
  }
}
