# RV64I 32-bit ("W") ops: ADDIW ADDW SUBW SLLIW SRLIW SRAIW SLLW SRLW SRAW
# (unpriv spec 5.2.1, 5.2.2).  They ignore the upper 32 bits of their inputs,
# compute a 32-bit result, and sign-extend it to 64 bits; register shift
# amounts are rs2[4:0].
#include "harness.h"

RVTEST_CODE_BEGIN
        .option norvc

        # ADDIW.
        TEST_IMM_OP( 1, addiw, 0x0000000000000000, 0, 0)
        TEST_IMM_OP( 2, addiw, 0x0000000000000002, 1, 1)
        TEST_IMM_OP( 3, addiw, 0xffffffff80000000, 0x7fffffff, 1)
        TEST_IMM_OP( 4, addiw, 0x0000000000000000, 0xffffffff, 1)
        TEST_IMM_OP( 5, addiw, 0x000000007fffffff, 0x80000000, -1)
        TEST_IMM_OP( 6, addiw, 0x0000000023456789, 0x123456789, 0)   /* sext.w */
        TEST_IMM_OP( 7, addiw, 0xffffffff80000000, 0x180000000, 0)
        TEST_IMM_OP( 8, addiw, 0x000000007fffffff, 0xfffffffe7fffffff, 0)
        TEST_IMM_OP( 9, addiw, 0xfffffffffffff800, 0, -2048)
        TEST_IMM_OP(10, addiw, 0x00000000000007ff, 0, 2047)
        TEST_IMM_OP(11, addiw, 0xffffffff800007fe, 0x7fffffff, 2047)
        TEST_IMM_SRC1_EQ_DEST(12, addiw, 24, 13, 11)
        TEST_IMM_ZERODEST(13, addiw, 0x7fffffff, 1)

        # ADDW.
        TEST_RR_OP(14, addw, 0x000000000000000a, 3, 7)
        TEST_RR_OP(15, addw, 0xffffffff80000000, 0x7fffffff, 1)
        TEST_RR_OP(16, addw, 0xfffffffffffffffe, 0xffffffff, 0xffffffff)
        TEST_RR_OP(17, addw, 0x0000000000000000, 0x100000000, 0x100000000)
        TEST_RR_OP(18, addw, 0x0000000000000000, 0x80000000, 0x80000000)
        TEST_RR_OP(19, addw, 0x000000007fffffff, 0xffffffff80000000, -1)
        TEST_RR_OP(20, addw, 0x0000000000000003, 0xaaaaaaaa00000001, 0x5555555500000002)
        TEST_RR_SRC1_EQ_DEST(21, addw, 24, 13, 11)
        TEST_RR_SRC12_EQ_DEST(22, addw, 0xfffffffffffffffe, 0x00000000ffffffff)
        TEST_RR_ZEROSRC1(23, addw, 0xffffffff80000000, 0x0000000080000000)
        TEST_RR_ZERODEST(24, addw, 0x7fffffff, 1)

        # SUBW.
        TEST_RR_OP(25, subw, 0xfffffffffffffffc, 3, 7)
        TEST_RR_OP(26, subw, 0xffffffffffffffff, 0, 1)
        TEST_RR_OP(27, subw, 0x000000007fffffff, 0x80000000, 1)
        TEST_RR_OP(28, subw, 0xffffffff80000000, 0x7fffffff, -1)
        TEST_RR_OP(29, subw, 0x0000000000000000, 0x100000000, 0)
        TEST_RR_OP(30, subw, 0xffffffff80000000, 0, 0x80000000)
        TEST_RR_SRC2_EQ_DEST(31, subw, 2, 13, 11)
        TEST_RR_ZEROSRC1(32, subw, 0x0000000000000001, 0xffffffffffffffff)  /* negw */
        TEST_RR_ZERODEST(33, subw, 0, 1)

        # SLLIW: shamt 0..31 (shamt[5] = 1 is reserved).
        TEST_IMM_OP(34, slliw, 0x0000000000000001, 1, 0)
        TEST_IMM_OP(35, slliw, 0x0000000000000002, 1, 1)
        TEST_IMM_OP(36, slliw, 0xffffffff80000000, 1, 31)
        TEST_IMM_OP(37, slliw, 0xfffffffffffffffe, 0xffffffff, 1)
        TEST_IMM_OP(38, slliw, 0x0000000023456780, 0x12345678, 4)
        TEST_IMM_OP(39, slliw, 0xffffffff87654321, 0x0000000087654321, 0)
        TEST_IMM_OP(40, slliw, 0x0000000000000000, 0x100000000, 4)
        TEST_IMM_ZERODEST(41, slliw, 1, 31)

        # SRLIW: zeros shifted in at bit 31.
        TEST_IMM_OP(42, srliw, 0xffffffff80000000, 0x80000000, 0)
        TEST_IMM_OP(43, srliw, 0x0000000040000000, 0x80000000, 1)
        TEST_IMM_OP(44, srliw, 0x0000000000000001, 0x80000000, 31)
        TEST_IMM_OP(45, srliw, 0x000000007fffffff, -1, 1)
        TEST_IMM_OP(46, srliw, 0x0000000000000001, -1, 31)
        TEST_IMM_OP(47, srliw, 0x0000000000000000, 0xffffffff00000000, 4)
        TEST_IMM_OP(48, srliw, 0x00000000091a2b3c, 0x12345678, 1)
        TEST_IMM_ZERODEST(49, srliw, -1, 1)

        # SRAIW: copies of bit 31 shifted in.
        TEST_IMM_OP(50, sraiw, 0xffffffff80000000, 0x80000000, 0)
        TEST_IMM_OP(51, sraiw, 0xffffffffc0000000, 0x80000000, 1)
        TEST_IMM_OP(52, sraiw, 0xffffffffffffffff, 0x80000000, 31)
        TEST_IMM_OP(53, sraiw, 0x000000003fffffff, 0x7fffffff, 1)
        TEST_IMM_OP(54, sraiw, 0x0000000000000000, 0x7fffffff, 31)
        TEST_IMM_OP(55, sraiw, 0x0000000007ffffff, 0xffffffff7fffffff, 4)
        TEST_IMM_ZERODEST(56, sraiw, -1, 1)

        # SLLW: amount is rs2[4:0], so 32 shifts by 0 and 63 by 31.
        TEST_RR_OP(57, sllw, 0x0000000000000001, 1, 0)
        TEST_RR_OP(58, sllw, 0x0000000000000002, 1, 1)
        TEST_RR_OP(59, sllw, 0xffffffff80000000, 1, 31)
        TEST_RR_OP(60, sllw, 0x0000000000000001, 1, 32)
        TEST_RR_OP(61, sllw, 0xffffffff80000000, 1, 63)
        TEST_RR_OP(62, sllw, 0xfffffffffffffffe, 0xffffffff, 1)
        TEST_RR_OP(63, sllw, 0x0000000023456780, 0x12345678, 4)
        TEST_RR_OP(64, sllw, 0xffffffff87654321, 0x0000000087654321, 0)
        TEST_RR_OP(65, sllw, 0x0000000000000001, 0x100000001, 0)
        TEST_RR_ZERODEST(66, sllw, 1, 31)

        # SRLW.
        TEST_RR_OP(67, srlw, 0xffffffff80000000, 0x80000000, 0)
        TEST_RR_OP(68, srlw, 0x0000000040000000, 0x80000000, 1)
        TEST_RR_OP(69, srlw, 0x0000000000000001, 0x80000000, 31)
        TEST_RR_OP(70, srlw, 0x000000007fffffff, -1, 1)
        TEST_RR_OP(71, srlw, 0xffffffffffffffff, -1, 32)
        TEST_RR_OP(72, srlw, 0x0000000000000001, -1, 63)
        TEST_RR_OP(73, srlw, 0x0000000000000000, 0xffffffff00000000, 4)
        TEST_RR_OP(74, srlw, 0x00000000091a2b3c, 0x12345678, 33)
        TEST_RR_ZERODEST(75, srlw, -1, 1)

        # SRAW.
        TEST_RR_OP(76, sraw, 0xffffffff80000000, 0x80000000, 0)
        TEST_RR_OP(77, sraw, 0xffffffffc0000000, 0x80000000, 1)
        TEST_RR_OP(78, sraw, 0xffffffffffffffff, 0x80000000, 31)
        TEST_RR_OP(79, sraw, 0x000000003fffffff, 0x7fffffff, 1)
        TEST_RR_OP(80, sraw, 0x0000000000000000, 0x7fffffff, 31)
        TEST_RR_OP(81, sraw, 0xffffffff80000000, 0x80000000, 32)
        TEST_RR_OP(82, sraw, 0x0000000007ffffff, 0xffffffff7fffffff, 4)
        TEST_RR_OP(83, sraw, 0xfffffffffffffff8, 0x00000000fffffff0, 33)
        TEST_RR_ZERODEST(84, sraw, -1, 1)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
