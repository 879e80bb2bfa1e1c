#include "devices/semihosting.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <random>
#include <stdexcept>

#include "core/state_io.hpp"

namespace hartbox {

using namespace semihosting_op;

namespace {

constexpr size_t kMaxHandles = 1024;        // per machine; more opens fail with EMFILE
constexpr uint64_t kMaxPathLength = 4096;   // the host's PATH_MAX
constexpr size_t kChunk = 64 * 1024;        // host buffer for READ and WRITE
constexpr uint64_t kTicksPerSecond = 1'000'000'000;  // SYS_ELAPSED counts nanoseconds, as QEMU's

// The ":semihosting-features" file: magic "SHFB", then feature byte 0 with
// SH_EXT_EXIT_EXTENDED (bit 0) and SH_EXT_STDOUT_STDERR (bit 1).
constexpr char kFeatures[] = {'S', 'H', 'F', 'B', 0x03};

// Open modes 0-11 are fopen's r, rb, r+, r+b, w, wb, w+, w+b, a, ab, a+, a+b.
int open_flags(uint64_t mode) {
  static constexpr int kFlags[3][2] = {
      {O_RDONLY, O_RDWR},
      {O_WRONLY | O_CREAT | O_TRUNC, O_RDWR | O_CREAT | O_TRUNC},
      {O_WRONLY | O_CREAT | O_APPEND, O_RDWR | O_CREAT | O_APPEND},
  };
  return kFlags[mode / 4][(mode / 2) & 1];
}

bool read_word(Hart& hart, uint64_t block, unsigned index, uint64_t& out) {
  return hart.read_virtual(block + 8 * index, &out, sizeof out);
}

// True if [address, address + length) wraps around the top of the address space.
bool wraps(uint64_t address, uint64_t length) { return length != 0 && address + (length - 1) < address; }

// Copy page by page, stopping at the first page that faults; return the bytes copied.
size_t copy_from_guest(Hart& hart, uint64_t vaddr, char* dst, size_t len) {
  size_t done = 0;
  while (done < len) {
    const size_t n = std::min<size_t>(len - done, kPageSize - ((vaddr + done) & kPageMask));
    if (!hart.read_virtual(vaddr + done, dst + done, n)) break;
    done += n;
  }
  return done;
}

size_t copy_to_guest(Hart& hart, uint64_t vaddr, const char* src, size_t len) {
  size_t done = 0;
  while (done < len) {
    const size_t n = std::min<size_t>(len - done, kPageSize - ((vaddr + done) & kPageMask));
    if (!hart.write_virtual(vaddr + done, src + done, n)) break;
    done += n;
  }
  return done;
}

std::vector<std::string> components(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string part = path.substr(start, end - start);
    if (!part.empty() && part != ".") parts.push_back(std::move(part));
    start = end + 1;
  }
  return parts;
}

std::string join(const std::vector<std::string>& parts, size_t begin, size_t end, char separator) {
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) out += separator;
    out += parts[i];
  }
  return out;
}

int retry_open(int dirfd, const char* path, int flags, unsigned mode) {
  int fd;
  do fd = ::openat(dirfd, path, flags, mode);
  while (fd < 0 && errno == EINTR);
  return fd;
}

}  // namespace

Semihosting::Semihosting(SemihostingConfig config)
    : config_(std::move(config)),
      own_console_(config_.console ? nullptr : std::make_unique<StdoutConsoleSink>()),
      own_input_(config_.input ? nullptr : std::make_unique<StdinConsoleSource>()),
      console_(config_.console ? *config_.console : *own_console_),
      input_(config_.input ? *config_.input : *own_input_),
      start_(std::chrono::steady_clock::now()) {
  root_fd_ = retry_open(AT_FDCWD, config_.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (root_fd_ < 0)
    throw std::runtime_error("semihosting root directory " + config_.root + ": " + std::strerror(errno));
  std::error_code error;
  const std::filesystem::path canonical = std::filesystem::canonical(config_.root, error);
  if (error) {
    ::close(root_fd_);
    throw std::runtime_error("semihosting root directory " + config_.root + ": " + error.message());
  }
  root_components_ = components(canonical.string());
  std::random_device entropy;
  tmpnam_token_ = (uint64_t{entropy()} << 32) ^ entropy();
}

Semihosting::~Semihosting() {
  for (const auto& slot : handles_)
    if (slot && slot->fd >= 0) ::close(slot->fd);
  if (root_fd_ >= 0) ::close(root_fd_);
}

size_t Semihosting::open_handles() const {
  return static_cast<size_t>(
      std::count_if(handles_.begin(), handles_.end(), [](const auto& h) { return h.has_value(); }));
}

void Semihosting::semihosting_call(Hart& hart) {
  hart.x[10] = static_cast<uint64_t>(call(hart, hart.x[10], hart.x[11]));
}

int64_t Semihosting::fail(int error) {
  errno_ = error;
  return -1;
}

int64_t Semihosting::call(Hart& hart, uint64_t op, uint64_t arg) {
  switch (op) {
    case kOpen: return open(hart, arg);
    case kClose: return close(hart, arg);
    case kWriteC: {
      char ch;
      if (!hart.read_virtual(arg, &ch, 1)) return fail(EFAULT);
      console_.write(std::string_view(&ch, 1));
      return 0;
    }
    case kWrite0: return write0(hart, arg);
    case kWrite: return write(hart, arg);
    case kRead: return read(hart, arg);
    case kReadC: {
      char ch;
      if (input_.read({&ch, 1}, true) != 1) return -1;  // end of input
      return static_cast<uint8_t>(ch);
    }
    case kIsError: {
      uint64_t status;
      if (!read_word(hart, arg, 0, status)) return fail(EFAULT);
      return static_cast<int64_t>(status) < 0 ? 1 : 0;
    }
    case kIsTty: return is_tty(hart, arg);
    case kSeek: return seek(hart, arg);
    case kFlen: return flen(hart, arg);
    case kTmpnam: return tmpnam(hart, arg);
    case kRemove: return remove(hart, arg);
    case kRename: return rename(hart, arg);
    case kClock: {
      // Centiseconds since this machine's semihosting started, not the host process's CPU time
      // (QEMU's choice), which thousands of machines in one process would share.
      auto since = std::chrono::steady_clock::now() - start_;
      return std::chrono::duration_cast<std::chrono::milliseconds>(since).count() / 10;
    }
    case kTime: {
      const time_t now = ::time(nullptr);
      if (now == static_cast<time_t>(-1)) return fail(errno);
      return static_cast<int64_t>(now);
    }
    case kSystem: return fail(EPERM);  // a guest must never run host commands
    case kErrno: return errno_;
    case kGetCmdline: return get_cmdline(hart, arg);
    case kHeapInfo: return heap_info(hart, arg);
    case kExit:
    case kExitExtended: return exit(hart, arg);
    case kElapsed: return elapsed(hart, arg);
    case kTickFreq: return static_cast<int64_t>(kTicksPerSecond);
    default: return fail(ENOSYS);
  }
}

// --- Handles ------------------------------------------------------------------------------------

Semihosting::Handle* Semihosting::handle(uint64_t number) {
  if (number == 0 || number > handles_.size()) return nullptr;
  auto& slot = handles_[number - 1];
  return slot ? &*slot : nullptr;
}

int64_t Semihosting::add_handle(Handle h) {
  // Handles start at 1: the spec makes 0 no valid handle, and picolibc's fstat treats it as one.
  for (size_t i = 0; i < handles_.size(); ++i) {
    if (!handles_[i]) {
      handles_[i] = h;
      return static_cast<int64_t>(i + 1);
    }
  }
  if (handles_.size() >= kMaxHandles) {
    if (h.fd >= 0) ::close(h.fd);
    return fail(EMFILE);
  }
  handles_.push_back(h);
  return static_cast<int64_t>(handles_.size());
}

bool Semihosting::guest_string(Hart& hart, uint64_t address, uint64_t length, std::string& out) {
  if (length > kMaxPathLength) {
    fail(ENAMETOOLONG);
    return false;
  }
  out.assign(static_cast<size_t>(length), '\0');
  if (copy_from_guest(hart, address, out.data(), out.size()) != out.size()) {
    fail(EFAULT);
    return false;
  }
  // The length excludes the terminating NUL; a guest that counted it anyway still gets its name.
  out.resize(std::min(out.size(), out.find('\0')));
  if (out.empty()) {
    fail(ENOENT);
    return false;
  }
  return true;
}

int64_t Semihosting::open(Hart& hart, uint64_t block) {
  uint64_t name_address, mode, length;
  if (!read_word(hart, block, 0, name_address) || !read_word(hart, block, 1, mode) ||
      !read_word(hart, block, 2, length))
    return fail(EFAULT);
  if (mode >= 12) return fail(EINVAL);
  std::string name;
  if (!guest_string(hart, name_address, length, name)) return -1;
  using Kind = Handle::Kind;
  if (name == ":tt")  // r -> stdin, w -> stdout, a -> stderr (SH_EXT_STDOUT_STDERR)
    return add_handle({mode < 4 ? Kind::ConsoleIn : mode < 8 ? Kind::ConsoleOut : Kind::ConsoleErr});
  if (name == ":semihosting-features") {
    if (mode > 1) return fail(EACCES);  // read-only, as the spec requires
    return add_handle({Kind::Features});
  }
  if (open_handles() >= kMaxHandles) return fail(EMFILE);
  const int fd = open_path(name, open_flags(mode));
  if (fd < 0) return -1;
  return add_handle({Kind::HostFile, fd});
}

int64_t Semihosting::close(Hart& hart, uint64_t block) {
  uint64_t number;
  if (!read_word(hart, block, 0, number)) return fail(EFAULT);
  Handle* h = handle(number);
  if (!h) return fail(EBADF);
  const int fd = h->fd;
  handles_[number - 1].reset();
  if (fd >= 0 && ::close(fd) != 0 && errno != EINTR) return fail(errno);
  return 0;
}

int64_t Semihosting::write0(Hart& hart, uint64_t address) {
  // Like QEMU, print nothing of a string that runs into a fault before its NUL; only a string
  // longer than one host chunk is printed as it is found.
  std::string text;
  char page[kPageSize];
  for (;;) {
    const size_t n = static_cast<size_t>(kPageSize - (address & kPageMask));
    if (!hart.read_virtual(address, page, n)) return fail(EFAULT);
    const size_t len = static_cast<size_t>(std::find(page, page + n, '\0') - page);
    text.append(page, len);
    if (len < n) break;
    if (text.size() >= kChunk) {
      console_.write(text);
      text.clear();
    }
    address += n;
  }
  if (!text.empty()) console_.write(text);
  return 0;
}

int64_t Semihosting::write(Hart& hart, uint64_t block) {
  uint64_t number, buffer, length;
  if (!read_word(hart, block, 0, number) || !read_word(hart, block, 1, buffer) || !read_word(hart, block, 2, length))
    return fail(EFAULT);
  // From here on the result is the number of bytes not written.
  const auto not_written = [length](uint64_t done) { return static_cast<int64_t>(length - done); };
  Handle* h = handle(number);
  using Kind = Handle::Kind;
  if (!h || h->kind == Kind::ConsoleIn || h->kind == Kind::Features) {
    fail(EBADF);
    return not_written(0);
  }
  if (wraps(buffer, length)) {
    fail(EFAULT);
    return not_written(0);
  }
  std::vector<char> data(static_cast<size_t>(std::min<uint64_t>(length, kChunk)));
  uint64_t done = 0;
  while (done < length) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(length - done, data.size()));
    const size_t got = copy_from_guest(hart, buffer + done, data.data(), want);
    if (h->kind == Kind::ConsoleOut) {
      console_.write(std::string_view(data.data(), got));
    } else if (h->kind == Kind::ConsoleErr) {
      console_.write_error(std::string_view(data.data(), got));
    } else {
      size_t written = 0;
      while (written < got) {
        const ssize_t n = ::write(h->fd, data.data() + written, got - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
          fail(n < 0 ? errno : EIO);
          return not_written(done + written);
        }
        written += static_cast<size_t>(n);
      }
    }
    done += got;
    if (got < want) {
      fail(EFAULT);
      break;
    }
  }
  return not_written(done);
}

int64_t Semihosting::read(Hart& hart, uint64_t block) {
  uint64_t number, buffer, length;
  if (!read_word(hart, block, 0, number) || !read_word(hart, block, 1, buffer) || !read_word(hart, block, 2, length))
    return fail(EFAULT);
  // From here on the result is the number of bytes not read.
  const auto not_read = [length](uint64_t done) { return static_cast<int64_t>(length - done); };
  Handle* h = handle(number);
  using Kind = Handle::Kind;
  if (!h || h->kind == Kind::ConsoleOut || h->kind == Kind::ConsoleErr) {
    fail(EBADF);
    return not_read(0);
  }
  if (wraps(buffer, length)) {
    fail(EFAULT);
    return not_read(0);
  }
  if (length == 0) return 0;
  std::vector<char> data(static_cast<size_t>(std::min<uint64_t>(length, kChunk)));

  if (h->kind == Kind::ConsoleIn) {
    // One read, like a terminal's: whatever arrives first (a line, typically), at most `length`.
    const size_t n = input_.read(std::span<char>(data.data(), data.size()), true);
    const size_t copied = copy_to_guest(hart, buffer, data.data(), n);
    if (copied < n) fail(EFAULT);
    return not_read(copied);
  }
  if (h->kind == Kind::Features) {
    const uint64_t available = h->position < sizeof kFeatures ? sizeof kFeatures - h->position : 0;
    const size_t n = static_cast<size_t>(std::min(length, available));
    const size_t copied = copy_to_guest(hart, buffer, kFeatures + h->position, n);
    h->position += copied;
    if (copied < n) fail(EFAULT);
    return not_read(copied);
  }

  uint64_t done = 0;
  while (done < length) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(length - done, data.size()));
    const ssize_t n = ::read(h->fd, data.data(), want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      fail(errno);
      break;
    }
    if (n == 0) break;  // end of file
    const size_t got = static_cast<size_t>(n);
    const size_t copied = copy_to_guest(hart, buffer + done, data.data(), got);
    done += copied;
    if (copied < got) {
      // Give back what the guest could not take, so that a retry with a good buffer reads it.
      ::lseek(h->fd, -static_cast<off_t>(got - copied), SEEK_CUR);
      fail(EFAULT);
      break;
    }
    if (got < want) break;  // a short read: do not wait for more
  }
  return not_read(done);
}

int64_t Semihosting::is_tty(Hart& hart, uint64_t block) {
  uint64_t number;
  if (!read_word(hart, block, 0, number)) return fail(EFAULT);
  const Handle* h = handle(number);
  if (!h) return fail(EBADF);
  switch (h->kind) {
    case Handle::Kind::ConsoleIn:
    case Handle::Kind::ConsoleOut:
    case Handle::Kind::ConsoleErr: return 1;
    case Handle::Kind::Features: break;
    case Handle::Kind::HostFile:
      if (::isatty(h->fd)) return 1;
      break;
  }
  errno_ = ENOTTY;  // 0 with ENOTTY, as QEMU answers for a file
  return 0;
}

int64_t Semihosting::seek(Hart& hart, uint64_t block) {
  uint64_t number, position;
  if (!read_word(hart, block, 0, number) || !read_word(hart, block, 1, position)) return fail(EFAULT);
  Handle* h = handle(number);
  if (!h) return fail(EBADF);
  if (position > static_cast<uint64_t>(std::numeric_limits<off_t>::max())) return fail(EINVAL);
  switch (h->kind) {
    case Handle::Kind::HostFile:
      if (::lseek(h->fd, static_cast<off_t>(position), SEEK_SET) < 0) return fail(errno);
      return 0;
    case Handle::Kind::Features: h->position = position; return 0;
    default: return fail(ESPIPE);
  }
}

int64_t Semihosting::flen(Hart& hart, uint64_t block) {
  uint64_t number;
  if (!read_word(hart, block, 0, number)) return fail(EFAULT);
  const Handle* h = handle(number);
  if (!h) return fail(EBADF);
  switch (h->kind) {
    case Handle::Kind::HostFile: {
      struct stat st {};
      if (::fstat(h->fd, &st) != 0) return fail(errno);
      return static_cast<int64_t>(st.st_size);
    }
    case Handle::Kind::Features: return static_cast<int64_t>(sizeof kFeatures);
    default: return 0;  // a console has no length
  }
}

int64_t Semihosting::tmpnam(Hart& hart, uint64_t block) {
  uint64_t buffer, id, size;
  if (!read_word(hart, block, 0, buffer) || !read_word(hart, block, 1, id) || !read_word(hart, block, 2, size))
    return fail(EFAULT);
  // Relative, so the file lands in the root directory (and is allowed under confinement).
  char name[64];
  std::snprintf(name, sizeof name, "hartbox-tmp-%016llx-%02x", static_cast<unsigned long long>(tmpnam_token_),
                static_cast<unsigned>(id & 0xff));
  const size_t needed = std::strlen(name) + 1;
  if (needed > size) return fail(ERANGE);
  if (copy_to_guest(hart, buffer, name, needed) != needed) return fail(EFAULT);
  return 0;
}

int64_t Semihosting::remove(Hart& hart, uint64_t block) {
  uint64_t address, length;
  if (!read_word(hart, block, 0, address) || !read_word(hart, block, 1, length)) return fail(EFAULT);
  std::string name;
  if (!guest_string(hart, address, length, name)) return -1;
  return remove_path(name);
}

int64_t Semihosting::rename(Hart& hart, uint64_t block) {
  uint64_t from_address, from_length, to_address, to_length;
  if (!read_word(hart, block, 0, from_address) || !read_word(hart, block, 1, from_length) ||
      !read_word(hart, block, 2, to_address) || !read_word(hart, block, 3, to_length))
    return fail(EFAULT);
  std::string from, to;
  if (!guest_string(hart, from_address, from_length, from) || !guest_string(hart, to_address, to_length, to)) return -1;
  return rename_path(from, to);
}

int64_t Semihosting::get_cmdline(Hart& hart, uint64_t block) {
  uint64_t buffer, size;
  if (!read_word(hart, block, 0, buffer) || !read_word(hart, block, 1, size)) return fail(EFAULT);
  const std::string line = join(config_.command_line, 0, config_.command_line.size(), ' ');
  if (line.size() + 1 > size) return fail(E2BIG);
  if (copy_to_guest(hart, buffer, line.c_str(), line.size() + 1) != line.size() + 1) return fail(EFAULT);
  const uint64_t length = line.size();
  if (!hart.write_virtual(block + 8, &length, sizeof length)) return fail(EFAULT);
  return 0;
}

int64_t Semihosting::heap_info(Hart& hart, uint64_t block) {
  // The parameter block holds a pointer to the four-word result block (Arm semihosting spec).
  uint64_t result;
  if (!read_word(hart, block, 0, result)) return fail(EFAULT);
  const uint64_t words[4] = {config_.heap.heap_base, config_.heap.heap_limit, config_.heap.stack_base,
                             config_.heap.stack_limit};
  if (!hart.write_virtual(result, words, sizeof words)) return fail(EFAULT);
  return 0;
}

int64_t Semihosting::exit(Hart& hart, uint64_t block) {
  // On RV64, SYS_EXIT takes a block [reason, subcode] like SYS_EXIT_EXTENDED (as on AArch64).
  uint64_t reason, subcode;
  if (!read_word(hart, block, 0, reason) || !read_word(hart, block, 1, subcode)) return fail(EFAULT);
  const int status = reason == kApplicationExit ? static_cast<int>(static_cast<uint32_t>(subcode)) : 1;
  exit_code_ = status;
  hart.request_stop();
  if (config_.on_exit) config_.on_exit(status);
  return 0;
}

int64_t Semihosting::elapsed(Hart& hart, uint64_t block) {
  const auto since = std::chrono::steady_clock::now() - start_;
  const uint64_t ticks = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(since).count());
  if (!hart.write_virtual(block, &ticks, sizeof ticks)) return fail(EFAULT);
  return 0;
}

// --- Host paths ---------------------------------------------------------------------------------

std::optional<std::string> Semihosting::confined(const std::string& guest_path) const {
  const bool absolute = guest_path.front() == '/';
  std::vector<std::string> parts;
  for (std::string& part : components(guest_path)) {
    if (part != "..") {
      parts.push_back(std::move(part));
    } else if (!parts.empty()) {
      parts.pop_back();
    } else if (!absolute) {
      return std::nullopt;  // climbs out of the root
    }  // "/.." is "/"
  }
  if (absolute) {
    if (parts.size() < root_components_.size() ||
        !std::equal(root_components_.begin(), root_components_.end(), parts.begin()))
      return std::nullopt;
    parts.erase(parts.begin(), parts.begin() + static_cast<std::ptrdiff_t>(root_components_.size()));
  }
  return join(parts, 0, parts.size(), '/');
}

int Semihosting::open_beneath(const std::string& relative, int flags, unsigned mode) {
  const std::string target = relative.empty() ? "." : relative;
  if (!config_.confine_without_symlinks) {
    open_how how{};
    how.flags = static_cast<uint64_t>(static_cast<unsigned>(flags));
    how.mode = mode;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd;
    do fd = ::syscall(SYS_openat2, root_fd_, target.c_str(), &how, sizeof how);
    while (fd < 0 && errno == EINTR);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno != ENOSYS) {
      errno_ = errno == EXDEV ? EACCES : errno;  // EXDEV: resolution would leave the root
      return -1;
    }
    // No openat2 on this kernel: walk the path ourselves, following no symbolic link.
  }
  const std::vector<std::string> parts = components(relative);
  int dir = root_fd_;
  // A symbolic link met on the way is refused as an escape would be.
  auto failed = [&](const std::string& part) {
    int error = errno;
    struct stat st {};
    if (error == ELOOP || (error == ENOTDIR && ::fstatat(dir, part.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                           S_ISLNK(st.st_mode)))
      error = EACCES;
    if (dir != root_fd_) ::close(dir);
    errno_ = error;
    return -1;
  };
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    const int next = retry_open(dir, parts[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
    if (next < 0) return failed(parts[i]);
    if (dir != root_fd_) ::close(dir);
    dir = next;
  }
  const std::string last = parts.empty() ? "." : parts.back();
  const int fd = retry_open(dir, last.c_str(), flags | O_NOFOLLOW, mode);
  if (fd < 0) return failed(last);
  if (dir != root_fd_) ::close(dir);
  return fd;
}

int Semihosting::open_path(const std::string& guest_path, int flags) {
  const unsigned mode = (flags & O_CREAT) ? 0644 : 0;
  flags |= O_CLOEXEC | O_NOCTTY;
  if (!config_.confine) {
    // openat with the root as its directory: relative paths resolve there, absolute ones as given.
    const int fd = retry_open(root_fd_, guest_path.c_str(), flags, mode);
    if (fd < 0) errno_ = errno;
    return fd;
  }
  const std::optional<std::string> relative = confined(guest_path);
  if (!relative) {
    errno_ = EACCES;
    return -1;
  }
  return open_beneath(*relative, flags, mode);
}

int Semihosting::open_parent_beneath(const std::string& relative, std::string& leaf) {
  const std::vector<std::string> parts = components(relative);
  if (parts.empty()) {  // the root itself
    errno_ = EACCES;
    return -1;
  }
  leaf = parts.back();
  return open_beneath(join(parts, 0, parts.size() - 1, '/'), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
}

int Semihosting::remove_path(const std::string& guest_path) {
  if (!config_.confine) {
    if (::unlinkat(root_fd_, guest_path.c_str(), 0) != 0) return static_cast<int>(fail(errno));
    return 0;
  }
  const std::optional<std::string> relative = confined(guest_path);
  if (!relative) return static_cast<int>(fail(EACCES));
  std::string leaf;
  const int dir = open_parent_beneath(*relative, leaf);
  if (dir < 0) return -1;
  const int result = ::unlinkat(dir, leaf.c_str(), 0);
  const int error = errno;
  ::close(dir);
  return result == 0 ? 0 : static_cast<int>(fail(error));
}

int Semihosting::rename_path(const std::string& from, const std::string& to) {
  if (!config_.confine) {
    if (::renameat(root_fd_, from.c_str(), root_fd_, to.c_str()) != 0) return static_cast<int>(fail(errno));
    return 0;
  }
  const std::optional<std::string> from_relative = confined(from), to_relative = confined(to);
  if (!from_relative || !to_relative) return static_cast<int>(fail(EACCES));
  std::string from_leaf, to_leaf;
  const int from_dir = open_parent_beneath(*from_relative, from_leaf);
  if (from_dir < 0) return -1;
  const int to_dir = open_parent_beneath(*to_relative, to_leaf);
  if (to_dir < 0) {
    ::close(from_dir);
    return -1;
  }
  const int result = ::renameat(from_dir, from_leaf.c_str(), to_dir, to_leaf.c_str());
  const int error = errno;
  ::close(from_dir);
  ::close(to_dir);
  return result == 0 ? 0 : static_cast<int>(fail(error));
}

// --- Snapshots ------------------------------------------------------------------------------------

void Semihosting::save(StateWriter& out) const {
  out.begin_section(state_tag("SEMI"));
  size_t host_files = 0;
  for (const auto& slot : handles_)
    if (slot && slot->kind == Handle::Kind::HostFile) ++host_files;
  out.u64(host_files);
  out.u64(handles_.size());
  for (const auto& slot : handles_) {
    out.boolean(slot.has_value());
    out.u8(slot ? static_cast<uint8_t>(slot->kind) : 0);
    out.u64(slot ? slot->position : 0);
  }
  out.u32(static_cast<uint32_t>(errno_));
  out.boolean(exit_code_.has_value());
  out.u32(static_cast<uint32_t>(exit_code_.value_or(0)));
  const auto elapsed = std::chrono::steady_clock::now() - start_;
  out.u64(static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count()));
  out.end_section();
}

void Semihosting::load(StateReader& in) {
  in.begin_section(state_tag("SEMI"));
  const uint64_t host_files = in.count(kMaxHandles, "open host files");
  std::vector<std::optional<Handle>> handles(static_cast<size_t>(in.count(kMaxHandles, "semihosting handles")));
  size_t lost = 0;
  for (auto& slot : handles) {
    const bool present = in.boolean();
    const uint8_t kind = in.u8();
    const uint64_t position = in.u64();
    if (!present) continue;
    in.expect(kind <= static_cast<uint8_t>(Handle::Kind::Features), "corrupted: semihosting handle kind " +
                                                                          std::to_string(kind));
    slot = Handle{static_cast<Handle::Kind>(kind), -1, position};
    if (slot->kind == Handle::Kind::HostFile) ++lost;  // fd -1: every operation gets EBADF
  }
  in.expect(lost == host_files, "corrupted: the semihosting handle table disagrees with its count of host files");
  const auto error = static_cast<int>(in.u32());
  const bool exited = in.boolean();
  const auto code = static_cast<int>(in.u32());
  const uint64_t elapsed_ns = in.u64();
  in.end_section();
  for (const auto& slot : handles_)
    if (slot && slot->fd >= 0) ::close(slot->fd);
  handles_ = std::move(handles);
  lost_host_files_ = lost;
  errno_ = error;
  exit_code_ = exited ? std::optional<int>(code) : std::nullopt;
  start_ = std::chrono::steady_clock::now() -
           std::chrono::duration_cast<std::chrono::steady_clock::duration>(
               std::chrono::nanoseconds(static_cast<int64_t>(std::min<uint64_t>(elapsed_ns, INT64_MAX))));
}

}  // namespace hartbox
