// A fleet spec: the TOML file `hartbox fleet SPEC.toml` runs. Parsed with toml++, checked whole
// before anything is built, so a typo never leaves half a fleet running.
//
//   [fleet]                      # all optional
//   policy = "fair-share"        # "fair-share" | "round-robin" | "priority"
//   workers = 2                  # host threads (default: one per host core)
//   slice_instructions = 100000  # upper bound of one slice
//   deterministic = false        # pinned workers, instruction-count time (worker_pool.hpp)
//   duration_seconds = 10        # stop everything after this long (default: until all exit)
//
//   [[group]]                    # a tenant: its machines share its weight
//   name = "tenant-a"
//   weight = 200                 # 1..10000, default 100 (cgroup v2 cpu.weight)
//   cap = 1.5                    # host threads the whole group may use; 0/absent: none
//
//   [[network]]                  # an isolated L2 segment of the virtual switch
//   name = "lan"
//   pcap = "lan.pcap"            # optional capture of every frame entering the segment
//
//   [[machine]]
//   name = "web"                 # required, unique; clones are named web-1..web-N
//   program = "web.elf"          # a bare-metal ELF ... (paths are relative to this file)
//   args = ["--port", "80"]      #   ... and its command line (semihosting)
//   # or: bios = "fw.bin", kernel = "Image", initrd = "initrd", append = "console=ttyS0"
//   memory = "128M"              # or bytes; default 128M (paged: costs what the guest touches)
//   harts = 1
//   engine = "block"             # block | threaded | interp
//   time = "real"                # real | virtual (default: real; virtual when deterministic)
//   console = "stdout"           # stdout (lines prefixed with the name) | none | "file:PATH"
//   weight = 100                 # fair share: 1..10000
//   cap = 0.5                    # fraction of one host thread; 0/absent: none
//   reservation = 0.1            # fair share: guaranteed fraction of one host thread
//   priority = 0                 # strict priority: higher runs first
//   group = "tenant-a"           # a [[group]]; default: the group "default"
//   disks = ["disk.img,overlay=web.ovl"]  # PATH[,readonly][,overlay=PATH]
//   networks = ["lan"]           # one virtio-net card per entry, each on that segment
//   clones = 3                   # this many copies; writable disks need overlay= (each clone
//                                # gets its own: web.ovl -> web-1.ovl, web-2.ovl, ...)
//   [machine.limits]             # or limits = { ... }
//   memory_pages = 4096          # resident 4 KiB pages (the guest fails past it)
//   disk_bytes_per_second = "1M" # all its disks together, per second of its own clock (virtual
//                                # seconds under time = "virtual"); a request over it waits, none fails
//   net_bytes_per_second = 125000  # each direction, on every card
//
// Errors: FleetSpecError, whose message is one line, either "SPEC:LINE:COL: problem" (syntax,
// types, ranges, unknown keys: every key is checked, to catch typos) or "SPEC: machine 'x':
// problem" (a file that does not exist, a clash between machines).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "devices/clock.hpp"
#include "devices/machine.hpp"
#include "devices/virtio/block.hpp"

namespace hartbox {

// One line naming the file and the problem. Whatever the spec holds (a key or a value with a
// newline in it) stays on that line: control characters are shown escaped.
struct FleetSpecError : std::runtime_error {
  explicit FleetSpecError(const std::string& message) : std::runtime_error(one_line(message)) {}

 private:
  static std::string one_line(const std::string& text) {
    std::string out;
    for (const char c : text) {
      const auto byte = static_cast<unsigned char>(c);
      if (c == '\n') {
        out += "\\n";
      } else if (byte < 0x20 || byte == 0x7f) {
        static constexpr char kHex[] = "0123456789abcdef";
        out += "\\x";
        out += kHex[byte >> 4];
        out += kHex[byte & 15];
      } else {
        out += c;
      }
    }
    return out;
  }
};

struct FleetSettings {
  std::string policy = "fair_share";   // the Fleet's name for it (scheduler.hpp)
  unsigned workers = 0;                // 0: one per host core
  uint64_t slice_instructions = 100'000;
  bool deterministic = false;
  double duration_seconds = 0;         // 0: until every machine has stopped
  // Which keys the file set (command-line options override only what the file did not).
  bool has_policy = false, has_workers = false, has_slice = false, has_deterministic = false,
       has_duration = false;
};

struct GroupSpec {
  std::string name;
  uint32_t weight = 100;
  double cap = 0;  // host threads for the whole group; 0: none
};

struct NetworkSpec {
  std::string name;
  std::string pcap;  // empty: no capture
};

struct MachineLimits {
  uint64_t memory_pages = 0;           // 0: none
  uint64_t disk_bytes_per_second = 0;  // 0: none
  uint64_t net_bytes_per_second = 0;   // 0: none
};

struct MachineSpec {
  std::string name;           // after clone expansion: "web-2"
  std::string base_name;      // as written in the spec: "web"
  unsigned clone_index = 0;   // 0: not a clone; 1..N
  std::string program;        // bare-metal ELF (absolute path), or empty when booting
  std::vector<std::string> args;
  std::optional<BootSpec> boot;  // bios/kernel/initrd/append
  uint64_t memory = uint64_t{128} << 20;
  unsigned harts = 1;
  std::string engine = "block";
  std::optional<MachineClock::Mode> time;  // nullopt: the fleet's default
  std::string console = "stdout";          // "stdout", "none" or "file:PATH" (absolute)
  uint32_t weight = 100;
  double cap = 0;
  double reservation = 0;
  int priority = 0;
  std::string group;          // empty: the fleet's default group
  std::vector<DiskSpec> disks;
  std::vector<std::string> networks;
  MachineLimits limits;
};

struct FleetSpec {
  std::string source;  // the file name, as errors print it
  FleetSettings fleet;
  std::vector<GroupSpec> groups;
  std::vector<NetworkSpec> networks;
  std::vector<MachineSpec> machines;  // clones expanded, in file order
};

// Reads and checks a spec file. Throws FleetSpecError.
FleetSpec load_fleet_spec(const std::filesystem::path& path);
// The same from text; relative paths resolve against `base_dir`, errors name `source`. Files the
// spec names (programs, firmware) must exist unless `check_files` is false.
FleetSpec parse_fleet_spec(std::string_view text, const std::string& source, const std::filesystem::path& base_dir,
                           bool check_files = true);

// "fair-share"/"fair_share" -> "fair_share", "round-robin" -> "round_robin", "priority"/
// "strict-priority" -> "strict_priority"; nullopt for anything else.
std::optional<std::string> fleet_policy_name(std::string_view text);

// "128M", "1G", "4096K", "64KiB" or plain bytes; nullopt if malformed or zero.
std::optional<uint64_t> parse_byte_size(std::string_view text);

}  // namespace hartbox
