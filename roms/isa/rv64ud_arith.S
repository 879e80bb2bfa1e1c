# Double precision fadd/fsub/fmul/fdiv/fsqrt: results, static and dynamic
# rounding modes, and the exception flags.
# Unprivileged spec 20191213, 11.2, 11.3 (canonical NaN), 12.4 (D);
# IEEE 754-2008 4.3, 7 (tininess detected after rounding, see rv64uf_arith).
#
# Values used (binary64):  1.0 3ff0000000000000  2.0 4000000000000000
# 3.0 4008000000000000  0.5 3fe0000000000000  2.5 4004000000000000
# 4.0 4010000000000000  2^-53 3ca0000000000000  max 7fefffffffffffff
# min normal 0010000000000000  min subnormal 0000000000000001
# inf 7ff0000000000000  canonical qNaN 7ff8000000000000
# qNaN with payload 7ff8000000012345  sNaN 7ff0000000000001

#include "harness.h"
#include "priv.h"

#define NX FFLAG_NX
#define UF FFLAG_UF
#define OF FFLAG_OF
#define DZ FFLAG_DZ
#define NV FFLAG_NV

#define ONE   0x3ff0000000000000
#define TWO   0x4000000000000000
#define THREE 0x4008000000000000
#define HALF  0x3fe0000000000000
#define INF   0x7ff0000000000000
#define NINF  0xfff0000000000000
#define QNAN  0x7ff8000000000000
#define MAX   0x7fefffffffffffff
#define NMAX  0xffefffffffffffff
#define MINN  0x0010000000000000
#define NZERO 0x8000000000000000

RVTEST_CODE_BEGIN
        ENABLE_FPU

# --- fadd.d
FP_D( 1, 0,  THREE, ONE, TWO, 0, fadd.d fa3, fa0, fa1)
# 1 + 2^-53 is halfway between 1 and 1+2^-52.
FP_D( 2, NX, ONE, ONE, 0x3ca0000000000000, 0, fadd.d fa3, fa0, fa1, rne)
FP_D( 3, NX, 0x3ff0000000000001, ONE, 0x3ca0000000000000, 0, fadd.d fa3, fa0, fa1, rmm)
FP_D( 4, NX, 0x3ff0000000000001, ONE, 0x3ca0000000000000, 0, fadd.d fa3, fa0, fa1, rup)
FP_D( 5, NX, ONE, ONE, 0x3ca0000000000000, 0, fadd.d fa3, fa0, fa1, rtz)
FP_D( 6, NX, 0xbff0000000000001, 0xbff0000000000000, 0xbca0000000000000, 0, fadd.d fa3, fa0, fa1, rdn)
FP_D( 7, NX, 0xbff0000000000000, 0xbff0000000000000, 0xbca0000000000000, 0, fadd.d fa3, fa0, fa1, rup)
# (1+2^-52) + 2^-53: halfway, the even neighbour is the upper one.
FP_D( 8, NX, 0x3ff0000000000002, 0x3ff0000000000001, 0x3ca0000000000000, 0, fadd.d fa3, fa0, fa1)
FP_D( 9, NX, 0x3ff0000000000001, 0x3ff0000000000001, 0x3ca0000000000000, 0, fadd.d fa3, fa0, fa1, rdn)
FP_D(10, NV, QNAN, INF, NINF, 0, fadd.d fa3, fa0, fa1)
FP_D(11, 0,  INF, INF, ONE, 0, fadd.d fa3, fa0, fa1)
FP_D(12, 0,  QNAN, 0x7ff8000000012345, ONE, 0, fadd.d fa3, fa0, fa1)
FP_D(13, NV, QNAN, ONE, 0x7ff0000000000001, 0, fadd.d fa3, fa0, fa1)
FP_D(14, NV, QNAN, 0xfff0000000012345, 0x7ff8000000012345, 0, fadd.d fa3, fa0, fa1)
FP_D(15, OF|NX, INF, MAX, MAX, 0, fadd.d fa3, fa0, fa1)
FP_D(16, OF|NX, MAX, MAX, MAX, 0, fadd.d fa3, fa0, fa1, rtz)
FP_D(17, OF|NX, MAX, MAX, MAX, 0, fadd.d fa3, fa0, fa1, rdn)
FP_D(18, OF|NX, NINF, NMAX, NMAX, 0, fadd.d fa3, fa0, fa1, rdn)
FP_D(19, OF|NX, NMAX, NMAX, NMAX, 0, fadd.d fa3, fa0, fa1, rup)
FP_D(20, 0,  NZERO, NZERO, NZERO, 0, fadd.d fa3, fa0, fa1)
FP_D(21, 0,  0, NZERO, 0, 0, fadd.d fa3, fa0, fa1)
FP_D(22, 0,  NZERO, ONE, 0xbff0000000000000, 0, fadd.d fa3, fa0, fa1, rdn)
FP_D(23, 0,  0x0000000000000002, 1, 1, 0, fadd.d fa3, fa0, fa1)              # subnormals, exact
FP_D(24, 0,  MINN, 0x000fffffffffffff, 1, 0, fadd.d fa3, fa0, fa1)

# --- fsub.d
FP_D(25, 0,  0x3ff8000000000000, 0x4004000000000000, ONE, 0, fsub.d fa3, fa0, fa1) # 2.5-1
FP_D(26, 0,  0, ONE, ONE, 0, fsub.d fa3, fa0, fa1)
FP_D(27, 0,  NZERO, ONE, ONE, 0, fsub.d fa3, fa0, fa1, rdn)
FP_D(28, NV, QNAN, INF, INF, 0, fsub.d fa3, fa0, fa1)
FP_D(29, NX, ONE, ONE, 0x3c90000000000000, 0, fsub.d fa3, fa0, fa1)          # 1-2^-54: tie, even
FP_D(30, NX, 0x3fefffffffffffff, ONE, 0x3c80000000000000, 0, fsub.d fa3, fa0, fa1, rdn) # 1-2^-55
FP_D(31, 0,  0x000fffffffffffff, MINN, 1, 0, fsub.d fa3, fa0, fa1)

# --- fmul.d
FP_D(32, 0,  0xc014000000000000, 0x4004000000000000, 0xc000000000000000, 0, fmul.d fa3, fa0, fa1) # 2.5*-2
FP_D(33, NV, QNAN, INF, 0, 0, fmul.d fa3, fa0, fa1)
FP_D(34, 0,  NZERO, NZERO, THREE, 0, fmul.d fa3, fa0, fa1)
FP_D(35, OF|NX, INF, MAX, TWO, 0, fmul.d fa3, fa0, fa1)
FP_D(36, OF|NX, MAX, MAX, TWO, 0, fmul.d fa3, fa0, fa1, rtz)
FP_D(37, 0,  0x0008000000000000, MINN, HALF, 0, fmul.d fa3, fa0, fa1)        # 2^-1023 exact
FP_D(38, UF|NX, 0, 1, HALF, 0, fmul.d fa3, fa0, fa1)                         # 2^-1075: tie -> 0
FP_D(39, UF|NX, 1, 1, HALF, 0, fmul.d fa3, fa0, fa1, rup)
FP_D(40, UF|NX, NZERO, 0x8000000000000001, HALF, 0, fmul.d fa3, fa0, fa1, rup)
# 2^-1022 (1-2^-104): tiny before rounding only: NX, no UF.
FP_D(41, NX, MINN, 0x3feffffffffffffe, 0x0010000000000001, 0, fmul.d fa3, fa0, fa1)
FP_D(42, NX, 0x3ff0000000000003, 0x3ff0000000000001, 0x3ff0000000000001, 0, fmul.d fa3, fa0, fa1, rup)
FP_D(43, NX, 0x3ff0000000000002, 0x3ff0000000000001, 0x3ff0000000000001, 0, fmul.d fa3, fa0, fa1)

# --- fdiv.d
FP_D(44, NX, 0x3fd5555555555555, ONE, THREE, 0, fdiv.d fa3, fa0, fa1)        # 1/3
FP_D(45, NX, 0x3fd5555555555556, ONE, THREE, 0, fdiv.d fa3, fa0, fa1, rup)
FP_D(46, NX, 0xbfd5555555555556, 0xbff0000000000000, THREE, 0, fdiv.d fa3, fa0, fa1, rdn)
FP_D(47, NX, 0x3fe5555555555555, TWO, THREE, 0, fdiv.d fa3, fa0, fa1, rtz)    # 2/3
FP_D(48, NX, 0x3fe5555555555556, TWO, THREE, 0, fdiv.d fa3, fa0, fa1, rup)
FP_D(49, DZ, INF, ONE, 0, 0, fdiv.d fa3, fa0, fa1)
FP_D(50, DZ, NINF, 0xbff0000000000000, 0, 0, fdiv.d fa3, fa0, fa1)
FP_D(51, NV, QNAN, 0, NZERO, 0, fdiv.d fa3, fa0, fa1)
FP_D(52, NV, QNAN, NINF, INF, 0, fdiv.d fa3, fa0, fa1)
FP_D(53, 0,  NZERO, NZERO, THREE, 0, fdiv.d fa3, fa0, fa1)
FP_D(54, OF|NX, INF, MAX, HALF, 0, fdiv.d fa3, fa0, fa1)

# --- fsqrt.d
FP_D(55, 0,  TWO, 0x4010000000000000, 0, 0, fsqrt.d fa3, fa0)                # sqrt 4
FP_D(56, NX, 0x3ff6a09e667f3bcd, TWO, 0, 0, fsqrt.d fa3, fa0)                # sqrt 2
FP_D(57, NX, 0x3ff6a09e667f3bcc, TWO, 0, 0, fsqrt.d fa3, fa0, rdn)
FP_D(58, NV, QNAN, 0xbff0000000000000, 0, 0, fsqrt.d fa3, fa0)
FP_D(59, 0,  NZERO, NZERO, 0, 0, fsqrt.d fa3, fa0)
FP_D(60, 0,  INF, INF, 0, 0, fsqrt.d fa3, fa0)
FP_D(61, NV, QNAN, 0x7ff0000000000001, 0, 0, fsqrt.d fa3, fa0)
FP_D(62, NX, 0x1e6bb67ae8584caa, 0x0000000000000003, 0, 0, fsqrt.d fa3, fa0) # sqrt 3*2^-1074 = sqrt3 * 2^-537

# --- Dynamic rounding (rm=dyn reads frm, 11.2): 1/3 with frm=RUP, RDN.
TEST_START(63)
        csrwi frm, 3
        la a0, 1f
        fld fa0, 0(a0)
        fld fa1, 8(a0)
        fdiv.d fa3, fa0, fa1
        fmv.x.d a4, fa3
        csrwi frm, 2
        fdiv.d fa3, fa0, fa1
        fmv.x.d a5, fa3
        csrwi frm, 0
        CHECK_IMM(a4, 0x3fd5555555555556)
        CHECK_IMM(a5, 0x3fd5555555555555)
        .pushsection .data
        .balign 8
1:      .dword ONE, THREE
        .popsection

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
