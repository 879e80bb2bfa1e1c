# RV64I shifts: SLL SRL SRA (shift amount = rs2[5:0]) and SLLI SRLI SRAI
# (6-bit shamt in imm[5:0]; imm[11:6] = 000000, or 010000 for SRAI)
# (unpriv spec 5.2.1, 5.2.2).
#include "harness.h"

#define MIN 0x8000000000000000
#define MAX 0x7fffffffffffffff

RVTEST_CODE_BEGIN
        .option norvc

        # SLL by 0/1/31/32/63.
        TEST_RR_OP( 1, sll, 0x0000000000000001, 1, 0)
        TEST_RR_OP( 2, sll, 0x0000000000000002, 1, 1)
        TEST_RR_OP( 3, sll, 0x0000000080000000, 1, 31)
        TEST_RR_OP( 4, sll, 0x0000000100000000, 1, 32)
        TEST_RR_OP( 5, sll, 0x8000000000000000, 1, 63)
        TEST_RR_OP( 6, sll, 0xffffffffffffffff, -1, 0)
        TEST_RR_OP( 7, sll, 0xfffffffffffffffe, -1, 1)
        TEST_RR_OP( 8, sll, 0xffffffff80000000, -1, 31)
        TEST_RR_OP( 9, sll, 0xffffffff00000000, -1, 32)
        TEST_RR_OP(10, sll, 0x8000000000000000, -1, 63)
        TEST_RR_OP(11, sll, 0x123456789abcdef0, 0x0123456789abcdef, 4)
        # Only rs2[5:0] counts: 64 -> 0, 65 -> 1, -1 -> 63, 95 -> 31.
        TEST_RR_OP(12, sll, 0x0000000000000001, 1, 64)
        TEST_RR_OP(13, sll, 0x0000000000000002, 1, 65)
        TEST_RR_OP(14, sll, 0x8000000000000000, 1, -1)
        TEST_RR_OP(15, sll, 0x0000000080000000, 1, 95)
        TEST_RR_SRC1_EQ_DEST(16, sll, 0x80, 1, 7)
        TEST_RR_SRC2_EQ_DEST(17, sll, 0x4000, 1, 14)
        TEST_RR_SRC12_EQ_DEST(18, sll, 24, 3)
        TEST_RR_ZEROSRC1(19, sll, 0, 15)
        TEST_RR_ZEROSRC2(20, sll, 32, 32)
        TEST_RR_ZERODEST(21, sll, 16, 30)

        # SRL: zeros shifted in.
        TEST_RR_OP(22, srl, 0x8000000000000000, MIN, 0)
        TEST_RR_OP(23, srl, 0x4000000000000000, MIN, 1)
        TEST_RR_OP(24, srl, 0x0000000100000000, MIN, 31)
        TEST_RR_OP(25, srl, 0x0000000080000000, MIN, 32)
        TEST_RR_OP(26, srl, 0x0000000000000001, MIN, 63)
        TEST_RR_OP(27, srl, 0x7fffffffffffffff, -1, 1)
        TEST_RR_OP(28, srl, 0x00000001ffffffff, -1, 31)
        TEST_RR_OP(29, srl, 0x00000000ffffffff, -1, 32)
        TEST_RR_OP(30, srl, 0x0000000000000001, -1, 63)
        TEST_RR_OP(31, srl, 0xffffffffffffffff, -1, 64)
        TEST_RR_OP(32, srl, 0x00000000ffffffff, -1, 96)
        TEST_RR_OP(33, srl, 0x0123456789abcdef, 0x123456789abcdef0, 4)
        TEST_RR_SRC12_EQ_DEST(34, srl, 0, 7)
        TEST_RR_ZERODEST(35, srl, 16, 3)

        # SRA: copies of bit 63 shifted in.
        TEST_RR_OP(36, sra, 0x8000000000000000, MIN, 0)
        TEST_RR_OP(37, sra, 0xc000000000000000, MIN, 1)
        TEST_RR_OP(38, sra, 0xffffffff00000000, MIN, 31)
        TEST_RR_OP(39, sra, 0xffffffff80000000, MIN, 32)
        TEST_RR_OP(40, sra, 0xffffffffffffffff, MIN, 63)
        TEST_RR_OP(41, sra, 0x3fffffffffffffff, MAX, 1)
        TEST_RR_OP(42, sra, 0x00000000ffffffff, MAX, 31)
        TEST_RR_OP(43, sra, 0x000000007fffffff, MAX, 32)
        TEST_RR_OP(44, sra, 0x0000000000000000, MAX, 63)
        TEST_RR_OP(45, sra, 0xc000000000000000, MIN, 65)
        TEST_RR_OP(46, sra, 0xf923456789abcdef, 0x923456789abcdef0, 4)
        TEST_RR_OP(47, sra, 0x0000000080000000, 0x80000000, 0)    /* no 32-bit view */
        TEST_RR_SRC12_EQ_DEST(48, sra, 0, 7)
        TEST_RR_ZERODEST(49, sra, -16, 3)

        # SLLI / SRLI / SRAI with shamt 0/1/31/32/63.
        TEST_IMM_OP(50, slli, 0x0000000000000001, 1, 0)
        TEST_IMM_OP(51, slli, 0x0000000000000002, 1, 1)
        TEST_IMM_OP(52, slli, 0x0000000080000000, 1, 31)
        TEST_IMM_OP(53, slli, 0x0000000100000000, 1, 32)
        TEST_IMM_OP(54, slli, 0x8000000000000000, 1, 63)
        TEST_IMM_OP(55, slli, 0xffffffff80000000, -1, 31)
        TEST_IMM_OP(56, slli, 0xffffffff00000000, -1, 32)
        TEST_IMM_SRC1_EQ_DEST(57, slli, 0x80, 1, 7)
        TEST_IMM_ZEROSRC1(58, slli, 0, 31)
        TEST_IMM_ZERODEST(59, slli, 1, 5)

        TEST_IMM_OP(60, srli, 0x8000000000000000, MIN, 0)
        TEST_IMM_OP(61, srli, 0x4000000000000000, MIN, 1)
        TEST_IMM_OP(62, srli, 0x0000000100000000, MIN, 31)
        TEST_IMM_OP(63, srli, 0x0000000080000000, MIN, 32)
        TEST_IMM_OP(64, srli, 0x0000000000000001, MIN, 63)
        TEST_IMM_OP(65, srli, 0x00000001ffffffff, -1, 31)
        TEST_IMM_OP(66, srli, 0x00000000ffffffff, -1, 32)
        TEST_IMM_SRC1_EQ_DEST(67, srli, 0x7fffffffffffffff, -1, 1)
        TEST_IMM_ZERODEST(68, srli, -1, 5)

        TEST_IMM_OP(69, srai, 0x8000000000000000, MIN, 0)
        TEST_IMM_OP(70, srai, 0xc000000000000000, MIN, 1)
        TEST_IMM_OP(71, srai, 0xffffffff00000000, MIN, 31)
        TEST_IMM_OP(72, srai, 0xffffffff80000000, MIN, 32)
        TEST_IMM_OP(73, srai, 0xffffffffffffffff, MIN, 63)
        TEST_IMM_OP(74, srai, 0x00000000ffffffff, MAX, 31)
        TEST_IMM_OP(75, srai, 0x000000007fffffff, MAX, 32)
        TEST_IMM_OP(76, srai, 0x0000000000000000, MAX, 63)
        TEST_IMM_SRC1_EQ_DEST(77, srai, 0xfffffffffffffff8, -16, 1)
        TEST_IMM_ZERODEST(78, srai, -1, 5)

        # The same shifts hand-encoded from the manual's I-type layout,
        # imm[11:0]<<20 | rs1<<15 | funct3<<12 | rd<<7 | 0x13, with rs1 = a1
        # (x11) and rd = a4 (x14), independent of the assembler.
        TEST_CASE(79, a4, 0x8000000000000000, li a1, 1;   .word 0x03f59713) /* slli a4,a1,63 */
        TEST_CASE(80, a4, 0x0000000080000000, li a1, MIN; .word 0x0205d713) /* srli a4,a1,32 */
        TEST_CASE(81, a4, 0xffffffffffffffff, li a1, MIN; .word 0x43f5d713) /* srai a4,a1,63 */
        TEST_CASE(82, a4, 0xffffffff80000000, li a1, MIN; .word 0x4205d713) /* srai a4,a1,32 */
        TEST_CASE(83, a4, 0x0000000000000001, li a1, MIN; .word 0x03f5d713) /* srli a4,a1,63 */

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
