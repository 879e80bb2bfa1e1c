# mstatus and sstatus: fields, the sstatus view, what trap entry, mret and
# sret do to the stack of privilege and interrupt-enable bits, and the
# TSR/TW/TVM traps.  Privileged spec v1.12, 3.1.6 (mstatus), 3.1.6.1-3.1.6.5,
# 3.3.2 (xRET), 3.3.3 (WFI), 4.1.1 (sstatus).

#include "harness.h"
#include "priv.h"

#define MSTATUS_M_ONLY (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR)
#define XIE_STACK (MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP)

RVTEST_CODE_BEGIN
        PRIV_INSTALL_HANDLERS

# --- RV64: UXL and SXL read 2 (XLEN=64 in U and S, 3.1.6.2).
TEST_START(1)
        CHECK_CSR_MASKED(mstatus, MSTATUS_UXL | MSTATUS_SXL, 0xa00000000)
        CHECK_CSR_MASKED(sstatus, MSTATUS_UXL, 0x200000000)

# --- Trap entry (3.1.6.1): MPIE <- MIE, MIE <- 0, MPP <- old privilege.
# mie is zero, so MIE=1 lets no interrupt in.
TEST_START(2)
        csrsi mstatus, MSTATUS_MIE
        ARM_TRAP(1f, PRV_M)
        ecall
        j hb_fail
1:      CHECK_TRAP(CAUSE_ECALL_M, PRV_M)
        CHECK_MASKED(s6, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP, MSTATUS_MPIE | MSTATUS_MPP_M)
# ... and the handler's mret (to M) undid it: MIE <- MPIE = 1, MPIE <- 1,
# MPP <- U, the least-privileged mode (3.3.2).
        CHECK_CSR_MASKED(mstatus, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP, MSTATUS_MIE | MSTATUS_MPIE)
        csrci mstatus, MSTATUS_MIE

# --- mret with MPIE=0 turns MIE off and sets MPIE.
TEST_START(3)
        li t3, MSTATUS_MPIE
        csrc mstatus, t3
        csrsi mstatus, MSTATUS_MIE
        li t3, MSTATUS_MPP
        csrs mstatus, t3
        la t3, 1f
        csrw mepc, t3
        mret
        j hb_fail
1:      CHECK_CSR_MASKED(mstatus, MSTATUS_MIE | MSTATUS_MPIE | MSTATUS_MPP, MSTATUS_MPIE)

# --- mret to S: the hart is in S (an ecall says 9) and MPP <- U (3.3.2).
# (That MPRV is cleared too is checked in priv_strict.S.)
TEST_START(4)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      ecall
        j hb_fail
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)
        CHECK_MASKED(s6, MSTATUS_MPP, MSTATUS_MPP_S)

# mret to U likewise.
TEST_START(5)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_U, 2f)
2:      ecall
        j hb_fail
1:      CHECK_TRAP(CAUSE_ECALL_U, PRV_M)
        CHECK_MASKED(s6, MSTATUS_MPP, 0)

# mret to M keeps MPRV.
TEST_START(6)
        li t3, MSTATUS_MPRV
        csrs mstatus, t3
        li t3, MSTATUS_MPP
        csrs mstatus, t3
        la t3, 1f
        csrw mepc, t3
        mret
        j hb_fail
1:      CHECK_CSR_MASKED(mstatus, MSTATUS_MPRV | MSTATUS_MPP, MSTATUS_MPRV)
        li t3, MSTATUS_MPRV
        csrc mstatus, t3

# --- sret from S to U: SIE <- SPIE, SPIE <- 1, SPP <- U (3.3.2).
TEST_START(7)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      li t3, MSTATUS_SPP | MSTATUS_SIE
        csrc sstatus, t3
        li t3, MSTATUS_SPIE
        csrs sstatus, t3
        la t3, 3f
        csrw sepc, t3
        sret
        j hb_fail
3:      ecall                           # from U
        j hb_fail
1:      CHECK_TRAP(CAUSE_ECALL_U, PRV_M)
        CHECK_MASKED(s6, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP, MSTATUS_SIE | MSTATUS_SPIE)
        csrci mstatus, MSTATUS_SIE

# sret with SPP=S and SPIE=0 stays in S, clears SIE, sets SPIE, SPP <- U.
TEST_START(8)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      li t3, MSTATUS_SPP
        csrs sstatus, t3
        csrsi sstatus, MSTATUS_SIE
        li t3, MSTATUS_SPIE
        csrc sstatus, t3
        la t3, 3f
        csrw sepc, t3
        sret
        j hb_fail
3:      csrr a0, sstatus
        ecall
        j hb_fail
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)
        CHECK_MASKED(a0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP, MSTATUS_SPIE)

# sret is legal in M-mode too; with SPP=S it enters S.
TEST_START(9)
        li t3, MSTATUS_SPP
        csrs mstatus, t3
        la t3, 2f
        csrw sepc, t3
        ARM_TRAP(1f, PRV_M)
        sret
        j hb_fail
2:      ecall
        j hb_fail
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)
        CHECK_MASKED(s6, MSTATUS_SPP | MSTATUS_MPP, MSTATUS_MPP_S)

# --- TSR=1: sret in S is illegal (3.1.6.5) ...
TEST_START(10)
        li t3, MSTATUS_TSR
        csrs mstatus, t3
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      sret
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x10200073)
        CHECK_MASKED(s6, MSTATUS_MPP, MSTATUS_MPP_S)

# ... but not in M (TSR is still set here).
TEST_START(11)
        ARM_TRAP(hb_fail, PRV_M)
        li t3, MSTATUS_SPP
        csrc mstatus, t3
        la t3, 2f
        csrw sepc, t3
        sret
        j hb_fail
2:      CHECK_NO_TRAP                   # now in U
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_U, PRV_M)
        li t3, MSTATUS_TSR
        csrc mstatus, t3

# --- TW=1: wfi in S is illegal (3.1.6.5).  No interrupt is enabled in mie,
# so the wfi could not complete within any time limit.
TEST_START(12)
        li t3, MSTATUS_TW
        csrs mstatus, t3
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      wfi
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x10500073)
        CHECK_MASKED(s6, MSTATUS_MPP, MSTATUS_MPP_S)
        li t3, MSTATUS_TW
        csrc mstatus, t3

# With S-mode present, wfi in U is illegal whatever TW says (3.1.6.5).
TEST_START(13)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_U, 2f)
2:      wfi
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x10500073)
        CHECK_MASKED(s6, MSTATUS_MPP, 0)

# --- TVM=1: satp accesses and sfence.vma in S are illegal (3.1.6.5) ...
TEST_START(14)
        li t3, MSTATUS_TVM
        csrs mstatus, t3
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      csrr a0, satp
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x18002573)

TEST_START(15)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      csrw satp, zero
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x18001073)

TEST_START(16)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      sfence.vma
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x12000073)

# ... while M is unaffected ...
TEST_START(17)
        ARM_TRAP(hb_fail, PRV_M)
        csrr a0, satp
        csrw satp, zero
        sfence.vma
        CHECK_NO_TRAP
        li t3, MSTATUS_TVM
        csrc mstatus, t3

# ... and with TVM=0 S may use them.
TEST_START(18)
        ARM_TRAP(hb_fail, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      csrr a0, satp
        csrw satp, zero
        sfence.vma
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)

# --- sstatus is a view of mstatus (4.1.1): with every M-only field set,
# sstatus shows none of them and equals mstatus restricted to its fields.
TEST_START(19)
        csrw mstatus, zero
        li t3, MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR
        csrs mstatus, t3
        csrr a0, mstatus
        csrr a1, sstatus
        li t3, MSTATUS_M_ONLY
        csrc mstatus, t3
        CHECK_MASKED(a0, MSTATUS_M_ONLY, MSTATUS_MPIE | MSTATUS_MPP | MSTATUS_MPRV | MSTATUS_TVM | MSTATUS_TW | MSTATUS_TSR)
        CHECK_MASKED(a1, MSTATUS_M_ONLY, 0)
        li t3, SSTATUS_MASK
        and a0, a0, t3
        CHECK_EQ(a1, a0)

# Writing sstatus changes only the S fields of mstatus.  The value sets
# every bit of the low word (the M-only fields too); UXL is left out.
TEST_START(20)
        csrw mstatus, zero
        li t3, 0xffffffff
        csrw sstatus, t3
        csrr a0, mstatus
        CHECK_MASKED(a0, MSTATUS_M_ONLY, 0)
        CHECK_MASKED(a0, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_FS, MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_SUM | MSTATUS_MXR | MSTATUS_FS)
        # XS is read-only 0 without custom state, UBE 0 on a little-endian
        # only hart (3.1.6.4, 3.1.6.6); FS=Dirty sets SD.
        CHECK_MASKED(a0, MSTATUS_XS | MSTATUS_UBE | MSTATUS_SD, MSTATUS_SD)
        CHECK_MASKED(a0, MSTATUS_UXL | MSTATUS_SXL, 0xa00000000)
        csrw mstatus, zero

# sstatus.SPP, SIE, SPIE written from S land in mstatus.
TEST_START(21)
        ARM_TRAP(hb_fail, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      li t3, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SUM
        csrw sstatus, t3
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)
        CHECK_CSR_MASKED(mstatus, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SUM | MSTATUS_SIE, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SUM)
        csrw mstatus, zero

        RESET_TRAP_HANDLER
RVTEST_CODE_END

        PRIV_TRAP_HANDLERS

RVTEST_DATA_BEGIN
RVTEST_DATA_END
