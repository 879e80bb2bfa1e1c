// Fuzz target `elf_loader`: load_elf() and load_raw() (devices/elf_loader.hpp) on arbitrary
// files.
//
// The loader's contract is what is checked: every bad file is a LoadError whose message is one
// line starting with "<path>: "; nothing else may be thrown; a file that is refused leaves RAM
// untouched ("nothing is written to RAM unless the whole file checks out"); a file that loads
// reports lowest/highest addresses inside RAM with lowest <= highest. A file that loads is then
// given to Machine::load_elf too, which adds HTIF (on the file's tohost/fromhost symbols) and the
// device tree: it must also throw nothing but LoadError, and leave the tree inside RAM. The first
// input byte picks the RAM size and, for load_raw, the address (for ELF files, the harts); the
// rest is the file.
#include <cstdint>
#include <exception>
#include <span>
#include <string>

#include "core/guest_ram.hpp"
#include "devices/console.hpp"
#include "devices/elf_loader.hpp"
#include "devices/machine.hpp"
#include "fuzz/fuzz_support.hpp"

using namespace hartbox;

namespace {

void check_message(const std::string& message, const std::string& path) {
  fuzz::require(message.rfind(path + ": ", 0) == 0, "LoadError does not start with the path: " + message);
  fuzz::require(message.find('\n') == std::string::npos, "LoadError is more than one line: " + message);
  fuzz::require(message.size() > path.size() + 2, "LoadError says nothing: " + message);
}

// Which RAM pages are resident, as a cheap fingerprint (the loaders allocate pages they write).
size_t touched(const GuestRam& ram) { return ram.resident_pages(); }

void fuzz_machine_load(const std::string& path, uint64_t ram_size, unsigned harts) {
  StringConsoleSink console;
  StringConsoleSource input;
  MachineConfig config;
  config.ram_size = ram_size;
  config.harts = harts;
  config.engine = "interp";
  config.semihosting = false;
  config.console = &console;
  config.console_input = &input;
  Machine machine(config);
  try {
    machine.load_elf(path);
    const uint64_t fdt = machine.hart().x[11];  // a1: the device tree
    fuzz::require(machine.ram().contains(fdt, machine.device_tree().size()),
                  "Machine::load_elf put the device tree outside RAM");
  } catch (const LoadError& e) {
    check_message(e.what(), path);
  } catch (const std::exception& e) {
    fuzz::finding(std::string("Machine::load_elf threw something other than LoadError: ") + e.what());
  }
}

void fuzz_elf(std::span<const uint8_t> file, uint64_t ram_size, unsigned harts) {
  fuzz::MemFile mem("fuzz.elf");
  mem.write_all(file);
  const std::string path = mem.path();
  GuestRam ram(kRamBase, ram_size);
  try {
    const ElfImage image = load_elf(path, ram);
    fuzz::require(ram.contains(image.lowest_address) && ram.contains(image.highest_address) &&
                      image.lowest_address <= image.highest_address,
                  "load_elf accepted a file whose segments are not inside RAM");
    fuzz_machine_load(path, ram_size, harts);
  } catch (const LoadError& e) {
    check_message(e.what(), path);
    fuzz::require(touched(ram) == 0, std::string("load_elf refused the file but wrote RAM first: ") + e.what());
  } catch (const std::exception& e) {
    fuzz::finding(std::string("load_elf threw something other than LoadError: ") + e.what());
  }
}

void fuzz_raw(std::span<const uint8_t> file, uint64_t ram_size, uint64_t address) {
  fuzz::MemFile mem("fuzz.bin");
  mem.write_all(file);
  const std::string path = mem.path();
  GuestRam ram(kRamBase, ram_size);
  try {
    load_raw(path, address, ram);
    fuzz::require(!file.empty() && ram.contains(address, file.size()), "load_raw accepted an image outside RAM");
  } catch (const LoadError& e) {
    check_message(e.what(), path);
    fuzz::require(touched(ram) == 0, std::string("load_raw refused the image but wrote RAM first: ") + e.what());
  } catch (const std::exception& e) {
    fuzz::finding(std::string("load_raw threw something other than LoadError: ") + e.what());
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::span<const uint8_t> file(data + 1, size - 1);
  // RAM from 4 KiB to 256 MiB (paged: only what is written costs memory).
  const uint64_t ram_size = uint64_t{4096} << (mode & 15);
  if (mode & 0x80) {
    // Raw images: at the start of RAM, near its end, or below it.
    const uint64_t addresses[] = {kRamBase, kRamBase + ram_size - 16, kRamBase - 8, ~uint64_t{0} - 7};
    fuzz_raw(file, ram_size, addresses[(mode >> 4) & 3]);
  } else {
    fuzz_elf(file, ram_size, 1u << ((mode >> 4) & 3));
  }
  return 0;
}
