// Tests for core/fpu: each expectation comes from the ISA manual (unprivileged volume, chapters
// "F" and "D") or IEEE 754-2008, not from running the code. Values are written as host literals
// (hex floats are exact) and compared as bits, together with the flags the operation raised.
#include "core/fpu.hpp"

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <bit>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <type_traits>

using namespace hartbox::fpu;

namespace {

// What an operation returned, widened to 64 bits (signed results sign-extended), and its flags.
struct Result {
  uint64_t bits;
  unsigned flags;
  bool operator==(const Result&) const = default;
};

template <class Fn, class... Args>
Result run(Fn fn, Args... args) {
  unsigned flags = 0;
  const auto value = fn(args..., flags);
  return {static_cast<uint64_t>(value), flags};
}

constexpr uint32_t f32(float v) { return std::bit_cast<uint32_t>(v); }
constexpr uint64_t f64(double v) { return std::bit_cast<uint64_t>(v); }
constexpr uint64_t sext(int64_t v) { return static_cast<uint64_t>(v); }

constexpr uint32_t kSign32 = 0x80000000u;
constexpr uint64_t kSign64 = 0x8000000000000000ull;
constexpr uint32_t kInf32 = 0x7f800000u;
constexpr uint64_t kInf64 = 0x7ff0000000000000ull;
constexpr uint32_t kMax32 = 0x7f7fffffu;
constexpr uint64_t kMax64 = 0x7fefffffffffffffull;
constexpr uint32_t kMinNormal32 = 0x00800000u;
constexpr uint64_t kMinNormal64 = 0x0010000000000000ull;
constexpr uint32_t kMaxSubnormal32 = 0x007fffffu;
constexpr uint32_t kMinSubnormal32 = 0x00000001u;
constexpr uint64_t kMinSubnormal64 = 0x0000000000000001ull;
constexpr uint32_t kQNaNPayload32 = 0x7fc12345u;  // quiet, non-canonical payload
constexpr uint32_t kSNaN32 = 0x7f800001u;
constexpr uint32_t kSNaNPayload32 = 0xffa00abcu;  // negative signaling NaN with a payload
constexpr uint64_t kQNaNPayload64 = 0x7ff8000000012345ull;
constexpr uint64_t kSNaN64 = 0x7ff0000000000001ull;
constexpr uint64_t kSNaNPayload64 = 0xfff4000000000abcull;

constexpr unsigned kAllModes[] = {RNE, RTZ, RDN, RUP, RMM};

}  // namespace

namespace Catch {
template <>
struct StringMaker<Result> {
  static std::string convert(const Result& r) {
    std::ostringstream out;
    out << "{0x" << std::hex << r.bits << ", ";
    const char* names[] = {"NX", "UF", "OF", "DZ", "NV"};
    bool any = false;
    for (unsigned bit = 0; bit < 5; ++bit) {
      if ((r.flags & (1u << bit)) != 0) {
        out << (any ? "|" : "") << names[bit];
        any = true;
      }
    }
    out << (any ? "}" : "none}");
    return out.str();
  }
};
}  // namespace Catch

// --- Rounding: the five modes of the ISA's table "Rounding mode encoding" ---

TEST_CASE("add rounds an exact tie in each of the five modes", "[fpu][rounding]") {
  // 1 + 2^-24 lies halfway between 1 and the next single, 1 + 2^-23.
  const uint32_t one = f32(1.0f), tie = f32(0x1p-24f), up = f32(0x1.000002p0f);
  CHECK(run(f32_add, one, tie, RNE) == Result{one, NX});  // to even
  CHECK(run(f32_add, one, tie, RTZ) == Result{one, NX});
  CHECK(run(f32_add, one, tie, RDN) == Result{one, NX});
  CHECK(run(f32_add, one, tie, RUP) == Result{up, NX});
  CHECK(run(f32_add, one, tie, RMM) == Result{up, NX});  // away from zero
  // Negated: the directed modes swap, the nearest modes mirror.
  const uint32_t minus_one = one | kSign32, minus_tie = tie | kSign32, minus_up = up | kSign32;
  CHECK(run(f32_add, minus_one, minus_tie, RNE) == Result{minus_one, NX});
  CHECK(run(f32_add, minus_one, minus_tie, RTZ) == Result{minus_one, NX});
  CHECK(run(f32_add, minus_one, minus_tie, RDN) == Result{minus_up, NX});
  CHECK(run(f32_add, minus_one, minus_tie, RUP) == Result{minus_one, NX});
  CHECK(run(f32_add, minus_one, minus_tie, RMM) == Result{minus_up, NX});
  // From an odd significand the even neighbour is above: RNE and RMM agree.
  CHECK(run(f32_add, up, tie, RNE) == Result{f32(0x1.000004p0f), NX});
  CHECK(run(f32_add, up, tie, RMM) == Result{f32(0x1.000004p0f), NX});
  // Not a tie: a quarter ulp above 1 goes to the nearest, 1, in RMM too.
  CHECK(run(f32_add, one, f32(0x1p-25f), RMM) == Result{one, NX});
  CHECK(run(f32_add, one, f32(0x1p-25f), RUP) == Result{up, NX});

  const uint64_t d_one = f64(1.0), d_tie = f64(0x1p-53), d_up = f64(0x1.0000000000001p0);
  CHECK(run(f64_add, d_one, d_tie, RNE) == Result{d_one, NX});
  CHECK(run(f64_add, d_one, d_tie, RTZ) == Result{d_one, NX});
  CHECK(run(f64_add, d_one, d_tie, RDN) == Result{d_one, NX});
  CHECK(run(f64_add, d_one, d_tie, RUP) == Result{d_up, NX});
  CHECK(run(f64_add, d_one, d_tie, RMM) == Result{d_up, NX});
  CHECK(run(f64_sub, d_one | kSign64, d_tie, RMM) == Result{d_up | kSign64, NX});
  CHECK(run(f64_sub, d_one | kSign64, d_tie, RDN) == Result{d_up | kSign64, NX});
}

TEST_CASE("RMM breaks ties away from zero in every rounding operation", "[fpu][rounding]") {
  // (1 + 2^-12)^2 = 1 + 2^-11 + 2^-24: a tie between two singles.
  const uint32_t m = f32(0x1.001p0f);
  CHECK(run(f32_mul, m, m, RNE) == Result{f32(0x1.002p0f), NX});
  CHECK(run(f32_mul, m, m, RMM) == Result{f32(0x1.002002p0f), NX});
  CHECK(run(f32_mul, m, m | kSign32, RMM) == Result{f32(-0x1.002002p0f), NX});
  // Near a tie is not a tie: (1 + 2^-27)^2 = 1 + 2^-26 + 2^-54 is a quarter ulp above 1 + 2^-26.
  const uint64_t near_tie = f64(0x1.0000002p0);
  CHECK(run(f64_mul, near_tie, near_tie, RMM) == Result{f64(0x1.0000004p0), NX});
  CHECK(run(f64_mul, near_tie, near_tie, RUP) == Result{f64(0x1.0000004000001p0), NX});
  // A double tie: (1 + 2^-26) * (1 + 2^-27) = 1 + 2^-26 + 2^-27 + 2^-53.
  CHECK(run(f64_mul, f64(0x1.0000004p0), f64(0x1.0000002p0), RNE) == Result{f64(0x1.0000006p0), NX});
  CHECK(run(f64_mul, f64(0x1.0000004p0), f64(0x1.0000002p0), RMM) == Result{f64(0x1.0000006000001p0), NX});

  // Quotients of normals are never ties; in the subnormal range they can be: 5 * 2^-149 / 2.
  CHECK(run(f32_div, 5u, f32(2.0f), RNE) == Result{2u, UF | NX});
  CHECK(run(f32_div, 5u, f32(2.0f), RMM) == Result{3u, UF | NX});
  CHECK(run(f64_div, uint64_t{5}, f64(-2.0), RMM) == Result{kSign64 | 3, UF | NX});

  // fma rounds once: (1 + 2^-12)^2 - (1 + 2^-11) = 2^-24 exactly, then 1 + 2^-24 is a tie.
  CHECK(run(f32_mul_add, m, m, f32(-0x1.002p0f), RNE) == Result{f32(0x1p-24f), 0u});
  CHECK(run(f32_fmadd, f32(1.0f), f32(1.0f), f32(0x1p-24f), RMM) == Result{f32(0x1.000002p0f), NX});
  CHECK(run(f32_fmadd, f32(1.0f), f32(1.0f), f32(0x1p-24f), RNE) == Result{f32(1.0f), NX});
  CHECK(run(f64_fmadd, f64(1.0), f64(1.0), f64(0x1p-53), RMM) == Result{f64(0x1.0000000000001p0), NX});
  CHECK(run(f64_fnmadd, f64(1.0), f64(1.0), f64(0x1p-53), RMM) == Result{f64(-0x1.0000000000001p0), NX});

  // A square root is never exactly halfway, so RMM and RNE agree.
  for (const uint32_t v : {f32(2.0f), f32(3.0f), f32(0x1.fffffep127f), 1u}) {
    CHECK(run(f32_sqrt, v, RMM) == run(f32_sqrt, v, RNE));
  }
  CHECK(run(f64_sqrt, f64(2.0), RMM) == Result{f64(0x1.6a09e667f3bcdp0), NX});

  // Conversions: 2^24 + 1 is halfway between two singles; 2.5 between two integers.
  CHECK(run(i32_to_f32, int32_t{16777217}, RNE) == Result{f32(16777216.0f), NX});
  CHECK(run(i32_to_f32, int32_t{16777217}, RMM) == Result{f32(16777218.0f), NX});
  CHECK(run(i32_to_f32, int32_t{-16777217}, RMM) == Result{f32(-16777218.0f), NX});
  CHECK(run(u64_to_f64, (uint64_t{1} << 53) + 1, RMM) == Result{f64(0x1.0000000000001p53), NX});
  CHECK(run(f32_to_i32, f32(2.5f), RNE) == Result{2, NX});
  CHECK(run(f32_to_i32, f32(2.5f), RMM) == Result{3, NX});
  CHECK(run(f32_to_i32, f32(-2.5f), RMM) == Result{sext(-3), NX});
  CHECK(run(f64_to_i64, f64(0.5), RNE) == Result{0, NX});
  CHECK(run(f64_to_i64, f64(0.5), RMM) == Result{1, NX});
  CHECK(run(f64_to_f32, f64(0x1.000001p0), RMM) == Result{f32(0x1.000002p0f), NX});
  CHECK(run(f64_to_f32, f64(0x1.000001p0), RNE) == Result{f32(1.0f), NX});
}

TEST_CASE("conversions to integer round in each mode", "[fpu][rounding][convert]") {
  const uint32_t v = f32(-1.5f);
  CHECK(run(f32_to_i32, v, RNE) == Result{sext(-2), NX});
  CHECK(run(f32_to_i32, v, RTZ) == Result{sext(-1), NX});
  CHECK(run(f32_to_i32, v, RDN) == Result{sext(-2), NX});
  CHECK(run(f32_to_i32, v, RUP) == Result{sext(-1), NX});
  CHECK(run(f32_to_i32, v, RMM) == Result{sext(-2), NX});
  const uint64_t w = f64(6.25);
  CHECK(run(f64_to_u64, w, RNE) == Result{6, NX});
  CHECK(run(f64_to_u64, w, RTZ) == Result{6, NX});
  CHECK(run(f64_to_u64, w, RDN) == Result{6, NX});
  CHECK(run(f64_to_u64, w, RUP) == Result{7, NX});
  CHECK(run(f64_to_u64, w, RMM) == Result{6, NX});
  CHECK(run(f64_to_i64, f64(0x1p-1074), RUP) == Result{1, NX});
  CHECK(run(f64_to_i64, f64(-0x1p-1074), RDN) == Result{sext(-1), NX});
  CHECK(run(f64_to_i64, f64(-0x1p-1074), RNE) == Result{0, NX});
  // Exact integers raise nothing.
  CHECK(run(f64_to_i32, f64(-7.0), RDN) == Result{sext(-7), 0u});
  CHECK(run(f32_to_u64, f32(0x1p63f), RNE) == Result{uint64_t{1} << 63, 0u});
}

// --- Flags raised by each operation ---

TEST_CASE("exact results raise no flag, inexact ones NX", "[fpu][flags]") {
  for (const unsigned rm : kAllModes) {
    CHECK(run(f32_add, f32(1.5f), f32(2.25f), rm) == Result{f32(3.75f), 0u});
    CHECK(run(f32_mul, f32(1.5f), f32(-4.0f), rm) == Result{f32(-6.0f), 0u});
    CHECK(run(f32_div, f32(1.0f), f32(4.0f), rm) == Result{f32(0.25f), 0u});
    CHECK(run(f32_sqrt, f32(2.25f), rm) == Result{f32(1.5f), 0u});
    CHECK(run(f64_sub, f64(1.5), f64(2.25), rm) == Result{f64(-0.75), 0u});
    CHECK(run(f64_fmadd, f64(3.0), f64(5.0), f64(-1.0), rm) == Result{f64(14.0), 0u});
    CHECK(run(f64_sqrt, f64(0x1p-1073), rm).flags == NX);  // 2^-536.5
    CHECK(run(f64_sqrt, f64(0x1p-1072), rm) == Result{f64(0x1p-536), 0u});
  }
  CHECK(run(f32_div, f32(1.0f), f32(3.0f), RNE) == Result{f32(0x1.555556p-2f), NX});
  CHECK(run(f32_div, f32(1.0f), f32(3.0f), RTZ) == Result{f32(0x1.555554p-2f), NX});
  CHECK(run(f64_div, f64(2.0), f64(3.0), RNE) == Result{f64(0x1.5555555555555p-1), NX});
  CHECK(run(f64_div, f64(2.0), f64(3.0), RUP) == Result{f64(0x1.5555555555556p-1), NX});
  CHECK(run(f32_sqrt, f32(2.0f), RNE) == Result{f32(0x1.6a09e6p0f), NX});
  CHECK(run(f32_sqrt, f32(2.0f), RUP) == Result{f32(0x1.6a09e8p0f), NX});
  CHECK(run(f64_mul, f64(0x1.0000001p0), f64(0x1.0000001p0), RTZ) == Result{f64(0x1.0000002p0), NX});
}

TEST_CASE("flags accumulate: the functions OR into flags and never clear them", "[fpu][flags]") {
  unsigned flags = DZ;
  CHECK(f32_add(f32(1.0f), f32(0x1p-30f), RNE, flags) == f32(1.0f));
  CHECK(flags == (DZ | NX));
  CHECK(f64_add(f64(1.0), f64(1.0), RNE, flags) == f64(2.0));
  CHECK(flags == (DZ | NX));
}

TEST_CASE("an exact zero sum is +0, or -0 when rounding down", "[fpu][flags]") {
  // IEEE 754-2008 6.3.
  for (const unsigned rm : {RNE, RTZ, RUP, RMM}) {
    CHECK(run(f32_sub, f32(1.5f), f32(1.5f), rm) == Result{0u, 0u});
    CHECK(run(f64_add, f64(-0.0), f64(0.0), rm) == Result{0u, 0u});
    CHECK(run(f64_fmadd, f64(2.0), f64(3.0), f64(-6.0), rm) == Result{0u, 0u});
  }
  CHECK(run(f32_sub, f32(1.5f), f32(1.5f), RDN) == Result{kSign32, 0u});
  CHECK(run(f64_add, f64(-0.0), f64(0.0), RDN) == Result{kSign64, 0u});
  CHECK(run(f64_fmadd, f64(2.0), f64(3.0), f64(-6.0), RDN) == Result{kSign64, 0u});
  // Zeros of the same sign keep it in every mode.
  CHECK(run(f32_add, kSign32, kSign32, RNE) == Result{kSign32, 0u});
  CHECK(run(f64_sub, f64(0.0), f64(-0.0), RDN) == Result{0u, 0u});
  // x + 0 is x, exactly, whatever the sign of the zero.
  CHECK(run(f32_add, kMinSubnormal32, kSign32, RDN) == Result{kMinSubnormal32, 0u});
}

TEST_CASE("division by zero raises DZ for a finite nonzero dividend only", "[fpu][flags]") {
  CHECK(run(f32_div, f32(1.0f), f32(0.0f), RNE) == Result{kInf32, DZ});
  CHECK(run(f32_div, f32(-1.0f), f32(0.0f), RTZ) == Result{kInf32 | kSign32, DZ});
  CHECK(run(f32_div, kMinSubnormal32, f32(-0.0f), RNE) == Result{kInf32 | kSign32, DZ});
  CHECK(run(f64_div, f64(-3.0), f64(-0.0), RDN) == Result{kInf64, DZ});
  CHECK(run(f64_div, kMax64, f64(0.0), RMM) == Result{kInf64, DZ});
  // inf / 0 is an exact infinity; 0 / 0 is invalid; NaN / 0 is just a NaN.
  CHECK(run(f32_div, kInf32, f32(0.0f), RNE) == Result{kInf32, 0u});
  CHECK(run(f64_div, kInf64 | kSign64, f64(0.0), RNE) == Result{kInf64 | kSign64, 0u});
  CHECK(run(f32_div, f32(0.0f), f32(-0.0f), RNE) == Result{kCanonicalNaN32, NV});
  CHECK(run(f64_div, f64(0.0), f64(0.0), RMM) == Result{kCanonicalNaN64, NV});
  CHECK(run(f32_div, kQNaNPayload32, f32(0.0f), RNE) == Result{kCanonicalNaN32, 0u});
  CHECK(run(f32_div, f32(0.0f), f32(5.0f), RNE) == Result{0u, 0u});
  CHECK(run(f64_div, f64(1.0), kInf64 | kSign64, RNE) == Result{kSign64, 0u});
}

TEST_CASE("square root: negative operands are invalid, -0 is not", "[fpu][flags]") {
  for (const unsigned rm : kAllModes) {
    CHECK(run(f32_sqrt, f32(-1.0f), rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f32_sqrt, kMinSubnormal32 | kSign32, rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f32_sqrt, kInf32 | kSign32, rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f32_sqrt, f32(-0.0f), rm) == Result{kSign32, 0u});
    CHECK(run(f32_sqrt, kInf32, rm) == Result{kInf32, 0u});
    CHECK(run(f64_sqrt, f64(-4.0), rm) == Result{kCanonicalNaN64, NV});
    CHECK(run(f64_sqrt, f64(-0.0), rm) == Result{kSign64, 0u});
    CHECK(run(f64_sqrt, f64(0.0), rm) == Result{0u, 0u});
    CHECK(run(f64_sqrt, f64(4.0), rm) == Result{f64(2.0), 0u});
  }
  // sqrt of a subnormal is normal: 2^-148 -> 2^-74.
  CHECK(run(f32_sqrt, 2u, RNE) == Result{f32(0x1p-74f), 0u});
}

// --- Overflow ---

TEST_CASE("overflow gives inf or the largest finite number by rounding mode", "[fpu][overflow]") {
  // IEEE 754-2008 7.4: modes that round toward zero from the overflowing side stop at max.
  const uint32_t two = f32(2.0f);
  CHECK(run(f32_mul, kMax32, two, RNE) == Result{kInf32, OF | NX});
  CHECK(run(f32_mul, kMax32, two, RMM) == Result{kInf32, OF | NX});
  CHECK(run(f32_mul, kMax32, two, RUP) == Result{kInf32, OF | NX});
  CHECK(run(f32_mul, kMax32, two, RTZ) == Result{kMax32, OF | NX});
  CHECK(run(f32_mul, kMax32, two, RDN) == Result{kMax32, OF | NX});
  const uint32_t minus_two = two | kSign32;
  CHECK(run(f32_mul, kMax32, minus_two, RNE) == Result{kInf32 | kSign32, OF | NX});
  CHECK(run(f32_mul, kMax32, minus_two, RMM) == Result{kInf32 | kSign32, OF | NX});
  CHECK(run(f32_mul, kMax32, minus_two, RDN) == Result{kInf32 | kSign32, OF | NX});
  CHECK(run(f32_mul, kMax32, minus_two, RUP) == Result{kMax32 | kSign32, OF | NX});
  CHECK(run(f32_mul, kMax32, minus_two, RTZ) == Result{kMax32 | kSign32, OF | NX});

  CHECK(run(f64_add, kMax64, kMax64, RNE) == Result{kInf64, OF | NX});
  CHECK(run(f64_add, kMax64, kMax64, RTZ) == Result{kMax64, OF | NX});
  CHECK(run(f64_add, kMax64, kMax64, RDN) == Result{kMax64, OF | NX});
  CHECK(run(f64_add, kMax64, kMax64, RUP) == Result{kInf64, OF | NX});
  CHECK(run(f64_add, kMax64, kMax64, RMM) == Result{kInf64, OF | NX});
  CHECK(run(f64_div, kMax64 | kSign64, f64(0.5), RDN) == Result{kInf64 | kSign64, OF | NX});
  CHECK(run(f64_div, kMax64 | kSign64, f64(0.5), RUP) == Result{kMax64 | kSign64, OF | NX});
  CHECK(run(f64_fmadd, kMax64, f64(1.5), f64(0.0), RTZ) == Result{kMax64, OF | NX});
  CHECK(run(f32_fnmsub, kMax32, two, f32(1.0f), RNE) == Result{kInf32 | kSign32, OF | NX});

  // Overflow is judged on the rounded value: half an ulp above max is a tie that RNE and RMM
  // round up to 2^128 (overflow); RTZ rounds down to max, which is merely inexact.
  const uint32_t half_ulp_of_max = f32(0x1p103f);
  CHECK(run(f32_add, kMax32, half_ulp_of_max, RNE) == Result{kInf32, OF | NX});
  CHECK(run(f32_add, kMax32, half_ulp_of_max, RMM) == Result{kInf32, OF | NX});
  CHECK(run(f32_add, kMax32, half_ulp_of_max, RTZ) == Result{kMax32, NX});
  CHECK(run(f32_add, kMax32, half_ulp_of_max, RDN) == Result{kMax32, NX});
  CHECK(run(f32_add, kMax32, f32(0x1p102f), RNE) == Result{kMax32, NX});
  CHECK(run(f32_add, kMax32, f32(0x1p102f), RUP) == Result{kInf32, OF | NX});
  // Infinite operands are exact: no overflow.
  CHECK(run(f32_mul, kInf32, two, RNE) == Result{kInf32, 0u});
  CHECK(run(f64_add, kInf64, kMax64, RTZ) == Result{kInf64, 0u});
}

// --- Underflow and subnormals ---

TEST_CASE("subnormal operands and results are exact IEEE values, never flushed", "[fpu][underflow]") {
  CHECK(run(f32_add, kMinSubnormal32, kMinSubnormal32, RNE) == Result{2u, 0u});  // exact: no UF
  CHECK(run(f32_sub, kMinNormal32, kMinSubnormal32, RNE) == Result{kMaxSubnormal32, 0u});
  CHECK(run(f32_mul, 2u, f32(0.5f), RNE) == Result{kMinSubnormal32, 0u});  // exact: no UF
  CHECK(run(f32_mul, kMaxSubnormal32, f32(2.0f), RNE) == Result{0x00fffffeu, 0u});
  CHECK(run(f64_div, kMinNormal64, f64(4.0), RNE) == Result{0x0004000000000000ull, 0u});
  CHECK(run(f64_mul, kMinSubnormal64, f64(0x1p1023), RNE) == Result{f64(0x1p-51), 0u});
  // Tiny and inexact: UF with NX, in every mode.
  CHECK(run(f32_mul, kMinSubnormal32, f32(0.5f), RNE) == Result{0u, UF | NX});  // tie to even 0
  CHECK(run(f32_mul, kMinSubnormal32, f32(0.5f), RMM) == Result{kMinSubnormal32, UF | NX});
  CHECK(run(f32_mul, kMinSubnormal32, f32(0.5f), RUP) == Result{kMinSubnormal32, UF | NX});
  CHECK(run(f32_mul, kMinSubnormal32, f32(-0.5f), RUP) == Result{kSign32, UF | NX});
  CHECK(run(f32_mul, kMinSubnormal32, f32(-0.5f), RDN) == Result{kMinSubnormal32 | kSign32, UF | NX});
  CHECK(run(f32_mul, kMinSubnormal32, f32(0.75f), RNE) == Result{kMinSubnormal32, UF | NX});
  CHECK(run(f32_mul, kMinSubnormal32, f32(0.75f), RTZ) == Result{0u, UF | NX});
  CHECK(run(f64_mul, kMinSubnormal64, f64(0.25), RUP) == Result{kMinSubnormal64, UF | NX});
  CHECK(run(f64_div, kMinNormal64, f64(3.0), RNE) == Result{0x0005555555555555ull, UF | NX});
  // 2^-1023 + 2^-1075 + 2^-1074: 2^51 + 1.5 units of 2^-1074, a tie that goes to even.
  CHECK(run(f64_fmadd, kMinNormal64, f64(0x1.0000000000001p-1), kMinSubnormal64, RNE) ==
        Result{0x0008000000000002ull, UF | NX});
  CHECK(run(f32_sqrt, kMinSubnormal32, RNE).flags == NX);  // sqrt(2^-149) is far from tiny
}

TEST_CASE("tininess is detected after rounding", "[fpu][underflow]") {
  // ISA "Subnormal Arithmetic": a result is tiny when, rounded to full precision with an
  // unbounded exponent, it is below the smallest normal. Compare with "before rounding".
  const uint32_t just_below_one = f32(0x1.fffffep-1f);  // 1 - 2^-24

  // (1 - 2^-25) * 2^-126 rounds (RNE, 24 bits) up to 2^-126: not tiny, so no UF even though the
  // exact value is below the smallest normal.
  CHECK(run(f64_to_f32, f64(0x1.ffffffp-127), RNE) == Result{kMinNormal32, NX});
  CHECK(run(f64_to_f32, f64(0x1.ffffffp-127), RMM) == Result{kMinNormal32, NX});
  CHECK(run(f64_to_f32, f64(0x1.ffffffp-127), RUP) == Result{kMinNormal32, NX});
  // Rounding toward zero keeps it below 2^-126: tiny and inexact.
  CHECK(run(f64_to_f32, f64(0x1.ffffffp-127), RTZ) == Result{kMaxSubnormal32, UF | NX});
  CHECK(run(f64_to_f32, f64(0x1.ffffffp-127), RDN) == Result{kMaxSubnormal32, UF | NX});
  CHECK(run(f64_to_f32, f64(-0x1.ffffffp-127), RDN) == Result{kMinNormal32 | kSign32, NX});

  // (1 - 2^-24) * 2^-126 has 24 significant bits, so with an unbounded exponent it is exact and
  // tiny; in the subnormal format it is a tie that RNE rounds up to 2^-126. UF is raised although
  // the result is the smallest normal.
  CHECK(run(f32_mul, just_below_one, kMinNormal32, RNE) == Result{kMinNormal32, UF | NX});
  CHECK(run(f32_mul, just_below_one, kMinNormal32, RMM) == Result{kMinNormal32, UF | NX});
  CHECK(run(f32_mul, just_below_one, kMinNormal32, RTZ) == Result{kMaxSubnormal32, UF | NX});
  CHECK(run(f64_to_f32, f64(0x1.fffffep-127), RNE) == Result{kMinNormal32, UF | NX});
  const uint64_t d_just_below_one = f64(0x1.fffffffffffffp-1);
  CHECK(run(f64_mul, d_just_below_one, kMinNormal64, RNE) == Result{kMinNormal64, UF | NX});

  // The not-tiny case in double: (1 + 2^-52) * 2^-511 * (1 - 2^-52) * 2^-511 = (1 - 2^-104) * 2^-1022,
  // which rounds to 2^-1022 with an unbounded exponent in RNE, but stays below it in RTZ.
  const uint64_t above = f64(0x1.0000000000001p-511), below = f64(0x1.ffffffffffffep-512);
  CHECK(run(f64_mul, above, below, RNE) == Result{kMinNormal64, NX});
  CHECK(run(f64_fmadd, above, below, f64(0.0), RNE) == Result{kMinNormal64, NX});
  CHECK(run(f64_mul, above, below, RTZ) == Result{0x000fffffffffffffull, UF | NX});
  CHECK(run(f64_fmadd, above, below, f64(-0.0), RTZ) == Result{0x000fffffffffffffull, UF | NX});
}

// --- NaNs ---

TEST_CASE("every NaN result is the canonical NaN", "[fpu][nan]") {
  // ISA "NaN Generation and Propagation": no payload propagation, positive sign.
  for (const unsigned rm : kAllModes) {
    CHECK(run(f32_add, kQNaNPayload32, f32(1.0f), rm) == Result{kCanonicalNaN32, 0u});
    CHECK(run(f32_sub, f32(1.0f), kQNaNPayload32 | kSign32, rm) == Result{kCanonicalNaN32, 0u});
    CHECK(run(f32_mul, kQNaNPayload32 | kSign32, f32(-2.0f), rm) == Result{kCanonicalNaN32, 0u});
    CHECK(run(f32_div, f32(1.0f), kQNaNPayload32, rm) == Result{kCanonicalNaN32, 0u});
    CHECK(run(f32_sqrt, kQNaNPayload32 | kSign32, rm) == Result{kCanonicalNaN32, 0u});
    CHECK(run(f32_fmadd, f32(1.0f), f32(1.0f), kQNaNPayload32, rm) == Result{kCanonicalNaN32, 0u});
    CHECK(run(f32_fnmadd, kQNaNPayload32, f32(1.0f), f32(1.0f), rm) == Result{kCanonicalNaN32, 0u});
    CHECK(run(f64_add, kQNaNPayload64, f64(1.0), rm) == Result{kCanonicalNaN64, 0u});
    CHECK(run(f64_mul, f64(1.0), kQNaNPayload64 | kSign64, rm) == Result{kCanonicalNaN64, 0u});
    CHECK(run(f64_div, kQNaNPayload64, kQNaNPayload64, rm) == Result{kCanonicalNaN64, 0u});
    CHECK(run(f64_sqrt, kQNaNPayload64, rm) == Result{kCanonicalNaN64, 0u});
    CHECK(run(f64_fmsub, f64(2.0), kQNaNPayload64, f64(3.0), rm) == Result{kCanonicalNaN64, 0u});
    // Invalid operations produce it too.
    CHECK(run(f32_add, kInf32, kInf32 | kSign32, rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f32_sub, kInf32, kInf32, rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f32_mul, kInf32 | kSign32, 0u, rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f32_div, kInf32, kInf32 | kSign32, rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f64_sub, kInf64 | kSign64, kInf64 | kSign64, rm) == Result{kCanonicalNaN64, NV});
    CHECK(run(f64_mul, kSign64, kInf64, rm) == Result{kCanonicalNaN64, NV});
    CHECK(run(f64_div, kInf64, kInf64, rm) == Result{kCanonicalNaN64, NV});
  }
}

TEST_CASE("signaling NaN operands raise NV, quiet ones do not", "[fpu][nan]") {
  for (const unsigned rm : kAllModes) {
    CHECK(run(f32_add, kSNaN32, f32(1.0f), rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f32_add, f32(1.0f), kSNaNPayload32, rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f32_mul, kSNaN32, kQNaNPayload32, rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f32_div, kQNaNPayload32, kSNaN32, rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f32_sqrt, kSNaN32, rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f32_fmadd, f32(1.0f), f32(1.0f), kSNaN32, rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f32_fmsub, f32(1.0f), kSNaNPayload32, f32(1.0f), rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f64_sub, kSNaN64, kSNaN64, rm) == Result{kCanonicalNaN64, NV});
    CHECK(run(f64_mul, f64(0.0), kSNaNPayload64, rm) == Result{kCanonicalNaN64, NV});
    CHECK(run(f64_div, kSNaN64, f64(0.0), rm) == Result{kCanonicalNaN64, NV});
    CHECK(run(f64_sqrt, kSNaNPayload64, rm) == Result{kCanonicalNaN64, NV});
    CHECK(run(f64_fnmsub, kSNaN64, f64(1.0), f64(1.0), rm) == Result{kCanonicalNaN64, NV});
    CHECK(run(f64_to_f32, kSNaN64, rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f64_to_f32, kQNaNPayload64 | kSign64, rm) == Result{kCanonicalNaN32, 0u});
  }
  CHECK(run(f32_to_f64, kSNaNPayload32) == Result{kCanonicalNaN64, NV});
  CHECK(run(f32_to_f64, kQNaNPayload32 | kSign32) == Result{kCanonicalNaN64, 0u});
  CHECK(run(f32_to_f64, kSNaN32) == Result{kCanonicalNaN64, NV});
}

TEST_CASE("fused multiply-add: inf * 0 is invalid even with a quiet NaN addend", "[fpu][nan][fma]") {
  // ISA F, fused multiply-add instructions (IEEE 754-2008 7.2 leaves this case open).
  for (const unsigned rm : kAllModes) {
    CHECK(run(f32_fmadd, kInf32, 0u, kQNaNPayload32, rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f32_fmadd, kSign32, kInf32 | kSign32, kCanonicalNaN32, rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f32_fnmadd, 0u, kInf32, kQNaNPayload32, rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f64_fmadd, kInf64, f64(0.0), kQNaNPayload64, rm) == Result{kCanonicalNaN64, NV});
    CHECK(run(f64_fmsub, f64(-0.0), kInf64, kQNaNPayload64, rm) == Result{kCanonicalNaN64, NV});
    CHECK(run(f64_fnmsub, kInf64, f64(0.0), kCanonicalNaN64, rm) == Result{kCanonicalNaN64, NV});
    // inf * 0 with an ordinary addend, and inf - inf between product and addend.
    CHECK(run(f32_fmadd, kInf32, 0u, f32(1.0f), rm) == Result{kCanonicalNaN32, NV});
    CHECK(run(f64_fmadd, kInf64, f64(2.0), kInf64 | kSign64, rm) == Result{kCanonicalNaN64, NV});
    CHECK(run(f64_fmsub, kInf64, f64(2.0), kInf64, rm) == Result{kCanonicalNaN64, NV});
    // A quiet NaN with a valid product is just a NaN; 0 * finite + qNaN too.
    CHECK(run(f32_fmadd, f32(2.0f), f32(3.0f), kQNaNPayload32, rm) == Result{kCanonicalNaN32, 0u});
    CHECK(run(f64_fmadd, f64(0.0), f64(3.0), kQNaNPayload64, rm) == Result{kCanonicalNaN64, 0u});
    CHECK(run(f64_fmadd, kInf64, f64(3.0), kQNaNPayload64, rm) == Result{kCanonicalNaN64, 0u});
    // Infinities that do not cancel are exact.
    CHECK(run(f64_fmadd, kInf64, f64(-2.0), f64(5.0), rm) == Result{kInf64 | kSign64, 0u});
    CHECK(run(f32_fmadd, f32(2.0f), f32(3.0f), kInf32 | kSign32, rm) == Result{kInf32 | kSign32, 0u});
  }
}

TEST_CASE("the four fused operations negate product and addend as the ISA names them", "[fpu][fma]") {
  // fmadd = a*b+c, fmsub = a*b-c, fnmsub = -(a*b)+c, fnmadd = -(a*b)-c.
  CHECK(run(f32_fmadd, f32(2.0f), f32(3.0f), f32(1.0f), RNE) == Result{f32(7.0f), 0u});
  CHECK(run(f32_fmsub, f32(2.0f), f32(3.0f), f32(1.0f), RNE) == Result{f32(5.0f), 0u});
  CHECK(run(f32_fnmsub, f32(2.0f), f32(3.0f), f32(1.0f), RNE) == Result{f32(-5.0f), 0u});
  CHECK(run(f32_fnmadd, f32(2.0f), f32(3.0f), f32(1.0f), RNE) == Result{f32(-7.0f), 0u});
  CHECK(run(f64_fmadd, f64(2.0), f64(3.0), f64(1.0), RNE) == Result{f64(7.0), 0u});
  CHECK(run(f64_fmsub, f64(2.0), f64(3.0), f64(1.0), RNE) == Result{f64(5.0), 0u});
  CHECK(run(f64_fnmsub, f64(2.0), f64(3.0), f64(1.0), RNE) == Result{f64(-5.0), 0u});
  CHECK(run(f64_fnmadd, f64(2.0), f64(3.0), f64(1.0), RNE) == Result{f64(-7.0), 0u});
  // Negating the product, not the sum, decides the sign of a zero (the ISA's note on FNMSUB):
  // -(+0 * 1) + (+0) = -0 + +0 = +0 in RNE; negating the sum would give -0.
  CHECK(run(f32_fnmsub, 0u, f32(1.0f), 0u, RNE) == Result{0u, 0u});
  CHECK(run(f32_fnmadd, 0u, f32(1.0f), 0u, RNE) == Result{kSign32, 0u});  // -0 - +0 = -0
  CHECK(run(f64_fmsub, f64(0.0), f64(1.0), f64(0.0), RNE) == Result{0u, 0u});  // +0 - +0
  CHECK(run(f64_fmsub, f64(0.0), f64(1.0), f64(0.0), RDN) == Result{kSign64, 0u});
  CHECK(run(f64_fmadd, f64(-0.0), f64(1.0), f64(-0.0), RNE) == Result{kSign64, 0u});
  // The product is not rounded before the add: (1 + 2^-52)(1 - 2^-52) - 1 = -2^-104.
  CHECK(run(f64_fmsub, f64(0x1.0000000000001p0), f64(0x1.ffffffffffffep-1), f64(1.0), RNE) ==
        Result{f64(-0x1p-104), 0u});
  CHECK(run(f32_fnmadd, f32(0x1.000002p0f), f32(0x1.fffffcp-1f), f32(-1.0f), RNE) ==
        Result{f32(0x1p-46f), 0u});
  // A tiny addend still counts: 1 * 1 + 2^-80 is inexact and rounds up in RUP.
  CHECK(run(f64_fmadd, f64(1.0), f64(1.0), f64(0x1p-80), RUP) == Result{f64(0x1.0000000000001p0), NX});
  CHECK(run(f64_fmadd, f64(1.0), f64(1.0), f64(-0x1p-80), RTZ) == Result{f64(0x1.fffffffffffffp-1), NX});
}

// --- min/max, comparisons, classify ---

TEST_CASE("fmin and fmax follow IEEE 754-2019 minimumNumber and maximumNumber", "[fpu][minmax]") {
  const uint32_t p0 = 0u, n0 = kSign32, one = f32(1.0f), two = f32(2.0f);
  // -0 is less than +0 for these instructions only.
  CHECK(run(f32_min, p0, n0) == Result{n0, 0u});
  CHECK(run(f32_min, n0, p0) == Result{n0, 0u});
  CHECK(run(f32_max, p0, n0) == Result{p0, 0u});
  CHECK(run(f32_max, n0, p0) == Result{p0, 0u});
  CHECK(run(f64_min, f64(0.0), f64(-0.0)) == Result{kSign64, 0u});
  CHECK(run(f64_max, f64(-0.0), f64(0.0)) == Result{0u, 0u});
  CHECK(run(f32_min, one, two) == Result{one, 0u});
  CHECK(run(f32_max, one, two) == Result{two, 0u});
  CHECK(run(f32_min, f32(-1.0f), f32(-2.0f)) == Result{f32(-2.0f), 0u});
  CHECK(run(f32_max, kInf32 | kSign32, kMinSubnormal32 | kSign32) == Result{kMinSubnormal32 | kSign32, 0u});
  CHECK(run(f64_min, kInf64, kMax64) == Result{kMax64, 0u});
  // One quiet NaN: the other operand, no flag.
  CHECK(run(f32_min, kQNaNPayload32, one) == Result{one, 0u});
  CHECK(run(f32_max, one, kQNaNPayload32) == Result{one, 0u});
  CHECK(run(f64_min, kQNaNPayload64, f64(-3.0)) == Result{f64(-3.0), 0u});
  // One signaling NaN: the other operand, and NV even though the result is not a NaN.
  CHECK(run(f32_min, kSNaN32, one) == Result{one, NV});
  CHECK(run(f32_max, n0, kSNaNPayload32) == Result{n0, NV});
  CHECK(run(f64_max, kSNaN64, f64(-3.0)) == Result{f64(-3.0), NV});
  // Both NaN: the canonical NaN; NV if either is signaling.
  CHECK(run(f32_min, kQNaNPayload32, kQNaNPayload32 | kSign32) == Result{kCanonicalNaN32, 0u});
  CHECK(run(f32_max, kSNaN32, kQNaNPayload32) == Result{kCanonicalNaN32, NV});
  CHECK(run(f64_min, kQNaNPayload64, kSNaNPayload64) == Result{kCanonicalNaN64, NV});
  CHECK(run(f64_max, kQNaNPayload64, kQNaNPayload64) == Result{kCanonicalNaN64, 0u});
}

TEST_CASE("feq is quiet, flt and fle are signaling", "[fpu][compare]") {
  const uint32_t one = f32(1.0f), two = f32(2.0f);
  CHECK(run(f32_eq, one, one) == Result{1, 0u});
  CHECK(run(f32_eq, one, two) == Result{0, 0u});
  CHECK(run(f32_eq, 0u, kSign32) == Result{1, 0u});  // +0 == -0
  CHECK(run(f32_lt, kSign32, 0u) == Result{0, 0u});
  CHECK(run(f32_le, kSign32, 0u) == Result{1, 0u});
  CHECK(run(f32_le, 0u, kSign32) == Result{1, 0u});
  CHECK(run(f32_lt, one, two) == Result{1, 0u});
  CHECK(run(f32_lt, two, one) == Result{0, 0u});
  CHECK(run(f32_lt, f32(-2.0f), f32(-1.0f)) == Result{1, 0u});
  CHECK(run(f32_le, f32(-1.0f), f32(-2.0f)) == Result{0, 0u});
  CHECK(run(f32_lt, kInf32 | kSign32, f32(-1.0f)) == Result{1, 0u});
  CHECK(run(f32_le, kInf32, kInf32) == Result{1, 0u});
  CHECK(run(f64_lt, f64(-0x1p-1074), f64(0.0)) == Result{1, 0u});
  CHECK(run(f64_le, f64(1.0), f64(0x1.0000000000001p0)) == Result{1, 0u});
  CHECK(run(f64_eq, f64(-0.0), f64(0.0)) == Result{1, 0u});
  // The result is 0 whenever an operand is a NaN. FEQ: NV only for a signaling NaN.
  CHECK(run(f32_eq, kQNaNPayload32, kQNaNPayload32) == Result{0, 0u});
  CHECK(run(f32_eq, one, kSNaN32) == Result{0, NV});
  CHECK(run(f64_eq, kQNaNPayload64, f64(1.0)) == Result{0, 0u});
  CHECK(run(f64_eq, kSNaNPayload64, kSNaNPayload64) == Result{0, NV});
  // FLT/FLE: NV for any NaN.
  CHECK(run(f32_lt, kQNaNPayload32, one) == Result{0, NV});
  CHECK(run(f32_le, one, kQNaNPayload32) == Result{0, NV});
  CHECK(run(f32_le, kSNaN32, one) == Result{0, NV});
  CHECK(run(f64_lt, f64(1.0), kCanonicalNaN64) == Result{0, NV});
  CHECK(run(f64_le, kCanonicalNaN64, kCanonicalNaN64) == Result{0, NV});
}

TEST_CASE("fclass sets exactly the bit of each of the ten classes", "[fpu][classify]") {
  CHECK(f32_classify(kInf32 | kSign32) == 1u << 0);
  CHECK(f32_classify(f32(-1.0f)) == 1u << 1);
  CHECK(f32_classify(kMinNormal32 | kSign32) == 1u << 1);
  CHECK(f32_classify(kMaxSubnormal32 | kSign32) == 1u << 2);
  CHECK(f32_classify(kSign32) == 1u << 3);
  CHECK(f32_classify(0u) == 1u << 4);
  CHECK(f32_classify(kMinSubnormal32) == 1u << 5);
  CHECK(f32_classify(kMax32) == 1u << 6);
  CHECK(f32_classify(kInf32) == 1u << 7);
  CHECK(f32_classify(kSNaN32) == 1u << 8);
  CHECK(f32_classify(kSNaNPayload32) == 1u << 8);
  CHECK(f32_classify(kCanonicalNaN32) == 1u << 9);
  CHECK(f32_classify(kQNaNPayload32 | kSign32) == 1u << 9);

  CHECK(f64_classify(kInf64 | kSign64) == 1u << 0);
  CHECK(f64_classify(kMax64 | kSign64) == 1u << 1);
  CHECK(f64_classify(kMinSubnormal64 | kSign64) == 1u << 2);
  CHECK(f64_classify(kSign64) == 1u << 3);
  CHECK(f64_classify(0u) == 1u << 4);
  CHECK(f64_classify(0x000fffffffffffffull) == 1u << 5);
  CHECK(f64_classify(kMinNormal64) == 1u << 6);
  CHECK(f64_classify(kInf64) == 1u << 7);
  CHECK(f64_classify(kSNaN64) == 1u << 8);
  CHECK(f64_classify(0x7ff7ffffffffffffull) == 1u << 8);
  CHECK(f64_classify(kCanonicalNaN64) == 1u << 9);
  CHECK(f64_classify(kQNaNPayload64 | kSign64) == 1u << 9);
}

// --- Conversions to integers: the ISA's table "Domains of float-to-integer conversions" ---

TEST_CASE("fcvt to integer saturates as the ISA's table says", "[fpu][convert]") {
  constexpr int64_t kI32Min = std::numeric_limits<int32_t>::min();
  constexpr int64_t kI32Max = std::numeric_limits<int32_t>::max();
  constexpr int64_t kI64Min = std::numeric_limits<int64_t>::min();
  constexpr uint64_t kU32Max = 0xffffffffu, kI64Max = 0x7fffffffffffffffull, kU64Max = ~uint64_t{0};
  for (const unsigned rm : kAllModes) {
    // NaN (of either sign) and +inf give the maximum; -inf the minimum; all with NV only.
    for (const uint32_t nan : {kCanonicalNaN32, kQNaNPayload32 | kSign32, kSNaN32}) {
      CHECK(run(f32_to_i32, nan, rm) == Result{sext(kI32Max), NV});
      CHECK(run(f32_to_u32, nan, rm) == Result{kU32Max, NV});
      CHECK(run(f32_to_i64, nan, rm) == Result{kI64Max, NV});
      CHECK(run(f32_to_u64, nan, rm) == Result{kU64Max, NV});
    }
    for (const uint64_t nan : {kCanonicalNaN64, kSNaNPayload64}) {
      CHECK(run(f64_to_i32, nan, rm) == Result{sext(kI32Max), NV});
      CHECK(run(f64_to_u32, nan, rm) == Result{kU32Max, NV});
      CHECK(run(f64_to_i64, nan, rm) == Result{kI64Max, NV});
      CHECK(run(f64_to_u64, nan, rm) == Result{kU64Max, NV});
    }
    CHECK(run(f32_to_i32, kInf32, rm) == Result{sext(kI32Max), NV});
    CHECK(run(f32_to_u32, kInf32, rm) == Result{kU32Max, NV});
    CHECK(run(f64_to_i64, kInf64, rm) == Result{kI64Max, NV});
    CHECK(run(f64_to_u64, kInf64, rm) == Result{kU64Max, NV});
    CHECK(run(f32_to_i32, kInf32 | kSign32, rm) == Result{sext(kI32Min), NV});
    CHECK(run(f32_to_u32, kInf32 | kSign32, rm) == Result{0, NV});
    CHECK(run(f64_to_i64, kInf64 | kSign64, rm) == Result{sext(kI64Min), NV});
    CHECK(run(f64_to_u64, kInf64 | kSign64, rm) == Result{0, NV});
    // Out of range, positive and negative.
    CHECK(run(f32_to_i32, f32(0x1p31f), rm) == Result{sext(kI32Max), NV});
    CHECK(run(f64_to_i32, f64(-2147483649.0), rm) == Result{sext(kI32Min), NV});
    CHECK(run(f64_to_u32, f64(4294967296.0), rm) == Result{kU32Max, NV});
    CHECK(run(f32_to_u32, kMax32, rm) == Result{kU32Max, NV});
    CHECK(run(f64_to_u32, f64(-1.0), rm) == Result{0, NV});
    CHECK(run(f32_to_i64, f32(0x1p63f), rm) == Result{kI64Max, NV});
    CHECK(run(f32_to_i64, f32(-0x1p64f), rm) == Result{sext(kI64Min), NV});
    CHECK(run(f64_to_u64, f64(0x1p64), rm) == Result{kU64Max, NV});
    CHECK(run(f64_to_u64, kMax64 | kSign64, rm) == Result{0, NV});
    CHECK(run(f32_to_u64, f32(-1.0f), rm) == Result{0, NV});
    // The extremes of each range are valid, and exact.
    CHECK(run(f32_to_i32, f32(-0x1p31f), rm) == Result{sext(kI32Min), 0u});
    CHECK(run(f64_to_i32, f64(2147483647.0), rm) == Result{sext(kI32Max), 0u});
    CHECK(run(f64_to_u32, f64(4294967295.0), rm) == Result{kU32Max, 0u});
    CHECK(run(f64_to_i64, f64(-0x1p63), rm) == Result{sext(kI64Min), 0u});
    CHECK(run(f64_to_i64, f64(0x1.fffffffffffffp62), rm) == Result{0x7ffffffffffffc00ull, 0u});
    CHECK(run(f64_to_u64, f64(0x1.fffffffffffffp63), rm) == Result{0xfffffffffffff800ull, 0u});
    CHECK(run(f32_to_u64, f32(0x1.fffffep63f), rm) == Result{0xffffff0000000000ull, 0u});
    // Zero of either sign is 0 for every type, with no flag.
    CHECK(run(f32_to_u32, kSign32, rm) == Result{0, 0u});
    CHECK(run(f64_to_i64, kSign64, rm) == Result{0, 0u});
  }
  // The range is checked after rounding: 2^31 - 0.5 is in range only if it rounds down.
  CHECK(run(f64_to_i32, f64(2147483647.5), RNE) == Result{sext(kI32Max), NV});  // 2^31 (even)
  CHECK(run(f64_to_i32, f64(2147483647.5), RMM) == Result{sext(kI32Max), NV});
  CHECK(run(f64_to_i32, f64(2147483647.5), RUP) == Result{sext(kI32Max), NV});
  CHECK(run(f64_to_i32, f64(2147483647.5), RTZ) == Result{sext(kI32Max), NX});
  CHECK(run(f64_to_i32, f64(2147483647.5), RDN) == Result{sext(kI32Max), NX});
  CHECK(run(f64_to_i32, f64(-2147483648.5), RNE) == Result{sext(kI32Min), NX});  // -2^31 (even)
  CHECK(run(f64_to_i32, f64(-2147483648.5), RDN) == Result{sext(kI32Min), NV});
  CHECK(run(f64_to_i32, f64(-2147483648.5), RMM) == Result{sext(kI32Min), NV});
  CHECK(run(f64_to_u32, f64(4294967295.5), RTZ) == Result{kU32Max, NX});
  CHECK(run(f64_to_u32, f64(4294967295.5), RNE) == Result{kU32Max, NV});

  // Unsigned targets and negative inputs: what matters is the rounded value.
  CHECK(run(f32_to_u32, f32(-0.9f), RTZ) == Result{0, NX});  // rounds to -0: valid, NX only
  CHECK(run(f32_to_u32, f32(-0.9f), RUP) == Result{0, NX});
  CHECK(run(f32_to_u32, f32(-0.9f), RNE) == Result{0, NV});  // rounds to -1: invalid, NV only
  CHECK(run(f32_to_u32, f32(-0.9f), RDN) == Result{0, NV});
  CHECK(run(f32_to_u32, f32(-1.0f), RTZ) == Result{0, NV});
  CHECK(run(f64_to_u64, f64(-0.9), RTZ) == Result{0, NX});
  CHECK(run(f64_to_u64, f64(-1.0), RNE) == Result{0, NV});
  CHECK(run(f64_to_u64, f64(-0.5), RNE) == Result{0, NX});  // tie to even 0
  CHECK(run(f64_to_u64, f64(-0.5), RMM) == Result{0, NV});  // tie away: -1
  CHECK(run(f32_to_u64, kMinSubnormal32 | kSign32, RDN) == Result{0, NV});
  CHECK(run(f32_to_u64, kMinSubnormal32 | kSign32, RUP) == Result{0, NX});
}

TEST_CASE("32-bit conversion results are returned unextended for the caller to sign-extend",
          "[fpu][convert]") {
  // FCVT.WU.S of 3e9 writes 0xffffffffb2d05e00 to rd on RV64: the caller sign-extends.
  unsigned flags = 0;
  const uint32_t wu = f32_to_u32(f32(3e9f), RNE, flags);
  CHECK(wu == 3000000000u);
  CHECK(static_cast<uint64_t>(static_cast<int64_t>(static_cast<int32_t>(wu))) == 0xffffffffb2d05e00ull);
  CHECK(f64_to_i32(f64(-5.0), RNE, flags) == -5);
  CHECK(flags == 0u);
}

// --- Conversions from integers and between formats ---

TEST_CASE("fcvt from integer rounds only when the integer is too wide", "[fpu][convert]") {
  for (const unsigned rm : kAllModes) {
    CHECK(run(i32_to_f32, int32_t{0}, rm) == Result{0u, 0u});  // +0 even in RDN
    CHECK(run(u64_to_f64, uint64_t{0}, rm) == Result{0u, 0u});
    CHECK(run(i32_to_f64, std::numeric_limits<int32_t>::min(), rm) == Result{f64(-0x1p31), 0u});
    CHECK(run(u32_to_f64, 0xffffffffu, rm) == Result{f64(4294967295.0), 0u});
    CHECK(run(i64_to_f32, std::numeric_limits<int64_t>::min(), rm) == Result{f32(-0x1p63f), 0u});
    CHECK(run(i64_to_f64, int64_t{-(int64_t{1} << 53)}, rm) == Result{f64(-0x1p53), 0u});
    CHECK(run(u32_to_f32, 16777216u, rm) == Result{f32(16777216.0f), 0u});
  }
  // 2^32 - 1 needs 32 bits: RNE and RUP go up to 2^32, RTZ and RDN down to 2^32 - 256.
  CHECK(run(u32_to_f32, 0xffffffffu, RNE) == Result{f32(0x1p32f), NX});
  CHECK(run(u32_to_f32, 0xffffffffu, RUP) == Result{f32(0x1p32f), NX});
  CHECK(run(u32_to_f32, 0xffffffffu, RMM) == Result{f32(0x1p32f), NX});
  CHECK(run(u32_to_f32, 0xffffffffu, RTZ) == Result{f32(4294967040.0f), NX});
  CHECK(run(u32_to_f32, 0xffffffffu, RDN) == Result{f32(4294967040.0f), NX});
  CHECK(run(i32_to_f32, int32_t{-16777217}, RDN) == Result{f32(-16777218.0f), NX});
  CHECK(run(i32_to_f32, int32_t{-16777217}, RUP) == Result{f32(-16777216.0f), NX});
  CHECK(run(i32_to_f32, int32_t{16777219}, RNE) == Result{f32(16777220.0f), NX});  // tie to even
  CHECK(run(u64_to_f64, ~uint64_t{0}, RNE) == Result{f64(0x1p64), NX});
  CHECK(run(u64_to_f64, ~uint64_t{0}, RTZ) == Result{f64(0x1.fffffffffffffp63), NX});
  CHECK(run(u64_to_f32, ~uint64_t{0}, RDN) == Result{f32(0x1.fffffep63f), NX});
  CHECK(run(i64_to_f64, std::numeric_limits<int64_t>::max(), RNE) == Result{f64(0x1p63), NX});
  CHECK(run(i64_to_f64, std::numeric_limits<int64_t>::max(), RTZ) == Result{f64(0x1.fffffffffffffp62), NX});
}

TEST_CASE("fcvt.d.s is exact, fcvt.s.d rounds, overflows and underflows", "[fpu][convert]") {
  // D extension: FCVT.D.S never rounds; subnormal singles become normal doubles.
  CHECK(run(f32_to_f64, kMinSubnormal32) == Result{f64(0x1p-149), 0u});
  CHECK(run(f32_to_f64, kMaxSubnormal32 | kSign32) == Result{f64(-0x1.fffffcp-127), 0u});
  CHECK(run(f32_to_f64, kMax32) == Result{f64(0x1.fffffep127), 0u});
  CHECK(run(f32_to_f64, kSign32) == Result{kSign64, 0u});
  CHECK(run(f32_to_f64, kInf32 | kSign32) == Result{kInf64 | kSign64, 0u});
  CHECK(run(f32_to_f64, f32(0.1f)) == Result{f64(static_cast<double>(0.1f)), 0u});

  // Rounding: 1 + 2^-24 + 2^-40 is just above a tie.
  const uint64_t above_tie = f64(0x1.0000010001p0);
  CHECK(run(f64_to_f32, above_tie, RNE) == Result{f32(0x1.000002p0f), NX});
  CHECK(run(f64_to_f32, above_tie, RTZ) == Result{f32(1.0f), NX});
  CHECK(run(f64_to_f32, above_tie | kSign64, RUP) == Result{f32(-1.0f), NX});
  CHECK(run(f64_to_f32, above_tie | kSign64, RDN) == Result{f32(-0x1.000002p0f), NX});
  CHECK(run(f64_to_f32, f64(0.1), RNE) == Result{f32(0.1f), NX});
  CHECK(run(f64_to_f32, f64(0.1), RTZ) == Result{f32(0x1.999998p-4f), NX});
  CHECK(run(f64_to_f32, f64(-2.5), RDN) == Result{f32(-2.5f), 0u});
  CHECK(run(f64_to_f32, kSign64, RNE) == Result{kSign32, 0u});
  CHECK(run(f64_to_f32, kInf64, RTZ) == Result{kInf32, 0u});  // an infinite operand is exact

  // Overflow: by rounding mode, as for arithmetic.
  CHECK(run(f64_to_f32, f64(0x1p128), RNE) == Result{kInf32, OF | NX});
  CHECK(run(f64_to_f32, f64(0x1p128), RTZ) == Result{kMax32, OF | NX});
  CHECK(run(f64_to_f32, kMax64 | kSign64, RUP) == Result{kMax32 | kSign32, OF | NX});
  CHECK(run(f64_to_f32, kMax64 | kSign64, RDN) == Result{kInf32 | kSign32, OF | NX});
  CHECK(run(f64_to_f32, kMax64, RMM) == Result{kInf32, OF | NX});
  CHECK(run(f64_to_f32, f64(0x1.ffffffp127), RNE) == Result{kInf32, OF | NX});  // tie rounds up
  CHECK(run(f64_to_f32, f64(0x1.ffffffp127), RTZ) == Result{kMax32, NX});
  CHECK(run(f64_to_f32, f64(0x1.fffffefp127), RNE) == Result{kMax32, NX});

  // Underflow: to subnormals and to zero.
  CHECK(run(f64_to_f32, f64(0x1p-149), RNE) == Result{kMinSubnormal32, 0u});  // exact
  CHECK(run(f64_to_f32, f64(0x1p-150), RNE) == Result{0u, UF | NX});         // tie to even 0
  CHECK(run(f64_to_f32, f64(0x1p-150), RMM) == Result{kMinSubnormal32, UF | NX});
  CHECK(run(f64_to_f32, f64(0x1.8p-149), RNE) == Result{2u, UF | NX});
  CHECK(run(f64_to_f32, f64(-0x1p-1074), RNE) == Result{kSign32, UF | NX});
  CHECK(run(f64_to_f32, f64(-0x1p-1074), RDN) == Result{kMinSubnormal32 | kSign32, UF | NX});
  CHECK(run(f64_to_f32, f64(0x1p-1074), RUP) == Result{kMinSubnormal32, UF | NX});
  CHECK(run(f64_to_f32, f64(0x1p-1074), RTZ) == Result{0u, UF | NX});
  CHECK(run(f64_to_f32, kMinNormal64, RMM) == Result{0u, UF | NX});
}

// --- Against the host's own IEEE arithmetic ---
//
// On x86-64 the host's SSE unit is an independent IEEE 754 implementation that, like RISC-V,
// detects tininess after rounding and has the four rounding modes other than RMM. Its results
// and flags are read through <cfenv>; volatile operands keep the compiler from folding the
// operations or moving them across the fenv calls.
#if defined(__x86_64__)
namespace {

constexpr int kHostRounding[4] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD};

template <class Bits>
using HostFloat = std::conditional_t<sizeof(Bits) == 4, float, double>;

unsigned host_flags() {
  const int raised = std::fetestexcept(FE_ALL_EXCEPT);
  return ((raised & FE_INEXACT) != 0 ? NX : 0u) | ((raised & FE_UNDERFLOW) != 0 ? UF : 0u) |
         ((raised & FE_OVERFLOW) != 0 ? OF : 0u) | ((raised & FE_DIVBYZERO) != 0 ? DZ : 0u) |
         ((raised & FE_INVALID) != 0 ? NV : 0u);
}

// What the host computes for op() in rm, with a NaN result replaced by the canonical NaN (the
// host propagates payloads; the flags need no change).
template <class Out, class Op>
Result on_host(unsigned rm, Op op) {
  std::fesetround(kHostRounding[rm]);
  std::feclearexcept(FE_ALL_EXCEPT);
  volatile Out out = op();
  const unsigned flags = host_flags();
  std::fesetround(FE_TONEAREST);
  const Out value = out;
  if constexpr (std::is_floating_point_v<Out>) {
    if (value != value) return {sizeof(Out) == 4 ? kCanonicalNaN32 : kCanonicalNaN64, flags};
    if constexpr (sizeof(Out) == 4) {
      return {std::bit_cast<uint32_t>(value), flags};
    } else {
      return {std::bit_cast<uint64_t>(value), flags};
    }
  } else {
    return {static_cast<uint64_t>(value), flags};
  }
}

// A small deterministic generator (splitmix64) biased toward the encodings where arithmetic is
// delicate: zeros, subnormals, the edges of the exponent range, all-ones or sparse significands,
// and operands whose exponents put results near ties, cancellations, underflow and overflow.
class OperandGenerator {
 public:
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return next() % n; }

  // An encoding with kMant fraction bits and kExp exponent bits; exponent -1 picks one.
  template <int kMant, int kExp>
  uint64_t value(int exponent = -1) {
    constexpr int kExpMax = (1 << kExp) - 1;
    constexpr uint64_t kFrac = (uint64_t{1} << kMant) - 1;
    if (exponent < 0) {
      switch (below(8)) {
        case 0: exponent = 0; break;
        case 1: exponent = static_cast<int>(1 + below(3)); break;
        case 2: exponent = static_cast<int>(kExpMax - 1 - static_cast<int>(below(3))); break;
        case 3: exponent = below(16) == 0 ? kExpMax : kExpMax - 1; break;
        case 4:
        case 5: exponent = kExpMax / 2 - 30 + static_cast<int>(below(61)); break;
        default: exponent = static_cast<int>(below(kExpMax + 1)); break;
      }
    }
    uint64_t fraction = 0;
    switch (below(6)) {
      case 0: break;
      case 1: fraction = kFrac; break;
      case 2: fraction = (kFrac << below(kMant)) & kFrac; break;
      case 3: fraction = next() & (kFrac >> below(kMant)); break;
      default: fraction = next() & kFrac; break;
    }
    return ((next() & 1) << (kMant + kExp)) | (static_cast<uint64_t>(exponent) << kMant) | fraction;
  }

  template <int kMant, int kExp>
  static int exponent_of(uint64_t v) {
    return static_cast<int>((v >> kMant) & ((uint64_t{1} << kExp) - 1));
  }
  // A random exponent near `center`, clamped to the encodable range.
  template <int kExp>
  int near(int center, int spread) {
    const int e = center - spread + static_cast<int>(below(static_cast<uint64_t>(2 * spread + 1)));
    return std::clamp(e, 0, (1 << kExp) - 1);
  }

 private:
  uint64_t state_ = 0x853c49e6748fea9bull;
};

// The public functions of one format.
template <class Bits>
struct Arithmetic {
  Bits (*add)(Bits, Bits, unsigned, unsigned&);
  Bits (*mul)(Bits, Bits, unsigned, unsigned&);
  Bits (*div)(Bits, Bits, unsigned, unsigned&);
  Bits (*sqrt)(Bits, unsigned, unsigned&);
  Bits (*mul_add)(Bits, Bits, Bits, unsigned, unsigned&);
};

struct DifferentialCount {
  int mismatches = 0;
  int checked = 0;
};

void compare(DifferentialCount& count, const char* op, unsigned rm, const Result& ours, const Result& host,
             uint64_t a, uint64_t b, uint64_t c) {
  ++count.checked;
  if (ours == host) return;
  if (++count.mismatches <= 10) {
    UNSCOPED_INFO(op << " rm=" << rm << std::hex << " a=0x" << a << " b=0x" << b << " c=0x" << c << ": ours "
                     << Catch::StringMaker<Result>::convert(ours) << ", host "
                     << Catch::StringMaker<Result>::convert(host));
  }
}

template <class Bits>
void compare_all(DifferentialCount& count, unsigned rm, const Arithmetic<Bits>& ops, Bits a, Bits b_add, Bits b_mul,
                 Bits b_div, Bits c) {
  using Host = HostFloat<Bits>;
  const volatile Host x = std::bit_cast<Host>(a), add_y = std::bit_cast<Host>(b_add),
                      mul_y = std::bit_cast<Host>(b_mul), div_y = std::bit_cast<Host>(b_div),
                      z = std::bit_cast<Host>(c);
  compare(count, "add", rm, run(ops.add, a, b_add, rm), on_host<Host>(rm, [&] { return x + add_y; }), a, b_add, 0);
  compare(count, "mul", rm, run(ops.mul, a, b_mul, rm), on_host<Host>(rm, [&] { return x * mul_y; }), a, b_mul, 0);
  compare(count, "div", rm, run(ops.div, a, b_div, rm), on_host<Host>(rm, [&] { return x / div_y; }), a, b_div, 0);
  compare(count, "sqrt", rm, run(ops.sqrt, a, rm), on_host<Host>(rm, [&] { return std::sqrt(x); }), a, 0, 0);
  Result fma = on_host<Host>(rm, [&] { return std::fma(x, mul_y, z); });
  // IEEE leaves inf*0+qNaN open; the ISA requires NV.
  const Host product_x = x, product_y = mul_y, addend = z;
  if (addend != addend && ((std::isinf(product_x) && product_y == 0) || (product_x == 0 && std::isinf(product_y)))) {
    fma.flags |= NV;
  }
  compare(count, "mul_add", rm, run(ops.mul_add, a, b_mul, c, rm), fma, a, b_mul, c);
}

// Every triple of special operands (zeros, subnormals, extremes, infinities, NaNs, both signs),
// then `iterations` random ones.
template <int kMant, int kExp, class Bits>
void run_differential(DifferentialCount& count, int iterations, const Arithmetic<Bits>& ops) {
  constexpr Bits kSign = Bits{1} << (kMant + kExp);
  constexpr Bits kInf = static_cast<Bits>(((Bits{1} << kExp) - 1) << kMant);
  constexpr Bits kOne = static_cast<Bits>(((Bits{1} << (kExp - 1)) - 1) << kMant);
  const Bits positive[] = {0, 1, (Bits{1} << kMant) - 1, Bits{1} << kMant, kOne, kOne | (Bits{1} << (kMant - 1)),
                           kInf - 1, kInf, kInf | (Bits{1} << (kMant - 1)), kInf | 1};
  for (const unsigned rm : {RNE, RTZ, RDN, RUP}) {
    for (const Bits a : positive) {
      for (const Bits b : positive) {
        for (const Bits c : positive) {
          for (unsigned signs = 0; signs < 8; ++signs) {
            const Bits sa = (signs & 1) != 0 ? kSign : 0, sb = (signs & 2) != 0 ? kSign : 0;
            const Bits sc = (signs & 4) != 0 ? kSign : 0;
            compare_all<Bits>(count, rm, ops, a | sa, b | sb, b | sb, b | sb, c | sc);
          }
        }
      }
    }
  }
  OperandGenerator gen;
  constexpr int kBias = (1 << (kExp - 1)) - 1;
  using G = OperandGenerator;
  for (int i = 0; i < iterations; ++i) {
    const unsigned rm = static_cast<unsigned>(i) % 4;
    const uint64_t a = gen.value<kMant, kExp>();
    const int ea = G::exponent_of<kMant, kExp>(a);
    // b near a (cancellation, ties), or near the reciprocal exponent (products near the edges).
    const uint64_t b_add = gen.value<kMant, kExp>(i % 2 == 0 ? gen.near<kExp>(ea, kMant + 8) : -1);
    const uint64_t b_mul = gen.value<kMant, kExp>(i % 2 == 0 ? gen.near<kExp>(2 * kBias - ea, kMant + 8) : -1);
    const uint64_t b_div = gen.value<kMant, kExp>(i % 2 == 0 ? gen.near<kExp>(ea, kMant + 8) : -1);
    const int product_exp = ea + G::exponent_of<kMant, kExp>(b_mul) - kBias;
    const uint64_t c = gen.value<kMant, kExp>(i % 4 != 3 ? gen.near<kExp>(product_exp, 2 * kMant + 4) : -1);
    compare_all<Bits>(count, rm, ops, static_cast<Bits>(a), static_cast<Bits>(b_add), static_cast<Bits>(b_mul),
                      static_cast<Bits>(b_div), static_cast<Bits>(c));
  }
}

}  // namespace

TEST_CASE("the host's FPU is a usable reference: it keeps subnormals", "[fpu][differential]") {
  // With DAZ or FTZ set (e.g. a -ffast-math start-up file) the host would be no reference at all.
  const volatile double tiny = 0x1p-1074;
  CHECK(on_host<double>(RNE, [&] { return tiny * 1.0; }) == Result{1, 0u});
  CHECK(on_host<double>(RNE, [&] { return tiny * 0.5; }) == Result{0, UF | NX});
}

TEST_CASE("arithmetic agrees with the host's in RNE, RTZ, RDN and RUP", "[fpu][differential]") {
  constexpr int kIterations = 100000;
  constexpr int kSpecialChecks = 4 * 10 * 10 * 10 * 8 * 5;  // modes, a, b, c, signs, operations
  DifferentialCount count32;
  run_differential<23, 8, uint32_t>(count32, kIterations,
                                    Arithmetic<uint32_t>{f32_add, f32_mul, f32_div, f32_sqrt, f32_mul_add});
  CHECK(count32.checked == kSpecialChecks + 5 * kIterations);
  CHECK(count32.mismatches == 0);
  DifferentialCount count64;
  run_differential<52, 11, uint64_t>(count64, kIterations,
                                     Arithmetic<uint64_t>{f64_add, f64_mul, f64_div, f64_sqrt, f64_mul_add});
  CHECK(count64.checked == kSpecialChecks + 5 * kIterations);
  CHECK(count64.mismatches == 0);
}

TEST_CASE("conversions agree with the host's in RNE, RTZ, RDN and RUP", "[fpu][differential][convert]") {
  OperandGenerator gen;
  int mismatches = 0;
  const auto expect_same = [&](const char* op, unsigned rm, uint64_t input, const Result& ours, const Result& host) {
    if (ours == host) return;
    if (++mismatches <= 10) {
      UNSCOPED_INFO(op << " rm=" << rm << std::hex << " input=0x" << input << ": ours "
                       << Catch::StringMaker<Result>::convert(ours) << ", host "
                       << Catch::StringMaker<Result>::convert(host));
    }
  };
  for (int i = 0; i < 40000; ++i) {
    const unsigned rm = static_cast<unsigned>(i) % 4;
    // fcvt.s.d, with doubles near the edges of the single range most of the time.
    const int e = i % 2 == 0 ? gen.near<11>(1023 - 126, 30) : (i % 4 == 1 ? gen.near<11>(1023 + 127, 3) : -1);
    const uint64_t d = gen.value<52, 11>(e);
    const volatile double host_d = std::bit_cast<double>(d);
    expect_same("f64_to_f32", rm, d, run(f64_to_f32, d, rm),
                on_host<float>(rm, [&] { return static_cast<float>(host_d); }));
    // fcvt.d.l, fcvt.s.l and fcvt.s.w, with integers of every width.
    uint64_t wide_bits = gen.next() >> gen.below(64);
    if ((gen.next() & 1) != 0) wide_bits = 0 - wide_bits;
    const auto wide = static_cast<int64_t>(wide_bits);
    const volatile int64_t host_wide = wide;
    expect_same("i64_to_f64", rm, wide_bits, run(i64_to_f64, wide, rm),
                on_host<double>(rm, [&] { return static_cast<double>(host_wide); }));
    expect_same("i64_to_f32", rm, wide_bits, run(i64_to_f32, wide, rm),
                on_host<float>(rm, [&] { return static_cast<float>(host_wide); }));
    const auto narrow = static_cast<int32_t>(gen.next() >> gen.below(32));
    const volatile int32_t host_narrow = narrow;
    expect_same("i32_to_f32", rm, static_cast<uint32_t>(narrow), run(i32_to_f32, narrow, rm),
                on_host<float>(rm, [&] { return static_cast<float>(host_narrow); }));
    // fcvt.l.d below 2^62 in magnitude: beyond that the host's llrint (CVTSD2SI) returns
    // 0x8000... where RISC-V saturates, a case the tests from the ISA's table cover.
    const uint64_t in_range = gen.value<52, 11>(1023 - 3 + static_cast<int>(gen.below(65)));
    const volatile double host_in_range = std::bit_cast<double>(in_range);
    expect_same("f64_to_i64", rm, in_range, run(f64_to_i64, in_range, rm),
                on_host<int64_t>(rm, [&] { return std::llrint(host_in_range); }));
  }
  CHECK(mismatches == 0);
}
#endif
