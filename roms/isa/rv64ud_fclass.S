# fclass.d: one of ten bits (unprivileged spec 20191213, 11.9 and 12.7),
# no flags.

#include "harness.h"
#include "priv.h"

RVTEST_CODE_BEGIN
        ENABLE_FPU

FP_INT_D( 1, 0, 1 << 0, 0xfff0000000000000, 0, fclass.d a4, fa0)    # -inf
FP_INT_D( 2, 0, 1 << 1, 0xbff0000000000000, 0, fclass.d a4, fa0)    # -1
FP_INT_D( 3, 0, 1 << 1, 0x8010000000000000, 0, fclass.d a4, fa0)    # -min normal
FP_INT_D( 4, 0, 1 << 2, 0x800fffffffffffff, 0, fclass.d a4, fa0)    # -max subnormal
FP_INT_D( 5, 0, 1 << 2, 0x8000000000000001, 0, fclass.d a4, fa0)    # -min subnormal
FP_INT_D( 6, 0, 1 << 3, 0x8000000000000000, 0, fclass.d a4, fa0)    # -0
FP_INT_D( 7, 0, 1 << 4, 0x0000000000000000, 0, fclass.d a4, fa0)    # +0
FP_INT_D( 8, 0, 1 << 5, 0x0000000000000001, 0, fclass.d a4, fa0)    # +min subnormal
FP_INT_D( 9, 0, 1 << 5, 0x000fffffffffffff, 0, fclass.d a4, fa0)    # +max subnormal
FP_INT_D(10, 0, 1 << 6, 0x0010000000000000, 0, fclass.d a4, fa0)    # +min normal
FP_INT_D(11, 0, 1 << 6, 0x7fefffffffffffff, 0, fclass.d a4, fa0)    # max
FP_INT_D(12, 0, 1 << 7, 0x7ff0000000000000, 0, fclass.d a4, fa0)    # +inf
FP_INT_D(13, 0, 1 << 8, 0x7ff0000000000001, 0, fclass.d a4, fa0)    # sNaN
FP_INT_D(14, 0, 1 << 8, 0xfff7ffffffffffff, 0, fclass.d a4, fa0)    # negative sNaN
FP_INT_D(15, 0, 1 << 9, 0x7ff8000000000000, 0, fclass.d a4, fa0)    # canonical qNaN
FP_INT_D(16, 0, 1 << 9, 0xfff8000000012345, 0, fclass.d a4, fa0)    # negative qNaN
# A boxed single is just a double here: 0xffffffff_3f800000 is a qNaN.
FP_INT_D(17, 0, 1 << 9, 0xffffffff3f800000, 0, fclass.d a4, fa0)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
