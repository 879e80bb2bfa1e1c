# Single precision fadd/fsub/fmul/fdiv/fsqrt: results, every static rounding
# mode where it matters, and the exception flags (NV DZ OF UF NX).
# Unprivileged spec 20191213, 11.2 (fcsr, flags), 11.3 (NaNs: any NaN
# result is the canonical NaN 0x7fc00000), 11.6 (computational insns);
# IEEE 754-2008 4.3 (rounding), 7 (exceptions).  Tininess is detected after
# rounding (IEEE 754 7.5 leaves the choice open; it is the choice of Spike's
# SoftFloat, the reference model, and of QEMU): case 51 tells them apart.
#
# Values used (binary32):  1.0 3f800000  2.0 40000000  3.0 40400000
# 0.5 3f000000  2.5 40200000  4.0 40800000  5.0 40a00000  2^-24 33800000
# max 7f7fffff  min normal 00800000  min subnormal 00000001  inf 7f800000
# canonical qNaN 7fc00000  a qNaN with payload 7fc12345  sNaN 7f800001

#include "harness.h"
#include "priv.h"

#define NX FFLAG_NX
#define UF FFLAG_UF
#define OF FFLAG_OF
#define DZ FFLAG_DZ
#define NV FFLAG_NV

RVTEST_CODE_BEGIN
        ENABLE_FPU

# --- fadd.s
FP_S( 1, 0,  0x40400000, 0x3f800000, 0x40000000, 0, fadd.s fa3, fa0, fa1)    # 1+2 = 3
# 1 + 2^-24 lies exactly halfway between 1 and 1+2^-23.
FP_S( 2, NX, 0x3f800000, 0x3f800000, 0x33800000, 0, fadd.s fa3, fa0, fa1, rne) # ties to even
FP_S( 3, NX, 0x3f800001, 0x3f800000, 0x33800000, 0, fadd.s fa3, fa0, fa1, rmm) # ties away
FP_S( 4, NX, 0x3f800001, 0x3f800000, 0x33800000, 0, fadd.s fa3, fa0, fa1, rup)
FP_S( 5, NX, 0x3f800000, 0x3f800000, 0x33800000, 0, fadd.s fa3, fa0, fa1, rtz)
FP_S( 6, NX, 0x3f800000, 0x3f800000, 0x33800000, 0, fadd.s fa3, fa0, fa1, rdn)
# Negative: -1 - 2^-24; RDN rounds away from zero, RUP towards it.
FP_S( 7, NX, 0xbf800001, 0xbf800000, 0xb3800000, 0, fadd.s fa3, fa0, fa1, rdn)
FP_S( 8, NX, 0xbf800000, 0xbf800000, 0xb3800000, 0, fadd.s fa3, fa0, fa1, rup)
FP_S( 9, NX, 0xbf800001, 0xbf800000, 0xb3800000, 0, fadd.s fa3, fa0, fa1, rmm)
# (1+2^-23) + 2^-24: halfway with an odd lower neighbour -> even is up.
FP_S(10, NX, 0x3f800002, 0x3f800001, 0x33800000, 0, fadd.s fa3, fa0, fa1, rne)
FP_S(11, NX, 0x3f800001, 0x3f800001, 0x33800000, 0, fadd.s fa3, fa0, fa1, rtz)
# Infinities and NaNs.
FP_S(12, NV, 0x7fc00000, 0x7f800000, 0xff800000, 0, fadd.s fa3, fa0, fa1)    # inf-inf
FP_S(13, 0,  0x7f800000, 0x7f800000, 0x3f800000, 0, fadd.s fa3, fa0, fa1)
FP_S(14, 0,  0x7fc00000, 0x7fc12345, 0x3f800000, 0, fadd.s fa3, fa0, fa1)    # payload dropped
FP_S(15, NV, 0x7fc00000, 0x7f800001, 0x3f800000, 0, fadd.s fa3, fa0, fa1)    # sNaN
FP_S(16, NV, 0x7fc00000, 0x3f800000, 0xff812345, 0, fadd.s fa3, fa0, fa1)    # -sNaN in rs2
# Overflow: max+max.  Round-to-nearest gives inf; the directed modes
# towards zero give max (IEEE 754 7.4).
FP_S(17, OF|NX, 0x7f800000, 0x7f7fffff, 0x7f7fffff, 0, fadd.s fa3, fa0, fa1)
FP_S(18, OF|NX, 0x7f7fffff, 0x7f7fffff, 0x7f7fffff, 0, fadd.s fa3, fa0, fa1, rtz)
FP_S(19, OF|NX, 0x7f7fffff, 0x7f7fffff, 0x7f7fffff, 0, fadd.s fa3, fa0, fa1, rdn)
FP_S(20, OF|NX, 0xff800000, 0xff7fffff, 0xff7fffff, 0, fadd.s fa3, fa0, fa1, rdn)
FP_S(21, OF|NX, 0xff7fffff, 0xff7fffff, 0xff7fffff, 0, fadd.s fa3, fa0, fa1, rup)
FP_S(22, OF|NX, 0x7f800000, 0x7f7fffff, 0x7f7fffff, 0, fadd.s fa3, fa0, fa1, rmm)
# Signed zeros (IEEE 754 6.3): -0 + -0 = -0; x + -x = +0, except -0 in RDN.
FP_S(23, 0,  0x80000000, 0x80000000, 0x80000000, 0, fadd.s fa3, fa0, fa1)
FP_S(24, 0,  0x00000000, 0x80000000, 0x00000000, 0, fadd.s fa3, fa0, fa1)
FP_S(25, 0,  0x80000000, 0x80000000, 0x00000000, 0, fadd.s fa3, fa0, fa1, rdn)
FP_S(26, 0,  0x00000000, 0x40200000, 0xc0200000, 0, fadd.s fa3, fa0, fa1)
FP_S(27, 0,  0x80000000, 0x40200000, 0xc0200000, 0, fadd.s fa3, fa0, fa1, rdn)
# Subnormals add exactly: no underflow flag without inexactness.
FP_S(28, 0,  0x00000002, 0x00000001, 0x00000001, 0, fadd.s fa3, fa0, fa1)
FP_S(29, 0,  0x00800000, 0x007fffff, 0x00000001, 0, fadd.s fa3, fa0, fa1)

# --- fsub.s
FP_S(30, 0,  0x3fc00000, 0x40200000, 0x3f800000, 0, fsub.s fa3, fa0, fa1)    # 2.5-1
FP_S(31, 0,  0x00000000, 0x3f800000, 0x3f800000, 0, fsub.s fa3, fa0, fa1)    # 1-1 = +0
FP_S(32, 0,  0x80000000, 0x3f800000, 0x3f800000, 0, fsub.s fa3, fa0, fa1, rdn)
FP_S(33, NV, 0x7fc00000, 0x7f800000, 0x7f800000, 0, fsub.s fa3, fa0, fa1)    # inf-inf
FP_S(34, 0,  0xff800000, 0x3f800000, 0x7f800000, 0, fsub.s fa3, fa0, fa1)    # 1-inf
FP_S(35, 0,  0x007fffff, 0x00800000, 0x00000001, 0, fsub.s fa3, fa0, fa1)    # exact subnormal
FP_S(36, NX, 0x3f800000, 0x3f800000, 0x33000000, 0, fsub.s fa3, fa0, fa1)    # 1-2^-25: tie, 1.0 is even
FP_S(37, NX, 0x3f7fffff, 0x3f800000, 0x32800000, 0, fsub.s fa3, fa0, fa1, rdn) # 1-2^-26
FP_S(38, NX, 0x3f800000, 0x3f800000, 0x32800000, 0, fsub.s fa3, fa0, fa1, rne)

# --- fmul.s
FP_S(39, 0,  0xc0a00000, 0x40200000, 0xc0000000, 0, fmul.s fa3, fa0, fa1)    # 2.5*-2
FP_S(40, NV, 0x7fc00000, 0x7f800000, 0x00000000, 0, fmul.s fa3, fa0, fa1)    # inf*0
FP_S(41, NV, 0x7fc00000, 0x80000000, 0xff800000, 0, fmul.s fa3, fa0, fa1)    # -0*-inf
FP_S(42, 0,  0xff800000, 0xff800000, 0x40000000, 0, fmul.s fa3, fa0, fa1)
FP_S(43, 0,  0x80000000, 0x80000000, 0x40400000, 0, fmul.s fa3, fa0, fa1)    # -0*3
FP_S(44, OF|NX, 0x7f800000, 0x7f7fffff, 0x40000000, 0, fmul.s fa3, fa0, fa1)
FP_S(45, OF|NX, 0x7f7fffff, 0x7f7fffff, 0x40000000, 0, fmul.s fa3, fa0, fa1, rtz)
# Underflow.  An exact subnormal result raises nothing ...
FP_S(46, 0,  0x00400000, 0x00800000, 0x3f000000, 0, fmul.s fa3, fa0, fa1)    # 2^-127
# ... 2^-150 is halfway between 0 and the smallest subnormal: 0 (even), or
# the subnormal when rounding up; tiny and inexact -> UF|NX.
FP_S(47, UF|NX, 0x00000000, 0x00000001, 0x3f000000, 0, fmul.s fa3, fa0, fa1)
FP_S(48, UF|NX, 0x00000001, 0x00000001, 0x3f000000, 0, fmul.s fa3, fa0, fa1, rup)
FP_S(49, UF|NX, 0x80000000, 0x80000001, 0x3f000000, 0, fmul.s fa3, fa0, fa1, rup)
# (2^-126 + 2^-149) / 2 = 2^-127 + 2^-150: halfway, even is down.
FP_S(50, UF|NX, 0x00400000, 0x00800001, 0x3f000000, 0, fmul.s fa3, fa0, fa1)
# (1-2^-23)(1+2^-23)2^-126 = 2^-126 (1-2^-46): tiny before rounding, but it
# rounds to the smallest normal, so with tininess after rounding only NX.
FP_S(51, NX, 0x00800000, 0x3f7ffffe, 0x00800001, 0, fmul.s fa3, fa0, fa1)
FP_S(52, NX, 0x3f800003, 0x3f800001, 0x3f800001, 0, fmul.s fa3, fa0, fa1, rup) # (1+2^-23)^2 = 1+2^-22+2^-46
FP_S(53, NX, 0x3f800002, 0x3f800001, 0x3f800001, 0, fmul.s fa3, fa0, fa1, rne)

# --- fdiv.s
FP_S(54, NX, 0x3eaaaaab, 0x3f800000, 0x40400000, 0, fdiv.s fa3, fa0, fa1)    # 1/3
FP_S(55, NX, 0x3eaaaaaa, 0x3f800000, 0x40400000, 0, fdiv.s fa3, fa0, fa1, rtz)
FP_S(56, NX, 0x3eaaaaaa, 0x3f800000, 0x40400000, 0, fdiv.s fa3, fa0, fa1, rdn)
FP_S(57, NX, 0xbeaaaaab, 0xbf800000, 0x40400000, 0, fdiv.s fa3, fa0, fa1, rdn)
FP_S(58, NX, 0xbeaaaaaa, 0xbf800000, 0x40400000, 0, fdiv.s fa3, fa0, fa1, rup)
FP_S(59, 0,  0x3fc00000, 0x40400000, 0x40000000, 0, fdiv.s fa3, fa0, fa1)    # 3/2
FP_S(60, DZ, 0x7f800000, 0x3f800000, 0x00000000, 0, fdiv.s fa3, fa0, fa1)    # 1/0
FP_S(61, DZ, 0xff800000, 0x3f800000, 0x80000000, 0, fdiv.s fa3, fa0, fa1)    # 1/-0
FP_S(62, NV, 0x7fc00000, 0x00000000, 0x80000000, 0, fdiv.s fa3, fa0, fa1)    # 0/0
FP_S(63, NV, 0x7fc00000, 0x7f800000, 0xff800000, 0, fdiv.s fa3, fa0, fa1)    # inf/inf
FP_S(64, 0,  0x80000000, 0x3f800000, 0xff800000, 0, fdiv.s fa3, fa0, fa1)    # 1/-inf
FP_S(65, 0,  0x7f800000, 0x7f800000, 0x00000000, 0, fdiv.s fa3, fa0, fa1)    # inf/0: no DZ
FP_S(66, 0,  0x00200000, 0x00800000, 0x40800000, 0, fdiv.s fa3, fa0, fa1)    # 2^-128 exact
FP_S(67, OF|NX, 0x7f800000, 0x7f7fffff, 0x3f000000, 0, fdiv.s fa3, fa0, fa1)
FP_S(68, NV, 0x7fc00000, 0x7f800001, 0x00000000, 0, fdiv.s fa3, fa0, fa1)    # sNaN/0: NV only

# --- fsqrt.s
FP_S(69, 0,  0x40000000, 0x40800000, 0, 0, fsqrt.s fa3, fa0)                 # sqrt 4
FP_S(70, NX, 0x3fb504f3, 0x40000000, 0, 0, fsqrt.s fa3, fa0)                 # sqrt 2
FP_S(71, NX, 0x3fb504f4, 0x40000000, 0, 0, fsqrt.s fa3, fa0, rup)
FP_S(72, NX, 0x3fb504f3, 0x40000000, 0, 0, fsqrt.s fa3, fa0, rtz)
FP_S(73, NV, 0x7fc00000, 0xbf800000, 0, 0, fsqrt.s fa3, fa0)                 # sqrt -1
FP_S(74, 0,  0x80000000, 0x80000000, 0, 0, fsqrt.s fa3, fa0)                 # sqrt -0 = -0
FP_S(75, 0,  0x7f800000, 0x7f800000, 0, 0, fsqrt.s fa3, fa0)
FP_S(76, NV, 0x7fc00000, 0xff800000, 0, 0, fsqrt.s fa3, fa0)
FP_S(77, 0,  0x7fc00000, 0x7fc12345, 0, 0, fsqrt.s fa3, fa0)
FP_S(78, NV, 0x7fc00000, 0x7f800001, 0, 0, fsqrt.s fa3, fa0)
FP_S(79, 0,  0x2b800000, 0x17800000, 0, 0, fsqrt.s fa3, fa0)                 # sqrt 2^-80 = 2^-40
FP_S(80, NX, 0x1a3504f3, 0x00000001, 0, 0, fsqrt.s fa3, fa0)                 # sqrt 2^-149

# The same operation in every mode via frm (rm=dyn, 11.2): 1/3 in RUP.
TEST_START(81)
        csrwi frm, 3
        la a0, 1f
        flw fa0, 0(a0)
        flw fa1, 4(a0)
        csrwi fflags, 0
        fdiv.s fa3, fa0, fa1            # dyn
        fmv.x.w a4, fa3
        csrwi frm, 0
        CHECK_IMM(a4, 0x3eaaaaab)
        csrr a1, fflags
        CHECK_IMM(a1, NX)
        .pushsection .data
        .balign 4
1:      .word 0x3f800000, 0x40400000
        .popsection

TEST_START(82)
        csrwi frm, 1                    # RTZ
        la a0, 1f
        flw fa0, 0(a0)
        flw fa1, 4(a0)
        fdiv.s fa3, fa0, fa1
        fmv.x.w a4, fa3
        csrwi frm, 0
        CHECK_IMM(a4, 0x3eaaaaaa)
        .pushsection .data
        .balign 4
1:      .word 0x3f800000, 0x40400000
        .popsection

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
