// The floating-point unit of a hart as pure functions: the arithmetic of the F and D extensions
// (ISA manual, unprivileged volume, chapters "F" and "D"; IEEE 754-2008), bit-exact including the
// accrued exception flags.
//
// Contract shared by every function here:
//  - Operands and results are raw IEEE 754 bit patterns. NaN-boxing, sign injection and FMV are
//    the caller's business; so is resolving rm = DYN (7) from frm and rejecting rm 5 and 6.
//    `rm` must be one of RoundingMode.
//  - Flags are ORed into `flags` (fflags bit layout), never cleared, so a caller can accumulate
//    straight into fcsr.fflags.
//  - Every NaN result is the canonical NaN ("NaN Generation and Propagation"); payloads are dropped.
//  - Tininess is detected after rounding ("Subnormal Arithmetic"); subnormals are never flushed.
//
// No state: the functions are reentrant, may be called from any thread, and neither read nor
// change the host's floating-point environment (they compute with integers only).
#pragma once

#include <cstdint>

namespace hartbox::fpu {

enum RoundingMode : unsigned { RNE = 0, RTZ = 1, RDN = 2, RUP = 3, RMM = 4 };
enum Flag : unsigned { NX = 1, UF = 2, OF = 4, DZ = 8, NV = 16 };  // fflags bit positions

inline constexpr uint32_t kCanonicalNaN32 = 0x7fc00000u;
inline constexpr uint64_t kCanonicalNaN64 = 0x7ff8000000000000ull;

// --- Single precision (F) ---
uint32_t f32_add(uint32_t a, uint32_t b, unsigned rm, unsigned& flags);
uint32_t f32_sub(uint32_t a, uint32_t b, unsigned rm, unsigned& flags);
uint32_t f32_mul(uint32_t a, uint32_t b, unsigned rm, unsigned& flags);
uint32_t f32_div(uint32_t a, uint32_t b, unsigned rm, unsigned& flags);
uint32_t f32_sqrt(uint32_t a, unsigned rm, unsigned& flags);
// a*b + c with a single rounding. The four fused instructions are named as in the ISA:
// fmadd = a*b+c, fmsub = a*b-c, fnmsub = -(a*b)+c, fnmadd = -(a*b)-c.
uint32_t f32_mul_add(uint32_t a, uint32_t b, uint32_t c, unsigned rm, unsigned& flags);
uint32_t f32_fmadd(uint32_t a, uint32_t b, uint32_t c, unsigned rm, unsigned& flags);
uint32_t f32_fmsub(uint32_t a, uint32_t b, uint32_t c, unsigned rm, unsigned& flags);
uint32_t f32_fnmsub(uint32_t a, uint32_t b, uint32_t c, unsigned rm, unsigned& flags);
uint32_t f32_fnmadd(uint32_t a, uint32_t b, uint32_t c, unsigned rm, unsigned& flags);
// IEEE 754-2019 minimumNumber/maximumNumber (F 2.2): -0 < +0, a single NaN operand is ignored.
uint32_t f32_min(uint32_t a, uint32_t b, unsigned& flags);
uint32_t f32_max(uint32_t a, uint32_t b, unsigned& flags);
bool f32_eq(uint32_t a, uint32_t b, unsigned& flags);  // quiet: NV only for a signaling NaN
bool f32_lt(uint32_t a, uint32_t b, unsigned& flags);  // signaling: NV for any NaN
bool f32_le(uint32_t a, uint32_t b, unsigned& flags);  // signaling: NV for any NaN
unsigned f32_classify(uint32_t a);                     // FCLASS mask, exactly one of bits 0..9
// Conversions to integers saturate as in the ISA's table "Domains of float-to-integer
// conversions": NaN and +inf give the maximum, -inf the minimum, with NV (never NX) when the
// rounded value does not fit. The 32-bit results are returned unextended; the caller
// sign-extends them to XLEN, FCVT.WU included.
int32_t f32_to_i32(uint32_t a, unsigned rm, unsigned& flags);
uint32_t f32_to_u32(uint32_t a, unsigned rm, unsigned& flags);
int64_t f32_to_i64(uint32_t a, unsigned rm, unsigned& flags);
uint64_t f32_to_u64(uint32_t a, unsigned rm, unsigned& flags);
uint32_t i32_to_f32(int32_t v, unsigned rm, unsigned& flags);
uint32_t u32_to_f32(uint32_t v, unsigned rm, unsigned& flags);
uint32_t i64_to_f32(int64_t v, unsigned rm, unsigned& flags);
uint32_t u64_to_f32(uint64_t v, unsigned rm, unsigned& flags);

// --- Double precision (D) ---
uint64_t f64_add(uint64_t a, uint64_t b, unsigned rm, unsigned& flags);
uint64_t f64_sub(uint64_t a, uint64_t b, unsigned rm, unsigned& flags);
uint64_t f64_mul(uint64_t a, uint64_t b, unsigned rm, unsigned& flags);
uint64_t f64_div(uint64_t a, uint64_t b, unsigned rm, unsigned& flags);
uint64_t f64_sqrt(uint64_t a, unsigned rm, unsigned& flags);
uint64_t f64_mul_add(uint64_t a, uint64_t b, uint64_t c, unsigned rm, unsigned& flags);
uint64_t f64_fmadd(uint64_t a, uint64_t b, uint64_t c, unsigned rm, unsigned& flags);
uint64_t f64_fmsub(uint64_t a, uint64_t b, uint64_t c, unsigned rm, unsigned& flags);
uint64_t f64_fnmsub(uint64_t a, uint64_t b, uint64_t c, unsigned rm, unsigned& flags);
uint64_t f64_fnmadd(uint64_t a, uint64_t b, uint64_t c, unsigned rm, unsigned& flags);
uint64_t f64_min(uint64_t a, uint64_t b, unsigned& flags);
uint64_t f64_max(uint64_t a, uint64_t b, unsigned& flags);
bool f64_eq(uint64_t a, uint64_t b, unsigned& flags);
bool f64_lt(uint64_t a, uint64_t b, unsigned& flags);
bool f64_le(uint64_t a, uint64_t b, unsigned& flags);
unsigned f64_classify(uint64_t a);
int32_t f64_to_i32(uint64_t a, unsigned rm, unsigned& flags);
uint32_t f64_to_u32(uint64_t a, unsigned rm, unsigned& flags);
int64_t f64_to_i64(uint64_t a, unsigned rm, unsigned& flags);
uint64_t f64_to_u64(uint64_t a, unsigned rm, unsigned& flags);
uint64_t i32_to_f64(int32_t v, unsigned rm, unsigned& flags);
uint64_t u32_to_f64(uint32_t v, unsigned rm, unsigned& flags);
uint64_t i64_to_f64(int64_t v, unsigned rm, unsigned& flags);
uint64_t u64_to_f64(uint64_t v, unsigned rm, unsigned& flags);

// --- Between the formats ---
uint64_t f32_to_f64(uint32_t a, unsigned& flags);  // exact (FCVT.D.S never rounds); sNaN raises NV
uint32_t f64_to_f32(uint64_t a, unsigned rm, unsigned& flags);

}  // namespace hartbox::fpu
