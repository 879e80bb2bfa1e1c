// What every fuzz target shares: reporting a finding, files in memory for code that takes a path,
// and a check that nothing but the expected error type leaves the code under test.
//
// A finding is a crash: libFuzzer saves the input (crash-<sha1>) and stops. Sanitizer reports
// (AddressSanitizer, UndefinedBehaviorSanitizer with -fno-sanitize-recover) end the run the same
// way. Everything here belongs to the one thread that runs LLVMFuzzerTestOneInput; nothing is
// global.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

namespace hartbox::fuzz {

// Reports a finding on stderr and aborts, so that libFuzzer keeps the input.
[[noreturn]] inline void finding(std::string_view what) {
  std::fprintf(stderr, "\n==== FUZZ FINDING ====\n%.*s\n======================\n", static_cast<int>(what.size()),
               what.data());
  std::fflush(stderr);
  std::abort();
}

inline void require(bool condition, std::string_view what) {
  if (!condition) finding(what);
}

// A file that lives in memory (memfd_create), reachable by path as /proc/self/fd/N, for code
// that opens files by name (ELF loader, disk images). Closed when destroyed.
class MemFile {
 public:
  explicit MemFile(const char* name) : fd_(::memfd_create(name, MFD_CLOEXEC)) {
    if (fd_ < 0) finding(std::string("memfd_create failed: errno ") + std::to_string(errno));
  }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  ~MemFile() { ::close(fd_); }

  void write_all(std::span<const uint8_t> bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      if (n <= 0) finding("memfd write failed");
      done += static_cast<size_t>(n);
    }
  }
  void resize(uint64_t bytes) {
    if (::ftruncate(fd_, static_cast<off_t>(bytes)) != 0) finding("memfd ftruncate failed");
  }
  int fd() const { return fd_; }
  std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

 private:
  int fd_;
};

}  // namespace hartbox::fuzz
