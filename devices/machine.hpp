// A bare-metal RISC-V machine, as Spike builds one: RAM at 0x8000_0000, a CLINT at
// 0x0200_0000, HTIF over the program's `tohost`/`fromhost` words, and RISC-V semihosting.
//
// A Machine owns all of its state (RAM, bus, harts, devices, engine), so one process can hold
// thousands. It runs in slices: run_slice() executes at most a budget of instructions and
// returns, so a scheduler can multiplex machines on a few host threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bus.hpp"
#include "core/engines/engine.hpp"
#include "core/guest_ram.hpp"
#include "core/hart.hpp"
#include "core/engines/code_pages.hpp"
#include "devices/clint.hpp"
#include "devices/clock.hpp"
#include "devices/console.hpp"
#include "devices/elf_loader.hpp"

namespace hartbox {

class Htif;
class Semihosting;

struct MachineConfig {
  uint64_t ram_base = 0x8000'0000;
  uint64_t ram_size = uint64_t{128} << 20;
  unsigned harts = 1;
  std::string engine = "block";
  MachineClock::Mode time = MachineClock::Mode::Virtual;
  bool semihosting = true;
  std::string semihosting_root;            // empty: the current directory
  bool semihosting_confined = false;       // refuse guest paths outside semihosting_root
  std::vector<std::string> command_line;   // what SYS_GET_CMDLINE reports: program and args
  ConsoleSink* console = nullptr;          // null: the process's stdout
  ConsoleSource* console_input = nullptr;  // null: the process's stdin
};

inline constexpr uint64_t kClintBase = 0x0200'0000;
inline constexpr unsigned kMaxHarts = 64;

// How a run ended.
struct RunOutcome {
  enum class Kind { Exited, InstructionLimit, Deadlock } kind;
  int exit_code = 0;   // for Exited
  uint64_t steps = 0;  // instructions retired plus traps taken, in this run
};

class Machine {
 public:
  explicit Machine(const MachineConfig& config);
  ~Machine();
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // Loads an ELF program, points the hart at its entry and, if it has `tohost`, attaches HTIF.
  // Throws LoadError with a one-line message.
  const ElfImage& load_elf(const std::string& path);
  // Loads a raw binary at `address` (inside RAM). Throws LoadError.
  void load_raw(const std::string& path, uint64_t address);
  void set_entry(uint64_t pc);

  // Runs until the guest exits, the hart waits forever, or `max_steps` (0: no limit) is reached.
  RunOutcome run(uint64_t max_steps);
  // One slice of at most `budget` steps; the building block of run() and of the scheduler.
  SliceResult run_slice(uint64_t budget);

  // Ends the run with the guest's exit code (called by HTIF and semihosting).
  void exit(int code);
  std::optional<int> exit_code() const { return exit_code_; }

  // The words between the ELF's begin_signature and end_signature (Spike's +signature=), as
  // 32-bit hex lines. Throws LoadError if the program has no such symbols.
  std::string signature() const;

  GuestRam& ram() { return ram_; }
  Bus& bus() { return bus_; }
  unsigned hart_count() const { return static_cast<unsigned>(harts_.size()); }
  Hart& hart(unsigned index = 0) { return *harts_[index]; }
  Engine& engine(unsigned index = 0) { return *engines_[index]; }
  // Attaches an observer (tracer, statistics) to every hart's engine.
  void set_observer(ExecutionObserver* observer);
  Clint& clint() { return *clint_; }
  MachineClock& clock() { return clock_; }
  // Instructions retired by all harts since reset.
  uint64_t retired() const;
  const ElfImage* program() const { return program_ ? &*program_ : nullptr; }

 private:
  MachineConfig config_;
  GuestRam ram_;
  Bus bus_;
  MachineClock clock_;
  CodePages code_pages_;  // shared by the engines of all harts
  std::vector<std::unique_ptr<Hart>> harts_;
  std::vector<std::unique_ptr<Engine>> engines_;  // one per hart
  std::unique_ptr<Clint> clint_;
  std::unique_ptr<StdoutConsoleSink> default_console_;
  std::unique_ptr<StdinConsoleSource> default_input_;
  std::unique_ptr<Htif> htif_;
  std::unique_ptr<Semihosting> semihosting_;
  std::optional<ElfImage> program_;
  std::optional<int> exit_code_;
};

}  // namespace hartbox
