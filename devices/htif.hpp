// Spike's host-target interface (HTIF), as riscv-isa-sim's front-end server (fesvr) answers it:
// the guest writes a command to the 64-bit word `tohost` and reads answers from `fromhost`. Both
// are symbols of the guest's ELF and live inside RAM; the board overlays this device on them
// (see Bus: a RAM page holding an overlay always takes the slow path).
//
// A command is  device << 56 | cmd << 48 | payload (48 bits). What is implemented:
//   device 0 (syscall proxy), cmd 0:
//     payload & 1: the program exits with code payload >> 1 (riscv-tests: 1 = pass,
//                  (n << 1) | 1 = test n failed);
//     otherwise:   payload is the physical address of fesvr's "magic memory", 8 words
//                  [syscall number, arg0, ...]; the result goes to word 0, then fromhost = 1.
//                  write (64) to fd 1 or 2 and exit (93, and exit_group 94) are served; any
//                  other number returns -ENOSYS, a bad buffer -EFAULT (Linux/RISC-V values).
//   device 1 (console), cmd 1: putchar(payload & 0xff); answered with
//                  fromhost = 1 << 56 | 1 << 48 | 0x100 | char, as QEMU and earlier fesvr do
//                  (today's fesvr sends no answer; guests such as riscv-pk and OpenSBI accept both).
//   device 1 (console), cmd 0: getchar. Like fesvr, the request stays pending until a character
//                  is available; it is then answered with fromhost = 1 << 56 | 0x100 | char.
//                  Pending reads are served whenever the guest touches tohost or fromhost, and
//                  whenever the board calls poll().
// Any other device or command is ignored, with no answer, as fesvr's null device does.
//
// As on Spike, the host takes a command as soon as it is written and clears tohost to 0 (guests
// such as riscv-pk wait for that before writing the next command). Answers wait in a queue while
// fromhost is non-zero: the guest takes one by reading fromhost and writing 0 back.
//
// Accesses of any size to either word work. A command is taken when the write reaches the word's
// most significant byte: a 64-bit store, or for RV32-style code a 32-bit store of the low half
// followed by one of the high half (the order riscv-tests and QEMU use).
//
// One Htif belongs to one machine; it is used from the thread that runs the machine's hart.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "core/bus.hpp"
#include "core/guest_ram.hpp"
#include "devices/console.hpp"

namespace hartbox {

class StateWriter;
class StateReader;

class Htif final : public Device {
 public:
  using ExitHandler = std::function<void(int code)>;

  // `tohost` and `fromhost` are the physical addresses of the two 8-byte words (the ELF's
  // symbols); they must be 8-byte aligned and must not overlap. Without `fromhost` (an image
  // that defines only tohost) answers are dropped. `on_exit` is called for each exit command
  // (a guest that spins on its exit loop calls it again until the machine stops). A null
  // console or input means the host's stdout/stderr and stdin. Throws std::invalid_argument.
  Htif(GuestRam& ram, uint64_t tohost, std::optional<uint64_t> fromhost, ExitHandler on_exit,
       ConsoleSink* console = nullptr, ConsoleSource* input = nullptr);
  Htif(const Htif&) = delete;
  Htif& operator=(const Htif&) = delete;

  // Maps the device on `bus`: one 16-byte window when the words are adjacent, two 8-byte
  // windows otherwise (riscv-tests puts them 64 bytes apart).
  void attach(Bus& bus);

  std::string_view name() const override { return "htif"; }
  bool read(uint64_t offset, unsigned size, uint64_t& value) override;
  bool write(uint64_t offset, unsigned size, uint64_t value) override;

  // Answers a pending console read if input has arrived, and moves a queued answer into an empty
  // fromhost. The board may call it between runs so that input reaches a guest that waits
  // without touching the HTIF words.
  void poll();

  uint64_t tohost() const { return tohost_; }
  uint64_t fromhost() const { return fromhost_; }
  // The code of the last exit command, if there was one.
  std::optional<int> exit_code() const { return exit_code_; }
  // Answers dropped because the queue was full (a guest that never empties fromhost).
  uint64_t dropped_answers() const { return dropped_answers_; }

  // Snapshots: both words, the queued answers and pending console reads, the exit code. load()
  // needs the same tohost/fromhost addresses (the machine recreates the device from them).
  void save(StateWriter& out) const;
  void load(StateReader& in);

 private:
  class FromhostWindow final : public Device {
   public:
    explicit FromhostWindow(Htif& htif) : htif_(htif) {}
    std::string_view name() const override { return "htif-fromhost"; }
    bool read(uint64_t offset, unsigned size, uint64_t& value) override;
    bool write(uint64_t offset, unsigned size, uint64_t value) override;

   private:
    Htif& htif_;
  };

  bool read_bytes(uint64_t paddr, unsigned size, uint64_t& value);
  bool write_bytes(uint64_t paddr, unsigned size, uint64_t value);
  uint64_t* word_at(uint64_t paddr, unsigned& byte);
  void execute(uint64_t command);
  void proxy_syscall(uint64_t magic_address);
  int64_t sys_write(uint64_t fd, uint64_t buffer, uint64_t length);
  void signal_exit(int code);
  void answer(uint64_t command, uint64_t response);

  GuestRam& ram_;
  const uint64_t tohost_address_;
  const std::optional<uint64_t> fromhost_address_;
  ExitHandler on_exit_;
  std::unique_ptr<ConsoleSink> own_console_;
  std::unique_ptr<ConsoleSource> own_input_;
  ConsoleSink& console_;
  ConsoleSource& input_;
  FromhostWindow fromhost_window_{*this};
  uint64_t window_base_;  // of this device's own window (tohost, or both words when adjacent)

  uint64_t tohost_ = 0;
  uint64_t fromhost_ = 0;
  std::deque<uint64_t> answers_;        // waiting for fromhost to be emptied
  std::deque<uint64_t> pending_reads_;  // getchar commands not answered yet
  std::optional<int> exit_code_;
  uint64_t dropped_answers_ = 0;
};

}  // namespace hartbox
