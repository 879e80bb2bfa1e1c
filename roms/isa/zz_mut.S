# mstatus.FS (privileged spec v1.12, 3.1.6.6): with FS=Off every F/D
# instruction and every access to fflags/frm/fcsr is illegal, in any mode;
# any change to the FP state (f registers or fcsr) makes FS Dirty, and SD
# (bit 63) is set whenever FS (or VS/XS) is Dirty.  sstatus shows both.

#include "harness.h"
#include "priv.h"

#define FS_OFF     0
#define FS_INITIAL 0x2000
#define FS_CLEAN   0x4000
#define FS_DIRTY   0x6000

/* Encodings as words so that mtval can be checked exactly. */
#define FADD_S    0x00b576d3            /* fadd.s  fa3, fa0, fa1 */
#define FLW       0x00052507            /* flw     fa0, 0(a0) */
#define FSW       0x00a5a227            /* fsw     fa0, 4(a1) */
#define FMV_X_W   0xe0050753            /* fmv.x.w a4, fa0 */
#define FMV_W_X   0xf00586d3            /* fmv.w.x fa3, a1 */
#define FRFLAGS   0x00102773            /* csrr    a4, fflags */
#define FRRM      0x00202773            /* csrr    a4, frm */
#define FSCSR     0x00359073            /* csrw    fcsr, a1 */
#define FLD       0x00853507            /* fld     fa0, 8(a0) */
#define C_FLD     0x2508                /* c.fld   fa0, 8(a0) */

#define SET_FS(v)                       \
        li t3, MSTATUS_FS;              \
        csrc mstatus, t3;               \
        li t3, v;                       \
        csrs mstatus, t3

/* With FS=Off, `insn` (a word) traps as illegal with mtval = insn. */
#define OFF_ILLEGAL(n, insn)            \
        TEST_START(n);                  \
        SET_FS(FS_OFF);                 \
        la a0, fs_data;                 \
        mv a1, a0;                      \
        ARM_TRAP(10070f, PRV_M);        \
        .word insn;                     \
        j hb_fail;                      \
10070:  CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, insn)

/* From FS=`from`, `code` must leave FS Dirty and SD set. */
#define MAKES_DIRTY(n, from, code...)   \
        TEST_START(n);                  \
        la a0, fs_data;                 \
        SET_FS(from);                   \
        code;                           \
        csrr a4, mstatus;               \
        CHECK_MASKED(a4, MSTATUS_FS | MSTATUS_SD, FS_DIRTY | MSTATUS_SD)

RVTEST_CODE_BEGIN
        ENABLE_FPU
        PRIV_INSTALL_HANDLERS

OFF_ILLEGAL(1, FADD_S)
OFF_ILLEGAL(2, FLW)
OFF_ILLEGAL(3, FSW)
OFF_ILLEGAL(4, FMV_X_W)
OFF_ILLEGAL(5, FMV_W_X)
OFF_ILLEGAL(6, FRFLAGS)
OFF_ILLEGAL(7, FRRM)
OFF_ILLEGAL(8, FSCSR)
OFF_ILLEGAL(9, FLD)

# A compressed FP load: mtval holds its 16 bits.
TEST_START(10)
        SET_FS(FS_OFF)
        la a0, fs_data
        ARM_TRAP(1f, PRV_M)
        .half C_FLD
        .half 0x0001                    # c.nop
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, C_FLD)

# FS=Off applies to S (and U) too; the trap goes to M.
TEST_START(11)
        SET_FS(FS_OFF)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      .word FADD_S
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, FADD_S)
        CHECK_MASKED(s6, MSTATUS_MPP, MSTATUS_MPP_S)

# --- SD follows FS: clear for Initial and Clean, set for Dirty.
TEST_START(12)
        SET_FS(FS_INITIAL)
        csrr a4, mstatus
        CHECK_MASKED(a4, MSTATUS_FS | MSTATUS_SD, FS_INITIAL)
        SET_FS(FS_CLEAN)
        csrr a4, mstatus
        CHECK_MASKED(a4, MSTATUS_FS | MSTATUS_SD,(FS_CLEAN)^(MSTATUS_FS | MSTATUS_SD))
        SET_FS(FS_DIRTY)
        csrr a4, mstatus
        CHECK_MASKED(a4, MSTATUS_FS | MSTATUS_SD, FS_DIRTY | MSTATUS_SD)

# --- Writes to FP state make FS Dirty.
MAKES_DIRTY(13, FS_INITIAL, flw fa0, 0(a0); flw fa1, 4(a0); SET_FS(FS_INITIAL); fadd.s fa3, fa0, fa1)
MAKES_DIRTY(14, FS_CLEAN, flw fa2, 0(a0))
MAKES_DIRTY(15, FS_CLEAN, fld fa2, 8(a0))
MAKES_DIRTY(16, FS_INITIAL, li a1, 0x3f800000; fmv.w.x fa3, a1)
MAKES_DIRTY(17, FS_CLEAN, csrwi fflags, 0)
MAKES_DIRTY(18, FS_CLEAN, csrwi frm, 1; csrwi frm, 0)
# (An instruction that changes only fflags, e.g. feq.s on a signaling NaN,
# must make FS Dirty too: that case is in priv_strict.S, as QEMU 7.2 misses
# it.)

# The sstatus view shows FS and SD.
TEST_START(19)
        SET_FS(FS_CLEAN)
        fmv.w.x fa3, zero
        csrr a4, sstatus
        CHECK_MASKED(a4, MSTATUS_FS | MSTATUS_SD, FS_DIRTY | MSTATUS_SD)

# In S-mode the same (FS is shared).
TEST_START(20)
        SET_FS(FS_INITIAL)
        ARM_TRAP(hb_fail, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      fadd.s fa3, fa0, fa0
        csrr a4, sstatus
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)
        CHECK_MASKED(a4, MSTATUS_FS | MSTATUS_SD, FS_DIRTY | MSTATUS_SD)

        RESET_TRAP_HANDLER
RVTEST_CODE_END

        PRIV_TRAP_HANDLERS

RVTEST_DATA_BEGIN
fs_data:
        .word 0x3f800000, 0x40000000
        .dword 0x3ff0000000000000
RVTEST_DATA_END
