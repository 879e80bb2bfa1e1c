// Console sinks for `--console file:PATH` and `--console none`.
#pragma once

#include <cstdio>
#include <stdexcept>
#include <string>

#include "devices/console.hpp"

namespace hartbox {

// Guest console output appended to a file (flushed after every write, so it can be followed).
class FileConsoleSink final : public ConsoleSink {
 public:
  explicit FileConsoleSink(const std::string& path) : file_(std::fopen(path.c_str(), "wb")) {
    if (!file_) throw std::runtime_error(path + ": cannot open console file for writing");
  }
  ~FileConsoleSink() override { std::fclose(file_); }
  FileConsoleSink(const FileConsoleSink&) = delete;
  FileConsoleSink& operator=(const FileConsoleSink&) = delete;
  void write(std::string_view bytes) override {
    std::fwrite(bytes.data(), 1, bytes.size(), file_);
    std::fflush(file_);
  }

 private:
  std::FILE* file_;
};

// Guest console output thrown away.
class NullConsoleSink final : public ConsoleSink {
 public:
  void write(std::string_view) override {}
};

}  // namespace hartbox
