# RV64C integer computational instructions (unpriv spec 16.5): C.NOP C.ADDI
# C.ADDIW C.LI C.LUI C.ADDI16SP C.SRLI C.SRAI C.ANDI C.SLLI C.MV C.ADD
# C.SUB C.XOR C.OR C.AND C.SUBW C.ADDW, each with every register its format
# allows: x1-x31 for the 5-bit fields (CI, CR), x8-x15 for the 3-bit ones
# (CB, CA).  Each expands to a base instruction (spec 16.5 table), and the
# expected values follow that base instruction's rules.
#include "harness.h"

#define MIN 0x8000000000000000
#define MAX 0x7fffffffffffffff
#define XREGS   x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,x14,x15,x16,x17,x18,x19,x20,x21,x22,x23,x24,x25,x26,x27,x28,x29,x30,x31
#define XREGS_C x8,x9,x10,x11,x12,x13,x14,x15

# Fails case \num unless register \r holds \val, without disturbing \keep.
# Works for any \r: the scratch is the first of t0, t1, t2 that is neither
# \r nor \keep.  When \r is gp (TESTNUM) or sp it reloads it afterwards, so
# a case may use them as the register under test (a failure while gp holds
# data reports 255).
.macro EXPECT num, r, val, keep=x0
        .ifc \r, x5
        .ifc \keep, x6
        EXPECT_VIA \num, \r, \val, x7
        .else
        EXPECT_VIA \num, \r, \val, x6
        .endif
        .else
        .ifc \keep, x5
        .ifc \r, x6
        EXPECT_VIA \num, \r, \val, x7
        .else
        EXPECT_VIA \num, \r, \val, x6
        .endif
        .else
        EXPECT_VIA \num, \r, \val, x5
        .endif
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

# CI-format op on every x1-x31 in \regs: r = init; \op r, imm; expect r.
.macro CI_ALL num, op, init, imm, res, regs:vararg
        .irp r, \regs
        li \r, \init
        \op \r, \imm
        EXPECT \num, \r, \res
        .endr
.endm

# CA-format op on every rd'/rs2' pair: rd = a, rs2 = b (or rd = rs2 = a).
.macro CA_ALL num, op, a, b, res, res_same
        .irp rd, XREGS_C
        .irp rs, XREGS_C
        .ifc \rd, \rs
        li \rd, \a
        \op \rd, \rs
        EXPECT \num, \rd, \res_same
        .else
        li \rd, \a
        li \rs, \b
        \op \rd, \rs
        EXPECT \num, \rd, \res
        EXPECT \num, \rs, \b
        .endif
        .endr
        .endr
.endm

# CR-format op (C.MV, C.ADD): every rd with a fixed rs2, every rs2 with a
# fixed rd, and rd == rs2 for every register.
.macro CR_ALL num, op, a, b, res, res_same
        .irp r, XREGS
        .ifc \r, x10
        CR_ONE \num, \op, x10, x11, \a, \b, \res
        CR_ONE \num, \op, x11, x10, \a, \b, \res
        .else
        CR_ONE \num, \op, \r, x10, \a, \b, \res
        CR_ONE \num, \op, x10, \r, \a, \b, \res
        .endif
        li \r, \a
        \op \r, \r
        EXPECT \num, \r, \res_same
        .endr
.endm
.macro CR_ONE num, op, rd, rs, a, b, res
        li \rd, \a
        li \rs, \b
        \op \rd, \rs
        EXPECT \num, \rd, \res, \rs
        EXPECT \num, \rs, \b
.endm

RVTEST_CODE_BEGIN
        .option rvc

        # C.NOP (addi x0, x0, 0) changes nothing.
        TEST_START(1)
        li a4, 5
        c.nop
        EXPECT 1, x14, 5

        # C.ADDI: addi rd, rd, nzimm[5:0] (sign-extended, -32..31); 64-bit sum.
        TEST_START(2)
        CI_ALL 2, c.addi, 1000,       -32, 968,         XREGS
        CI_ALL 2, c.addi, 0xffffffff,  31, 0x10000001e, XREGS
        CI_ALL 2, c.addi, MAX,          1, MIN,         XREGS

        # C.ADDIW: addiw rd, rd, imm; imm = 0 is legal (sext.w).
        TEST_START(3)
        CI_ALL 3, c.addiw, 0x7fffffff,          1,  0xffffffff80000000, XREGS
        CI_ALL 3, c.addiw, 0xffffffff00000005,  0,  5,                  XREGS
        CI_ALL 3, c.addiw, 0,                 -32,  -32,                XREGS

        # C.LI: addi rd, x0, imm.
        TEST_START(4)
        CI_ALL 4, c.li, 0x1234, -32, -32, XREGS
        CI_ALL 4, c.li, 0x1234,  31,  31, XREGS
        CI_ALL 4, c.li, 0x1234,   0,   0, XREGS

        # C.LUI: lui rd, nzimm[17:12] sign-extended; rd = x2 is C.ADDI16SP.
        # The assembler takes the 20-bit LUI field: 0xfffe0 is -32.
        TEST_START(5)
        CI_ALL 5, c.lui, 0x1234, 1,       0x1000,             x1,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,x14,x15,x16,x17,x18,x19,x20,x21,x22,x23,x24,x25,x26,x27,x28,x29,x30,x31
        CI_ALL 5, c.lui, 0x1234, 31,      0x1f000,            x1,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,x14,x15,x16,x17,x18,x19,x20,x21,x22,x23,x24,x25,x26,x27,x28,x29,x30,x31
        CI_ALL 5, c.lui, 0x1234, 0xfffe0, 0xfffffffffffe0000, x1,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,x14,x15,x16,x17,x18,x19,x20,x21,x22,x23,x24,x25,x26,x27,x28,x29,x30,x31
        CI_ALL 5, c.lui, 0x1234, 0xfffff, 0xfffffffffffff000, x1,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,x14,x15,x16,x17,x18,x19,x20,x21,x22,x23,x24,x25,x26,x27,x28,x29,x30,x31

        # C.ADDI16SP: addi sp, sp, nzimm (multiple of 16, -512..496).
        TEST_START(6)
        CI_ALL 6, c.addi16sp, 0x1000,               -512, 0xe00,  x2
        CI_ALL 6, c.addi16sp, 0x1000,                496, 0x11f0, x2
        CI_ALL 6, c.addi16sp, 0,                     -16, -16,    x2
        CI_ALL 6, c.addi16sp, 0x7ffffffffffffff0,     16, MIN,    x2

        # C.SRLI / C.SRAI: rd' only, 6-bit shamt (1..63 on RV64).
        TEST_START(7)
        CI_ALL 7, c.srli, -1,  1, 0x7fffffffffffffff, XREGS_C
        CI_ALL 7, c.srli, -1, 31, 0x00000001ffffffff, XREGS_C
        CI_ALL 7, c.srli, -1, 32, 0x00000000ffffffff, XREGS_C
        CI_ALL 7, c.srli, -1, 63, 1,                  XREGS_C
        TEST_START(8)
        CI_ALL 8, c.srai, MIN,  1, 0xc000000000000000, XREGS_C
        CI_ALL 8, c.srai, MIN, 31, 0xffffffff00000000, XREGS_C
        CI_ALL 8, c.srai, MIN, 32, 0xffffffff80000000, XREGS_C
        CI_ALL 8, c.srai, MIN, 63, -1,                 XREGS_C
        CI_ALL 8, c.srai, MAX, 63, 0,                  XREGS_C

        # C.ANDI: andi rd', rd', imm (sign-extended, -32..31, 0 allowed).
        TEST_START(9)
        CI_ALL 9, c.andi, -1,                 -32, 0xffffffffffffffe0, XREGS_C
        CI_ALL 9, c.andi, 0x123456789abcdef0,  31, 0x10,               XREGS_C
        CI_ALL 9, c.andi, 0x123456789abcdef0,   0, 0,                  XREGS_C

        # C.SLLI: slli rd, rd, shamt (1..63), every rd.
        TEST_START(10)
        CI_ALL 10, c.slli,  1,  1, 2,                  XREGS
        CI_ALL 10, c.slli,  1, 31, 0x80000000,         XREGS
        CI_ALL 10, c.slli,  1, 32, 0x100000000,        XREGS
        CI_ALL 10, c.slli,  1, 63, MIN,                XREGS
        CI_ALL 10, c.slli, -1, 32, 0xffffffff00000000, XREGS

        # CA format: rd' = rd' op rs2'.
        TEST_START(11)
        CA_ALL 11, c.sub, MIN, 1, MAX, 0
        TEST_START(12)
        CA_ALL 12, c.xor, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xf0f0f0f0f0f0f0f0, 0
        TEST_START(13)
        CA_ALL 13, c.or,  0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xfff0fff0fff0fff0, 0xff00ff00ff00ff00
        TEST_START(14)
        CA_ALL 14, c.and, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0x0f000f000f000f00, 0xff00ff00ff00ff00
        # C.SUBW / C.ADDW: 32-bit results, sign-extended.
        TEST_START(15)
        CA_ALL 15, c.subw, 0x000000017fffffff, 0xffffffff00000001, 0x7ffffffe, 0
        TEST_START(16)
        CA_ALL 16, c.addw, 0x000000017fffffff, 0xffffffff00000001, 0xffffffff80000000, 0xfffffffffffffffe

        # C.MV (add rd, x0, rs2) and C.ADD (add rd, rd, rs2).
        TEST_START(17)
        CR_ALL 17, c.mv,  0x1111, 0x8000000000000222, 0x8000000000000222, 0x1111
        TEST_START(18)
        CR_ALL 18, c.add, 0x1111, 0x8000000000000222, 0x8000000000001333, 0x2222

        # Hand-encoded from the manual's format tables, independent of the
        # assembler: CI c.lui a0,-32 / c.addiw a0,-1; CB c.srai a0,32;
        # CI c.addi16sp sp,-512; CA c.subw/c.addw/c.and s0,s1.
        TEST_START(19)
        li a0, 5;          .2byte 0x7501; EXPECT 19, x10, 0xfffffffffffe0000
        li a0, 0x80000000; .2byte 0x357d; EXPECT 19, x10, 0x7fffffff
        li a0, MIN;        .2byte 0x9501; EXPECT 19, x10, 0xffffffff80000000
        li sp, 0x1000;     .2byte 0x7101; EXPECT 19, x2,  0xe00
        li s0, 5; li s1, 7; .2byte 0x9c05; EXPECT 19, x8, -2
        li s0, 5; li s1, 7; .2byte 0x9c25; EXPECT 19, x8, 12
        li s0, 5; li s1, 7; .2byte 0x8c65; EXPECT 19, x8, 5

        # HINTs with rd = x0 (spec 16.7: C.ADDI, C.LI, C.LUI, C.SLLI, C.MV,
        # C.ADD with rd = x0) execute without changing any state; the
        # assembler refuses them, so they are hand-encoded.
        TEST_START(20)
        li a1, 0x77
        .2byte 0x0005           /* c.addi x0, 1 */
        .2byte 0x4015           /* c.li   x0, 5 */
        .2byte 0x6005           /* c.lui  x0, 1 */
        .2byte 0x0006           /* c.slli x0, 1 */
        .2byte 0x802e           /* c.mv   x0, a1 */
        .2byte 0x902e           /* c.add  x0, a1 */
        EXPECT 20, x0, 0
        EXPECT 20, x11, 0x77

RVTEST_CODE_END

RVTEST_DATA_BEGIN
RVTEST_DATA_END
