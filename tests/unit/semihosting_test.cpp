// Tests for devices/semihosting: a Hart in machine mode (bare addressing) with parameter blocks
// in RAM, the console captured in memory and files in a temporary directory.
#include "devices/semihosting.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch_test_macros.hpp>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace hartbox;
using namespace hartbox::semihosting_op;

namespace {

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRamSize = 1 << 20;
constexpr uint64_t kBad = 0x1000;  // not RAM: every access faults

// A private directory, "<mkdtemp>/dir", so that tests can also check what lands beside it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hartbox-semi-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    parent_ = std::filesystem::canonical(pattern);
    path_ = parent_ / "dir";
    std::filesystem::create_directory(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(parent_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path parent_, path_;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

size_t open_descriptors() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

struct Fixture {
  TempDir root;
  GuestRam ram{kRamBase, kRamSize};
  Bus bus{ram};
  Hart hart{bus, 0};
  StringConsoleSink console;
  StringConsoleSource input;
  std::vector<int> exits;
  std::unique_ptr<Semihosting> semi;
  uint64_t next_free = kRamBase + 0x10000;  // bump allocator for guest data

  explicit Fixture(std::function<void(SemihostingConfig&)> adjust = nullptr) {
    SemihostingConfig config;
    config.root = root.path().string();
    config.console = &console;
    config.input = &input;
    config.on_exit = [this](int status) { exits.push_back(status); };
    if (adjust) adjust(config);
    semi = std::make_unique<Semihosting>(std::move(config));
  }

  int64_t call(uint64_t op, uint64_t arg) {
    hart.x[10] = op;
    hart.x[11] = arg;
    semi->semihosting_call(hart);
    return static_cast<int64_t>(hart.x[10]);
  }
  uint64_t alloc(size_t bytes) {
    uint64_t at = next_free;
    next_free += (bytes + 15) & ~size_t{15};
    return at;
  }
  uint64_t put(const void* data, size_t len) {
    uint64_t at = alloc(len);
    ram.write(at, data, len);
    return at;
  }
  uint64_t string(const std::string& s) { return put(s.c_str(), s.size() + 1); }
  uint64_t block(std::vector<uint64_t> words) { return put(words.data(), words.size() * 8); }
  std::string read_guest(uint64_t address, size_t len) {
    std::string s(len, '\0');
    ram.read(address, s.data(), len);
    return s;
  }
  uint64_t word(uint64_t address) {
    uint64_t w;
    ram.read(address, &w, 8);
    return w;
  }
  int64_t errno_value() { return call(kErrno, 0); }

  int64_t open(const std::string& name, uint64_t mode) { return call(kOpen, block({string(name), mode, name.size()})); }
  int64_t close(int64_t handle) { return call(kClose, block({static_cast<uint64_t>(handle)})); }
  int64_t write(int64_t handle, const std::string& data) {
    return call(kWrite, block({static_cast<uint64_t>(handle), put(data.data(), data.size()), data.size()}));
  }
  // Returns (result, bytes read).
  std::pair<int64_t, std::string> read(int64_t handle, size_t len) {
    uint64_t buffer = alloc(len);
    int64_t r = call(kRead, block({static_cast<uint64_t>(handle), buffer, len}));
    size_t got = r >= 0 && static_cast<size_t>(r) <= len ? len - static_cast<size_t>(r) : 0;
    return {r, read_guest(buffer, got)};
  }
};

}  // namespace

TEST_CASE("semihosting console output: WRITEC, WRITE0 and :tt", "[semihosting]") {
  Fixture f;
  CHECK(f.call(kWriteC, f.string("x")) == 0);
  CHECK(f.call(kWrite0, f.string("hello\n")) == 0);
  // A string that crosses a page boundary.
  const std::string long_text(5000, 'L');
  const uint64_t page_end = kRamBase + 0x21000 - 10;
  f.ram.write(page_end, long_text.c_str(), long_text.size() + 1);
  CHECK(f.call(kWrite0, page_end) == 0);
  CHECK(f.console.output() == "xhello\n" + long_text);

  const int64_t out = f.open(":tt", 4);  // "w": stdout
  const int64_t err = f.open(":tt", 8);  // "a": stderr
  CHECK(out >= 1);
  CHECK(err >= 1);
  CHECK(out != err);
  CHECK(f.write(out, "to stdout") == 0);
  CHECK(f.write(err, "to stderr") == 0);
  CHECK(f.console.output() == "xhello\n" + long_text + "to stdout");
  CHECK(f.console.error_output() == "to stderr");
  CHECK(f.call(kIsTty, f.block({static_cast<uint64_t>(out)})) == 1);
  CHECK(f.call(kFlen, f.block({static_cast<uint64_t>(out)})) == 0);
  CHECK(f.call(kSeek, f.block({static_cast<uint64_t>(out), 0})) == -1);
  CHECK(f.errno_value() == ESPIPE);
  // Reading from an output stream is refused: all bytes "not read".
  CHECK(f.read(out, 4).first == 4);
  CHECK(f.errno_value() == EBADF);
}

TEST_CASE("semihosting console input: READC and READ from :tt", "[semihosting]") {
  Fixture f;
  f.input.append("ab");
  CHECK(f.call(kReadC, 0) == 'a');
  const int64_t in = f.open(":tt", 0);  // "r": stdin
  f.input.append("cdef");
  auto [not_read, bytes] = f.read(in, 10);
  CHECK(bytes == "bcdef");
  CHECK(not_read == 5);
  // Writing to the input stream is refused: all bytes "not written".
  CHECK(f.write(in, "xyz") == 3);
  CHECK(f.errno_value() == EBADF);
  // End of input.
  CHECK(f.call(kReadC, 0) == -1);
  CHECK(f.read(in, 4).first == 4);
}

TEST_CASE("semihosting files: write, read back, seek, length, close", "[semihosting]") {
  Fixture f;
  const int64_t w = f.open("data.txt", 4);  // "w"
  REQUIRE(w >= 1);
  CHECK(f.call(kIsTty, f.block({static_cast<uint64_t>(w)})) == 0);
  CHECK(f.errno_value() == ENOTTY);
  CHECK(f.write(w, "0123456789") == 0);
  CHECK(f.close(w) == 0);
  CHECK(slurp(f.root.file("data.txt")) == "0123456789");
  CHECK(f.close(w) == -1);  // already closed
  CHECK(f.errno_value() == EBADF);

  const int64_t r = f.open("data.txt", 1);  // "rb"
  REQUIRE(r >= 1);
  CHECK(f.call(kFlen, f.block({static_cast<uint64_t>(r)})) == 10);
  auto [left, bytes] = f.read(r, 4);
  CHECK(left == 0);
  CHECK(bytes == "0123");
  CHECK(f.call(kSeek, f.block({static_cast<uint64_t>(r), 8})) == 0);
  std::tie(left, bytes) = f.read(r, 16);  // only 2 bytes left: 14 not read
  CHECK(left == 14);
  CHECK(bytes == "89");
  std::tie(left, bytes) = f.read(r, 16);  // at the end
  CHECK(left == 16);
  CHECK(f.write(r, "no") == 2);  // read-only
  CHECK(f.errno_value() == EBADF);
  CHECK(f.close(r) == 0);

  const int64_t a = f.open("data.txt", 8);  // "a"
  CHECK(f.write(a, "+more") == 0);
  CHECK(f.close(a) == 0);
  CHECK(slurp(f.root.file("data.txt")) == "0123456789+more");

  const int64_t rw = f.open("data.txt", 2);  // "r+"
  CHECK(f.call(kSeek, f.block({static_cast<uint64_t>(rw), 2})) == 0);
  CHECK(f.write(rw, "AB") == 0);
  CHECK(f.close(rw) == 0);
  CHECK(slurp(f.root.file("data.txt")) == "01AB456789+more");

  const int64_t trunc = f.open("data.txt", 6);  // "w+": truncates
  std::tie(left, bytes) = f.read(trunc, 4);
  CHECK(left == 4);
  CHECK(f.close(trunc) == 0);
  CHECK(slurp(f.root.file("data.txt")).empty());
}

TEST_CASE("semihosting large transfers cross pages and host chunks", "[semihosting]") {
  Fixture f;
  std::string data(200000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
  const int64_t w = f.open("big.bin", 5);
  CHECK(f.write(w, data) == 0);
  f.close(w);
  CHECK(slurp(f.root.file("big.bin")) == data);
  const int64_t r = f.open("big.bin", 0);
  auto [left, bytes] = f.read(r, data.size());
  CHECK(left == 0);
  CHECK(bytes == data);
}

TEST_CASE("semihosting OPEN errors", "[semihosting]") {
  Fixture f;
  CHECK(f.open("missing.txt", 0) == -1);
  CHECK(f.errno_value() == ENOENT);
  CHECK(f.open("x", 12) == -1);
  CHECK(f.errno_value() == EINVAL);
  CHECK(f.call(kOpen, f.block({f.string(""), 0, 0})) == -1);
  CHECK(f.errno_value() == ENOENT);
  CHECK(f.call(kOpen, f.block({f.string("x"), 0, 5000})) == -1);
  CHECK(f.errno_value() == ENAMETOOLONG);
  // A length that counts the terminating NUL still opens the file.
  spit(f.root.file("n.txt"), "n");
  const int64_t h = f.call(kOpen, f.block({f.string("n.txt"), 0, 6}));
  CHECK(h >= 1);
  CHECK(f.close(h) == 0);
}

TEST_CASE("semihosting handles start at 1, are reused, and are limited", "[semihosting]") {
  Fixture f;
  CHECK(f.open(":tt", 0) == 1);
  CHECK(f.open(":tt", 4) == 2);
  CHECK(f.open(":tt", 8) == 3);
  CHECK(f.close(2) == 0);
  CHECK(f.open(":tt", 4) == 2);
  CHECK(f.close(0) == -1);
  CHECK(f.close(99) == -1);
  CHECK(f.semi->open_handles() == 3);
  for (int i = 3; i < 1024; ++i) REQUIRE(f.open(":tt", 4) >= 1);
  CHECK(f.open(":tt", 4) == -1);
  CHECK(f.errno_value() == EMFILE);
  spit(f.root.file("f.txt"), "f");
  CHECK(f.open("f.txt", 0) == -1);
  CHECK(f.errno_value() == EMFILE);
}

TEST_CASE("semihosting closes the guest's files when the machine goes away", "[semihosting]") {
  const size_t before = open_descriptors();
  {
    Fixture f;
    spit(f.root.file("f.txt"), "f");
    for (int i = 0; i < 10; ++i) REQUIRE(f.open("f.txt", 0) >= 1);
    CHECK(open_descriptors() >= before + 10);
  }
  CHECK(open_descriptors() == before);
}

TEST_CASE("semihosting :semihosting-features reports EXIT_EXTENDED and STDOUT_STDERR", "[semihosting]") {
  Fixture f;
  const int64_t h = f.open(":semihosting-features", 0);
  REQUIRE(h >= 1);
  CHECK(f.call(kFlen, f.block({static_cast<uint64_t>(h)})) == 5);
  auto [left, bytes] = f.read(h, 8);
  CHECK(left == 3);
  CHECK(bytes == std::string("SHFB\x03", 5));
  CHECK(f.call(kSeek, f.block({static_cast<uint64_t>(h), 4})) == 0);
  std::tie(left, bytes) = f.read(h, 1);
  CHECK(bytes == "\x03");
  CHECK(f.write(h, "x") == 1);
  CHECK(f.open(":semihosting-features", 4) == -1);
  CHECK(f.errno_value() == EACCES);
}

TEST_CASE("semihosting REMOVE, RENAME and TMPNAM", "[semihosting]") {
  Fixture f;
  spit(f.root.file("old.txt"), "content");
  auto rename = [&](const std::string& from, const std::string& to) {
    return f.call(kRename, f.block({f.string(from), from.size(), f.string(to), to.size()}));
  };
  auto remove = [&](const std::string& name) { return f.call(kRemove, f.block({f.string(name), name.size()})); };
  CHECK(rename("old.txt", "new.txt") == 0);
  CHECK(slurp(f.root.file("new.txt")) == "content");
  CHECK_FALSE(std::filesystem::exists(f.root.file("old.txt")));
  CHECK(rename("old.txt", "other.txt") == -1);
  CHECK(f.errno_value() == ENOENT);
  CHECK(remove("new.txt") == 0);
  CHECK_FALSE(std::filesystem::exists(f.root.file("new.txt")));
  CHECK(remove("new.txt") == -1);
  CHECK(f.errno_value() == ENOENT);

  const uint64_t buffer = f.alloc(64);
  CHECK(f.call(kTmpnam, f.block({buffer, 7, 64})) == 0);
  const std::string name = f.read_guest(buffer, 64).c_str();
  CHECK(name.find("hartbox-tmp-") == 0);
  CHECK(name.find('/') == std::string::npos);  // relative: lands in the root
  CHECK(f.call(kTmpnam, f.block({buffer, 8, 64})) == 0);
  CHECK(f.read_guest(buffer, 64).c_str() != name);  // another id, another name
  CHECK(f.call(kTmpnam, f.block({buffer, 7, 10})) == -1);
  CHECK(f.errno_value() == ERANGE);
  CHECK(f.call(kTmpnam, f.block({kBad, 7, 64})) == -1);
  CHECK(f.errno_value() == EFAULT);
  const int64_t h = f.open(name, 4);
  CHECK(h >= 1);
  CHECK(f.close(h) == 0);
  CHECK(std::filesystem::exists(f.root.path() / name));

  Fixture other;  // another machine gets other names for the same id
  const uint64_t other_buffer = other.alloc(64);
  CHECK(other.call(kTmpnam, other.block({other_buffer, 7, 64})) == 0);
  CHECK(other.read_guest(other_buffer, 64).c_str() != name);
}

TEST_CASE("semihosting clocks and time", "[semihosting]") {
  Fixture f;
  const int64_t c0 = f.call(kClock, 0);
  CHECK(c0 >= 0);
  CHECK(c0 < 100);  // the machine has just started
  const int64_t now = f.call(kTime, 0);
  CHECK(std::abs(now - static_cast<int64_t>(std::time(nullptr))) <= 2);
  CHECK(f.call(kTickFreq, 0) == 1000000000);
  const uint64_t t = f.alloc(8);
  CHECK(f.call(kElapsed, t) == 0);
  const uint64_t first = f.word(t);
  CHECK(f.call(kElapsed, t) == 0);
  CHECK(f.word(t) >= first);
  CHECK(f.call(kElapsed, kBad) == -1);
  CHECK(f.errno_value() == EFAULT);
  CHECK(f.call(kClock, 0) >= c0);
}

TEST_CASE("semihosting SYSTEM is refused and runs nothing", "[semihosting]") {
  Fixture f;
  const std::string command = "touch " + f.root.file("pwned");
  CHECK(f.call(kSystem, f.block({f.string(command), command.size()})) == -1);
  CHECK(f.errno_value() == EPERM);
  CHECK_FALSE(std::filesystem::exists(f.root.file("pwned")));
}

TEST_CASE("semihosting GET_CMDLINE and HEAPINFO report what the board configured", "[semihosting]") {
  Fixture f([](SemihostingConfig& c) {
    c.command_line = {"prog", "-v", "input.txt"};
    c.heap = {0x80100000, 0x80200000, 0x80300000, 0x80200000};
  });
  const uint64_t buffer = f.alloc(64);
  const uint64_t args = f.block({buffer, 64});
  CHECK(f.call(kGetCmdline, args) == 0);
  CHECK(f.read_guest(buffer, 18) == std::string("prog -v input.txt\0", 18));
  CHECK(f.word(args + 8) == 17);  // the length, without the NUL
  CHECK(f.call(kGetCmdline, f.block({buffer, 17})) == -1);
  CHECK(f.errno_value() == E2BIG);
  CHECK(f.call(kGetCmdline, f.block({kBad, 64})) == -1);
  CHECK(f.errno_value() == EFAULT);

  const uint64_t result = f.alloc(32);
  CHECK(f.call(kHeapInfo, f.block({result})) == 0);
  CHECK(f.word(result) == 0x80100000);
  CHECK(f.word(result + 8) == 0x80200000);
  CHECK(f.word(result + 16) == 0x80300000);
  CHECK(f.word(result + 24) == 0x80200000);

  Fixture unknown;  // nothing configured: zeros, and an empty command line
  const uint64_t r2 = unknown.alloc(32);
  unknown.ram.fill(r2, 0xaa, 32);
  CHECK(unknown.call(kHeapInfo, unknown.block({r2})) == 0);
  CHECK(unknown.word(r2) == 0);
  CHECK(unknown.word(r2 + 24) == 0);
  const uint64_t b2 = unknown.alloc(8);
  const uint64_t a2 = unknown.block({b2, 8});
  CHECK(unknown.call(kGetCmdline, a2) == 0);
  CHECK(unknown.word(a2 + 8) == 0);
  // picolibc passes the result block itself rather than a pointer to it; its first word (0)
  // is then taken as the pointer, which faults cleanly instead of writing to address 0.
  CHECK(unknown.call(kHeapInfo, unknown.block({0, 0, 0, 0})) == -1);
  CHECK(unknown.errno_value() == EFAULT);
}

TEST_CASE("semihosting EXIT and EXIT_EXTENDED", "[semihosting]") {
  SECTION("application exit passes the subcode") {
    Fixture f;
    f.call(kExit, f.block({kApplicationExit, 3}));
    CHECK(f.exits == std::vector<int>{3});
    CHECK(f.semi->exit_code() == 3);
    CHECK(f.hart.stop_requested());
  }
  SECTION("negative status") {
    Fixture f;
    f.call(kExit, f.block({kApplicationExit, static_cast<uint64_t>(-1)}));
    CHECK(f.exits == std::vector<int>{-1});
  }
  SECTION("any other reason exits with 1") {
    Fixture f;
    f.call(kExit, f.block({0x20023, 0}));  // ADP_Stopped_RunTimeErrorUnknown (picolibc's exit(n != 0))
    CHECK(f.exits == std::vector<int>{1});
    CHECK(f.hart.stop_requested());
  }
  SECTION("EXIT_EXTENDED") {
    Fixture f;
    f.call(kExitExtended, f.block({kApplicationExit, 7}));
    CHECK(f.exits == std::vector<int>{7});
  }
  SECTION("an unreadable block does not exit") {
    Fixture f;
    CHECK(f.call(kExit, kBad) == -1);
    CHECK(f.errno_value() == EFAULT);
    CHECK(f.exits.empty());
    CHECK_FALSE(f.hart.stop_requested());
    CHECK_FALSE(f.semi->exit_code().has_value());
  }
}

TEST_CASE("semihosting ISERROR", "[semihosting]") {
  Fixture f;
  CHECK(f.call(kIsError, f.block({static_cast<uint64_t>(-1)})) == 1);
  CHECK(f.call(kIsError, f.block({static_cast<uint64_t>(-5)})) == 1);
  CHECK(f.call(kIsError, f.block({0})) == 0);
  CHECK(f.call(kIsError, f.block({42})) == 0);
}

TEST_CASE("semihosting: bad guest pointers give -1 and EFAULT, never a host fault", "[semihosting]") {
  Fixture f;
  for (uint64_t op : {kOpen, kClose, kWrite, kRead, kIsError, kIsTty, kSeek, kFlen, kTmpnam, kRemove, kRename,
                      kGetCmdline, kHeapInfo, kExit, kExitExtended, kElapsed, kWriteC, kWrite0}) {
    INFO("operation " << op);
    CHECK(f.call(op, kBad) == -1);
    CHECK(f.errno_value() == EFAULT);
    CHECK(f.call(op, ~uint64_t{0} - 3) == -1);  // a block that would wrap around
    CHECK(f.errno_value() == EFAULT);
  }
  CHECK(f.exits.empty());

  // Bad pointers inside good blocks.
  CHECK(f.call(kOpen, f.block({kBad, 0, 4})) == -1);
  CHECK(f.errno_value() == EFAULT);
  CHECK(f.call(kOpen, f.block({kRamBase + kRamSize - 2, 0, 4})) == -1);  // runs off the end of RAM
  CHECK(f.errno_value() == EFAULT);
  CHECK(f.call(kRemove, f.block({kBad, 4})) == -1);
  CHECK(f.errno_value() == EFAULT);
  const int64_t out = f.open(":tt", 4);
  CHECK(f.call(kWrite, f.block({static_cast<uint64_t>(out), kBad, 10})) == 10);  // nothing written
  CHECK(f.errno_value() == EFAULT);
  CHECK(f.call(kWrite, f.block({static_cast<uint64_t>(out), ~uint64_t{0} - 4, 10})) == 10);
  CHECK(f.errno_value() == EFAULT);
  // A buffer whose second half is outside RAM: the first half is written.
  const uint64_t tail = kRamBase + kRamSize - 4;
  f.ram.write(tail, "abcd", 4);
  CHECK(f.call(kWrite, f.block({static_cast<uint64_t>(out), tail, 8})) == 4);
  CHECK(f.console.output() == "abcd");
  CHECK(f.errno_value() == EFAULT);

  spit(f.root.file("r.txt"), "0123456789");
  const int64_t r = f.open("r.txt", 0);
  CHECK(f.call(kRead, f.block({static_cast<uint64_t>(r), kBad, 4})) == 4);
  CHECK(f.errno_value() == EFAULT);
  // The bytes the guest could not take were given back: a good read gets them.
  auto [left, bytes] = f.read(r, 4);
  CHECK(left == 0);
  CHECK(bytes == "0123");
  CHECK(f.call(kWrite0, kRamBase + kRamSize - 3) == -1);  // "abcd" has no NUL before the end of RAM
  CHECK(f.errno_value() == EFAULT);
  CHECK(f.console.output() == "abcd");  // nothing more was printed... up to the fault
}

TEST_CASE("semihosting: unknown operations fail with ENOSYS", "[semihosting]") {
  Fixture f;
  CHECK(f.call(0x19, 0) == -1);  // SYS_SYNCCACHE: AArch64 only
  CHECK(f.errno_value() == ENOSYS);
  CHECK(f.call(0x100, 0) == -1);
  CHECK(f.call(0xffffffffffffffff, 0) == -1);
  CHECK(f.errno_value() == ENOSYS);
}

TEST_CASE("semihosting errno belongs to one machine", "[semihosting]") {
  Fixture a, b;
  CHECK(a.open("missing", 0) == -1);
  CHECK(b.open("x", 99) == -1);
  CHECK(a.errno_value() == ENOENT);
  CHECK(b.errno_value() == EINVAL);
  CHECK(a.semi->last_errno() == ENOENT);
}

TEST_CASE("semihosting paths without confinement", "[semihosting][paths]") {
  Fixture f;
  TempDir elsewhere;
  // Relative paths resolve against the root, not the process's current directory.
  const int64_t h = f.open("rel.txt", 4);
  CHECK(f.write(h, "r") == 0);
  f.close(h);
  CHECK(slurp(f.root.file("rel.txt")) == "r");
  // Absolute paths are used as given.
  const std::string absolute = elsewhere.file("abs.txt");
  const int64_t a = f.open(absolute, 4);
  REQUIRE(a >= 1);
  CHECK(f.write(a, "a") == 0);
  f.close(a);
  CHECK(slurp(absolute) == "a");
  // And so is "..".
  std::filesystem::create_directory(f.root.path() / "sub");
  spit(f.root.file("top.txt"), "top");
  const int64_t up = f.open("sub/../top.txt", 0);
  CHECK(up >= 1);
  f.close(up);
  CHECK(f.call(kRemove, f.block({f.string(absolute), absolute.size()})) == 0);
  CHECK_FALSE(std::filesystem::exists(absolute));
}

TEST_CASE("semihosting paths with confinement", "[semihosting][paths]") {
  for (bool without_symlinks : {false, true}) {
    INFO("confine_without_symlinks = " << without_symlinks);
    Fixture f([without_symlinks](SemihostingConfig& c) {
      c.confine = true;
      c.confine_without_symlinks = without_symlinks;
    });
    TempDir outside;
    spit(outside.file("secret.txt"), "secret");
    std::filesystem::create_directory(f.root.path() / "sub");
    spit(f.root.file("sub/inner.txt"), "inner");
    spit(f.root.file("top.txt"), "top");
    auto opens = [&](const std::string& name, uint64_t mode = 0) {
      const int64_t h = f.open(name, mode);
      if (h >= 1) f.close(h);
      return h >= 1;
    };
    auto refused = [&](const std::string& name, uint64_t mode = 0) {
      return f.open(name, mode) == -1 && f.errno_value() == EACCES;
    };

    CHECK(opens("top.txt"));
    CHECK(opens("sub/inner.txt"));
    CHECK(opens("./sub//inner.txt"));
    CHECK(opens("sub/../top.txt"));                            // stays inside: allowed
    CHECK(opens(f.root.file("sub/inner.txt")));                // absolute, inside the root
    CHECK(opens(f.root.file("sub/../top.txt")));
    CHECK(refused(outside.file("secret.txt")));                // absolute, outside
    CHECK(refused("/etc/passwd"));
    CHECK(refused("../secret.txt"));                           // climbs out
    CHECK(refused("sub/../../secret.txt"));
    CHECK(refused("../" + f.root.path().filename().string() + "/top.txt"));  // out and back in: still refused
    CHECK(refused(f.root.path().string() + "-evil/x.txt"));    // a sibling sharing the root's name as prefix
    CHECK(refused("../escape.txt", 4));                        // creating outside
    CHECK_FALSE(std::filesystem::exists(f.root.path().parent_path() / "escape.txt"));

    // A symbolic link that leads out of the root is refused either way.
    std::filesystem::create_symlink(outside.file("secret.txt"), f.root.path() / "link_out");
    std::filesystem::create_directory_symlink(outside.path(), f.root.path() / "dir_out");
    CHECK(refused("link_out"));
    CHECK(refused("dir_out/secret.txt"));
    CHECK(refused("dir_out/new.txt", 4));
    CHECK_FALSE(std::filesystem::exists(outside.file("new.txt")));
    // One that stays inside is followed by the kernel's RESOLVE_BENEATH, and refused without it.
    std::filesystem::create_symlink("top.txt", f.root.path() / "link_in");
    if (without_symlinks)
      CHECK(refused("link_in"));
    else
      CHECK(opens("link_in"));

    // REMOVE and RENAME follow the same rules.
    auto remove = [&](const std::string& name) { return f.call(kRemove, f.block({f.string(name), name.size()})); };
    auto rename = [&](const std::string& from, const std::string& to) {
      return f.call(kRename, f.block({f.string(from), from.size(), f.string(to), to.size()}));
    };
    CHECK(remove(outside.file("secret.txt")) == -1);
    CHECK(f.errno_value() == EACCES);
    CHECK(remove("../secret.txt") == -1);
    CHECK(remove("dir_out/secret.txt") == -1);
    CHECK(f.errno_value() == EACCES);
    CHECK(std::filesystem::exists(outside.file("secret.txt")));
    CHECK(remove(".") == -1);  // the root itself
    CHECK(f.errno_value() == EACCES);
    CHECK(rename("top.txt", "../stolen.txt") == -1);
    CHECK(f.errno_value() == EACCES);
    CHECK(rename(outside.file("secret.txt"), "mine.txt") == -1);
    CHECK(f.errno_value() == EACCES);
    CHECK(rename("top.txt", "sub/moved.txt") == 0);
    CHECK(slurp(f.root.file("sub/moved.txt")) == "top");
    CHECK(remove("link_out") == 0);  // removes the link, not its target
    CHECK(std::filesystem::exists(outside.file("secret.txt")));
    CHECK(remove("sub/moved.txt") == 0);
  }
}

TEST_CASE("semihosting refuses a root directory that does not exist", "[semihosting]") {
  SemihostingConfig config;
  config.root = "/nonexistent/hartbox/root";
  CHECK_THROWS_AS(Semihosting(config), std::runtime_error);
}
