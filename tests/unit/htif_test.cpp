// Tests for devices/htif: the HTIF words reached directly, through the Bus and through a Hart's
// loads and stores, with the console captured in memory.
#include "devices/htif.hpp"

#include <catch2/catch_test_macros.hpp>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/hart.hpp"

using namespace hartbox;

namespace {

constexpr uint64_t kRamBase = 0x80000000;
constexpr uint64_t kRamSize = 1 << 20;
// riscv-tests' layout: the words are 64 bytes apart in their own page.
constexpr uint64_t kToHost = kRamBase + 0x1000;
constexpr uint64_t kFromHost = kRamBase + 0x1040;
constexpr uint64_t kMagic = kRamBase + 0x8000;
constexpr uint64_t kBuffer = kRamBase + 0x9000;

constexpr uint64_t command(uint64_t device, uint64_t cmd, uint64_t payload) {
  return device << 56 | cmd << 48 | payload;
}

struct Machine {
  GuestRam ram{kRamBase, kRamSize};
  Bus bus{ram};
  StringConsoleSink console;
  StringConsoleSource input;
  std::vector<int> exits;
  Htif htif;

  explicit Machine(std::optional<uint64_t> fromhost = kFromHost, uint64_t tohost = kToHost)
      : htif(ram, tohost, fromhost, [this](int code) { exits.push_back(code); }, &console, &input) {
    htif.attach(bus);
  }

  void store(uint64_t paddr, unsigned size, uint64_t value) { REQUIRE(bus.write(paddr, size, value)); }
  uint64_t load(uint64_t paddr, unsigned size = 8) {
    uint64_t value = 0;
    REQUIRE(bus.read(paddr, size, value));
    return value;
  }
  void put_magic(std::vector<uint64_t> words) {
    words.resize(8);
    ram.write(kMagic, words.data(), 64);
  }
  int64_t magic_result() {
    int64_t r;
    ram.read(kMagic, &r, sizeof r);
    return r;
  }
};

}  // namespace

TEST_CASE("HTIF exit: payload 1 passes, (n << 1) | 1 fails test n", "[htif]") {
  Machine m;
  m.store(kToHost, 8, 1);
  REQUIRE(m.exits == std::vector<int>{0});
  CHECK(m.htif.exit_code() == 0);
  CHECK(m.load(kToHost) == 0);  // taken: the host clears tohost, as fesvr does
  CHECK(m.load(kFromHost) == 0);  // an exit gets no answer

  m.store(kToHost, 8, (5 << 1) | 1);
  CHECK(m.exits == std::vector<int>{0, 5});
  CHECK(m.htif.exit_code() == 5);
}

TEST_CASE("HTIF takes RV32-style halves: the command runs when the high half is written", "[htif]") {
  Machine m;
  m.store(kToHost, 4, (3 << 1) | 1);  // sw TESTNUM, tohost
  CHECK(m.exits.empty());
  CHECK(m.load(kToHost, 4) == 7);  // not taken yet: reads back
  m.store(kToHost + 4, 4, 0);      // sw zero, tohost + 4
  CHECK(m.exits == std::vector<int>{3});
  CHECK(m.load(kToHost) == 0);

  // A console command has its device and command in the high half.
  const uint64_t putchar = command(1, 1, 'Z');
  m.store(kToHost, 4, putchar & 0xffffffff);
  CHECK(m.console.output().empty());
  m.store(kToHost + 4, 4, putchar >> 32);
  CHECK(m.console.output() == "Z");
  // Either half of fromhost reads on its own.
  CHECK(m.load(kFromHost, 4) == 0x15a);
  CHECK(m.load(kFromHost + 4, 4) == 0x01010000);
  CHECK(m.load(kFromHost + 6, 2) == 0x0101);
  CHECK(m.load(kFromHost + 7, 1) == 0x01);
}

TEST_CASE("HTIF console putchar writes to the sink and answers through fromhost", "[htif]") {
  Machine m;
  m.store(kToHost, 8, command(1, 1, 'h'));
  CHECK(m.console.output() == "h");
  CHECK(m.load(kFromHost) == (command(1, 1, 0x100 | 'h')));

  // A second answer waits until the guest empties fromhost.
  m.store(kToHost, 8, command(1, 1, 'i'));
  CHECK(m.console.output() == "hi");
  CHECK(m.load(kFromHost) == command(1, 1, 0x100 | 'h'));
  m.store(kFromHost, 8, 0);
  CHECK(m.load(kFromHost) == command(1, 1, 0x100 | 'i'));
  m.store(kFromHost, 8, 0);
  CHECK(m.load(kFromHost) == 0);
  // Only the low byte of the payload is the character.
  m.store(kToHost, 8, command(1, 1, 0xabcd00 | '!'));
  CHECK(m.console.output() == "hi!");
}

TEST_CASE("HTIF console getchar stays pending until input arrives", "[htif]") {
  Machine m;
  m.input.append("xy");
  m.store(kToHost, 8, command(1, 0, 0));
  CHECK(m.load(kFromHost) == command(1, 0, 0x100 | 'x'));
  m.store(kFromHost, 8, 0);
  m.store(kToHost, 8, command(1, 0, 0));
  CHECK(m.load(kFromHost) == command(1, 0, 0x100 | 'y'));
  m.store(kFromHost, 8, 0);

  m.store(kToHost, 8, command(1, 0, 0));  // no input now: no answer yet
  CHECK(m.load(kFromHost) == 0);
  CHECK(m.load(kFromHost) == 0);
  m.input.append("z");
  CHECK(m.load(kFromHost) == command(1, 0, 0x100 | 'z'));  // the guest's next look gets it

  // Or the board's poll() delivers it.
  m.store(kFromHost, 8, 0);
  m.store(kToHost, 8, command(1, 0, 0));
  m.input.append("\xff");
  m.htif.poll();
  CHECK(m.htif.fromhost() == command(1, 0, 0x1ff));
}

TEST_CASE("HTIF syscall proxy: write to stdout and stderr", "[htif]") {
  Machine m;
  const std::string text = "hello, world\n";
  m.ram.write(kBuffer, text.data(), text.size());
  m.put_magic({64, 1, kBuffer, text.size()});
  m.store(kToHost, 8, command(0, 0, kMagic));
  CHECK(m.console.output() == text);
  CHECK(m.magic_result() == static_cast<int64_t>(text.size()));
  CHECK(m.load(kFromHost) == 1);
  m.store(kFromHost, 8, 0);

  m.put_magic({64, 2, kBuffer, 5});
  m.store(kToHost, 8, command(0, 0, kMagic));
  CHECK(m.console.error_output() == "hello");
  CHECK(m.magic_result() == 5);

  // A long write crosses pages and chunks.
  std::string big(10000, '.');
  big.back() = '$';
  m.ram.write(kBuffer + 100, big.data(), big.size());
  m.put_magic({64, 1, kBuffer + 100, big.size()});
  m.store(kFromHost, 8, 0);
  m.store(kToHost, 8, command(0, 0, kMagic));
  CHECK(m.console.output() == text + big);
  CHECK(m.magic_result() == 10000);
}

TEST_CASE("HTIF syscall proxy: errors come back as negative errno, never as a host fault", "[htif]") {
  Machine m;
  auto run = [&](std::vector<uint64_t> words) {
    m.put_magic(std::move(words));
    m.store(kFromHost, 8, 0);
    m.store(kToHost, 8, command(0, 0, kMagic));
    CHECK(m.load(kFromHost) == 1);
    return m.magic_result();
  };
  CHECK(run({12345, 0, 0, 0}) == -38);                      // ENOSYS
  CHECK(run({64, 3, kBuffer, 4}) == -9);                    // EBADF: only stdout and stderr
  CHECK(run({64, 1, 0x1000, 4}) == -14);                    // EFAULT: outside RAM
  CHECK(run({64, 1, kRamBase + kRamSize - 2, 4}) == -14);   // EFAULT: runs off the end
  CHECK(run({64, 1, ~uint64_t{0} - 1, 16}) == -14);         // EFAULT: wraps
  CHECK(run({64, 1, kBuffer, 0}) == 0);
  CHECK(m.console.output().empty());

  // Magic memory outside RAM: nothing to read or write, but the guest still gets its answer.
  m.store(kFromHost, 8, 0);
  m.store(kToHost, 8, command(0, 0, 0x2000));
  CHECK(m.load(kFromHost) == 1);
  m.store(kFromHost, 8, 0);
  m.store(kToHost, 8, command(0, 0, kRamBase + kRamSize - 32));
  CHECK(m.load(kFromHost) == 1);
}

TEST_CASE("HTIF syscall proxy: exit", "[htif]") {
  Machine m;
  m.put_magic({93, 42});
  m.store(kToHost, 8, command(0, 0, kMagic));
  CHECK(m.exits == std::vector<int>{42});
  CHECK(m.magic_result() == 0);
}

TEST_CASE("HTIF ignores unknown devices and commands", "[htif]") {
  Machine m;
  m.store(kToHost, 8, command(7, 0, 1));
  m.store(kToHost, 8, command(0, 5, 1));
  m.store(kToHost, 8, command(1, 0xff, 0));
  CHECK(m.exits.empty());
  CHECK(m.load(kToHost) == 0);
  CHECK(m.load(kFromHost) == 0);
  CHECK(m.console.output().empty());
}

TEST_CASE("HTIF answers wait in a bounded queue", "[htif]") {
  Machine m;
  for (int i = 0; i < 1000; ++i) m.store(kToHost, 8, command(1, 1, 'a'));
  CHECK(m.console.output() == std::string(1000, 'a'));
  CHECK(m.htif.dropped_answers() == 1000 - 1 - 64);
  int answers = 0;
  while (m.load(kFromHost) != 0) {
    ++answers;
    m.store(kFromHost, 8, 0);
  }
  CHECK(answers == 65);
}

TEST_CASE("HTIF without fromhost still prints and exits", "[htif]") {
  Machine m(std::nullopt);
  m.store(kToHost, 8, command(1, 1, 'k'));
  CHECK(m.console.output() == "k");
  m.store(kToHost, 8, 1);
  CHECK(m.exits == std::vector<int>{0});
  uint64_t value = 1;
  REQUIRE(m.bus.read(kFromHost, 8, value));  // plain RAM there
  CHECK(value == 0);
  CHECK(m.bus.mappings().size() == 1);
}

TEST_CASE("HTIF maps one window for adjacent words and two otherwise", "[htif]") {
  {
    Machine apart;
    REQUIRE(apart.bus.mappings().size() == 2);
    CHECK(apart.bus.mappings()[0].base == kToHost);
    CHECK(apart.bus.mappings()[0].size == 8);
    CHECK(apart.bus.mappings()[1].base == kFromHost);
    CHECK(apart.bus.mappings()[1].size == 8);
  }
  {
    Machine adjacent(kToHost + 8);
    REQUIRE(adjacent.bus.mappings().size() == 1);
    CHECK(adjacent.bus.mappings()[0].base == kToHost);
    CHECK(adjacent.bus.mappings()[0].size == 16);
    adjacent.store(kToHost, 8, command(1, 1, 'q'));
    CHECK(adjacent.load(kToHost + 8) == command(1, 1, 0x171));
  }
  {
    Machine reversed(kToHost - 8);  // fromhost first
    REQUIRE(reversed.bus.mappings().size() == 1);
    CHECK(reversed.bus.mappings()[0].base == kToHost - 8);
    reversed.store(kToHost, 8, command(1, 1, 'r'));
    CHECK(reversed.console.output() == "r");
    CHECK(reversed.load(kToHost - 8) == command(1, 1, 0x172));
    CHECK(reversed.load(kToHost) == 0);
  }
  // RAM around the words, in the same page, is still RAM.
  Machine m;
  m.store(kToHost + 8, 8, 0x1234);
  CHECK(m.load(kToHost + 8) == 0x1234);
  CHECK(m.exits.empty());
  CHECK_FALSE(m.bus.is_plain_ram_page(kToHost));
}

TEST_CASE("HTIF rejects misaligned or overlapping words", "[htif]") {
  GuestRam ram(kRamBase, kRamSize);
  StringConsoleSink console;
  StringConsoleSource input;
  auto make = [&](uint64_t tohost, std::optional<uint64_t> fromhost) {
    Htif htif(ram, tohost, fromhost, nullptr, &console, &input);
  };
  CHECK_THROWS_AS(make(kToHost + 4, kFromHost), std::invalid_argument);
  CHECK_THROWS_AS(make(kToHost, kFromHost + 1), std::invalid_argument);
  CHECK_THROWS_AS(make(kToHost, kToHost), std::invalid_argument);
  CHECK_THROWS_AS(make(~uint64_t{7}, std::nullopt), std::invalid_argument);
  CHECK_NOTHROW(make(kToHost, std::nullopt));
}

TEST_CASE("HTIF through a hart's loads and stores", "[htif]") {
  Machine m;
  Hart hart(m.bus, 0);
  // The page holding the words is never given to the TLB, so every access reaches the device.
  hart.store<uint64_t>(kToHost, command(1, 1, 'A'));
  hart.store<uint64_t>(kToHost, command(1, 1, 'B'));
  CHECK(m.console.output() == "AB");
  CHECK(hart.load<uint64_t>(kFromHost) == command(1, 1, 0x141));
  hart.store<uint64_t>(kFromHost, 0);
  CHECK(hart.load<uint64_t>(kFromHost) == command(1, 1, 0x142));
  hart.store<uint32_t>(kToHost, 3);  // RV32-style exit with code 1
  CHECK(m.exits.empty());
  hart.store<uint32_t>(kToHost + 4, 0);
  CHECK(m.exits == std::vector<int>{1});
  // RAM in the same page still works through the hart.
  hart.store<uint64_t>(kToHost + 0x100, 99);
  CHECK(hart.load<uint64_t>(kToHost + 0x100) == 99);
}
