/* Extra macros for the privileged-architecture and F/D tests (priv_*.S,
 * rv64uf_*.S, rv64ud_*.S).  Include after harness.h.
 *
 * Trap recorder
 * -------------
 * PRIV_INSTALL_HANDLERS points mtvec and stvec at two recording handlers
 * (emitted by PRIV_TRAP_HANDLERS, after RVTEST_CODE_END).  Either handler
 * records the trap and resumes where the test said:
 *
 *   inputs  s8 = resume pc (0: keep xepc; allowed for interrupts only,
 *                an exception with s8 = 0 fails the test instead of looping)
 *           s7 = privilege to resume in (PRV_U/PRV_S/PRV_M), -1 = unchanged
 *                (the S handler can only resume in U or S)
 *   outputs s9 = xcause, s10 = xtval, s11 = xepc, s6 = xstatus after entry
 *           s3 = level that took the trap (PRV_M or PRV_S)
 *           s2 = vector slot taken (-1 when entered in direct mode)
 *           s4 = number of traps since ARM_TRAP
 *   scratch s5
 * An interrupt clears xip.SSIP (the only interrupt the tests raise) so that
 * it is not taken again.
 *
 * Every other register is left alone, so a test can keep state across traps
 * in a*, t*, s0, s1 (harness.h's macros use a0-a4, t0 and t2 themselves).
 */
#ifndef HARTBOX_ROMS_ISA_PRIV_H
#define HARTBOX_ROMS_ISA_PRIV_H

#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

/* mstatus / sstatus fields (priv spec 3.1.6, 4.1.1). */
#define MSTATUS_SIE   0x2
#define MSTATUS_SPIE  0x20
#define MSTATUS_UBE   0x40
#define MSTATUS_MPIE  0x80
#define MSTATUS_SPP   0x100
#define MSTATUS_VS    0x600
#define MSTATUS_MPP_S 0x800
#define MSTATUS_MPP_M 0x1800
#define MSTATUS_FS_CLEAN 0x4000
#define MSTATUS_FS_DIRTY 0x6000
#define MSTATUS_XS    0x18000
#define MSTATUS_MPRV  0x20000
#define MSTATUS_SUM   0x40000
#define MSTATUS_MXR   0x80000
#define MSTATUS_TVM   0x100000
#define MSTATUS_TW    0x200000
#define MSTATUS_TSR   0x400000
#define MSTATUS_UXL   0x300000000
#define MSTATUS_SXL   0xc00000000
#define MSTATUS_SD    0x8000000000000000

/* The sstatus view of mstatus (priv spec 4.1.1, figure 4.2). */
#define SSTATUS_MASK  0x80000003000de762

/* Interrupt bits of mip/mie (priv spec 3.1.9). */
#define MIP_SSIP 0x2
#define MIP_MSIP 0x8
#define MIP_STIP 0x20
#define MIP_MTIP 0x80
#define MIP_SEIP 0x200
#define MIP_MEIP 0x800

/* mcause values (priv spec 3.1.15, table 3.6). */
#define INTR_BIT                 0x8000000000000000
#define CAUSE_MISALIGNED_FETCH   0
#define CAUSE_FETCH_ACCESS       1
#define CAUSE_ILLEGAL            2
#define CAUSE_BREAKPOINT         3
#define CAUSE_MISALIGNED_LOAD    4
#define CAUSE_LOAD_ACCESS        5
#define CAUSE_MISALIGNED_STORE   6
#define CAUSE_STORE_ACCESS       7
#define CAUSE_ECALL_U            8
#define CAUSE_ECALL_S            9
#define CAUSE_ECALL_M            11
#define CAUSE_FETCH_PAGE_FAULT   12
#define CAUSE_LOAD_PAGE_FAULT    13
#define CAUSE_STORE_PAGE_FAULT   15
#define IRQ_S_SOFT               1
#define IRQ_M_SOFT               3

/* Page-table entries and satp (priv spec 4.3.1, 4.4.1, 4.5.1). */
#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_U 0x10
#define PTE_G 0x20
#define PTE_A 0x40
#define PTE_D 0x80
#define SATP_MODE_SV39 0x8000000000000000
#define SATP_MODE_SV48 0x9000000000000000

/* fflags bits (unpriv spec 11.2). */
#define FFLAG_NX 0x01
#define FFLAG_UF 0x02
#define FFLAG_OF 0x04
#define FFLAG_DZ 0x08
#define FFLAG_NV 0x10

/* ------------------------------------------------------------------ */
/* Checks                                                              */
/* ------------------------------------------------------------------ */

/* reg == constant (clobbers t2). */
#define CHECK_IMM(reg, value)           \
        li t2, value;                   \
        CHECK_EQ(reg, t2)

/* (reg & mask) == value (clobbers t1, t2). */
#define CHECK_MASKED(reg, mask, value)  \
        li t1, mask;                    \
        and t1, reg, t1;                \
        li t2, value;                   \
        CHECK_EQ(t1, t2)

/* CSR bits covered by mask read as value (clobbers t1, t2). */
#define CHECK_CSR_MASKED(csr, mask, value) \
        csrr t1, csr;                   \
        li t2, mask;                    \
        and t1, t1, t2;                 \
        li t2, value;                   \
        CHECK_EQ(t1, t2)

/* ------------------------------------------------------------------ */
/* F/D cases on bit patterns (need ENABLE_FPU)                         */
/* ------------------------------------------------------------------ */
/* harness.h's HB_FP_* with every value a bit pattern: fa0, fa1, fa2 = a,
 * b, c; `code` leaves its result in fa3; the case checks fa3's bits (single:
 * through fmv.x.w, sign-extended) and that fflags is exactly `flags`. */
#define FP_S(n, flags, result, a, b, c, code...) \
        HB_FP_S(n, .word, flags, result, a, b, c, code)
#define FP_D(n, flags, result, a, b, c, code...) \
        HB_FP_D(n, .dword, flags, result, a, b, c, code)

/* Integer result: `code` reads fa0/fa1 and leaves its result in a4. */
#define FP_INT_S(n, flags, result, a, b, code...) \
        HB_FP_INT_CASE(n, flw, 4, .word, flags, result, a, b, code)
#define FP_INT_D(n, flags, result, a, b, code...) \
        HB_FP_INT_CASE(n, fld, 8, .dword, flags, result, a, b, code)

/* Integer source: a1 = ival; `code` leaves its result in fa3. */
#define HB_INT_FP(n, fmvx, flags, result, ival, code...) \
        TEST_START(n);                  \
        li a1, ival;                    \
        csrwi fflags, 0;                \
        code;                           \
        fmvx a0, fa3;                   \
        li a2, result;                  \
        CHECK_EQ(a0, a2);               \
        csrr a1, fflags;                \
        li a2, flags;                   \
        CHECK_EQ(a1, a2)
/* Single results are written as 32-bit patterns: sign-extend them like
 * fmv.x.w does. */
#define INT_FP_S(n, flags, result, ival, code...) \
        HB_INT_FP(n, fmv.x.w, flags, ((result) ^ 0x80000000) - 0x80000000, ival, code)
#define INT_FP_D(n, flags, result, ival, code...) \
        HB_INT_FP(n, fmv.x.d, flags, result, ival, code)

/* ------------------------------------------------------------------ */
/* Page tables (priv spec 4.3-4.5)                                     */
/* ------------------------------------------------------------------ */

/* A PTE holds PPN = PA >> 12 at bit 10 (4.4.1). */
#define PTE_OF_PA(pa) ((((pa) >> 12) << 10))

/* table[index] <- PTE pointing at label's page (clobbers t0, t1). */
#define PT_SET(table, index, target, flags) \
        la t0, target;                  \
        srli t0, t0, 12;                \
        slli t0, t0, 10;                \
        ori t0, t0, flags;              \
        la t1, table + (index) * 8;     \
        sd t0, 0(t1)

/* table[index] <- PTE pointing at physical address pa. */
#define PT_SET_PA(table, index, pa, flags) \
        li t0, PTE_OF_PA(pa) | (flags); \
        la t1, table + (index) * 8;     \
        sd t0, 0(t1)

/* satp <- mode | PPN of root, then flush (clobbers t0, t1). */
#define SATP_SET(mode, root)            \
        la t0, root;                    \
        srli t0, t0, 12;                \
        li t1, mode;                    \
        or t0, t0, t1;                  \
        csrw satp, t0;                  \
        sfence.vma

/* ------------------------------------------------------------------ */
/* Trap recorder                                                       */
/* ------------------------------------------------------------------ */

#define PRIV_INSTALL_HANDLERS           \
        la t0, priv_mtrap;              \
        csrw mtvec, t0;                 \
        la t0, priv_strap;              \
        csrw stvec, t0

/* Expect traps from here on: clear the record, say where to resume. */
#define ARM_TRAP(resume, mode)          \
        li s9, -1;                      \
        li s10, -1;                     \
        li s11, -1;                     \
        li s4, 0;                       \
        li s3, -1;                      \
        li s2, -2;                      \
        la s8, resume;                  \
        li s7, mode

/* Expect interrupts: the handler resumes where the interrupt hit. */
#define ARM_INTERRUPT                   \
        li s9, -1;                      \
        li s10, -1;                     \
        li s11, -1;                     \
        li s4, 0;                       \
        li s3, -1;                      \
        li s2, -2;                      \
        li s8, 0;                       \
        li s7, -1

/* Exactly one trap, with this cause, taken at this level. */
#define CHECK_TRAP(cause, level)        \
        CHECK_IMM(s4, 1);               \
        CHECK_IMM(s9, cause);           \
        CHECK_IMM(s3, level)

/* ... and this xtval. */
#define CHECK_TRAP_TVAL(cause, level, tval) \
        CHECK_TRAP(cause, level);       \
        CHECK_IMM(s10, tval)

#define CHECK_NO_TRAP                   \
        CHECK_IMM(s4, 0)

/* Enter `mode` at `label` with mret, from M-mode (priv spec 3.3.2; clobbers
 * t0).  MPIE is left alone, so MIE becomes what MPIE was.  Every mret sets
 * MPIE, so after a round trip through a lower mode M runs with MIE=1: a test
 * that needs MIE=0 clears it itself. */
#define GOTO_MODE(mode, label)          \
        li t0, MSTATUS_MPP;             \
        csrc mstatus, t0;               \
        li t0, (mode) << 11;            \
        csrs mstatus, t0;               \
        la t0, label;                   \
        csrw mepc, t0;                  \
        mret

/* ecall, and continue in M-mode at `label` (unless ecalls from this mode
 * are delegated to S). */
#define RETURN_TO_M(label)              \
        ARM_TRAP(label, PRV_M);         \
        ecall

/* Both handlers and the vector tables.  Place after RVTEST_CODE_END. */
#define PRIV_TRAP_HANDLERS                                              \
        .balign 4;                                                      \
priv_mtrap:                                                             \
        li s2, -1;                                                      \
priv_mtrap_common:                                                      \
        csrr s9, mcause;                                                \
        csrr s10, mtval;                                                \
        csrr s11, mepc;                                                 \
        csrr s6, mstatus;                                               \
        li s3, PRV_M;                                                   \
        addi s4, s4, 1;                                                 \
        bgez s9, 10031f;                                                \
        csrci mip, MIP_SSIP;                                            \
        j 10032f;                                                       \
10031:  bnez s8, 10032f;                                                \
        j hb_fail;                                                      \
10032:  beqz s8, 10033f;                                                \
        csrw mepc, s8;                                                  \
10033:  bltz s7, 10034f;                                                \
        li s5, MSTATUS_MPP;                                             \
        csrc mstatus, s5;                                               \
        slli s5, s7, 11;                                                \
        csrs mstatus, s5;                                               \
10034:  mret;                                                           \
                                                                        \
        .balign 4;                                                      \
priv_strap:                                                             \
        li s2, -1;                                                      \
priv_strap_common:                                                      \
        csrr s9, scause;                                                \
        csrr s10, stval;                                                \
        csrr s11, sepc;                                                 \
        csrr s6, sstatus;                                               \
        li s3, PRV_S;                                                   \
        addi s4, s4, 1;                                                 \
        bgez s9, 10035f;                                                \
        csrci sip, MIP_SSIP;                                            \
        j 10036f;                                                       \
10035:  bnez s8, 10036f;                                                \
        j hb_fail;                                                      \
10036:  beqz s8, 10037f;                                                \
        csrw sepc, s8;                                                  \
10037:  bltz s7, 10038f;                                                \
        li s5, MSTATUS_SPP;                                             \
        csrc sstatus, s5;                                               \
        beqz s7, 10038f;                                                \
        csrs sstatus, s5;                                               \
10038:  sret;                                                           \
                                                                        \
        /* Vectored mode (priv spec 3.1.7): slot i at BASE + 4*i, so    \
           4-byte jumps, never compressed ones.  256-byte alignment is  \
           more than any implementation is known to need. */            \
        .option push;                                                   \
        .option norvc;                                                  \
        .balign 256;                                                    \
priv_mvec:                                                              \
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15;                  \
        j priv_mvec_\n;                                                 \
        .endr;                                                          \
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15;                  \
priv_mvec_\n: li s2, \n; j priv_mtrap_common;                           \
        .endr;                                                          \
        .balign 256;                                                    \
priv_svec:                                                              \
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15;                  \
        j priv_svec_\n;                                                 \
        .endr;                                                          \
        .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15;                  \
priv_svec_\n: li s2, \n; j priv_strap_common;                           \
        .endr;                                                          \
        .option pop

#endif /* HARTBOX_ROMS_ISA_PRIV_H */
