// Fuzz target `fleet_spec`: the fleet-spec parser (manager/fleet_spec.hpp) on arbitrary text.
//
// Checked: parse_fleet_spec throws only FleetSpecError, whose message is one line starting with
// the spec's name; a spec that parses holds only values inside the documented ranges (names,
// weights, caps, reservations, harts, memory, clone expansion), with unique machine names; and
// parse_byte_size / fleet_policy_name never throw. Files are not checked (check_files = false),
// so nothing on the host is touched.
#include <cmath>
#include <cstdint>
#include <exception>
#include <set>
#include <string>
#include <string_view>

#include "fuzz/fuzz_support.hpp"
#include "manager/fleet_spec.hpp"

using namespace hartbox;

namespace {

constexpr const char* kSource = "fuzz.toml";

void check_spec(const FleetSpec& spec) {
  std::set<std::string> names;
  for (const GroupSpec& g : spec.groups) {
    fuzz::require(g.weight >= 1 && g.weight <= 10000, "group weight out of range");
    fuzz::require(std::isfinite(g.cap) && g.cap >= 0, "group cap out of range");
  }
  for (const MachineSpec& m : spec.machines) {
    fuzz::require(names.insert(m.name).second, "machine name used twice: " + m.name);
    fuzz::require(!m.name.empty(), "a machine without a name");
    fuzz::require(m.weight >= 1 && m.weight <= 10000, m.name + ": weight out of range");
    fuzz::require(std::isfinite(m.cap) && m.cap >= 0 && m.cap <= 1, m.name + ": cap out of range");
    fuzz::require(std::isfinite(m.reservation) && m.reservation >= 0 && m.reservation <= 1,
                  m.name + ": reservation out of range");
    fuzz::require(m.harts >= 1 && m.harts <= kMaxHarts, m.name + ": harts out of range");
    fuzz::require(m.memory > 0 && m.memory % 4096 == 0, m.name + ": memory not a positive multiple of 4 KiB");
    fuzz::require(m.limits.memory_pages <= m.memory / 4096, m.name + ": memory_pages above the machine's memory");
    fuzz::require(!m.program.empty() || m.boot.has_value(), m.name + ": neither a program nor a boot spec");
  }
  fuzz::require(spec.fleet.slice_instructions >= 1, "slice_instructions of zero");
  fuzz::require(std::isfinite(spec.fleet.duration_seconds) && spec.fleet.duration_seconds >= 0,
                "duration out of range");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const FleetSpec spec = parse_fleet_spec(text, kSource, "/nonexistent-fuzz-base", /*check_files=*/false);
    check_spec(spec);
  } catch (const FleetSpecError& e) {
    const std::string message = e.what();
    fuzz::require(message.rfind(std::string(kSource) + ":", 0) == 0,
                  "FleetSpecError does not start with the spec's name: " + message);
    fuzz::require(message.find('\n') == std::string::npos && message.find('\r') == std::string::npos,
                  "FleetSpecError is more than one line: " + message);
  } catch (const std::exception& e) {
    fuzz::finding(std::string("parse_fleet_spec threw something other than FleetSpecError: ") + e.what());
  }
  try {
    if (auto bytes = parse_byte_size(text)) fuzz::require(*bytes != 0, "parse_byte_size returned zero");
    (void)fleet_policy_name(text);
  } catch (const std::exception& e) {
    fuzz::finding(std::string("parse_byte_size/fleet_policy_name threw: ") + e.what());
  }
  return 0;
}
