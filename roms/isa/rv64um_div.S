# RV64M division: DIV DIVU REM REMU and DIVW DIVUW REMW REMUW
# (unpriv spec 7.2).  Quotients round toward zero; a remainder has the sign
# of the dividend.  Division by zero and signed overflow do not trap; the
# manual's table ("Semantics for division by zero and division overflow"):
#                  DIVU      REMU  DIV     REM
#   x / 0          2^L-1     x     -1      x
#   -2^(L-1) / -1  -         -     -2^(L-1) 0
# with L = 64, or L = 32 for the W forms, whose 32-bit results (REMUW and
# DIVUW included) are sign-extended to 64 bits.
#include "harness.h"

#define MIN 0x8000000000000000
#define MAX 0x7fffffffffffffff

RVTEST_CODE_BEGIN
        .option norvc

        # DIV.
        TEST_RR_OP( 1, div, 3, 20, 6)
        TEST_RR_OP( 2, div, -3, -20, 6)
        TEST_RR_OP( 3, div, -3, 20, -6)
        TEST_RR_OP( 4, div, 3, -20, -6)
        TEST_RR_OP( 5, div, 0, -1, 2)                   /* -0.5 truncates to 0 */
        TEST_RR_OP( 6, div, MIN, MIN, 1)
        TEST_RR_OP( 7, div, 0x8000000000000001, MAX, -1)
        TEST_RR_OP( 8, div, MIN, MIN, -1)               /* overflow */
        TEST_RR_OP( 9, div, -1, MIN, 0)                 /* by zero */
        TEST_RR_OP(10, div, -1, 20, 0)
        TEST_RR_OP(11, div, -1, 0, 0)
        TEST_RR_OP(12, div, 0x0000000100000000, 0x200000000, 2)  /* 64-bit dividend */
        TEST_RR_SRC12_EQ_DEST(13, div, 1, -7)
        TEST_RR_ZERODEST(14, div, 20, 6)

        # DIVU.
        TEST_RR_OP(15, divu, 3, 20, 6)
        TEST_RR_OP(16, divu, 0x2aaaaaaaaaaaaaa7, -20, 6)
        TEST_RR_OP(17, divu, 0, 20, -6)
        TEST_RR_OP(18, divu, 0, MIN, -1)
        TEST_RR_OP(19, divu, MIN, MIN, 1)
        TEST_RR_OP(20, divu, -1, -1, 1)
        TEST_RR_OP(21, divu, 0xffffffffffffffff, 20, 0) /* by zero: 2^64-1 */
        TEST_RR_OP(22, divu, 0xffffffffffffffff, 0, 0)
        TEST_RR_ZERODEST(23, divu, 20, 6)

        # REM.
        TEST_RR_OP(24, rem, 2, 20, 6)
        TEST_RR_OP(25, rem, -2, -20, 6)
        TEST_RR_OP(26, rem, 2, 20, -6)
        TEST_RR_OP(27, rem, -2, -20, -6)
        TEST_RR_OP(28, rem, 0, MIN, 1)
        TEST_RR_OP(29, rem, 0, MIN, -1)                 /* overflow */
        TEST_RR_OP(30, rem, MIN, MIN, 0)                /* by zero: dividend */
        TEST_RR_OP(31, rem, 20, 20, 0)
        TEST_RR_OP(32, rem, -20, -20, 0)
        TEST_RR_OP(33, rem, -1, MIN + 1, 2)
        TEST_RR_SRC12_EQ_DEST(34, rem, 0, -7)
        TEST_RR_ZERODEST(35, rem, 20, 6)

        # REMU.
        TEST_RR_OP(36, remu, 2, 20, 6)
        TEST_RR_OP(37, remu, 2, -20, 6)                 /* (2^64-20) mod 6 */
        TEST_RR_OP(38, remu, 20, 20, -6)
        TEST_RR_OP(39, remu, MIN, MIN, -1)
        TEST_RR_OP(40, remu, 20, 20, 0)                 /* by zero: dividend */
        TEST_RR_OP(41, remu, -1, -1, 0)
        TEST_RR_OP(42, remu, 0, 0, 0)
        TEST_RR_ZERODEST(43, remu, 20, 6)

        # DIVW: low words, signed, result sign-extended.
        TEST_RR_OP(44, divw, 3, 20, 6)
        TEST_RR_OP(45, divw, -3, -20, 6)
        TEST_RR_OP(46, divw, -3, 20, -6)
        TEST_RR_OP(47, divw, 0xffffffff80000000, 0x80000000, -1)   /* overflow */
        TEST_RR_OP(48, divw, 0xffffffff80000000, 0x80000000, 0xffffffff) /* same: rs2[31:0] = -1 */
        TEST_RR_OP(49, divw, -1, 0x80000000, 0)         /* by zero */
        TEST_RR_OP(50, divw, -1, 0x123456789, 0x100000000) /* rs2[31:0] = 0 */
        TEST_RR_OP(51, divw, 3, 0xffffffff00000014, 6)  /* upper bits ignored */
        TEST_RR_OP(52, divw, -2, 0x00000000fffffffb, 2) /* -5 / 2 */
        TEST_RR_ZERODEST(53, divw, 20, 6)

        # DIVUW: low words, unsigned, 32-bit result sign-extended.
        TEST_RR_OP(54, divuw, 3, 20, 6)
        TEST_RR_OP(55, divuw, 0x000000002aaaaaa7, 0xffffffec, 6)   /* (2^32-20)/6 */
        TEST_RR_OP(56, divuw, 0xffffffff80000000, 0x80000000, 1)
        TEST_RR_OP(57, divuw, 0xffffffffffffffff, 0xffffffff, 1)
        TEST_RR_OP(58, divuw, 0xffffffffffffffff, 20, 0)           /* 2^32-1, sign-extended */
        TEST_RR_OP(59, divuw, 0xffffffffffffffff, 0, 0x100000000)
        TEST_RR_OP(60, divuw, 3, 0x100000014, 0x100000006)
        TEST_RR_OP(61, divuw, 0, 0x80000000, -1)
        TEST_RR_ZERODEST(62, divuw, 20, 6)

        # REMW.
        TEST_RR_OP(63, remw, 2, 20, 6)
        TEST_RR_OP(64, remw, -2, -20, 6)
        TEST_RR_OP(65, remw, 2, 20, -6)
        TEST_RR_OP(66, remw, 0, 0x80000000, -1)                    /* overflow */
        TEST_RR_OP(67, remw, 0xffffffff80000000, 0x80000000, 0)    /* by zero: sext dividend */
        TEST_RR_OP(68, remw, 0x0000000023456789, 0x123456789, 0)
        TEST_RR_OP(69, remw, -1, 0xfffffffb, 2)
        TEST_RR_ZERODEST(70, remw, 20, 6)

        # REMUW.
        TEST_RR_OP(71, remuw, 2, 20, 6)
        TEST_RR_OP(72, remuw, 2, 0xffffffec, 6)
        TEST_RR_OP(73, remuw, 0xffffffff80000000, 0x80000000, 0)   /* by zero: sext dividend */
        TEST_RR_OP(74, remuw, 5, 0x80000005, 0x80000000)
        TEST_RR_OP(75, remuw, 0xfffffffffffffffb, 0xfffffffb, 0xfffffffc)
        TEST_RR_OP(76, remuw, 7, 0x100000007, 0)
        TEST_RR_OP(77, remuw, 0, 0x80000000, 0x80000000)
        TEST_RR_ZERODEST(78, remuw, 20, 6)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
