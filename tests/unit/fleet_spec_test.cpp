// Tests for manager/fleet_spec: good specs (defaults, every key, clones, paths relative to the
// spec) and bad ones, each of which must give exactly one line, "SPEC:LINE:COL: problem" or
// "SPEC: machine 'x': problem", naming what is wrong.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "manager/fleet_spec.hpp"

using namespace hartbox;
using Catch::Matchers::ContainsSubstring;
using Catch::Matchers::StartsWith;

namespace {

namespace fs = std::filesystem;

// A directory with a program and a disk in it, removed at the end.
struct SpecDir {
  fs::path dir;
  SpecDir() {
    dir = fs::temp_directory_path() / ("hartbox_spec_" + std::to_string(::getpid()));
    fs::create_directories(dir / "roms");
    std::ofstream(dir / "roms" / "prog.elf") << "not really an ELF: the parser does not look inside";
    std::ofstream(dir / "disk.img") << std::string(4096, '\0');
  }
  ~SpecDir() { fs::remove_all(dir); }
  FleetSpec parse(const std::string& text) const { return parse_fleet_spec(text, "fleet.toml", dir); }
  std::string error(const std::string& text) const {
    try {
      parse(text);
    } catch (const FleetSpecError& e) {
      const std::string message = e.what();
      CHECK(message.find('\n') == std::string::npos);
      return message;
    }
    FAIL("no error for:\n" << text);
    return {};
  }
};

const char* kMinimal = R"(
[[machine]]
name = "m"
program = "roms/prog.elf"
)";

}  // namespace

TEST_CASE("fleet spec: a minimal spec gets the defaults", "[fleet_spec]") {
  SpecDir d;
  const FleetSpec spec = d.parse(kMinimal);
  CHECK(spec.source == "fleet.toml");
  CHECK(spec.fleet.policy == "fair_share");
  CHECK(spec.fleet.workers == 0);
  CHECK(spec.fleet.slice_instructions == 100'000);
  CHECK_FALSE(spec.fleet.deterministic);
  CHECK(spec.fleet.duration_seconds == 0);
  CHECK_FALSE(spec.fleet.has_policy);
  REQUIRE(spec.machines.size() == 1);
  const MachineSpec& m = spec.machines[0];
  CHECK(m.name == "m");
  CHECK(m.program == (d.dir / "roms" / "prog.elf").string());
  CHECK(m.memory == (uint64_t{128} << 20));
  CHECK(m.harts == 1);
  CHECK(m.engine == "block");
  CHECK(m.weight == 100);
  CHECK(m.cap == 0);
  CHECK(m.group.empty());
  CHECK(m.console == "stdout");
  CHECK_FALSE(m.time.has_value());
  CHECK_FALSE(m.boot.has_value());
  CHECK(m.clone_index == 0);
}

TEST_CASE("fleet spec: every key", "[fleet_spec]") {
  SpecDir d;
  const FleetSpec spec = d.parse(R"(
[fleet]
policy = "round-robin"
workers = 3
slice_instructions = 50000
deterministic = true
duration_seconds = 2.5

[[group]]
name = "tenant-a"
weight = 300
cap = 1.5

[[network]]
name = "lan"
pcap = "captures/lan.pcap"

[[network]]
name = "dmz"

[[machine]]
name = "web"
program = "roms/prog.elf"
args = ["--port", "80"]
memory = "64M"
harts = 2
engine = "interp"
time = "virtual"
console = "file:logs/web.txt"
weight = 250
cap = 0.5
reservation = 0.1
priority = 7
group = "tenant-a"
disks = ["disk.img,overlay=web.ovl", "disk.img,readonly"]
networks = ["lan", "dmz"]
clones = 2
[machine.limits]
memory_pages = 1024
disk_bytes_per_second = "1M"
net_bytes_per_second = 125000

[[machine]]
name = "linux"
kernel = "roms/prog.elf"
initrd = "roms/prog.elf"
append = "console=ttyS0"
memory = 268435456
limits = { memory_pages = 10 }
)");
  CHECK(spec.fleet.policy == "round_robin");
  CHECK(spec.fleet.workers == 3);
  CHECK(spec.fleet.slice_instructions == 50'000);
  CHECK(spec.fleet.deterministic);
  CHECK(spec.fleet.duration_seconds == 2.5);
  CHECK(spec.fleet.has_policy);
  REQUIRE(spec.groups.size() == 1);
  CHECK(spec.groups[0].weight == 300);
  CHECK(spec.groups[0].cap == 1.5);
  REQUIRE(spec.networks.size() == 2);
  CHECK(spec.networks[0].pcap == (d.dir / "captures" / "lan.pcap").string());
  CHECK(spec.networks[1].pcap.empty());

  REQUIRE(spec.machines.size() == 3);
  for (unsigned i = 1; i <= 2; ++i) {
    const MachineSpec& m = spec.machines[i - 1];
    CHECK(m.name == "web-" + std::to_string(i));
    CHECK(m.base_name == "web");
    CHECK(m.clone_index == i);
    CHECK(m.args == std::vector<std::string>{"--port", "80"});
    CHECK(m.memory == (uint64_t{64} << 20));
    CHECK(m.harts == 2);
    CHECK(m.engine == "interp");
    CHECK(m.time == MachineClock::Mode::Virtual);
    CHECK(m.console == "file:" + (d.dir / "logs" / ("web-" + std::to_string(i) + ".txt")).string());
    CHECK(m.weight == 250);
    CHECK(m.cap == 0.5);
    CHECK(m.reservation == 0.1);
    CHECK(m.priority == 7);
    CHECK(m.group == "tenant-a");
    REQUIRE(m.disks.size() == 2);
    CHECK(m.disks[0].path == (d.dir / "disk.img").string());
    // Each clone writes its own overlay.
    CHECK(m.disks[0].overlay == (d.dir / ("web-" + std::to_string(i) + ".ovl")).string());
    CHECK(m.disks[1].read_only);
    CHECK(m.networks == std::vector<std::string>{"lan", "dmz"});
    CHECK(m.limits.memory_pages == 1024);
    CHECK(m.limits.disk_bytes_per_second == (1u << 20));
    CHECK(m.limits.net_bytes_per_second == 125'000);
  }
  const MachineSpec& linux = spec.machines[2];
  REQUIRE(linux.boot.has_value());
  CHECK(linux.boot->kernel == (d.dir / "roms" / "prog.elf").string());
  CHECK(linux.boot->bios.find("opensbi") != std::string::npos);  // Debian's, as `hartbox run`
  CHECK(linux.boot->append == "console=ttyS0");
  CHECK(linux.memory == 268435456);
  CHECK(linux.limits.memory_pages == 10);
}

TEST_CASE("fleet spec: policy spellings", "[fleet_spec]") {
  CHECK(fleet_policy_name("fair-share") == "fair_share");
  CHECK(fleet_policy_name("fair_share") == "fair_share");
  CHECK(fleet_policy_name("round-robin") == "round_robin");
  CHECK(fleet_policy_name("priority") == "strict_priority");
  CHECK(fleet_policy_name("strict_priority") == "strict_priority");
  CHECK_FALSE(fleet_policy_name("lottery"));
  CHECK(parse_byte_size("64M") == (uint64_t{64} << 20));
  CHECK(parse_byte_size("4096") == 4096u);
  CHECK(parse_byte_size("1KiB") == 1024u);
  CHECK_FALSE(parse_byte_size("0"));
  CHECK_FALSE(parse_byte_size("12Q"));
  CHECK_FALSE(parse_byte_size(""));
  CHECK_FALSE(parse_byte_size("99999999999T"));
}

TEST_CASE("fleet spec: syntax errors give the line and column", "[fleet_spec]") {
  SpecDir d;
  CHECK_THAT(d.error("[fleet\npolicy = 1\n"), StartsWith("fleet.toml:1:"));
  CHECK_THAT(d.error("[[machine]]\nname = \"m\"\nprogram = \"roms/prog.elf\nweight = 2\n"), StartsWith("fleet.toml:3:"));
  CHECK_THAT(d.error("a = = 1"), StartsWith("fleet.toml:1:"));
}

TEST_CASE("fleet spec: unknown keys are errors, with a suggestion", "[fleet_spec]") {
  SpecDir d;
  CHECK(d.error(std::string(kMinimal) + "wieght = 3\n") ==
        "fleet.toml:5:1: machine 'm': unknown key 'wieght' (did you mean 'weight'?); expected name, program, args, "
        "bios, kernel, initrd, append, memory, harts, engine, time, console, weight, cap, reservation, priority, "
        "group, disks, networks, clones or limits");
  CHECK_THAT(d.error("[fleet]\npolicy = \"fair-share\"\nworker = 2\n"),
             StartsWith("fleet.toml:3:1: [fleet]: unknown key 'worker' (did you mean 'workers'?)"));
  CHECK_THAT(d.error("[[machines]]\nname = \"m\"\n"),
             StartsWith("fleet.toml:1:3: unknown key 'machines' (did you mean 'machine'?)"));
  CHECK_THAT(d.error("[[group]]\nname = \"g\"\nwight = 3\n"), StartsWith("fleet.toml:3:1: [[group]]: unknown key 'wight'"));
  CHECK_THAT(d.error("[[network]]\nname = \"n\"\npacp = \"x\"\n"), ContainsSubstring("unknown key 'pacp' (did you mean 'pcap'?)"));
  CHECK_THAT(d.error(std::string(kMinimal) + "[machine.limits]\nmemory = 3\n"),
             StartsWith("fleet.toml:6:1: machine 'm': limits: unknown key 'memory'"));
  CHECK_THAT(d.error(std::string(kMinimal) + "zzzzzz = 1\n"), ContainsSubstring("unknown key 'zzzzzz'; expected"));
}

TEST_CASE("fleet spec: wrong types and ranges", "[fleet_spec]") {
  SpecDir d;
  const std::string m = kMinimal;
  CHECK(d.error(m + "weight = \"heavy\"\n") == "fleet.toml:5:10: machine 'm': 'weight' must be an integer, not a string");
  CHECK(d.error(m + "weight = 0\n") == "fleet.toml:5:10: machine 'm': 'weight' must be between 1 and 10000, not 0");
  CHECK_THAT(d.error(m + "cap = 1.5\n"), ContainsSubstring("'cap' must be between 0 and 1, not 1.5"));
  CHECK_THAT(d.error(m + "cap = 0.2\nreservation = 0.3\n"), ContainsSubstring("'reservation' cannot exceed 'cap'"));
  CHECK_THAT(d.error(m + "harts = 65\n"), ContainsSubstring("'harts' must be between 1 and 64"));
  CHECK_THAT(d.error(m + "memory = \"12Q\"\n"), ContainsSubstring("'memory': '12Q' is not a size"));
  CHECK_THAT(d.error(m + "memory = 1000\n"), ContainsSubstring("multiple of 4 KiB"));
  CHECK_THAT(d.error(m + "engine = \"jit\"\n"), ContainsSubstring("unknown engine 'jit' (expected block, threaded or interp)"));
  CHECK_THAT(d.error(m + "time = \"fast\"\n"), ContainsSubstring("'time' must be \"real\" or \"virtual\""));
  CHECK_THAT(d.error(m + "console = \"tty\"\n"), ContainsSubstring("'console' must be"));
  CHECK_THAT(d.error(m + "disks = \"disk.img\"\n"), ContainsSubstring("'disks' must be an array of strings"));
  CHECK_THAT(d.error(m + "disks = [1]\n"), ContainsSubstring("'disks' must hold strings, not an integer"));
  CHECK_THAT(d.error(m + "disks = [\"disk.img,fast\"]\n"), ContainsSubstring("unknown option 'fast'"));
  CHECK_THAT(d.error(m + "clones = 0\n"), ContainsSubstring("'clones' must be between 1 and 1024"));
  CHECK_THAT(d.error(m + "limits = 3\n"), ContainsSubstring("'limits' must be a table"));
  CHECK_THAT(d.error(m + "limits = { memory_pages = 999999999 }\n"), ContainsSubstring("'memory_pages' must be between 1 and 32768"));
  CHECK_THAT(d.error("[fleet]\npolicy = \"lottery\"\n"),
             StartsWith("fleet.toml:2:10: [fleet]: unknown policy 'lottery' (expected fair-share, round-robin or priority)"));
  CHECK_THAT(d.error("[fleet]\nworkers = 0\n"), ContainsSubstring("'workers' must be between 1 and 1024"));
  CHECK_THAT(d.error("[fleet]\nduration_seconds = -1\n"), ContainsSubstring("'duration_seconds' must be between"));
  CHECK_THAT(d.error("[fleet]\ndeterministic = \"yes\"\n"), ContainsSubstring("'deterministic' must be true or false"));
  CHECK_THAT(d.error("fleet = 3\n"), ContainsSubstring("'fleet' must be a table, not an integer"));
  CHECK_THAT(d.error("machine = 3\n"), ContainsSubstring("'machine' must be written [[machine]]"));
  CHECK_THAT(d.error("[[group]]\nname = \"g\"\ncap = -1\n"), ContainsSubstring("group 'g': 'cap' must be between 0"));
}

TEST_CASE("fleet spec: what machines need and how they may clash", "[fleet_spec]") {
  SpecDir d;
  CHECK_THAT(d.error("[[machine]]\nprogram = \"roms/prog.elf\"\n"), ContainsSubstring("a machine needs a name"));
  CHECK_THAT(d.error("[[machine]]\nname = \"has space\"\nprogram = \"roms/prog.elf\"\n"),
             ContainsSubstring("must be 1 to 64 letters, digits"));
  CHECK_THAT(d.error("[[machine]]\nname = \"m\"\n"),
             StartsWith("fleet.toml:1:1: machine 'm': needs 'program' (a bare-metal ELF) or 'kernel'/'bios' to boot"));
  CHECK_THAT(d.error(std::string(kMinimal) + "kernel = \"roms/prog.elf\"\n"),
             ContainsSubstring("give either 'program' or bios/kernel/initrd/append, not both"));
  CHECK(d.error("[[machine]]\nname = \"m\"\nprogram = \"roms/missing.elf\"\n") ==
        "fleet.toml: machine 'm': program '" + (d.dir / "roms" / "missing.elf").string() + "' does not exist");
  CHECK_THAT(d.error("[[machine]]\nname = \"m\"\nprogram = \"roms\"\n"), ContainsSubstring("is a directory"));
  CHECK_THAT(d.error(std::string(kMinimal) + "disks = [\"nodisk.img\"]\n"),
             ContainsSubstring("machine 'm': disk '" + (d.dir / "nodisk.img").string() + "' does not exist"));
  CHECK(d.error(std::string(kMinimal) + kMinimal) == "fleet.toml: machine 'm': the name is used twice");
  CHECK_THAT(d.error(std::string(kMinimal) + "clones = 2\n[[machine]]\nname = \"m-2\"\nprogram = \"roms/prog.elf\"\n"),
             StartsWith("fleet.toml: machine 'm-2': "));
  CHECK(d.error(std::string(kMinimal) + "clones = 3\ndisks = [\"disk.img\"]\n") ==
        "fleet.toml: machine 'm': disk '" + (d.dir / "disk.img").string() +
            "' would be written by 3 clones at once: make it readonly or give it overlay=PATH");
  CHECK(d.error(std::string(kMinimal) + "group = \"nobody\"\n") ==
        "fleet.toml:5:9: machine 'm': group 'nobody' is not declared in a [[group]] table");
  CHECK(d.error(std::string(kMinimal) + "networks = [\"wan\"]\n") ==
        "fleet.toml:5:13: machine 'm': network 'wan' is not declared in a [[network]] table");
  CHECK_THAT(d.error("[[group]]\nname = \"g\"\n[[group]]\nname = \"g\"\n"), ContainsSubstring("group 'g': declared twice"));
  CHECK_THAT(d.error("[[network]]\nname = \"n\"\n[[network]]\nname = \"n\"\n"), ContainsSubstring("network 'n': declared twice"));
  CHECK_THAT(d.error(std::string(kMinimal) + "args = [\"a\"]\nbios = \"none\"\n"), ContainsSubstring("machine 'm': "));
  CHECK_THAT(d.error("[[machine]]\nname = \"m\"\nbios = \"none\"\n"), ContainsSubstring("bios = \"none\" needs a 'kernel'"));
}

TEST_CASE("fleet spec: files are read from disk, errors name the file", "[fleet_spec]") {
  SpecDir d;
  const fs::path spec_path = d.dir / "f.toml";
  std::ofstream(spec_path) << kMinimal;
  const FleetSpec spec = load_fleet_spec(spec_path);
  CHECK(spec.source == spec_path.string());
  CHECK(spec.machines.at(0).program == (d.dir / "roms" / "prog.elf").string());
  try {
    load_fleet_spec(d.dir / "absent.toml");
    FAIL("no error");
  } catch (const FleetSpecError& e) {
    CHECK_THAT(e.what(), StartsWith((d.dir / "absent.toml").string() + ": cannot open"));
  }
  CHECK_THROWS_AS(load_fleet_spec(d.dir), FleetSpecError);
  // Not checking files: for specs written elsewhere.
  CHECK_NOTHROW(parse_fleet_spec("[[machine]]\nname = \"x\"\nprogram = \"nowhere.elf\"\n", "s", d.dir, false));
}
