# flw/fsw (unprivileged spec 20191213, 11.5): bits move unchanged (NaN
# payloads included, no flags), flw NaN-boxes the loaded value (12.2), fsw
# writes exactly 4 bytes; offsets are signed 12-bit.

#include "harness.h"
#include "priv.h"

RVTEST_CODE_BEGIN
        ENABLE_FPU

TEST_START(1)
        la a1, ld_data
        flw fa0, 0(a1)
        fmv.x.w a4, fa0
        CHECK_IMM(a4, 0xffffffffbf800000)
        fmv.x.d a4, fa0
        CHECK_IMM(a4, 0xffffffffbf800000)      # boxed

TEST_START(2)
        la a1, ld_data + 12
        flw fa0, -8(a1)                         # ld_data[1]
        fmv.x.w a4, fa0
        CHECK_IMM(a4, 0x40490fdb)

# A signaling NaN loads as is, raising nothing.
TEST_START(3)
        csrwi fflags, 0
        la a1, ld_data
        flw fa0, 8(a1)
        fmv.x.w a4, fa0
        CHECK_IMM(a4, 0x7f800001)
        csrr a4, fflags
        CHECK_IMM(a4, 0)

# fsw stores the 4 bytes and nothing around them.
TEST_START(4)
        la a1, st_data
        li a2, -1
        sd a2, 0(a1)
        sd a2, 8(a1)
        li a2, 0x7fc12345
        fmv.w.x fa1, a2
        fsw fa1, 4(a1)
        ld a4, 0(a1)
        CHECK_IMM(a4, 0x7fc12345ffffffff)
        ld a4, 8(a1)
        CHECK_IMM(a4, -1)

TEST_START(5)
        la a1, st_data + 16
        li a2, 0x00000001
        fmv.w.x fa1, a2
        fsw fa1, -16(a1)
        lwu a4, -16(a1)
        CHECK_IMM(a4, 1)
        lwu a4, -12(a1)
        CHECK_IMM(a4, 0x7fc12345)

# Round trip through a computed value.
TEST_START(6)
        la a1, ld_data
        flw fa0, 0(a1)                          # -1
        fadd.s fa2, fa0, fa0                    # -2
        la a2, st_data
        fsw fa2, 8(a2)
        flw fa3, 8(a2)
        fmv.x.w a4, fa3
        CHECK_IMM(a4, 0xffffffffc0000000)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
        .balign 8
ld_data:
        .word 0xbf800000, 0x40490fdb, 0x7f800001, 0
st_data:
        .dword 0, 0
RVTEST_DATA_END
