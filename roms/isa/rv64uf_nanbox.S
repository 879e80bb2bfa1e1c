# NaN-boxing of single-precision values in the 64-bit f registers
# (unprivileged spec 20191213, 12.2): every single-precision write leaves
# the upper 32 bits all ones; single-precision operations read an operand
# whose upper bits are not all ones as the canonical NaN 0x7fc00000 (a quiet
# NaN: no NV by itself); fmv.x.w and fsw just move the low 32 bits.

#include "harness.h"
#include "priv.h"

#define NV FFLAG_NV
#define BOX        0xffffffff00000000
#define BOXED_ONE  0xffffffff3f800000
#define BOXED_MONE 0xffffffffbf800000
#define UNBOXED    0x000000003f800000   /* 1.0 without the box */
#define HALFBOXED  0xfffffffe3f800000   /* one upper bit clear */
#define CNAN       0x7fc00000

/* fa0 <- raw 64 bits, fa1 <- boxed -1.0; `code` leaves fa3; check fa3's
 * 64 bits and fflags. */
#define NB_FP(n, flags, result, raw, code...)   \
        TEST_START(n);                          \
        li a0, raw;                             \
        fmv.d.x fa0, a0;                        \
        li a0, BOXED_MONE;                      \
        fmv.d.x fa1, a0;                        \
        csrwi fflags, 0;                        \
        code;                                   \
        fmv.x.d a0, fa3;                        \
        li a2, result;                          \
        CHECK_EQ(a0, a2);                       \
        csrr a1, fflags;                        \
        li a2, flags;                           \
        CHECK_EQ(a1, a2)

/* Same, for an integer result left in a4. */
#define NB_INT(n, flags, result, raw, code...)  \
        TEST_START(n);                          \
        li a0, raw;                             \
        fmv.d.x fa0, a0;                        \
        li a0, BOXED_MONE;                      \
        fmv.d.x fa1, a0;                        \
        csrwi fflags, 0;                        \
        code;                                   \
        li a2, result;                          \
        CHECK_EQ(a4, a2);                       \
        csrr a1, fflags;                        \
        li a2, flags;                           \
        CHECK_EQ(a1, a2)

RVTEST_CODE_BEGIN
        ENABLE_FPU

# --- Single-precision writes box their result.
TEST_START(1)
        la a0, nb_data
        flw fa3, 0(a0)                  # 0x3f800000 in memory
        fmv.x.d a4, fa3
        CHECK_IMM(a4, BOXED_ONE)
        li a1, 0x12345678c0000000
        fmv.w.x fa3, a1
        fmv.x.d a4, fa3
        CHECK_IMM(a4, BOX | 0xc0000000)

NB_FP( 2, 0, BOX | 0x40000000, BOXED_ONE, fadd.s fa3, fa0, fa0)
NB_FP( 3, 0, BOX | 0x3f800000, BOXED_ONE, fsgnjx.s fa3, fa0, fa0)
NB_FP( 4, 0, BOX | 0xbf800000, BOXED_ONE, fmin.s fa3, fa0, fa1)
NB_FP( 5, 0, BOX | 0xc0a00000, BOXED_ONE, li a1, -5; fcvt.s.w fa3, a1)
NB_FP( 6, 0, BOX | 0x3f800000, 0x3ff0000000000000, fcvt.s.d fa3, fa0)

# --- An unboxed operand is the canonical NaN.
NB_FP( 7, 0,  BOX | CNAN, UNBOXED, fadd.s fa3, fa0, fa1)
NB_FP( 8, 0,  BOX | CNAN, HALFBOXED, fmul.s fa3, fa1, fa0)
NB_FP( 9, 0,  BOX | CNAN, UNBOXED, fsqrt.s fa3, fa0)
# Unboxed inf bits are a quiet NaN, not inf: NaN*0 raises nothing, where
# inf*0 would be invalid.
NB_FP(10, 0,  BOX | CNAN, 0x000000007f800000, fmv.w.x fa2, zero; fmadd.s fa3, fa0, fa2, fa1)
NB_FP(11, 0,  BOX | 0xbf800000, UNBOXED, fmin.s fa3, fa0, fa1)            # quiet: the number
# Sign injection reads the canonical NaN too, as magnitude or as sign.
NB_FP(12, 0,  BOX | 0xffc00000, UNBOXED, fsgnj.s fa3, fa0, fa1)
NB_FP(13, 0,  BOX | 0x3f800000, UNBOXED, fsgnj.s fa3, fa1, fa0)           # sign of +NaN: +
NB_FP(14, 0,  BOX | CNAN, HALFBOXED, fsgnjx.s fa3, fa0, fa0)
NB_FP(15, 0,  0x7ff8000000000000, UNBOXED, fcvt.d.s fa3, fa0)             # quiet: no NV
NB_INT(16, 0,  1 << 9, UNBOXED, fclass.s a4, fa0)                         # quiet NaN
NB_INT(17, 0,  0, UNBOXED, feq.s a4, fa0, fa0)
NB_INT(18, NV, 0, UNBOXED, fle.s a4, fa1, fa0)
NB_INT(19, NV, 0x7fffffff, UNBOXED, fcvt.w.s a4, fa0, rtz)

# --- Transfers out ignore the upper bits.
NB_INT(20, 0, 0x3f800000, UNBOXED, fmv.x.w a4, fa0)
NB_INT(21, 0, 0x3f800000, HALFBOXED, fmv.x.w a4, fa0)
TEST_START(22)
        li a0, UNBOXED
        fmv.d.x fa0, a0
        la a1, nb_data
        sw zero, 4(a1)
        fsw fa0, 4(a1)
        lwu a4, 4(a1)
        CHECK_IMM(a4, 0x3f800000)

# --- The D view of the same register: a boxed single is a quiet NaN.
NB_INT(23, 0, 1 << 9, BOXED_ONE, fclass.d a4, fa0)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
nb_data:
        .word 0x3f800000, 0
RVTEST_DATA_END
