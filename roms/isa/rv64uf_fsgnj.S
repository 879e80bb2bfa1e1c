# Sign injection and moves, single precision (unprivileged spec 20191213,
# 11.7: fsgnj*.s, fmv.x.w/fmv.w.x): they copy bits, so NaNs keep their
# payload and sign (no canonical NaN here) and no flag is ever set.
# fmv.x.w sign-extends bit 31 into rd on RV64.

#include "harness.h"
#include "priv.h"

RVTEST_CODE_BEGIN
        ENABLE_FPU

# --- fsgnj.s: magnitude of rs1, sign of rs2.
FP_S( 1, 0, 0xbf800000, 0x3f800000, 0xc0000000, 0, fsgnj.s fa3, fa0, fa1)
FP_S( 2, 0, 0x3f800000, 0xbf800000, 0x40000000, 0, fsgnj.s fa3, fa0, fa1)
FP_S( 3, 0, 0x3f800000, 0x3f800000, 0x40000000, 0, fsgnj.s fa3, fa0, fa1)
FP_S( 4, 0, 0x80000000, 0x00000000, 0x80000000, 0, fsgnj.s fa3, fa0, fa1)
# --- fsgnjn.s: opposite of rs2's sign.
FP_S( 5, 0, 0x3f800000, 0x3f800000, 0xc0000000, 0, fsgnjn.s fa3, fa0, fa1)
FP_S( 6, 0, 0xbf800000, 0x3f800000, 0x40000000, 0, fsgnjn.s fa3, fa0, fa1)
FP_S( 7, 0, 0x80000000, 0x00000000, 0x00000000, 0, fsgnjn.s fa3, fa0, fa0)  # fneg +0
# --- fsgnjx.s: xor of the signs.
FP_S( 8, 0, 0x3f800000, 0xbf800000, 0xc0000000, 0, fsgnjx.s fa3, fa0, fa1)
FP_S( 9, 0, 0xbf800000, 0xbf800000, 0x40000000, 0, fsgnjx.s fa3, fa0, fa1)
FP_S(10, 0, 0xbf800000, 0x3f800000, 0xc0000000, 0, fsgnjx.s fa3, fa0, fa1)
FP_S(11, 0, 0x00000000, 0x80000000, 0x80000000, 0, fsgnjx.s fa3, fa0, fa0)  # fabs -0
# --- NaNs and infinities are just bits.
FP_S(12, 0, 0xffc12345, 0x7fc12345, 0xbf800000, 0, fsgnj.s fa3, fa0, fa1)
FP_S(13, 0, 0xff800001, 0x7f800001, 0x3f800000, 0, fsgnjn.s fa3, fa0, fa1)  # sNaN: no NV
FP_S(14, 0, 0x7f800001, 0xff800001, 0xff800000, 0, fsgnjx.s fa3, fa0, fa1)
FP_S(15, 0, 0xff800000, 0x7f800000, 0xffc00000, 0, fsgnj.s fa3, fa0, fa1)   # sign of a NaN
FP_S(16, 0, 0x807fffff, 0x007fffff, 0x80000000, 0, fsgnj.s fa3, fa0, fa1)   # subnormal

# --- fmv.x.w: the low 32 bits, sign-extended; no canonicalization.
FP_INT_S(17, 0, 0x000000003f800000, 0x3f800000, 0, fmv.x.w a4, fa0)
FP_INT_S(18, 0, 0xffffffffbf800000, 0xbf800000, 0, fmv.x.w a4, fa0)
FP_INT_S(19, 0, 0xffffffff80000000, 0x80000000, 0, fmv.x.w a4, fa0)
FP_INT_S(20, 0, 0x000000007f800001, 0x7f800001, 0, fmv.x.w a4, fa0)         # sNaN, no NV
FP_INT_S(21, 0, 0xffffffffffc12345, 0xffc12345, 0, fmv.x.w a4, fa0)

# --- fmv.w.x: the low 32 bits of rs1, unchanged.
INT_FP_S(22, 0, 0xbf800000, 0x12345678bf800000, fmv.w.x fa3, a1)
INT_FP_S(23, 0, 0x7f800001, 0x000000007f800001, fmv.w.x fa3, a1)            # sNaN, no NV
INT_FP_S(24, 0, 0x00000001, 0xffffffff00000001, fmv.w.x fa3, a1)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
