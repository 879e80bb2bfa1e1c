# feq.s/flt.s/fle.s: feq is a quiet comparison (NV only for a signaling
# NaN), flt and fle are signaling (NV for any NaN); a NaN operand gives 0,
# and -0 == +0.  Unprivileged spec 20191213, 11.8; IEEE 754-2008 5.11.

#include "harness.h"
#include "priv.h"

#define NV FFLAG_NV

RVTEST_CODE_BEGIN
        ENABLE_FPU

FP_INT_S( 1, 0,  1, 0x3f800000, 0x3f800000, feq.s a4, fa0, fa1)
FP_INT_S( 2, 0,  0, 0x3f800000, 0x40000000, feq.s a4, fa0, fa1)
FP_INT_S( 3, 0,  1, 0x3f800000, 0x40000000, flt.s a4, fa0, fa1)
FP_INT_S( 4, 0,  0, 0x40000000, 0x3f800000, flt.s a4, fa0, fa1)
FP_INT_S( 5, 0,  0, 0x3f800000, 0x3f800000, flt.s a4, fa0, fa1)
FP_INT_S( 6, 0,  1, 0x3f800000, 0x3f800000, fle.s a4, fa0, fa1)
FP_INT_S( 7, 0,  0, 0x40000000, 0x3f800000, fle.s a4, fa0, fa1)
FP_INT_S( 8, 0,  1, 0xc0000000, 0xbf800000, flt.s a4, fa0, fa1)    # -2 < -1
# -0 and +0 are equal.
FP_INT_S( 9, 0,  1, 0x80000000, 0x00000000, feq.s a4, fa0, fa1)
FP_INT_S(10, 0,  0, 0x80000000, 0x00000000, flt.s a4, fa0, fa1)
FP_INT_S(11, 0,  1, 0x00000000, 0x80000000, fle.s a4, fa0, fa1)
FP_INT_S(12, 0,  1, 0xff800000, 0x7f800000, flt.s a4, fa0, fa1)
FP_INT_S(13, 0,  1, 0x7f800000, 0x7f800000, fle.s a4, fa0, fa1)
FP_INT_S(14, 0,  1, 0x00000001, 0x00800000, flt.s a4, fa0, fa1)    # subnormals compare too
# Quiet NaN: feq quiet, flt/fle signal.
FP_INT_S(15, 0,  0, 0x7fc00000, 0x3f800000, feq.s a4, fa0, fa1)
FP_INT_S(16, 0,  0, 0x7fc00000, 0x7fc00000, feq.s a4, fa0, fa1)    # NaN != itself
FP_INT_S(17, NV, 0, 0x7fc00000, 0x3f800000, flt.s a4, fa0, fa1)
FP_INT_S(18, NV, 0, 0x3f800000, 0xffc00000, fle.s a4, fa0, fa1)
# Signaling NaN: NV for all three.
FP_INT_S(19, NV, 0, 0x7f800001, 0x3f800000, feq.s a4, fa0, fa1)
FP_INT_S(20, NV, 0, 0x3f800000, 0x7f800001, feq.s a4, fa0, fa1)
FP_INT_S(21, NV, 0, 0x7f800001, 0x3f800000, flt.s a4, fa0, fa1)
FP_INT_S(22, NV, 0, 0x7f800001, 0x7f800001, fle.s a4, fa0, fa1)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
