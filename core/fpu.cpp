// IEEE 754 arithmetic on integers, the way SoftFloat does it: unpack, compute the exact result
// or a truncation of it with at least two guard bits and a sticky bit, then round and pack once.
//
// Why not the host's SSE unit with the guest's rounding mode in MXCSR: SSE has no RMM, so this code
// would be needed anyway, and on this project's AMD EPYC machines the MXCSR round trip around one
// instruction (save, set, read the flags, restore: two STMXCSR at 10-14 ns each) made SSE about
// twice as slow as this code for add, mul and div, and no faster for fma and sqrt. Integer code
// is also the same on every host and leaves the host's floating-point environment alone.
// tests/unit/fpu_test.cpp checks it against the host's SSE results and flags in RNE, RTZ, RDN
// and RUP.
#include "core/fpu.hpp"

#include <array>
#include <bit>
#include <limits>
#include <type_traits>
#include <utility>

namespace hartbox::fpu {
namespace {

__extension__ typedef unsigned __int128 u128;

// An IEEE 754 binary interchange format; Bits is its encoding.
template <class BitsT, int kMantBitsV, int kExpBitsV>
struct Format {
  using Bits = BitsT;
  static constexpr int kMantBits = kMantBitsV;  // stored fraction bits, without the implicit 1
  static constexpr int kBias = (1 << (kExpBitsV - 1)) - 1;
  static constexpr int kExpMax = (1 << kExpBitsV) - 1;  // biased exponent of inf and NaN
  static constexpr Bits kSign = Bits{1} << (kMantBitsV + kExpBitsV);
  static constexpr Bits kFracMask = (Bits{1} << kMantBitsV) - 1;
  static constexpr Bits kInf = static_cast<Bits>(Bits{kExpMax} << kMantBitsV);
  static constexpr Bits kQuietBit = Bits{1} << (kMantBitsV - 1);
  static constexpr Bits kCanonicalNaN = kInf | kQuietBit;
};
using F32 = Format<uint32_t, 23, 8>;
using F64 = Format<uint64_t, 52, 11>;
static_assert(F32::kCanonicalNaN == kCanonicalNaN32 && F64::kCanonicalNaN == kCanonicalNaN64);

template <class F>
constexpr typename F::Bits magnitude(typename F::Bits x) {
  return static_cast<typename F::Bits>(x & ~F::kSign);
}
template <class F>
constexpr bool sign_of(typename F::Bits x) {
  return (x & F::kSign) != 0;
}
template <class F>
constexpr bool is_nan(typename F::Bits x) {
  return magnitude<F>(x) > F::kInf;
}
template <class F>
constexpr bool is_snan(typename F::Bits x) {
  return is_nan<F>(x) && (x & F::kQuietBit) == 0;
}
template <class F>
constexpr bool is_inf(typename F::Bits x) {
  return magnitude<F>(x) == F::kInf;
}
template <class F>
constexpr bool is_zero(typename F::Bits x) {
  return magnitude<F>(x) == 0;
}
// Zero, subnormal, infinity or NaN: the operands that need a look before the common path.
template <class F>
constexpr bool has_special_exponent(typename F::Bits x) {
  const auto exp = (x >> F::kMantBits) & static_cast<typename F::Bits>(F::kExpMax);
  return exp == 0 || exp == static_cast<typename F::Bits>(F::kExpMax);
}
template <class F>
constexpr typename F::Bits signed_inf(bool sign) {
  return sign ? F::kSign | F::kInf : F::kInf;
}
template <class F>
constexpr typename F::Bits signed_zero(bool sign) {
  return sign ? F::kSign : 0;
}

// The canonical NaN, with NV when the operation is invalid (a signaling operand, inf-inf, ...).
template <class F>
constexpr typename F::Bits nan_result(bool invalid, unsigned& flags) {
  if (invalid) flags |= NV;
  return F::kCanonicalNaN;
}

// An exact zero sum of operands of opposite signs is +0, or -0 when rounding down
// (IEEE 754-2008 6.3).
template <class F>
constexpr typename F::Bits exact_zero_sum(unsigned rm) {
  return signed_zero<F>(rm == RDN);
}

// A finite nonzero operand: value = sig * 2^(exp - bias - kMantBits), sig in [2^kMantBits,
// 2^(kMantBits+1)). Subnormals are normalized, so exp may be below 1.
struct Unpacked {
  bool sign;
  int32_t exp;
  uint64_t sig;
};

template <class F>
constexpr Unpacked unpack(typename F::Bits x) {
  int32_t exp = static_cast<int32_t>((x >> F::kMantBits) & static_cast<typename F::Bits>(F::kExpMax));
  uint64_t sig = x & F::kFracMask;
  if (exp == 0) {
    const int shift = std::countl_zero(sig) - (63 - F::kMantBits);
    sig <<= shift;
    exp = 1 - shift;
  } else {
    sig |= uint64_t{1} << F::kMantBits;
  }
  return {sign_of<F>(x), exp, sig};
}

// x >> n with every bit shifted out ORed into bit 0 (the sticky bit), so rounding still sees them.
constexpr uint64_t shift_right_jam(uint64_t x, int n) {
  if (n <= 0) return x;
  if (n >= 64) return x != 0 ? 1 : 0;
  return (x >> n) | ((x << (64 - n)) != 0 ? 1 : 0);
}
constexpr u128 shift_right_jam(u128 x, int n) {
  if (n <= 0) return x;
  if (n >= 128) return x != 0 ? 1 : 0;
  return (x >> n) | ((x << (128 - n)) != 0 ? 1 : 0);
}

// What to add below the kept bits before truncating them. Ties are settled by the caller: RNE
// clears the last bit again, RMM keeps the carry (ties away from zero).
constexpr uint64_t round_increment(unsigned rm, bool sign, uint64_t half, uint64_t all_ones) {
  switch (rm) {
    case RTZ: return 0;
    case RDN: return sign ? all_ones : 0;
    case RUP: return sign ? 0 : all_ones;
    default: return half;  // RNE, RMM
  }
}

// Rounds sig * 2^(exp - bias - 62), sig in [2^62, 2^63) (bit 0 sticky), to F and packs it.
// exp is the biased exponent the result has unless it overflows or is subnormal.
template <class F>
typename F::Bits round_pack(bool sign, int32_t exp, uint64_t sig, unsigned rm, unsigned& flags) {
  using Bits = typename F::Bits;
  constexpr int kDropped = 62 - F::kMantBits;
  constexpr uint64_t kDroppedMask = (uint64_t{1} << kDropped) - 1;
  constexpr uint64_t kHalf = uint64_t{1} << (kDropped - 1);
  constexpr uint64_t kCarry = uint64_t{1} << 63;
  const uint64_t increment = round_increment(rm, sign, kHalf, kDroppedMask);
  if (exp >= F::kExpMax - 1) {
    if (exp > F::kExpMax - 1 || sig + increment >= kCarry) {
      // IEEE 754-2008 7.4: the modes that round away from this sign give the largest finite.
      flags |= OF | NX;
      return static_cast<Bits>(signed_zero<F>(sign) | (increment != 0 ? F::kInf : F::kInf - 1));
    }
  } else if (exp <= 0) {
    // Tininess after rounding ("Subnormal Arithmetic"): tiny unless rounding to full precision
    // with an unbounded exponent carries the value up to the smallest normal.
    const bool tiny = exp < 0 || sig + increment < kCarry;
    sig = shift_right_jam(sig, 1 - exp);
    exp = 1;  // packs as exponent field 0, or 1 if rounding carries into the implicit bit
    if (tiny && (sig & kDroppedMask) != 0) flags |= UF;
  }
  const uint64_t dropped = sig & kDroppedMask;
  if (dropped != 0) flags |= NX;
  uint64_t kept = (sig + increment) >> kDropped;
  if (rm == RNE && dropped == kHalf) kept &= ~uint64_t{1};
  // kept includes the implicit bit, which adds 1 to the exponent field; a carry out of the
  // significand adds one more, as it should.
  const uint64_t packed = (static_cast<uint64_t>(exp - 1) << F::kMantBits) + kept;
  return static_cast<Bits>(signed_zero<F>(sign) | static_cast<Bits>(packed));
}

// round_pack for any nonzero sig, with value sig * 2^(exp - bias - 62).
template <class F>
typename F::Bits normalize_round_pack(bool sign, int32_t exp, uint64_t sig, unsigned rm, unsigned& flags) {
  const int shift = std::countl_zero(sig) - 1;
  if (shift >= 0) return round_pack<F>(sign, exp - shift, sig << shift, rm, flags);
  return round_pack<F>(sign, exp + 1, shift_right_jam(sig, 1), rm, flags);
}
template <class F>
typename F::Bits normalize_round_pack_wide(bool sign, int32_t exp, u128 sig, unsigned rm, unsigned& flags) {
  const auto high = static_cast<uint64_t>(sig >> 64);
  if (high == 0) return normalize_round_pack<F>(sign, exp, static_cast<uint64_t>(sig), rm, flags);
  const int shift = 65 - std::countl_zero(high);  // brings the leading 1 down to bit 62
  return round_pack<F>(sign, exp + shift, static_cast<uint64_t>(shift_right_jam(sig, shift)), rm, flags);
}

int bit_width(u128 x) {
  const auto high = static_cast<uint64_t>(x >> 64);
  if (high != 0) return 64 + static_cast<int>(std::bit_width(high));
  return static_cast<int>(std::bit_width(static_cast<uint64_t>(x)));
}

// kSqrtSeed[i] = sqrt(i + 1/2) * 2^12 for i in [64, 256): 9 good bits of the square root of a
// 64-bit integer whose top 8 bits are i, as a seed for Newton's iteration.
constexpr std::array<uint16_t, 256> kSqrtSeed = [] {
  std::array<uint16_t, 256> seed{};
  for (uint64_t i = 64; i < 256; ++i) {
    const uint64_t square = (2 * i + 1) << 23;  // (i + 1/2) * 2^24, below 2^32
    uint64_t root = 0;
    for (uint64_t bit = uint64_t{1} << 16; bit != 0; bit >>= 1) {
      if ((root | bit) * (root | bit) <= square) root |= bit;
    }
    seed[i] = static_cast<uint16_t>(root);
  }
  return seed;
}();

// floor(sqrt(n)) for n in [2^122, 2^124). Newton's step x -> (x + n/x) / 2 on integers never
// goes below floor(sqrt(n)) and doubles the good bits: two steps on the top 64 bits of n give
// 32 bits, one on all of n about 62, and the last unit is settled by squaring.
uint64_t integer_sqrt(u128 n) {
  const auto top = static_cast<uint64_t>(n >> 60);  // [2^62, 2^64)
  uint64_t estimate = uint64_t{kSqrtSeed[top >> 56]} << 16;
  estimate = (estimate + top / estimate) >> 1;
  estimate = (estimate + top / estimate) >> 1;
  u128 root = static_cast<u128>(estimate) << 30;
  root = (root + n / root) >> 1;
  while (root * root > n) --root;
  return static_cast<uint64_t>(root);
}

// --- Arithmetic ---

template <class F>
typename F::Bits add(typename F::Bits a, typename F::Bits b, unsigned rm, unsigned& flags) {
  if (has_special_exponent<F>(a) || has_special_exponent<F>(b)) [[unlikely]] {
    if (is_nan<F>(a) || is_nan<F>(b)) return nan_result<F>(is_snan<F>(a) || is_snan<F>(b), flags);
    if (is_inf<F>(a)) {
      if (is_inf<F>(b) && sign_of<F>(a) != sign_of<F>(b)) return nan_result<F>(true, flags);
      return a;
    }
    if (is_inf<F>(b)) return b;
    if (is_zero<F>(a)) {
      if (is_zero<F>(b) && a != b) return exact_zero_sum<F>(rm);
      return b;
    }
    if (is_zero<F>(b)) return a;
  }
  Unpacked x = unpack<F>(a);
  Unpacked y = unpack<F>(b);
  if (x.exp < y.exp || (x.exp == y.exp && x.sig < y.sig)) std::swap(x, y);
  // Both at bit 62. The smaller is shifted with a sticky bit; when that loses bits the two are
  // at least 2 binades apart, so the difference loses at most one leading bit and the sticky
  // stays far below the rounding position.
  constexpr int kGuard = 62 - F::kMantBits;
  const uint64_t big = x.sig << kGuard;
  const uint64_t small = shift_right_jam(y.sig << kGuard, x.exp - y.exp);
  if (x.sign == y.sign) return normalize_round_pack<F>(x.sign, x.exp, big + small, rm, flags);
  if (big == small) return exact_zero_sum<F>(rm);
  return normalize_round_pack<F>(x.sign, x.exp, big - small, rm, flags);
}

template <class F>
typename F::Bits multiply(typename F::Bits a, typename F::Bits b, unsigned rm, unsigned& flags) {
  const bool sign = sign_of<F>(a) != sign_of<F>(b);
  if (has_special_exponent<F>(a) || has_special_exponent<F>(b)) [[unlikely]] {
    if (is_nan<F>(a) || is_nan<F>(b)) return nan_result<F>(is_snan<F>(a) || is_snan<F>(b), flags);
    if (is_inf<F>(a) || is_inf<F>(b)) {
      if (is_zero<F>(a) || is_zero<F>(b)) return nan_result<F>(true, flags);
      return signed_inf<F>(sign);
    }
    if (is_zero<F>(a) || is_zero<F>(b)) return signed_zero<F>(sign);
  }
  const Unpacked x = unpack<F>(a);
  const Unpacked y = unpack<F>(b);
  const u128 product = static_cast<u128>(x.sig) * y.sig;  // exact
  const int32_t exp = x.exp + y.exp - F::kBias - 2 * F::kMantBits + 62;
  return normalize_round_pack_wide<F>(sign, exp, product, rm, flags);
}

template <class F>
typename F::Bits divide(typename F::Bits a, typename F::Bits b, unsigned rm, unsigned& flags) {
  const bool sign = sign_of<F>(a) != sign_of<F>(b);
  if (has_special_exponent<F>(a) || has_special_exponent<F>(b)) [[unlikely]] {
    if (is_nan<F>(a) || is_nan<F>(b)) return nan_result<F>(is_snan<F>(a) || is_snan<F>(b), flags);
    if (is_inf<F>(a)) {
      if (is_inf<F>(b)) return nan_result<F>(true, flags);
      return signed_inf<F>(sign);
    }
    if (is_inf<F>(b)) return signed_zero<F>(sign);
    if (is_zero<F>(b)) {
      if (is_zero<F>(a)) return nan_result<F>(true, flags);
      flags |= DZ;  // only a finite nonzero dividend divides by zero (IEEE 754-2008 7.3)
      return signed_inf<F>(sign);
    }
    if (is_zero<F>(a)) return signed_zero<F>(sign);
  }
  const Unpacked x = unpack<F>(a);
  const Unpacked y = unpack<F>(b);
  // x.sig / y.sig is in (1/2, 2), so the quotient has 63 or 64 bits; the remainder is the sticky bit.
  const u128 dividend = static_cast<u128>(x.sig) << 63;
  const auto quotient = static_cast<uint64_t>(dividend / y.sig);
  const bool remainder = dividend != static_cast<u128>(quotient) * y.sig;
  const int32_t exp = x.exp - y.exp + F::kBias - 1;
  return normalize_round_pack<F>(sign, exp, quotient | (remainder ? 1 : 0), rm, flags);
}

template <class F>
typename F::Bits square_root(typename F::Bits a, unsigned rm, unsigned& flags) {
  if (has_special_exponent<F>(a) || sign_of<F>(a)) [[unlikely]] {
    if (is_nan<F>(a)) return nan_result<F>(is_snan<F>(a), flags);
    if (is_zero<F>(a)) return a;  // sqrt(-0) = -0
    if (sign_of<F>(a)) return nan_result<F>(true, flags);
    if (is_inf<F>(a)) return a;
  }
  const Unpacked x = unpack<F>(a);
  // value = sig * 2^e. Scale sig by an exponent of the same parity as e into [2^122, 2^124),
  // so that the root has 62 bits and the halved exponent is exact.
  const int32_t e = x.exp - F::kBias - F::kMantBits;
  int32_t scale = 122 - F::kMantBits;
  if (((e - scale) & 1) != 0) ++scale;
  const u128 n = static_cast<u128>(x.sig) << scale;
  const uint64_t root = integer_sqrt(n);
  const bool inexact = static_cast<u128>(root) * root != n;
  const int32_t exp = (e - scale) / 2 + F::kBias + 62;
  return normalize_round_pack<F>(false, exp, root | (inexact ? 1 : 0), rm, flags);
}

template <class F>
typename F::Bits fused_multiply_add(typename F::Bits a, typename F::Bits b, typename F::Bits c, unsigned rm,
                                    unsigned& flags) {
  const bool product_sign = sign_of<F>(a) != sign_of<F>(b);
  if (has_special_exponent<F>(a) || has_special_exponent<F>(b) || has_special_exponent<F>(c)) [[unlikely]] {
    const bool inf_times_zero = (is_inf<F>(a) && is_zero<F>(b)) || (is_zero<F>(a) && is_inf<F>(b));
    if (is_nan<F>(a) || is_nan<F>(b) || is_nan<F>(c)) {
      // ISA F, fused multiply-add: inf*0 is invalid even when the addend is a quiet NaN.
      return nan_result<F>(is_snan<F>(a) || is_snan<F>(b) || is_snan<F>(c) || inf_times_zero, flags);
    }
    if (inf_times_zero) return nan_result<F>(true, flags);
    if (is_inf<F>(a) || is_inf<F>(b)) {
      if (is_inf<F>(c) && sign_of<F>(c) != product_sign) return nan_result<F>(true, flags);
      return signed_inf<F>(product_sign);
    }
    if (is_inf<F>(c)) return c;
    if (is_zero<F>(a) || is_zero<F>(b)) {
      if (is_zero<F>(c) && sign_of<F>(c) != product_sign) return exact_zero_sum<F>(rm);
      return c;
    }
  }
  const Unpacked x = unpack<F>(a);
  const Unpacked y = unpack<F>(b);
  const u128 product = static_cast<u128>(x.sig) * y.sig;  // exact, 2*kMantBits+1 or +2 bits
  const int32_t product_exp = x.exp + y.exp - F::kBias - 2 * F::kMantBits + 62;
  if (is_zero<F>(c)) return normalize_round_pack_wide<F>(product_sign, product_exp, product, rm, flags);
  const Unpacked z = unpack<F>(c);
  // Both terms with their leading 1 at bit 125; *_top is the unbiased exponent of that bit.
  // As in add, a sticky shift only happens 2 or more binades apart, where it is harmless.
  constexpr int kTop = 125;
  const int product_width = bit_width(product);
  const u128 p = product << (kTop + 1 - product_width);
  const int32_t p_top = product_exp - F::kBias - 62 + product_width - 1;
  const u128 q = static_cast<u128>(z.sig) << (kTop - F::kMantBits);
  const int32_t q_top = z.exp - F::kBias;
  const bool p_is_bigger = p_top > q_top || (p_top == q_top && p >= q);
  const u128 big = p_is_bigger ? p : q;
  const u128 small = p_is_bigger ? shift_right_jam(q, p_top - q_top) : shift_right_jam(p, q_top - p_top);
  const bool sign = p_is_bigger ? product_sign : z.sign;
  const int32_t exp = (p_is_bigger ? p_top : q_top) + F::kBias + 62 - kTop;
  if (product_sign == z.sign) return normalize_round_pack_wide<F>(sign, exp, big + small, rm, flags);
  if (big == small) return exact_zero_sum<F>(rm);
  return normalize_round_pack_wide<F>(sign, exp, big - small, rm, flags);
}

// IEEE 754-2019 minimumNumber/maximumNumber ("F" 2.2, FMIN/FMAX).
template <class F, bool kMaximum>
typename F::Bits min_max(typename F::Bits a, typename F::Bits b, unsigned& flags) {
  if (is_snan<F>(a) || is_snan<F>(b)) flags |= NV;  // even when the result is the other operand
  if (is_nan<F>(a)) return is_nan<F>(b) ? F::kCanonicalNaN : b;
  if (is_nan<F>(b)) return a;
  // Sign-magnitude to an unsigned order in which -0 < +0, as FMIN/FMAX require.
  const auto key = [](typename F::Bits x) {
    return static_cast<typename F::Bits>(sign_of<F>(x) ? ~x : x | F::kSign);
  };
  const bool a_is_less = key(a) < key(b);
  return a_is_less != kMaximum ? a : b;
}

template <class F>
bool equal(typename F::Bits a, typename F::Bits b, unsigned& flags) {
  if (is_nan<F>(a) || is_nan<F>(b)) {
    if (is_snan<F>(a) || is_snan<F>(b)) flags |= NV;  // quiet comparison
    return false;
  }
  return a == b || (is_zero<F>(a) && is_zero<F>(b));
}

// FLT/FLE are signaling comparisons: NV for any NaN operand.
template <class F, bool kOrEqual>
bool less(typename F::Bits a, typename F::Bits b, unsigned& flags) {
  if (is_nan<F>(a) || is_nan<F>(b)) {
    flags |= NV;
    return false;
  }
  if (is_zero<F>(a) && is_zero<F>(b)) return kOrEqual;
  if (a == b) return kOrEqual;
  const bool sa = sign_of<F>(a);
  if (sa != sign_of<F>(b)) return sa;
  return sa ? a > b : a < b;  // same sign: compare magnitudes through the encodings
}

template <class F>
unsigned classify(typename F::Bits a) {
  const bool negative = sign_of<F>(a);
  if (is_nan<F>(a)) return is_snan<F>(a) ? 1u << 8 : 1u << 9;
  if (is_inf<F>(a)) return negative ? 1u << 0 : 1u << 7;
  if (is_zero<F>(a)) return negative ? 1u << 3 : 1u << 4;
  if ((a & F::kInf) == 0) return negative ? 1u << 2 : 1u << 5;  // subnormal
  return negative ? 1u << 1 : 1u << 6;
}

// FCVT.int.fmt: rounds with rm, then saturates as the ISA's table "Domains of float-to-integer
// conversions" says, raising NV and not NX when the rounded value does not fit.
template <class F, class Int>
Int to_integer(typename F::Bits a, unsigned rm, unsigned& flags) {
  using UInt = std::make_unsigned_t<Int>;
  constexpr Int kMax = std::numeric_limits<Int>::max();
  constexpr Int kMin = std::numeric_limits<Int>::min();  // 0 for the unsigned types
  if (is_nan<F>(a)) {
    flags |= NV;
    return kMax;
  }
  const bool sign = sign_of<F>(a);
  if (is_inf<F>(a)) {
    flags |= NV;
    return sign ? kMin : kMax;
  }
  if (is_zero<F>(a)) return 0;
  const Unpacked x = unpack<F>(a);
  const int32_t e = x.exp - F::kBias;  // |a| in [2^e, 2^(e+1))
  if (e >= 64) {
    flags |= NV;
    return sign ? kMin : kMax;
  }
  uint64_t magnitude_rounded;
  bool inexact = false;
  if (e >= F::kMantBits) {
    magnitude_rounded = x.sig << (e - F::kMantBits);  // an integer already, below 2^64
  } else {
    const int32_t dropped_bits = F::kMantBits - e;
    uint64_t whole = 0;
    int versus_half = -1;  // the dropped part compared with one half: -1, 0 or +1
    if (dropped_bits >= 62) {
      inexact = true;  // |a| < 2^(kMantBits-61) <= 2^-9: nonzero and below one half
    } else {
      const uint64_t dropped = x.sig & ((uint64_t{1} << dropped_bits) - 1);
      const uint64_t half = uint64_t{1} << (dropped_bits - 1);
      whole = x.sig >> dropped_bits;
      inexact = dropped != 0;
      versus_half = dropped < half ? -1 : dropped == half ? 0 : 1;
    }
    bool up = false;
    switch (rm) {
      case RTZ: break;
      case RDN: up = sign && inexact; break;
      case RUP: up = !sign && inexact; break;
      case RMM: up = versus_half >= 0; break;
      default: up = versus_half > 0 || (versus_half == 0 && (whole & 1) != 0); break;  // RNE
    }
    magnitude_rounded = whole + (up ? 1 : 0);  // whole < 2^53 here: no carry out
  }
  // The range is checked after rounding (the table's "after rounding").
  if (sign && magnitude_rounded != 0) {
    const auto limit = static_cast<uint64_t>(UInt{0} - static_cast<UInt>(kMin));  // 2^(N-1), or 0
    if (!std::is_signed_v<Int> || magnitude_rounded > limit) {
      flags |= NV;
      return kMin;
    }
  } else if (magnitude_rounded > static_cast<uint64_t>(kMax)) {
    flags |= NV;
    return kMax;
  }
  if (inexact) flags |= NX;
  auto result = static_cast<UInt>(magnitude_rounded);
  if (sign) result = static_cast<UInt>(UInt{0} - result);
  return static_cast<Int>(result);
}


template <class Int>
constexpr bool is_negative(Int v) {
  if constexpr (std::is_signed_v<Int>) {
    return v < 0;
  } else {
    return false;
  }
}

// FCVT.fmt.int
template <class F, class Int>
typename F::Bits from_integer(Int v, unsigned rm, unsigned& flags) {
  using UInt = std::make_unsigned_t<Int>;
  auto magnitude_value = static_cast<UInt>(v);
  if (is_negative(v)) magnitude_value = static_cast<UInt>(UInt{0} - magnitude_value);
  if (magnitude_value == 0) return 0;  // +0, even for RDN
  // Exact unless the integer has more significant bits than F.
  return normalize_round_pack<F>(is_negative(v), F::kBias + 62, static_cast<uint64_t>(magnitude_value), rm,
                                 flags);
}

}  // namespace

// --- Single precision ---
uint32_t f32_add(uint32_t a, uint32_t b, unsigned rm, unsigned& flags) { return add<F32>(a, b, rm, flags); }
uint32_t f32_sub(uint32_t a, uint32_t b, unsigned rm, unsigned& flags) {
  return add<F32>(a, b ^ F32::kSign, rm, flags);  // a - b is exactly a + (-b), zeros included
}
uint32_t f32_mul(uint32_t a, uint32_t b, unsigned rm, unsigned& flags) { return multiply<F32>(a, b, rm, flags); }
uint32_t f32_div(uint32_t a, uint32_t b, unsigned rm, unsigned& flags) { return divide<F32>(a, b, rm, flags); }
uint32_t f32_sqrt(uint32_t a, unsigned rm, unsigned& flags) { return square_root<F32>(a, rm, flags); }
uint32_t f32_mul_add(uint32_t a, uint32_t b, uint32_t c, unsigned rm, unsigned& flags) {
  return fused_multiply_add<F32>(a, b, c, rm, flags);
}
// Negating an operand negates the exact product or addend, so each fused op still rounds once.
uint32_t f32_fmadd(uint32_t a, uint32_t b, uint32_t c, unsigned rm, unsigned& flags) {
  return fused_multiply_add<F32>(a, b, c, rm, flags);
}
uint32_t f32_fmsub(uint32_t a, uint32_t b, uint32_t c, unsigned rm, unsigned& flags) {
  return fused_multiply_add<F32>(a, b, c ^ F32::kSign, rm, flags);
}
uint32_t f32_fnmsub(uint32_t a, uint32_t b, uint32_t c, unsigned rm, unsigned& flags) {
  return fused_multiply_add<F32>(a ^ F32::kSign, b, c, rm, flags);
}
uint32_t f32_fnmadd(uint32_t a, uint32_t b, uint32_t c, unsigned rm, unsigned& flags) {
  return fused_multiply_add<F32>(a ^ F32::kSign, b, c ^ F32::kSign, rm, flags);
}
uint32_t f32_min(uint32_t a, uint32_t b, unsigned& flags) { return min_max<F32, false>(a, b, flags); }
uint32_t f32_max(uint32_t a, uint32_t b, unsigned& flags) { return min_max<F32, true>(a, b, flags); }
bool f32_eq(uint32_t a, uint32_t b, unsigned& flags) { return equal<F32>(a, b, flags); }
bool f32_lt(uint32_t a, uint32_t b, unsigned& flags) { return less<F32, false>(a, b, flags); }
bool f32_le(uint32_t a, uint32_t b, unsigned& flags) { return less<F32, true>(a, b, flags); }
unsigned f32_classify(uint32_t a) { return classify<F32>(a); }
int32_t f32_to_i32(uint32_t a, unsigned rm, unsigned& flags) { return to_integer<F32, int32_t>(a, rm, flags); }
uint32_t f32_to_u32(uint32_t a, unsigned rm, unsigned& flags) { return to_integer<F32, uint32_t>(a, rm, flags); }
int64_t f32_to_i64(uint32_t a, unsigned rm, unsigned& flags) { return to_integer<F32, int64_t>(a, rm, flags); }
uint64_t f32_to_u64(uint32_t a, unsigned rm, unsigned& flags) { return to_integer<F32, uint64_t>(a, rm, flags); }
uint32_t i32_to_f32(int32_t v, unsigned rm, unsigned& flags) { return from_integer<F32>(v, rm, flags); }
uint32_t u32_to_f32(uint32_t v, unsigned rm, unsigned& flags) { return from_integer<F32>(v, rm, flags); }
uint32_t i64_to_f32(int64_t v, unsigned rm, unsigned& flags) { return from_integer<F32>(v, rm, flags); }
uint32_t u64_to_f32(uint64_t v, unsigned rm, unsigned& flags) { return from_integer<F32>(v, rm, flags); }

// --- Double precision ---
uint64_t f64_add(uint64_t a, uint64_t b, unsigned rm, unsigned& flags) { return add<F64>(a, b, rm, flags); }
uint64_t f64_sub(uint64_t a, uint64_t b, unsigned rm, unsigned& flags) {
  return add<F64>(a, b ^ F64::kSign, rm, flags);
}
uint64_t f64_mul(uint64_t a, uint64_t b, unsigned rm, unsigned& flags) { return multiply<F64>(a, b, rm, flags); }
uint64_t f64_div(uint64_t a, uint64_t b, unsigned rm, unsigned& flags) { return divide<F64>(a, b, rm, flags); }
uint64_t f64_sqrt(uint64_t a, unsigned rm, unsigned& flags) { return square_root<F64>(a, rm, flags); }
uint64_t f64_mul_add(uint64_t a, uint64_t b, uint64_t c, unsigned rm, unsigned& flags) {
  return fused_multiply_add<F64>(a, b, c, rm, flags);
}
uint64_t f64_fmadd(uint64_t a, uint64_t b, uint64_t c, unsigned rm, unsigned& flags) {
  return fused_multiply_add<F64>(a, b, c, rm, flags);
}
uint64_t f64_fmsub(uint64_t a, uint64_t b, uint64_t c, unsigned rm, unsigned& flags) {
  return fused_multiply_add<F64>(a, b, c ^ F64::kSign, rm, flags);
}
uint64_t f64_fnmsub(uint64_t a, uint64_t b, uint64_t c, unsigned rm, unsigned& flags) {
  return fused_multiply_add<F64>(a ^ F64::kSign, b, c, rm, flags);
}
uint64_t f64_fnmadd(uint64_t a, uint64_t b, uint64_t c, unsigned rm, unsigned& flags) {
  return fused_multiply_add<F64>(a ^ F64::kSign, b, c ^ F64::kSign, rm, flags);
}
uint64_t f64_min(uint64_t a, uint64_t b, unsigned& flags) { return min_max<F64, false>(a, b, flags); }
uint64_t f64_max(uint64_t a, uint64_t b, unsigned& flags) { return min_max<F64, true>(a, b, flags); }
bool f64_eq(uint64_t a, uint64_t b, unsigned& flags) { return equal<F64>(a, b, flags); }
bool f64_lt(uint64_t a, uint64_t b, unsigned& flags) { return less<F64, false>(a, b, flags); }
bool f64_le(uint64_t a, uint64_t b, unsigned& flags) { return less<F64, true>(a, b, flags); }
unsigned f64_classify(uint64_t a) { return classify<F64>(a); }
int32_t f64_to_i32(uint64_t a, unsigned rm, unsigned& flags) { return to_integer<F64, int32_t>(a, rm, flags); }
uint32_t f64_to_u32(uint64_t a, unsigned rm, unsigned& flags) { return to_integer<F64, uint32_t>(a, rm, flags); }
int64_t f64_to_i64(uint64_t a, unsigned rm, unsigned& flags) { return to_integer<F64, int64_t>(a, rm, flags); }
uint64_t f64_to_u64(uint64_t a, unsigned rm, unsigned& flags) { return to_integer<F64, uint64_t>(a, rm, flags); }
uint64_t i32_to_f64(int32_t v, unsigned rm, unsigned& flags) { return from_integer<F64>(v, rm, flags); }
uint64_t u32_to_f64(uint32_t v, unsigned rm, unsigned& flags) { return from_integer<F64>(v, rm, flags); }
uint64_t i64_to_f64(int64_t v, unsigned rm, unsigned& flags) { return from_integer<F64>(v, rm, flags); }
uint64_t u64_to_f64(uint64_t v, unsigned rm, unsigned& flags) { return from_integer<F64>(v, rm, flags); }

// --- Between the formats (D extension, FCVT.S.D and FCVT.D.S) ---
uint64_t f32_to_f64(uint32_t a, unsigned& flags) {
  if (is_nan<F32>(a)) return nan_result<F64>(is_snan<F32>(a), flags);
  const bool sign = sign_of<F32>(a);
  if (is_inf<F32>(a)) return signed_inf<F64>(sign);
  if (is_zero<F32>(a)) return signed_zero<F64>(sign);
  const Unpacked x = unpack<F32>(a);
  // Every single is a double, so this rounding step never rounds.
  return round_pack<F64>(sign, x.exp - F32::kBias + F64::kBias, x.sig << (62 - F32::kMantBits), RNE, flags);
}

uint32_t f64_to_f32(uint64_t a, unsigned rm, unsigned& flags) {
  if (is_nan<F64>(a)) return nan_result<F32>(is_snan<F64>(a), flags);
  const bool sign = sign_of<F64>(a);
  if (is_inf<F64>(a)) return signed_inf<F32>(sign);
  if (is_zero<F64>(a)) return signed_zero<F32>(sign);
  const Unpacked x = unpack<F64>(a);
  return round_pack<F32>(sign, x.exp - F64::kBias + F32::kBias, x.sig << (62 - F64::kMantBits), rm, flags);
}

}  // namespace hartbox::fpu
