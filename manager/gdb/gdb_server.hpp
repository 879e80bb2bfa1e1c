// A GDB remote serial protocol server (a "gdbstub") for a Machine, on a loopback TCP port, as
// QEMU's -s/-S: `gdb-multiarch prog.elf -ex 'target remote :1234'` debugs the guest.
//
// What gdb sees: one process whose threads are the harts (thread id = hart index + 1), an RV64
// target description (x0-x31 and pc; f0-f31, fflags, frm, fcsr; the machine's CSRs at gdb's
// numbers 65 + CSR number; the privilege mode as `priv`), memory through each hart's current
// MMU mode (virtual addresses, as QEMU), software and hardware breakpoints, write/read/access
// watchpoints, single-step and continue per thread (vCont), Ctrl-C, detach and kill.
//
// How stops are exact on every engine (interp, threaded, block), without touching core/:
// the server runs the machine itself, in slices on the calling thread. While gdb has no
// breakpoint, watchpoint or step pending, the engines run with no observer of ours attached
// (the caller's --trace observer, if any, stays): a debugger that is attached but idle costs
// nothing. Otherwise an ExecutionObserver checks, after each instruction, what the hart will do
// next; to stop it asks the hart to stop (Hart::request_stop) and to sync (request_sync), and
// every engine returns from run() before the next instruction: the interpreter checks stop
// requests before each instruction, and the threaded and block engines return to their
// dispatcher after an instruction that requested a sync, even inside a cached block.
//  - Breakpoints stop before the instruction at the address executes (next pc in the set).
//  - Watchpoints stop before the accessing instruction executes, as RISC-V triggers do and as
//    gdb expects of this architecture (it steps over the access itself): the observer decodes
//    the next instruction and computes its effective address from the registers it will use.
//  - Engines take an interrupt and run the handler's first instruction without a stop check in
//    between, so while breakpoints or watchpoints are set the observer also stops a hart before
//    an interrupt it would take, and the server takes that interrupt itself between slices and
//    checks the handler's first instruction. A single step that takes an interrupt stops at
//    the handler's first instruction, not yet executed (QEMU masks interrupts while stepping
//    instead).
//
// Threads: run_with_gdb() blocks the calling thread until the guest exits or gdb kills it, and
// nothing else may use the Machine meanwhile.
#pragma once

#include <cstdint>
#include <cstdio>

#include "core/engines/engine.hpp"

namespace hartbox {

class Machine;

struct GdbServerOptions {
  uint16_t port = 1234;          // on 127.0.0.1 (and ::1 if the host has IPv6); 0: any free port
  bool wait_for_attach = false;  // QEMU's -S: no instruction runs until gdb resumes the machine
  std::FILE* log = nullptr;      // notices: the port listened on, attach, detach; null: none
  // Observes execution with or without a debugger (e.g. --trace's TraceWriter), as the caller
  // would have set it with Machine::set_observer(); the server keeps it informed.
  ExecutionObserver* observer = nullptr;
};

// The process exit code when gdb kills the guest (`kill`, or quitting gdb after `run`):
// 128 + SIGKILL, as a shell reports a killed process.
inline constexpr int kGdbKilledExitCode = 137;

// Serves gdb on `options.port` and runs `machine` under its control: without wait_for_attach
// the machine runs at once and a gdb that attaches later stops it. After a detach (or a lost
// connection) the machine runs on freely and another gdb may attach.
//
// Returns the guest's exit code when it exits (gdb is told), kGdbKilledExitCode when gdb kills
// it, and 1 (with a line on the log) if the port cannot be listened on or, with no gdb attached,
// every hart waits for an interrupt that nothing can raise.
int run_with_gdb(Machine& machine, const GdbServerOptions& options);
int run_with_gdb(Machine& machine, uint16_t port, bool wait_for_attach, std::FILE* log);

}  // namespace hartbox
