# Conversions with double precision: fcvt.{w,wu,l,lu}.d and
# fcvt.d.{w,wu,l,lu} (unprivileged spec 20191213, 12.5, saturation as in
# table 11.4), and between the two formats, fcvt.s.d (rounds; may overflow
# or underflow) and fcvt.d.s (exact) (12.5).  A NaN converts to the
# canonical NaN of the destination (11.3), with NV only if it signaled.
#
# fcvt.s.d results are checked as 64-bit register contents: a single
# written to an f register is NaN-boxed, upper 32 bits all ones (12.2).

#include "harness.h"
#include "priv.h"

#define NX FFLAG_NX
#define UF FFLAG_UF
#define OF FFLAG_OF
#define NV FFLAG_NV

#define W_MIN  0xffffffff80000000
#define W_MAX  0x7fffffff
#define L_MIN  0x8000000000000000
#define L_MAX  0x7fffffffffffffff
#define ALL1   0xffffffffffffffff
#define ONE    0x3ff0000000000000
#define D2P5   0x4004000000000000       /*  2.5 */
#define DM2P5  0xc004000000000000       /* -2.5 */
#define QNAN   0x7ff8000000000000
#define SNAN   0x7ff0000000000001
#define INF    0x7ff0000000000000
#define NINF   0xfff0000000000000
#define BOX    0xffffffff00000000

RVTEST_CODE_BEGIN
        ENABLE_FPU

# --- fcvt.w.d
FP_INT_D( 1, NX, 2,  D2P5, 0, fcvt.w.d a4, fa0, rne)
FP_INT_D( 2, NX, 3,  D2P5, 0, fcvt.w.d a4, fa0, rmm)
FP_INT_D( 3, NX, 2,  D2P5, 0, fcvt.w.d a4, fa0, rtz)
FP_INT_D( 4, NX, 2,  D2P5, 0, fcvt.w.d a4, fa0, rdn)
FP_INT_D( 5, NX, 3,  D2P5, 0, fcvt.w.d a4, fa0, rup)
FP_INT_D( 6, NX, -3, DM2P5, 0, fcvt.w.d a4, fa0, rmm)
FP_INT_D( 7, NX, -3, DM2P5, 0, fcvt.w.d a4, fa0, rdn)
FP_INT_D( 8, NX, -2, DM2P5, 0, fcvt.w.d a4, fa0, rup)
FP_INT_D( 9, 0,  W_MAX, 0x41dfffffffc00000, 0, fcvt.w.d a4, fa0, rne)  # 2^31-1
# 2^31-0.5: RTZ stays in range (inexact); RNE ties to 2^31 (even): invalid.
FP_INT_D(10, NX, W_MAX, 0x41dfffffffe00000, 0, fcvt.w.d a4, fa0, rtz)
FP_INT_D(11, NV, W_MAX, 0x41dfffffffe00000, 0, fcvt.w.d a4, fa0, rne)
# -2^31-0.5: RNE ties to -2^31 (even): in range; RDN goes below: invalid.
FP_INT_D(12, NX, W_MIN, 0xc1e0000000100000, 0, fcvt.w.d a4, fa0, rne)
FP_INT_D(13, NV, W_MIN, 0xc1e0000000100000, 0, fcvt.w.d a4, fa0, rdn)
FP_INT_D(14, NV, W_MAX, 0x41e0000000000000, 0, fcvt.w.d a4, fa0, rtz)  # 2^31
FP_INT_D(15, NV, W_MAX, QNAN, 0, fcvt.w.d a4, fa0, rtz)
FP_INT_D(16, NV, W_MIN, NINF, 0, fcvt.w.d a4, fa0, rtz)
FP_INT_D(17, NX, 0, 0x01a56e1fc2f8f359, 0, fcvt.w.d a4, fa0, rne)      # 1e-300
FP_INT_D(18, NX, 1, 0x01a56e1fc2f8f359, 0, fcvt.w.d a4, fa0, rup)

# --- fcvt.wu.d
FP_INT_D(19, 0,  ALL1, 0x41efffffffe00000, 0, fcvt.wu.d a4, fa0, rtz)  # 2^32-1, sign-extended
FP_INT_D(20, NX, ALL1, 0x41effffffff00000, 0, fcvt.wu.d a4, fa0, rtz)  # 2^32-0.5: in range
FP_INT_D(21, NV, ALL1, 0x41effffffff00000, 0, fcvt.wu.d a4, fa0, rne)  # ties to 2^32
FP_INT_D(22, 0,  W_MIN, 0x41e0000000000000, 0, fcvt.wu.d a4, fa0, rtz) # 2^31 = 0x80000000
FP_INT_D(23, NV, 0,  0xbff0000000000000, 0, fcvt.wu.d a4, fa0, rtz)
FP_INT_D(24, NX, 0,  0xbfeccccccccccccd, 0, fcvt.wu.d a4, fa0, rtz)    # -0.9 -> 0
FP_INT_D(25, NV, ALL1, INF, 0, fcvt.wu.d a4, fa0, rtz)
FP_INT_D(26, NV, ALL1, SNAN, 0, fcvt.wu.d a4, fa0, rtz)

# --- fcvt.l.d
FP_INT_D(27, NV, L_MAX, 0x43e0000000000000, 0, fcvt.l.d a4, fa0, rtz)  # 2^63
FP_INT_D(28, 0,  0x7ffffffffffffc00, 0x43dfffffffffffff, 0, fcvt.l.d a4, fa0, rtz)
FP_INT_D(29, 0,  L_MIN, 0xc3e0000000000000, 0, fcvt.l.d a4, fa0, rtz)  # -2^63
FP_INT_D(30, NV, L_MIN, 0xc3e0000000000001, 0, fcvt.l.d a4, fa0, rtz)
FP_INT_D(31, NV, L_MIN, NINF, 0, fcvt.l.d a4, fa0, rtz)
FP_INT_D(32, NV, L_MAX, 0xfff8000000000000, 0, fcvt.l.d a4, fa0, rtz)  # -qNaN
FP_INT_D(33, 0,  0x0010000000000001, 0x4330000000000001, 0, fcvt.l.d a4, fa0, rtz) # 2^52+1
FP_INT_D(34, NX, -8, 0xc01e000000000000, 0, fcvt.l.d a4, fa0, rne)     # -7.5
FP_INT_D(35, NX, -8, 0xc01e000000000000, 0, fcvt.l.d a4, fa0, rmm)
FP_INT_D(36, NX, -7, 0xc01e000000000000, 0, fcvt.l.d a4, fa0, rup)
FP_INT_D(37, NX, -7, 0xc01e000000000000, 0, fcvt.l.d a4, fa0, rtz)
FP_INT_D(38, NX, -8, 0xc01e000000000000, 0, fcvt.l.d a4, fa0, rdn)

# --- fcvt.lu.d
FP_INT_D(39, NV, ALL1, 0x43f0000000000000, 0, fcvt.lu.d a4, fa0, rtz)  # 2^64
FP_INT_D(40, 0,  0xfffffffffffff800, 0x43efffffffffffff, 0, fcvt.lu.d a4, fa0, rtz)
FP_INT_D(41, NX, 0,  0xbfe0000000000000, 0, fcvt.lu.d a4, fa0, rtz)    # -0.5 -> 0
FP_INT_D(42, NV, 0,  0xbfe0000000000000, 0, fcvt.lu.d a4, fa0, rmm)    # -0.5 -> -1
FP_INT_D(43, NV, ALL1, QNAN, 0, fcvt.lu.d a4, fa0, rtz)
FP_INT_D(44, NV, 0,  NINF, 0, fcvt.lu.d a4, fa0, rtz)

# --- Dynamic rounding.
FP_INT_D(45, NX, 3, D2P5, 0, csrwi frm, 4; fcvt.l.d a4, fa0; csrwi frm, 0)     # RMM
FP_INT_D(46, NX, 3, D2P5, 0, csrwi frm, 3; fcvt.w.d a4, fa0; csrwi frm, 0)     # RUP

# --- fcvt.d.w/wu/l/lu: every 32-bit integer is exact in double.
INT_FP_D(47, 0,  0xbff0000000000000, -1, fcvt.d.w fa3, a1)
INT_FP_D(48, 0,  0x41dfffffffc00000, 0x7fffffff, fcvt.d.w fa3, a1)
INT_FP_D(49, 0,  0xc1e0000000000000, -2147483648, fcvt.d.w fa3, a1)
INT_FP_D(50, 0,  0x4014000000000000, 0x0000000100000005, fcvt.d.w fa3, a1)   # upper half ignored
INT_FP_D(51, 0,  0x41efffffffe00000, 0xffffffff, fcvt.d.wu fa3, a1)
INT_FP_D(52, 0,  0x41efffffffe00000, -1, fcvt.d.wu fa3, a1)                  # low 32 bits
INT_FP_D(53, 0,  0, 0, fcvt.d.wu fa3, a1)
INT_FP_D(54, NX, 0x4340000000000000, 0x0020000000000001, fcvt.d.l fa3, a1)   # 2^53+1: tie, even
INT_FP_D(55, NX, 0x4340000000000001, 0x0020000000000001, fcvt.d.l fa3, a1, rup)
INT_FP_D(56, NX, 0x4340000000000002, 0x0020000000000003, fcvt.d.l fa3, a1)   # 2^53+3 -> +4
INT_FP_D(57, NX, 0x43e0000000000000, 0x7fffffffffffffff, fcvt.d.l fa3, a1)
INT_FP_D(58, NX, 0x43dfffffffffffff, 0x7fffffffffffffff, fcvt.d.l fa3, a1, rtz)
INT_FP_D(59, 0,  0xc3e0000000000000, 0x8000000000000000, fcvt.d.l fa3, a1)
INT_FP_D(60, NX, 0xc3dfffffffffffff, 0x8000000000000001, fcvt.d.l fa3, a1, rup)
INT_FP_D(61, NX, 0x43f0000000000000, 0xffffffffffffffff, fcvt.d.lu fa3, a1)
INT_FP_D(62, NX, 0x43efffffffffffff, 0xffffffffffffffff, fcvt.d.lu fa3, a1, rdn)
INT_FP_D(63, 0,  0x43e0000000000000, 0x8000000000000000, fcvt.d.lu fa3, a1)
INT_FP_D(64, NX, 0x43f0000000000000, 0xffffffffffffffff, csrwi frm, 4; fcvt.d.lu fa3, a1; csrwi frm, 0)

# --- fcvt.s.d: rounds to single.
FP_D(65, 0,  BOX | 0x3f800000, ONE, 0, 0, fcvt.s.d fa3, fa0)
FP_D(66, NX, BOX | 0x3eaaaaab, 0x3fd5555555555555, 0, 0, fcvt.s.d fa3, fa0)        # ~1/3
FP_D(67, NX, BOX | 0x3eaaaaaa, 0x3fd5555555555555, 0, 0, fcvt.s.d fa3, fa0, rtz)
FP_D(68, NX, BOX | 0x3f800000, 0x3ff0000010000000, 0, 0, fcvt.s.d fa3, fa0, rne)   # 1+2^-24: tie
FP_D(69, NX, BOX | 0x3f800001, 0x3ff0000010000000, 0, 0, fcvt.s.d fa3, fa0, rmm)
FP_D(70, NX, BOX | 0xbf800001, 0xbff0000010000000, 0, 0, fcvt.s.d fa3, fa0, rdn)
FP_D(71, OF|NX, BOX | 0x7f800000, 0x7fefffffffffffff, 0, 0, fcvt.s.d fa3, fa0)     # max double
FP_D(72, OF|NX, BOX | 0x7f7fffff, 0x7fefffffffffffff, 0, 0, fcvt.s.d fa3, fa0, rtz)
FP_D(73, 0,  BOX | 0x7f7fffff, 0x47efffffe0000000, 0, 0, fcvt.s.d fa3, fa0)         # max single
FP_D(74, UF|NX, BOX | 0x00000000, 0x358dee7a4ad4b81f, 0, 0, fcvt.s.d fa3, fa0)     # 1e-50
FP_D(75, UF|NX, BOX | 0x00000001, 0x358dee7a4ad4b81f, 0, 0, fcvt.s.d fa3, fa0, rup)
FP_D(76, 0,  BOX | 0x00000001, 0x36a0000000000000, 0, 0, fcvt.s.d fa3, fa0)         # 2^-149
FP_D(77, UF|NX, BOX | 0x00000000, 0x3690000000000000, 0, 0, fcvt.s.d fa3, fa0)     # 2^-150: tie
FP_D(78, UF|NX, BOX | 0x00000001, 0x3698000000000000, 0, 0, fcvt.s.d fa3, fa0)     # 1.5*2^-150
# (1-2^-25) 2^-126 rounds to the smallest normal: tiny only before rounding.
FP_D(79, NX, BOX | 0x00800000, 0x380ffffff0000000, 0, 0, fcvt.s.d fa3, fa0)
FP_D(80, 0,  BOX | 0x7fc00000, 0x7ff8000000012345, 0, 0, fcvt.s.d fa3, fa0)         # qNaN
FP_D(81, NV, BOX | 0x7fc00000, SNAN, 0, 0, fcvt.s.d fa3, fa0)
FP_D(82, 0,  BOX | 0xff800000, NINF, 0, 0, fcvt.s.d fa3, fa0)
FP_D(83, 0,  BOX | 0x80000000, 0x8000000000000000, 0, 0, fcvt.s.d fa3, fa0)

# --- fcvt.d.s: exact.  Sources are NaN-boxed singles.
FP_D(84, 0,  ONE, BOX | 0x3f800000, 0, 0, fcvt.d.s fa3, fa0)
FP_D(85, 0,  0x36a0000000000000, BOX | 0x00000001, 0, 0, fcvt.d.s fa3, fa0)         # subnormal
FP_D(86, 0,  0x47efffffe0000000, BOX | 0x7f7fffff, 0, 0, fcvt.d.s fa3, fa0)
FP_D(87, 0,  0x3fd5555560000000, BOX | 0x3eaaaaab, 0, 0, fcvt.d.s fa3, fa0)
FP_D(88, NV, QNAN, BOX | 0x7f800001, 0, 0, fcvt.d.s fa3, fa0)
FP_D(89, 0,  QNAN, BOX | 0xffc12345, 0, 0, fcvt.d.s fa3, fa0)
FP_D(90, 0,  NINF, BOX | 0xff800000, 0, 0, fcvt.d.s fa3, fa0)
FP_D(91, 0,  0x8000000000000000, BOX | 0x80000000, 0, 0, fcvt.d.s fa3, fa0)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
