# RV64I stores: SB SH SW SD (unpriv spec 2.6, 5.3).  A store writes the low
# 1/2/4/8 bytes of rs2, little-endian, and no other byte.
#include "harness.h"

#define FILL 0x1111111111111111

# Fills buf[0..23] with FILL, stores `val` with `st` at buf+8+off, then checks
# the three dwords: the middle one must equal `expect`, the outer ones FILL.
#define TEST_STORE(n, st, val, off, expect)                     \
        TEST_START(n);                                          \
        la a2, buf;                                             \
        li a3, FILL;                                            \
        sd a3, 0(a2); sd a3, 8(a2); sd a3, 16(a2);              \
        li a1, val;                                             \
        addi a2, a2, 8;                                         \
        st a1, off(a2);                                         \
        ld a4, -8(a2); CHECK_EQ(a4, a3);                        \
        ld a4, 8(a2);  CHECK_EQ(a4, a3);                        \
        ld a4, 0(a2);  li t2, expect; CHECK_EQ(a4, t2)

RVTEST_CODE_BEGIN
        .option norvc

        # SB: low byte of rs2 at each byte position.
        TEST_STORE( 1, sb, 0x123456789abcdef0, 0, 0x11111111111111f0)
        TEST_STORE( 2, sb, 0xffffffffffffffaa, 1, 0x111111111111aa11)
        TEST_STORE( 3, sb, 0x0000000000000000, 3, 0x1111111100111111)
        TEST_STORE( 4, sb, 0x0000000000000080, 7, 0x8011111111111111)
        # SH.
        TEST_STORE( 5, sh, 0x123456789abcdef0, 0, 0x111111111111def0)
        TEST_STORE( 6, sh, 0xffffffffffffbeef, 2, 0x11111111beef1111)
        TEST_STORE( 7, sh, 0x0000000000008000, 6, 0x8000111111111111)
        # SW.
        TEST_STORE( 8, sw, 0x123456789abcdef0, 0, 0x111111119abcdef0)
        TEST_STORE( 9, sw, 0x00000000deadbeef, 4, 0xdeadbeef11111111)
        # SD.
        TEST_STORE(10, sd, 0x123456789abcdef0, 0, 0x123456789abcdef0)
        TEST_STORE(11, sd, 0xffffffffffffffff, 0, 0xffffffffffffffff)
        # Negative offsets and the offset extremes: address = rs1 + sext(imm).
        TEST_START(12);
        la a2, buf; li a3, FILL; sd a3, 8(a2);
        addi a2, a2, 16;
        li a1, 0x55; sb a1, -6(a2);              /* buf + 10 */
        la a2, buf; ld a4, 8(a2); li t2, 0x1111111111551111; CHECK_EQ(a4, t2)
        TEST_START(13);
        la a2, buf; li a3, FILL; sd a3, 8(a2);
        addi a2, a2, 2047; addi a2, a2, 1 + 8;   /* a2 = buf + 8 + 2048 */
        li a1, 0x77; sb a1, -2048(a2);
        la a2, buf; ld a4, 8(a2); li t2, 0x1111111111111177; CHECK_EQ(a4, t2)
        TEST_START(14);
        la a2, buf; li a3, FILL; sd a3, 8(a2);
        addi a2, a2, -2047 + 8 + 4;              /* a2 = buf + 12 - 2047 */
        li a1, 0xcafe; sh a1, 2047(a2);          /* odd offset, even address */
        la a2, buf; ld a4, 8(a2); li t2, 0x1111cafe11111111; CHECK_EQ(a4, t2)
        # x0 as the source stores zero (unpriv spec 2.1).
        TEST_STORE(15, sd, 0, 0, 0)
        TEST_START(16);
        la a2, buf; li a3, FILL; sd a3, 8(a2);
        sw x0, 12(a2); ld a4, 8(a2); li t2, 0x0000000011111111; CHECK_EQ(a4, t2)

        # Store then load back with the load's own extension rule.
        TEST_ST_OP(17, lb,  sb, 0xffffffffffffff80, 0, buf)
        TEST_ST_OP(18, lbu, sb, 0x0000000000000080, 1, buf)
        TEST_ST_OP(19, lh,  sh, 0xffffffffffff8001, 2, buf)
        TEST_ST_OP(20, lhu, sh, 0x0000000000008001, 4, buf)
        TEST_ST_OP(21, lw,  sw, 0xffffffff80000001, 8, buf)
        TEST_ST_OP(22, lwu, sw, 0x0000000080000001, 12, buf)
        TEST_ST_OP(23, ld,  sd, 0x8000000000000001, 16, buf)

        # Base and data in the same register: stores the address itself.
        TEST_START(24);
        la a2, buf; sd a2, 0(a2); ld a4, 0(a2); CHECK_EQ(a4, a2)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
        .balign 8
buf:    .dword 0, 0, 0
RVTEST_DATA_END
