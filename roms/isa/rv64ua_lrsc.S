# RV64A load-reserved / store-conditional: LR.W/D, SC.W/D (unpriv spec 8.2).
#   - LR.W sign-extends the loaded word (like LW).
#   - SC writes 0 to rd on success, 1 on failure ("1 encodes an unspecified
#     failure; other codes are reserved"), and stores only on success.
#   - Every SC, successful or not, invalidates this hart's reservation.
#   - An SC must fail if its address is outside the reservation set of the
#     most recent LR; sets are implementation-defined but contain the word,
#     so the "other address" below is a page away.
# SC may fail spuriously, so cases that need a success use the constrained
# LR/SC loop of spec 8.3 (<= 16 integer instructions, no other memory ops),
# which is guaranteed to succeed eventually; a hart that never lets it
# succeed is caught by the run's timeout.
#include "harness.h"

# Constrained loop: mem[a0] = op(mem[a0]) with the old value in a4.
#define LRSC_LOOP(lr, sc, opcode...)                    \
        10030: lr a4, (a0);                             \
        opcode;                                         \
        sc a5, a1, (a0);                                \
        bnez a5, 10030b

RVTEST_CODE_BEGIN
        .option norvc

        # SC with no reservation at all (nothing since reset) fails, writes
        # 1 to rd, and leaves memory alone.
        TEST_CASE( 1, a5, 1,
                la a0, w0; li a1, 0x1234;
                sc.w a5, a1, (a0))
        TEST_CASE( 2, a4, 0x0000000011111111, la a0, w0; lw a4, 0(a0))

        # LR.W sign-extends; a paired SC.W succeeds and stores the low word.
        TEST_CASE( 3, a4, 0xffffffff80000000,
                la a0, w1;
                LRSC_LOOP(lr.w, sc.w, li a1, 0x1234567876543210))
        TEST_CASE( 4, a4, 0x0000000076543210, la a0, w1; lwu a4, 0(a0))
        TEST_CASE( 5, a4, 0x0000000055555555, la a0, w1; lwu a4, 4(a0)) /* neighbour untouched */

        # The successful SC consumed the reservation: a second SC fails.
        TEST_CASE( 6, a5, 1,
                la a0, w1; li a1, 0x99;
                sc.w a5, a1, (a0))
        TEST_CASE( 7, a4, 0x0000000076543210, la a0, w1; lwu a4, 0(a0))

        # A failed SC also invalidates the reservation.
        TEST_CASE( 8, a5, 1,
                la a0, w0; la a2, far;
                lr.w a4, (a0);
                li a1, 7; sc.w a5, a1, (a2);      /* other address: fails */
                sc.w a5, a1, (a0))                /* no reservation left: fails */

        # SC to an address outside the reservation set fails and stores
        # nothing there; the reserved word is untouched too.
        TEST_CASE( 9, a5, 1,
                la a0, w0; la a2, far;
                lr.w a4, (a0);
                li a1, 0x77; sc.w a5, a1, (a2))
        TEST_CASE(10, a4, 0x2222222222222222, la a2, far; ld a4, 0(a2))
        TEST_CASE(11, a4, 0x0000000011111111, la a0, w0; lwu a4, 0(a0))
        TEST_CASE(12, a5, 1,
                la a0, d0; la a2, far;
                lr.d a4, (a0);
                li a1, 0x77; sc.d a5, a1, (a2))

        # LR.D / SC.D move all 64 bits.
        TEST_CASE(13, a4, 0x8000000000000001,
                la a0, d0;
                LRSC_LOOP(lr.d, sc.d, li a1, 0x0123456789abcdef))
        TEST_CASE(14, a4, 0x0123456789abcdef, la a0, d0; ld a4, 0(a0))
        TEST_CASE(15, a5, 1, la a0, d0; li a1, 0; sc.d a5, a1, (a0))
        TEST_CASE(16, a4, 0x0123456789abcdef, la a0, d0; ld a4, 0(a0))

        # An atomic increment loop, run 10 times.
        TEST_CASE(17, a4, 10,
                la a0, cnt; li a3, 10;
                12: LRSC_LOOP(lr.d, sc.d, addi a1, a4, 1);
                addi a3, a3, -1; bnez a3, 12b;
                ld a4, 0(a0))

        # aq/rl bits change ordering only, not results (spec 8.2).
        TEST_CASE(18, a4, 0x0000000000000005,
                la a0, w2;
                LRSC_LOOP(lr.w.aq, sc.w.rl, addi a1, a4, 5);
                lw a4, 0(a0))
        TEST_CASE(19, a4, 0x0000000000000009,
                la a0, w2;
                LRSC_LOOP(lr.w.aqrl, sc.w.aqrl, addi a1, a4, 4);
                lw a4, 0(a0))
        TEST_CASE(20, a4, 0x0000000000000011,
                la a0, cnt;
                LRSC_LOOP(lr.d.aq, sc.d.rl, addi a1, a4, 7);
                ld a4, 0(a0))
        TEST_CASE(21, a4, 0x0000000000000019,
                la a0, cnt;
                LRSC_LOOP(lr.d.aqrl, sc.d.aqrl, addi a1, a4, 8);
                ld a4, 0(a0))

        # x0 as SC's rd: the store still happens.
        TEST_CASE(22, a4, 0x4444,
                la a0, w2;
                13: lr.w a4, (a0); li a1, 0x4444; sc.w x0, a1, (a0);
                lw a4, 0(a0); bne a4, a1, 13b)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
        .balign 8
w0:     .word 0x11111111, 0
w1:     .word 0x80000000, 0x55555555
w2:     .word 0, 0
d0:     .dword 0x8000000000000001
cnt:    .dword 0
        .balign 4096
far:    .dword 0x2222222222222222
RVTEST_DATA_END
