# Synchronous traps into M-mode: ecall from each mode, ebreak, illegal
# instructions and what mtval holds for them, no misaligned-fetch trap on
# 2-byte targets with C, mepc/mtvec WARL behaviour.
# Privileged spec v1.12, 3.1.7 (mtvec), 3.1.14 (mepc), 3.1.15 (mcause),
# 3.1.16 (mtval), 3.3.1 (ecall/ebreak).

#include "harness.h"
#include "priv.h"

RVTEST_CODE_BEGIN
        PRIV_INSTALL_HANDLERS

# --- ecall: cause 11/9/8 by the mode it came from; mepc is the ecall itself,
# mtval is zero for traps that define no other value (3.1.16).
TEST_START(1)
        ARM_TRAP(1f, PRV_M)
ecall_m:
        ecall
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ECALL_M, PRV_M, 0)
        la t3, ecall_m
        CHECK_EQ(s11, t3)
        CHECK_MASKED(s6, MSTATUS_MPP, MSTATUS_MPP_M)

TEST_START(2)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_S, ecall_s)
ecall_s:
        ecall
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ECALL_S, PRV_M, 0)
        la t3, ecall_s
        CHECK_EQ(s11, t3)
        CHECK_MASKED(s6, MSTATUS_MPP, MSTATUS_MPP_S)

TEST_START(3)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_U, ecall_u)
ecall_u:
        ecall
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ECALL_U, PRV_M, 0)
        la t3, ecall_u
        CHECK_EQ(s11, t3)
        CHECK_MASKED(s6, MSTATUS_MPP, 0)

# --- ebreak: cause 3, mepc is the ebreak; mtval is 0 or the pc (3.1.16
# lets an implementation write either).
TEST_START(4)
        ARM_TRAP(1f, PRV_M)
ebreak_m:
        ebreak
        j hb_fail
1:      CHECK_TRAP(CAUSE_BREAKPOINT, PRV_M)
        la t3, ebreak_m
        CHECK_EQ(s11, t3)
        beqz s10, 2f
        CHECK_EQ(s10, t3)
2:

# c.ebreak is a 16-bit breakpoint with the same cause.
TEST_START(5)
        ARM_TRAP(1f, PRV_M)
        .option push
        .option rvc
cebreak_m:
        c.ebreak
        .option pop
        j hb_fail
1:      CHECK_TRAP(CAUSE_BREAKPOINT, PRV_M)
        la t3, cebreak_m
        CHECK_EQ(s11, t3)

# ebreak from U-mode is not delegated: it reaches M with MPP=U.
TEST_START(6)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_U, 2f)
2:      ebreak
        j hb_fail
1:      CHECK_TRAP(CAUSE_BREAKPOINT, PRV_M)
        CHECK_MASKED(s6, MSTATUS_MPP, 0)

# --- Illegal instructions: cause 2 and mtval = the instruction bits
# (3.1.16 allows 0; Hartbox, QEMU and Spike write the bits).
# LOAD with funct3=111 is LDU, which exists only in RV128: illegal in RV64.
TEST_START(7)
        ARM_TRAP(1f, PRV_M)
ill32:
        .word 0x00007503
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x00007503)
        la t3, ill32
        CHECK_EQ(s11, t3)

# The all-zero parcel is a defined illegal instruction (unpriv spec, C
# chapter 16); mtval = 0.
TEST_START(8)
        ARM_TRAP(1f, PRV_M)
ill16_zero:
        .half 0x0000
        .half 0x0001            # c.nop, keeps the following code aligned
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0)
        la t3, ill16_zero
        CHECK_EQ(s11, t3)

# c.lwsp with rd=x0 is reserved (unpriv spec 16.3): mtval holds just the
# 16-bit parcel, zero-extended.
TEST_START(9)
        ARM_TRAP(1f, PRV_M)
ill16:
        .half 0x4002
        .half 0x0001
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x4002)
        la t3, ill16
        CHECK_EQ(s11, t3)

# mret and sret from U-mode are illegal (3.3.2).
TEST_START(10)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_U, 2f)
2:      mret
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x30200073)
        CHECK_MASKED(s6, MSTATUS_MPP, 0)

TEST_START(11)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_U, 2f)
2:      sret
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x10200073)

# mret from S-mode is illegal too.
TEST_START(12)
        ARM_TRAP(1f, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      mret
        j hb_fail
1:      CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, 0x30200073)
        CHECK_MASKED(s6, MSTATUS_MPP, MSTATUS_MPP_S)

# --- With C, IALIGN=16: jumps and branches to 2-byte aligned targets do not
# raise instruction-address-misaligned (unpriv spec 2.5, 16.1).
TEST_START(13)
        ARM_TRAP(hb_fail, PRV_M)        # any trap fails
        la t3, half_target
        andi t4, t3, 3
        CHECK_IMM(t4, 2)                # really 2 mod 4
        li a5, 0
        jalr ra, t3, 0
        CHECK_IMM(a5, 1)
        CHECK_NO_TRAP

# jalr clears bit 0 of the target (unpriv spec 2.5).
TEST_START(14)
        ARM_TRAP(hb_fail, PRV_M)
        la t3, half_target
        li a5, 0
        jalr ra, t3, 1
        CHECK_IMM(a5, 1)
        CHECK_NO_TRAP

# jal and a taken branch to a 2 mod 4 address.
TEST_START(15)
        ARM_TRAP(hb_fail, PRV_M)
        li a5, 0
        jal ra, half_target
        CHECK_IMM(a5, 1)
        li a5, 0
        li t3, 1
        la ra, 2f
        bnez t3, half_target
        j hb_fail
2:      CHECK_IMM(a5, 1)
        CHECK_NO_TRAP

# --- mtvec: vectored mode sends exceptions to BASE (3.1.7), slot 0.
TEST_START(16)
        la t3, priv_mvec
        ori t3, t3, 1
        csrw mtvec, t3
        csrr t4, mtvec
        CHECK_EQ(t4, t3)
        ARM_TRAP(1f, PRV_M)
        ecall
        j hb_fail
1:      CHECK_TRAP(CAUSE_ECALL_M, PRV_M)
        CHECK_IMM(s2, 0)
        la t3, priv_mtrap               # back to direct mode
        csrw mtvec, t3
        csrr t4, mtvec
        CHECK_EQ(t4, t3)
        ARM_TRAP(2f, PRV_M)
        ecall
        j hb_fail
2:      CHECK_TRAP(CAUSE_ECALL_M, PRV_M)
        CHECK_IMM(s2, -1)

# mtvec.MODE is WARL: the reserved values 2 and 3 read back as 0 or 1.
TEST_START(17)
        csrr s0, mtvec
        la t3, priv_mtrap
        ori t3, t3, 2
        csrw mtvec, t3
        csrr t4, mtvec
        csrw mtvec, s0
        andi t4, t4, 3
        sltiu t4, t4, 2
        CHECK_IMM(t4, 1)

# A trap from S-mode lands in M-mode when nothing is delegated, and mret
# goes back to S (3.1.8: medeleg reset value is zero in harness.h).
TEST_START(18)
        ARM_TRAP(2f, PRV_S)
        GOTO_MODE(PRV_S, 1f)
1:      ecall                           # resumes in S at 2f
        j hb_fail
2:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)
        ARM_TRAP(3f, PRV_M)             # still S-mode here: prove it
        ecall
        j hb_fail
3:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)

        RESET_TRAP_HANDLER
RVTEST_CODE_END

        # A 32-bit instruction at a 2 mod 4 address: sets a5 and returns.
        .balign 4
        .option push
        .option rvc
        c.nop
half_target:
        .option norvc
        addi a5, zero, 1
        ret
        .option pop

        PRIV_TRAP_HANDLERS

RVTEST_DATA_BEGIN
RVTEST_DATA_END
