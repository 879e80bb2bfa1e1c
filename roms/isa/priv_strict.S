# Spec points that QEMU 7.2 gets wrong, kept apart so that the other priv_*
# files pass on QEMU while Hartbox is still held to the spec.  Each case
# says what QEMU 7.2 does instead; on QEMU this file fails at case 1.
#
# Privileged spec v1.12 and unprivileged spec 20191213 sections as cited.

#include "harness.h"
#include "priv.h"

#define UNMAPPED 0x100000000

#define MISALIGNED_ATOMIC(n, off, code...)      \
        TEST_START(n);                          \
        la a2, strict_buf;                      \
        li a1, 0x5555555555555555;              \
        sd a1, 0(a2);                           \
        sd a1, 8(a2);                           \
        addi a3, a2, off;                       \
        li a1, 1;                               \
        ARM_TRAP(10050f, PRV_M);                \
        code;                                   \
        j hb_fail;                              \
10050:  CHECK_TRAP(CAUSE_MISALIGNED_STORE, PRV_M); \
        CHECK_EQ(s10, a3);                      \
        ld a4, 0(a2);                           \
        CHECK_IMM(a4, 0x5555555555555555);      \
        ld a4, 8(a2);                           \
        CHECK_IMM(a4, 0x5555555555555555)

RVTEST_CODE_BEGIN
        PRIV_INSTALL_HANDLERS

# --- mepc[0] and sepc[0] always read 0 (priv 3.1.14, 4.1.7); with C,
# bit 1 is kept.  QEMU 7.2 stores and returns bit 0.
TEST_START(1)
        li t3, 0x80001237
        csrw mepc, t3
        csrr a0, mepc
        CHECK_IMM(a0, 0x80001236)

TEST_START(2)
        li t3, 0x80001237
        csrw sepc, t3
        csrr a0, sepc
        CHECK_IMM(a0, 0x80001236)

# --- mstatus.MPP is WARL over M, S, U (priv 3.1.6.1): 2 is not a legal
# value and must not read back.  QEMU 7.2 keeps 2.
TEST_START(3)
        li t3, MSTATUS_MPP
        csrc mstatus, t3
        li t3, 0x1000                   # MPP = 2
        csrs mstatus, t3
        csrr a0, mstatus
        li t3, MSTATUS_MPP
        csrc mstatus, t3
        srli a0, a0, 11
        andi a0, a0, 3
        li t3, 2
        beq a0, t3, hb_fail

# --- csrrs/csrrc with rs1 != x0 always write, even a zero value (unpriv
# 9.1), so on a read-only CSR they are illegal (priv 2.1).  QEMU 7.2 looks at
# the value, not at rs1, and lets them through.
TEST_START(4)
        li a1, 0
        ARM_TRAP(1f, PRV_M)
        csrrs a0, mvendorid, a1
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0xf115a573)

TEST_START(5)
        li a1, 0
        ARM_TRAP(1f, PRV_M)
        csrrc a0, cycle, a1
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0xc005b573)

# --- An mret or sret that leaves M clears MPRV (priv 3.1.6.3, new in
# v1.12).  QEMU 7.2 leaves MPRV set.
TEST_START(6)
        li t3, MSTATUS_MPRV
        csrs mstatus, t3
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      ecall
        j hb_fail
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)
        CHECK_MASKED(s6, MSTATUS_MPRV, 0)

TEST_START(7)
        li t3, MSTATUS_MPRV
        csrs mstatus, t3
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_U, 2f)
2:      ecall
        j hb_fail
1:      CHECK_TRAP(CAUSE_ECALL_U, PRV_M)
        CHECK_MASKED(s6, MSTATUS_MPRV, 0)

TEST_START(8)
        li t3, MSTATUS_MPRV | MSTATUS_SPP
        csrs mstatus, t3
        la t3, 2f
        csrw sepc, t3
        ARM_TRAP(1f, PRV_M)
        sret                            # from M, to S
        j hb_fail
2:      ecall
        j hb_fail
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)
        CHECK_MASKED(s6, MSTATUS_MPRV, 0)

# --- instret: "a value written to instret by one instruction will be the
# value read by the following instruction" (unpriv 9.1), and it counts
# retired instructions one by one (unpriv 10.1).  QEMU 7.2 without -icount
# counts host clock ticks.
TEST_START(9)
        li a1, 0x0000010000000000
        csrw minstret, a1
        csrr a0, minstret
        CHECK_EQ(a0, a1)

TEST_START(10)
        csrr a0, instret
        .rept 10
        nop
        .endr
        csrr a1, instret
        sub a2, a1, a0
        CHECK_IMM(a2, 11)               # the first csrr and the ten nops

# --- SC and AMOs must be naturally aligned, and their misaligned trap is
# the store/AMO one, cause 6 (unpriv 8.2, 8.4; priv 3.1.15), with memory
# untouched.  QEMU 7.2 lets a misaligned SC without a matching reservation
# fail quietly (rd=1) and reports misaligned AMOs as loads (cause 4).

MISALIGNED_ATOMIC(11, 2, sc.w a4, a1, (a3))
MISALIGNED_ATOMIC(12, 4, sc.d a4, a1, (a3))
MISALIGNED_ATOMIC(13, 2, lr.w a4, (a2); sc.w a4, a1, (a3))
MISALIGNED_ATOMIC(14, 2, amoadd.w a4, a1, (a3))
MISALIGNED_ATOMIC(15, 4, amoswap.d a4, a1, (a3))
MISALIGNED_ATOMIC(16, 1, amoor.w a4, a1, (a3))
MISALIGNED_ATOMIC(17, 6, amomaxu.d a4, a1, (a3))

# --- An AMO where nothing is mapped is a store/AMO access fault, cause 7
# (priv 3.1.15).  QEMU 7.2 reports a load access fault.
TEST_START(18)
        li a3, UNMAPPED + 0x20
        ARM_TRAP(1f, PRV_M)
        amoadd.d a4, a1, (a3)
        j hb_fail
1:      CHECK_TRAP(CAUSE_STORE_ACCESS, PRV_M)
        CHECK_EQ(s10, a3)

# --- An instruction that changes only fflags changes FP state, so FS
# becomes Dirty (priv 3.1.6.6: FS covers f0-f31 and fcsr).  QEMU 7.2 marks
# FS Dirty only when an f register or an FP CSR is written.
TEST_START(19)
        ENABLE_FPU
        li a1, 0x7f800001               # fa2 <- sNaN
        fmv.w.x fa2, a1
        fmv.w.x fa0, zero
        csrwi fflags, 0
        li t3, MSTATUS_FS
        csrc mstatus, t3
        li t3, MSTATUS_FS_CLEAN
        csrs mstatus, t3
        feq.s a4, fa0, fa2              # sets NV
        csrr a0, mstatus
        CHECK_MASKED(a0, MSTATUS_FS | MSTATUS_SD, MSTATUS_FS_DIRTY | MSTATUS_SD)
        csrr a1, fflags
        CHECK_IMM(a1, FFLAG_NV)

        RESET_TRAP_HANDLER
RVTEST_CODE_END

        PRIV_TRAP_HANDLERS

RVTEST_DATA_BEGIN
        .balign 16
strict_buf:
        .dword 0, 0
RVTEST_DATA_END
