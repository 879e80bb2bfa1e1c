# Exception delegation to S-mode with medeleg: which bits exist, where a
# delegated trap lands and what it writes (scause/sepc/stval/sstatus), and
# that delegation never sends a trap to a less privileged mode.
# (Interrupt delegation with mideleg is in priv_interrupts.S.)
# Privileged spec v1.12, 3.1.8 (medeleg/mideleg), 4.1.1 (sstatus),
# 4.1.7-4.1.9 (sepc, scause, stval).

#include "harness.h"
#include "priv.h"

/* The exceptions an OS delegates: causes 0-8, 12, 13, 15 (table 3.6). */
#define DELEGABLE 0xb1ff

RVTEST_CODE_BEGIN
        PRIV_INSTALL_HANDLERS

# --- medeleg is WARL; the exceptions S can see must be delegable.
TEST_START(1)
        li t3, -1
        csrw medeleg, t3
        csrr a0, medeleg
        csrw medeleg, zero
        CHECK_MASKED(a0, DELEGABLE, DELEGABLE)
        csrr a0, medeleg
        CHECK_IMM(a0, 0)

# mideleg: SSIP/STIP/SEIP are delegable.  M-level interrupts never go to S
# (3.1.8), and their bits read 0 (a choice Spike and QEMU make too).
TEST_START(2)
        li t3, -1
        csrw mideleg, t3
        csrr a0, mideleg
        csrw mideleg, zero
        CHECK_MASKED(a0, MIP_SSIP | MIP_STIP | MIP_SEIP, MIP_SSIP | MIP_STIP | MIP_SEIP)
        CHECK_MASKED(a0, MIP_MSIP | MIP_MTIP | MIP_MEIP, 0)

# --- ecall from U delegated: lands in S with scause=8, sepc=the ecall,
# stval=0; SPP <- U, SPIE <- SIE, SIE <- 0 (4.1.1).
TEST_START(3)
        li t3, 1 << CAUSE_ECALL_U
        csrw medeleg, t3
        csrsi mstatus, MSTATUS_SIE      # sie is 0: nothing can interrupt
        ARM_TRAP(1f, PRV_S)
        GOTO_MODE(PRV_U, 2f)
2:
deleg_ecall_u:
        ecall
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ECALL_U, PRV_S, 0)
        la t3, deleg_ecall_u
        CHECK_EQ(s11, t3)
        CHECK_MASKED(s6, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPIE)
        RETURN_TO_M(3f)                 # ecall from S: not delegated
3:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)
        csrw medeleg, zero

# --- ecall from S delegated: scause 9, SPP <- S.
TEST_START(4)
        li t3, 1 << CAUSE_ECALL_S
        csrw medeleg, t3
        ARM_TRAP(1f, PRV_S)
        GOTO_MODE(PRV_S, 2f)
2:      csrci sstatus, MSTATUS_SIE
deleg_ecall_s:
        ecall
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ECALL_S, PRV_S, 0)
        la t3, deleg_ecall_s
        CHECK_EQ(s11, t3)
        CHECK_MASKED(s6, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPP)
        # ecall would be delegated again; an M-level CSR access from S is
        # an undelegated illegal instruction, which takes us back to M.
        ARM_TRAP(3f, PRV_M)
        csrw medeleg, zero
        j hb_fail
3:      CHECK_TRAP(CAUSE_ILLEGAL, PRV_M)
        CHECK_MASKED(s6, MSTATUS_MPP, MSTATUS_MPP_S)
        csrw medeleg, zero

# --- Delegated illegal instruction from U: stval = the instruction bits,
# as mtval would hold them (4.1.9).
TEST_START(5)
        li t3, 1 << CAUSE_ILLEGAL
        csrw medeleg, t3
        ARM_TRAP(1f, PRV_S)
        GOTO_MODE(PRV_U, 2f)
2:      csrr a0, sscratch
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_S, 0x14002573)
        CHECK_MASKED(s6, MSTATUS_SPP, 0)
        RETURN_TO_M(3f)
3:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)
        csrw medeleg, zero

# --- Not delegated: the same illegal instruction from U goes to M.
TEST_START(6)
        csrw medeleg, zero
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_U, 2f)
2:      csrr a0, sscratch
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x14002573)

# --- Delegated breakpoint from S.
TEST_START(7)
        li t3, 1 << CAUSE_BREAKPOINT
        csrw medeleg, t3
        ARM_TRAP(1f, PRV_S)
        GOTO_MODE(PRV_S, 2f)
2:
deleg_ebreak_s:
        ebreak
        j hb_fail
1:      CHECK_TRAP(CAUSE_BREAKPOINT, PRV_S)
        la t3, deleg_ebreak_s
        CHECK_EQ(s11, t3)
        RETURN_TO_M(3f)
3:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)

# --- Traps taken in M are never delegated (3.1.8): an illegal instruction
# and a breakpoint in M stay in M even with their medeleg bits set.
TEST_START(8)
        li t3, (1 << CAUSE_ILLEGAL) | (1 << CAUSE_BREAKPOINT)
        csrw medeleg, t3
        ARM_TRAP(1f, PRV_M)
        csrr a0, 0x7c0
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x7c002573)
        ARM_TRAP(2f, PRV_M)
        ebreak
        j hb_fail
2:      CHECK_TRAP(CAUSE_BREAKPOINT, PRV_M)

# Same for ecall from M, whatever medeleg[11] holds.
TEST_START(9)
        li t3, -1
        csrw medeleg, t3
        ARM_TRAP(1f, PRV_M)
        ecall
        j hb_fail
1:      CHECK_TRAP(CAUSE_ECALL_M, PRV_M)
        csrw medeleg, zero

# --- S-level trap CSRs are plain read/write for S (4.1.7-4.1.9).
TEST_START(10)
        ARM_TRAP(hb_fail, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      li a0, 0x80001000
        csrw sepc, a0
        csrr a1, sepc
        li a2, 0x0ff0
        csrw stval, a2
        csrr a3, stval
        li a4, CAUSE_LOAD_PAGE_FAULT
        csrw scause, a4
        csrr a5, scause
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)
        CHECK_EQ(a1, a0)
        CHECK_EQ(a3, a2)
        CHECK_EQ(a5, a4)

        RESET_TRAP_HANDLER
RVTEST_CODE_END

        PRIV_TRAP_HANDLERS

RVTEST_DATA_BEGIN
RVTEST_DATA_END
