# Sv39 paging, with page tables built by the test: 4 KiB pages, 2 MiB and
# 1 GiB superpages (and misaligned ones), R/W/X and the reserved W-only
# encoding, U with SUM, MXR, A/D updates, page faults with the faulting
# address in mtval/stval, delegated page faults, MPRV, sfence.vma after a
# PTE change, non-canonical addresses, and U-mode code.
# Privileged spec v1.12, 3.1.6.3 (MPRV, MXR, SUM), 4.1.11 (satp), 4.2
# (sfence.vma), 4.3 (Sv32 rules, shared by all), 4.3.2 (the walk), 4.4 (Sv39).
#
# priv_sv48.S includes this file with VM_SV48 defined: the same tables then
# hang below one more level, and a few Sv48-only cases are added.
#
# Virtual layout (the same under Sv39 and Sv48):
#   0x0000_4000_0000 + n*4K  4 KiB pages, see VA_* below (pt_l0)
#   0x0000_4020_0000         2 MiB page -> PA 0x8000_0000, RW (pt_l1[1])
#   0x0000_4040_0000         2 MiB page with a misaligned PPN (pt_l1[2])
#   0x0000_4060_0000         2 MiB page -> PA 0x8000_0000, RX (pt_l1[3])
#   0x0000_8000_0000         1 GiB identity map, RWX: code, data, tables
#   0x0000_c000_0000         1 GiB alias of PA 0x8000_0000 with U: user code
#   0x0001_0000_0000         1 GiB page with a misaligned PPN
# The physical pages all lie in the image, below 0x8020_0000.

#include "harness.h"
#include "priv.h"

#define VA_BASE   0x40000000
#define VA_RW     (VA_BASE + 0x0000)    /* page_a, RW */
#define VA_RO     (VA_BASE + 0x1000)    /* page_b, R */
#define VA_INV    (VA_BASE + 0x2000)    /* V=0 */
#define VA_XO     (VA_BASE + 0x3000)    /* page_a, X only */
#define VA_WO     (VA_BASE + 0x4000)    /* page_a, W only: reserved */
#define VA_AD     (VA_BASE + 0x5000)    /* page_c, RW with A=0 D=0 */
#define VA_U      (VA_BASE + 0x6000)    /* page_a, RW, U */
#define VA_X      (VA_BASE + 0x7000)    /* exec_page, RX */
#define VA_NX     (VA_BASE + 0x8000)    /* exec_page, R */
#define VA_UX     (VA_BASE + 0x9000)    /* exec_page, RX, U */
#define VA_SF     (VA_BASE + 0xa000)    /* page_a, RW; remapped by a case */
#define VA_PTR    (VA_BASE + 0xb000)    /* V only: a pointer at level 0 */
#define VA_D      (VA_BASE + 0xc000)    /* page_d, RW with A=1 D=0 */
#define VA_RSV    (VA_BASE + 0xd000)    /* page_a, RW, reserved bit 54 set */
#define VA_MEGA   0x40200000
#define VA_MEGA_BAD 0x40400000
#define VA_MEGA_X 0x40600000
#define VA_GIGA_BAD 0x100000000
#define IMAGE_PA  0x80000000
#define U_ALIAS   0x40000000            /* VA 0xc000_0000 - PA 0x8000_0000 */

#define RWAD (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)

#define PAGE_A0 0xa0a0a0a0a0a0a0a0
#define PAGE_B0 0xb0b0b0b0b0b0b0b0
#define PAGE_C0 0xc0c0c0c0c0c0c0c0
#define PAGE_D0 0xd0d0d0d0d0d0d0d0

#ifdef VM_SV48
#define VM_MODE SATP_MODE_SV48
#define VM_ROOT pt_top
/* Bit 47 set with bits 63:48 clear (4.5.1). */
#define VA_NONCANON 0x0000800000000000
#else
#define VM_MODE SATP_MODE_SV39
#define VM_ROOT pt_root
/* Bit 39 set with bit 38 clear: bits 63:39 must all equal bit 38 (4.4.1). */
#define VA_NONCANON 0x0000008000000000
#endif

/* Expect a page fault at `va` from the next instruction, resuming in the
 * current mode (S here) at the label after it. */
#define EXPECT_FAULT(cause, va, code...)        \
        ARM_TRAP(10060f, -1);                   \
        li a3, va;                              \
        code;                                   \
        j hb_fail;                              \
10060:  CHECK_TRAP_TVAL(cause, PRV_M, va)

/* Read the PTE of pt_l0[index] into reg (clobbers t1). */
#define LOAD_PTE(reg, index)                    \
        la t1, pt_l0 + (index) * 8;             \
        ld reg, 0(t1)

/* Enter U at the alias of label, from M (clobbers t0, t1). */
#define GOTO_U_ALIAS(label)                     \
        li t0, MSTATUS_MPP;                     \
        csrc mstatus, t0;                       \
        la t0, label;                           \
        li t1, U_ALIAS;                         \
        add t0, t0, t1;                         \
        csrw mepc, t0;                          \
        mret

/* From U code running at the alias: back to M at label's real address. */
#define U_RETURN_TO_M(label)                    \
        ARM_TRAP(label, PRV_M);                 \
        li t0, U_ALIAS;                         \
        sub s8, s8, t0;                         \
        ecall

RVTEST_CODE_BEGIN
        PRIV_INSTALL_HANDLERS

        # --- Build the tables (M-mode, before any case).
        PT_SET(pt_root, 1, pt_l1, PTE_V)
        PT_SET_PA(pt_root, 2, IMAGE_PA, RWAD | PTE_X)
        PT_SET_PA(pt_root, 3, IMAGE_PA, RWAD | PTE_X | PTE_U)
        PT_SET_PA(pt_root, 4, IMAGE_PA + 0x200000, RWAD)
        PT_SET(pt_l1, 0, pt_l0, PTE_V)
        PT_SET_PA(pt_l1, 1, IMAGE_PA, RWAD)
        PT_SET_PA(pt_l1, 2, IMAGE_PA + 0x1000, RWAD)
        PT_SET_PA(pt_l1, 3, IMAGE_PA, PTE_V | PTE_R | PTE_X | PTE_A)
        PT_SET(pt_l0, 0, page_a, RWAD)
        PT_SET(pt_l0, 1, page_b, PTE_V | PTE_R | PTE_A)
        PT_SET(pt_l0, 3, page_a, PTE_V | PTE_X | PTE_A)
        PT_SET(pt_l0, 4, page_a, PTE_V | PTE_W | PTE_A | PTE_D)
        PT_SET(pt_l0, 5, page_c, PTE_V | PTE_R | PTE_W)
        PT_SET(pt_l0, 6, page_a, RWAD | PTE_U)
        PT_SET(pt_l0, 7, exec_page, PTE_V | PTE_R | PTE_X | PTE_A)
        PT_SET(pt_l0, 8, exec_page, PTE_V | PTE_R | PTE_A)
        PT_SET(pt_l0, 9, exec_page, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A)
        PT_SET(pt_l0, 10, page_a, RWAD)
        PT_SET(pt_l0, 11, page_b, PTE_V)
        PT_SET(pt_l0, 12, page_d, PTE_V | PTE_R | PTE_W | PTE_A)
        PT_SET(pt_l0, 13, page_a, RWAD)
        li t0, 1 << 54                  # (t1 = &pt_l0[13])
        ld t2, 0(t1)
        or t2, t2, t0
        sd t2, 0(t1)
#ifdef VM_SV48
        PT_SET(pt_top, 0, pt_root, PTE_V)
        PT_SET_PA(pt_top, 1, 0, RWAD)                   # 512 GiB page at PA 0
        PT_SET_PA(pt_top, 2, IMAGE_PA, RWAD)            # misaligned
#endif
        SATP_SET(VM_MODE, VM_ROOT)
        ARM_TRAP(hb_fail, -1)
        GOTO_MODE(PRV_S, vm_in_s)
vm_in_s:

# --- A 4 KiB page: loads and stores reach the mapped physical page.
TEST_START(1)
        li a3, VA_RW
        ld a0, 0(a3)
        CHECK_IMM(a0, PAGE_A0)

TEST_START(2)
        li a3, VA_RW
        li a1, 0x123456789
        sd a1, 8(a3)
        la a2, page_a
        ld a0, 8(a2)
        CHECK_EQ(a0, a1)

# --- Permissions (4.3.1, table 4.5): R only.
TEST_START(3)
        li a3, VA_RO
        ld a0, 0(a3)
        CHECK_IMM(a0, PAGE_B0)

TEST_START(4)
        EXPECT_FAULT(CAUSE_STORE_PAGE_FAULT, VA_RO + 16, sd a3, 0(a3))
        la a2, page_b
        ld a0, 16(a2)
        CHECK_IMM(a0, 0)                # the store did not happen

# V=0: page faults, with the full faulting address in mtval (3.1.16).
TEST_START(5)
        EXPECT_FAULT(CAUSE_LOAD_PAGE_FAULT, VA_INV + 0x128, ld a0, 0(a3))

TEST_START(6)
        EXPECT_FAULT(CAUSE_STORE_PAGE_FAULT, VA_INV + 0x7fe, sh a0, 0(a3))

# X only: no load without MXR ...
TEST_START(7)
        EXPECT_FAULT(CAUSE_LOAD_PAGE_FAULT, VA_XO, lw a0, 0(a3))

# ... and with MXR=1, loads from executable pages work (3.1.6.3).
TEST_START(8)
        li t3, MSTATUS_MXR
        csrs sstatus, t3
        li a3, VA_XO
        ld a0, 0(a3)
        li t3, MSTATUS_MXR
        csrc sstatus, t3
        CHECK_IMM(a0, PAGE_A0)

# W without R is reserved: every access faults (4.3.2 step 3).
TEST_START(9)
        EXPECT_FAULT(CAUSE_LOAD_PAGE_FAULT, VA_WO + 8, ld a0, 0(a3))
        EXPECT_FAULT(CAUSE_STORE_PAGE_FAULT, VA_WO + 8, sd a0, 0(a3))

# --- A and D (4.3.1): Hartbox, like QEMU, sets them in the PTE instead of
# faulting.  A load sets A only ...
TEST_START(10)
        LOAD_PTE(a0, 5)
        CHECK_MASKED(a0, PTE_A | PTE_D, 0)
        li a3, VA_AD
        ld a1, 0(a3)
        CHECK_IMM(a1, PAGE_C0)
        LOAD_PTE(a0, 5)
        CHECK_MASKED(a0, PTE_A | PTE_D, PTE_A)

# ... a store sets D ...
TEST_START(11)
        li a3, VA_AD
        li a1, 0x5a5a
        sd a1, 8(a3)
        LOAD_PTE(a0, 5)
        CHECK_MASKED(a0, PTE_A | PTE_D, PTE_A | PTE_D)
        la a2, page_c
        ld a0, 8(a2)
        CHECK_IMM(a0, 0x5a5a)

# ... also when A was already set.
TEST_START(12)
        LOAD_PTE(a0, 12)
        CHECK_MASKED(a0, PTE_A | PTE_D, PTE_A)
        li a3, VA_D
        sw a3, 0(a3)
        LOAD_PTE(a0, 12)
        CHECK_MASKED(a0, PTE_A | PTE_D, PTE_A | PTE_D)

# --- U pages from S: faults unless SUM=1 (3.1.6.3).
TEST_START(13)
        EXPECT_FAULT(CAUSE_LOAD_PAGE_FAULT, VA_U, ld a0, 0(a3))
        EXPECT_FAULT(CAUSE_STORE_PAGE_FAULT, VA_U + 24, sd a0, 0(a3))

TEST_START(14)
        li t3, MSTATUS_SUM
        csrs sstatus, t3
        li a3, VA_U
        ld a0, 0(a3)
        li a1, 0x7777
        sd a1, 24(a3)
        CHECK_IMM(a0, PAGE_A0)
        la a2, page_a
        ld a0, 24(a2)
        CHECK_IMM(a0, 0x7777)

# S never executes from a U page, SUM or not; mepc = mtval = the target.
TEST_START(15)
        EXPECT_FAULT(CAUSE_FETCH_PAGE_FAULT, VA_UX, jalr ra, a3)
        CHECK_IMM(s11, VA_UX)
        li t3, MSTATUS_SUM
        csrc sstatus, t3

# --- Instruction fetch: X runs, no X faults.
TEST_START(16)
        li a5, 0
        li a3, VA_X
        jalr ra, a3
        CHECK_IMM(a5, 0x77)

TEST_START(17)
        EXPECT_FAULT(CAUSE_FETCH_PAGE_FAULT, VA_NX, jalr ra, a3)
        CHECK_IMM(s11, VA_NX)

# A valid pointer PTE at the last level is a page fault (4.3.2 step 4).
TEST_START(18)
        EXPECT_FAULT(CAUSE_LOAD_PAGE_FAULT, VA_PTR, ld a0, 0(a3))

# PTE bits 63:54 are reserved: a PTE with one set faults (4.4.1).
TEST_START(19)
        EXPECT_FAULT(CAUSE_LOAD_PAGE_FAULT, VA_RSV, ld a0, 0(a3))

# --- 2 MiB page: the low 21 bits of the VA index the physical region.
TEST_START(20)
        la a2, page_a
        li t3, VA_MEGA - IMAGE_PA
        add a3, a2, t3
        ld a0, 0(a3)
        CHECK_IMM(a0, PAGE_A0)
        li a1, 0x3c3c
        sd a1, 32(a3)
        ld a0, 32(a2)
        CHECK_IMM(a0, 0x3c3c)

# A superpage whose PPN is not aligned to its size faults (4.3.2 step 6).
TEST_START(21)
        EXPECT_FAULT(CAUSE_LOAD_PAGE_FAULT, VA_MEGA_BAD + 0x40, ld a0, 0(a3))

# An executable 2 MiB page: code runs from it, stores fault.
TEST_START(22)
        la a2, exec_page
        li t3, VA_MEGA_X - IMAGE_PA
        add a3, a2, t3
        li a5, 0
        jalr ra, a3
        CHECK_IMM(a5, 0x77)
        EXPECT_FAULT(CAUSE_STORE_PAGE_FAULT, VA_MEGA_X + 0x100, sd a0, 0(a3))

# 1 GiB pages: the identity map runs this code; a misaligned one faults.
TEST_START(23)
        EXPECT_FAULT(CAUSE_LOAD_PAGE_FAULT, VA_GIGA_BAD + 0x1000, lbu a0, 0(a3))

# --- A non-canonical address faults without a walk (4.4.1, 4.5.1).
TEST_START(24)
        EXPECT_FAULT(CAUSE_LOAD_PAGE_FAULT, VA_NONCANON, ld a0, 0(a3))
        EXPECT_FAULT(CAUSE_STORE_PAGE_FAULT, VA_NONCANON + 0x2000, sd a0, 0(a3))

# The upper canonical half is fine as such; nothing is mapped there.
TEST_START(25)
        EXPECT_FAULT(CAUSE_LOAD_PAGE_FAULT, 0xffffffffc0000000, ld a0, 0(a3))

# --- sfence.vma after changing a PTE (4.2.1): the new mapping is used.
TEST_START(26)
        li a3, VA_SF
        ld a0, 0(a3)
        CHECK_IMM(a0, PAGE_A0)
        la t3, page_b
        srli t3, t3, 12
        slli t3, t3, 10
        ori t3, t3, RWAD
        la t1, pt_l0 + 10 * 8
        sd t3, 0(t1)
        sfence.vma
        ld a0, 0(a3)
        CHECK_IMM(a0, PAGE_B0)

# ... also for an invalidated PTE, with an address-specific sfence.vma.
TEST_START(27)
        la t1, pt_l0 + 10 * 8
        sd zero, 0(t1)
        li a3, VA_SF
        sfence.vma a3, zero
        EXPECT_FAULT(CAUSE_LOAD_PAGE_FAULT, VA_SF, ld a0, 0(a3))

# --- Delegated page faults land in S with stval = the address (4.1.9).
TEST_START(28)
        RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)
        li t3, (1 << CAUSE_FETCH_PAGE_FAULT) | (1 << CAUSE_LOAD_PAGE_FAULT) | (1 << CAUSE_STORE_PAGE_FAULT)
        csrw medeleg, t3
        GOTO_MODE(PRV_S, 2f)
2:      li a3, VA_INV + 0x10
        ARM_TRAP(3f, PRV_S)
        ld a0, 0(a3)
        j hb_fail
3:      CHECK_TRAP_TVAL(CAUSE_LOAD_PAGE_FAULT, PRV_S, VA_INV + 0x10)
        li a3, VA_RO + 0x18
        ARM_TRAP(4f, PRV_S)
        sd a0, 0(a3)
        j hb_fail
4:      CHECK_TRAP_TVAL(CAUSE_STORE_PAGE_FAULT, PRV_S, VA_RO + 0x18)
        li a3, VA_NX
        ARM_TRAP(5f, PRV_S)
        jalr ra, a3
        j hb_fail
5:      CHECK_TRAP_TVAL(CAUSE_FETCH_PAGE_FAULT, PRV_S, VA_NX)
        CHECK_IMM(s11, VA_NX)
        RETURN_TO_M(6f)
6:      CHECK_TRAP(CAUSE_ECALL_S, PRV_M)
        csrw medeleg, zero

# --- U-mode code, running from the U alias of the image.
TEST_START(29)
        GOTO_U_ALIAS(vm_user)
vm_user:
        li a3, VA_U                     # a U page: fine
        ld a0, 0(a3)
        CHECK_IMM(a0, PAGE_A0)
        li a5, 0                        # U code runs from a U|X page
        li a3, VA_UX
        jalr ra, a3
        CHECK_IMM(a5, 0x77)
        U_RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_U, PRV_M)

# U may not touch S pages: load, store, fetch.
TEST_START(30)
        GOTO_U_ALIAS(2f)
2:      EXPECT_FAULT(CAUSE_LOAD_PAGE_FAULT, VA_RW, ld a0, 0(a3))
        EXPECT_FAULT(CAUSE_STORE_PAGE_FAULT, VA_RW + 8, sd a0, 0(a3))
        EXPECT_FAULT(CAUSE_FETCH_PAGE_FAULT, VA_X, jalr ra, a3)
        CHECK_MASKED(s6, MSTATUS_MPP, 0)
        EXPECT_FAULT(CAUSE_LOAD_PAGE_FAULT, IMAGE_PA + 0x1000, ld a0, 0(a3))
        U_RETURN_TO_M(1f)
1:      CHECK_TRAP(CAUSE_ECALL_U, PRV_M)

# --- MPRV=1 in M: loads and stores translate with MPP's privilege
# (3.1.6.3).  MPP=S:
TEST_START(31)
        li t3, MSTATUS_MPP
        csrc mstatus, t3
        li t3, MSTATUS_MPRV | MSTATUS_MPP_S
        csrs mstatus, t3
        li a3, VA_RO
        ld a0, 0(a3)
        li t3, MSTATUS_MPRV
        csrc mstatus, t3
        CHECK_IMM(a0, PAGE_B0)

# MPP=U: an S page faults, in M, with mtval = the address.
TEST_START(32)
        li t3, MSTATUS_MPP
        csrc mstatus, t3
        li t3, MSTATUS_MPRV
        csrs mstatus, t3
        li a3, VA_RW
        ARM_TRAP(1f, PRV_M)
        ld a0, 0(a3)
        j hb_fail
1:      li t3, MSTATUS_MPRV
        csrc mstatus, t3
        CHECK_TRAP_TVAL(CAUSE_LOAD_PAGE_FAULT, PRV_M, VA_RW)
        CHECK_MASKED(s6, MSTATUS_MPP, MSTATUS_MPP_M)

# --- satp (4.1.11): a write with an unsupported MODE has no effect at all.
TEST_START(33)
        csrr a0, satp
        li t3, 0x1000000000012345       # MODE=1 is reserved
        csrw satp, t3
        csrr a1, satp
        CHECK_EQ(a1, a0)
        li t3, VM_MODE
        and t3, a0, t3
        CHECK_IMM(t3, VM_MODE)

#ifdef VM_SV48
# --- Sv48 only: a 512 GiB page at PA 0, reached with bit 39 set, a VA
# that Sv39 could not translate (4.5).
TEST_START(34)
        GOTO_MODE(PRV_S, 2f)
2:      la a2, page_a
        li t3, 0x8000000000
        add a3, a2, t3
        ld a0, 0(a3)
        CHECK_IMM(a0, PAGE_A0)

# A misaligned 512 GiB page faults.
TEST_START(35)
        EXPECT_FAULT(CAUSE_LOAD_PAGE_FAULT, 0x10000001000, ld a0, 0(a3))
        RETURN_TO_M(1f)
1:
#endif

        csrw satp, zero
        sfence.vma
        RESET_TRAP_HANDLER
RVTEST_CODE_END

        # A page of code: sets a5 and returns (mapped X, not X, and U|X).
        .balign 4096
exec_page:
        li a5, 0x77
        ret
        .balign 4096

        PRIV_TRAP_HANDLERS

RVTEST_DATA_BEGIN
        .balign 4096
#ifdef VM_SV48
pt_top:  .fill 512, 8, 0
#endif
pt_root: .fill 512, 8, 0
pt_l1:   .fill 512, 8, 0
pt_l0:   .fill 512, 8, 0
page_a:  .dword PAGE_A0
         .fill 511, 8, 0
page_b:  .dword PAGE_B0
         .fill 511, 8, 0
page_c:  .dword PAGE_C0
         .fill 511, 8, 0
page_d:  .dword PAGE_D0
         .fill 511, 8, 0
RVTEST_DATA_END
