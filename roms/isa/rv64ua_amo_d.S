# RV64A doubleword AMOs: AMOSWAP/ADD/XOR/AND/OR/MIN/MAX/MINU/MAXU.D
# (unpriv spec 8.4).  rd receives the old 64-bit value; MIN/MAX compare all
# 64 bits.  Only the addressed doubleword changes.
#include "harness.h"

#define MIN  0x8000000000000000
#define MAX  0x7fffffffffffffff
#define P1   0xff00ff00ff00ff00
#define P2   0x0ff00ff00ff00ff0
#define SENT 0x5a5a5a5a5a5a5a5a

# Dword at amo_d+8 = init, sentinels at +0 and +16.
#define TEST_AMO_D(n, inst, init, src, rd_val, mem_val)         \
        TEST_START(n);                                          \
        la a0, amo_d;                                           \
        li a1, SENT; sd a1, 0(a0); sd a1, 16(a0);               \
        li a1, init; sd a1, 8(a0);                              \
        addi a0, a0, 8;                                         \
        li a1, src;                                             \
        inst a4, a1, (a0);                                      \
        li t2, rd_val;  CHECK_EQ(a4, t2);                       \
        ld a4, 0(a0);   li t2, mem_val; CHECK_EQ(a4, t2);       \
        ld a4, -8(a0);  li t2, SENT; CHECK_EQ(a4, t2);          \
        ld a4, 8(a0);   CHECK_EQ(a4, t2)

RVTEST_CODE_BEGIN
        .option norvc

        TEST_AMO_D( 1, amoswap.d, MIN,         0x0123456789abcdef, MIN,         0x0123456789abcdef)
        TEST_AMO_D( 2, amoswap.d, 0,           -1,                 0,           -1)
        # AMOADD.D: 64-bit wrap, no 32-bit truncation.
        TEST_AMO_D( 3, amoadd.d,  MAX,         1,                  MAX,         MIN)
        TEST_AMO_D( 4, amoadd.d,  0xffffffff,  1,                  0xffffffff,  0x100000000)
        TEST_AMO_D( 5, amoadd.d,  -1,          1,                  -1,          0)
        TEST_AMO_D( 6, amoxor.d,  P1,          P2,                 P1,          0xf0f0f0f0f0f0f0f0)
        TEST_AMO_D( 7, amoand.d,  P1,          P2,                 P1,          0x0f000f000f000f00)
        TEST_AMO_D( 8, amoor.d,   P1,          P2,                 P1,          0xfff0fff0fff0fff0)
        # AMOMIN.D / AMOMAX.D: signed 64-bit; 0xffffffff is positive here.
        TEST_AMO_D( 9, amomin.d,  1,           -1,                 1,           -1)
        TEST_AMO_D(10, amomin.d,  MIN,         MAX,                MIN,         MIN)
        TEST_AMO_D(11, amomin.d,  0xffffffff,  1,                  0xffffffff,  1)
        TEST_AMO_D(12, amomax.d,  1,           -1,                 1,           1)
        TEST_AMO_D(13, amomax.d,  MIN,         MAX,                MIN,         MAX)
        TEST_AMO_D(14, amomax.d,  0x80000000,  1,                  0x80000000,  0x80000000)
        # AMOMINU.D / AMOMAXU.D: unsigned 64-bit.
        TEST_AMO_D(15, amominu.d, 1,           -1,                 1,           1)
        TEST_AMO_D(16, amominu.d, MIN,         MAX,                MIN,         MAX)
        TEST_AMO_D(17, amominu.d, 0x100000000, 0xffffffff,         0x100000000, 0xffffffff)
        TEST_AMO_D(18, amomaxu.d, 1,           -1,                 1,           -1)
        TEST_AMO_D(19, amomaxu.d, MIN,         MAX,                MIN,         MIN)
        TEST_AMO_D(20, amomaxu.d, 0x100000000, 0xffffffff,         0x100000000, 0x100000000)

        # aq/rl bits.
        TEST_AMO_D(21, amoswap.d.aq,   0x11, 0x22, 0x11, 0x22)
        TEST_AMO_D(22, amoadd.d.rl,    0x11, 0x22, 0x11, 0x33)
        TEST_AMO_D(23, amoand.d.aqrl,  0x13, 0x31, 0x13, 0x11)
        TEST_AMO_D(24, amomin.d.aqrl,  -5,   3,    -5,   -5)

        # rd = x0.
        TEST_CASE(25, a4, 0x0000000100000003,
                la a0, amo_d; li a1, 0xffffffff; sd a1, 0(a0);
                li a1, 4; amoadd.d x0, a1, (a0);
                ld a4, 0(a0))
        # rd == rs2.
        TEST_CASE(26, a4, MIN,
                la a0, amo_d; li a1, MIN; sd a1, 0(a0);
                li a1, 0x12; amoswap.d a1, a1, (a0);
                ld a4, 0(a0); li t2, 0x12; CHECK_EQ(a4, t2);
                mv a4, a1)
        # rd == rs1.
        TEST_CASE(27, a4, 0x0000000000000009,
                la a0, amo_d; li a1, 4; sd a1, 0(a0);
                li a1, 5; amoadd.d a0, a1, (a0);
                li t2, 4; CHECK_EQ(a0, t2);
                la a0, amo_d; ld a4, 0(a0))

RVTEST_CODE_END

RVTEST_DATA_BEGIN
        .balign 8
amo_d:  .dword 0, 0, 0
RVTEST_DATA_END
