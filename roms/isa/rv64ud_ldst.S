# fld/fsd and their compressed forms c.fld/c.fsd/c.fldsp/c.fsdsp
# (unprivileged spec 20191213, 12.3, 16.3): 8 bytes move unchanged, NaN
# payloads included, without flags; a boxed single stored by fsd is just 64
# bits.

#include "harness.h"
#include "priv.h"

RVTEST_CODE_BEGIN
        ENABLE_FPU

TEST_START(1)
        la a1, ld_data
        .option push
        .option norvc                           # the 32-bit encodings here
        fld fa0, 0(a1)
        .option pop
        fmv.x.d a4, fa0
        CHECK_IMM(a4, 0x400921fb54442d18)

TEST_START(2)
        csrwi fflags, 0
        la a1, ld_data + 24
        fld fa0, -16(a1)                        # ld_data[1]: a signaling NaN
        fmv.x.d a4, fa0
        CHECK_IMM(a4, 0x7ff0000000012345)
        csrr a4, fflags
        CHECK_IMM(a4, 0)

TEST_START(3)
        la a1, st_data
        li a2, -1
        sd a2, 0(a1)
        sd a2, 8(a1)
        sd a2, 16(a1)
        li a2, 0xfff8000000000001
        fmv.d.x fa1, a2
        .option push
        .option norvc
        fsd fa1, 8(a1)
        .option pop
        ld a4, 8(a1)
        CHECK_IMM(a4, 0xfff8000000000001)
        ld a4, 0(a1)
        CHECK_IMM(a4, -1)
        ld a4, 16(a1)
        CHECK_IMM(a4, -1)

# A single in an f register is stored with its box.
TEST_START(4)
        la a1, st_data
        li a2, 0x3f800000
        fmv.w.x fa1, a2
        .option push
        .option norvc
        fsd fa1, 0(a1)
        .option pop
        ld a4, 0(a1)
        CHECK_IMM(a4, 0xffffffff3f800000)

# Compressed forms (registers fa0/fa1 and a1 are in the c.* range x8-x15).
TEST_START(5)
        .option push
        .option rvc
        la a1, ld_data
        c.fld fa0, 16(a1)
        fmv.x.d a4, fa0
        CHECK_IMM(a4, 0xc000000000000000)
        la a1, st_data
        c.fsd fa0, 8(a1)
        ld a4, 8(a1)
        CHECK_IMM(a4, 0xc000000000000000)
        .option pop

TEST_START(6)
        .option push
        .option rvc
        mv s0, sp
        la sp, st_data
        li a2, 0x0123456789abcdef
        fmv.d.x fa5, a2
        c.fsdsp fa5, 16(sp)
        c.fldsp fa4, 16(sp)
        ld a4, 16(sp)
        mv sp, s0
        .option pop
        CHECK_IMM(a4, 0x0123456789abcdef)
        fmv.x.d a4, fa4
        CHECK_IMM(a4, 0x0123456789abcdef)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
        .balign 8
ld_data:
        .dword 0x400921fb54442d18, 0x7ff0000000012345, 0xc000000000000000
st_data:
        .dword 0, 0, 0
RVTEST_DATA_END
