# Sign injection and moves, double precision (unprivileged spec 20191213,
# 11.7 and 12.5: fsgnj*.d, fmv.x.d/fmv.d.x): bit copies, no NaN
# canonicalization, no flags.

#include "harness.h"
#include "priv.h"

#define ONE   0x3ff0000000000000
#define MONE  0xbff0000000000000
#define TWO   0x4000000000000000
#define MTWO  0xc000000000000000
#define NZERO 0x8000000000000000

RVTEST_CODE_BEGIN
        ENABLE_FPU

FP_D( 1, 0, MONE, ONE, MTWO, 0, fsgnj.d fa3, fa0, fa1)
FP_D( 2, 0, ONE,  MONE, TWO, 0, fsgnj.d fa3, fa0, fa1)
FP_D( 3, 0, ONE,  ONE, MTWO, 0, fsgnjn.d fa3, fa0, fa1)
FP_D( 4, 0, MONE, ONE, TWO, 0, fsgnjn.d fa3, fa0, fa1)
FP_D( 5, 0, NZERO, 0, 0, 0, fsgnjn.d fa3, fa0, fa0)                          # fneg +0
FP_D( 6, 0, ONE,  MONE, MTWO, 0, fsgnjx.d fa3, fa0, fa1)
FP_D( 7, 0, MONE, MONE, TWO, 0, fsgnjx.d fa3, fa0, fa1)
FP_D( 8, 0, 0, NZERO, NZERO, 0, fsgnjx.d fa3, fa0, fa0)                      # fabs -0
FP_D( 9, 0, 0xfff8000000012345, 0x7ff8000000012345, MONE, 0, fsgnj.d fa3, fa0, fa1)
FP_D(10, 0, 0xfff0000000000001, 0x7ff0000000000001, ONE, 0, fsgnjn.d fa3, fa0, fa1) # sNaN
FP_D(11, 0, 0x800fffffffffffff, 0x000fffffffffffff, NZERO, 0, fsgnj.d fa3, fa0, fa1)
# A boxed single is an ordinary double to the D instructions.
FP_D(12, 0, 0x7fffffff3f800000, 0xffffffff3f800000, 0, 0, fsgnj.d fa3, fa0, fa1)

FP_INT_D(13, 0, ONE, ONE, 0, fmv.x.d a4, fa0)
FP_INT_D(14, 0, 0x7ff0000000000001, 0x7ff0000000000001, 0, fmv.x.d a4, fa0)  # sNaN, no NV
FP_INT_D(15, 0, 0xfff8000000012345, 0xfff8000000012345, 0, fmv.x.d a4, fa0)
INT_FP_D(16, 0, 0x123456789abcdef0, 0x123456789abcdef0, fmv.d.x fa3, a1)
INT_FP_D(17, 0, 0x7ff0000000000001, 0x7ff0000000000001, fmv.d.x fa3, a1)     # sNaN, no NV

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
