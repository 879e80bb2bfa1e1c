// Hand encoders for the few RV64 instructions that tests and tools write into guest RAM without a
// toolchain (ISA manual, "RV32/64G Instruction Set Listings"). Register numbers are plain
// integers; immediates are truncated to their field. Header-only, constexpr, no state.
#pragma once

#include <cstdint>

namespace hartbox::enc {

constexpr uint32_t r(unsigned f7, unsigned rs2, unsigned rs1, unsigned f3, unsigned rd, unsigned op) {
  return (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
constexpr uint32_t i(int32_t imm, unsigned rs1, unsigned f3, unsigned rd, unsigned op) {
  return ((static_cast<uint32_t>(imm) & 0xfffu) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
}
constexpr uint32_t s(int32_t imm, unsigned rs2, unsigned rs1, unsigned f3) {
  const auto u = static_cast<uint32_t>(imm);
  return (((u >> 5) & 0x7fu) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((u & 0x1fu) << 7) | 0x23u;
}
constexpr uint32_t b(int32_t off, unsigned rs1, unsigned rs2, unsigned f3) {
  const auto u = static_cast<uint32_t>(off);
  return (((u >> 12) & 1u) << 31) | (((u >> 5) & 0x3fu) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
         (((u >> 1) & 0xfu) << 8) | (((u >> 11) & 1u) << 7) | 0x63u;
}
constexpr uint32_t j(int32_t off, unsigned rd) {
  const auto u = static_cast<uint32_t>(off);
  return (((u >> 20) & 1u) << 31) | (((u >> 1) & 0x3ffu) << 21) | (((u >> 11) & 1u) << 20) |
         (((u >> 12) & 0xffu) << 12) | (rd << 7) | 0x6fu;
}
constexpr uint32_t lui(unsigned rd, uint32_t imm20) { return ((imm20 & 0xfffffu) << 12) | (rd << 7) | 0x37u; }
constexpr uint32_t addi(unsigned rd, unsigned rs1, int32_t imm) { return i(imm, rs1, 0, rd, 0x13); }
constexpr uint32_t andi(unsigned rd, unsigned rs1, int32_t imm) { return i(imm, rs1, 7, rd, 0x13); }
constexpr uint32_t slli(unsigned rd, unsigned rs1, unsigned sh) { return i(static_cast<int32_t>(sh), rs1, 1, rd, 0x13); }
constexpr uint32_t srli(unsigned rd, unsigned rs1, unsigned sh) { return i(static_cast<int32_t>(sh), rs1, 5, rd, 0x13); }
constexpr uint32_t add(unsigned rd, unsigned rs1, unsigned rs2) { return r(0, rs2, rs1, 0, rd, 0x33); }
constexpr uint32_t xor_(unsigned rd, unsigned rs1, unsigned rs2) { return r(0, rs2, rs1, 4, rd, 0x33); }
constexpr uint32_t mul(unsigned rd, unsigned rs1, unsigned rs2) { return r(1, rs2, rs1, 0, rd, 0x33); }
constexpr uint32_t ld(unsigned rd, unsigned rs1, int32_t imm) { return i(imm, rs1, 3, rd, 0x03); }
constexpr uint32_t lw(unsigned rd, unsigned rs1, int32_t imm) { return i(imm, rs1, 2, rd, 0x03); }
constexpr uint32_t lh(unsigned rd, unsigned rs1, int32_t imm) { return i(imm, rs1, 1, rd, 0x03); }
constexpr uint32_t lb(unsigned rd, unsigned rs1, int32_t imm) { return i(imm, rs1, 0, rd, 0x03); }
constexpr uint32_t lbu(unsigned rd, unsigned rs1, int32_t imm) { return i(imm, rs1, 4, rd, 0x03); }
constexpr uint32_t sd(unsigned rs2, unsigned rs1, int32_t imm) { return s(imm, rs2, rs1, 3); }
constexpr uint32_t sw(unsigned rs2, unsigned rs1, int32_t imm) { return s(imm, rs2, rs1, 2); }
constexpr uint32_t sh(unsigned rs2, unsigned rs1, int32_t imm) { return s(imm, rs2, rs1, 1); }
constexpr uint32_t sb(unsigned rs2, unsigned rs1, int32_t imm) { return s(imm, rs2, rs1, 0); }
constexpr uint32_t jalr(unsigned rd, unsigned rs1, int32_t imm) { return i(imm, rs1, 0, rd, 0x67); }
constexpr uint32_t csrr(unsigned rd, uint16_t csr) { return i(static_cast<int32_t>(csr), 0, 2, rd, 0x73); }
constexpr uint32_t csrw(uint16_t csr, unsigned rs1) { return i(static_cast<int32_t>(csr), rs1, 1, 0, 0x73); }
constexpr uint32_t csrs(uint16_t csr, unsigned rs1) { return i(static_cast<int32_t>(csr), rs1, 2, 0, 0x73); }
constexpr uint32_t amoadd_d(unsigned rd, unsigned rs2, unsigned rs1) { return r(0, rs2, rs1, 3, rd, 0x2f); }
constexpr uint32_t lr_d(unsigned rd, unsigned rs1) { return r(0b0001000, 0, rs1, 3, rd, 0x2f); }
constexpr uint32_t kMret = 0x30200073, kWfi = 0x10500073, kEcall = 0x00000073, kEbreak = 0x00100073;
constexpr uint32_t kJumpToSelf = 0x0000006f;  // jal x0, 0
constexpr uint32_t kFenceI = 0x0000100f;
constexpr uint32_t kFaddD = 0x02007053;  // fadd.d f0, f0, f0: illegal while mstatus.FS is Off

}  // namespace hartbox::enc
