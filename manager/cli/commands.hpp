// The subcommands of `hartbox`. Each takes its own argv (argv[0] is the command name) and
// returns the process exit code.
#pragma once

namespace hartbox::cli {

// Exit codes of the front end itself; anything else is the guest's own exit code.
inline constexpr int kExitHostError = 1;       // a bad file, or the machine could not be built
inline constexpr int kExitUsage = 2;           // bad command line
inline constexpr int kExitInsnLimit = 124;     // --max-insns reached (as timeout(1) does)

int run_command(int argc, char** argv);
int disasm_command(int argc, char** argv);
int fleet_command(int argc, char** argv);
int ctl_command(int argc, char** argv);

}  // namespace hartbox::cli
