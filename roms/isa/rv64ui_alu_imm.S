# RV64I register-immediate ALU ops: ADDI SLTI SLTIU XORI ORI ANDI
# (unpriv spec 2.4.1).  The 12-bit immediate is always sign-extended to 64
# bits, also for SLTIU and the logical ops.
#include "harness.h"

#define MIN 0x8000000000000000
#define MAX 0x7fffffffffffffff

RVTEST_CODE_BEGIN
        .option norvc

        # ADDI: 64-bit wrap-around, overflow ignored.
        TEST_IMM_OP( 1, addi, 0x0000000000000000, 0, 0)
        TEST_IMM_OP( 2, addi, 0x0000000000000002, 1, 1)
        TEST_IMM_OP( 3, addi, 0x000000000000000a, 3, 7)
        TEST_IMM_OP( 4, addi, 0xfffffffffffff800, 0, -2048)
        TEST_IMM_OP( 5, addi, 0x00000000000007ff, 0, 2047)
        TEST_IMM_OP( 6, addi, 0x7fffffffffffffff, MIN, -1)
        TEST_IMM_OP( 7, addi, 0x8000000000000000, MAX, 1)
        TEST_IMM_OP( 8, addi, 0x0000000100000000, 0xffffffff, 1)   /* no 32-bit wrap */
        TEST_IMM_OP( 9, addi, 0x0000000080000000, 0x7fffffff, 1)   /* no sign-extension */
        TEST_IMM_OP(10, addi, 0x0000000000000000, -1, 1)
        TEST_IMM_OP(11, addi, 0x7ffffffffffff800, MAX, -2047)
        TEST_IMM_SRC1_EQ_DEST(12, addi, 24, 13, 11)
        TEST_IMM_ZEROSRC1(13, addi, 32, 32)                        /* li */
        TEST_IMM_ZERODEST(14, addi, 33, 50)
        TEST_CASE(15, a4, 0x123, li a4, 0x123; addi x0, x0, 0)     /* nop */

        # SLTI: signed compare with sext(imm).
        TEST_IMM_OP(16, slti, 0, 0, 0)
        TEST_IMM_OP(17, slti, 0, 1, 1)
        TEST_IMM_OP(18, slti, 1, 0, 1)
        TEST_IMM_OP(19, slti, 1, -1, 0)
        TEST_IMM_OP(20, slti, 0, 0, -1)
        TEST_IMM_OP(21, slti, 1, MIN, -2048)
        TEST_IMM_OP(22, slti, 0, MAX, 2047)
        TEST_IMM_OP(23, slti, 0, 0x7ff, 0x7ff)
        TEST_IMM_OP(24, slti, 1, -2049, -2048)
        TEST_IMM_OP(25, slti, 0, 0x80000000, -1)   /* positive in 64 bits */
        TEST_IMM_OP(26, slti, 0, 0xfffffffffffff800, -2048)
        TEST_IMM_ZERODEST(27, slti, -1, 0)

        # SLTIU: sext(imm) compared as unsigned, so -1 is the largest value.
        TEST_IMM_OP(28, sltiu, 0, 0, 0)
        TEST_IMM_OP(29, sltiu, 1, 0, 1)
        TEST_IMM_OP(30, sltiu, 0, 1, 0)
        TEST_IMM_OP(31, sltiu, 1, 0, -1)
        TEST_IMM_OP(32, sltiu, 0, -1, -1)
        TEST_IMM_OP(33, sltiu, 1, -2, -1)
        TEST_IMM_OP(34, sltiu, 1, MAX, -2048)      /* 0x7fff... < 0xffff...f800 */
        TEST_IMM_OP(35, sltiu, 0, -1, 2047)
        TEST_IMM_OP(36, sltiu, 1, 0, 1)            /* seqz */
        TEST_IMM_OP(37, sltiu, 0, 5, 1)
        TEST_IMM_OP(38, sltiu, 0, 0x100000000, 1)  /* seqz sees all 64 bits */
        TEST_IMM_ZERODEST(39, sltiu, 0, 1)

        # XORI: sext(imm) ^ rs1; xori -1 is `not`.
        TEST_IMM_OP(40, xori, 0xffffffffff00f00f, 0x0000000000ff0f00, -0xf1)
        TEST_IMM_OP(41, xori, 0x000000000ff00f00, 0x000000000ff00ff0, 0x0f0)
        TEST_IMM_OP(42, xori, 0xedcba9876543210f, 0x123456789abcdef0, -1)
        TEST_IMM_OP(43, xori, 0x123456789abcdef0, 0x123456789abcdef0, 0)
        TEST_IMM_OP(44, xori, 0x00000000000007ff, 0, 2047)
        TEST_IMM_SRC1_EQ_DEST(45, xori, 0xff00ff00ff00fff0, 0xff00ff00ff00ff00, 0x0f0)
        TEST_IMM_ZERODEST(46, xori, 0x123, 0x456)

        # ORI.
        TEST_IMM_OP(47, ori, 0xffffffffffffff0f, 0xffffffffff00ff00, -0xf1)
        TEST_IMM_OP(48, ori, 0x000000000ff00ff0, 0x000000000ff00ff0, 0x0f0)
        TEST_IMM_OP(49, ori, 0x0000000000ff07ff, 0x0000000000ff00ff, 0x70f)
        TEST_IMM_OP(50, ori, 0xfffffffffffff800, 0, -2048)
        TEST_IMM_SRC1_EQ_DEST(51, ori, 0xff00ff00ff00fff0, 0xff00ff00ff00ff00, 0x0f0)
        TEST_IMM_ZERODEST(52, ori, 0x123, 0x456)

        # ANDI.
        TEST_IMM_OP(53, andi, 0x00000000ff00ff00, 0x00000000ff00ff00, -0xf1)
        TEST_IMM_OP(54, andi, 0x00000000000000f0, 0x000000000ff00ff0, 0x0f0)
        TEST_IMM_OP(55, andi, 0x000000000000000f, 0x0000000000ff00ff, 0x70f)
        TEST_IMM_OP(56, andi, 0xfffffffffffff800, -1, -2048)
        TEST_IMM_OP(57, andi, 0x00000000000006f0, 0x123456789abcdef0, 0x7ff)
        TEST_IMM_OP(58, andi, 0x8000000000000000, MIN, -1)
        TEST_IMM_SRC1_EQ_DEST(59, andi, 0x0000000000000000, 0xff00ff00ff00ff00, 0x0f0)
        TEST_IMM_ZERODEST(60, andi, -1, -1)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
