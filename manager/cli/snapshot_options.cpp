#include "manager/cli/snapshot_options.hpp"

#include <cstdio>
#include <string>

#include "core/state_io.hpp"
#include "manager/cli/parse.hpp"

namespace po = boost::program_options;

namespace hartbox::cli {

void add_snapshot_options(po::options_description& options) {
  // clang-format off
  options.add_options()
    ("snapshot-out", po::value<std::string>(),
     "when the run ends (e.g. at --max-insns), write the whole machine to this file (atomically: "
     "an earlier file there survives a failed write)")
    ("restore", po::value<std::string>(),
     "go on from a snapshot file instead of loading a program; the machine's configuration comes "
     "from the snapshot (and its engine, unless --engine is given)");
  // clang-format on
}

bool restoring(const po::variables_map& vm) { return vm.count("restore") != 0; }

void check_snapshot_options(const po::variables_map& vm) {
  if (!restoring(vm)) return;
  // What describes the machine comes from the snapshot.
  for (const char* name : {"program", "bios", "kernel", "initrd", "load-raw", "entry", "disk", "rng",
                           "legacy-virtio", "time", "no-semihosting", "semihosting-confine", "dtb-out"}) {
    if (vm.count(name))
      throw UsageError(std::string(name == std::string("program") ? "a program" : std::string("--") + name) +
                       " cannot be combined with --restore: the machine comes from the snapshot");
  }
  for (const char* name : {"memory", "smp", "append"}) {
    if (vm.count(name) && !vm[name].defaulted())
      throw UsageError(std::string("--") + name + " cannot be combined with --restore: the machine comes from the snapshot");
  }
}

std::unique_ptr<Machine> restore_machine(const po::variables_map& vm, MachineConfig host) {
  const std::string path = vm["restore"].as<std::string>();
  if (vm["engine"].defaulted()) host.engine = Machine::snapshot_config(path).engine;
  return Machine::restore(path, host);
}

bool write_snapshot_if_asked(const po::variables_map& vm, Machine& machine) {
  if (!vm.count("snapshot-out")) return true;
  try {
    machine.snapshot(vm["snapshot-out"].as<std::string>());
    return true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hartbox: %s\n", e.what());
    return false;
  }
}

}  // namespace hartbox::cli
