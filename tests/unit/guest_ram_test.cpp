// GuestRam: pages on first touch from blocks mapped as the RAM grows, copy-on-write sharing
// between machines, and blocks that outlive the RAM they came from while a clone holds a page.
#include "core/guest_ram.hpp"

#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <memory>
#include <vector>

using namespace hartbox;

namespace {
constexpr uint64_t kBase = 0x8000'0000;
constexpr uint64_t kSize = uint64_t{8} << 20;  // 2,048 pages: several blocks, four chunks
}  // namespace

TEST_CASE("GuestRam: every page starts as zeros and keeps what is written, across blocks", "[guest_ram]") {
  GuestRam ram(kBase, kSize);
  CHECK(ram.resident_pages() == 0);
  CHECK(ram.page_if_resident(kBase) == nullptr);

  // Touch every page (more than the first blocks hold), each with its own pattern.
  const uint64_t pages = kSize / kPageSize;
  for (uint64_t i = 0; i < pages; ++i) {
    const uint64_t at = kBase + i * kPageSize;
    std::vector<uint8_t> before(kPageSize, 0xff);
    ram.read(at, before.data(), before.size());
    CHECK(before == std::vector<uint8_t>(kPageSize, 0));  // fresh, never somebody else's bytes
    const uint64_t value = i * 0x9e3779b97f4a7c15u;
    ram.write(at + 8 * (i % 512), &value, sizeof value);
  }
  CHECK(ram.resident_pages() == pages);
  for (uint64_t i = 0; i < pages; ++i) {
    uint64_t value = 0;
    ram.read(kBase + i * kPageSize + 8 * (i % 512), &value, sizeof value);
    REQUIRE(value == i * 0x9e3779b97f4a7c15u);
  }
  // Distinct pages never alias.
  CHECK(ram.host(kBase) != ram.host(kBase + kPageSize));
}

TEST_CASE("GuestRam: copy-on-write between two RAMs, and a template's pages outlive it", "[guest_ram]") {
  auto templ = std::make_unique<GuestRam>(kBase, kSize);
  const uint32_t marks[] = {0x11111111, 0x22222222, 0x33333333};
  for (uint32_t i = 0; i < 3; ++i) templ->write(kBase + i * kPageSize, &marks[i], sizeof marks[i]);

  GuestRam clone(kBase, kSize);
  clone.write(kBase + 100 * kPageSize, &marks[0], sizeof marks[0]);  // dropped by the sharing
  clone.share_pages_from(*templ);
  CHECK(clone.resident_pages() == 3);
  CHECK(clone.shared_pages() == 3);
  CHECK(templ->shared_pages() == 3);
  CHECK(clone.page(kBase) == templ->page(kBase));  // reads share
  uint32_t word = 1;
  clone.read(kBase + 100 * kPageSize, &word, sizeof word);
  CHECK(word == 0);

  // A write on either side copies the page for that side only.
  const uint32_t changed = 0xabcdef01;
  clone.write(kBase, &changed, sizeof changed);
  CHECK(clone.page(kBase) != templ->page(kBase));
  templ->read(kBase, &word, sizeof word);
  CHECK(word == marks[0]);
  clone.read(kBase, &word, sizeof word);
  CHECK(word == changed);
  CHECK(clone.shared_pages() == 2);
  templ->write(kBase + kPageSize, &changed, sizeof changed);
  clone.read(kBase + kPageSize, &word, sizeof word);
  CHECK(word == marks[1]);

  // The template goes; the clone still reads the page it shared from the template's block.
  templ.reset();
  clone.read(kBase + 2 * kPageSize, &word, sizeof word);
  CHECK(word == marks[2]);
  CHECK(clone.shared_pages() == 0);  // nobody else holds it now: written in place
  const uint8_t* before = clone.page(kBase + 2 * kPageSize);
  clone.write(kBase + 2 * kPageSize, &changed, sizeof changed);
  CHECK(clone.page(kBase + 2 * kPageSize) == before);
}

TEST_CASE("GuestRam: the page limit counts resident pages", "[guest_ram]") {
  GuestRam ram(kBase, kSize);
  ram.set_page_limit(2);
  const uint8_t one = 1;
  ram.write(kBase, &one, 1);
  ram.write(kBase + kPageSize, &one, 1);
  CHECK_THROWS_AS(ram.write(kBase + 2 * kPageSize, &one, 1), MemoryLimitExceeded);
  CHECK(ram.resident_pages() == 2);
}
