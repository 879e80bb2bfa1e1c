# Misaligned and faulting memory accesses in M-mode:
#  - ordinary misaligned loads and stores (integer and FP) to RAM complete,
#    also across an 8-byte and a page boundary (Hartbox, like QEMU,
#    handles them instead of trapping; unpriv spec 2.6 allows either);
#  - LR must be naturally aligned: it raises load-address-misaligned (4)
#    with mtval = the address (unpriv spec 8.2; priv spec 3.1.16);
#  - an access to an address where nothing is mapped raises an access fault:
#    load 5, store 7, fetch 1 (priv spec 3.1.15, 3.5).
# The SC and AMO counterparts (cause 6, and 7 for an AMO access fault) are
# in priv_strict.S.

#include "harness.h"
#include "priv.h"

/* Nothing is mapped here on Hartbox's virt board nor on QEMU's spike. */
#define UNMAPPED 0x100000000

#define MISALIGNED_ATOMIC(n, cause, off, code...) \
        TEST_START(n);                          \
        la a2, mis_buf;                         \
        li a1, 0x5555555555555555;              \
        sd a1, 0(a2);                           \
        sd a1, 8(a2);                           \
        addi a3, a2, off;                       \
        li a1, 1;                               \
        ARM_TRAP(10050f, PRV_M);                \
        code;                                   \
        j hb_fail;                              \
10050:  CHECK_TRAP(cause, PRV_M);               \
        CHECK_EQ(s10, a3);                      \
        ld a4, 0(a2);                           \
        CHECK_IMM(a4, 0x5555555555555555);      \
        ld a4, 8(a2);                           \
        CHECK_IMM(a4, 0x5555555555555555)

RVTEST_CODE_BEGIN
        ENABLE_FPU
        PRIV_INSTALL_HANDLERS
        ARM_TRAP(hb_fail, PRV_M)        # the first cases must not trap

# --- Misaligned loads; bytes(i) = 0x0f + 0x11*i (see mis_bytes).
TEST_LD_OP(1, lh,  0x3120, 1, mis_bytes)
TEST_LD_OP(2, lh,  0xffffffffffff9786, 7, mis_bytes)
TEST_LD_OP(3, lhu, 0x9786, 7, mis_bytes)
TEST_LD_OP(4, lw,  0x53423120, 1, mis_bytes)
TEST_LD_OP(5, lw,  0xffffffffa8978675, 6, mis_bytes)     # crosses 8 bytes
TEST_LD_OP(6, lwu, 0xa8978675, 6, mis_bytes)
TEST_LD_OP(7, ld,  0x9786756453423120, 1, mis_bytes)
TEST_LD_OP(8, ld,  0xdbcab9a897867564, 5, mis_bytes)
TEST_LD_OP(9, ld,  0xfdecdbcab9a89786, 7, mis_bytes)

# --- Misaligned stores, checked with aligned loads.
TEST_START(10)
        la a2, mis_buf
        sd zero, 0(a2)
        sd zero, 8(a2)
        li a1, 0x0102030405060708
        sd a1, 3(a2)
        ld a4, 0(a2)
        CHECK_IMM(a4, 0x0405060708000000)
        ld a4, 8(a2)
        CHECK_IMM(a4, 0x0000000000010203)

TEST_START(11)
        la a2, mis_buf
        sd zero, 0(a2)
        sd zero, 8(a2)
        li a1, 0x11223344
        sw a1, 5(a2)                    # bytes 5..8
        li a1, 0xabcd
        sh a1, 9(a2)                    # bytes 9..10
        ld a4, 0(a2)
        CHECK_IMM(a4, 0x2233440000000000)
        ld a4, 8(a2)
        CHECK_IMM(a4, 0x0000000000abcd11)

# --- Across a page boundary (mis_page is 4 KiB aligned).
TEST_START(12)
        la a2, mis_page + 4096 - 3
        li a1, 0x8877665544332211
        sd a1, 0(a2)
        ld a4, 0(a2)
        CHECK_EQ(a4, a1)
        lbu a4, 2(a2)                   # last byte of the first page
        CHECK_IMM(a4, 0x33)
        lbu a4, 3(a2)                   # first byte of the second page
        CHECK_IMM(a4, 0x44)
        lw a4, 1(a2)
        CHECK_IMM(a4, 0x55443322)

# --- FP loads and stores may be misaligned too.
TEST_START(13)
        la a2, mis_bytes
        flw fa0, 3(a2)
        fmv.x.w a4, fa0
        CHECK_IMM(a4, 0x75645342)
        fld fa1, 5(a2)
        fmv.x.d a4, fa1
        CHECK_IMM(a4, 0xdbcab9a897867564)

TEST_START(14)
        la a2, mis_buf
        sd zero, 0(a2)
        sd zero, 8(a2)
        li a1, 0x1122334455667788
        fmv.d.x fa0, a1
        fsd fa0, 6(a2)
        ld a4, 0(a2)
        CHECK_IMM(a4, 0x7788000000000000)
        ld a4, 8(a2)
        CHECK_IMM(a4, 0x0000112233445566)
        li a1, 0xcafe1234
        fmv.w.x fa1, a1
        fsw fa1, 1(a2)
        ld a4, 0(a2)
        CHECK_IMM(a4, 0x778800cafe123400)

        CHECK_NO_TRAP

# --- LR/SC/AMO need natural alignment.  Each case uses an address 2 (or 4)
# past an aligned word and checks that memory did not change.

MISALIGNED_ATOMIC(15, CAUSE_MISALIGNED_LOAD,  2, lr.w a4, (a3))
MISALIGNED_ATOMIC(16, CAUSE_MISALIGNED_LOAD,  4, lr.d a4, (a3))

# (Misaligned SC and AMOs, cause 6, are in priv_strict.S: QEMU 7.2 lets
# such an SC fail quietly and reports AMOs as loads.)

# --- Access faults where nothing is mapped.
TEST_START(17)
        li a3, UNMAPPED
        ARM_TRAP(1f, PRV_M)
        ld a4, 0(a3)
        j hb_fail
1:      CHECK_TRAP(CAUSE_LOAD_ACCESS, PRV_M)
        CHECK_EQ(s10, a3)

TEST_START(18)
        li a3, UNMAPPED + 0x10
        ARM_TRAP(1f, PRV_M)
        sw a1, 0(a3)
        j hb_fail
1:      CHECK_TRAP(CAUSE_STORE_ACCESS, PRV_M)
        CHECK_EQ(s10, a3)

TEST_START(19)
        li a3, UNMAPPED + 0x30
        ARM_TRAP(1f, PRV_M)
        lr.d a4, (a3)
        j hb_fail
1:      CHECK_TRAP(CAUSE_LOAD_ACCESS, PRV_M)
        CHECK_EQ(s10, a3)

# Fetch: mepc and mtval are both the target.
TEST_START(20)
        li a3, UNMAPPED + 0x40
        ARM_TRAP(1f, PRV_M)
        jalr ra, a3
        j hb_fail
1:      CHECK_TRAP(CAUSE_FETCH_ACCESS, PRV_M)
        CHECK_EQ(s10, a3)
        CHECK_EQ(s11, a3)

        RESET_TRAP_HANDLER
RVTEST_CODE_END

        PRIV_TRAP_HANDLERS

RVTEST_DATA_BEGIN
        .balign 8
mis_bytes:
        .byte 0x0f, 0x20, 0x31, 0x42, 0x53, 0x64, 0x75, 0x86
        .byte 0x97, 0xa8, 0xb9, 0xca, 0xdb, 0xec, 0xfd, 0x0e
        .byte 0x1f, 0x30, 0x41, 0x52, 0x63, 0x74, 0x85, 0x96
mis_buf:
        .dword 0, 0, 0
        .balign 4096
mis_page:
        .fill 8192, 1, 0
RVTEST_DATA_END
