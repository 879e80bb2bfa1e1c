// Tests for devices/plic: expectations from the RISC-V PLIC spec 1.0.0 and from QEMU's
// hw/intc/sifive_plic.c as the `virt` board configures it (96 sources, 7 priority levels,
// contexts in the "MS" layout).
#include "devices/plic.hpp"

#include <catch2/catch_test_macros.hpp>

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "core/bus.hpp"
#include "core/guest_ram.hpp"
#include "core/hart.hpp"

using namespace hartbox;

namespace {

constexpr uint64_t kPending = 0x1000;
constexpr uint64_t priority_reg(unsigned source) { return 4ull * source; }
constexpr uint64_t enable_reg(unsigned context, unsigned word) { return 0x2000 + 0x80ull * context + 4ull * word; }
constexpr uint64_t threshold_reg(unsigned context) { return 0x200000 + 0x1000ull * context; }
constexpr uint64_t claim_reg(unsigned context) { return 0x200004 + 0x1000ull * context; }

// Two harts on a small bus, and a PLIC wired to them.
struct Board {
  GuestRam ram{0x8000'0000, 0x10000};
  Bus bus{ram};
  Hart hart0{bus, 0};
  Hart hart1{bus, 1};
  Plic plic{{&hart0, &hart1}};

  uint32_t rd(uint64_t offset) {
    uint64_t value = 0xdead'beef'dead'beef;
    REQUIRE(plic.read(offset, 4, value));
    return static_cast<uint32_t>(value);
  }
  void wr(uint64_t offset, uint32_t value) { REQUIRE(plic.write(offset, 4, value)); }
  uint32_t claim(unsigned context) { return rd(claim_reg(context)); }
  void complete(unsigned context, uint32_t source) { wr(claim_reg(context), source); }
  void enable(unsigned context, unsigned source) {
    const uint64_t reg = enable_reg(context, source / 32);
    wr(reg, rd(reg) | (uint32_t{1} << (source % 32)));
  }
  bool meip(const Hart& hart) const { return (hart.mip() & irq::MEIP) != 0; }
  bool seip(const Hart& hart) const { return (hart.mip() & irq::SEIP) != 0; }
};

}  // namespace

TEST_CASE("plic: window sizes follow QEMU virt", "[plic]") {
  // VIRT_PLIC_SIZE(contexts) = 0x200000 + contexts * 0x1000; virt's map reserves 512 harts.
  CHECK(Plic::window_size(1) == 0x202000);
  CHECK(Plic::window_size(8) == 0x210000);
  CHECK(Plic::window_size(512) == Plic::kVirtWindowSize);
  Board b;
  CHECK(b.plic.contexts() == 4);
}

TEST_CASE("plic: construction rejects bad hart lists", "[plic]") {
  GuestRam ram{0x8000'0000, 0x1000};
  Bus bus{ram};
  CHECK_THROWS(Plic(std::vector<Hart*>{}));
  CHECK_THROWS(Plic(std::vector<Hart*>{nullptr}));
}

TEST_CASE("plic: priorities are WARL with 3 bits and source 0 has none", "[plic]") {
  Board b;
  CHECK(b.rd(priority_reg(1)) == 0);  // reset value
  b.wr(priority_reg(1), 5);
  CHECK(b.rd(priority_reg(1)) == 5);
  b.wr(priority_reg(1), 0xffff'ffff);
  CHECK(b.rd(priority_reg(1)) == 7);
  b.wr(priority_reg(95), 9);  // 9 % 8
  CHECK(b.rd(priority_reg(95)) == 1);
  b.wr(priority_reg(0), 7);
  CHECK(b.rd(priority_reg(0)) == 0);
  // Beyond source 95 there is no register.
  b.wr(priority_reg(96), 7);
  CHECK(b.rd(priority_reg(96)) == 0);
}

TEST_CASE("plic: pending bits follow source levels and are read-only", "[plic]") {
  Board b;
  b.plic.set_irq(10, true);
  b.plic.set_irq(40, true);
  b.plic.set_irq(95, true);
  CHECK(b.rd(kPending + 0) == (1u << 10));
  CHECK(b.rd(kPending + 4) == (1u << 8));
  CHECK(b.rd(kPending + 8) == (1u << 31));
  b.wr(kPending + 0, 0);  // ignored
  CHECK(b.rd(kPending + 0) == (1u << 10));
  b.plic.set_irq(10, false);  // a level drop clears the pending bit
  CHECK(b.rd(kPending + 0) == 0);
  // Source 0 and sources past the last do not exist.
  b.plic.set_irq(0, true);
  b.plic.set_irq(96, true);
  b.plic.set_irq(1000, true);
  CHECK(b.rd(kPending + 0) == 0);
  CHECK(b.rd(kPending + 12) == 0);
}

TEST_CASE("plic: claim with nothing deliverable returns 0", "[plic]") {
  Board b;
  CHECK(b.claim(0) == 0);
  b.plic.set_irq(3, true);
  CHECK(b.claim(0) == 0);  // pending but priority 0 and not enabled
  b.enable(0, 3);
  CHECK(b.claim(0) == 0);  // enabled, but priority 0 never interrupts
  CHECK_FALSE(b.meip(b.hart0));
  b.wr(priority_reg(3), 1);
  CHECK(b.meip(b.hart0));
  CHECK(b.claim(0) == 3);
  CHECK(b.claim(0) == 0);  // claimed: not offered again
}

TEST_CASE("plic: claims come in priority order, ties to the lowest id", "[plic]") {
  Board b;
  for (unsigned source : {3u, 5u, 7u, 70u}) b.enable(0, source);
  b.wr(priority_reg(3), 2);
  b.wr(priority_reg(5), 5);
  b.wr(priority_reg(7), 5);
  b.wr(priority_reg(70), 6);
  for (unsigned source : {3u, 5u, 7u, 70u}) b.plic.set_irq(source, true);
  CHECK(b.claim(0) == 70);
  CHECK(b.claim(0) == 5);
  CHECK(b.claim(0) == 7);
  CHECK(b.meip(b.hart0));
  CHECK(b.claim(0) == 3);
  CHECK_FALSE(b.meip(b.hart0));  // everything is claimed now
  CHECK(b.claim(0) == 0);
  // Claiming cleared the pending bits although the levels are still high.
  CHECK(b.rd(kPending + 0) == 0);
  CHECK(b.rd(kPending + 8) == 0);
}

TEST_CASE("plic: the threshold masks priorities at or below it", "[plic]") {
  Board b;
  b.enable(0, 4);
  b.wr(priority_reg(4), 3);
  b.wr(threshold_reg(0), 3);
  CHECK(b.rd(threshold_reg(0)) == 3);
  b.plic.set_irq(4, true);
  CHECK_FALSE(b.meip(b.hart0));
  CHECK(b.claim(0) == 0);
  b.wr(threshold_reg(0), 2);
  CHECK(b.meip(b.hart0));
  b.wr(threshold_reg(0), 7);
  CHECK_FALSE(b.meip(b.hart0));
  b.wr(threshold_reg(0), 0xffff'fff9);  // WARL: the low three bits, 1
  CHECK(b.rd(threshold_reg(0)) == 1);
  CHECK(b.meip(b.hart0));
  CHECK(b.claim(0) == 4);
}

TEST_CASE("plic: each context drives its own hart's MEIP or SEIP", "[plic]") {
  Board b;
  b.wr(priority_reg(10), 1);
  b.plic.set_irq(10, true);
  CHECK(b.hart0.mip() == 0);
  CHECK(b.hart1.mip() == 0);

  b.enable(1, 10);  // hart 0, S-mode
  CHECK(b.seip(b.hart0));
  CHECK_FALSE(b.meip(b.hart0));
  CHECK(b.hart1.mip() == 0);

  b.enable(2, 10);  // hart 1, M-mode
  CHECK(b.meip(b.hart1));
  CHECK_FALSE(b.seip(b.hart1));

  b.enable(3, 10);  // hart 1, S-mode
  CHECK(b.seip(b.hart1));
  CHECK_FALSE(b.meip(b.hart0));

  // Per-context enables: turning context 1 off leaves the others.
  b.wr(enable_reg(1, 0), 0);
  CHECK_FALSE(b.seip(b.hart0));
  CHECK(b.meip(b.hart1));
  CHECK(b.seip(b.hart1));

  // A claim by one context hides the source from all of them.
  CHECK(b.claim(3) == 10);
  CHECK_FALSE(b.meip(b.hart1));
  CHECK_FALSE(b.seip(b.hart1));
  CHECK(b.claim(2) == 0);
}

TEST_CASE("plic: enable bit 0 is hardwired and words past the last source do not exist", "[plic]") {
  Board b;
  b.wr(enable_reg(0, 0), 0xffff'ffff);
  CHECK(b.rd(enable_reg(0, 0)) == 0xffff'fffe);
  b.wr(enable_reg(0, 2), 0xffff'ffff);
  CHECK(b.rd(enable_reg(0, 2)) == 0xffff'ffff);
  b.wr(enable_reg(0, 3), 0xffff'ffff);
  CHECK(b.rd(enable_reg(0, 3)) == 0);
  CHECK(b.rd(enable_reg(1, 0)) == 0);  // contexts are independent
  CHECK(b.rd(enable_reg(4, 0)) == 0);  // no context 4 with two harts
}

TEST_CASE("plic: completion does not sample the line again, as QEMU's gateways", "[plic]") {
  Board b;
  b.enable(0, 9);
  b.wr(priority_reg(9), 1);
  b.plic.set_irq(9, true);
  REQUIRE(b.claim(0) == 9);
  CHECK_FALSE(b.meip(b.hart0));
  // The device keeps its line high and the guest completes without serving it (xv6-riscv's
  // UART driver before 2022 never acknowledges THR-empty): nothing comes back, no storm.
  b.complete(0, 9);
  CHECK(b.rd(kPending) == 0);
  CHECK_FALSE(b.meip(b.hart0));
  CHECK(b.claim(0) == 0);
  // The device's next event drives the line again: pending once more.
  b.plic.set_irq(9, true);
  CHECK(b.rd(kPending) == (1u << 9));
  CHECK(b.meip(b.hart0));
  REQUIRE(b.claim(0) == 9);
  // A drive while claimed is kept (pending) but delivered only after completion.
  b.plic.set_irq(9, true);
  CHECK(b.rd(kPending) == (1u << 9));
  CHECK_FALSE(b.meip(b.hart0));
  CHECK(b.claim(0) == 0);
  b.complete(0, 9);
  CHECK(b.meip(b.hart0));
  REQUIRE(b.claim(0) == 9);
  // The device is served: its line drops before completion, so nothing comes back.
  b.plic.set_irq(9, true);
  b.plic.set_irq(9, false);
  b.complete(0, 9);
  CHECK(b.rd(kPending) == 0);
  CHECK_FALSE(b.meip(b.hart0));
  CHECK(b.claim(0) == 0);
}

TEST_CASE("plic: complete from a context that did not claim is ignored", "[plic]") {
  Board b;
  b.enable(0, 12);
  b.enable(2, 12);
  b.wr(priority_reg(12), 2);
  b.plic.set_irq(12, true);
  REQUIRE(b.claim(0) == 12);
  b.complete(2, 12);  // hart 1's M context never claimed it
  CHECK(b.rd(kPending) == 0);
  CHECK(b.claim(2) == 0);
  CHECK_FALSE(b.meip(b.hart1));
  b.complete(0, 13);  // not claimed at all
  b.complete(0, 0);
  b.complete(0, 5000);
  CHECK(b.claim(0) == 0);
  b.complete(0, 12);  // the claimant releases it; the device raises it again
  CHECK_FALSE(b.meip(b.hart0));
  b.plic.set_irq(12, true);
  CHECK(b.meip(b.hart0));
  CHECK(b.meip(b.hart1));
  CHECK(b.claim(2) == 12);
  CHECK_FALSE(b.meip(b.hart0));
}

TEST_CASE("plic: a level drop before the claim withdraws the interrupt", "[plic]") {
  Board b;
  b.enable(1, 33);
  b.wr(priority_reg(33), 4);
  b.plic.set_irq(33, true);
  CHECK(b.seip(b.hart0));
  CHECK(b.rd(kPending + 4) == 2u);
  b.plic.set_irq(33, false);
  CHECK_FALSE(b.seip(b.hart0));
  CHECK(b.rd(kPending + 4) == 0);
  CHECK(b.claim(1) == 0);
}

TEST_CASE("plic: priority or enable changes update the outputs at once", "[plic]") {
  Board b;
  b.plic.set_irq(20, true);
  b.enable(0, 20);
  CHECK_FALSE(b.meip(b.hart0));
  b.wr(priority_reg(20), 1);
  CHECK(b.meip(b.hart0));
  b.wr(priority_reg(20), 0);
  CHECK_FALSE(b.meip(b.hart0));
}

TEST_CASE("plic: reset clears the registers and the outputs", "[plic]") {
  Board b;
  b.enable(0, 2);
  b.enable(3, 2);
  b.wr(priority_reg(2), 3);
  b.wr(threshold_reg(3), 1);
  b.plic.set_irq(2, true);
  REQUIRE(b.claim(0) == 2);
  REQUIRE(b.meip(b.hart1) == false);
  REQUIRE(b.seip(b.hart1) == false);
  b.plic.reset();
  CHECK(b.rd(priority_reg(2)) == 0);
  CHECK(b.rd(enable_reg(0, 0)) == 0);
  CHECK(b.rd(threshold_reg(3)) == 0);
  CHECK(b.hart0.mip() == 0);
  CHECK(b.hart1.mip() == 0);
  // The claim is gone, and the line that is still high is pending again.
  CHECK(b.rd(kPending) == (1u << 2));
}

TEST_CASE("plic: only aligned 32-bit accesses are valid", "[plic]") {
  Board b;
  b.wr(priority_reg(1), 3);
  uint64_t value = 0;
  for (unsigned size : {1u, 2u, 8u}) {
    CHECK_FALSE(b.plic.read(priority_reg(1), size, value));
    CHECK_FALSE(b.plic.write(priority_reg(1), size, 0));
  }
  CHECK_FALSE(b.plic.read(priority_reg(1) + 1, 4, value));
  CHECK_FALSE(b.plic.write(priority_reg(1) + 2, 4, 0));
  CHECK(b.rd(priority_reg(1)) == 3);
}

TEST_CASE("plic: a hostile sweep of the window is harmless", "[plic]") {
  Board b;
  b.wr(priority_reg(7), 2);
  b.enable(0, 7);
  const std::vector<std::pair<uint64_t, uint64_t>> ranges = {
      {0x0, 0x3000}, {0x1f'f000, 0x20'4000}, {0x5f'f000, 0x60'0000}, {0xffff'ffff'ffff'f000, 0}};
  uint64_t writes = 0;
  for (const auto& [begin, end] : ranges) {
    for (uint64_t offset = begin; offset != end; ++offset) {
      for (unsigned size : {1u, 2u, 4u, 8u}) {
        uint64_t value = 0;
        (void)b.plic.read(offset, size, value);
        // Leave the registers of source 7 / context 0 alone so the end state can be checked.
        if (offset < 0x40 || (offset >= 0x2000 && offset < 0x2080) || (offset >= 0x200000 && offset < 0x201000))
          continue;
        (void)b.plic.write(offset, size, 0xffff'ffff'ffff'ffffull - offset);
        ++writes;
      }
    }
  }
  CHECK(writes > 0);
  // Context 0 still works as configured.
  b.plic.set_irq(7, true);
  CHECK(b.meip(b.hart0));
  CHECK(b.claim(0) == 7);
  b.complete(0, 7);
}

// A minimal device holding an IrqLine, to check the wiring the board uses.
TEST_CASE("plic: an IrqLine reaches the hart through the PLIC", "[plic]") {
  Board b;
  IrqLine line{&b.plic, 10};  // UART0_IRQ on virt
  b.enable(1, 10);
  b.wr(priority_reg(10), 1);
  line.set(true);
  CHECK(b.seip(b.hart0));
  CHECK(b.claim(1) == 10);
  line.set(false);
  b.complete(1, 10);
  CHECK_FALSE(b.seip(b.hart0));
  IrqLine unconnected;
  unconnected.set(true);  // harmless
}

TEST_CASE("plic: lines raised from another thread stay consistent", "[plic]") {
  Board b;
  b.enable(0, 5);
  b.wr(priority_reg(5), 1);
  std::thread device([&] {
    for (int i = 0; i < 20000; ++i) b.plic.set_irq(5, i % 2 == 0);
    b.plic.set_irq(5, false);
  });
  unsigned claims = 0;
  for (int i = 0; i < 20000; ++i) {
    uint64_t id = 0;
    REQUIRE(b.plic.read(claim_reg(0), 4, id));
    if (id != 0) {
      REQUIRE(id == 5);
      ++claims;
      REQUIRE(b.plic.write(claim_reg(0), 4, id));
    }
  }
  device.join();
  // The line ended low; whatever the interleaving, nothing is left pending or claimed.
  uint64_t id = 1;
  REQUIRE(b.plic.read(claim_reg(0), 4, id));
  CHECK(id == 0);
  CHECK(b.rd(kPending) == 0);
  CHECK_FALSE(b.meip(b.hart0));
  CHECK(claims <= 20000);
}
