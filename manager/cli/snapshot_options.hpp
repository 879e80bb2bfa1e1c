// `hartbox run --snapshot-out FILE` and `hartbox run --restore FILE`: the command line's side of
// machine snapshots (devices/snapshot.hpp). Thin: options, checks and messages; the library
// does the work.
//
//   hartbox run --max-insns N --snapshot-out FILE prog.elf   runs, then writes FILE (whatever
//                                                            ended the run: the limit, an exit)
//   hartbox run --restore FILE [--engine E] [--stats] ...    goes on from FILE in this process
//
// With --restore the machine's configuration (RAM, harts, disks, program, command line, time)
// comes from the snapshot, so the options that describe a machine are refused; the host's side
// (console, --nic backends, --engine, --semihosting-root, --trace, --stats, --max-insns) is
// given as usual. Without --engine the snapshot's engine is used.
#pragma once

#include <boost/program_options.hpp>
#include <memory>

#include "devices/machine.hpp"

namespace hartbox::cli {

void add_snapshot_options(boost::program_options::options_description& options);

// True with --restore.
bool restoring(const boost::program_options::variables_map& vm);

// Throws UsageError for options that cannot go together with --restore or --snapshot-out.
void check_snapshot_options(const boost::program_options::variables_map& vm);

// The machine of --restore FILE, with the host's side from `host` (as Machine::restore takes
// it). Throws SnapshotError with one line naming the file.
std::unique_ptr<Machine> restore_machine(const boost::program_options::variables_map& vm, MachineConfig host);

// After the run: writes --snapshot-out FILE if it was asked for. False (after printing one line
// to stderr) if the snapshot could not be written.
bool write_snapshot_if_asked(const boost::program_options::variables_map& vm, Machine& machine);

}  // namespace hartbox::cli
