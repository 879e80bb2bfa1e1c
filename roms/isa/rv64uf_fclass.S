# fclass.s: exactly one of ten bits (unprivileged spec 20191213, 11.9,
# table 11.5): 0 -inf, 1 negative normal, 2 negative subnormal, 3 -0,
# 4 +0, 5 positive subnormal, 6 positive normal, 7 +inf, 8 signaling NaN,
# 9 quiet NaN.  It sets no flags, not even for a signaling NaN.

#include "harness.h"
#include "priv.h"

RVTEST_CODE_BEGIN
        ENABLE_FPU

FP_INT_S( 1, 0, 1 << 0, 0xff800000, 0, fclass.s a4, fa0)    # -inf
FP_INT_S( 2, 0, 1 << 1, 0xbf800000, 0, fclass.s a4, fa0)    # -1
FP_INT_S( 3, 0, 1 << 1, 0xff7fffff, 0, fclass.s a4, fa0)    # -max
FP_INT_S( 4, 0, 1 << 1, 0x80800000, 0, fclass.s a4, fa0)    # -min normal
FP_INT_S( 5, 0, 1 << 2, 0x807fffff, 0, fclass.s a4, fa0)    # -max subnormal
FP_INT_S( 6, 0, 1 << 2, 0x80000001, 0, fclass.s a4, fa0)    # -min subnormal
FP_INT_S( 7, 0, 1 << 3, 0x80000000, 0, fclass.s a4, fa0)    # -0
FP_INT_S( 8, 0, 1 << 4, 0x00000000, 0, fclass.s a4, fa0)    # +0
FP_INT_S( 9, 0, 1 << 5, 0x00000001, 0, fclass.s a4, fa0)    # +min subnormal
FP_INT_S(10, 0, 1 << 5, 0x007fffff, 0, fclass.s a4, fa0)    # +max subnormal
FP_INT_S(11, 0, 1 << 6, 0x00800000, 0, fclass.s a4, fa0)    # +min normal
FP_INT_S(12, 0, 1 << 6, 0x3f800000, 0, fclass.s a4, fa0)    # 1
FP_INT_S(13, 0, 1 << 6, 0x7f7fffff, 0, fclass.s a4, fa0)    # max
FP_INT_S(14, 0, 1 << 7, 0x7f800000, 0, fclass.s a4, fa0)    # +inf
FP_INT_S(15, 0, 1 << 8, 0x7f800001, 0, fclass.s a4, fa0)    # sNaN
FP_INT_S(16, 0, 1 << 8, 0xffbfffff, 0, fclass.s a4, fa0)    # negative sNaN, full payload
FP_INT_S(17, 0, 1 << 9, 0x7fc00000, 0, fclass.s a4, fa0)    # canonical qNaN
FP_INT_S(18, 0, 1 << 9, 0xffc12345, 0, fclass.s a4, fa0)    # negative qNaN

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
