# fmin.s/fmax.s: IEEE 754-2019 minimumNumber/maximumNumber as the
# unprivileged spec 20191213, 11.6 defines them: -0 < +0; a single NaN
# operand yields the other operand; two NaNs yield the canonical NaN;
# a signaling NaN sets NV even when the result is a number.

#include "harness.h"
#include "priv.h"

#define NV FFLAG_NV

RVTEST_CODE_BEGIN
        ENABLE_FPU

FP_S( 1, 0,  0x3f800000, 0x3f800000, 0x40000000, 0, fmin.s fa3, fa0, fa1)    # min(1,2)
FP_S( 2, 0,  0x40000000, 0x3f800000, 0x40000000, 0, fmax.s fa3, fa0, fa1)
FP_S( 3, 0,  0xbf800000, 0x40000000, 0xbf800000, 0, fmin.s fa3, fa0, fa1)    # min(2,-1)
FP_S( 4, 0,  0x40000000, 0x40000000, 0xbf800000, 0, fmax.s fa3, fa0, fa1)
# Signed zeros, in both operand orders.
FP_S( 5, 0,  0x80000000, 0x80000000, 0x00000000, 0, fmin.s fa3, fa0, fa1)
FP_S( 6, 0,  0x80000000, 0x00000000, 0x80000000, 0, fmin.s fa3, fa0, fa1)
FP_S( 7, 0,  0x00000000, 0x80000000, 0x00000000, 0, fmax.s fa3, fa0, fa1)
FP_S( 8, 0,  0x00000000, 0x00000000, 0x80000000, 0, fmax.s fa3, fa0, fa1)
# One quiet NaN: the number, no flag.
FP_S( 9, 0,  0x3f800000, 0x7fc00000, 0x3f800000, 0, fmin.s fa3, fa0, fa1)
FP_S(10, 0,  0x3f800000, 0x3f800000, 0x7fc12345, 0, fmin.s fa3, fa0, fa1)
FP_S(11, 0,  0xbf800000, 0xffc00000, 0xbf800000, 0, fmax.s fa3, fa0, fa1)
# One signaling NaN: the number, and NV.
FP_S(12, NV, 0x3f800000, 0x7f800001, 0x3f800000, 0, fmin.s fa3, fa0, fa1)
FP_S(13, NV, 0x3f800000, 0x3f800000, 0xff812345, 0, fmax.s fa3, fa0, fa1)
# Two NaNs: the canonical NaN, not either payload.
FP_S(14, 0,  0x7fc00000, 0x7fc12345, 0xffc00001, 0, fmin.s fa3, fa0, fa1)
FP_S(15, NV, 0x7fc00000, 0x7f800001, 0x7fc12345, 0, fmax.s fa3, fa0, fa1)
FP_S(16, NV, 0x7fc00000, 0x7fc00000, 0x7f800001, 0, fmin.s fa3, fa0, fa1)
# Infinities and subnormals are ordinary values.
FP_S(17, 0,  0xff800000, 0xff800000, 0x7f800000, 0, fmin.s fa3, fa0, fa1)
FP_S(18, 0,  0x7f800000, 0xff800000, 0x7f800000, 0, fmax.s fa3, fa0, fa1)
FP_S(19, 0,  0x80000001, 0x00000001, 0x80000001, 0, fmin.s fa3, fa0, fa1)
FP_S(20, 0,  0x00800000, 0x007fffff, 0x00800000, 0, fmax.s fa3, fa0, fa1)
FP_S(21, 0,  0x7f7fffff, 0x7f7fffff, 0xff800000, 0, fmax.s fa3, fa0, fa1)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
