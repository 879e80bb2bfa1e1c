# RV64A word AMOs: AMOSWAP/ADD/XOR/AND/OR/MIN/MAX/MINU/MAXU.W (unpriv spec
# 8.4).  rd receives the old memory word sign-extended to 64 bits (spec 8.4:
# "for RV64, 32-bit AMOs always sign-extend the value placed in rd"); the
# operation uses rs2[31:0] only, and MIN/MAX compare the 32-bit values.
# Only the addressed word changes.
#include "harness.h"

#define SENT 0x5a5a5a5a

# Word at amo_w+4 = init, sentinels at +0 and +8; run `inst a4, a1, (a0)` with
# a1 = src; check a4 == rd_val (64-bit) and the word == mem_val (32-bit).
#define TEST_AMO_W(n, inst, init, src, rd_val, mem_val)         \
        TEST_START(n);                                          \
        la a0, amo_w;                                           \
        li a1, SENT; sw a1, 0(a0); sw a1, 8(a0);                \
        li a1, init; sw a1, 4(a0);                              \
        addi a0, a0, 4;                                         \
        li a1, src;                                             \
        inst a4, a1, (a0);                                      \
        li t2, rd_val;  CHECK_EQ(a4, t2);                       \
        lwu a4, 0(a0);  li t2, mem_val; CHECK_EQ(a4, t2);       \
        lwu a4, -4(a0); li t2, SENT; CHECK_EQ(a4, t2);          \
        lwu a4, 4(a0);  CHECK_EQ(a4, t2)

RVTEST_CODE_BEGIN
        .option norvc

        # AMOSWAP.W: stores rs2[31:0].
        TEST_AMO_W( 1, amoswap.w, 0x80000000, 0x0000000123456789, 0xffffffff80000000, 0x23456789)
        TEST_AMO_W( 2, amoswap.w, 0x7fffffff, -1,                 0x000000007fffffff, 0xffffffff)
        # AMOADD.W: 32-bit wrap, carry does not reach the next word.
        TEST_AMO_W( 3, amoadd.w,  0x7fffffff, 1,                  0x000000007fffffff, 0x80000000)
        TEST_AMO_W( 4, amoadd.w,  0xffffffff, 1,                  0xffffffffffffffff, 0x00000000)
        TEST_AMO_W( 5, amoadd.w,  0x00000005, 0xfffffffd00000003, 0x0000000000000005, 0x00000008)
        # AMOXOR/AND/OR.W.
        TEST_AMO_W( 6, amoxor.w,  0xff00ff00, 0x0ff00ff0,         0xffffffffff00ff00, 0xf0f0f0f0)
        TEST_AMO_W( 7, amoand.w,  0xff00ff00, 0x0ff00ff0,         0xffffffffff00ff00, 0x0f000f00)
        TEST_AMO_W( 8, amoor.w,   0xff00ff00, 0x0ff00ff0,         0xffffffffff00ff00, 0xfff0fff0)
        TEST_AMO_W( 9, amoxor.w,  0x12345678, 0xffffffff00000000, 0x0000000012345678, 0x12345678)
        # AMOMIN.W: signed 32-bit; 0xffffffff is -1 and 0x180000000 is
        # INT32_MIN here even though both are positive as 64-bit values.
        TEST_AMO_W(10, amomin.w,  0x80000000, 1,                  0xffffffff80000000, 0x80000000)
        TEST_AMO_W(11, amomin.w,  0x00000001, 0xffffffff,         0x0000000000000001, 0xffffffff)
        TEST_AMO_W(12, amomin.w,  0x00000005, 3,                  0x0000000000000005, 0x00000003)
        TEST_AMO_W(13, amomin.w,  0x00000000, 0x180000000,        0x0000000000000000, 0x80000000)
        # AMOMAX.W: signed 32-bit.
        TEST_AMO_W(14, amomax.w,  0x00000001, 0xffffffff,         0x0000000000000001, 0x00000001)
        TEST_AMO_W(15, amomax.w,  0x80000000, 0x7fffffff,         0xffffffff80000000, 0x7fffffff)
        TEST_AMO_W(16, amomax.w,  0x00000003, 5,                  0x0000000000000003, 0x00000005)
        TEST_AMO_W(17, amomax.w,  0x80000000, 0xffffffff00000001, 0xffffffff80000000, 0x00000001)
        # AMOMINU.W: unsigned 32-bit; rs2[63:32] must not take part.
        TEST_AMO_W(18, amominu.w, 0x00000001, 0xffffffff,         0x0000000000000001, 0x00000001)
        TEST_AMO_W(19, amominu.w, 0x00000005, 0x100000003,        0x0000000000000005, 0x00000003)
        TEST_AMO_W(20, amominu.w, 0x80000000, 0x7fffffff,         0xffffffff80000000, 0x7fffffff)
        # AMOMAXU.W: unsigned 32-bit.
        TEST_AMO_W(21, amomaxu.w, 0x00000001, 0xffffffff,         0x0000000000000001, 0xffffffff)
        TEST_AMO_W(22, amomaxu.w, 0x00000005, 0x100000003,        0x0000000000000005, 0x00000005)
        TEST_AMO_W(23, amomaxu.w, 0x80000000, 0x7fffffff,         0xffffffff80000000, 0x80000000)
        TEST_AMO_W(24, amomaxu.w, 0xfffffffe, 0xffffffff,         0xfffffffffffffffe, 0xffffffff)

        # aq/rl bits only order; the result is the same (spec 8.4).
        TEST_AMO_W(25, amoswap.w.aq,   0x11111111, 0x22222222,    0x0000000011111111, 0x22222222)
        TEST_AMO_W(26, amoadd.w.rl,    0x11111111, 0x22222222,    0x0000000011111111, 0x33333333)
        TEST_AMO_W(27, amoor.w.aqrl,   0x11111111, 0x22222222,    0x0000000011111111, 0x33333333)
        TEST_AMO_W(28, amomaxu.w.aqrl, 0x11111111, 0x22222222,    0x0000000011111111, 0x22222222)

        # rd = x0: memory is still updated, nothing is written.
        TEST_CASE(29, a4, 0x0000000000000007,
                la a0, amo_w; li a1, 4; sw a1, 0(a0);
                li a1, 3; amoadd.w x0, a1, (a0);
                lwu a4, 0(a0))
        # rd == rs2: the source is read before rd is written.
        TEST_CASE(30, a4, 0xffffffff80000000,
                la a0, amo_w; li a1, 0x80000000; sw a1, 0(a0);
                li a1, 0x12; amoswap.w a1, a1, (a0);
                lwu a4, 0(a0); li t2, 0x12; CHECK_EQ(a4, t2);
                mv a4, a1)
        # rd == rs1: the address is read before rd is written.
        TEST_CASE(31, a4, 0x0000000000000009,
                la a0, amo_w; li a1, 4; sw a1, 0(a0);
                li a1, 5; amoadd.w a0, a1, (a0);
                li t2, 4; CHECK_EQ(a0, t2);
                la a0, amo_w; lwu a4, 0(a0))

RVTEST_CODE_END

RVTEST_DATA_BEGIN
        .balign 8
amo_w:  .word 0, 0, 0, 0
RVTEST_DATA_END
