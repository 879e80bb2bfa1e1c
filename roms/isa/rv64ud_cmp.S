# feq.d/flt.d/fle.d: quiet feq, signaling flt/fle, NaN gives 0, -0 == +0.
# Unprivileged spec 20191213, 11.8 and 12.6.

#include "harness.h"
#include "priv.h"

#define NV FFLAG_NV
#define ONE   0x3ff0000000000000
#define TWO   0x4000000000000000
#define NZERO 0x8000000000000000
#define QNAN  0x7ff8000000000000
#define SNAN  0x7ff0000000000001
#define INF   0x7ff0000000000000
#define NINF  0xfff0000000000000

RVTEST_CODE_BEGIN
        ENABLE_FPU

FP_INT_D( 1, 0,  1, ONE, ONE, feq.d a4, fa0, fa1)
FP_INT_D( 2, 0,  0, ONE, TWO, feq.d a4, fa0, fa1)
FP_INT_D( 3, 0,  1, ONE, TWO, flt.d a4, fa0, fa1)
FP_INT_D( 4, 0,  0, TWO, ONE, flt.d a4, fa0, fa1)
FP_INT_D( 5, 0,  1, ONE, ONE, fle.d a4, fa0, fa1)
FP_INT_D( 6, 0,  0, TWO, ONE, fle.d a4, fa0, fa1)
FP_INT_D( 7, 0,  1, NZERO, 0, feq.d a4, fa0, fa1)
FP_INT_D( 8, 0,  0, NZERO, 0, flt.d a4, fa0, fa1)
FP_INT_D( 9, 0,  1, 0, NZERO, fle.d a4, fa0, fa1)
FP_INT_D(10, 0,  1, NINF, INF, flt.d a4, fa0, fa1)
FP_INT_D(11, 0,  1, 1, 0x0010000000000000, flt.d a4, fa0, fa1)
# 1 and 1+2^-52 differ in the last bit only.
FP_INT_D(12, 0,  0, ONE, 0x3ff0000000000001, feq.d a4, fa0, fa1)
FP_INT_D(13, 0,  1, ONE, 0x3ff0000000000001, flt.d a4, fa0, fa1)
FP_INT_D(14, 0,  0, QNAN, ONE, feq.d a4, fa0, fa1)
FP_INT_D(15, 0,  0, QNAN, QNAN, feq.d a4, fa0, fa1)
FP_INT_D(16, NV, 0, QNAN, ONE, flt.d a4, fa0, fa1)
FP_INT_D(17, NV, 0, ONE, QNAN, fle.d a4, fa0, fa1)
FP_INT_D(18, NV, 0, SNAN, ONE, feq.d a4, fa0, fa1)
FP_INT_D(19, NV, 0, ONE, SNAN, flt.d a4, fa0, fa1)
FP_INT_D(20, NV, 0, SNAN, SNAN, fle.d a4, fa0, fa1)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
