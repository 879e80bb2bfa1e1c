// What each RV64GC instruction does, written once for every engine.
//
// Each body is `exec_NAME(Hart& h, const DecodedInsn& d)`, reads like the ISA manual's
// description, and may throw Trap. The engine sets `h.next_pc = h.pc + d.len` before the body,
// commits `h.pc = h.next_pc` after it, counts the instruction as retired and re-zeroes x0. A
// body that transfers control writes `h.next_pc`.
#pragma once

#include <atomic>
#include <cstdint>

#include "core/fpu.hpp"
#include "core/hart.hpp"
#include "core/isa/decoder.hpp"

namespace hartbox::isa {

#define HB_INSN(name) [[gnu::always_inline]] inline void exec_##name([[maybe_unused]] Hart& h, [[maybe_unused]] const DecodedInsn& d)

// --- Operand helpers ---------------------------------------------------------------------
inline uint64_t rs1(const Hart& h, const DecodedInsn& d) { return h.x[d.rs1]; }
inline uint64_t rs2(const Hart& h, const DecodedInsn& d) { return h.x[d.rs2]; }
inline void set_rd(Hart& h, const DecodedInsn& d, uint64_t v) { h.x[d.rd] = v; }
inline uint64_t sext32(uint64_t v) { return static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(v))); }
inline uint64_t uimm(const DecodedInsn& d) { return static_cast<uint64_t>(d.imm); }

__extension__ typedef __int128 i128;  // GCC/Clang extension for the high half of a product
__extension__ typedef unsigned __int128 u128;

[[noreturn]] inline void illegal(const DecodedInsn& d) { throw Trap{Exception::IllegalInstruction, d.raw}; }

// --- RV64I -------------------------------------------------------------------------------
HB_INSN(ILLEGAL) { illegal(d); }
HB_INSN(LUI) { set_rd(h, d, uimm(d)); }
HB_INSN(AUIPC) { set_rd(h, d, h.pc + uimm(d)); }
HB_INSN(JAL) {
  set_rd(h, d, h.pc + d.len);
  h.next_pc = h.pc + uimm(d);
}
HB_INSN(JALR) {
  const uint64_t target = (rs1(h, d) + uimm(d)) & ~uint64_t{1};  // read rs1 before writing rd
  set_rd(h, d, h.pc + d.len);
  h.next_pc = target;
}
#define HB_BRANCH(name, cond) \
  HB_INSN(name) {             \
    if (cond) h.next_pc = h.pc + uimm(d); \
  }
HB_BRANCH(BEQ, rs1(h, d) == rs2(h, d))
HB_BRANCH(BNE, rs1(h, d) != rs2(h, d))
HB_BRANCH(BLT, static_cast<int64_t>(rs1(h, d)) < static_cast<int64_t>(rs2(h, d)))
HB_BRANCH(BGE, static_cast<int64_t>(rs1(h, d)) >= static_cast<int64_t>(rs2(h, d)))
HB_BRANCH(BLTU, rs1(h, d) < rs2(h, d))
HB_BRANCH(BGEU, rs1(h, d) >= rs2(h, d))
#undef HB_BRANCH

#define HB_LOAD(name, type) \
  HB_INSN(name) { set_rd(h, d, static_cast<uint64_t>(static_cast<int64_t>(h.load<type>(rs1(h, d) + uimm(d))))); }
HB_LOAD(LB, int8_t)
HB_LOAD(LH, int16_t)
HB_LOAD(LW, int32_t)
HB_LOAD(LD, int64_t)
#undef HB_LOAD
HB_INSN(LBU) { set_rd(h, d, h.load<uint8_t>(rs1(h, d) + uimm(d))); }
HB_INSN(LHU) { set_rd(h, d, h.load<uint16_t>(rs1(h, d) + uimm(d))); }
HB_INSN(LWU) { set_rd(h, d, h.load<uint32_t>(rs1(h, d) + uimm(d))); }
HB_INSN(SB) { h.store<uint8_t>(rs1(h, d) + uimm(d), static_cast<uint8_t>(rs2(h, d))); }
HB_INSN(SH) { h.store<uint16_t>(rs1(h, d) + uimm(d), static_cast<uint16_t>(rs2(h, d))); }
HB_INSN(SW) { h.store<uint32_t>(rs1(h, d) + uimm(d), static_cast<uint32_t>(rs2(h, d))); }
HB_INSN(SD) { h.store<uint64_t>(rs1(h, d) + uimm(d), rs2(h, d)); }

HB_INSN(ADDI) { set_rd(h, d, rs1(h, d) + uimm(d)); }
HB_INSN(SLTI) { set_rd(h, d, static_cast<int64_t>(rs1(h, d)) < d.imm); }
HB_INSN(SLTIU) { set_rd(h, d, rs1(h, d) < uimm(d)); }
HB_INSN(XORI) { set_rd(h, d, rs1(h, d) ^ uimm(d)); }
HB_INSN(ORI) { set_rd(h, d, rs1(h, d) | uimm(d)); }
HB_INSN(ANDI) { set_rd(h, d, rs1(h, d) & uimm(d)); }
HB_INSN(SLLI) { set_rd(h, d, rs1(h, d) << d.imm); }
HB_INSN(SRLI) { set_rd(h, d, rs1(h, d) >> d.imm); }
HB_INSN(SRAI) { set_rd(h, d, static_cast<uint64_t>(static_cast<int64_t>(rs1(h, d)) >> d.imm)); }
HB_INSN(ADD) { set_rd(h, d, rs1(h, d) + rs2(h, d)); }
HB_INSN(SUB) { set_rd(h, d, rs1(h, d) - rs2(h, d)); }
HB_INSN(SLL) { set_rd(h, d, rs1(h, d) << (rs2(h, d) & 63)); }
HB_INSN(SLT) { set_rd(h, d, static_cast<int64_t>(rs1(h, d)) < static_cast<int64_t>(rs2(h, d))); }
HB_INSN(SLTU) { set_rd(h, d, rs1(h, d) < rs2(h, d)); }
HB_INSN(XOR) { set_rd(h, d, rs1(h, d) ^ rs2(h, d)); }
HB_INSN(SRL) { set_rd(h, d, rs1(h, d) >> (rs2(h, d) & 63)); }
HB_INSN(SRA) { set_rd(h, d, static_cast<uint64_t>(static_cast<int64_t>(rs1(h, d)) >> (rs2(h, d) & 63))); }
HB_INSN(OR) { set_rd(h, d, rs1(h, d) | rs2(h, d)); }
HB_INSN(AND) { set_rd(h, d, rs1(h, d) & rs2(h, d)); }
// The W forms operate on the low 32 bits and sign-extend the 32-bit result (RV64I 5.3).
HB_INSN(ADDIW) { set_rd(h, d, sext32(rs1(h, d) + uimm(d))); }
HB_INSN(SLLIW) { set_rd(h, d, sext32(rs1(h, d) << d.imm)); }
HB_INSN(SRLIW) { set_rd(h, d, sext32(static_cast<uint32_t>(rs1(h, d)) >> d.imm)); }
HB_INSN(SRAIW) { set_rd(h, d, sext32(static_cast<uint64_t>(static_cast<int32_t>(rs1(h, d)) >> d.imm))); }
HB_INSN(ADDW) { set_rd(h, d, sext32(rs1(h, d) + rs2(h, d))); }
HB_INSN(SUBW) { set_rd(h, d, sext32(rs1(h, d) - rs2(h, d))); }
HB_INSN(SLLW) { set_rd(h, d, sext32(rs1(h, d) << (rs2(h, d) & 31))); }
HB_INSN(SRLW) { set_rd(h, d, sext32(static_cast<uint32_t>(rs1(h, d)) >> (rs2(h, d) & 31))); }
HB_INSN(SRAW) { set_rd(h, d, sext32(static_cast<uint64_t>(static_cast<int32_t>(rs1(h, d)) >> (rs2(h, d) & 31)))); }

HB_INSN(FENCE) {}  // one hart's accesses are already in order; harts share memory through atomics
HB_INSN(FENCE_I) {
  if (CodeWriteObserver* o = h.code_write_observer()) o->instruction_fence();
}
HB_INSN(ECALL) {
  // Environment call from U, S or M: causes 8, 9 and 11 (priv spec 3.1.15).
  throw Trap{static_cast<Exception>(8 + static_cast<uint64_t>(h.priv)), 0};
}
bool is_semihosting_call(Hart& h, const DecodedInsn& d);
HB_INSN(EBREAK) {
  if (is_semihosting_call(h, d)) {
    h.semihosting()->semihosting_call(h);
    h.request_sync();  // the host call may have written memory or ended the run
    return;
  }
  throw Trap{Exception::Breakpoint, h.pc};
}
HB_INSN(MRET) {
  if (!h.execute_mret()) illegal(d);
}
HB_INSN(SRET) {
  if (!h.execute_sret()) illegal(d);
}
HB_INSN(WFI) {
  if (!h.execute_wfi()) illegal(d);
}
HB_INSN(SFENCE_VMA) {
  if (!h.execute_sfence_vma()) illegal(d);
}

// --- Zicsr: a CSR instruction that would write does the write check even when the value is
// unchanged; csrrs/csrrc with rs1 = x0 (or uimm = 0) do not write, and csrrw with rd = x0 does
// not read (Zicsr chapter, "CSR Instructions").
inline void csr_op(Hart& h, const DecodedInsn& d, bool reads, bool writes, auto&& new_value) {
  const auto number = static_cast<uint16_t>(d.imm);
  if (!h.csr_accessible(number, writes)) illegal(d);
  uint64_t old = 0;
  if (reads && !h.csr_read(number, old)) illegal(d);
  if (writes && !h.csr_write(number, new_value(h.csr_modify_base(number, old)))) illegal(d);
  set_rd(h, d, old);
}
HB_INSN(CSRRW) { csr_op(h, d, d.rd != 0, true, [&](uint64_t) { return rs1(h, d); }); }
HB_INSN(CSRRS) { csr_op(h, d, true, d.rs1 != 0, [&](uint64_t old) { return old | rs1(h, d); }); }
HB_INSN(CSRRC) { csr_op(h, d, true, d.rs1 != 0, [&](uint64_t old) { return old & ~rs1(h, d); }); }
HB_INSN(CSRRWI) { csr_op(h, d, d.rd != 0, true, [&](uint64_t) { return uint64_t{d.rs1}; }); }
HB_INSN(CSRRSI) { csr_op(h, d, true, d.rs1 != 0, [&](uint64_t old) { return old | d.rs1; }); }
HB_INSN(CSRRCI) { csr_op(h, d, true, d.rs1 != 0, [&](uint64_t old) { return old & ~uint64_t{d.rs1}; }); }

// --- RV64M (division results for x/0 and overflow: M chapter, table "Semantics for division
// by zero and division overflow") -----------------------------------------------------------
HB_INSN(MUL) { set_rd(h, d, rs1(h, d) * rs2(h, d)); }
HB_INSN(MULH) {
  auto p = static_cast<i128>(static_cast<int64_t>(rs1(h, d))) * static_cast<int64_t>(rs2(h, d));
  set_rd(h, d, static_cast<uint64_t>(p >> 64));
}
HB_INSN(MULHSU) {
  auto p = static_cast<i128>(static_cast<int64_t>(rs1(h, d))) * static_cast<i128>(rs2(h, d));
  set_rd(h, d, static_cast<uint64_t>(p >> 64));
}
HB_INSN(MULHU) {
  auto p = static_cast<u128>(rs1(h, d)) * rs2(h, d);
  set_rd(h, d, static_cast<uint64_t>(p >> 64));
}
HB_INSN(DIV) {
  const auto a = static_cast<int64_t>(rs1(h, d)), b = static_cast<int64_t>(rs2(h, d));
  if (b == 0) return set_rd(h, d, ~uint64_t{0});
  if (a == INT64_MIN && b == -1) return set_rd(h, d, static_cast<uint64_t>(a));
  set_rd(h, d, static_cast<uint64_t>(a / b));
}
HB_INSN(DIVU) {
  const uint64_t b = rs2(h, d);
  set_rd(h, d, b == 0 ? ~uint64_t{0} : rs1(h, d) / b);
}
HB_INSN(REM) {
  const auto a = static_cast<int64_t>(rs1(h, d)), b = static_cast<int64_t>(rs2(h, d));
  if (b == 0) return set_rd(h, d, static_cast<uint64_t>(a));
  if (a == INT64_MIN && b == -1) return set_rd(h, d, 0);
  set_rd(h, d, static_cast<uint64_t>(a % b));
}
HB_INSN(REMU) {
  const uint64_t b = rs2(h, d);
  set_rd(h, d, b == 0 ? rs1(h, d) : rs1(h, d) % b);
}
HB_INSN(MULW) { set_rd(h, d, sext32(rs1(h, d) * rs2(h, d))); }
HB_INSN(DIVW) {
  const auto a = static_cast<int32_t>(rs1(h, d)), b = static_cast<int32_t>(rs2(h, d));
  if (b == 0) return set_rd(h, d, ~uint64_t{0});
  if (a == INT32_MIN && b == -1) return set_rd(h, d, sext32(static_cast<uint32_t>(a)));
  set_rd(h, d, sext32(static_cast<uint32_t>(a / b)));
}
HB_INSN(DIVUW) {
  const auto a = static_cast<uint32_t>(rs1(h, d)), b = static_cast<uint32_t>(rs2(h, d));
  set_rd(h, d, b == 0 ? ~uint64_t{0} : sext32(a / b));
}
HB_INSN(REMW) {
  const auto a = static_cast<int32_t>(rs1(h, d)), b = static_cast<int32_t>(rs2(h, d));
  if (b == 0) return set_rd(h, d, sext32(static_cast<uint32_t>(a)));
  if (a == INT32_MIN && b == -1) return set_rd(h, d, 0);
  set_rd(h, d, sext32(static_cast<uint32_t>(a % b)));
}
HB_INSN(REMUW) {
  const auto a = static_cast<uint32_t>(rs1(h, d)), b = static_cast<uint32_t>(rs2(h, d));
  set_rd(h, d, sext32(b == 0 ? a : a % b));
}

// --- RV64A: atomic with respect to every hart of the machine (std::atomic_ref on guest RAM).
// SC succeeds only if the reservation is ours, at the same address, and memory still holds the
// value LR saw (the compare-and-swap that QEMU also uses). ------------------------------------
template <typename T>
inline void load_reserved(Hart& h, const DecodedInsn& d) {
  const uint64_t addr = rs1(h, d);
  T* p = h.atomic_pointer<T>(addr, true);
  const T value = std::atomic_ref<T>(*p).load(std::memory_order_acquire);
  h.reservation_addr = addr;
  h.reservation_value = static_cast<uint64_t>(value);
  h.reservation_valid = true;
  set_rd(h, d, static_cast<uint64_t>(static_cast<int64_t>(static_cast<std::make_signed_t<T>>(value))));
}
template <typename T>
inline void store_conditional(Hart& h, const DecodedInsn& d) {
  const uint64_t addr = rs1(h, d);
  T* p = h.atomic_pointer<T>(addr, false);
  bool ok = false;
  if (h.reservation_valid && h.reservation_addr == addr) {
    T expected = static_cast<T>(h.reservation_value);
    ok = std::atomic_ref<T>(*p).compare_exchange_strong(expected, static_cast<T>(rs2(h, d)),
                                                        std::memory_order_acq_rel);
  }
  h.reservation_valid = false;
  set_rd(h, d, ok ? 0 : 1);
}
template <typename T, typename F>
inline void amo(Hart& h, const DecodedInsn& d, F&& op) {
  T* p = h.atomic_pointer<T>(rs1(h, d), false);
  std::atomic_ref<T> word(*p);
  const T operand = static_cast<T>(rs2(h, d));
  T old = word.load(std::memory_order_relaxed);
  while (!word.compare_exchange_weak(old, op(old, operand), std::memory_order_acq_rel)) {
  }
  set_rd(h, d, static_cast<uint64_t>(static_cast<int64_t>(static_cast<std::make_signed_t<T>>(old))));
}
template <typename T>
inline T amo_min(T a, T b) {
  using S = std::make_signed_t<T>;
  return static_cast<S>(a) < static_cast<S>(b) ? a : b;
}
template <typename T>
inline T amo_max(T a, T b) {
  using S = std::make_signed_t<T>;
  return static_cast<S>(a) > static_cast<S>(b) ? a : b;
}
#define HB_AMO_PAIR(NAME, expr)                                                        \
  HB_INSN(NAME##_W) { amo<uint32_t>(h, d, [](uint32_t a, uint32_t b) -> uint32_t { return expr; }); } \
  HB_INSN(NAME##_D) { amo<uint64_t>(h, d, [](uint64_t a, uint64_t b) -> uint64_t { return expr; }); }
HB_INSN(LR_W) { load_reserved<uint32_t>(h, d); }
HB_INSN(LR_D) { load_reserved<uint64_t>(h, d); }
HB_INSN(SC_W) { store_conditional<uint32_t>(h, d); }
HB_INSN(SC_D) { store_conditional<uint64_t>(h, d); }
HB_AMO_PAIR(AMOSWAP, ((void)a, b))
HB_AMO_PAIR(AMOADD, a + b)
HB_AMO_PAIR(AMOXOR, a ^ b)
HB_AMO_PAIR(AMOAND, a & b)
HB_AMO_PAIR(AMOOR, a | b)
HB_AMO_PAIR(AMOMIN, amo_min(a, b))
HB_AMO_PAIR(AMOMAX, amo_max(a, b))
HB_AMO_PAIR(AMOMINU, a < b ? a : b)
HB_AMO_PAIR(AMOMAXU, a > b ? a : b)
#undef HB_AMO_PAIR

// --- F and D -----------------------------------------------------------------------------
// FP instructions are illegal while mstatus.FS = Off; rm = 7 selects frm, and 5, 6 (or a
// dynamic frm holding them) are illegal (F chapter, "Floating-Point Control and Status").
inline void require_fp(const Hart& h, const DecodedInsn& d) {
  if (!h.fp_enabled()) illegal(d);
}
inline unsigned rounding_mode(const Hart& h, const DecodedInsn& d) {
  require_fp(h, d);
  const unsigned rm = d.rm == 7 ? h.frm() : d.rm;
  if (rm > 4) illegal(d);
  return rm;
}
// Single-precision values live NaN-boxed in the 64-bit registers; a value that is not
// properly boxed reads as the canonical NaN (D chapter, "NaN Boxing of Narrower Values").
inline uint32_t f32(const Hart& h, unsigned r) {
  return (h.f[r] >> 32) == 0xffffffffu ? static_cast<uint32_t>(h.f[r]) : fpu::kCanonicalNaN32;
}
inline uint64_t f64(const Hart& h, unsigned r) { return h.f[r]; }
inline void set_f32(Hart& h, unsigned r, uint32_t v) {
  h.f[r] = 0xffffffff00000000ull | v;
  h.mark_fp_dirty();
}
inline void set_f64(Hart& h, unsigned r, uint64_t v) {
  h.f[r] = v;
  h.mark_fp_dirty();
}

HB_INSN(FLW) {
  require_fp(h, d);
  set_f32(h, d.rd, h.load<uint32_t>(rs1(h, d) + uimm(d)));
}
HB_INSN(FLD) {
  require_fp(h, d);
  set_f64(h, d.rd, h.load<uint64_t>(rs1(h, d) + uimm(d)));
}
HB_INSN(FSW) {
  require_fp(h, d);
  h.store<uint32_t>(rs1(h, d) + uimm(d), static_cast<uint32_t>(h.f[d.rs2]));
}
HB_INSN(FSD) {
  require_fp(h, d);
  h.store<uint64_t>(rs1(h, d) + uimm(d), h.f[d.rs2]);
}

// Arithmetic: one macro per shape, instantiated for S (f32) and D (f64).
#define HB_FP_BINARY(NAME, S_OR_D, fn)                                                       \
  HB_INSN(NAME##_##S_OR_D) {                                                                 \
    const unsigned rm = rounding_mode(h, d);                                                 \
    unsigned flags = 0;                                                                      \
    auto r = fpu::fn(HB_GET_##S_OR_D(d.rs1), HB_GET_##S_OR_D(d.rs2), rm, flags);             \
    h.accrue_fflags(flags);                                                                  \
    HB_SET_##S_OR_D(d.rd, r);                                                                \
  }
#define HB_FP_FUSED(NAME, S_OR_D, fn)                                                        \
  HB_INSN(NAME##_##S_OR_D) {                                                                 \
    const unsigned rm = rounding_mode(h, d);                                                 \
    unsigned flags = 0;                                                                      \
    auto r = fpu::fn(HB_GET_##S_OR_D(d.rs1), HB_GET_##S_OR_D(d.rs2), HB_GET_##S_OR_D(d.rs3), rm, flags); \
    h.accrue_fflags(flags);                                                                  \
    HB_SET_##S_OR_D(d.rd, r);                                                                \
  }
#define HB_GET_S(r) f32(h, r)
#define HB_GET_D(r) f64(h, r)
#define HB_SET_S(r, v) set_f32(h, r, v)
#define HB_SET_D(r, v) set_f64(h, r, v)

HB_FP_BINARY(FADD, S, f32_add)
HB_FP_BINARY(FSUB, S, f32_sub)
HB_FP_BINARY(FMUL, S, f32_mul)
HB_FP_BINARY(FDIV, S, f32_div)
HB_FP_BINARY(FADD, D, f64_add)
HB_FP_BINARY(FSUB, D, f64_sub)
HB_FP_BINARY(FMUL, D, f64_mul)
HB_FP_BINARY(FDIV, D, f64_div)
HB_FP_FUSED(FMADD, S, f32_fmadd)
HB_FP_FUSED(FMSUB, S, f32_fmsub)
HB_FP_FUSED(FNMSUB, S, f32_fnmsub)
HB_FP_FUSED(FNMADD, S, f32_fnmadd)
HB_FP_FUSED(FMADD, D, f64_fmadd)
HB_FP_FUSED(FMSUB, D, f64_fmsub)
HB_FP_FUSED(FNMSUB, D, f64_fnmsub)
HB_FP_FUSED(FNMADD, D, f64_fnmadd)

HB_INSN(FSQRT_S) {
  const unsigned rm = rounding_mode(h, d);
  unsigned flags = 0;
  const uint32_t r = fpu::f32_sqrt(f32(h, d.rs1), rm, flags);
  h.accrue_fflags(flags);
  set_f32(h, d.rd, r);
}
HB_INSN(FSQRT_D) {
  const unsigned rm = rounding_mode(h, d);
  unsigned flags = 0;
  const uint64_t r = fpu::f64_sqrt(f64(h, d.rs1), rm, flags);
  h.accrue_fflags(flags);
  set_f64(h, d.rd, r);
}

// Sign injection: bit manipulation only, no flags, no canonicalisation.
inline constexpr uint32_t kSign32 = 0x80000000u;
inline constexpr uint64_t kSign64 = 0x8000000000000000ull;
HB_INSN(FSGNJ_S) { require_fp(h, d); set_f32(h, d.rd, (f32(h, d.rs1) & ~kSign32) | (f32(h, d.rs2) & kSign32)); }
HB_INSN(FSGNJN_S) { require_fp(h, d); set_f32(h, d.rd, (f32(h, d.rs1) & ~kSign32) | (~f32(h, d.rs2) & kSign32)); }
HB_INSN(FSGNJX_S) { require_fp(h, d); set_f32(h, d.rd, f32(h, d.rs1) ^ (f32(h, d.rs2) & kSign32)); }
HB_INSN(FSGNJ_D) { require_fp(h, d); set_f64(h, d.rd, (f64(h, d.rs1) & ~kSign64) | (f64(h, d.rs2) & kSign64)); }
HB_INSN(FSGNJN_D) { require_fp(h, d); set_f64(h, d.rd, (f64(h, d.rs1) & ~kSign64) | (~f64(h, d.rs2) & kSign64)); }
HB_INSN(FSGNJX_D) { require_fp(h, d); set_f64(h, d.rd, f64(h, d.rs1) ^ (f64(h, d.rs2) & kSign64)); }

#define HB_FP_MINMAX(NAME, S_OR_D, fn)                                          \
  HB_INSN(NAME##_##S_OR_D) {                                                    \
    require_fp(h, d);                                                           \
    unsigned flags = 0;                                                         \
    auto r = fpu::fn(HB_GET_##S_OR_D(d.rs1), HB_GET_##S_OR_D(d.rs2), flags);    \
    h.accrue_fflags(flags);                                                     \
    HB_SET_##S_OR_D(d.rd, r);                                                   \
  }
HB_FP_MINMAX(FMIN, S, f32_min)
HB_FP_MINMAX(FMAX, S, f32_max)
HB_FP_MINMAX(FMIN, D, f64_min)
HB_FP_MINMAX(FMAX, D, f64_max)

#define HB_FP_COMPARE(NAME, S_OR_D, fn)                                         \
  HB_INSN(NAME##_##S_OR_D) {                                                    \
    require_fp(h, d);                                                           \
    unsigned flags = 0;                                                         \
    const bool r = fpu::fn(HB_GET_##S_OR_D(d.rs1), HB_GET_##S_OR_D(d.rs2), flags); \
    h.accrue_fflags(flags);                                                     \
    set_rd(h, d, r);                                                            \
  }
HB_FP_COMPARE(FEQ, S, f32_eq)
HB_FP_COMPARE(FLT, S, f32_lt)
HB_FP_COMPARE(FLE, S, f32_le)
HB_FP_COMPARE(FEQ, D, f64_eq)
HB_FP_COMPARE(FLT, D, f64_lt)
HB_FP_COMPARE(FLE, D, f64_le)

HB_INSN(FCLASS_S) { require_fp(h, d); set_rd(h, d, fpu::f32_classify(f32(h, d.rs1))); }
HB_INSN(FCLASS_D) { require_fp(h, d); set_rd(h, d, fpu::f64_classify(f64(h, d.rs1))); }

// Conversions to integers: 32-bit results are sign-extended, even for the unsigned forms.
#define HB_FP_TO_INT(NAME, S_OR_D, fn, widen)                                   \
  HB_INSN(NAME) {                                                               \
    const unsigned rm = rounding_mode(h, d);                                    \
    unsigned flags = 0;                                                         \
    const auto r = fpu::fn(HB_GET_##S_OR_D(d.rs1), rm, flags);                  \
    h.accrue_fflags(flags);                                                     \
    set_rd(h, d, widen(r));                                                     \
  }
#define HB_SEXT32(v) sext32(static_cast<uint32_t>(v))
#define HB_AS_U64(v) static_cast<uint64_t>(v)
HB_FP_TO_INT(FCVT_W_S, S, f32_to_i32, HB_SEXT32)
HB_FP_TO_INT(FCVT_WU_S, S, f32_to_u32, HB_SEXT32)
HB_FP_TO_INT(FCVT_L_S, S, f32_to_i64, HB_AS_U64)
HB_FP_TO_INT(FCVT_LU_S, S, f32_to_u64, HB_AS_U64)
HB_FP_TO_INT(FCVT_W_D, D, f64_to_i32, HB_SEXT32)
HB_FP_TO_INT(FCVT_WU_D, D, f64_to_u32, HB_SEXT32)
HB_FP_TO_INT(FCVT_L_D, D, f64_to_i64, HB_AS_U64)
HB_FP_TO_INT(FCVT_LU_D, D, f64_to_u64, HB_AS_U64)

#define HB_INT_TO_FP(NAME, S_OR_D, fn, type)                                    \
  HB_INSN(NAME) {                                                               \
    const unsigned rm = rounding_mode(h, d);                                    \
    unsigned flags = 0;                                                         \
    const auto r = fpu::fn(static_cast<type>(rs1(h, d)), rm, flags);           \
    h.accrue_fflags(flags);                                                     \
    HB_SET_##S_OR_D(d.rd, r);                                                   \
  }
HB_INT_TO_FP(FCVT_S_W, S, i32_to_f32, int32_t)
HB_INT_TO_FP(FCVT_S_WU, S, u32_to_f32, uint32_t)
HB_INT_TO_FP(FCVT_S_L, S, i64_to_f32, int64_t)
HB_INT_TO_FP(FCVT_S_LU, S, u64_to_f32, uint64_t)
HB_INT_TO_FP(FCVT_D_W, D, i32_to_f64, int32_t)
HB_INT_TO_FP(FCVT_D_WU, D, u32_to_f64, uint32_t)
HB_INT_TO_FP(FCVT_D_L, D, i64_to_f64, int64_t)
HB_INT_TO_FP(FCVT_D_LU, D, u64_to_f64, uint64_t)

HB_INSN(FCVT_S_D) {
  const unsigned rm = rounding_mode(h, d);
  unsigned flags = 0;
  const uint32_t r = fpu::f64_to_f32(f64(h, d.rs1), rm, flags);
  h.accrue_fflags(flags);
  set_f32(h, d.rd, r);
}
HB_INSN(FCVT_D_S) {
  (void)rounding_mode(h, d);  // the conversion is exact, but a reserved rm is still illegal
  unsigned flags = 0;
  const uint64_t r = fpu::f32_to_f64(f32(h, d.rs1), flags);
  h.accrue_fflags(flags);
  set_f64(h, d.rd, r);
}
// Moves copy bits without looking at them: no unboxing, no canonicalisation.
HB_INSN(FMV_X_W) { require_fp(h, d); set_rd(h, d, sext32(static_cast<uint32_t>(h.f[d.rs1]))); }
HB_INSN(FMV_W_X) { require_fp(h, d); set_f32(h, d.rd, static_cast<uint32_t>(rs1(h, d))); }
HB_INSN(FMV_X_D) { require_fp(h, d); set_rd(h, d, h.f[d.rs1]); }
HB_INSN(FMV_D_X) { require_fp(h, d); set_f64(h, d.rd, rs1(h, d)); }

#undef HB_FP_BINARY
#undef HB_FP_FUSED
#undef HB_FP_MINMAX
#undef HB_FP_COMPARE
#undef HB_FP_TO_INT
#undef HB_INT_TO_FP
#undef HB_SEXT32
#undef HB_AS_U64
#undef HB_GET_S
#undef HB_GET_D
#undef HB_SET_S
#undef HB_SET_D
#undef HB_INSN

// Runs the body of `d.op`. Engines that dispatch differently (computed goto, pre-decoded
// handlers) call the same exec_ functions; this switch is the reference dispatch.
[[gnu::always_inline]] inline void execute(Hart& h, const DecodedInsn& d) {
  switch (d.op) {
    case Op::ILLEGAL: exec_ILLEGAL(h, d); return;
#define HB_OP(name, match, mask, fmt, cls) \
  case Op::name: exec_##name(h, d); return;
#include "core/isa/opcodes.def"
#undef HB_OP
    case Op::COUNT: break;
  }
  illegal(d);
}

}  // namespace hartbox::isa
