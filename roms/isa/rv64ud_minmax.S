# fmin.d/fmax.d: minimumNumber/maximumNumber (unprivileged spec 20191213,
# 11.6 and 12.4): -0 < +0, one NaN -> the other operand, two NaNs -> the
# canonical NaN, a signaling NaN sets NV.

#include "harness.h"
#include "priv.h"

#define NV FFLAG_NV
#define ONE   0x3ff0000000000000
#define MONE  0xbff0000000000000
#define TWO   0x4000000000000000
#define NZERO 0x8000000000000000
#define QNAN  0x7ff8000000000000
#define QNANP 0x7ff8000000012345
#define SNAN  0x7ff0000000000001
#define INF   0x7ff0000000000000
#define NINF  0xfff0000000000000

RVTEST_CODE_BEGIN
        ENABLE_FPU

FP_D( 1, 0,  ONE, ONE, TWO, 0, fmin.d fa3, fa0, fa1)
FP_D( 2, 0,  TWO, ONE, TWO, 0, fmax.d fa3, fa0, fa1)
FP_D( 3, 0,  MONE, TWO, MONE, 0, fmin.d fa3, fa0, fa1)
FP_D( 4, 0,  NZERO, NZERO, 0, 0, fmin.d fa3, fa0, fa1)
FP_D( 5, 0,  NZERO, 0, NZERO, 0, fmin.d fa3, fa0, fa1)
FP_D( 6, 0,  0, NZERO, 0, 0, fmax.d fa3, fa0, fa1)
FP_D( 7, 0,  0, 0, NZERO, 0, fmax.d fa3, fa0, fa1)
FP_D( 8, 0,  ONE, QNAN, ONE, 0, fmin.d fa3, fa0, fa1)
FP_D( 9, 0,  MONE, MONE, QNANP, 0, fmax.d fa3, fa0, fa1)
FP_D(10, NV, ONE, SNAN, ONE, 0, fmin.d fa3, fa0, fa1)
FP_D(11, NV, MONE, MONE, 0xfff0000000012345, 0, fmax.d fa3, fa0, fa1)
FP_D(12, 0,  QNAN, QNANP, 0xfff8000000000001, 0, fmin.d fa3, fa0, fa1)
FP_D(13, NV, QNAN, SNAN, QNANP, 0, fmax.d fa3, fa0, fa1)
FP_D(14, 0,  NINF, NINF, INF, 0, fmin.d fa3, fa0, fa1)
FP_D(15, 0,  INF, NINF, INF, 0, fmax.d fa3, fa0, fa1)
FP_D(16, 0,  0x8000000000000001, 1, 0x8000000000000001, 0, fmin.d fa3, fa0, fa1)
FP_D(17, 0,  0x0010000000000000, 0x000fffffffffffff, 0x0010000000000000, 0, fmax.d fa3, fa0, fa1)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
