// A RISC-V machine: harts, RAM and QEMU's `virt` board (devices/virt_board.hpp), plus the host
// interfaces of bare-metal test programs (HTIF over the ELF's tohost word, RISC-V semihosting).
//
// A Machine owns all of its state, so one process can hold thousands of them. It runs in
// slices: run_slice() executes at most a budget of instructions on this thread and returns,
// so a scheduler can multiplex machines on a few host threads; run() loops over slices until
// the guest exits.
//
// Booting follows QEMU: firmware (--bios) at 0x8000_0000, a kernel (--kernel) at its ELF
// addresses or, raw, at 0x8020_0000 (0x8000_0000 without firmware), an initrd, and a device
// tree at the top of RAM; every hart starts at the entry with a0 = hart id, a1 = the device
// tree, a2 = the fw_dynamic info block. A plain bare-metal ELF (load_elf) runs in M-mode from
// its entry, as on Spike.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bus.hpp"
#include "core/engines/code_pages.hpp"
#include "core/engines/engine.hpp"
#include "core/guest_ram.hpp"
#include "core/hart.hpp"
#include "devices/clock.hpp"
#include "devices/console.hpp"
#include "devices/disk_bandwidth.hpp"
#include "devices/elf_loader.hpp"
#include "devices/power_control.hpp"
#include "devices/snapshot.hpp"
#include "devices/virt_board.hpp"
#include "devices/virtio/block.hpp"
#include "devices/virtio/net_backend.hpp"

namespace hartbox {

class Htif;
class Semihosting;

inline constexpr unsigned kMaxHarts = 64;
inline constexpr uint64_t kRamBase = virt::kDramBase;
inline constexpr uint64_t kClintBase = virt::kClintBase;

struct MachineConfig {
  uint64_t ram_size = uint64_t{128} << 20;
  unsigned harts = 1;
  std::string engine = "block";
  MachineClock::Mode time = MachineClock::Mode::Virtual;
  std::optional<uint64_t> rtc_base_ns;     // the RTC at power-on; unset: the host's wall clock
  bool semihosting = true;
  std::string semihosting_root;            // empty: the current directory
  bool semihosting_confined = false;       // refuse guest paths outside semihosting_root
  std::vector<std::string> command_line;   // what SYS_GET_CMDLINE reports: program and args
  ConsoleSink* console = nullptr;          // null: the process's stdout
  ConsoleSource* console_input = nullptr;  // the UART's and host calls' input; null: none
  // virtio-mmio slots are given out in this order: disks, then network cards, then the RNG.
  std::vector<DiskSpec> disks;
  std::vector<NetBackend*> nics;           // owned by the caller, must outlive the machine
  // Bytes per second all the disks may move together, on the machine's clock (0: no limit;
  // devices/disk_bandwidth.hpp). Host policy, not part of the guest: snapshots do not keep it.
  uint64_t disk_bytes_per_second = 0;
  bool rng = false;
  bool legacy_virtio = false;              // virtio-mmio version 1 instead of 2
  // Called (from any thread) when something outside the guest has work for it, e.g. a network
  // frame arrived: a scheduler wakes the machine if it is parked. Must not call into the machine.
  std::function<void()> on_external_event;
};

// What to boot on the virt board, as QEMU's -bios/-kernel/-initrd/-append.
struct BootSpec {
  std::string bios;    // empty: no firmware ("--bios none")
  std::string kernel;  // ELF or raw image; empty: none
  std::string initrd;
  std::string append;  // the kernel command line (/chosen/bootargs)
};

struct RunOutcome {
  enum class Kind { Exited, InstructionLimit, Deadlock } kind;
  int exit_code = 0;   // for Exited
  uint64_t steps = 0;  // instructions retired plus traps taken, in this run
};

class Machine final : private PowerControl, private RamPageObserver {
 public:
  explicit Machine(const MachineConfig& config);
  ~Machine() override;
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  // A bare-metal program: loads the ELF, points every hart at its entry in M-mode and, if it
  // has `tohost`, attaches HTIF. Throws LoadError with a one-line message.
  const ElfImage& load_elf(const std::string& path);
  // Loads a raw binary at `address` (inside RAM). Throws LoadError.
  void load_raw(const std::string& path, uint64_t address);
  void set_entry(uint64_t pc);

  // Firmware, kernel and initrd, QEMU's way (see the file comment). Throws LoadError.
  void boot(const BootSpec& spec);
  // The device tree the harts were given (empty before boot() or load_elf()).
  const std::vector<uint8_t>& device_tree() const { return device_tree_; }

  // Runs until the guest exits, every hart waits for an interrupt that nothing can raise, or
  // `max_steps` (0: no limit) is reached.
  RunOutcome run(uint64_t max_steps);
  // One slice of at most `budget` steps on every hart in turn, then device work. Returns
  // StopReason::Wait when every hart waits for an interrupt: the machine can then be parked
  // until next_deadline() (in clock() ticks) or an external event.
  SliceResult run_slice(uint64_t budget);
  // When a device will next raise an interrupt by itself (mtime ticks), or UINT64_MAX.
  uint64_t next_deadline() const { return board_->next_deadline(); }
  // True if every hart waits for an interrupt and none is pending.
  bool idle();

  // Ends the run with the guest's exit code (HTIF, semihosting, the test device).
  void exit(int code);
  std::optional<int> exit_code() const { return exit_code_; }

  // The words between the ELF's begin_signature and end_signature (Spike's +signature=), as
  // 32-bit hex lines. Throws LoadError if the program has no such symbols.
  std::string signature();

  GuestRam& ram() { return ram_; }
  Bus& bus() { return bus_; }
  unsigned hart_count() const { return static_cast<unsigned>(harts_.size()); }
  Hart& hart(unsigned index = 0) { return *harts_[index]; }
  Engine& engine(unsigned index = 0) { return *engines_[index]; }
  void set_observer(ExecutionObserver* observer);  // on every hart's engine
  virt::VirtBoard& board() { return *board_; }
  Clint& clint() { return board_->clint(); }
  MachineClock& clock() { return clock_; }
  // The disks' bandwidth limit and what went through it.
  const DiskBandwidth& disk_bandwidth() const { return disk_bandwidth_; }
  const ElfImage* program() const { return program_ ? &*program_ : nullptr; }
  // Instructions retired by all harts since power-on.
  uint64_t retired() const;
  const MachineConfig& config() const { return config_; }

  // --- Snapshots and clones (devices/snapshot.hpp: the file format and the rules) ---
  // All of them need the machine paused: called from the thread that runs it, outside run().
  //
  // Writes the whole machine to `path` atomically. Throws SnapshotError (one line naming the
  // file) if it cannot; an earlier file at `path` is then left as it was.
  void snapshot(const std::string& path);
  // A new machine from a snapshot file. Everything the guest sees comes from the snapshot; from
  // `host` come the host's side of things: console, console_input, nics (as many backends as
  // the snapshot has cards), on_external_event, the engine (any engine resumes any snapshot),
  // disk_bytes_per_second, and semihosting_root if it is not empty. Throws SnapshotError.
  static std::unique_ptr<Machine> restore(const std::string& path, const MachineConfig& host);
  // The configuration restore() would build from `path` (nics: one null entry per card), after
  // checking the file's header. Throws SnapshotError.
  static MachineConfig snapshot_config(const std::string& path);
  // A new machine that goes on from this one's current state, sharing its RAM copy-on-write;
  // `host` as for restore(). May freeze this machine's writable disks (see snapshot.hpp).
  // Throws SnapshotError (or DiskError for an overlay it cannot create).
  std::unique_ptr<Machine> clone(const MachineConfig& host, const CloneOptions& options = {});

 private:
  void power_off(int code) override { exit(code); }
  void reset() override;
  void page_replaced(uint64_t paddr) override;
  void pages_shared() override;
  // Loads a firmware or kernel file: an ELF at its addresses, or raw at `raw_address`; returns
  // the entry point and sets `end` past the last byte loaded.
  uint64_t load_image(const std::string& path, uint64_t raw_address, uint64_t& end);
  void start_harts(uint64_t entry, uint64_t fdt_address, uint64_t info_address);

  MachineConfig config_;
  GuestRam ram_;
  Bus bus_;
  MachineClock clock_;
  DiskBandwidth disk_bandwidth_;  // shared by the disks (each VirtioBlock holds a pointer)
  // Destroyed in reverse: the engines detach from the code pages, which detach from the harts.
  std::vector<std::unique_ptr<Hart>> harts_;
  CodePages code_pages_;                          // shared by the engines of all harts
  std::vector<std::unique_ptr<Engine>> engines_;  // one per hart
  std::unique_ptr<StdoutConsoleSink> default_console_;
  std::unique_ptr<virt::VirtBoard> board_;
  std::unique_ptr<Htif> htif_;
  std::unique_ptr<Semihosting> semihosting_;
  std::optional<ElfImage> program_;
  std::optional<BootSpec> boot_spec_;
  std::vector<uint8_t> device_tree_;
  std::optional<int> exit_code_;
  bool reset_requested_ = false;

  // Snapshots and clones (devices/machine_snapshot.cpp).
  void save_state(StateWriter& out) const;
  void load_state(StateReader& in);
  TemporaryFiles temporary_files_;
};

}  // namespace hartbox
