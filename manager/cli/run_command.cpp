// `hartbox run`: build a bare-metal machine, load a program, run it, and return its exit code.
#include <boost/program_options.hpp>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "devices/console_file.hpp"
#include "devices/machine.hpp"
#include "devices/virtio/null_net_backend.hpp"
#include "manager/cli/commands.hpp"
#include "manager/cli/inspection.hpp"
#include "manager/cli/parse.hpp"
#include "manager/cli/snapshot_options.hpp"
#include "manager/cli/terminal.hpp"
#include "manager/gdb/gdb_server.hpp"

#include <unistd.h>

namespace po = boost::program_options;

namespace hartbox::cli {
namespace {

struct RawImage {
  std::string path;
  uint64_t address;
};

RawImage parse_raw_image(const std::string& spec) {
  const auto at = spec.rfind('@');
  if (at == std::string::npos || at == 0) throw UsageError("--load-raw expects FILE@ADDRESS, got '" + spec + "'");
  return {spec.substr(0, at), parse_address(spec.substr(at + 1), "--load-raw address")};
}

// Debian's OpenSBI (package opensbi), QEMU's default firmware for the virt board.
constexpr const char* kDefaultFirmware = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin";

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw LoadError(path + ": cannot write");
}

}  // namespace

int run_command(int argc, char** argv) {
  po::options_description options(
      "Usage: hartbox run [OPTIONS] [PROGRAM [ARGS...]]\n"
      "       hartbox run [--bios FILE|none] [--kernel FILE] [--initrd FILE] [--append ARGS] [OPTIONS]\n\n"
      "Options");
  // clang-format off
  options.add_options()
    ("help,h", "explain the options")
    ("memory,m", po::value<std::string>()->default_value("128M"),
     "guest RAM at 0x80000000: 128M, 1G, 4096K or plain bytes")
    ("smp", po::value<unsigned>()->default_value(1), "number of harts")
    ("bios", po::value<std::string>(),
     "firmware loaded at 0x80000000 (ELF or raw, e.g. OpenSBI's fw_jump/fw_dynamic), or `none`; "
     "with --kernel the default is Debian's OpenSBI fw_dynamic")
    ("kernel", po::value<std::string>(),
     "kernel: ELF at its addresses, or a raw image at 0x80200000 (0x80000000 with --bios none)")
    ("initrd", po::value<std::string>(), "initial ramdisk, described in the device tree")
    ("append", po::value<std::string>()->default_value(""), "kernel command line (/chosen/bootargs)")
    ("disk", po::value<std::vector<std::string>>()->composing(),
     "virtio-blk disk: PATH[,readonly][,overlay=PATH] (repeatable; each takes the next virtio slot)")
    ("nic", po::value<std::vector<std::string>>()->composing(),
     "virtio-net card: `none` (link up, frames go nowhere) or `pcap=FILE` (frames captured to FILE); "
     "repeatable, each takes the next virtio slot")
    ("rng", "add a virtio-rng device fed from the host's random source")
    ("legacy-virtio", "virtio-mmio version 1 (legacy) instead of 2")
    ("console", po::value<std::string>()->default_value("stdio"),
     "where the UART and host-call console go: stdio, file:PATH or none")
    ("time", po::value<std::string>(),
     "`virtual` (from instructions retired: reproducible; the default for bare-metal programs) or "
     "`real` (the host clock; the default with --bios/--kernel)")
    ("rtc-base", po::value<std::string>(),
     "the RTC's date at power-on, in seconds since 1970-01-01 UTC (default: the host's clock); "
     "with --time virtual this makes a run that reads the date reproducible")
    ("dtb-out", po::value<std::string>(), "write the generated device tree to this file")
    ("gdb", po::value<unsigned>(),
     "serve gdb on this TCP port on 127.0.0.1 (QEMU's -gdb tcp::PORT; 0: any free port): "
     "gdb-multiarch PROGRAM -ex 'target remote :PORT'")
    ("gdb-wait", "with --gdb: run nothing until gdb attaches and continues (QEMU's -S)")
    ("engine", po::value<std::string>()->default_value("block"),
     "execution engine: block (a basic-block cache, the fastest), threaded (pre-decoded, computed goto) "
     "or interp (the reference: decode every instruction)")
    ("max-insns", po::value<uint64_t>(),
     "stop after this many instructions; the run then ends with exit code 124 and a message")
    ("load-raw", po::value<std::vector<std::string>>()->composing(),
     "load a raw binary: FILE@ADDRESS (repeatable); with no ELF program the first one's address is the entry")
    ("entry", po::value<std::string>(), "start at this address instead of the ELF's entry point")
    ("signature", po::value<std::string>(),
     "at exit, write the memory between the symbols begin_signature and end_signature to this file, "
     "one 32-bit hex word per line (as Spike's +signature=)")
    ("no-semihosting", "treat the semihosting sequence as a plain ebreak")
    ("semihosting-root", po::value<std::string>(),
     "directory that relative guest file names are resolved against (default: the current directory)")
    ("semihosting-confine", "refuse guest file names that resolve outside the semihosting root");
  // clang-format on
  add_inspection_options(options);
  add_snapshot_options(options);
  po::options_description hidden;
  hidden.add_options()("program", po::value<std::string>())("args", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("program", 1).add("args", -1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "hartbox run: %s (try hartbox run --help)\n", e.what());
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << options << "\n"
              << "The guest's exit code (HTIF tohost or semihosting SYS_EXIT) is hartbox's exit code.\n"
              << "Arguments after PROGRAM are the guest's command line (semihosting SYS_GET_CMDLINE);\n"
              << "put `--` before them if they start with '-'.\n";
    return 0;
  }

  MachineConfig config;
  std::vector<RawImage> raw_images;
  std::optional<uint64_t> entry;
  bool booting = false;
  std::string console_spec;
  try {
    config.ram_size = parse_size(vm["memory"].as<std::string>(), "--memory");
    config.engine = vm["engine"].as<std::string>();
    if (!make_engine(config.engine)) throw UsageError("unknown engine '" + config.engine + "' (--engine: block, threaded or interp)");
    if (vm.count("load-raw"))
      for (const auto& spec : vm["load-raw"].as<std::vector<std::string>>()) raw_images.push_back(parse_raw_image(spec));
    if (vm.count("entry")) entry = parse_address(vm["entry"].as<std::string>(), "--entry");
    config.harts = vm["smp"].as<unsigned>();
    if (config.harts == 0 || config.harts > kMaxHarts)
      throw UsageError("--smp must be between 1 and " + std::to_string(kMaxHarts));
    if (vm.count("disk"))
      for (const auto& spec : vm["disk"].as<std::vector<std::string>>()) {
        try {
          config.disks.push_back(parse_disk_spec(spec));
        } catch (const std::exception& e) {
          throw UsageError(std::string("--disk: ") + e.what());
        }
      }
    booting = vm.count("kernel") || (vm.count("bios") && vm["bios"].as<std::string>() != "none");
    if (booting && vm.count("program"))
      throw UsageError("give either a bare-metal PROGRAM or --bios/--kernel, not both");
    if (vm.count("time")) {
      const std::string time = vm["time"].as<std::string>();
      if (time != "virtual" && time != "real") throw UsageError("--time must be virtual or real, not '" + time + "'");
      config.time = time == "real" ? MachineClock::Mode::Real : MachineClock::Mode::Virtual;
    } else {
      config.time = booting ? MachineClock::Mode::Real : MachineClock::Mode::Virtual;
    }
    if (vm.count("rtc-base")) {
      const std::string text = vm["rtc-base"].as<std::string>();
      uint64_t seconds = 0;
      const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
      if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
          seconds > std::numeric_limits<uint64_t>::max() / 1'000'000'000)
        throw UsageError("--rtc-base must be seconds since 1970-01-01 UTC, not '" + text + "'");
      config.rtc_base_ns = seconds * 1'000'000'000;
    }
    console_spec = vm["console"].as<std::string>();
    if (console_spec != "stdio" && console_spec != "none" && console_spec.rfind("file:", 0) != 0)
      throw UsageError("--console must be stdio, file:PATH or none, not '" + console_spec + "'");
    if (vm.count("nic"))
      for (const auto& nic : vm["nic"].as<std::vector<std::string>>())
        if (nic != "none" && nic.rfind("pcap=", 0) != 0)
          throw UsageError("--nic must be none or pcap=FILE, not '" + nic + "'");
    if (vm.count("gdb") && vm["gdb"].as<unsigned>() > 65535) throw UsageError("--gdb takes a TCP port, 0 to 65535");
    if (vm.count("gdb-wait") && !vm.count("gdb")) throw UsageError("--gdb-wait needs --gdb PORT");
    if (vm.count("gdb") && !kObserversCompiledIn)
      throw UsageError("this hartbox was built without observers (HARTBOX_OBSERVERS=OFF): no --gdb");
    if (vm.count("gdb") && vm.count("max-insns")) throw UsageError("--max-insns cannot be combined with --gdb");
    config.rng = vm.count("rng") != 0;
    config.legacy_virtio = vm.count("legacy-virtio") != 0;
    check_snapshot_options(vm);
    if (!vm.count("program") && raw_images.empty() && !booting && !restoring(vm))
      throw UsageError("no program given (try hartbox run --help)");
  } catch (const UsageError& e) {
    std::fprintf(stderr, "hartbox run: %s\n", e.what());
    return kExitUsage;
  }
  config.semihosting = !vm.count("no-semihosting");
  if (vm.count("semihosting-root")) config.semihosting_root = vm["semihosting-root"].as<std::string>();
  config.semihosting_confined = vm.count("semihosting-confine") != 0;
  if (vm.count("program")) {
    config.command_line.push_back(vm["program"].as<std::string>());
    if (vm.count("args"))
      for (const auto& arg : vm["args"].as<std::vector<std::string>>()) config.command_line.push_back(arg);
  }

  // The console: the UART, HTIF and semihosting all write here.
  std::unique_ptr<ConsoleSink> console;
  std::unique_ptr<StdinConsoleSource> console_input;
  std::optional<RawTerminal> raw_terminal;
  try {
    if (console_spec == "none") {
      console = std::make_unique<NullConsoleSink>();
    } else if (console_spec.rfind("file:", 0) == 0) {
      console = std::make_unique<FileConsoleSink>(console_spec.substr(5));
    } else {
      console = std::make_unique<StdoutConsoleSink>();
      if (booting) {
        console_input = std::make_unique<StdinConsoleSource>();
        if (::isatty(STDIN_FILENO)) raw_terminal.emplace();  // a guest console wants raw keys
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hartbox: %s\n", e.what());
    return kExitHostError;
  }
  config.console = console.get();
  config.console_input = console_input.get();

  // Network cards: `none` is a backend that drops what it is sent; pcap= captures to a file.
  std::vector<std::unique_ptr<NetBackend>> nic_backends;
  std::vector<std::unique_ptr<PcapCapture>> captures;

  std::unique_ptr<Machine> machine;
  try {
    if (vm.count("nic")) {
      for (const auto& nic : vm["nic"].as<std::vector<std::string>>()) {
        auto end = std::make_unique<DiscardingNetBackend>();
        NetBackend* backend = end.get();
        nic_backends.push_back(std::move(end));
        if (nic.rfind("pcap=", 0) == 0) {
          captures.push_back(std::make_unique<PcapCapture>(*backend, nic.substr(5)));
          backend = captures.back().get();
        }
        config.nics.push_back(backend);
      }
    }
    machine = restoring(vm) ? restore_machine(vm, config) : std::make_unique<Machine>(config);
    if (restoring(vm)) {
      // The program, its state and its entry come from the snapshot.
    } else if (booting) {
      BootSpec boot;
      boot.kernel = vm.count("kernel") ? vm["kernel"].as<std::string>() : "";
      boot.bios = vm.count("bios") ? vm["bios"].as<std::string>() : kDefaultFirmware;
      if (boot.bios == "none") boot.bios.clear();
      boot.initrd = vm.count("initrd") ? vm["initrd"].as<std::string>() : "";
      boot.append = vm["append"].as<std::string>();
      machine->boot(boot);
    } else if (vm.count("program")) {
      machine->load_elf(vm["program"].as<std::string>());
    }
    for (const RawImage& image : raw_images) machine->load_raw(image.path, image.address);
    if (!booting && !vm.count("program") && !restoring(vm)) machine->set_entry(raw_images.front().address);
    if (entry) machine->set_entry(*entry);
    if (vm.count("dtb-out")) write_file(vm["dtb-out"].as<std::string>(), machine->device_tree());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hartbox: %s\n", e.what());
    return kExitHostError;
  }

  std::unique_ptr<Inspection> inspection;
  try {
    inspection = std::make_unique<Inspection>(vm);
    inspection->attach(*machine);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "hartbox run: %s\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hartbox: %s\n", e.what());
    return kExitHostError;
  }

  if (vm.count("gdb")) {
    GdbServerOptions gdb;
    gdb.port = static_cast<uint16_t>(vm["gdb"].as<unsigned>());
    gdb.wait_for_attach = vm.count("gdb-wait") != 0;
    gdb.log = stderr;
    gdb.observer = inspection->observer();
    const int code = run_with_gdb(*machine, gdb);
    std::fflush(stdout);
    raw_terminal.reset();
    return code;
  }

  const uint64_t max_steps = vm.count("max-insns") ? vm["max-insns"].as<uint64_t>() : 0;
  const auto start = std::chrono::steady_clock::now();
  const RunOutcome outcome = machine->run(max_steps);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fflush(stdout);
  raw_terminal.reset();
  inspection->finish(*machine, outcome, seconds);
  if (!write_snapshot_if_asked(vm, *machine)) return kExitHostError;

  if (vm.count("signature")) {
    const std::string path = vm["signature"].as<std::string>();
    try {
      std::ofstream out(path, std::ios::trunc);
      if (!out) throw LoadError(path + ": cannot open for writing");
      out << machine->signature();
      if (!out.flush()) throw LoadError(path + ": write failed");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "hartbox: %s\n", e.what());
      return kExitHostError;
    }
  }

  switch (outcome.kind) {
    case RunOutcome::Kind::Exited: return outcome.exit_code;
    case RunOutcome::Kind::InstructionLimit:
      std::fprintf(stderr, "hartbox: instruction limit reached (--max-insns %" PRIu64 ") at pc 0x%" PRIx64 "\n",
                   max_steps, machine->hart().pc);
      return kExitInsnLimit;
    case RunOutcome::Kind::Deadlock:
      std::fprintf(stderr,
                   "hartbox: every hart waits (wfi) for an interrupt that nothing can raise, at pc 0x%" PRIx64 "\n",
                   machine->hart().pc);
      return kExitHostError;
  }
  return kExitHostError;
}

}  // namespace hartbox::cli
