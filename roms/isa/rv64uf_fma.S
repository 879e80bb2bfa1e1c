# Single precision fused multiply-add: fmadd (a*b+c), fmsub (a*b-c),
# fnmsub (-(a*b)+c), fnmadd (-(a*b)-c), each rounded once.
# Unprivileged spec 20191213, 11.6 (incl. "must set the invalid operation
# exception flag when the multiplicands are inf and zero, even when the
# addend is a quiet NaN"); IEEE 754-2008 5.4.1, 6.3 (signed zero), 7.2.

#include "harness.h"
#include "priv.h"

#define NX FFLAG_NX
#define UF FFLAG_UF
#define OF FFLAG_OF
#define NV FFLAG_NV

RVTEST_CODE_BEGIN
        ENABLE_FPU

# --- The four forms on 1, 2, 3.
FP_S( 1, 0, 0x40a00000, 0x3f800000, 0x40000000, 0x40400000, fmadd.s  fa3, fa0, fa1, fa2) #  2+3 =  5
FP_S( 2, 0, 0xbf800000, 0x3f800000, 0x40000000, 0x40400000, fmsub.s  fa3, fa0, fa1, fa2) #  2-3 = -1
FP_S( 3, 0, 0x3f800000, 0x3f800000, 0x40000000, 0x40400000, fnmsub.s fa3, fa0, fa1, fa2) # -2+3 =  1
FP_S( 4, 0, 0xc0a00000, 0x3f800000, 0x40000000, 0x40400000, fnmadd.s fa3, fa0, fa1, fa2) # -2-3 = -5

# --- One rounding: (1+2^-12)^2 = 1+2^-11+2^-24 is not representable (a
# separate multiply would round it to 1+2^-11), minus 1+2^-11 leaves 2^-24.
FP_S( 5, 0, 0x33800000, 0x3f800800, 0x3f800800, 0xbf801000, fmadd.s  fa3, fa0, fa1, fa2)
FP_S( 6, 0, 0x33800000, 0x3f800800, 0x3f800800, 0x3f801000, fmsub.s  fa3, fa0, fa1, fa2)
FP_S( 7, 0, 0xb3800000, 0x3f800800, 0x3f800800, 0x3f801000, fnmsub.s fa3, fa0, fa1, fa2)
FP_S( 8, 0, 0xb3800000, 0x3f800800, 0x3f800800, 0xbf801000, fnmadd.s fa3, fa0, fa1, fa2)
# max*2 overflows on its own, but max*2 - max = max is exact.
FP_S( 9, 0, 0x7f7fffff, 0x7f7fffff, 0x40000000, 0xff7fffff, fmadd.s  fa3, fa0, fa1, fa2)
FP_S(10, OF|NX, 0x7f800000, 0x7f7fffff, 0x40000000, 0x00000000, fmadd.s fa3, fa0, fa1, fa2)

# --- Rounding of the single result: 1*1 + 2^-24 is a tie.
FP_S(11, NX, 0x3f800000, 0x3f800000, 0x3f800000, 0x33800000, fmadd.s fa3, fa0, fa1, fa2, rne)
FP_S(12, NX, 0x3f800001, 0x3f800000, 0x3f800000, 0x33800000, fmadd.s fa3, fa0, fa1, fa2, rmm)
FP_S(13, NX, 0x3f800001, 0x3f800000, 0x3f800000, 0x33800000, fmadd.s fa3, fa0, fa1, fa2, rup)
FP_S(14, NX, 0xbf800001, 0x3f800000, 0x3f800000, 0x33800000, fnmadd.s fa3, fa0, fa1, fa2, rdn)
FP_S(15, NX, 0xbf800000, 0x3f800000, 0x3f800000, 0x33800000, fnmadd.s fa3, fa0, fa1, fa2, rtz)
# A tiny product still makes 1 + it inexact, without underflow.
FP_S(16, NX, 0x3f800000, 0x00000001, 0x00000001, 0x3f800000, fmadd.s fa3, fa0, fa1, fa2)
FP_S(17, NX, 0x3f800001, 0x00000001, 0x00000001, 0x3f800000, fmadd.s fa3, fa0, fa1, fa2, rup)
FP_S(18, 0,  0x00400000, 0x00800000, 0x3f000000, 0x00000000, fmadd.s fa3, fa0, fa1, fa2) # exact 2^-127
FP_S(19, UF|NX, 0x00000000, 0x00000001, 0x3f000000, 0x00000000, fmadd.s fa3, fa0, fa1, fa2)

# --- Invalid: inf*0, whatever the addend (even a quiet NaN), and inf-inf.
FP_S(20, NV, 0x7fc00000, 0x7f800000, 0x00000000, 0x7fc00000, fmadd.s fa3, fa0, fa1, fa2)
FP_S(21, NV, 0x7fc00000, 0x00000000, 0xff800000, 0x3f800000, fnmsub.s fa3, fa0, fa1, fa2)
FP_S(22, NV, 0x7fc00000, 0x7f800000, 0x3f800000, 0xff800000, fmadd.s fa3, fa0, fa1, fa2)
FP_S(23, NV, 0x7fc00000, 0x7f800000, 0x3f800000, 0x7f800000, fmsub.s fa3, fa0, fa1, fa2)
FP_S(24, 0,  0x7f800000, 0x7f800000, 0x40000000, 0x7f800000, fmadd.s fa3, fa0, fa1, fa2)
FP_S(25, 0,  0xff800000, 0x7f800000, 0x40000000, 0x3f800000, fnmadd.s fa3, fa0, fa1, fa2)
# NaN operands: canonical NaN out; NV only for a signaling one.
FP_S(26, 0,  0x7fc00000, 0x3f800000, 0x7fc12345, 0x3f800000, fmadd.s fa3, fa0, fa1, fa2)
FP_S(27, NV, 0x7fc00000, 0x3f800000, 0x3f800000, 0x7f800001, fmadd.s fa3, fa0, fa1, fa2)
FP_S(28, NV, 0x7fc00000, 0xff812345, 0x3f800000, 0x7fc00000, fnmadd.s fa3, fa0, fa1, fa2)

# --- Signed zeros (IEEE 754 6.3): the product's sign meets the addend's.
FP_S(29, 0, 0x80000000, 0x3f800000, 0x80000000, 0x80000000, fmadd.s  fa3, fa0, fa1, fa2) # -0 + -0
FP_S(30, 0, 0x00000000, 0x3f800000, 0x80000000, 0x00000000, fmadd.s  fa3, fa0, fa1, fa2) # -0 + +0
FP_S(31, 0, 0x80000000, 0x3f800000, 0x00000000, 0x00000000, fnmadd.s fa3, fa0, fa1, fa2) # -0 - +0
FP_S(32, 0, 0x00000000, 0x3f800000, 0x00000000, 0x00000000, fnmsub.s fa3, fa0, fa1, fa2) # -0 + +0
FP_S(33, 0, 0x00000000, 0x3f800000, 0x00000000, 0x00000000, fmsub.s  fa3, fa0, fa1, fa2) # +0 - +0
FP_S(34, 0, 0x80000000, 0x3f800000, 0x00000000, 0x00000000, fmsub.s  fa3, fa0, fa1, fa2, rdn)
FP_S(35, 0, 0x00000000, 0x40000000, 0x40400000, 0xc0c00000, fmadd.s  fa3, fa0, fa1, fa2) # 6-6
FP_S(36, 0, 0x80000000, 0x40000000, 0x40400000, 0xc0c00000, fmadd.s  fa3, fa0, fa1, fa2, rdn)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
