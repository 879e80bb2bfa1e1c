#include "manager/fleet_spec.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "core/engines/engine.hpp"

namespace hartbox {

namespace fs = std::filesystem;

namespace {

// Debian's OpenSBI (package opensbi): the firmware when a machine has a kernel and no bios,
// as `hartbox run --kernel` does.
constexpr const char* kDefaultFirmware = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin";
constexpr unsigned kMaxClones = 1024;
constexpr unsigned kMaxWorkers = 1024;

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string suggestion(std::string_view key, const std::vector<std::string_view>& known) {
  std::string_view best;
  size_t best_distance = 3;  // at most two edits away
  for (std::string_view k : known) {
    const size_t d = edit_distance(key, k);
    if (d < best_distance) {
      best_distance = d;
      best = k;
    }
  }
  return best.empty() ? std::string() : " (did you mean '" + std::string(best) + "'?)";
}

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i) out += i + 1 == words.size() ? " or " : ", ";
    out += words[i];
  }
  return out;
}

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
  });
}

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date or time";
  }
}

// web.ovl -> web-2.ovl: every clone gets its own file.
std::string with_clone_suffix(const std::string& path, unsigned index) {
  const fs::path p(path);
  fs::path name = p.stem();
  name += "-" + std::to_string(index);
  name += p.extension();
  return (p.parent_path() / name).string();
}

class SpecParser {
 public:
  // Debian's toml++ 3.3.0 classifies some non-ASCII code points (U+032A, U+FEEF, ...) by falling
  // into __builtin_unreachable() (upstream marzer/tomlplusplus#295, fixed after 3.4): undefined
  // behaviour on a spec that holds one, anywhere, strings and comments included. Fleet specs are
  // therefore ASCII; anything else is refused before toml++ sees it.
  void refuse_non_ascii(std::string_view text) const {
    unsigned line = 1, column = 1;
    for (const char c : text) {
      if (static_cast<unsigned char>(c) >= 0x80)
        throw FleetSpecError(source_ + ":" + std::to_string(line) + ":" + std::to_string(column) +
                             ": a non-ASCII character; fleet specs are ASCII (names, paths and comments)");
      if (c == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
  }

  SpecParser(std::string source, fs::path base_dir, bool check_files)
      : source_(std::move(source)), base_dir_(std::move(base_dir)), check_files_(check_files) {}

  FleetSpec parse(std::string_view text) {
    refuse_non_ascii(text);
    toml::table root;
    try {
      root = toml::parse(text, source_);
    } catch (const toml::parse_error& e) {
      throw FleetSpecError(at(e.source()) + std::string(e.description()));
    }
    FleetSpec spec;
    spec.source = source_;
    check_keys(root, {"fleet", "group", "network", "machine"}, "");
    if (const toml::node* fleet = root.get("fleet")) parse_fleet(table(*fleet, "fleet", ""), spec.fleet);
    for (const toml::table* t : array_of_tables(root, "group")) spec.groups.push_back(parse_group(*t, spec.groups));
    for (const toml::table* t : array_of_tables(root, "network"))
      spec.networks.push_back(parse_network(*t, spec.networks));
    std::set<std::string> names;
    for (const toml::table* t : array_of_tables(root, "machine")) parse_machine(*t, spec, names);
    return spec;
  }

 private:
  using Keys = std::vector<std::string_view>;

  std::string at(const toml::source_region& where) const {
    return source_ + ":" + std::to_string(where.begin.line) + ":" + std::to_string(where.begin.column) + ": ";
  }
  [[noreturn]] void fail(const toml::node& node, const std::string& context, const std::string& problem) const {
    throw FleetSpecError(at(node.source()) + context + problem);
  }
  [[noreturn]] void fail_machine(const std::string& name, const std::string& problem) const {
    throw FleetSpecError(source_ + ": machine '" + name + "': " + problem);
  }

  void check_keys(const toml::table& t, const Keys& known, const std::string& context) const {
    for (auto&& [key, value] : t) {
      if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
      throw FleetSpecError(at(key.source()) + context + "unknown key '" + std::string(key.str()) + "'" +
                           suggestion(key.str(), known) + "; expected " + join(known));
    }
  }

  const toml::table& table(const toml::node& node, std::string_view key, const std::string& context) const {
    if (const toml::table* t = node.as_table()) return *t;
    fail(node, context, "'" + std::string(key) + "' must be a table, not " + type_name(node));
  }

  std::vector<const toml::table*> array_of_tables(const toml::table& root, std::string_view key) const {
    std::vector<const toml::table*> out;
    const toml::node* node = root.get(key);
    if (!node) return out;
    const toml::array* array = node->as_array();
    if (!array) fail(*node, "", "'" + std::string(key) + "' must be written [[" + std::string(key) + "]]");
    for (const toml::node& element : *array) {
      const toml::table* t = element.as_table();
      if (!t) fail(element, "", "each '" + std::string(key) + "' must be a table ([[" + std::string(key) + "]])");
      out.push_back(t);
    }
    return out;
  }

  std::string string(const toml::node& node, std::string_view key, const std::string& context) const {
    if (const auto* s = node.as_string()) return s->get();
    fail(node, context, "'" + std::string(key) + "' must be a string, not " + type_name(node));
  }

  int64_t integer(const toml::node& node, std::string_view key, const std::string& context, int64_t min,
                  int64_t max) const {
    const auto* i = node.as_integer();
    if (!i) fail(node, context, "'" + std::string(key) + "' must be an integer, not " + type_name(node));
    if (i->get() < min || i->get() > max)
      fail(node, context,
           "'" + std::string(key) + "' must be between " + std::to_string(min) + " and " + std::to_string(max) +
               ", not " + std::to_string(i->get()));
    return i->get();
  }

  double number(const toml::node& node, std::string_view key, const std::string& context, double min,
                double max) const {
    double value = 0;
    if (const auto* i = node.as_integer()) {
      value = static_cast<double>(i->get());
    } else if (const auto* f = node.as_floating_point()) {
      value = f->get();
    } else {
      fail(node, context, "'" + std::string(key) + "' must be a number, not " + type_name(node));
    }
    if (!std::isfinite(value) || value < min || value > max) {
      std::ostringstream range;
      range << "'" << key << "' must be between " << min << " and " << max << ", not " << value;
      fail(node, context, range.str());
    }
    return value;
  }

  bool boolean(const toml::node& node, std::string_view key, const std::string& context) const {
    if (const auto* b = node.as_boolean()) return b->get();
    fail(node, context, "'" + std::string(key) + "' must be true or false, not " + type_name(node));
  }

  std::vector<std::pair<std::string, const toml::node*>> strings(const toml::node& node, std::string_view key,
                                                                 const std::string& context) const {
    const toml::array* array = node.as_array();
    if (!array) fail(node, context, "'" + std::string(key) + "' must be an array of strings, not " + type_name(node));
    std::vector<std::pair<std::string, const toml::node*>> out;
    for (const toml::node& element : *array) {
      if (const auto* s = element.as_string()) {
        out.emplace_back(s->get(), &element);
      } else {
        fail(element, context, "'" + std::string(key) + "' must hold strings, not " + type_name(element));
      }
    }
    return out;
  }

  // Bytes: an integer, or a string with a unit ("1M").
  uint64_t bytes(const toml::node& node, std::string_view key, const std::string& context, bool allow_zero) const {
    if (const auto* i = node.as_integer()) {
      if (i->get() < (allow_zero ? 0 : 1))
        fail(node, context, "'" + std::string(key) + "' must be " + (allow_zero ? "0 or more" : "positive"));
      return static_cast<uint64_t>(i->get());
    }
    if (const auto* s = node.as_string()) {
      if (auto value = parse_byte_size(s->get())) return *value;
      fail(node, context, "'" + std::string(key) + "': '" + s->get() + "' is not a size such as 128M, 1G or 65536");
    }
    fail(node, context, "'" + std::string(key) + "' must be a size (an integer, or a string such as \"64M\"), not " +
                            type_name(node));
  }

  std::string resolve(const std::string& path) const {
    const fs::path p(path);
    return (p.is_absolute() ? p : base_dir_ / p).lexically_normal().string();
  }

  void require_file(const std::string& machine, std::string_view what, const std::string& path) const {
    if (!check_files_) return;
    std::error_code ec;
    if (!fs::exists(path, ec)) fail_machine(machine, std::string(what) + " '" + path + "' does not exist");
    if (fs::is_directory(path, ec)) fail_machine(machine, std::string(what) + " '" + path + "' is a directory");
  }

  void parse_fleet(const toml::table& t, FleetSettings& out) const {
    const std::string context = "[fleet]: ";
    check_keys(t, {"policy", "workers", "slice_instructions", "deterministic", "duration_seconds"}, context);
    if (const toml::node* n = t.get("policy")) {
      const std::string text = string(*n, "policy", context);
      auto name = fleet_policy_name(text);
      if (!name) fail(*n, context, "unknown policy '" + text + "' (expected fair-share, round-robin or priority)");
      out.policy = *name;
      out.has_policy = true;
    }
    if (const toml::node* n = t.get("workers")) {
      out.workers = static_cast<unsigned>(integer(*n, "workers", context, 1, kMaxWorkers));
      out.has_workers = true;
    }
    if (const toml::node* n = t.get("slice_instructions")) {
      out.slice_instructions = static_cast<uint64_t>(integer(*n, "slice_instructions", context, 1000, 1'000'000'000));
      out.has_slice = true;
    }
    if (const toml::node* n = t.get("deterministic")) {
      out.deterministic = boolean(*n, "deterministic", context);
      out.has_deterministic = true;
    }
    if (const toml::node* n = t.get("duration_seconds")) {
      out.duration_seconds = number(*n, "duration_seconds", context, 0.001, 1e7);
      out.has_duration = true;
    }
  }

  std::string name_of(const toml::table& t, std::string_view what, const std::string& context) const {
    const toml::node* n = t.get("name");
    if (!n) fail(t, context, std::string(what) + " needs a name");
    std::string name = string(*n, "name", context);
    if (!valid_name(name))
      fail(*n, context, std::string(what) + " name '" + name + "' must be 1 to 64 letters, digits, '-', '_' or '.'");
    return name;
  }

  GroupSpec parse_group(const toml::table& t, const std::vector<GroupSpec>& earlier) const {
    const std::string context = "[[group]]: ";
    check_keys(t, {"name", "weight", "cap"}, context);
    GroupSpec g;
    g.name = name_of(t, "a group", context);
    const std::string named = "group '" + g.name + "': ";
    for (const GroupSpec& other : earlier)
      if (other.name == g.name) fail(*t.get("name"), named, "declared twice");
    if (const toml::node* n = t.get("weight")) g.weight = static_cast<uint32_t>(integer(*n, "weight", named, 1, 10000));
    if (const toml::node* n = t.get("cap")) g.cap = number(*n, "cap", named, 0, kMaxWorkers);
    return g;
  }

  NetworkSpec parse_network(const toml::table& t, const std::vector<NetworkSpec>& earlier) const {
    const std::string context = "[[network]]: ";
    check_keys(t, {"name", "pcap"}, context);
    NetworkSpec net;
    net.name = name_of(t, "a network", context);
    const std::string named = "network '" + net.name + "': ";
    for (const NetworkSpec& other : earlier)
      if (other.name == net.name) fail(*t.get("name"), named, "declared twice");
    if (const toml::node* n = t.get("pcap")) {
      net.pcap = string(*n, "pcap", named);
      if (net.pcap.empty()) fail(*n, named, "'pcap' must name a file");
      net.pcap = resolve(net.pcap);
    }
    return net;
  }

  void parse_machine(const toml::table& t, FleetSpec& spec, std::set<std::string>& names) const {
    // The name first, so that every later message can say which machine it is about.
    std::string context = "[[machine]]: ";
    if (const toml::node* n = t.get("name"); n && n->is_string()) context = "machine '" + n->as_string()->get() + "': ";
    check_keys(t,
               {"name", "program", "args", "bios", "kernel", "initrd", "append", "memory", "harts", "engine", "time",
                "console", "weight", "cap", "reservation", "priority", "group", "disks", "networks", "clones",
                "limits"},
               context);
    MachineSpec m;
    m.base_name = name_of(t, "a machine", context);

    auto text = [&](std::string_view key) -> std::optional<std::string> {
      const toml::node* n = t.get(key);
      if (!n) return std::nullopt;
      return string(*n, key, context);
    };
    if (auto program = text("program")) {
      if (program->empty()) fail(*t.get("program"), context, "'program' must name a file");
      m.program = resolve(*program);
    }
    if (const toml::node* n = t.get("args")) {
      if (m.program.empty()) fail(*n, context, "'args' goes with 'program'");
      for (auto& [arg, node] : strings(*n, "args", context)) m.args.push_back(arg);
    }
    const bool booting = t.get("bios") || t.get("kernel") || t.get("initrd") || t.get("append");
    if (booting) {
      if (!m.program.empty())
        fail(*t.get("program"), context, "give either 'program' or bios/kernel/initrd/append, not both");
      BootSpec boot;
      if (auto bios = text("bios")) boot.bios = *bios == "none" ? "" : resolve(*bios);
      if (auto kernel = text("kernel")) boot.kernel = resolve(*kernel);
      if (auto initrd = text("initrd")) boot.initrd = resolve(*initrd);
      if (auto append = text("append")) boot.append = *append;
      if (!t.get("bios")) {
        if (boot.kernel.empty()) fail(t, context, "needs 'kernel' or 'bios' to boot");
        boot.bios = kDefaultFirmware;
      }
      if (boot.bios.empty() && boot.kernel.empty()) fail(t, context, "bios = \"none\" needs a 'kernel'");
      if (!boot.initrd.empty() && boot.kernel.empty()) fail(*t.get("initrd"), context, "'initrd' needs a 'kernel'");
      m.boot = boot;
    } else if (m.program.empty()) {
      fail(t, context, "needs 'program' (a bare-metal ELF) or 'kernel'/'bios' to boot");
    }

    if (const toml::node* n = t.get("memory")) {
      m.memory = bytes(*n, "memory", context, false);
      if (m.memory % 4096 != 0 || m.memory > (uint64_t{1} << 40))
        fail(*n, context, "'memory' must be a multiple of 4 KiB, at most 1T");
    }
    if (const toml::node* n = t.get("harts")) m.harts = static_cast<unsigned>(integer(*n, "harts", context, 1, kMaxHarts));
    if (const toml::node* n = t.get("engine")) {
      m.engine = string(*n, "engine", context);
      const auto known = engine_names();
      if (std::find(known.begin(), known.end(), m.engine) == known.end())
        fail(*n, context, "unknown engine '" + m.engine + "' (expected " + join(known) + ")");
    }
    if (const toml::node* n = t.get("time")) {
      const std::string time = string(*n, "time", context);
      if (time == "real") m.time = MachineClock::Mode::Real;
      else if (time == "virtual") m.time = MachineClock::Mode::Virtual;
      else fail(*n, context, "'time' must be \"real\" or \"virtual\", not '" + time + "'");
    }
    if (const toml::node* n = t.get("console")) {
      m.console = string(*n, "console", context);
      if (m.console.rfind("file:", 0) == 0 && m.console.size() > 5) {
        m.console = "file:" + resolve(m.console.substr(5));
      } else if (m.console != "stdout" && m.console != "none") {
        fail(*n, context, "'console' must be \"stdout\", \"none\" or \"file:PATH\", not '" + m.console + "'");
      }
    }
    if (const toml::node* n = t.get("weight")) m.weight = static_cast<uint32_t>(integer(*n, "weight", context, 1, 10000));
    if (const toml::node* n = t.get("cap")) m.cap = number(*n, "cap", context, 0, 1);
    if (const toml::node* n = t.get("reservation")) {
      m.reservation = number(*n, "reservation", context, 0, 1);
      if (m.cap > 0 && m.reservation > m.cap)
        fail(*n, context, "'reservation' cannot exceed 'cap'");
    }
    if (const toml::node* n = t.get("priority"))
      m.priority = static_cast<int>(integer(*n, "priority", context, -1000, 1000));
    if (const toml::node* n = t.get("group")) {
      m.group = string(*n, "group", context);
      const bool declared = std::any_of(spec.groups.begin(), spec.groups.end(),
                                        [&](const GroupSpec& g) { return g.name == m.group; });
      if (!declared) fail(*n, context, "group '" + m.group + "' is not declared in a [[group]] table");
    }
    if (const toml::node* n = t.get("disks")) {
      for (auto& [text_spec, node] : strings(*n, "disks", context)) {
        DiskSpec disk;
        try {
          disk = parse_disk_spec(text_spec);
        } catch (const DiskError& e) {
          fail(*node, context, e.what());
        }
        disk.path = resolve(disk.path);
        if (!disk.overlay.empty()) disk.overlay = resolve(disk.overlay);
        m.disks.push_back(disk);
      }
    }
    if (const toml::node* n = t.get("networks")) {
      for (const auto& entry : strings(*n, "networks", context)) {
        const std::string& net = entry.first;
        const toml::node* node = entry.second;
        const bool declared = std::any_of(spec.networks.begin(), spec.networks.end(),
                                          [&](const NetworkSpec& s) { return s.name == net; });
        if (!declared) fail(*node, context, "network '" + net + "' is not declared in a [[network]] table");
        m.networks.push_back(net);
      }
    }
    unsigned clones = 0;
    if (const toml::node* n = t.get("clones")) clones = static_cast<unsigned>(integer(*n, "clones", context, 1, kMaxClones));
    if (const toml::node* n = t.get("limits")) {
      const toml::table& limits = table(*n, "limits", context);
      const std::string limits_context = context + "limits: ";
      check_keys(limits, {"memory_pages", "disk_bytes_per_second", "net_bytes_per_second"}, limits_context);
      if (const toml::node* l = limits.get("memory_pages"))
        m.limits.memory_pages = static_cast<uint64_t>(
            integer(*l, "memory_pages", limits_context, 1, static_cast<int64_t>(m.memory / 4096)));
      if (const toml::node* l = limits.get("disk_bytes_per_second"))
        m.limits.disk_bytes_per_second = bytes(*l, "disk_bytes_per_second", limits_context, true);
      if (const toml::node* l = limits.get("net_bytes_per_second"))
        m.limits.net_bytes_per_second = bytes(*l, "net_bytes_per_second", limits_context, true);
    }

    // Files, once the table itself is known to be well-formed.
    if (!m.program.empty()) require_file(m.base_name, "program", m.program);
    if (m.boot) {
      if (!m.boot->bios.empty()) require_file(m.base_name, "bios", m.boot->bios);
      if (!m.boot->kernel.empty()) require_file(m.base_name, "kernel", m.boot->kernel);
      if (!m.boot->initrd.empty()) require_file(m.base_name, "initrd", m.boot->initrd);
    }
    for (const DiskSpec& disk : m.disks) {
      require_file(m.base_name, "disk", disk.path);
      if (clones > 1 && !disk.read_only && disk.overlay.empty())
        fail_machine(m.base_name, "disk '" + disk.path + "' would be written by " + std::to_string(clones) +
                                      " clones at once: make it readonly or give it overlay=PATH");
    }

    auto add = [&](MachineSpec machine) {
      if (!names.insert(machine.name).second)
        fail_machine(machine.name, machine.clone_index ? "the name of this clone is already taken"
                                                       : "the name is used twice");
      spec.machines.push_back(std::move(machine));
    };
    if (clones == 0) {
      m.name = m.base_name;
      add(m);
      return;
    }
    for (unsigned i = 1; i <= clones; ++i) {
      MachineSpec copy = m;
      copy.name = m.base_name + "-" + std::to_string(i);
      copy.clone_index = i;
      for (DiskSpec& disk : copy.disks)
        if (!disk.overlay.empty() && clones > 1) disk.overlay = with_clone_suffix(disk.overlay, i);
      if (copy.console.rfind("file:", 0) == 0 && clones > 1)
        copy.console = "file:" + with_clone_suffix(copy.console.substr(5), i);
      add(std::move(copy));
    }
  }

  std::string source_;
  fs::path base_dir_;
  bool check_files_;
};

}  // namespace

std::optional<std::string> fleet_policy_name(std::string_view text) {
  if (text == "fair-share" || text == "fair_share") return "fair_share";
  if (text == "round-robin" || text == "round_robin") return "round_robin";
  if (text == "priority" || text == "strict-priority" || text == "strict_priority") return "strict_priority";
  return std::nullopt;
}

std::optional<uint64_t> parse_byte_size(std::string_view text) {
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data() || value == 0) return std::nullopt;
  std::string suffix(end, text.data() + text.size());
  for (char& c : suffix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  unsigned shift = 0;
  if (suffix.empty() || suffix == "B") shift = 0;
  else if (suffix == "K" || suffix == "KB" || suffix == "KIB") shift = 10;
  else if (suffix == "M" || suffix == "MB" || suffix == "MIB") shift = 20;
  else if (suffix == "G" || suffix == "GB" || suffix == "GIB") shift = 30;
  else if (suffix == "T" || suffix == "TB" || suffix == "TIB") shift = 40;
  else return std::nullopt;
  if (value > (std::numeric_limits<uint64_t>::max() >> shift)) return std::nullopt;
  return value << shift;
}

FleetSpec parse_fleet_spec(std::string_view text, const std::string& source, const fs::path& base_dir,
                           bool check_files) {
  return SpecParser(source, base_dir, check_files).parse(text);
}

FleetSpec load_fleet_spec(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) throw FleetSpecError(path.string() + ": is a directory, not a fleet spec");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FleetSpecError(path.string() + ": cannot open: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw FleetSpecError(path.string() + ": cannot read");
  fs::path base = path.parent_path();
  if (base.empty()) base = ".";
  return parse_fleet_spec(text.str(), path.string(), base, true);
}

}  // namespace hartbox
