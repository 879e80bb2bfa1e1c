# Interrupts, with the supervisor software interrupt (SSIP) that M-mode can
# raise by writing mip: when it is taken and by which level (global enables,
# mideleg), direct and vectored mtvec/stvec, the sip/sie views, and wfi
# with a pending interrupt.
# Privileged spec v1.12, 3.1.6.1 (global enables), 3.1.7 (mtvec), 3.1.8
# (mideleg), 3.1.9 (mip/mie), 3.3.3 (wfi), 4.1.2 (stvec), 4.1.3 (sip/sie).
#
# 3.1.9: the trap conditions are evaluated "immediately following the
# execution of an xRET instruction or an explicit write to a CSR on which
# these interrupt trap conditions expressly depend", so xepc is exactly the
# instruction after the enabling write (or the xRET's target).

#include "harness.h"
#include "priv.h"

#define IRQ_SSI (INTR_BIT | IRQ_S_SOFT)

RVTEST_CODE_BEGIN
        PRIV_INSTALL_HANDLERS

# --- mip.SSIP is writable by M (3.1.9); sip shows it only when delegated
# (4.1.3: bits of undelegated interrupts read as zero in sip).
TEST_START(1)
        csrsi mip, MIP_SSIP
        csrr a0, mip
        csrr a1, sip
        csrw mideleg, MIP_SSIP
        csrr a2, sip
        csrw mideleg, zero
        csrci mip, MIP_SSIP
        csrr a3, mip
        CHECK_MASKED(a0, MIP_SSIP, MIP_SSIP)
        CHECK_MASKED(a1, MIP_SSIP, 0)
        CHECK_MASKED(a2, MIP_SSIP, MIP_SSIP)
        CHECK_MASKED(a3, MIP_SSIP, 0)

# mie.SSIE likewise, and sie.SSIE mirrors it only when delegated.
TEST_START(2)
        csrsi mie, MIP_SSIP
        csrr a0, mie
        csrr a1, sie
        csrw mideleg, MIP_SSIP
        csrr a2, sie
        csrw mideleg, zero
        csrci mie, MIP_SSIP
        CHECK_MASKED(a0, MIP_SSIP, MIP_SSIP)
        CHECK_MASKED(a1, MIP_SSIP, 0)
        CHECK_MASKED(a2, MIP_SSIP, MIP_SSIP)

# --- In M with MIE=0 a pending, enabled interrupt waits; setting MIE takes
# it at once, in direct mode at BASE.
TEST_START(3)
        ARM_INTERRUPT
        csrsi mie, MIP_SSIP
        csrsi mip, MIP_SSIP
        nop
        CHECK_NO_TRAP
        csrsi mstatus, MSTATUS_MIE
irq_m_direct:
        nop
        CHECK_TRAP(IRQ_SSI, PRV_M)
        CHECK_IMM(s2, -1)
        la t3, irq_m_direct
        CHECK_EQ(s11, t3)
        CHECK_MASKED(s6, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP, MSTATUS_MPIE | MSTATUS_MPP_M)
        csrr a0, mip                    # the handler cleared it
        CHECK_MASKED(a0, MIP_SSIP, 0)

# --- Vectored mtvec: the interrupt goes to BASE + 4*cause (3.1.7).
TEST_START(4)
        la t3, priv_mvec
        ori t3, t3, 1
        csrw mtvec, t3
        ARM_INTERRUPT
        csrsi mip, MIP_SSIP             # MIE and SSIE still set
irq_m_vec:
        nop
        la t3, priv_mtrap
        csrw mtvec, t3
        CHECK_TRAP(IRQ_SSI, PRV_M)
        CHECK_IMM(s2, IRQ_S_SOFT)
        la t3, irq_m_vec
        CHECK_EQ(s11, t3)
        csrci mstatus, MSTATUS_MIE

# mie.SSIE=0 masks it even with MIE=1.
TEST_START(5)
        csrci mie, MIP_SSIP
        csrsi mstatus, MSTATUS_MIE
        ARM_INTERRUPT
        csrsi mip, MIP_SSIP
        nop
        CHECK_NO_TRAP
        csrci mstatus, MSTATUS_MIE
        csrci mip, MIP_SSIP

# --- Undelegated, the interrupt preempts S even with mstatus.MIE=0: M-level
# interrupts are always enabled below M (3.1.6.1).  It is taken right after
# the mret that enters S.
TEST_START(6)
        csrsi mie, MIP_SSIP
        csrsi mip, MIP_SSIP             # MIE=0: waits in M
        ARM_INTERRUPT
        GOTO_MODE(PRV_S, irq_s_entry)
irq_s_entry:
        nop
        CHECK_TRAP(IRQ_SSI, PRV_M)
        la t3, irq_s_entry
        CHECK_EQ(s11, t3)
        CHECK_MASKED(s6, MSTATUS_MPP, MSTATUS_MPP_S)
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)

# --- Delegated to S: never taken in M, even with MIE=1 (3.1.6.1: an
# interrupt delegated to a lower level is disabled in a higher one).
TEST_START(7)
        csrw mideleg, MIP_SSIP
        csrsi mstatus, MSTATUS_MIE | MSTATUS_SIE
        ARM_INTERRUPT
        csrsi mip, MIP_SSIP
        nop
        CHECK_NO_TRAP
        csrci mstatus, MSTATUS_MIE | MSTATUS_SIE

# In S with SIE=0 it waits; setting SIE takes it to stvec.
TEST_START(8)
        ARM_INTERRUPT
        GOTO_MODE(PRV_S, 2f)
2:      nop
        CHECK_NO_TRAP
        csrsi sstatus, MSTATUS_SIE
irq_deleg_s:
        nop
        CHECK_TRAP(IRQ_SSI, PRV_S)
        CHECK_IMM(s2, -1)
        la t3, irq_deleg_s
        CHECK_EQ(s11, t3)
        CHECK_MASKED(s6, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE, MSTATUS_SPP | MSTATUS_SPIE)
        csrr a0, sip
        CHECK_MASKED(a0, MIP_SSIP, 0)
        csrci sstatus, MSTATUS_SIE

# S may raise it itself through sip (4.1.3), here with stvec vectored.
TEST_START(9)
        la t3, priv_svec
        ori t3, t3, 1
        csrw stvec, t3
        csrsi sstatus, MSTATUS_SIE
        ARM_INTERRUPT
        csrsi sip, MIP_SSIP
irq_deleg_svec:
        nop
        CHECK_TRAP(IRQ_SSI, PRV_S)
        CHECK_IMM(s2, IRQ_S_SOFT)
        la t3, irq_deleg_svec
        CHECK_EQ(s11, t3)
        la t3, priv_strap
        csrw stvec, t3
        csrci sstatus, MSTATUS_SIE

# --- wfi in S (TW=0) with a pending, locally enabled interrupt returns even
# though SIE=0 keeps it from being taken (3.3.3).
TEST_START(10)
        ARM_INTERRUPT
        csrsi sip, MIP_SSIP
        wfi
        nop
        CHECK_NO_TRAP
        csrci sip, MIP_SSIP
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)

# --- Delegated, in U: taken to S even with SIE=0 (below S, S-level
# interrupts are always enabled), with SPP=U.
TEST_START(11)
        csrci mstatus, MSTATUS_SIE
        csrsi mip, MIP_SSIP             # delegated: waits in M
        ARM_INTERRUPT
        GOTO_MODE(PRV_U, irq_u_entry)
irq_u_entry:
        nop
        CHECK_TRAP(IRQ_SSI, PRV_S)
        la t3, irq_u_entry
        CHECK_EQ(s11, t3)
        CHECK_MASKED(s6, MSTATUS_SPP | MSTATUS_SPIE, 0)
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_U, PRV_M)

# sie.SSIE=0 masks it in U too.
TEST_START(12)
        csrci mie, MIP_SSIP
        csrsi mip, MIP_SSIP
        ARM_INTERRUPT
        GOTO_MODE(PRV_U, 2f)
2:      nop
        nop
        CHECK_NO_TRAP
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_U, PRV_M)
        csrci mip, MIP_SSIP
        csrw mideleg, zero

# --- wfi in M with MIE=0 and a pending, enabled interrupt returns at once
# without trapping (3.3.3).
TEST_START(13)
        csrci mstatus, MSTATUS_MIE      # the mret back from U set it
        csrsi mie, MIP_SSIP
        csrsi mip, MIP_SSIP
        ARM_INTERRUPT
        wfi
        nop
        CHECK_NO_TRAP
        csrci mip, MIP_SSIP
        csrci mie, MIP_SSIP

        RESET_TRAP_HANDLER
RVTEST_CODE_END

        PRIV_TRAP_HANDLERS

RVTEST_DATA_BEGIN
RVTEST_DATA_END
