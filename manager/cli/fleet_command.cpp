// `hartbox fleet`: run a fleet of machines from a TOML spec (manager/fleet_spec.hpp), or the
// built-in demo, under one scheduling policy; show a live status table on a terminal; serve the
// control socket; and end with a report (text, and JSON with --report) and optionally a
// Chrome trace-event timeline.
//
// Thin: the spec, switch, fleet, report, timeline, status table and control socket are the
// library's; this file wires them together and owns the order in which they come and go
// (control socket and status table, then the fleet and its machines, then the switch they were
// plugged into, then the consoles).
#include <boost/program_options.hpp>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "devices/console_file.hpp"
#include "devices/machine.hpp"
#include "devices/virtio/null_net_backend.hpp"
#include "manager/cli/commands.hpp"
#include "manager/control_socket.hpp"
#include "manager/fleet.hpp"
#include "manager/fleet_spec.hpp"
#include "manager/report.hpp"
#include "manager/status_table.hpp"
#include "manager/switch.hpp"
#include "manager/timeline.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace hartbox::cli {
namespace {

// ---------------------------------------------------------------------------------------------
// Guest consoles: each machine's output, a line at a time, prefixed with its name. While the
// live status table owns the screen, lines go to a short history it shows instead.

class ConsoleHub {
 public:
  void emit(const std::string& name, std::string_view line, bool error) {
    std::lock_guard lock(mutex_);
    std::string text = "[" + name + "] " + std::string(line);
    if (capture_) {
      recent_.push_back(std::move(text));
      if (recent_.size() > 64) recent_.pop_front();
      return;
    }
    text += '\n';
    std::FILE* out = error ? stderr : stdout;
    std::fwrite(text.data(), 1, text.size(), out);
    std::fflush(out);
  }
  void set_capture(bool capture) {
    std::lock_guard lock(mutex_);
    capture_ = capture;
  }
  std::vector<std::string> recent(size_t n) const {
    std::lock_guard lock(mutex_);
    const size_t from = recent_.size() > n ? recent_.size() - n : 0;
    return {recent_.begin() + static_cast<std::ptrdiff_t>(from), recent_.end()};
  }

 private:
  mutable std::mutex mutex_;
  bool capture_ = false;
  std::deque<std::string> recent_;
};

class PrefixedConsole final : public ConsoleSink {
 public:
  PrefixedConsole(ConsoleHub& hub, std::string name) : hub_(hub), name_(std::move(name)) {}
  ~PrefixedConsole() override {
    if (!out_.empty()) hub_.emit(name_, out_, false);
    if (!err_.empty()) hub_.emit(name_, err_, true);
  }
  void write(std::string_view bytes) override { put(out_, bytes, false); }
  void write_error(std::string_view bytes) override { put(err_, bytes, true); }

 private:
  void put(std::string& pending, std::string_view bytes, bool error) {
    for (char c : bytes) {
      if (c == '\n') {
        hub_.emit(name_, pending, error);
        pending.clear();
      } else if (c != '\r') {
        pending += c;
        if (pending.size() >= 4096) {  // a guest that never ends its line
          hub_.emit(name_, pending, error);
          pending.clear();
        }
      }
    }
  }
  ConsoleHub& hub_;
  const std::string name_;
  std::string out_, err_;
};

// ---------------------------------------------------------------------------------------------
// The built-in demo

// Where the demo's guest programs are: $HARTBOX_ROMS_DIR, else <dir of hartbox>/../roms (the
// build tree's layout: build/<preset>/manager/hartbox and build/<preset>/roms/c/*.elf).
fs::path roms_dir() {
  if (const char* env = std::getenv("HARTBOX_ROMS_DIR"); env && *env) return fs::path(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return fs::path("roms");
  return (exe.parent_path() / ".." / "roms").lexically_normal();
}

// The demo as a fleet spec: it reads like one a user would write (see --print-demo-spec).
std::string demo_spec_text(const std::string& disk_image) {
  return R"(# The built-in demo of `hartbox fleet` (paths are relative to the roms directory).
# Two tenants share two host threads 2:1 by group weight; inside tenant-a, machines share 2:1 by
# weight; in tenant-b, one machine is capped at a quarter of a thread and one does disk I/O.
# Machines outside a group (the default group) barely use the CPU: two talk over a virtual
# switch, three sleep in WFI and wake on a 10 ms timer.
[fleet]
policy = "fair-share"
workers = 2
duration_seconds = 10

[[group]]
name = "tenant-a"
weight = 200

[[group]]
name = "tenant-b"
weight = 100

[[network]]
name = "lan"

[[machine]]
name = "a-big"
program = "c/cpu_burn.elf"
args = ["forever"]
group = "tenant-a"
weight = 200

[[machine]]
name = "a-small"
program = "c/cpu_burn.elf"
args = ["forever"]
group = "tenant-a"
weight = 100

[[machine]]
name = "b-capped"
program = "c/cpu_burn.elf"
args = ["forever"]
group = "tenant-b"
cap = 0.25

[[machine]]
name = "b-disk"
program = "c/disk_io.elf"
args = ["forever"]
group = "tenant-b"
disks = [")" + disk_image + R"("]

[[machine]]
name = "ping"
program = "c/net_ping.elf"
args = ["ping", "forever"]
networks = ["lan"]

[[machine]]
name = "pong"
program = "c/net_ping.elf"
args = ["pong", "forever"]
networks = ["lan"]

[[machine]]
name = "idle"
program = "c/idle_wfi.elf"
args = ["forever"]
clones = 3
)";
}

// A scratch directory for the demo's disk image, removed when the run ends.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/hartbox-fleet-XXXXXX";
    if (!::mkdtemp(pattern.data())) throw std::runtime_error(pattern + ": cannot create: " + std::strerror(errno));
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// ---------------------------------------------------------------------------------------------
// The run

struct Options {
  std::optional<std::string> spec_path;
  std::optional<std::string> report_path, timeline_path, control_path;
  std::optional<double> duration;
  std::optional<std::string> policy;
  std::optional<unsigned> workers;
  bool deterministic = false;
  bool status = true;
  bool timeline_detail = false;
};

// Group caps: the scheduler caps machines, not groups, so a group's cap is split among its
// machines by weight (a machine keeps its own cap if that is lower). Conservative: an idle
// member's part is not lent to the others.
void apply_group_caps(FleetSpec& spec) {
  for (const GroupSpec& group : spec.groups) {
    if (group.cap <= 0) continue;
    double total_weight = 0;
    for (const MachineSpec& m : spec.machines)
      if (m.group == group.name) total_weight += m.weight;
    for (MachineSpec& m : spec.machines) {
      if (m.group != group.name || total_weight <= 0) continue;
      const double part = std::min(1.0, group.cap * m.weight / total_weight);
      if (part < 1.0 && (m.cap == 0 || part < m.cap)) m.cap = part;
      if (m.reservation > m.cap && m.cap > 0) m.reservation = m.cap;
    }
  }
}

class FleetRun {
 public:
  FleetRun(FleetSpec spec, const Options& options, fs::path base_dir)
      : spec_(std::move(spec)), options_(options), base_dir_(std::move(base_dir)) {}

  int run();

 private:
  std::unique_ptr<ConsoleSink> make_console(const MachineSpec& m);
  MachineConfig machine_config(const MachineSpec& m, std::vector<SwitchPort*>& ports);
  VmSpec vm_spec(const MachineSpec& m);
  FleetControlAdapter::Hooks control_hooks();
  std::vector<SegmentReport> network_reports() const;
  std::string unique_name(const std::string& base) const;

  FleetSpec spec_;
  Options options_;
  fs::path base_dir_;
  std::chrono::steady_clock::time_point start_;

  // Declared in the order they must be built; destroyed in reverse (see the file comment).
  ConsoleHub hub_;
  std::map<std::string, std::unique_ptr<ConsoleSink>> consoles_;   // by machine name
  std::vector<std::unique_ptr<DiscardingNetBackend>> loose_nics_;  // restored machines' cards
  std::unique_ptr<VirtualSwitch> switch_;
  std::map<std::string, std::vector<std::string>> machine_networks_;  // name -> segments
  ReportCollector collector_;
  Timeline timeline_;
  std::unique_ptr<Fleet> fleet_;
};

std::unique_ptr<ConsoleSink> FleetRun::make_console(const MachineSpec& m) {
  if (m.console == "none") return std::make_unique<NullConsoleSink>();
  if (m.console.rfind("file:", 0) == 0) return std::make_unique<FileConsoleSink>(m.console.substr(5));
  return std::make_unique<PrefixedConsole>(hub_, m.name);
}

MachineConfig FleetRun::machine_config(const MachineSpec& m, std::vector<SwitchPort*>& ports) {
  MachineConfig config;
  config.ram_size = m.memory;
  config.harts = m.harts;
  config.engine = m.engine;
  const bool deterministic = fleet_->config().deterministic;
  config.time = m.time.value_or(deterministic ? MachineClock::Mode::Virtual : MachineClock::Mode::Real);
  config.semihosting_root = base_dir_.string();
  config.semihosting_confined = true;  // a fleet's guests stay inside the spec's directory
  if (!m.program.empty()) {
    config.command_line.push_back(m.program);
    config.command_line.insert(config.command_line.end(), m.args.begin(), m.args.end());
  }
  auto console = make_console(m);
  config.console = console.get();
  consoles_[m.name] = std::move(console);
  config.disks = m.disks;
  config.disk_bytes_per_second = m.limits.disk_bytes_per_second;
  PortLimits limits;
  limits.tx_bytes_per_second = m.limits.net_bytes_per_second;
  limits.rx_bytes_per_second = m.limits.net_bytes_per_second;
  for (const std::string& segment : m.networks) {
    SwitchPort& port = switch_->add_port(segment, m.name, limits);
    ports.push_back(&port);
    config.nics.push_back(&port);
  }
  machine_networks_[m.name] = m.networks;
  return config;
}

VmSpec FleetRun::vm_spec(const MachineSpec& m) {
  VmSpec vm;
  vm.name = m.name;
  vm.group = m.group.empty() ? "default" : m.group;
  vm.weight = m.weight;
  vm.cap = m.cap;
  vm.reservation = m.reservation;
  vm.priority = m.priority;
  std::vector<SwitchPort*> ports;
  vm.machine = machine_config(m, ports);
  vm.setup = [m](Machine& machine) {
    if (m.boot) machine.boot(*m.boot);
    else machine.load_elf(m.program);
    if (m.limits.memory_pages) machine.ram().set_page_limit(static_cast<size_t>(m.limits.memory_pages));
  };
  return vm;
}

std::string FleetRun::unique_name(const std::string& base) const {
  if (!fleet_->find(base)) return base;
  for (unsigned i = 2;; ++i)
    if (!fleet_->find(base + "-" + std::to_string(i))) return base + "-" + std::to_string(i);
}

FleetControlAdapter::Hooks FleetRun::control_hooks() {
  FleetControlAdapter::Hooks hooks;
  // Snapshot: pause, write the file, resume (if it was running).
  hooks.snapshot = [this](const std::string& name, const std::string& path) {
    const VmId id = *fleet_->find(name);
    const bool was_running = fleet_->inspect(id).state == VmState::Running;
    if (was_running) fleet_->pause(id);
    try {
      fleet_->with_machine(id, [&](Machine& machine) { machine.snapshot(path); });
    } catch (...) {
      if (was_running) fleet_->resume(id);
      throw;
    }
    if (was_running) fleet_->resume(id);
  };
  // Clone: pause the source, build the clone from it (RAM shared copy-on-write), resume both.
  // The clone's cards go on the source's segments.
  hooks.clone = [this](const std::string& name, const std::string& as) {
    const VmId source = *fleet_->find(name);
    const VmInfo info = fleet_->inspect(source);
    const bool was_running = info.state == VmState::Running;
    if (was_running) fleet_->pause(source);
    Machine* template_machine = nullptr;
    fleet_->with_machine(source, [&](Machine& machine) { template_machine = &machine; });
    VmSpec vm;
    vm.name = as;
    vm.group = info.group;
    vm.weight = info.params.weight;
    vm.cap = info.params.cap;
    vm.priority = info.params.priority;
    MachineConfig host;
    host.engine = template_machine->config().engine;
    host.disk_bytes_per_second = template_machine->config().disk_bytes_per_second;
    auto console = std::make_unique<PrefixedConsole>(hub_, as);
    host.console = console.get();
    consoles_[as] = std::move(console);
    for (const std::string& segment : machine_networks_[name])
      host.nics.push_back(&switch_->add_port(segment, as));
    machine_networks_[as] = machine_networks_[name];
    vm.machine = host;
    vm.factory = [template_machine](const MachineConfig& config) { return template_machine->clone(config); };
    VmId id = kNoVm;
    try {
      id = fleet_->create(vm);
    } catch (...) {
      if (was_running) fleet_->resume(source);
      throw;
    }
    timeline_.name_vm(id, as);
    if (was_running) fleet_->resume(source);
    fleet_->start(id);
  };
  // Restore: a new machine named after the file; its cards are linked to nothing.
  hooks.restore = [this](const std::string& path) {
    const MachineConfig saved = Machine::snapshot_config(path);
    const std::string name = unique_name(fs::path(path).stem().string());
    VmSpec vm;
    vm.name = name;
    MachineConfig host;
    host.engine = saved.engine;
    auto console = std::make_unique<PrefixedConsole>(hub_, name);
    host.console = console.get();
    consoles_[name] = std::move(console);
    for (size_t i = 0; i < saved.nics.size(); ++i) {
      loose_nics_.push_back(std::make_unique<DiscardingNetBackend>());
      host.nics.push_back(loose_nics_.back().get());
    }
    vm.machine = host;
    vm.factory = [path](const MachineConfig& config) { return Machine::restore(path, config); };
    const VmId id = fleet_->create(vm);
    timeline_.name_vm(id, name);
    fleet_->start(id);
    return name;
  };
  return hooks;
}

std::vector<SegmentReport> FleetRun::network_reports() const {
  std::vector<SegmentReport> out;
  for (const NetworkSpec& net : spec_.networks) {
    const SegmentStats s = switch_->segment_stats(net.name);
    SegmentReport r;
    r.name = net.name;
    r.frames = s.frames;
    r.bytes = s.bytes;
    r.flooded = s.flooded;
    r.unicast = s.unicast;
    r.filtered = s.filtered;
    r.policed = s.policed;
    r.captured = s.captured;
    r.ports = s.ports;
    r.mac_entries = s.mac_entries;
    out.push_back(r);
  }
  return out;
}

int FleetRun::run() {
  // SIGINT/SIGTERM end the run cleanly (report included): blocked in every thread (the workers
  // and helpers inherit this mask) and collected by the main loop with sigtimedwait().
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  FleetSettings& settings = spec_.fleet;
  if (options_.policy) settings.policy = *options_.policy;
  if (options_.workers) settings.workers = *options_.workers;
  if (options_.deterministic) settings.deterministic = true;
  if (options_.duration) settings.duration_seconds = *options_.duration;
  apply_group_caps(spec_);
  for (const GroupSpec& g : spec_.groups)
    if (g.cap > 0)
      std::printf("hartbox fleet: group '%s' is capped at %.2f threads, shared among its machines by weight\n",
                  g.name.c_str(), g.cap);

  std::map<std::string, uint32_t, std::less<>> group_weights;
  for (const GroupSpec& g : spec_.groups) group_weights[g.name] = g.weight;

  std::unique_ptr<FleetControlAdapter> adapter;
  std::unique_ptr<ControlSocketServer> control;
  try {
    switch_ = std::make_unique<VirtualSwitch>();
    for (const NetworkSpec& net : spec_.networks) switch_->add_segment(net.name, net.pcap);

    FleetConfig config;
    config.policy = settings.policy;
    config.workers = settings.workers;
    config.slice_instructions = settings.slice_instructions;
    config.deterministic = settings.deterministic;
    const bool want_timeline = options_.timeline_path.has_value();
    timeline_.set_machine_detail(options_.timeline_detail);
    config.on_slice = [this, want_timeline](const SliceRecord& slice) {
      collector_.on_slice(slice);
      if (want_timeline) timeline_.on_slice(slice);
    };
    fleet_ = std::make_unique<Fleet>(config);
    for (const GroupSpec& g : spec_.groups) fleet_->set_group_weight(g.name, g.weight);

    std::vector<VmId> ids;
    for (const MachineSpec& m : spec_.machines) {
      VmId id = kNoVm;
      try {
        id = fleet_->create(vm_spec(m));
      } catch (const std::exception& e) {
        // "web: prog.elf: not an ELF file" -> "fleet.toml: machine 'web': prog.elf: not an ELF file"
        std::string why = e.what();
        if (why.rfind(m.name + ": ", 0) == 0) why.erase(0, m.name.size() + 2);
        throw std::runtime_error(spec_.source + ": machine '" + m.name + "': " + why);
      }
      timeline_.name_vm(id, m.name);
      ids.push_back(id);
    }
    // The control socket before anything runs, so a bad path stops the run before it starts.
    if (options_.control_path) {
      adapter = std::make_unique<FleetControlAdapter>(*fleet_, control_hooks());
      control = std::make_unique<ControlSocketServer>(*adapter, *options_.control_path);
    }
    std::printf("hartbox fleet: %zu machines, %s policy, %u workers%s, %s\n", ids.size(), settings.policy.c_str(),
                fleet_->worker_count(), settings.deterministic ? " (deterministic)" : "",
                settings.duration_seconds > 0
                    ? ("for " + std::to_string(static_cast<int>(settings.duration_seconds + 0.5)) + " s").c_str()
                    : "until every machine stops (Ctrl-C ends the run)");
    if (control)
      std::printf("hartbox fleet: control socket at %s (try: hartbox ctl --socket %s list)\n",
                  options_.control_path->c_str(), options_.control_path->c_str());
    std::fflush(stdout);
    start_ = std::chrono::steady_clock::now();
    fleet_->start_all(ids);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hartbox fleet: %s\n", e.what());
    return kExitHostError;
  }

  std::unique_ptr<StatusTable> status;
  if (options_.status && StatusTable::is_terminal(stdout)) {
    hub_.set_capture(true);
    status = std::make_unique<StatusTable>(*fleet_, &collector_, stdout, "hartbox fleet: " + spec_.source,
                                           group_weights, [this](size_t n) { return hub_.recent(n); });
  }

  // Wait for the end: the duration, every machine stopped, or a signal.
  const auto deadline = settings.duration_seconds > 0
                            ? start_ + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                           std::chrono::duration<double>(settings.duration_seconds))
                            : std::chrono::steady_clock::time_point::max();
  int signal_number = 0;
  for (;;) {
    if (std::chrono::steady_clock::now() >= deadline) break;
    if (fleet_->wait_all_stopped(std::chrono::milliseconds(0))) break;
    const timespec tick{0, 100'000'000};
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig > 0) {
      signal_number = sig;
      break;
    }
  }
  const auto end = std::chrono::steady_clock::now();

  // The report's snapshot, before anything is stopped.
  ReportInput input;
  input.config = fleet_->config();
  input.workers = fleet_->worker_count();
  input.vms = fleet_->list();
  input.group_weights = group_weights;
  input.wall = std::chrono::duration_cast<std::chrono::nanoseconds>(end - start_);
  input.worker_stats = fleet_->worker_stats();
  input.events = fleet_->events().last_sequence();
  input.networks = network_reports();
  const FleetReport report = build_report(input, &collector_, end);

  control.reset();
  adapter.reset();
  if (status) status->stop();  // its last frame shows the fleet as it was at the end
  for (const VmInfo& vm : fleet_->list()) {
    if (vm.state != VmState::Running && vm.state != VmState::Paused) continue;
    try {
      fleet_->stop(vm.id);
    } catch (const std::exception&) {
      // It stopped or failed by itself meanwhile.
    }
  }
  hub_.set_capture(false);
  switch_->flush_captures();

  std::printf("\n%s", format_report(report).c_str());
  if (signal_number) std::printf("(run ended early by %s)\n", signal_number == SIGINT ? "SIGINT" : "SIGTERM");
  std::fflush(stdout);

  int status_code = 0;
  try {
    if (options_.report_path) {
      std::ofstream out(*options_.report_path, std::ios::trunc);
      if (!out) throw std::runtime_error(*options_.report_path + ": cannot create: " + std::strerror(errno));
      out << report_json(report).dump(2) << '\n';
      if (!out.flush()) throw std::runtime_error(*options_.report_path + ": write failed");
    }
    if (options_.timeline_path) {
      timeline_.add_events(fleet_->events().snapshot());
      timeline_.write(*options_.timeline_path, fleet_->worker_count());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hartbox fleet: %s\n", e.what());
    status_code = kExitHostError;
  }

  // Machines that failed, exited with an error or were stopped by a trap make the run fail; one
  // stopped on request (hartbox ctl stop) did not go wrong.
  const std::string requested = describe(StopInfo{StopInfo::Cause::Requested});
  unsigned bad = 0;
  for (const MachineReport& m : report.machines)
    if (m.state == "failed" || (m.state == "stopped" && m.end != "exit code 0" && m.end != requested)) ++bad;
  if (bad && status_code == 0) {
    std::fprintf(stderr, "hartbox fleet: %u machine%s failed or exited with an error (see the report)\n", bad,
                 bad == 1 ? "" : "s");
    status_code = kExitHostError;
  }
  fleet_.reset();  // machines go before the switch their cards are plugged into
  return status_code;
}

}  // namespace

int fleet_command(int argc, char** argv) {
  po::options_description options(
      "Usage: hartbox fleet [SPEC.toml] [OPTIONS]\n\n"
      "Runs the fleet of machines SPEC.toml describes (without one: a built-in demo of guests from\n"
      "roms/, for 10 s on a terminal, 3 s otherwise) and prints a report of what each machine got\n"
      "against what it was entitled to. On a terminal, a live status table shows the fleet as it runs.\n\n"
      "Options");
  // clang-format off
  options.add_options()
    ("help,h", "explain the options")
    ("report", po::value<std::string>(), "also write the report as JSON to this file")
    ("timeline", po::value<std::string>(),
     "write every slice of every worker as a Chrome trace-event file (open it in ui.perfetto.dev)")
    ("timeline-detail", "the timeline also shows each machine's traps and block-cache activity")
    ("control", po::value<std::string>(), "serve the control socket (hartbox ctl) at this path")
    ("duration", po::value<double>(), "stop every machine after this many seconds (default: the spec's)")
    ("policy", po::value<std::string>(), "fair-share, round-robin or priority (default: the spec's)")
    ("workers", po::value<unsigned>(), "host worker threads (default: the spec's, or one per core)")
    ("deterministic", "pinned workers, instruction-count time slices, virtual guest time")
    ("no-status", "no live status table, even on a terminal")
    ("print-demo-spec", "print the built-in demo's spec (a starting point for your own) and exit");
  // clang-format on
  po::options_description hidden;
  hidden.add_options()("spec", po::value<std::string>());
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("spec", 1);

  po::variables_map vm;
  Options opts;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
    if (vm.count("spec")) opts.spec_path = vm["spec"].as<std::string>();
    if (vm.count("report")) opts.report_path = vm["report"].as<std::string>();
    if (vm.count("timeline")) opts.timeline_path = vm["timeline"].as<std::string>();
    opts.timeline_detail = vm.count("timeline-detail") != 0;
    if (opts.timeline_detail && !opts.timeline_path) throw po::error("--timeline-detail needs --timeline FILE");
    if (vm.count("control")) opts.control_path = vm["control"].as<std::string>();
    if (vm.count("duration")) {
      const double d = vm["duration"].as<double>();
      if (!(d > 0 && d <= 1e7)) throw po::error("--duration must be a number of seconds above 0");
      opts.duration = d;
    }
    if (vm.count("policy")) {
      const std::string text = vm["policy"].as<std::string>();
      const auto name = fleet_policy_name(text);
      if (!name) throw po::error("--policy must be fair-share, round-robin or priority, not '" + text + "'");
      opts.policy = *name;
    }
    if (vm.count("workers")) {
      const unsigned w = vm["workers"].as<unsigned>();
      if (w == 0 || w > 1024) throw po::error("--workers must be between 1 and 1024");
      opts.workers = w;
    }
    opts.deterministic = vm.count("deterministic") != 0;
    opts.status = vm.count("no-status") == 0;
  } catch (const po::error& e) {
    std::fprintf(stderr, "hartbox fleet: %s (try hartbox fleet --help)\n", e.what());
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << options << "\n"
              << "The spec's format is described in manager/fleet_spec.hpp; --print-demo-spec shows one.\n"
              << "Exit code: 0, or 1 if the fleet could not be built or a machine failed or exited with an error.\n";
    return 0;
  }
  if (vm.count("print-demo-spec")) {
    std::fputs(demo_spec_text("disk.img").c_str(), stdout);
    return 0;
  }

  FleetSpec spec;
  fs::path base_dir;
  std::unique_ptr<ScratchDir> scratch;
  try {
    if (opts.spec_path) {
      spec = load_fleet_spec(*opts.spec_path);
      base_dir = fs::path(*opts.spec_path).parent_path();
      if (base_dir.empty()) base_dir = ".";
    } else {
      base_dir = roms_dir();
      for (const char* rom : {"cpu_burn", "idle_wfi", "net_ping", "disk_io"}) {
        const fs::path elf = base_dir / "c" / (std::string(rom) + ".elf");
        if (!fs::exists(elf))
          throw std::runtime_error(elf.string() + ": the demo's guest program is missing (build the hartbox_roms "
                                   "target, or set HARTBOX_ROMS_DIR to the directory holding c/" + rom + ".elf)");
      }
      scratch = std::make_unique<ScratchDir>();
      const fs::path disk = scratch->path() / "b-disk.img";
      {
        std::ofstream image(disk, std::ios::binary);
        image.seekp((1 << 20) - 1);
        image.put('\0');
        if (!image.flush()) throw std::runtime_error(disk.string() + ": cannot create the demo's disk image");
      }
      spec = parse_fleet_spec(demo_spec_text(disk.string()), "demo", base_dir);
      // Without a terminal to watch it on (CI, a pipe), the demo is a quick check: 3 s, not 10.
      if (!opts.duration && !(opts.status && StatusTable::is_terminal(stdout))) spec.fleet.duration_seconds = 3;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hartbox fleet: %s\n", e.what());
    return kExitHostError;
  }
  if (spec.machines.empty()) {
    std::fprintf(stderr, "hartbox fleet: %s: the spec has no [[machine]]\n", spec.source.c_str());
    return kExitHostError;
  }
  FleetRun run(std::move(spec), opts, fs::absolute(base_dir));
  return run.run();
}

}  // namespace hartbox::cli
