# Double precision fused multiply-add: fmadd.d, fmsub.d, fnmsub.d,
# fnmadd.d, each rounded once.  Unprivileged spec 20191213, 11.6 and 12.4
# (inf*0 is invalid even with a quiet-NaN addend); IEEE 754-2008 5.4.1, 6.3.

#include "harness.h"
#include "priv.h"

#define NX FFLAG_NX
#define UF FFLAG_UF
#define OF FFLAG_OF
#define NV FFLAG_NV

#define ONE   0x3ff0000000000000
#define TWO   0x4000000000000000
#define THREE 0x4008000000000000
#define HALF  0x3fe0000000000000
#define INF   0x7ff0000000000000
#define NINF  0xfff0000000000000
#define QNAN  0x7ff8000000000000
#define MAX   0x7fefffffffffffff
#define NZERO 0x8000000000000000
#define A27   0x3ff0000002000000        /* 1+2^-27 */
#define A26   0x3ff0000004000000        /* 1+2^-26 */
#define NA26  0xbff0000004000000

RVTEST_CODE_BEGIN
        ENABLE_FPU

FP_D( 1, 0, 0x4014000000000000, ONE, TWO, THREE, fmadd.d  fa3, fa0, fa1, fa2)  #  5
FP_D( 2, 0, 0xbff0000000000000, ONE, TWO, THREE, fmsub.d  fa3, fa0, fa1, fa2)  # -1
FP_D( 3, 0, ONE,                ONE, TWO, THREE, fnmsub.d fa3, fa0, fa1, fa2)  #  1
FP_D( 4, 0, 0xc014000000000000, ONE, TWO, THREE, fnmadd.d fa3, fa0, fa1, fa2)  # -5

# (1+2^-27)^2 = 1+2^-26+2^-54, not representable; minus 1+2^-26 = 2^-54.
FP_D( 5, 0, 0x3c90000000000000, A27, A27, NA26, fmadd.d  fa3, fa0, fa1, fa2)
FP_D( 6, 0, 0x3c90000000000000, A27, A27, A26,  fmsub.d  fa3, fa0, fa1, fa2)
FP_D( 7, 0, 0xbc90000000000000, A27, A27, A26,  fnmsub.d fa3, fa0, fa1, fa2)
FP_D( 8, 0, 0xbc90000000000000, A27, A27, NA26, fnmadd.d fa3, fa0, fa1, fa2)
FP_D( 9, 0, MAX, MAX, TWO, 0xffefffffffffffff, fmadd.d fa3, fa0, fa1, fa2)   # max*2-max
FP_D(10, OF|NX, INF, MAX, TWO, 0, fmadd.d fa3, fa0, fa1, fa2)

# 1*1 + 2^-53 is a tie.
FP_D(11, NX, ONE, ONE, ONE, 0x3ca0000000000000, fmadd.d fa3, fa0, fa1, fa2)
FP_D(12, NX, 0x3ff0000000000001, ONE, ONE, 0x3ca0000000000000, fmadd.d fa3, fa0, fa1, fa2, rmm)
FP_D(13, NX, 0x3ff0000000000001, ONE, ONE, 0x3ca0000000000000, fmadd.d fa3, fa0, fa1, fa2, rup)
FP_D(14, NX, 0xbff0000000000001, ONE, ONE, 0x3ca0000000000000, fnmadd.d fa3, fa0, fa1, fa2, rdn)
FP_D(15, NX, ONE, 1, 1, ONE, fmadd.d fa3, fa0, fa1, fa2)                      # 1 + 2^-2148
FP_D(16, UF|NX, 0, 1, HALF, 0, fmadd.d fa3, fa0, fa1, fa2)

FP_D(17, NV, QNAN, INF, 0, QNAN, fmadd.d fa3, fa0, fa1, fa2)                  # inf*0 + qNaN
FP_D(18, NV, QNAN, 0, NINF, ONE, fnmadd.d fa3, fa0, fa1, fa2)
FP_D(19, NV, QNAN, INF, ONE, NINF, fmadd.d fa3, fa0, fa1, fa2)                # inf-inf
FP_D(20, 0,  NINF, INF, TWO, ONE, fnmsub.d fa3, fa0, fa1, fa2)
FP_D(21, 0,  QNAN, 0x7ff8000000012345, ONE, ONE, fmadd.d fa3, fa0, fa1, fa2)
FP_D(22, NV, QNAN, ONE, ONE, 0x7ff0000000000001, fmsub.d fa3, fa0, fa1, fa2)

FP_D(23, 0, NZERO, ONE, NZERO, NZERO, fmadd.d  fa3, fa0, fa1, fa2)            # -0 + -0
FP_D(24, 0, 0,     ONE, NZERO, 0,     fmadd.d  fa3, fa0, fa1, fa2)            # -0 + +0
FP_D(25, 0, NZERO, ONE, 0, 0,         fnmadd.d fa3, fa0, fa1, fa2)            # -0 - +0
FP_D(26, 0, NZERO, ONE, 0, 0,         fmsub.d  fa3, fa0, fa1, fa2, rdn)
FP_D(27, 0, 0, TWO, THREE, 0xc018000000000000, fmadd.d fa3, fa0, fa1, fa2)   # 6-6

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
