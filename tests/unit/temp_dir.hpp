// A private temporary directory for one test, removed with everything in it when the test ends.
// Owned by the test that creates it; not shared between threads while files are being written.
#pragma once

#include <stdlib.h>  // mkdtemp

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace hartbox::test {

class TempDir {
 public:
  // `prefix` names the directory (hartbox-PREFIX-XXXXXX under the system's temporary directory).
  explicit TempDir(std::string_view prefix = "test") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / ("hartbox-" + std::string(prefix) + "-XXXXXX")).string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `bytes` to the file `name` in this directory (replacing it); returns its path.
  std::string file(const std::string& name, std::string_view bytes) const {
    const std::string p = (path_ / name).string();
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + p);
    return p;
  }
  std::string file(const std::string& name, const std::vector<uint8_t>& bytes) const {
    return file(name, std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }

 private:
  std::filesystem::path path_;
};

}  // namespace hartbox::test
