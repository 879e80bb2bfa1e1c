// Sv39/Sv48 translation: walk_page_table on page tables built by hand in GuestRam, and the
// same translations seen through Hart loads, stores and fetches (with the host-pointer TLB).
// Expected behaviour is from the privileged spec v1.12, 4.3-4.5 ("Virtual Address Translation
// Process", "Sv39", "Sv48"), 3.1.6.3 (MPRV, MXR, SUM) and 4.2.1 (SFENCE.VMA); PTE bit
// positions are written here from figure 4.18 rather than taken from the walker.
#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/bus.hpp"
#include "core/guest_ram.hpp"
#include "core/hart.hpp"
#include "core/mmu.hpp"
#include "core/trap.hpp"

namespace {

using hartbox::Access;
using hartbox::Bus;
using hartbox::Exception;
using hartbox::GuestRam;
using hartbox::Hart;
using hartbox::Privilege;
using hartbox::TranslationContext;
using hartbox::Trap;
using hartbox::WalkResult;

constexpr uint64_t kRamBase = 0x80000000, kRamSize = 1u << 20;
constexpr uint64_t kData = kRamBase + 0x80000;  // data pages; page tables live below

// PTE bits (figure 4.18) and fields.
constexpr uint64_t V = 1 << 0, R = 1 << 1, W = 1 << 2, X = 1 << 3, U = 1 << 4, G = 1 << 5, A = 1 << 6,
                   D = 1 << 7;
constexpr uint64_t kRsw = 3 << 8;
constexpr uint64_t pte(uint64_t pa, uint64_t flags) { return ((pa >> 12) << 10) | flags; }

// CSR numbers and mstatus bits used here (priv spec tables 2.2-2.5, figure 3.6).
constexpr uint16_t kSatp = 0x180, kMstatus = 0x300;
constexpr uint64_t MPRV = 1ull << 17, SUM = 1ull << 18, MXR = 1ull << 19, TVM = 1ull << 20;
constexpr uint64_t mpp(uint64_t mode) { return mode << 11; }

constexpr unsigned kU = 0, kS = 1;  // TranslationContext::priv values

struct Machine {
  GuestRam ram{kRamBase, kRamSize};
  Bus bus{ram};
  Hart hart{bus, 0};
  uint64_t next_table = kRamBase + 0x10000;

  uint64_t alloc_table() {
    const uint64_t pa = next_table;
    next_table += 4096;
    REQUIRE(next_table <= kData);
    ram.fill(pa, 0, 4096);
    return pa;
  }
  void write64(uint64_t pa, uint64_t value) { ram.write(pa, &value, 8); }
  uint64_t read64(uint64_t pa) {
    uint64_t value = 0;
    ram.read(pa, &value, 8);
    return value;
  }
  // CSR set-up as M-mode, whatever mode the hart is in.
  void csr(uint16_t number, uint64_t value) {
    const Privilege saved = hart.priv;
    hart.priv = Privilege::Machine;
    const bool ok = hart.csr_write(number, value);
    hart.priv = saved;
    REQUIRE(ok);
  }
  void enter(Privilege mode) {
    hart.priv = mode;
    hart.flush_tlb();
  }
};

// An Sv39 (3 levels) or Sv48 (4 levels) page table in the machine's RAM, built by hand.
class PageTable {
 public:
  PageTable(Machine& machine, unsigned levels) : m_(machine), levels_(levels), root_(machine.alloc_table()) {}

  uint64_t satp() const { return (uint64_t{levels_ == 4 ? 9u : 8u} << 60) | (root_ >> 12); }
  uint64_t root() const { return root_; }

  static uint64_t vpn(uint64_t va, unsigned level) { return (va >> (12 + 9 * level)) & 511; }

  // Physical address of the PTE that maps `va` at `level` (0: 4 KiB, 1: 2 MiB, 2: 1 GiB,
  // 3: 512 GiB), creating the pointer PTEs above it.
  uint64_t pte_addr(uint64_t va, unsigned level) {
    uint64_t table = root_;
    for (unsigned l = levels_ - 1; l > level; --l) {
      const uint64_t addr = table + vpn(va, l) * 8;
      uint64_t entry = m_.read64(addr);
      if (!(entry & V)) {
        entry = pte(m_.alloc_table(), V);
        m_.write64(addr, entry);
      }
      table = ((entry >> 10) & ((uint64_t{1} << 44) - 1)) << 12;
    }
    return table + vpn(va, level) * 8;
  }
  uint64_t map(uint64_t va, uint64_t pa, uint64_t flags, unsigned level = 0) {
    const uint64_t addr = pte_addr(va, level);
    m_.write64(addr, pte(pa, flags));
    return addr;
  }

 private:
  Machine& m_;
  unsigned levels_;
  uint64_t root_;
};

std::string hex(uint64_t value) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(value));
  return buf;
}

// Outcomes as text, so a failing CHECK shows what happened instead.
std::string paddr(uint64_t pa) { return "paddr " + hex(pa); }
std::string fault(Exception e) { return "fault " + std::to_string(static_cast<uint64_t>(e)); }
std::string outcome(const WalkResult& r) {
  return r.translation ? paddr(r.translation->paddr) : fault(r.fault);
}

std::string walk(Machine& m, uint64_t satp, uint64_t va, Access access, unsigned priv = kS, bool sum = false,
                 bool mxr = false) {
  return outcome(hartbox::walk_page_table(m.bus, TranslationContext{satp, priv, sum, mxr}, va, access));
}

std::string value(uint64_t v) { return "value " + hex(v); }
std::string trap(Exception e, uint64_t tval) {
  return "trap " + std::to_string(static_cast<uint64_t>(e)) + " tval " + hex(tval);
}
std::string load64(Hart& hart, uint64_t va) {
  try {
    return value(hart.load<uint64_t>(va));
  } catch (const Trap& t) {
    return trap(t.cause, t.tval);
  }
}
std::string store64(Hart& hart, uint64_t va, uint64_t v) {
  try {
    hart.store<uint64_t>(va, v);
    return "stored";
  } catch (const Trap& t) {
    return trap(t.cause, t.tval);
  }
}
std::string fetch(Hart& hart, uint64_t va) {
  try {
    return value(hart.fetch(va));
  } catch (const Trap& t) {
    return trap(t.cause, t.tval);
  }
}

constexpr uint64_t kRWXAD = V | R | W | X | A | D;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Leaf sizes

TEST_CASE("4 KiB pages translate in Sv39 and Sv48, in both halves of the address space", "[mmu]") {
  const unsigned levels = GENERATE(3u, 4u);
  INFO((levels == 3 ? "Sv39" : "Sv48"));
  Machine m;
  PageTable pt(m, levels);
  pt.map(0x12345000, kData, V | R | W | A | D);
  CHECK(walk(m, pt.satp(), 0x12345678, Access::Load) == paddr(kData + 0x678));
  CHECK(walk(m, pt.satp(), 0x12345ff8, Access::Store) == paddr(kData + 0xff8));
  CHECK(walk(m, pt.satp(), 0x12345000, Access::Fetch) == fault(Exception::InstructionPageFault));  // no X
  CHECK(walk(m, pt.satp(), 0x12346000, Access::Load) == fault(Exception::LoadPageFault));          // unmapped

  // The top of the address space: all upper bits set (a canonical negative address).
  const uint64_t high = levels == 3 ? 0xffffffc000001000 : 0xffff800000001000;
  pt.map(high, kData + 0x1000, V | R | X | A);
  CHECK(walk(m, pt.satp(), high + 0xabc, Access::Fetch) == paddr(kData + 0x1abc));
  const uint64_t top = 0xfffffffffffff000;
  pt.map(top, kData + 0x2000, V | R | A);
  CHECK(walk(m, pt.satp(), top + 0xfff, Access::Load) == paddr(kData + 0x2fff));
}

TEST_CASE("2 MiB and 1 GiB superpages translate the low VPNs straight through", "[mmu]") {
  const unsigned levels = GENERATE(3u, 4u);
  INFO((levels == 3 ? "Sv39" : "Sv48"));
  Machine m;
  PageTable pt(m, levels);
  pt.map(0x40200000, 0x80200000, kRWXAD, 1);  // 2 MiB
  CHECK(walk(m, pt.satp(), 0x40200000 + 0x12345, Access::Load) == paddr(0x80200000 + 0x12345));
  CHECK(walk(m, pt.satp(), 0x40200000 + 0x1fffff, Access::Store) == paddr(0x80200000 + 0x1fffff));
  pt.map(0x80000000, 0xc0000000, kRWXAD, 2);  // 1 GiB
  CHECK(walk(m, pt.satp(), 0x80000000 + 0x3fedcba8, Access::Fetch) == paddr(0xc0000000 + 0x3fedcba8));
}

TEST_CASE("Sv48 512 GiB superpages", "[mmu]") {
  Machine m;
  PageTable pt(m, 4);
  pt.map(0x0000008000000000, 0, kRWXAD, 3);  // VPN[3] = 1 -> physical 0
  CHECK(walk(m, pt.satp(), 0x0000008000000000 + 0x80001234, Access::Load) == paddr(0x80001234));
  CHECK(walk(m, pt.satp(), 0x0000008000000000 + 0x7fffffffff, Access::Load) == paddr(0x7fffffffff));

  // Through the hart: the superpage covers RAM at its 2 GiB offset.
  m.write64(kData + 0x18, 0x5151515151515151);
  m.csr(kSatp, pt.satp());
  m.enter(Privilege::Supervisor);
  CHECK(load64(m.hart, 0x0000008000000000 + kData + 0x18) == value(0x5151515151515151));
}

TEST_CASE("superpages through Hart loads and stores", "[mmu][hart]") {
  Machine m;
  PageTable pt(m, 3);
  pt.map(0x40000000, kRamBase, kRWXAD, 1);            // 2 MiB over the start of RAM
  pt.map(0xc0000000, kRamBase, V | R | W | A | D, 2);  // 1 GiB over all of RAM
  m.write64(kData + 0x40, 0x1122334455667788);
  m.csr(kSatp, pt.satp());
  m.enter(Privilege::Supervisor);
  CHECK(load64(m.hart, 0x40000000 + 0x80040) == value(0x1122334455667788));
  CHECK(load64(m.hart, 0xc0000000 + 0x80040) == value(0x1122334455667788));
  CHECK(store64(m.hart, 0xc0000000 + 0x80048, 0xabcdef) == "stored");
  CHECK(m.read64(kData + 0x48) == 0xabcdef);
  m.hart.store<uint32_t>(0x40000000 + 0x80050, 0xfeedface);
  CHECK(m.hart.load<uint32_t>(0xc0000000 + 0x80050) == 0xfeedface);
}

TEST_CASE("a misaligned superpage is a page fault (4.3.2 step 6)", "[mmu]") {
  Machine m;
  PageTable pt(m, 4);
  pt.map(0x40200000, 0x80201000, kRWXAD, 1);          // 2 MiB leaf, PPN[0] != 0
  pt.map(0x80000000, 0x80200000, kRWXAD, 2);          // 1 GiB leaf, PPN[1] != 0
  pt.map(0x0000008000000000, 0x40000000, kRWXAD, 3);  // 512 GiB leaf, PPN[2] != 0
  for (uint64_t va : {uint64_t{0x40200000}, uint64_t{0x80000000}, uint64_t{0x0000008000000000}}) {
    INFO("va " << hex(va));
    CHECK(walk(m, pt.satp(), va, Access::Load) == fault(Exception::LoadPageFault));
    CHECK(walk(m, pt.satp(), va, Access::Store) == fault(Exception::StorePageFault));
    CHECK(walk(m, pt.satp(), va, Access::Fetch) == fault(Exception::InstructionPageFault));
  }
}

// ---------------------------------------------------------------------------------------------
// Malformed addresses and PTEs

TEST_CASE("a non-canonical virtual address is a page fault", "[mmu]") {
  Machine m;
  PageTable sv39(m, 3);
  PageTable sv48(m, 4);
  // Map every root entry as an aligned superpage, so whatever index a walker that ignored the
  // upper bits would use, it would find a valid leaf: only the canonical check can refuse.
  for (uint64_t i = 0; i < 512; ++i) {
    m.write64(sv39.root() + 8 * i, pte(i << 30, kRWXAD));  // 1 GiB leaves
    m.write64(sv48.root() + 8 * i, pte(i << 39, kRWXAD));  // 512 GiB leaves
  }
  for (uint64_t va : {uint64_t{0x0000004000000000}, uint64_t{0x8000000000000000}, uint64_t{0xffffffbffffff000},
                      uint64_t{0x0000008000000000}, uint64_t{0x7fffffc000000000}}) {
    INFO("Sv39 va " << hex(va));
    CHECK(walk(m, sv39.satp(), va, Access::Load) == fault(Exception::LoadPageFault));
    CHECK(walk(m, sv39.satp(), va, Access::Store) == fault(Exception::StorePageFault));
    CHECK(walk(m, sv39.satp(), va, Access::Fetch) == fault(Exception::InstructionPageFault));
  }
  for (uint64_t va : {uint64_t{0x0000800000000000}, uint64_t{0xffff7ffffffff000}, uint64_t{0x0001000000000000},
                      uint64_t{0x8000000000000000}}) {
    INFO("Sv48 va " << hex(va));
    CHECK(walk(m, sv48.satp(), va, Access::Load) == fault(Exception::LoadPageFault));
    CHECK(walk(m, sv48.satp(), va, Access::Fetch) == fault(Exception::InstructionPageFault));
  }
  // The canonical neighbours translate.
  CHECK(walk(m, sv39.satp(), 0x0000003fc0000123, Access::Load) == paddr((uint64_t{255} << 30) | 0x123));
  CHECK(walk(m, sv39.satp(), 0xffffffc000000123, Access::Load) == paddr((uint64_t{256} << 30) | 0x123));
  // 0x0000_4000_0000_0000 is non-canonical for Sv39 but a valid Sv48 address.
  CHECK(walk(m, sv48.satp(), 0x0000400000000123, Access::Load) == paddr((uint64_t{128} << 39) | 0x123));
  CHECK(walk(m, sv48.satp(), 0xffff800000000123, Access::Load) == paddr((uint64_t{256} << 39) | 0x123));

  // Through the hart, the trap reports the faulting address.
  m.csr(kSatp, sv39.satp());
  m.enter(Privilege::Supervisor);
  CHECK(load64(m.hart, 0x0000004000000000) == trap(Exception::LoadPageFault, 0x0000004000000000));
  CHECK(store64(m.hart, 0x8000000000000008, 1) == trap(Exception::StorePageFault, 0x8000000000000008));
  CHECK(fetch(m.hart, 0x0000004000000000) == trap(Exception::InstructionPageFault, 0x0000004000000000));
}

TEST_CASE("invalid PTEs are page faults: V = 0, W without R, reserved bits 63:54", "[mmu]") {
  Machine m;
  PageTable pt(m, 3);
  const uint64_t va = 0x200000;
  const uint64_t addr = pt.map(va, kData, kRWXAD);
  REQUIRE(walk(m, pt.satp(), va, Access::Load) == paddr(kData));

  struct Case {
    const char* what;
    uint64_t pte;
  };
  const Case cases[] = {
      {"V = 0", pte(kData, kRWXAD & ~V)},
      {"W without R", pte(kData, V | W | A | D)},
      {"W|X without R", pte(kData, V | W | X | A | D)},
      {"bit 54 (reserved)", pte(kData, kRWXAD) | (uint64_t{1} << 54)},
      {"bit 60 (reserved)", pte(kData, kRWXAD) | (uint64_t{1} << 60)},
      {"PBMT = 1 (no Svpbmt)", pte(kData, kRWXAD) | (uint64_t{1} << 61)},
      {"PBMT = 2 (no Svpbmt)", pte(kData, kRWXAD) | (uint64_t{1} << 62)},
      {"N (no Svnapot)", pte(kData, kRWXAD) | (uint64_t{1} << 63)},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    m.write64(addr, c.pte);
    CHECK(walk(m, pt.satp(), va, Access::Load) == fault(Exception::LoadPageFault));
    CHECK(walk(m, pt.satp(), va, Access::Store) == fault(Exception::StorePageFault));
    CHECK(walk(m, pt.satp(), va, Access::Fetch) == fault(Exception::InstructionPageFault));
  }
  // RSW (bits 9:8) is for software and G does not affect the walk.
  m.write64(addr, pte(kData, kRWXAD | kRsw | G));
  CHECK(walk(m, pt.satp(), va, Access::Load) == paddr(kData));
}

TEST_CASE("invalid non-leaf PTEs are page faults: V = 0, A/D/U set, reserved bits", "[mmu]") {
  Machine m;
  PageTable pt(m, 3);
  const uint64_t va = 0x40201000;
  pt.map(va, kData, kRWXAD);
  const uint64_t pointer_addr = pt.pte_addr(va, 1);  // the level-1 pointer to the leaf table
  const uint64_t pointer = m.read64(pointer_addr);
  REQUIRE(walk(m, pt.satp(), va, Access::Load) == paddr(kData));

  // priv spec 4.4.1: "For non-leaf PTEs, the D, A, and U bits are reserved for future standard
  // use"; the walk treats any reserved bit as a fault (4.3.2 step 3, as Spike does).
  for (uint64_t bad : {pointer & ~V, pointer | A, pointer | D, pointer | U, pointer | (uint64_t{1} << 54),
                       pointer | (uint64_t{1} << 63)}) {
    INFO("pointer PTE " << hex(bad));
    m.write64(pointer_addr, bad);
    CHECK(walk(m, pt.satp(), va, Access::Load) == fault(Exception::LoadPageFault));
    CHECK(walk(m, pt.satp(), va, Access::Store) == fault(Exception::StorePageFault));
  }
  m.write64(pointer_addr, pointer | kRsw);
  CHECK(walk(m, pt.satp(), va, Access::Load) == paddr(kData));

  // A pointer PTE at level 0 has no next level (4.3.2 step 4: i < 0).
  const uint64_t leaf_addr = pt.pte_addr(va, 0);
  m.write64(pointer_addr, pointer);
  m.write64(leaf_addr, pte(kData, V));
  CHECK(walk(m, pt.satp(), va, Access::Load) == fault(Exception::LoadPageFault));
}

TEST_CASE("a page table outside RAM gives an access fault, not a page fault", "[mmu]") {
  Machine m;
  // satp points at a root table in unpopulated physical space.
  const uint64_t satp_outside = (uint64_t{8} << 60) | (0x10000000 >> 12);
  CHECK(walk(m, satp_outside, 0x1000, Access::Load) == fault(Exception::LoadAccessFault));
  CHECK(walk(m, satp_outside, 0x1000, Access::Store) == fault(Exception::StoreAccessFault));
  CHECK(walk(m, satp_outside, 0x1000, Access::Fetch) == fault(Exception::InstructionAccessFault));

  // A pointer PTE leading outside RAM.
  PageTable pt(m, 3);
  pt.map(0x1000, kData, kRWXAD);
  m.write64(pt.pte_addr(0x1000, 1), pte(0x10000000, V));
  CHECK(walk(m, pt.satp(), 0x1000, Access::Load) == fault(Exception::LoadAccessFault));

  // Through the hart: the trap reports the virtual address.
  m.csr(kSatp, satp_outside);
  m.enter(Privilege::Supervisor);
  CHECK(load64(m.hart, 0x1008) == trap(Exception::LoadAccessFault, 0x1008));
  CHECK(store64(m.hart, 0x1010, 0) == trap(Exception::StoreAccessFault, 0x1010));
  CHECK(fetch(m.hart, 0x1000) == trap(Exception::InstructionAccessFault, 0x1000));
}

TEST_CASE("a valid mapping to physical space with nothing there faults on access, not on the walk", "[mmu][hart]") {
  Machine m;
  PageTable pt(m, 3);
  pt.map(0x3000, 0x10000000, V | R | W | A | D);
  CHECK(walk(m, pt.satp(), 0x3000, Access::Load) == paddr(0x10000000));
  m.csr(kSatp, pt.satp());
  m.enter(Privilege::Supervisor);
  CHECK(load64(m.hart, 0x3008) == trap(Exception::LoadAccessFault, 0x3008));
  CHECK(store64(m.hart, 0x3008, 0) == trap(Exception::StoreAccessFault, 0x3008));
}

// ---------------------------------------------------------------------------------------------
// Permissions (4.3.2 step 5, 3.1.6.3)

TEST_CASE("U pages from S-mode: loads and stores need SUM, fetches always fault", "[mmu][perm]") {
  Machine m;
  PageTable pt(m, 3);
  pt.map(0x5000, kData, kRWXAD | U);
  CHECK(walk(m, pt.satp(), 0x5008, Access::Load, kS, false) == fault(Exception::LoadPageFault));
  CHECK(walk(m, pt.satp(), 0x5008, Access::Store, kS, false) == fault(Exception::StorePageFault));
  CHECK(walk(m, pt.satp(), 0x5008, Access::Load, kS, true) == paddr(kData + 8));
  CHECK(walk(m, pt.satp(), 0x5008, Access::Store, kS, true) == paddr(kData + 8));
  CHECK(walk(m, pt.satp(), 0x5000, Access::Fetch, kS, false) == fault(Exception::InstructionPageFault));
  CHECK(walk(m, pt.satp(), 0x5000, Access::Fetch, kS, true) == fault(Exception::InstructionPageFault));
  // U-mode itself may use the page.
  CHECK(walk(m, pt.satp(), 0x5008, Access::Load, kU) == paddr(kData + 8));
  CHECK(walk(m, pt.satp(), 0x5000, Access::Fetch, kU) == paddr(kData));

  // The same through the hart, with SUM set and cleared in sstatus.
  m.write64(kData + 8, 77);
  m.csr(kSatp, pt.satp());
  m.enter(Privilege::Supervisor);
  CHECK(load64(m.hart, 0x5008) == trap(Exception::LoadPageFault, 0x5008));
  m.csr(kMstatus, SUM);
  CHECK(load64(m.hart, 0x5008) == value(77));
  CHECK(fetch(m.hart, 0x5000) == trap(Exception::InstructionPageFault, 0x5000));
  m.csr(kMstatus, 0);  // clearing SUM takes effect at once, cached translation or not
  CHECK(load64(m.hart, 0x5008) == trap(Exception::LoadPageFault, 0x5008));
}

TEST_CASE("S pages from U-mode always fault", "[mmu][perm]") {
  Machine m;
  PageTable pt(m, 3);
  pt.map(0x6000, kData, kRWXAD);
  CHECK(walk(m, pt.satp(), 0x6000, Access::Load, kU) == fault(Exception::LoadPageFault));
  CHECK(walk(m, pt.satp(), 0x6000, Access::Store, kU) == fault(Exception::StorePageFault));
  CHECK(walk(m, pt.satp(), 0x6000, Access::Fetch, kU) == fault(Exception::InstructionPageFault));
  CHECK(walk(m, pt.satp(), 0x6000, Access::Load, kU, true, true) == fault(Exception::LoadPageFault));

  m.csr(kSatp, pt.satp());
  m.enter(Privilege::User);
  CHECK(load64(m.hart, 0x6000) == trap(Exception::LoadPageFault, 0x6000));
  CHECK(store64(m.hart, 0x6000, 1) == trap(Exception::StorePageFault, 0x6000));
  CHECK(fetch(m.hart, 0x6000) == trap(Exception::InstructionPageFault, 0x6000));
}

TEST_CASE("MXR makes execute-only pages readable, for loads only", "[mmu][perm]") {
  Machine m;
  PageTable pt(m, 3);
  pt.map(0x7000, kData, V | X | A);
  CHECK(walk(m, pt.satp(), 0x7000, Access::Load, kS, false, false) == fault(Exception::LoadPageFault));
  CHECK(walk(m, pt.satp(), 0x7000, Access::Load, kS, false, true) == paddr(kData));
  CHECK(walk(m, pt.satp(), 0x7000, Access::Store, kS, false, true) == fault(Exception::StorePageFault));
  CHECK(walk(m, pt.satp(), 0x7000, Access::Fetch, kS, false, false) == paddr(kData));
  // A user execute-only page read from S needs both SUM and MXR.
  pt.map(0x8000, kData, V | X | A | U);
  CHECK(walk(m, pt.satp(), 0x8000, Access::Load, kS, false, true) == fault(Exception::LoadPageFault));
  CHECK(walk(m, pt.satp(), 0x8000, Access::Load, kS, true, true) == paddr(kData));
  CHECK(walk(m, pt.satp(), 0x8000, Access::Load, kU, false, true) == paddr(kData));

  m.write64(kData, 0x99);
  m.csr(kSatp, pt.satp());
  m.enter(Privilege::Supervisor);
  CHECK(load64(m.hart, 0x7000) == trap(Exception::LoadPageFault, 0x7000));
  m.csr(kMstatus, MXR);
  CHECK(load64(m.hart, 0x7000) == value(0x99));
  m.csr(kMstatus, 0);
  CHECK(load64(m.hart, 0x7000) == trap(Exception::LoadPageFault, 0x7000));
}

TEST_CASE("stores to read-only pages and fetches from non-executable pages fault", "[mmu][perm]") {
  Machine m;
  PageTable pt(m, 3);
  pt.map(0x9000, kData, V | R | A | D);
  pt.map(0xa000, kData, V | R | X | A | D);
  CHECK(walk(m, pt.satp(), 0x9000, Access::Store) == fault(Exception::StorePageFault));
  CHECK(walk(m, pt.satp(), 0xa000, Access::Store) == fault(Exception::StorePageFault));
  CHECK(walk(m, pt.satp(), 0x9000, Access::Fetch) == fault(Exception::InstructionPageFault));
  CHECK(walk(m, pt.satp(), 0xa000, Access::Fetch) == paddr(kData));

  m.csr(kSatp, pt.satp());
  m.enter(Privilege::Supervisor);
  CHECK(load64(m.hart, 0x9010) == value(0));  // a load first, so the page sits in the load TLB
  CHECK(store64(m.hart, 0x9010, 5) == trap(Exception::StorePageFault, 0x9010));
  CHECK(m.read64(kData + 0x10) == 0);
  CHECK(fetch(m.hart, 0x9000) == trap(Exception::InstructionPageFault, 0x9000));
}

TEST_CASE("a misaligned store that crosses into a read-only page writes nothing", "[mmu][perm]") {
  Machine m;
  PageTable pt(m, 3);
  pt.map(0x15000, kData, V | R | W | A | D);
  pt.map(0x16000, kData + 0x1000, V | R | A | D);
  m.write64(kData + 0xff8, 0x0102030405060708);
  m.write64(kData + 0x1000, 0x1112131415161718);
  m.csr(kSatp, pt.satp());
  m.enter(Privilege::Supervisor);
  // Bytes 0x15ffc..0x16003: the second half lands on the read-only page. The fault reports an
  // address inside the faulting portion (priv spec 3.1.16), here the start of that page.
  CHECK(store64(m.hart, 0x15ffc, ~uint64_t{0}) == trap(Exception::StorePageFault, 0x16000));
  CHECK(m.read64(kData + 0xff8) == 0x0102030405060708);
  CHECK(m.read64(kData + 0x1000) == 0x1112131415161718);
  // The same load is fine and assembles both pages.
  CHECK(load64(m.hart, 0x15ffc) == value(0x1516171801020304));
}

// ---------------------------------------------------------------------------------------------
// Accessed and dirty bits (4.3.2 step 7)

TEST_CASE("the walker sets A on any access and D on stores, in the PTE in memory", "[mmu][ad]") {
  Machine m;
  PageTable pt(m, 3);
  const uint64_t addr = pt.map(0xb000, kData, V | R | W | X);
  CHECK(walk(m, pt.satp(), 0xb000, Access::Load) == paddr(kData));
  CHECK(m.read64(addr) == pte(kData, V | R | W | X | A));
  CHECK(walk(m, pt.satp(), 0xb000, Access::Store) == paddr(kData));
  CHECK(m.read64(addr) == pte(kData, V | R | W | X | A | D));

  const uint64_t fetch_addr = pt.map(0xc000, kData, V | X);
  CHECK(walk(m, pt.satp(), 0xc000, Access::Fetch) == paddr(kData));
  CHECK(m.read64(fetch_addr) == pte(kData, V | X | A));

  // A superpage leaf is updated the same way.
  const uint64_t super_addr = pt.map(0x40000000, kRamBase, V | R | W, 1);
  CHECK(walk(m, pt.satp(), 0x40000000, Access::Store) == paddr(kRamBase));
  CHECK(m.read64(super_addr) == pte(kRamBase, V | R | W | A | D));

  // Through the hart.
  const uint64_t hart_addr = pt.map(0xd000, kData, V | R | W);
  m.csr(kSatp, pt.satp());
  m.enter(Privilege::Supervisor);
  CHECK(load64(m.hart, 0xd000) == value(0));
  CHECK(m.read64(hart_addr) == pte(kData, V | R | W | A));
  CHECK(store64(m.hart, 0xd000, 3) == "stored");
  CHECK(m.read64(hart_addr) == pte(kData, V | R | W | A | D));
}

TEST_CASE("A and D are left alone when the access faults", "[mmu][ad]") {
  Machine m;
  PageTable pt(m, 3);
  const uint64_t user = pt.map(0xe000, kData, V | R | W | U);
  CHECK(walk(m, pt.satp(), 0xe000, Access::Store, kS, false) == fault(Exception::StorePageFault));
  CHECK(m.read64(user) == pte(kData, V | R | W | U));
  const uint64_t read_only = pt.map(0xf000, kData, V | R | A);
  CHECK(walk(m, pt.satp(), 0xf000, Access::Store) == fault(Exception::StorePageFault));
  CHECK(m.read64(read_only) == pte(kData, V | R | A));
  const uint64_t misaligned = pt.map(0x40200000, 0x80201000, V | R | W, 1);
  CHECK(walk(m, pt.satp(), 0x40200000, Access::Store) == fault(Exception::StorePageFault));
  CHECK(m.read64(misaligned) == pte(0x80201000, V | R | W));
}

// ---------------------------------------------------------------------------------------------
// The TLB: stale until SFENCE.VMA or a satp write (4.2.1)

TEST_CASE("a changed PTE is not seen until sfence.vma or a satp write flushes the TLB", "[mmu][tlb]") {
  Machine m;
  PageTable pt(m, 3);
  const uint64_t page1 = kData, page2 = kData + 0x1000;
  m.write64(page1, 0x1111);
  m.write64(page2, 0x2222);
  const uint64_t addr = pt.map(0x10000, page1, V | R | W | A | D);
  m.csr(kSatp, pt.satp());
  m.enter(Privilege::Supervisor);
  CHECK(load64(m.hart, 0x10000) == value(0x1111));

  m.write64(addr, pte(page2, V | R | W | A | D));
  CHECK(load64(m.hart, 0x10000) == value(0x1111));  // the old translation persists
  REQUIRE(m.hart.execute_sfence_vma());
  CHECK(load64(m.hart, 0x10000) == value(0x2222));

  m.write64(addr, pte(page1, V | R | W | A | D));
  CHECK(load64(m.hart, 0x10000) == value(0x2222));
  REQUIRE(m.hart.csr_write(kSatp, pt.satp()));  // from S, TVM = 0: same value, still a flush
  CHECK(load64(m.hart, 0x10000) == value(0x1111));

  // Unmapping: the page stays reachable until the fence, then faults.
  m.write64(addr, 0);
  CHECK(load64(m.hart, 0x10000) == value(0x1111));
  REQUIRE(m.hart.execute_sfence_vma());
  CHECK(load64(m.hart, 0x10000) == trap(Exception::LoadPageFault, 0x10000));
}

TEST_CASE("a cached store translation persists until sfence.vma after write permission is removed", "[mmu][tlb]") {
  Machine m;
  PageTable pt(m, 3);
  const uint64_t addr = pt.map(0x11000, kData, V | R | W | A | D);
  m.csr(kSatp, pt.satp());
  m.enter(Privilege::Supervisor);
  CHECK(store64(m.hart, 0x11000, 1) == "stored");
  m.write64(addr, pte(kData, V | R | A | D));
  CHECK(store64(m.hart, 0x11008, 2) == "stored");
  CHECK(m.read64(kData + 8) == 2);
  REQUIRE(m.hart.execute_sfence_vma());
  CHECK(store64(m.hart, 0x11008, 3) == trap(Exception::StorePageFault, 0x11008));
  CHECK(m.read64(kData + 8) == 2);
}

TEST_CASE("sfence.vma is illegal in U-mode and in S-mode with TVM, and then flushes nothing", "[mmu][tlb]") {
  Machine m;
  PageTable pt(m, 3);
  const uint64_t addr = pt.map(0x12000, kData, V | R | W | A | D | U);
  m.write64(kData, 0xaaaa);
  m.write64(kData + 0x1000, 0xbbbb);
  m.csr(kSatp, pt.satp());
  m.enter(Privilege::User);
  CHECK(load64(m.hart, 0x12000) == value(0xaaaa));
  m.write64(addr, pte(kData + 0x1000, V | R | W | A | D | U));
  CHECK_FALSE(m.hart.execute_sfence_vma());
  CHECK(load64(m.hart, 0x12000) == value(0xaaaa));

  m.csr(kMstatus, TVM | SUM);
  m.enter(Privilege::Supervisor);
  CHECK(load64(m.hart, 0x12000) == value(0xbbbb));  // enter() flushed, as a trap would
  m.write64(addr, pte(kData, V | R | W | A | D | U));
  CHECK_FALSE(m.hart.execute_sfence_vma());
  CHECK(load64(m.hart, 0x12000) == value(0xbbbb));
}

// ---------------------------------------------------------------------------------------------
// MPRV (3.1.6.3)

TEST_CASE("MPRV with MPP = S translates M-mode loads and stores, not fetches", "[mmu][mprv]") {
  Machine m;
  PageTable pt(m, 3);
  pt.map(0x13000, kData, V | R | W | X | A | D);
  m.write64(kData, 0x4242);
  m.csr(kSatp, pt.satp());
  REQUIRE(m.hart.priv == Privilege::Machine);

  // Without MPRV, M-mode addresses are physical: 0x13000 is not RAM.
  CHECK(load64(m.hart, 0x13000) == trap(Exception::LoadAccessFault, 0x13000));

  m.csr(kMstatus, MPRV | mpp(1));
  CHECK(load64(m.hart, 0x13000) == value(0x4242));
  CHECK(store64(m.hart, 0x13008, 0x77) == "stored");
  CHECK(m.read64(kData + 8) == 0x77);
  // Instruction fetch ignores MPRV: still physical.
  CHECK(fetch(m.hart, 0x13000) == trap(Exception::InstructionAccessFault, 0x13000));
  m.write64(kData + 0x100, 0x00000013);  // nop, fetched by physical address
  CHECK(fetch(m.hart, kData + 0x100) == value(0x13));

  // MPP = U applies U-mode permissions: the S page faults.
  m.csr(kMstatus, MPRV | mpp(0));
  CHECK(load64(m.hart, 0x13000) == trap(Exception::LoadPageFault, 0x13000));
  // MPP = M: no translation.
  m.csr(kMstatus, MPRV | mpp(3));
  CHECK(load64(m.hart, 0x13000) == trap(Exception::LoadAccessFault, 0x13000));
  CHECK(load64(m.hart, kData) == value(0x4242));
  // Clearing MPRV returns to physical addressing at once.
  m.csr(kMstatus, MPRV | mpp(1));
  CHECK(load64(m.hart, 0x13000) == value(0x4242));
  m.csr(kMstatus, mpp(1));
  CHECK(load64(m.hart, 0x13000) == trap(Exception::LoadAccessFault, 0x13000));
}

TEST_CASE("MPRV with MPP = S honours SUM for user pages", "[mmu][mprv]") {
  Machine m;
  PageTable pt(m, 3);
  pt.map(0x14000, kData, V | R | W | A | D | U);
  m.write64(kData, 0x6464);
  m.csr(kSatp, pt.satp());
  m.csr(kMstatus, MPRV | mpp(1));
  CHECK(load64(m.hart, 0x14000) == trap(Exception::LoadPageFault, 0x14000));
  m.csr(kMstatus, MPRV | mpp(1) | SUM);
  CHECK(load64(m.hart, 0x14000) == value(0x6464));
}

TEST_CASE("Bare mode and M-mode use physical addresses", "[mmu]") {
  Machine m;
  m.write64(kData, 0x0b0b);
  m.enter(Privilege::Supervisor);
  CHECK(load64(m.hart, kData) == value(0x0b0b));  // satp = Bare
  m.enter(Privilege::Machine);
  PageTable pt(m, 3);
  m.csr(kSatp, pt.satp());
  CHECK(load64(m.hart, kData) == value(0x0b0b));  // M ignores satp
  m.enter(Privilege::Supervisor);
  CHECK(load64(m.hart, kData) == trap(Exception::LoadPageFault, kData));  // unmapped in Sv39
}
