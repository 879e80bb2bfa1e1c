// A machine's console as its host services see it: where guest output goes (ConsoleSink) and
// where guest input comes from (ConsoleSource). HTIF's console device and semihosting's ":tt"
// streams both write here, so one machine's output stays in one place, in order.
//
// Each machine owns its sink and source (or is handed ones the board owns); nothing here is
// shared between machines except the host's own stdin/stdout/stderr that the default
// implementations use. A sink or source is called from the thread that runs the machine's hart;
// the String* implementations also let another thread read what was captured.
#pragma once

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <span>
#include <string>
#include <string_view>

namespace hartbox {

class ConsoleSink {
 public:
  virtual ~ConsoleSink() = default;
  // Guest bytes for the console (not necessarily text, not necessarily a whole line).
  virtual void write(std::string_view bytes) = 0;
  // The guest's error stream (semihosting ":tt" opened for append). The console by default.
  virtual void write_error(std::string_view bytes) { write(bytes); }
};

class ConsoleSource {
 public:
  virtual ~ConsoleSource() = default;
  // Copies up to `out.size()` bytes of input into `out` and returns how many. With `wait` false
  // it never blocks and 0 means "nothing yet"; with `wait` true it blocks until at least one byte
  // is there, and 0 means the input has ended.
  virtual size_t read(std::span<char> out, bool wait) = 0;
};

// The host's stdout (and stderr for write_error), flushed after every write so that guest output
// interleaves in order with the emulator's own messages, whether those go through stdio,
// iostreams (synchronised with stdio by default) or straight to stderr.
class StdoutConsoleSink final : public ConsoleSink {
 public:
  void write(std::string_view bytes) override { put(stdout, bytes); }
  void write_error(std::string_view bytes) override { put(stderr, bytes); }

 private:
  static void put(std::FILE* stream, std::string_view bytes) {
    if (bytes.empty()) return;
    std::fwrite(bytes.data(), 1, bytes.size(), stream);
    std::fflush(stream);
  }
};

// The host's stdin (file descriptor 0), read without stdio buffering so that a non-blocking
// poll sees exactly what is pending.
class StdinConsoleSource final : public ConsoleSource {
 public:
  size_t read(std::span<char> out, bool wait) override {
    if (out.empty() || ended_) return 0;
    if (!wait) {
      pollfd pfd{STDIN_FILENO, POLLIN, 0};
      int ready;
      do ready = ::poll(&pfd, 1, 0);
      while (ready < 0 && errno == EINTR);
      if (ready <= 0) return 0;
    }
    ssize_t n;
    do n = ::read(STDIN_FILENO, out.data(), out.size());
    while (n < 0 && errno == EINTR);
    if (n <= 0) {
      // End of input, or an error that will not go away (EBADF when stdin is closed).
      ended_ = true;
      return 0;
    }
    return static_cast<size_t>(n);
  }

 private:
  bool ended_ = false;
};

// Captures output in memory: for tests, and for a manager that keeps each machine's console.
class StringConsoleSink final : public ConsoleSink {
 public:
  void write(std::string_view bytes) override {
    std::lock_guard lock(mutex_);
    out_.append(bytes);
  }
  void write_error(std::string_view bytes) override {
    std::lock_guard lock(mutex_);
    err_.append(bytes);
  }
  std::string output() const {
    std::lock_guard lock(mutex_);
    return out_;
  }
  std::string error_output() const {
    std::lock_guard lock(mutex_);
    return err_;
  }

 private:
  mutable std::mutex mutex_;
  std::string out_, err_;
};

// Input given in advance (tests, scripted sessions). More can be appended while the machine runs.
// Once it is used up, a waiting read reports the end of input.
class StringConsoleSource final : public ConsoleSource {
 public:
  StringConsoleSource() = default;
  explicit StringConsoleSource(std::string_view input) : input_(input) {}
  void append(std::string_view more) {
    std::lock_guard lock(mutex_);
    input_.append(more);
  }
  size_t read(std::span<char> out, bool /*wait*/) override {
    std::lock_guard lock(mutex_);
    size_t n = std::min(out.size(), input_.size() - position_);
    std::memcpy(out.data(), input_.data() + position_, n);
    position_ += n;
    return n;
  }

 private:
  std::mutex mutex_;
  std::string input_;
  size_t position_ = 0;
};

}  // namespace hartbox
