# RV64I register-register ALU ops: ADD SUB SLT SLTU XOR OR AND
# (unpriv spec 2.4.2).  All 64 bits take part; overflow is ignored.
#include "harness.h"

#define MIN 0x8000000000000000
#define MAX 0x7fffffffffffffff
#define P1  0xff00ff00ff00ff00
#define P2  0x0ff00ff00ff00ff0
#define P3  0x00ff00ff00ff00ff
#define P4  0xf00ff00ff00ff00f

RVTEST_CODE_BEGIN
        .option norvc

        # ADD.
        TEST_RR_OP( 1, add, 0x0000000000000000, 0, 0)
        TEST_RR_OP( 2, add, 0x0000000000000002, 1, 1)
        TEST_RR_OP( 3, add, 0x000000000000000a, 3, 7)
        TEST_RR_OP( 4, add, 0x8000000000000000, MAX, 1)
        TEST_RR_OP( 5, add, 0x7fffffffffffffff, MIN, -1)
        TEST_RR_OP( 6, add, 0xfffffffffffffffe, -1, -1)
        TEST_RR_OP( 7, add, 0x0000000100000000, 0xffffffff, 1)
        TEST_RR_OP( 8, add, 0x0000000080000000, 0x7fffffff, 1)
        TEST_RR_OP( 9, add, 0x0000000000000000, MIN, MIN)
        TEST_RR_SRC1_EQ_DEST( 10, add, 24, 13, 11)
        TEST_RR_SRC2_EQ_DEST( 11, add, 25, 14, 11)
        TEST_RR_SRC12_EQ_DEST(12, add, 26, 13)
        TEST_RR_ZEROSRC1(13, add, 15, 15)
        TEST_RR_ZEROSRC2(14, add, 32, 32)
        TEST_RR_ZERODEST(15, add, 16, 30)

        # SUB: rs1 - rs2.
        TEST_RR_OP(16, sub, 0x0000000000000000, 0, 0)
        TEST_RR_OP(17, sub, 0x0000000000000000, 1, 1)
        TEST_RR_OP(18, sub, 0xfffffffffffffffc, 3, 7)
        TEST_RR_OP(19, sub, 0x0000000000000004, 7, 3)
        TEST_RR_OP(20, sub, 0x7fffffffffffffff, MIN, 1)
        TEST_RR_OP(21, sub, 0x8000000000000000, MAX, -1)
        TEST_RR_OP(22, sub, 0xffffffff80000000, 0, 0x80000000)
        TEST_RR_OP(23, sub, 0x00000000ffffffff, 0x100000000, 1)
        TEST_RR_OP(24, sub, 0x8000000000000000, 0, MIN)
        TEST_RR_SRC1_EQ_DEST( 25, sub, 2, 13, 11)
        TEST_RR_SRC2_EQ_DEST( 26, sub, 3, 14, 11)
        TEST_RR_SRC12_EQ_DEST(27, sub, 0, 13)
        TEST_RR_ZEROSRC1(28, sub, 0xfffffffffffffff1, 15)          /* neg */
        TEST_RR_ZEROSRC2(29, sub, 32, 32)
        TEST_RR_ZERODEST(30, sub, 16, 30)

        # SLT: signed.
        TEST_RR_OP(31, slt, 0, 0, 0)
        TEST_RR_OP(32, slt, 1, 0, 1)
        TEST_RR_OP(33, slt, 0, 1, 0)
        TEST_RR_OP(34, slt, 1, -1, 0)
        TEST_RR_OP(35, slt, 0, 0, -1)
        TEST_RR_OP(36, slt, 1, MIN, MAX)
        TEST_RR_OP(37, slt, 0, MAX, MIN)
        TEST_RR_OP(38, slt, 0, 0x80000000, 0x7fffffff)
        TEST_RR_OP(39, slt, 0, -1, -1)
        TEST_RR_OP(40, slt, 1, -2, -1)
        TEST_RR_OP(41, slt, 1, 0xffffffff, 0x100000000)
        TEST_RR_SRC12_EQ_DEST(42, slt, 0, -5)
        TEST_RR_ZEROSRC1(43, slt, 1, 5)                            /* sgtz */
        TEST_RR_ZEROSRC2(44, slt, 1, -5)                           /* sltz */
        TEST_RR_ZERODEST(45, slt, 0, 1)

        # SLTU: unsigned.
        TEST_RR_OP(46, sltu, 0, 0, 0)
        TEST_RR_OP(47, sltu, 1, 0, 1)
        TEST_RR_OP(48, sltu, 0, 1, 0)
        TEST_RR_OP(49, sltu, 1, 0, -1)
        TEST_RR_OP(50, sltu, 0, -1, 0)
        TEST_RR_OP(51, sltu, 0, MIN, MAX)
        TEST_RR_OP(52, sltu, 1, MAX, MIN)
        TEST_RR_OP(53, sltu, 1, -2, -1)
        TEST_RR_OP(54, sltu, 0, 0x100000000, 0xffffffff)
        TEST_RR_ZEROSRC1(55, sltu, 1, 5)                           /* snez */
        TEST_RR_ZEROSRC1(56, sltu, 0, 0)
        TEST_RR_ZEROSRC1(57, sltu, 1, 0x100000000)                 /* snez sees all 64 bits */
        TEST_RR_ZERODEST(58, sltu, 0, 1)

        # XOR / OR / AND on complementary bit patterns.
        TEST_RR_OP(59, xor, 0xf0f0f0f0f0f0f0f0, P1, P2)
        TEST_RR_OP(60, xor, 0xf0f0f0f0f0f0f0f0, P3, P4)
        TEST_RR_OP(61, xor, 0xffffffffffffffff, P1, P3)
        TEST_RR_SRC12_EQ_DEST(62, xor, 0, P1)
        TEST_RR_ZEROSRC1(63, xor, P2, P2)
        TEST_RR_ZERODEST(64, xor, P1, P2)

        TEST_RR_OP(65, or, 0xfff0fff0fff0fff0, P1, P2)
        TEST_RR_OP(66, or, 0xf0fff0fff0fff0ff, P3, P4)
        TEST_RR_OP(67, or, 0xffffffffffffffff, P1, P3)
        TEST_RR_SRC12_EQ_DEST(68, or, P1, P1)
        TEST_RR_ZEROSRC2(69, or, P4, P4)
        TEST_RR_ZERODEST(70, or, P1, P2)

        TEST_RR_OP(71, and, 0x0f000f000f000f00, P1, P2)
        TEST_RR_OP(72, and, 0x000f000f000f000f, P3, P4)
        TEST_RR_OP(73, and, 0x0000000000000000, P1, P3)
        TEST_RR_SRC1_EQ_DEST(74, and, 0x0f000f000f000f00, P1, P2)
        TEST_RR_SRC2_EQ_DEST(75, and, 0x000f000f000f000f, P3, P4)
        TEST_RR_SRC12_EQ_DEST(76, and, P1, P1)
        TEST_RR_ZEROSRC1(77, and, 0, P1)
        TEST_RR_ZERODEST(78, and, P1, P1)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
