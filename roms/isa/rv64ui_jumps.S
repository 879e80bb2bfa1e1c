# RV64I unconditional jumps: JAL, JALR (unpriv spec 2.5.1).
#include "harness.h"

# Link values are compared with the label's address as resolved by the
# linker (la), never with what the jump itself produced.

RVTEST_CODE_BEGIN
        .option norvc

        # JAL writes pc+4 to rd and jumps by a signed 21-bit offset.
        TEST_CASE( 1, a4, 0,
                jal a4, 10f;
                11: j hb_fail;
                10: la a5, 11b;
                sub a4, a4, a5)
        # Backward JAL.
        TEST_CASE( 2, a4, 0,
                j 12f;
                13: j 14f;
                12: jal a4, 13b;
                15: j hb_fail;
                14: la a5, 15b;
                sub a4, a4, a5)
        # rd = x0 (plain `j`): the jump happens, nothing is written.
        TEST_CASE( 3, x0, 0,
                jal x0, 16f;
                j hb_fail;
                16: nop)
        # rd = ra (`jal label`).
        TEST_CASE( 4, a4, 0,
                jal ra, 17f;
                18: j hb_fail;
                17: la a5, 18b;
                sub a4, ra, a5)
        # A far jump, forward then backward, exercises imm[19:12] and imm[11]
        # and the sign bit; the skipped space is zero, an illegal
        # instruction (unpriv spec 1.5), so a wrong landing traps.
        TEST_CASE( 5, a4, 0,
                jal a4, 19f;
                20: j hb_fail;
                21: j 22f;
                .skip 0x11800;
                19: jal a4, 21b;
                23: j hb_fail;
                22: la a5, 23b;
                sub a4, a4, a5)

        # JALR: target = (rs1 + sext(imm)) & ~1, rd = pc+4.
        TEST_CASE( 6, a4, 0,
                la a5, 24f;
                jalr a4, 0(a5);
                25: j hb_fail;
                24: la a5, 25b;
                sub a4, a4, a5)
        # Positive and negative offsets are added to rs1.
        TEST_CASE( 7, a4, 0,
                la a5, 26f - 2046;
                jalr a4, 2047(a5);      /* sum is 26f+1: bit 0 cleared */
                27: j hb_fail;
                .balign 4;
                26: la a5, 27b;
                sub a4, a4, a5)
        TEST_CASE( 8, a4, 0,
                la a5, 28f + 2048;
                jalr a4, -2048(a5);
                29: j hb_fail;
                28: la a5, 29b;
                sub a4, a4, a5)
        # Only bit 0 is cleared: with C (IALIGN=16) a target with bit 1 set
        # is legal, so rs1 = target+3 lands on target+2, not on target.
        TEST_CASE( 9, a4, 7,
                li a4, 0;
                la a5, 30f + 3;
                jalr t0, 0(a5);
                j hb_fail;
                .balign 4;
                30: .option rvc; c.j 31f; c.li a4, 7; .option norvc;
                j 32f;
                31: j hb_fail;
                32: nop)
        # Bit 0 comes from the sum rs1+imm, not from rs1 alone.
        TEST_CASE(10, a4, 0,
                la a5, 33f - 1;
                jalr a4, 1(a5);
                34: j hb_fail;
                33: la a5, 34b;
                sub a4, a4, a5)
        # rd == rs1: the target is computed from the old rs1 before rd is
        # written (unpriv spec 2.5.1).
        TEST_CASE(11, a4, 0,
                la a4, 35f;
                jalr a4, 0(a4);
                36: j hb_fail;
                35: la a5, 36b;
                sub a4, a4, a5)
        # ra = ra: the `jalr ra` call through ra.
        TEST_CASE(12, a4, 0,
                la ra, 37f;
                jalr ra, 0(ra);
                38: j hb_fail;
                37: la a5, 38b;
                sub a4, ra, a5)
        # rd = x0 (`jr`/`ret`): no write.
        TEST_CASE(13, x0, 0,
                la a5, 39f;
                jalr x0, 0(a5);
                j hb_fail;
                39: nop)
        # A call/return pair through a subroutine.
        TEST_CASE(14, a4, 42,
                li a4, 0;
                jal ra, sub_set42;
                addi a4, a4, 0)

RVTEST_CODE_END

sub_set42:
        li a4, 42
        ret

RVTEST_DATA_BEGIN
RVTEST_DATA_END
