// RISC-V semihosting ("RISC-V Semihosting" spec): the Arm semihosting operations, reached by
// the magic `slli x0,x0,0x1f; ebreak; srai x0,x0,7` sequence, with XLEN-sized (8-byte on RV64)
// parameter words. The hart's ebreak calls semihosting_call(); a0 holds the operation number,
// a1 its parameter (usually the virtual address of a parameter block), and the result goes back
// to a0. Guest memory is reached through the hart's own translation (Hart::read_virtual), so a
// guest running with paging on passes virtual addresses as it should.
//
// Implemented: everything picolibc's `--oslib=semihost` uses, which is the whole base set —
// OPEN (with ":tt" for the console and ":semihosting-features", reporting EXIT_EXTENDED and
// STDOUT_STDERR as QEMU does), CLOSE, WRITEC, WRITE0, WRITE, READ, READC, ISERROR, ISTTY, SEEK,
// FLEN, TMPNAM, REMOVE, RENAME, CLOCK, TIME, SYSTEM (always refused), ERRNO, GET_CMDLINE,
// HEAPINFO, EXIT, EXIT_EXTENDED, ELAPSED and TICKFREQ. An unknown operation returns -1 with
// errno ENOSYS (QEMU aborts instead).
//
// Errors follow QEMU: a parameter block the guest cannot read or write gives -1 and errno
// EFAULT; WRITE and READ report the bytes not transferred, and set errno when that is because
// of a bad buffer (EFAULT) or a host error. SYS_ERRNO returns the host's errno value of the last
// failed call, as the spec asks (Linux numbering; 1-34 agree with newlib and picolibc).
//
// Host paths (for OPEN, REMOVE and RENAME; TMPNAM names are relative, so they land in the root):
//   - a relative guest path resolves against the root directory given in the configuration
//     (default: the emulator's current directory);
//   - without confinement, an absolute guest path is used as given;
//   - with confinement, any path that resolves outside the root fails with EACCES: an
//     absolute path outside it, a `..` that climbs out of it, or a symbolic link that leads out
//     of it (the kernel checks this with openat2's RESOLVE_BENEATH; where openat2 is missing,
//     symbolic links are not followed at all under confinement).
//
// File handles, errno and the clocks belong to one Semihosting object, i.e. to one machine;
// its destructor closes every file the guest left open. Used from the thread that runs the hart.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/hart.hpp"
#include "devices/console.hpp"

namespace hartbox {

class StateWriter;
class StateReader;

namespace semihosting_op {
inline constexpr uint64_t kOpen = 0x01, kClose = 0x02, kWriteC = 0x03, kWrite0 = 0x04, kWrite = 0x05, kRead = 0x06,
                          kReadC = 0x07, kIsError = 0x08, kIsTty = 0x09, kSeek = 0x0a, kFlen = 0x0c,
                          kTmpnam = 0x0d, kRemove = 0x0e, kRename = 0x0f, kClock = 0x10, kTime = 0x11,
                          kSystem = 0x12, kErrno = 0x13, kGetCmdline = 0x15, kHeapInfo = 0x16, kExit = 0x18,
                          kExitExtended = 0x20, kElapsed = 0x30, kTickFreq = 0x31;
// SYS_EXIT reason for a normal exit; with it the subcode is the exit status. Any other reason
// (a run-time error, an exception) exits with status 1, as QEMU does.
inline constexpr uint64_t kApplicationExit = 0x20026;
}  // namespace semihosting_op

// What SYS_HEAPINFO reports; zero means "unknown" (newlib's crt0 then keeps its linker-script
// defaults, and picolibc does not ask at all: its heap comes from the linker script).
struct HeapInfo {
  uint64_t heap_base = 0, heap_limit = 0, stack_base = 0, stack_limit = 0;
};

struct SemihostingConfig {
  std::string root = ".";  // host directory that relative guest paths resolve against
  bool confine = false;    // refuse every path that resolves outside `root` (EACCES)
  // Without openat2, or when asked to: refuse symbolic links under confinement instead of
  // letting the kernel resolve them beneath the root.
  bool confine_without_symlinks = false;
  // The guest's command line for SYS_GET_CMDLINE: program name, then arguments, joined with
  // single spaces (picolibc's crt0 splits it on spaces, so arguments cannot contain them, and
  // reads it into 1 KiB: a longer line gets E2BIG and picolibc falls back to no arguments).
  std::vector<std::string> command_line;
  HeapInfo heap;
  ConsoleSink* console = nullptr;  // null: the host's stdout and stderr
  ConsoleSource* input = nullptr;  // null: the host's stdin
  // Called on SYS_EXIT / SYS_EXIT_EXTENDED with the exit status, after the hart was asked to stop.
  std::function<void(int status)> on_exit;
};

class Semihosting final : public SemihostingHandler {
 public:
  // Throws std::runtime_error if the root directory cannot be opened.
  explicit Semihosting(SemihostingConfig config);
  Semihosting(const Semihosting&) = delete;
  Semihosting& operator=(const Semihosting&) = delete;
  ~Semihosting() override;

  void semihosting_call(Hart& hart) override;

  int last_errno() const { return errno_; }  // what SYS_ERRNO returns
  size_t open_handles() const;                // handles the guest has open, consoles included
  std::optional<int> exit_code() const { return exit_code_; }

  // Snapshots: the handle table, errno, the exit code and the time SYS_CLOCK/SYS_ELAPSED have
  // counted. Open host files cannot be restored (the host's file descriptors belong to the
  // process that saved them): their handles stay allocated, so their numbers are not reused,
  // but every operation on them fails with EBADF, and SYS_CLOSE frees them. The console and
  // ":semihosting-features" handles work as before. The number of host files the snapshot had
  // open is recorded; after load(), lost_host_files() says how many handles were invalidated.
  // The SYS_TMPNAM names stay this machine's own.
  void save(StateWriter& out) const;
  void load(StateReader& in);
  size_t lost_host_files() const { return lost_host_files_; }

 private:
  struct Handle {
    enum class Kind : uint8_t { HostFile, ConsoleIn, ConsoleOut, ConsoleErr, Features } kind;
    int fd = -1;            // HostFile
    uint64_t position = 0;  // Features
  };

  int64_t call(Hart& hart, uint64_t op, uint64_t arg);
  int64_t fail(int error);
  int64_t open(Hart& hart, uint64_t block);
  int64_t close(Hart& hart, uint64_t block);
  int64_t write(Hart& hart, uint64_t block);
  int64_t read(Hart& hart, uint64_t block);
  int64_t write0(Hart& hart, uint64_t address);
  int64_t is_tty(Hart& hart, uint64_t block);
  int64_t seek(Hart& hart, uint64_t block);
  int64_t flen(Hart& hart, uint64_t block);
  int64_t tmpnam(Hart& hart, uint64_t block);
  int64_t remove(Hart& hart, uint64_t block);
  int64_t rename(Hart& hart, uint64_t block);
  int64_t get_cmdline(Hart& hart, uint64_t block);
  int64_t heap_info(Hart& hart, uint64_t block);
  int64_t exit(Hart& hart, uint64_t block);
  int64_t elapsed(Hart& hart, uint64_t block);

  Handle* handle(uint64_t number);
  int64_t add_handle(Handle handle);

  // Guest strings given as (address, length) in a parameter block; false sets errno.
  bool guest_string(Hart& hart, uint64_t address, uint64_t length, std::string& out);
  // Host operations on guest paths under the path rules; -1 with errno_ set on failure.
  int open_path(const std::string& guest_path, int flags);
  int remove_path(const std::string& guest_path);
  int rename_path(const std::string& from, const std::string& to);
  // The path relative to the root under confinement, or nullopt if it escapes.
  std::optional<std::string> confined(const std::string& guest_path) const;
  int open_beneath(const std::string& relative, int flags, unsigned mode);
  int open_parent_beneath(const std::string& relative, std::string& leaf);

  SemihostingConfig config_;
  std::unique_ptr<ConsoleSink> own_console_;
  std::unique_ptr<ConsoleSource> own_input_;
  ConsoleSink& console_;
  ConsoleSource& input_;
  int root_fd_ = -1;
  std::vector<std::string> root_components_;  // of the canonical root, for absolute guest paths
  std::vector<std::optional<Handle>> handles_;  // handle number n is handles_[n - 1]
  int errno_ = 0;
  std::optional<int> exit_code_;
  std::chrono::steady_clock::time_point start_;
  uint64_t tmpnam_token_;  // makes this machine's SYS_TMPNAM names differ from other machines'
  size_t lost_host_files_ = 0;  // host files invalidated by load()
};

}  // namespace hartbox
