# CSR access rules: missing CSRs, read-only CSRs, privilege of the CSR
# address, which csrr* forms read and write, misa and the ID registers.
# Privileged spec v1.12, 2.1 (CSR address mapping), 2.3 (field behaviour),
# 3.1.1 (misa), 3.1.2-3.1.5 (ID CSRs); unprivileged spec 9.1 (Zicsr).

#include "harness.h"
#include "priv.h"

/* misa of RV64IMAFDCSU (3.1.1): MXL=2 and letters I M A F D C S U. */
#define MISA_RV64IMAFDCSU 0x800000000014112d
/* QEMU's default CPU also reports H (bit 7); Hartbox does not have it.  The
 * H bit is left out of the comparison so the same test runs on both. */
#define MISA_H            0x80

RVTEST_CODE_BEGIN
        PRIV_INSTALL_HANDLERS

# --- A CSR that does not exist is an illegal instruction, read or write
# (2.1); 0x7c0 and 0x8c0 are in the custom ranges no one here implements.
TEST_START(1)
        ARM_TRAP(1f, PRV_M)
        csrr a0, 0x7c0
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x7c002573)

TEST_START(2)
        ARM_TRAP(1f, PRV_M)
        csrw 0x8c0, a0
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x8c051073)

# --- Writing a read-only CSR (address bits 11:10 = 11) is illegal (2.1).
TEST_START(3)
        ARM_TRAP(1f, PRV_M)
        csrw mvendorid, zero
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0xf1101073)

TEST_START(4)
        ARM_TRAP(1f, PRV_M)
        csrwi mhartid, 1
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0xf140d073)

# cycle and instret are read-only shadows; M-mode writes mcycle/minstret.
TEST_START(5)
        ARM_TRAP(1f, PRV_M)
        csrw cycle, zero
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0xc0001073)

TEST_START(6)
        li a0, 1
        ARM_TRAP(1f, PRV_M)
        csrs instret, a0
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0xc0252073)

# --- csrrs/csrrc with rs1=x0 and csrrsi/csrrci with uimm=0 do not write
# (unpriv 9.1), so on a read-only CSR they are plain reads: no trap.
TEST_START(7)
        ARM_TRAP(hb_fail, PRV_M)
        csrr a0, mvendorid
        csrrs a1, mvendorid, x0
        csrrc a2, mvendorid, x0
        csrrsi a3, mvendorid, 0
        csrrci a4, mvendorid, 0
        CHECK_EQ(a1, a0)
        CHECK_EQ(a2, a0)
        CHECK_EQ(a3, a0)
        CHECK_EQ(a4, a0)
        csrrs x0, marchid, x0
        csrrc x0, mimpid, x0
        csrrs a5, cycle, x0
        csrrci a5, instret, 0
        CHECK_NO_TRAP

# Single hart, so its id is 0 (3.1.5: some hart must have id 0).
TEST_START(8)
        csrr a0, mhartid
        CHECK_IMM(a0, 0)

# --- csrrw: rd gets the old value, the CSR the new one (unpriv 9.1).
TEST_START(9)
        li a0, 0x1122334455667788
        csrw mscratch, a0
        li a1, 0xdeadbeefcafef00d
        csrrw a2, mscratch, a1
        CHECK_EQ(a2, a0)
        csrr a3, mscratch
        CHECK_EQ(a3, a1)

# csrrw with rd=x0 still writes, and x0 stays zero.  (That it does not read
# has no visible effect on any CSR Hartbox implements: none has read side
# effects.)
TEST_START(10)
        li a0, 0x0123456789abcdef
        csrrw x0, mscratch, a0
        csrr a1, mscratch
        CHECK_EQ(a1, a0)
        csrrwi x0, mscratch, 0x15
        csrr a1, mscratch
        CHECK_IMM(a1, 0x15)
        CHECK_IMM(x0, 0)

# --- csrrs/csrrc: set/clear the bits of rs1, return the old value.
TEST_START(11)
        li a0, 0xf0f0
        csrw mscratch, a0
        li a1, 0x0ff0
        csrrs a2, mscratch, a1
        CHECK_IMM(a2, 0xf0f0)
        csrr a3, mscratch
        CHECK_IMM(a3, 0xfff0)
        li a1, 0xf00f
        csrrc a2, mscratch, a1
        CHECK_IMM(a2, 0xfff0)
        csrr a3, mscratch
        CHECK_IMM(a3, 0x0ff0)

# csrrsi/csrrci zero-extend their 5-bit immediate.
TEST_START(12)
        li a0, -1
        csrw mscratch, a0
        csrrci a1, mscratch, 0x1f
        CHECK_IMM(a1, -1)
        csrr a2, mscratch
        CHECK_IMM(a2, -32)
        csrw mscratch, zero
        csrrsi a1, mscratch, 0x11
        CHECK_IMM(a1, 0)
        csrr a2, mscratch
        CHECK_IMM(a2, 0x11)

# --- CSR address bits 9:8 give the lowest privilege allowed (2.1): from S,
# M-level CSRs are illegal; S-level ones work.
TEST_START(13)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      csrr a0, mstatus
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x30002573)
        CHECK_MASKED(s6, MSTATUS_MPP, MSTATUS_MPP_S)

TEST_START(14)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      csrw mscratch, zero
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x34001073)

# Read-only M-level CSRs are out of S's reach too.
TEST_START(15)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      csrr a0, mhartid
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0xf1402573)

TEST_START(16)
        li a0, 0x5a5a
        csrw sscratch, zero
        ARM_TRAP(hb_fail, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      csrw sscratch, a0
        csrr a1, sscratch
        csrr a2, sstatus
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)
        CHECK_EQ(a1, a0)

# From U, S-level and M-level CSRs are illegal.
TEST_START(17)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_U, 2f)
2:      csrr a0, sstatus
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x10002573)
        CHECK_MASKED(s6, MSTATUS_MPP, 0)

TEST_START(18)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_U, 2f)
2:      csrw sscratch, a0
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x14051073)

TEST_START(19)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_U, 2f)
2:      csrr a0, mepc
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x34102573)

# --- misa (3.1.1): MXL=2 (64-bit) and exactly the letters IMAFDCSU.
TEST_START(20)
        csrr a0, misa
        li t3, ~MISA_H
        and a1, a0, t3
        CHECK_IMM(a1, MISA_RV64IMAFDCSU)

# misa is WARL: writing it is legal, writing back its own value changes
# nothing, and even writing 0 leaves a legal value (MXL=2 with I; a hart
# cannot drop I without E).  norvc: the write might turn C off for a while.
TEST_START(21)
        .option push
        .option norvc
        csrr s0, misa
        ARM_TRAP(hb_fail, PRV_M)
        csrw misa, s0
        csrr a1, misa
        csrw misa, zero
        csrr a2, misa
        csrw misa, s0
        csrr a3, misa
        .option pop
        CHECK_NO_TRAP
        CHECK_EQ(a1, s0)
        CHECK_EQ(a3, s0)
        srli t3, a2, 62
        CHECK_IMM(t3, 2)
        andi t3, a2, 0x100
        CHECK_IMM(t3, 0x100)

        RESET_TRAP_HANDLER
RVTEST_CODE_END

        PRIV_TRAP_HANDLERS

RVTEST_DATA_BEGIN
RVTEST_DATA_END
