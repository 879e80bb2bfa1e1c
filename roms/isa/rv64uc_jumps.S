# RV64C control transfer instructions (unpriv spec 16.4): C.J, C.JR, C.JALR,
# C.BEQZ, C.BNEZ.
#   C.J     jal x0, off (+-2 KiB)
#   C.JR    jalr x0, 0(rs1), rs1 != x0
#   C.JALR  jalr x1, 0(rs1), rs1 != x0: links pc+2, the length of C.JALR
#   C.BEQZ / C.BNEZ  beq/bne rs1', x0, off (+-256 B), full 64-bit compare
# C.JAL is RV32C only; on RV64 its encoding is C.ADDIW (rv64uc_alu.S).
# C.EBREAK is not executed here (it traps; privileged tests cover it).
#include "harness.h"

#define XREGS   x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,x14,x15,x16,x17,x18,x19,x20,x21,x22,x23,x24,x25,x26,x27,x28,x29,x30,x31
#define XREGS_C x8,x9,x10,x11,x12,x13,x14,x15

# Fails case \num unless register \r holds \val (scratch t0, or t1 if \r is
# t0).  When \r is gp (TESTNUM) or sp it reloads it afterwards.
.macro EXPECT num, r, val
        .ifc \r, x5
        EXPECT_VIA \num, \r, \val, x6
        .else
        EXPECT_VIA \num, \r, \val, x5
        .endif
.endm
.macro EXPECT_VIA num, r, val, s
        li \s, \val
        sub \s, \r, \s
        .ifc \r, x3
        li gp, \num
        .endif
        .ifc \r, x2
        la sp, _stack_top
        .endif
        beqz \s, 10040f
        j hb_fail
10040:
.endm

# Reports case \num as failed even if gp was in use.
.macro FAIL_CASE num
        li gp, \num
        j hb_fail
.endm

# C.BEQZ/C.BNEZ with \r = \val, taken forward and backward.
.macro BR_TAKEN num, op, r, val
        li \r, \val
        \op \r, 10051f
        FAIL_CASE \num
10050:  c.j 10052f
10051:  \op \r, 10050b
        FAIL_CASE \num
10052:
.endm
# ... and not taken in either direction.
.macro BR_NOTTAKEN num, op, r, val
        li \r, \val
        \op \r, 10053f
        c.j 10054f
10053:  FAIL_CASE \num
10054:  \op \r, 10053b
.endm

RVTEST_CODE_BEGIN
        .option rvc

        # C.J forward and backward.
        TEST_START(1)
        c.j 10f
        j hb_fail
11:     c.j 12f
10:     c.j 11b
        j hb_fail
12:
        # C.J near its +-2 KiB reach (12-bit offset; the backward jump sets
        # the sign bit imm[11]); the skipped bytes are zero, an illegal
        # instruction (unpriv spec 16.5).
        TEST_START(2)
        c.j 13f
        .skip 0x7f0
13:     c.j 14f
15:     c.j 16f
        .skip 0x7f0
14:     c.j 15b
16:

        # C.BEQZ / C.BNEZ on every rs1'; a value that is non-zero only above
        # bit 31, or only in bit 63, is non-zero.
        TEST_START(3)
        .irp r, XREGS_C
        BR_TAKEN    3, c.beqz, \r, 0
        BR_NOTTAKEN 3, c.beqz, \r, 1
        BR_NOTTAKEN 3, c.beqz, \r, 0x100000000
        BR_NOTTAKEN 3, c.beqz, \r, 0x8000000000000000
        .endr
        TEST_START(4)
        .irp r, XREGS_C
        BR_NOTTAKEN 4, c.bnez, \r, 0
        BR_TAKEN    4, c.bnez, \r, -1
        BR_TAKEN    4, c.bnez, \r, 0x100000000
        BR_TAKEN    4, c.bnez, \r, 0x8000000000000000
        .endr
        # Near the +-256 B reach (9-bit offset; the backward branch sets the
        # sign bit imm[8]).
        TEST_START(5)
        li s0, 0
        c.beqz s0, 17f
        .skip 0xf0
17:     c.bnez s0, 18f          /* not taken */
        c.j 19f
18:     j hb_fail
        .skip 0xf0
19:     li s1, 1
        c.j 20f
21:     c.j 22f
        .skip 0xf0
20:     c.bnez s1, 21b
        j hb_fail
22:

        # C.JR through every rs1 != x0.
        TEST_START(6)
        .irp r, XREGS
        la \r, 10060f
        c.jr \r
        FAIL_CASE 6
10060:  li gp, 6
        la sp, _stack_top
        .endr
        # C.JR clears bit 0 of the target like JALR.
        TEST_START(7)
        la a5, 23f + 1
        c.jr a5
        j hb_fail
23:

        # C.JALR through every rs1 != x0: jumps to the old rs1 (also when
        # rs1 is ra itself) and writes pc+2 to ra.
        TEST_START(8)
        .irp r, XREGS
        la \r, 10061f
        c.jalr \r
10062:  FAIL_CASE 8
10061:  li gp, 8
        la sp, _stack_top
        la x5, 10062b
        sub x5, x1, x5
        beqz x5, 10063f
        j hb_fail
10063:
        .endr
        # C.JALR followed by a 4-byte instruction: the link is still pc+2.
        TEST_START(9)
        la a5, 24f
        c.jalr a5
25:     .option norvc
        j hb_fail
        .option rvc
24:     la a4, 25b
        sub a4, ra, a4
        EXPECT 9, x14, 0
        # A call and return using only compressed instructions.
        TEST_START(10)
        li a4, 0
        la a5, sub_c
        c.jalr a5
        EXPECT 10, x14, 31

        # Hand-encoded from the manual's CJ/CB/CR layouts, independent of
        # the assembler: c.j +4 (0xa011), c.beqz s0,+6 (0xc019),
        # c.jalr a5 (0x9782).
        TEST_START(11)
        li a4, 0
        .2byte 0xa011           /* c.j +4: skips the c.li */
        c.li a4, 1
        EXPECT 11, x14, 0
        li s0, 0
        .2byte 0xc019           /* c.beqz s0, +6: skips both c.li */
        c.li a4, 2
        c.li a4, 3
        EXPECT 11, x14, 0
        la a5, 26f
        .2byte 0x9782           /* c.jalr a5 */
27:     j hb_fail
26:     la a4, 27b
        sub a4, ra, a4
        EXPECT 11, x14, 0

RVTEST_CODE_END

sub_c:
        c.li a4, 31
        c.jr ra

RVTEST_DATA_BEGIN
RVTEST_DATA_END
