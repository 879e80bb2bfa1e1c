# Conversions between single precision and integers: fcvt.{w,wu,l,lu}.s
# and fcvt.s.{w,wu,l,lu}, with every rounding mode (RMM ties away from
# zero), dynamic rounding through frm, and the saturating results for
# out-of-range inputs (unprivileged spec 20191213, 11.7, table 11.4):
#
#                     fcvt.w   fcvt.wu  fcvt.l   fcvt.lu
#   too small / -inf  -2^31    0        -2^63    0
#   too big / +inf    2^31-1   2^32-1   2^63-1   2^64-1
#   NaN               2^31-1   2^32-1   2^63-1   2^64-1
#
# all with NV and no NX.  32-bit results are sign-extended into rd, even
# for fcvt.wu.  A value that rounds into range is only inexact.

#include "harness.h"
#include "priv.h"

#define NX FFLAG_NX
#define NV FFLAG_NV

#define W_MIN  0xffffffff80000000
#define W_MAX  0x7fffffff
#define L_MIN  0x8000000000000000
#define L_MAX  0x7fffffffffffffff
#define ALL1   0xffffffffffffffff

RVTEST_CODE_BEGIN
        ENABLE_FPU

# --- fcvt.w.s: 2.5 and -2.5 in all five modes.
FP_INT_S( 1, 0,  1, 0x3f800000, 0, fcvt.w.s a4, fa0, rtz)
FP_INT_S( 2, NX, 2,  0x40200000, 0, fcvt.w.s a4, fa0, rne)   # ties to even
FP_INT_S( 3, NX, 3,  0x40200000, 0, fcvt.w.s a4, fa0, rmm)   # ties away
FP_INT_S( 4, NX, 2,  0x40200000, 0, fcvt.w.s a4, fa0, rtz)
FP_INT_S( 5, NX, 2,  0x40200000, 0, fcvt.w.s a4, fa0, rdn)
FP_INT_S( 6, NX, 3,  0x40200000, 0, fcvt.w.s a4, fa0, rup)
FP_INT_S( 7, NX, -2, 0xc0200000, 0, fcvt.w.s a4, fa0, rne)
FP_INT_S( 8, NX, -3, 0xc0200000, 0, fcvt.w.s a4, fa0, rmm)
FP_INT_S( 9, NX, -2, 0xc0200000, 0, fcvt.w.s a4, fa0, rtz)
FP_INT_S(10, NX, -3, 0xc0200000, 0, fcvt.w.s a4, fa0, rdn)
FP_INT_S(11, NX, -2, 0xc0200000, 0, fcvt.w.s a4, fa0, rup)
FP_INT_S(12, NX, -2, 0xbfc00000, 0, fcvt.w.s a4, fa0, rne)   # -1.5 -> -2 (even)
FP_INT_S(13, NX, 0,  0x3f000000, 0, fcvt.w.s a4, fa0, rne)   # 0.5 -> 0 (even)
FP_INT_S(14, NX, 1,  0x3f000000, 0, fcvt.w.s a4, fa0, rmm)
FP_INT_S(15, NX, -1, 0xbf000000, 0, fcvt.w.s a4, fa0, rmm)
FP_INT_S(16, NX, 1,  0x3ff33333, 0, fcvt.w.s a4, fa0, rtz)   # 1.9
FP_INT_S(17, 0,  0,  0x80000000, 0, fcvt.w.s a4, fa0, rne)   # -0
FP_INT_S(18, NX, 0,  0x00000001, 0, fcvt.w.s a4, fa0, rne)   # subnormal
FP_INT_S(19, NX, -1, 0x80000001, 0, fcvt.w.s a4, fa0, rdn)
# Range: the largest single below 2^31, -2^31 itself, and beyond.
FP_INT_S(20, 0,  0x7fffff80, 0x4effffff, 0, fcvt.w.s a4, fa0, rtz)
FP_INT_S(21, 0,  W_MIN, 0xcf000000, 0, fcvt.w.s a4, fa0, rtz)
FP_INT_S(22, NV, W_MAX, 0x4f000000, 0, fcvt.w.s a4, fa0, rtz)   # 2^31
FP_INT_S(23, NV, W_MIN, 0xcf000001, 0, fcvt.w.s a4, fa0, rtz)   # -2^31-256
FP_INT_S(24, NV, W_MAX, 0x7f800000, 0, fcvt.w.s a4, fa0, rtz)   # +inf
FP_INT_S(25, NV, W_MIN, 0xff800000, 0, fcvt.w.s a4, fa0, rtz)   # -inf
FP_INT_S(26, NV, W_MAX, 0x7fc00000, 0, fcvt.w.s a4, fa0, rtz)   # qNaN
FP_INT_S(27, NV, W_MAX, 0xffc00000, 0, fcvt.w.s a4, fa0, rtz)   # -qNaN: still the max
FP_INT_S(28, NV, W_MAX, 0x7f800001, 0, fcvt.w.s a4, fa0, rtz)   # sNaN

# --- fcvt.wu.s
FP_INT_S(29, 0,  0xffffffffb2d05e00, 0x4f32d05e, 0, fcvt.wu.s a4, fa0, rtz) # 3e9, sign-extended
FP_INT_S(30, NV, 0,    0xbf800000, 0, fcvt.wu.s a4, fa0, rtz)   # -1
FP_INT_S(31, NX, 0,    0xbf000000, 0, fcvt.wu.s a4, fa0, rtz)   # -0.5 rounds to 0: in range
FP_INT_S(32, NV, 0,    0xbf000000, 0, fcvt.wu.s a4, fa0, rdn)   # ... to -1: out of range
FP_INT_S(33, NV, ALL1, 0x4f800000, 0, fcvt.wu.s a4, fa0, rtz)   # 2^32
FP_INT_S(34, 0,  0xffffffffffffff00, 0x4f7fffff, 0, fcvt.wu.s a4, fa0, rtz) # 2^32-256
FP_INT_S(35, NV, ALL1, 0x7f800000, 0, fcvt.wu.s a4, fa0, rtz)
FP_INT_S(36, NV, 0,    0xff800000, 0, fcvt.wu.s a4, fa0, rtz)
FP_INT_S(37, NV, ALL1, 0xffc00000, 0, fcvt.wu.s a4, fa0, rtz)
FP_INT_S(38, 0,  0,    0x80000000, 0, fcvt.wu.s a4, fa0, rtz)   # -0 is 0
FP_INT_S(39, NX, 2,    0x3fc00000, 0, fcvt.wu.s a4, fa0, rne)   # 1.5 -> 2

# --- fcvt.l.s
FP_INT_S(40, 0,  0x4000000000000000, 0x5e800000, 0, fcvt.l.s a4, fa0, rtz) # 2^62
FP_INT_S(41, 0,  0x2540be400, 0x501502f9, 0, fcvt.l.s a4, fa0, rtz)        # 1e10
FP_INT_S(42, NV, L_MAX, 0x5f000000, 0, fcvt.l.s a4, fa0, rtz)               # 2^63
FP_INT_S(43, 0,  L_MIN, 0xdf000000, 0, fcvt.l.s a4, fa0, rtz)               # -2^63
FP_INT_S(44, NV, L_MIN, 0xdf000001, 0, fcvt.l.s a4, fa0, rtz)
FP_INT_S(45, NV, L_MIN, 0xff800000, 0, fcvt.l.s a4, fa0, rtz)
FP_INT_S(46, NV, L_MAX, 0x7fc00000, 0, fcvt.l.s a4, fa0, rtz)
FP_INT_S(47, NX, -4, 0xc0600000, 0, fcvt.l.s a4, fa0, rne)                 # -3.5
FP_INT_S(48, NX, -4, 0xc0600000, 0, fcvt.l.s a4, fa0, rmm)
FP_INT_S(49, NX, -3, 0xc0600000, 0, fcvt.l.s a4, fa0, rup)
FP_INT_S(50, NX, -3, 0xc0600000, 0, fcvt.l.s a4, fa0, rtz)

# --- fcvt.lu.s
FP_INT_S(51, 0,  0x8000000000000000, 0x5f000000, 0, fcvt.lu.s a4, fa0, rtz) # 2^63 fits
FP_INT_S(52, NV, ALL1, 0x5f800000, 0, fcvt.lu.s a4, fa0, rtz)               # 2^64
FP_INT_S(53, NV, 0,    0xbf800000, 0, fcvt.lu.s a4, fa0, rtz)
FP_INT_S(54, NX, 0,    0xbe800000, 0, fcvt.lu.s a4, fa0, rne)               # -0.25 -> 0
FP_INT_S(55, NV, ALL1, 0x7fc00000, 0, fcvt.lu.s a4, fa0, rtz)
FP_INT_S(56, NV, 0,    0xff800000, 0, fcvt.lu.s a4, fa0, rtz)
FP_INT_S(57, NX, 1,    0x3f000000, 0, fcvt.lu.s a4, fa0, rup)               # 0.5 -> 1

# --- Dynamic rounding: frm selects the mode of rm=dyn.
FP_INT_S(58, NX, 3,  0x40200000, 0, csrwi frm, 4; fcvt.w.s a4, fa0; csrwi frm, 0)  # RMM
FP_INT_S(59, NX, -3, 0xc0200000, 0, csrwi frm, 2; fcvt.w.s a4, fa0; csrwi frm, 0)  # RDN
FP_INT_S(60, NX, 2,  0x40200000, 0, csrwi frm, 0; fcvt.l.s a4, fa0)                # RNE

# --- fcvt.s.w (the low 32 bits of rs1, signed)
INT_FP_S(61, 0,  0x3f800000, 1, fcvt.s.w fa3, a1)
INT_FP_S(62, 0,  0xbf800000, -1, fcvt.s.w fa3, a1)
INT_FP_S(63, 0,  0x00000000, 0, fcvt.s.w fa3, a1)                           # +0, never -0
INT_FP_S(64, NX, 0x4b800000, 16777217, fcvt.s.w fa3, a1, rne)               # 2^24+1: tie, even
INT_FP_S(65, NX, 0x4b800001, 16777217, fcvt.s.w fa3, a1, rmm)
INT_FP_S(66, NX, 0x4b800001, 16777217, fcvt.s.w fa3, a1, rup)
INT_FP_S(67, NX, 0x4b800000, 16777217, fcvt.s.w fa3, a1, rtz)
INT_FP_S(68, NX, 0xcb800001, -16777217, fcvt.s.w fa3, a1, rdn)
INT_FP_S(69, NX, 0x4f000000, 0x7fffffff, fcvt.s.w fa3, a1)                  # -> 2^31
INT_FP_S(70, 0,  0xcf000000, -2147483648, fcvt.s.w fa3, a1)
INT_FP_S(71, 0,  0x3f800000, 0x0000000100000001, fcvt.s.w fa3, a1)          # upper half ignored
INT_FP_S(72, 0,  0xbf800000, 0x12345678ffffffff, fcvt.s.w fa3, a1)

# --- fcvt.s.wu (the low 32 bits, unsigned)
INT_FP_S(73, NX, 0x4f800000, 0xffffffff, fcvt.s.wu fa3, a1)                 # -> 2^32
INT_FP_S(74, NX, 0x4f7fffff, 0xffffffff, fcvt.s.wu fa3, a1, rtz)
INT_FP_S(75, 0,  0x4f000000, 0xffffffff80000000, fcvt.s.wu fa3, a1)         # 2^31
INT_FP_S(76, 0,  0x40400000, 0xabcdef0000000003, fcvt.s.wu fa3, a1)

# --- fcvt.s.l / fcvt.s.lu
INT_FP_S(77, NX, 0x5f000000, 0x7fffffffffffffff, fcvt.s.l fa3, a1)         # -> 2^63
INT_FP_S(78, NX, 0x5effffff, 0x7fffffffffffffff, fcvt.s.l fa3, a1, rtz)
INT_FP_S(79, 0,  0xdf000000, 0x8000000000000000, fcvt.s.l fa3, a1)         # -2^63
INT_FP_S(80, 0,  0xc0400000, -3, fcvt.s.l fa3, a1)
# 2^53 + 2^29 + 1: just above halfway between two singles (sticky bit).
INT_FP_S(81, NX, 0x5a000001, 0x0020000020000001, fcvt.s.l fa3, a1)
INT_FP_S(82, NX, 0x5a000000, 0x0020000020000000, fcvt.s.l fa3, a1)         # exact tie: even
INT_FP_S(83, NX, 0x5f800000, 0xffffffffffffffff, fcvt.s.lu fa3, a1)        # -> 2^64
INT_FP_S(84, NX, 0x5f7fffff, 0xffffffffffffffff, fcvt.s.lu fa3, a1, rdn)
INT_FP_S(85, 0,  0x5f000000, 0x8000000000000000, fcvt.s.lu fa3, a1)
INT_FP_S(86, 0,  0x00000000, 0, fcvt.s.lu fa3, a1)
INT_FP_S(87, NX, 0x5f000000, 0x7fffffffffffffff, csrwi frm, 3; fcvt.s.l fa3, a1; csrwi frm, 0) # dyn RUP

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
