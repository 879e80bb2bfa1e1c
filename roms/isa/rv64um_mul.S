# RV64M multiplication: MUL MULH MULHSU MULHU MULW (unpriv spec 7.1).
# MUL gives the low 64 bits of the 128-bit product; MULH/MULHSU/MULHU the
# high 64 bits for signed x signed, signed x unsigned, unsigned x unsigned;
# MULW the low 32 bits of the product of the low words, sign-extended.
#include "harness.h"

#define MIN 0x8000000000000000
#define MAX 0x7fffffffffffffff

RVTEST_CODE_BEGIN
        .option norvc

        # MUL.
        TEST_RR_OP( 1, mul, 0x0000000000000000, 0, 0)
        TEST_RR_OP( 2, mul, 0x0000000000000001, 1, 1)
        TEST_RR_OP( 3, mul, 0x0000000000000015, 3, 7)
        TEST_RR_OP( 4, mul, 0x0000000000000001, -1, -1)
        TEST_RR_OP( 5, mul, 0xffffffffffffffeb, -7, 3)
        TEST_RR_OP( 6, mul, 0xfffffffffffffffe, MAX, 2)
        TEST_RR_OP( 7, mul, 0x8000000000000000, MIN, -1)
        TEST_RR_OP( 8, mul, 0x0000000000000000, 0x100000000, 0x100000000)
        TEST_RR_OP( 9, mul, 0xfffffffe00000001, 0xffffffff, 0xffffffff)
        TEST_RR_OP(10, mul, 0x123456789abcdef0, 0x0123456789abcdef, 0x10)
        TEST_RR_SRC1_EQ_DEST(11, mul, 143, 13, 11)
        TEST_RR_SRC2_EQ_DEST(12, mul, 154, 14, 11)
        TEST_RR_SRC12_EQ_DEST(13, mul, 169, 13)
        TEST_RR_ZEROSRC1(14, mul, 0, 31)
        TEST_RR_ZERODEST(15, mul, 3, 5)

        # MULH: signed x signed, high half.
        TEST_RR_OP(16, mulh, 0x0000000000000000, 0, 0)
        TEST_RR_OP(17, mulh, 0x0000000000000000, 1, 1)
        TEST_RR_OP(18, mulh, 0x0000000000000000, -1, -1)          /* +1 */
        TEST_RR_OP(19, mulh, 0xffffffffffffffff, -1, 1)           /* -1 */
        TEST_RR_OP(20, mulh, 0x4000000000000000, MIN, MIN)        /* 2^126 */
        TEST_RR_OP(21, mulh, 0x0000000000000000, MIN, -1)         /* +2^63 */
        TEST_RR_OP(22, mulh, 0x3fffffffffffffff, MAX, MAX)
        TEST_RR_OP(23, mulh, 0xc000000000000000, MIN, MAX)
        TEST_RR_OP(24, mulh, 0x0000000000000001, 0x100000000, 0x100000000)
        TEST_RR_OP(25, mulh, 0xffffffffffffffff, 0xffffffff00000000, 0x100000000)
        TEST_RR_SRC12_EQ_DEST(26, mulh, 0x4000000000000000, MIN)
        TEST_RR_ZERODEST(27, mulh, MIN, MIN)

        # MULHSU: rs1 signed, rs2 unsigned.
        TEST_RR_OP(28, mulhsu, 0x0000000000000000, 0, -1)
        TEST_RR_OP(29, mulhsu, 0xffffffffffffffff, -1, -1)        /* -(2^64-1) */
        TEST_RR_OP(30, mulhsu, 0x0000000000000000, 1, -1)         /* 2^64-1 */
        TEST_RR_OP(31, mulhsu, 0xffffffffffffffff, -1, 1)
        TEST_RR_OP(32, mulhsu, 0x8000000000000000, MIN, -1)
        TEST_RR_OP(33, mulhsu, 0xffffffffffffffff, MIN, 1)
        TEST_RR_OP(34, mulhsu, 0x7ffffffffffffffe, MAX, -1)
        TEST_RR_OP(35, mulhsu, 0x0000000000000001, 2, -1)
        TEST_RR_ZERODEST(36, mulhsu, -1, -1)

        # MULHU: unsigned x unsigned.
        TEST_RR_OP(37, mulhu, 0x0000000000000000, 0, 0)
        TEST_RR_OP(38, mulhu, 0xfffffffffffffffe, -1, -1)         /* (2^64-1)^2 */
        TEST_RR_OP(39, mulhu, 0x4000000000000000, MIN, MIN)
        TEST_RR_OP(40, mulhu, 0x0000000000000000, -1, 1)
        TEST_RR_OP(41, mulhu, 0x0000000000000001, -1, 2)
        TEST_RR_OP(42, mulhu, 0x0000000000000001, 0x100000000, 0x100000000)
        TEST_RR_OP(43, mulhu, 0x0000000000000000, 0xffffffff, 0xffffffff)
        TEST_RR_SRC12_EQ_DEST(44, mulhu, 0xfffffffffffffffe, -1)
        TEST_RR_ZERODEST(45, mulhu, -1, -1)

        # MULW: low words only, result sign-extended from bit 31.
        TEST_RR_OP(46, mulw, 0x0000000000000015, 3, 7)
        TEST_RR_OP(47, mulw, 0xfffffffffffffffe, 0x7fffffff, 2)
        TEST_RR_OP(48, mulw, 0x0000000000000000, 0x10000, 0x10000)
        TEST_RR_OP(49, mulw, 0xffffffff80000000, 0x8000, 0x10000)
        TEST_RR_OP(50, mulw, 0x0000000000000001, -1, -1)
        TEST_RR_OP(51, mulw, 0x0000000000000015, 0x100000003, 0xabcdef0000000007)
        TEST_RR_OP(52, mulw, 0x0000000000000001, 0xffffffff, 0xffffffff)
        TEST_RR_OP(53, mulw, 0xffffffffffffffeb, -7, 3)
        TEST_RR_SRC12_EQ_DEST(54, mulw, 0x0000000000000000, 0x10000)
        TEST_RR_ZERODEST(55, mulw, 3, 5)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
