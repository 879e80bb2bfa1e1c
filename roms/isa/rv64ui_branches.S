# RV64I conditional branches: BEQ BNE BLT BGE BLTU BGEU (unpriv spec 2.5.2).
# Each case runs the branch forward and backward; comparisons are on all 64
# bits, signed for BLT/BGE, unsigned for BLTU/BGEU.
#include "harness.h"

#define MIN 0x8000000000000000
#define MAX 0x7fffffffffffffff

RVTEST_CODE_BEGIN
        .option norvc

        # BEQ: equal on all 64 bits.
        TEST_BR2_OP_TAKEN(   1, beq, 0, 0)
        TEST_BR2_OP_TAKEN(   2, beq, 1, 1)
        TEST_BR2_OP_TAKEN(   3, beq, -1, -1)
        TEST_BR2_OP_TAKEN(   4, beq, MIN, MIN)
        TEST_BR2_OP_NOTTAKEN(5, beq, 0, 1)
        TEST_BR2_OP_NOTTAKEN(6, beq, -1, 1)
        TEST_BR2_OP_NOTTAKEN(7, beq, 0x100000000, 0)   /* differ above bit 31 */
        TEST_BR2_OP_NOTTAKEN(8, beq, MIN, 0)

        # BNE.
        TEST_BR2_OP_TAKEN(   9, bne, 0, 1)
        TEST_BR2_OP_TAKEN(  10, bne, 1, 0)
        TEST_BR2_OP_TAKEN(  11, bne, -1, 1)
        TEST_BR2_OP_TAKEN(  12, bne, 0x100000000, 0)
        TEST_BR2_OP_NOTTAKEN(13, bne, 0, 0)
        TEST_BR2_OP_NOTTAKEN(14, bne, -1, -1)
        TEST_BR2_OP_NOTTAKEN(15, bne, MIN, MIN)

        # BLT: signed less-than.
        TEST_BR2_OP_TAKEN(  16, blt, 0, 1)
        TEST_BR2_OP_TAKEN(  17, blt, -1, 1)
        TEST_BR2_OP_TAKEN(  18, blt, -2, -1)
        TEST_BR2_OP_TAKEN(  19, blt, MIN, MAX)
        TEST_BR2_OP_TAKEN(  20, blt, MIN, 0)
        TEST_BR2_OP_TAKEN(  21, blt, 0xffffffff, 0x100000000)
        TEST_BR2_OP_NOTTAKEN(22, blt, 1, 0)
        TEST_BR2_OP_NOTTAKEN(23, blt, 1, -1)
        TEST_BR2_OP_NOTTAKEN(24, blt, 0, 0)
        TEST_BR2_OP_NOTTAKEN(25, blt, -1, -1)
        TEST_BR2_OP_NOTTAKEN(26, blt, MAX, MIN)
        TEST_BR2_OP_NOTTAKEN(27, blt, 0x80000000, 0x7fffffff) /* both positive in 64 bits */

        # BGE: signed greater-or-equal.
        TEST_BR2_OP_TAKEN(  28, bge, 0, 0)
        TEST_BR2_OP_TAKEN(  29, bge, 1, 0)
        TEST_BR2_OP_TAKEN(  30, bge, -1, -1)
        TEST_BR2_OP_TAKEN(  31, bge, 1, -1)
        TEST_BR2_OP_TAKEN(  32, bge, MAX, MIN)
        TEST_BR2_OP_TAKEN(  33, bge, 0x80000000, 0x7fffffff)
        TEST_BR2_OP_NOTTAKEN(34, bge, 0, 1)
        TEST_BR2_OP_NOTTAKEN(35, bge, -1, 1)
        TEST_BR2_OP_NOTTAKEN(36, bge, MIN, 0)
        TEST_BR2_OP_NOTTAKEN(37, bge, MIN, MAX)
        TEST_BR2_OP_NOTTAKEN(38, bge, -2, -1)

        # BLTU: unsigned less-than.
        TEST_BR2_OP_TAKEN(  39, bltu, 0, 1)
        TEST_BR2_OP_TAKEN(  40, bltu, 1, -1)
        TEST_BR2_OP_TAKEN(  41, bltu, MAX, MIN)
        TEST_BR2_OP_TAKEN(  42, bltu, -2, -1)
        TEST_BR2_OP_TAKEN(  43, bltu, 0xffffffff, 0x100000000)
        TEST_BR2_OP_NOTTAKEN(44, bltu, 0, 0)
        TEST_BR2_OP_NOTTAKEN(45, bltu, -1, 1)
        TEST_BR2_OP_NOTTAKEN(46, bltu, MIN, MAX)
        TEST_BR2_OP_NOTTAKEN(47, bltu, -1, -1)
        TEST_BR2_OP_NOTTAKEN(48, bltu, 0x100000000, 0xffffffff)

        # BGEU: unsigned greater-or-equal.
        TEST_BR2_OP_TAKEN(  49, bgeu, 0, 0)
        TEST_BR2_OP_TAKEN(  50, bgeu, -1, 1)
        TEST_BR2_OP_TAKEN(  51, bgeu, MIN, MAX)
        TEST_BR2_OP_TAKEN(  52, bgeu, -1, -1)
        TEST_BR2_OP_TAKEN(  53, bgeu, 0x100000000, 0xffffffff)
        TEST_BR2_OP_NOTTAKEN(54, bgeu, 0, 1)
        TEST_BR2_OP_NOTTAKEN(55, bgeu, 1, -1)
        TEST_BR2_OP_NOTTAKEN(56, bgeu, MAX, MIN)
        TEST_BR2_OP_NOTTAKEN(57, bgeu, -2, -1)

        # x0 as an operand reads zero.
        TEST_CASE(58, x0, 0,
                li a1, 1;
                beq x0, x0, 10f; j hb_fail;
                10: bltu x0, a1, 11f; j hb_fail;
                11: bge x0, a1, 12f; blt a1, x0, 12f; j 13f;
                12: j hb_fail; 13: nop)

        # Taken branches near the +-4 KiB reach (13-bit signed offset, so
        # imm[11] and imm[12] are exercised); the skipped bytes are zero,
        # i.e. illegal instructions, so a wrong target traps.
        TEST_CASE(59, x0, 0,
                li a1, 5;
                bne a1, x0, 14f;
                j hb_fail;
                .skip 0xff0;
                14: nop)
        TEST_CASE(60, x0, 0,
                li a1, 5; li a2, 5;
                j 15f;
                16: j 17f;
                .skip 0xff0;
                15: beq a1, a2, 16b;
                j hb_fail;
                17: nop)

        # A branch writes no register: operands are unchanged.
        TEST_CASE(61, a4, 3,
                li a1, 1; li a2, 2;
                blt a1, a2, 18f; j hb_fail;
                18: add a4, a1, a2)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
