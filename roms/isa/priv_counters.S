# Counters: mcycle/minstret are writable by M, and mcounteren/scounteren
# decide whether S and U may read cycle/time/instret.
# Privileged spec v1.12, 3.1.10 (mcycle, minstret), 3.1.11 (mcounteren),
# 4.1.5 (scounteren); unprivileged spec 10.1 (Zicntr).
#
# QEMU's spike machine has no time CSR at all (rdtime is illegal even in M;
# its CLINT does not provide one).  The positive time checks run only where
# M-mode can read time, which is noted in s0 by case 1.  Exact counting of
# instret is in priv_strict.S, since QEMU's instret without -icount counts
# host ticks.

#include "harness.h"
#include "priv.h"

#define COUNTER_BASE 0x0000010000000000
#define COUNTER_SLACK 0x1000000         /* QEMU: host ticks between two reads */

/* From the current mode, read counter `csr` into a0 expecting success. */
#define READ_OK(csr)                    \
        ARM_TRAP(hb_fail, -1);          \
        csrr a0, csr;                   \
        CHECK_NO_TRAP

/* ... expecting an illegal-instruction trap, resuming in the same mode. */
#define READ_ILLEGAL(csr, insn)         \
        ARM_TRAP(10040f, -1);           \
        csrr a0, csr;                   \
        j hb_fail;                      \
10040:  CHECK_TRAP_TVAL(CAUSE_ILLEGAL, PRV_M, insn)

#define INSN_RDCYCLE   0xc0002573
#define INSN_RDTIME    0xc0102573
#define INSN_RDINSTRET 0xc0202573

RVTEST_CODE_BEGIN
        PRIV_INSTALL_HANDLERS

# --- Does M-mode have a time CSR? (s0 = 1 if so.)  Not a check.
TEST_START(1)
        li s0, 1
        ARM_TRAP(1f, PRV_M)
        csrr a0, time
        j 2f
1:      CHECK_TRAP(CAUSE_ILLEGAL, PRV_M)
        li s0, 0
2:

# --- mcycle: a write sets the count from which it goes on (3.1.10).
TEST_START(2)
        li a1, COUNTER_BASE
        csrw mcycle, a1
        csrr a0, mcycle
        sub a2, a0, a1
        bltz a2, hb_fail
        li t3, COUNTER_SLACK
        bgeu a2, t3, hb_fail
        csrr a3, cycle                  # the user-level shadow agrees
        sub a2, a3, a1
        bltz a2, hb_fail
        bgeu a2, t3, hb_fail

# minstret likewise.
TEST_START(3)
        li a1, COUNTER_BASE
        csrw minstret, a1
        csrr a0, minstret
        sub a2, a0, a1
        bltz a2, hb_fail
        li t3, COUNTER_SLACK
        bgeu a2, t3, hb_fail
        csrr a3, instret
        sub a2, a3, a1
        bltz a2, hb_fail
        bgeu a2, t3, hb_fail

# Both count up.
TEST_START(4)
        csrr a0, minstret
        csrr a1, mcycle
        .rept 16
        nop
        .endr
        csrr a2, minstret
        csrr a3, mcycle
        bgeu a0, a2, hb_fail
        bgeu a1, a3, hb_fail

# --- mcounteren/scounteren: CY, TM, IR (bits 0-2) are writable.
TEST_START(5)
        csrwi mcounteren, 7
        csrr a0, mcounteren
        CHECK_MASKED(a0, 7, 7)
        csrwi scounteren, 7
        csrr a0, scounteren
        CHECK_MASKED(a0, 7, 7)
        csrw mcounteren, zero
        csrw scounteren, zero

# --- mcounteren=0: S may read none of them (3.1.11).
TEST_START(6)
        ARM_TRAP(hb_fail, PRV_M)
        GOTO_MODE(PRV_S, 2f)
2:      READ_ILLEGAL(cycle, INSN_RDCYCLE)
        READ_ILLEGAL(time, INSN_RDTIME)
        READ_ILLEGAL(instret, INSN_RDINSTRET)
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)

# Each bit opens its own counter to S, and only that one.
TEST_START(7)
        csrwi mcounteren, 1             # CY
        GOTO_MODE(PRV_S, 2f)
2:      READ_OK(cycle)
        READ_ILLEGAL(time, INSN_RDTIME)
        READ_ILLEGAL(instret, INSN_RDINSTRET)
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)

TEST_START(8)
        csrwi mcounteren, 4             # IR
        GOTO_MODE(PRV_S, 2f)
2:      READ_ILLEGAL(cycle, INSN_RDCYCLE)
        READ_ILLEGAL(time, INSN_RDTIME)
        READ_OK(instret)
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)

TEST_START(9)
        csrwi mcounteren, 2             # TM
        GOTO_MODE(PRV_S, 2f)
2:      READ_ILLEGAL(cycle, INSN_RDCYCLE)
        READ_ILLEGAL(instret, INSN_RDINSTRET)
        beqz s0, 3f                     # no time CSR: nothing to open
        READ_OK(time)
3:      RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)

# scounteren does not matter to S itself (4.1.5).
TEST_START(10)
        csrwi mcounteren, 5
        csrw scounteren, zero
        GOTO_MODE(PRV_S, 2f)
2:      READ_OK(cycle)
        READ_OK(instret)
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)

# --- U needs both: mcounteren set, scounteren clear -> illegal ...
TEST_START(11)
        csrwi mcounteren, 7
        csrw scounteren, zero
        GOTO_MODE(PRV_U, 2f)
2:      READ_ILLEGAL(cycle, INSN_RDCYCLE)
        READ_ILLEGAL(time, INSN_RDTIME)
        READ_ILLEGAL(instret, INSN_RDINSTRET)
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_U, PRV_M)

# ... scounteren set, mcounteren clear -> illegal ...
TEST_START(12)
        csrw mcounteren, zero
        csrwi scounteren, 7
        GOTO_MODE(PRV_U, 2f)
2:      READ_ILLEGAL(cycle, INSN_RDCYCLE)
        READ_ILLEGAL(time, INSN_RDTIME)
        READ_ILLEGAL(instret, INSN_RDINSTRET)
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_U, PRV_M)

# ... both set -> readable, bit by bit.
TEST_START(13)
        csrwi mcounteren, 7
        csrwi scounteren, 5             # CY, IR
        GOTO_MODE(PRV_U, 2f)
2:      READ_OK(cycle)
        READ_OK(instret)
        READ_ILLEGAL(time, INSN_RDTIME)
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_U, PRV_M)

TEST_START(14)
        csrwi scounteren, 2             # TM
        GOTO_MODE(PRV_U, 2f)
2:      READ_ILLEGAL(cycle, INSN_RDCYCLE)
        READ_ILLEGAL(instret, INSN_RDINSTRET)
        beqz s0, 3f
        READ_OK(time)
3:      RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_U, PRV_M)

# A counter read by U sees what M wrote (the shadow, unpriv 10.1).
TEST_START(15)
        csrwi scounteren, 1
        li a1, COUNTER_BASE
        csrw mcycle, a1
        GOTO_MODE(PRV_U, 2f)
2:      READ_OK(cycle)
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_U, PRV_M)
        sub a2, a0, a1
        bltz a2, hb_fail
        li t3, COUNTER_SLACK
        bgeu a2, t3, hb_fail
        csrw mcounteren, zero
        csrw scounteren, zero

        RESET_TRAP_HANDLER
RVTEST_CODE_END

        PRIV_TRAP_HANDLERS

RVTEST_DATA_BEGIN
RVTEST_DATA_END
