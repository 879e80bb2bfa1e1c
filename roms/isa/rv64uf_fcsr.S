# fcsr and its two views, fflags (bits 4:0) and frm (bits 7:5): accrual of
# the flags, the aliases, which bits exist, and invalid rounding modes.
# Unprivileged spec 20191213, 11.2 (fcsr; rm=101/110 reserved; dyn with an
# invalid frm is illegal; bits 31:8 read 0 and ignore writes), 9.1 (Zicsr).

#include "harness.h"
#include "priv.h"

#define NX FFLAG_NX
#define DZ FFLAG_DZ
#define NV FFLAG_NV

/* fadd.s fa3, fa0, fa1 with the rm field set to 5 and 6 (reserved), and
 * fcvt.w.s a4, fa0 with rm=6; as words so the encodings are exact. */
#define FADD_S_RM5  0x00b556d3
#define FADD_S_RM6  0x00b566d3
#define FADD_S_DYN  0x00b576d3
#define FCVT_W_RM6  0xc0056753

RVTEST_CODE_BEGIN
        ENABLE_FPU
        PRIV_INSTALL_HANDLERS
        la a0, fcsr_data
        flw fa0, 0(a0)                  # 1.0
        flw fa1, 4(a0)                  # 3.0
        flw fa2, 8(a0)                  # 0.0

# --- Flags accrue: a later operation ORs its flags in and never clears.
TEST_START(1)
        csrw fcsr, zero
        fdiv.s fa3, fa0, fa1            # 1/3: NX
        csrr a4, fflags
        CHECK_IMM(a4, NX)
        fdiv.s fa3, fa0, fa2            # 1/0: DZ
        csrr a4, fflags
        CHECK_IMM(a4, NX | DZ)
        fadd.s fa3, fa0, fa0            # exact
        csrr a4, fflags
        CHECK_IMM(a4, NX | DZ)

# --- fcsr = frm << 5 | fflags.
TEST_START(2)
        csrwi frm, 3
        csrr a4, fcsr
        CHECK_IMM(a4, (3 << 5) | NX | DZ)
        li a1, 0xff
        csrw fcsr, a1
        csrr a4, fflags
        CHECK_IMM(a4, 0x1f)
        csrr a4, frm
        CHECK_IMM(a4, 7)

# Writing fflags leaves frm alone and keeps only 5 bits ...
TEST_START(3)
        li a1, 2 << 5
        csrw fcsr, a1
        li a1, 0xff
        csrw fflags, a1
        csrr a4, fcsr
        CHECK_IMM(a4, (2 << 5) | 0x1f)
        csrr a4, fflags
        CHECK_IMM(a4, 0x1f)

# ... and writing frm leaves fflags alone and keeps only 3 bits.
TEST_START(4)
        li a1, 0x12
        csrw fcsr, a1
        li a1, 0xfd
        csrw frm, a1
        csrr a4, frm
        CHECK_IMM(a4, 5)
        csrr a4, fcsr
        CHECK_IMM(a4, (5 << 5) | 0x12)

# Bits 31:8 of fcsr read as zero and ignore writes.
TEST_START(5)
        li a1, 0xffffff00
        csrw fcsr, a1
        csrr a4, fcsr
        CHECK_IMM(a4, 0)
        li a1, -1
        csrw fcsr, a1
        csrr a4, fcsr
        CHECK_IMM(a4, 0xff)

# --- The read-modify-write forms on the views return the old value.
TEST_START(6)
        csrwi fcsr, 0
        csrrsi a4, fflags, NV
        CHECK_IMM(a4, 0)
        li a1, NX | DZ
        csrrs a4, fflags, a1
        CHECK_IMM(a4, NV)
        csrrci a4, fflags, DZ
        CHECK_IMM(a4, NV | NX | DZ)
        csrr a4, fflags
        CHECK_IMM(a4, NV | NX)
        li a1, 4
        csrrw a4, frm, a1               # fsrm
        CHECK_IMM(a4, 0)
        csrrwi a4, frm, 1
        CHECK_IMM(a4, 4)
        csrrw a4, fcsr, zero
        CHECK_IMM(a4, (1 << 5) | NV | NX)

# --- Reserved static rounding modes are illegal instructions.
TEST_START(7)
        ARM_TRAP(1f, PRV_M)
        .word FADD_S_RM5
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, FADD_S_RM5)

TEST_START(8)
        ARM_TRAP(1f, PRV_M)
        .word FADD_S_RM6
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, FADD_S_RM6)

TEST_START(9)
        ARM_TRAP(1f, PRV_M)
        .word FCVT_W_RM6
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, FCVT_W_RM6)

# --- rm=dyn with an invalid frm (5, 6, 7) is illegal ...
TEST_START(10)
        csrwi frm, 5
        ARM_TRAP(1f, PRV_M)
        .word FADD_S_DYN
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, FADD_S_DYN)
        csrwi frm, 7
        ARM_TRAP(2f, PRV_M)
        fmul.s fa3, fa0, fa1
        j hb_fail
2:      CHECK_TRAP(CAUSE_ILLEGAL, PRV_M)
        csrwi frm, 6
        ARM_TRAP(3f, PRV_M)
        fcvt.s.w fa3, a1
        j hb_fail
3:      CHECK_TRAP(CAUSE_ILLEGAL, PRV_M)

# ... but instructions without a rounding mode do not care, nor does a
# static mode, nor reading frm.
TEST_START(11)
        csrwi frm, 7
        ARM_TRAP(hb_fail, PRV_M)
        fsgnj.s fa3, fa0, fa1
        fmin.s fa3, fa0, fa1
        feq.s a4, fa0, fa1
        fmv.x.w a4, fa0
        fclass.s a4, fa0
        fadd.s fa3, fa0, fa1, rne
        csrr a4, frm
        CHECK_NO_TRAP
        CHECK_IMM(a4, 7)
        csrwi frm, 0

        RESET_TRAP_HANDLER
RVTEST_CODE_END

        PRIV_TRAP_HANDLERS

RVTEST_DATA_BEGIN
fcsr_data:
        .word 0x3f800000, 0x40400000, 0x00000000
RVTEST_DATA_END
