/* Hartbox ISA test harness: shared by every roms/isa/*.S test.
 *
 * A test is a bare-metal M-mode program linked by roms/isa/link.ld:
 *
 *     #include "harness.h"
 *     RVTEST_CODE_BEGIN
 *       TEST_RR_OP(1, add, 3, 1, 2)
 *       ...
 *     RVTEST_CODE_END
 *     RVTEST_DATA_BEGIN
 *       ... data ...
 *     RVTEST_DATA_END
 *
 * Result protocol (HTIF, as on Spike and QEMU's spike machine): the test writes
 * 1 to `tohost` on success, (TESTNUM << 1) | 1 on failure, so the emulator's
 * exit status is the number of the failing case.  The host's exit status is
 * 8 bits wide, so case numbers must stay in 1..254 (checked at assembly time);
 * 255 means "failed with no valid case number" (before the first case, or
 * while a case was using gp as an ordinary register).
 *
 * Section numbers in comments ("unpriv spec 2.5.1", "priv spec 3.1.6") refer
 * to the unprivileged ISA manual 20191213 and the privileged one 20211203.
 *
 * Register conventions:
 *   gp (x3)  = TESTNUM, the current case number; never touch it in a test.
 *   sp (x2)  = _stack_top from link.ld at start.
 *   The TEST_* macros use a1, a2 (operands), a4 (result), t2 (expected value),
 *   a0/a3 and fa0-fa3 (FP macros); ENABLE_FPU, SET_TRAP_HANDLER and
 *   RESET_TRAP_HANDLER clobber t0.  All other registers are zero at start and
 *   free for the test.
 *   Tests of uncompressed encodings put `.option norvc` after
 *   RVTEST_CODE_BEGIN, or the assembler may pick C forms (e.g. for rd == rs1).
 *
 * Traps: mtvec starts at a handler that fails the test (after recording
 * mcause/mepc/mtval in hb_trap_record for debugging).  A test that expects a
 * trap installs its own handler:
 *
 *       SET_TRAP_HANDLER(my_handler)      # mtvec <- my_handler (clobbers t0)
 *       ...instruction that traps...
 *     resume:
 *       RESET_TRAP_HANDLER                # back to fail-on-any-trap
 *       ...
 *     TRAP_HANDLER(my_handler)            # 4-byte aligned label (mtvec.BASE)
 *       READ_TRAP(t3, t4, t5)             # t3=mcause t4=mepc t5=mtval
 *       ...check them, branch to hb_fail on mismatch...
 *       MRET_SKIP(t3, t4)                 # mepc += length of the trapping insn
 *   or  MRET_TO(resume, t3)               # mepc <- resume
 */
#ifndef HARTBOX_ROMS_ISA_HARNESS_H
#define HARTBOX_ROMS_ISA_HARNESS_H

#define TESTNUM gp

/* mstatus fields (priv spec 3.1.6). */
#define MSTATUS_MIE        0x8
#define MSTATUS_MPP        0x1800
#define MSTATUS_FS         0x6000
#define MSTATUS_FS_INITIAL 0x2000

/* Make FP instructions legal (unpriv spec 11.1 / priv spec 3.1.6.6: FS=Off
 * makes every FP instruction illegal) and clear fcsr (frm=RNE, no flags). */
#define ENABLE_FPU                      \
        li t0, MSTATUS_FS;              \
        csrc mstatus, t0;               \
        li t0, MSTATUS_FS_INITIAL;      \
        csrs mstatus, t0;               \
        csrwi fcsr, 0

/* ------------------------------------------------------------------ */
/* Start, pass, fail                                                   */
/* ------------------------------------------------------------------ */

/* The HTIF mailbox: QEMU's spike machine and Hartbox find it by symbol, and
 * QEMU insists on an 8-byte symbol size. */
#define HB_TOHOST_SECTION                                       \
        .pushsection .tohost, "aw", @progbits;                  \
        .balign 64; .globl tohost; .type tohost, @object;       \
        .size tohost, 8; tohost: .dword 0;                      \
        .balign 64; .globl fromhost; .type fromhost, @object;   \
        .size fromhost, 8; fromhost: .dword 0;                  \
        .balign 64;                                             \
        .popsection

/* Writes a CSR that may not exist (PMP, S-mode CSRs) without failing: a trap
 * on the write lands on the next instruction via a temporary mtvec. */
#define HB_TRY_CSRW(csr, reg)           \
        la t0, 10010f;                  \
        csrw mtvec, t0;                 \
        csrw csr, reg;                  \
        .balign 4;                      \
10010:

/* The harness's own code is assembled without C, so rv64ui tests (which
 * also use .option norvc) run on a hart that implements only RV64I. */
#define RVTEST_CODE_BEGIN                                               \
        HB_TOHOST_SECTION;                                              \
        .section .text.init, "ax", @progbits;                           \
        .option push;                                                   \
        .option norvc;                                                  \
        .globl _start;                                                  \
_start:                                                                 \
        j hb_reset;                                                     \
                                                                        \
        /* Any trap not claimed by the test: record and fail. */        \
        .balign 4;                                                      \
        .globl hb_unexpected_trap;                                      \
hb_unexpected_trap:                                                     \
        la t0, hb_trap_record;                                          \
        csrr t1, mcause; sd t1, 0(t0);                                  \
        csrr t1, mepc;   sd t1, 8(t0);                                  \
        csrr t1, mtval;  sd t1, 16(t0);                                 \
        /* fall through */                                              \
        .globl hb_fail;                                                 \
hb_fail:                                                                \
        fence;                                                          \
        /* TESTNUM outside 1..254 (not yet set, or clobbered by a case  \
           that used gp) reports 255: never 0, which would read as a    \
           pass once the host truncates the status to 8 bits. */        \
        addi t0, TESTNUM, -1;                                           \
        sltiu t1, t0, 254;                                              \
        bnez t1, 1f;                                                    \
        li t0, 254;                                                     \
1:      addi t0, t0, 1;                                                 \
        slli t0, t0, 1;                                                 \
        ori t0, t0, 1;                                                  \
        la t1, tohost;                                                  \
        sd t0, 0(t1);                                                   \
2:      j 2b;                                                           \
                                                                        \
        .globl hb_pass;                                                 \
hb_pass:                                                                \
        fence;                                                          \
        li t0, 1;                                                       \
        la t1, tohost;                                                  \
        sd t0, 0(t1);                                                   \
3:      j 3b;                                                           \
                                                                        \
hb_reset:                                                               \
        /* Architectural reset leaves GPRs unspecified (priv spec 3.4). */ \
        li x1, 0;  li x2, 0;  li x3, 0;  li x4, 0;                      \
        li x5, 0;  li x6, 0;  li x7, 0;  li x8, 0;                      \
        li x9, 0;  li x10, 0; li x11, 0; li x12, 0;                     \
        li x13, 0; li x14, 0; li x15, 0; li x16, 0;                     \
        li x17, 0; li x18, 0; li x19, 0; li x20, 0;                     \
        li x21, 0; li x22, 0; li x23, 0; li x24, 0;                     \
        li x25, 0; li x26, 0; li x27, 0; li x28, 0;                     \
        li x29, 0; li x30, 0; li x31, 0;                                \
        /* No interrupts; MPP=U, FS=Off (priv spec 3.1.6). */           \
        csrw mstatus, zero;                                             \
        HB_TRY_CSRW(mie, zero);                                         \
        /* One NAPOT region over all memory, RWX, so S/U code may run   \
           (priv spec 3.7: with PMP present, S/U get no access without  \
           a matching entry). */                                        \
        li t1, -1;                                                      \
        HB_TRY_CSRW(pmpaddr0, t1);                                      \
        li t1, 0x1f;                                                    \
        HB_TRY_CSRW(pmpcfg0, t1);                                       \
        HB_TRY_CSRW(satp, zero);                                        \
        HB_TRY_CSRW(medeleg, zero);                                     \
        HB_TRY_CSRW(mideleg, zero);                                     \
        la t0, hb_unexpected_trap;                                      \
        csrw mtvec, t0;                                                 \
        la sp, _stack_top;                                              \
        li t0, 0;                                                       \
        li t1, 0;                                                       \
        li TESTNUM, 0;                                                  \
        .option pop                                                     \
        /* the test's code follows */

#define PASS j hb_pass
#define FAIL j hb_fail

#define RVTEST_CODE_END                 \
        PASS;                           \
        unimp

#define RVTEST_DATA_BEGIN                                       \
        .pushsection .data, "aw", @progbits;                    \
        .balign 8;                                              \
        .globl hb_trap_record;                                  \
hb_trap_record: .dword 0, 0, 0; /* mcause, mepc, mtval */       \
        .popsection;                                            \
        .section .data, "aw", @progbits;                        \
        .balign 8

#define RVTEST_DATA_END

/* Everything between SIGNATURE_BEGIN and the next section directive lands
 * between begin_signature and end_signature (link.ld), for --signature. */
#define SIGNATURE_BEGIN .section .data.signature, "aw", @progbits; .balign 16

/* ------------------------------------------------------------------ */
/* Trap hooks                                                          */
/* ------------------------------------------------------------------ */

/* mtvec direct mode: BASE must be 4-byte aligned (priv spec 3.1.7). */
#define TRAP_HANDLER(label) .balign 4; label:

#define SET_TRAP_HANDLER(label)         \
        la t0, label;                   \
        csrw mtvec, t0

#define RESET_TRAP_HANDLER              \
        la t0, hb_unexpected_trap;      \
        csrw mtvec, t0

#define READ_TRAP(cause_reg, epc_reg, tval_reg) \
        csrr cause_reg, mcause;                 \
        csrr epc_reg, mepc;                     \
        csrr tval_reg, mtval

/* Resume after the trapping instruction: its length comes from the low two
 * bits of its first parcel (unpriv spec 1.5: 0b11 = 32-bit, else 16-bit). */
#define MRET_SKIP(tmp1, tmp2)           \
        csrr tmp1, mepc;                \
        lhu tmp2, 0(tmp1);              \
        andi tmp2, tmp2, 3;             \
        addi tmp1, tmp1, 2;             \
        xori tmp2, tmp2, 3;             \
        bnez tmp2, 10020f;              \
        addi tmp1, tmp1, 2;             \
10020:  csrw mepc, tmp1;                \
        mret

#define MRET_TO(label, tmp)             \
        la tmp, label;                  \
        csrw mepc, tmp;                 \
        mret

/* ------------------------------------------------------------------ */
/* Integer test macros                                                 */
/* ------------------------------------------------------------------ */

/* Opens a case: checks the number fits the 8-bit exit status, defines
 * test_<n> (a duplicate number is an assembly error) and sets TESTNUM. */
#define TEST_START(testnum)                                             \
        .if ((testnum) < 1) || ((testnum) > 254);                       \
        .error "test case numbers must be in 1..254";                   \
        .endif;                                                         \
test_ ## testnum:                                                       \
        li TESTNUM, testnum

/* beq/bne reach only +-4 KiB (unpriv spec 2.5); jal reaches +-1 MiB. */
#define CHECK_EQ(reg, expected_reg)     \
        beq reg, expected_reg, 10001f;  \
        j hb_fail;                      \
10001:

/* Runs code, then checks testreg == correctval. */
#define TEST_CASE(testnum, testreg, correctval, code...)        \
        TEST_START(testnum);                                    \
        code;                                                   \
        li t2, correctval;                                      \
        CHECK_EQ(testreg, t2)

/* Register-register ALU op: a4 = a1 op a2. */
#define TEST_RR_OP(testnum, inst, result, val1, val2)           \
        TEST_CASE(testnum, a4, result,                          \
                li a1, val1; li a2, val2; inst a4, a1, a2)

#define TEST_RR_SRC1_EQ_DEST(testnum, inst, result, val1, val2) \
        TEST_CASE(testnum, a1, result,                          \
                li a1, val1; li a2, val2; inst a1, a1, a2)

#define TEST_RR_SRC2_EQ_DEST(testnum, inst, result, val1, val2) \
        TEST_CASE(testnum, a2, result,                          \
                li a1, val1; li a2, val2; inst a2, a1, a2)

#define TEST_RR_SRC12_EQ_DEST(testnum, inst, result, val1)      \
        TEST_CASE(testnum, a1, result,                          \
                li a1, val1; inst a1, a1, a1)

/* x0 as a source reads 0 (unpriv spec 2.1). */
#define TEST_RR_ZEROSRC1(testnum, inst, result, val)            \
        TEST_CASE(testnum, a4, result,                          \
                li a2, val; inst a4, x0, a2)

#define TEST_RR_ZEROSRC2(testnum, inst, result, val)            \
        TEST_CASE(testnum, a4, result,                          \
                li a1, val; inst a4, a1, x0)

/* x0 as a destination discards the result (unpriv spec 2.1). */
#define TEST_RR_ZERODEST(testnum, inst, val1, val2)             \
        TEST_CASE(testnum, x0, 0,                               \
                li a1, val1; li a2, val2; inst x0, a1, a2)

/* Register-immediate ALU op: a4 = a1 op imm. */
#define TEST_IMM_OP(testnum, inst, result, val1, imm)           \
        TEST_CASE(testnum, a4, result,                          \
                li a1, val1; inst a4, a1, imm)

#define TEST_IMM_SRC1_EQ_DEST(testnum, inst, result, val1, imm) \
        TEST_CASE(testnum, a1, result,                          \
                li a1, val1; inst a1, a1, imm)

#define TEST_IMM_ZEROSRC1(testnum, inst, result, imm)           \
        TEST_CASE(testnum, a4, result,                          \
                inst a4, x0, imm)

#define TEST_IMM_ZERODEST(testnum, inst, val1, imm)             \
        TEST_CASE(testnum, x0, 0,                               \
                li a1, val1; inst x0, a1, imm)

/* Load: a4 = inst offset(base); base is a data label. */
#define TEST_LD_OP(testnum, inst, result, offset, base)         \
        TEST_CASE(testnum, a4, result,                          \
                la a2, base; inst a4, offset(a2))

/* Store then load back through load_inst; result is what the load must
 * return given the stored width and the load's extension. */
#define TEST_ST_OP(testnum, load_inst, store_inst, result, offset, base) \
        TEST_CASE(testnum, a4, result,                          \
                la a2, base; li a1, result;                     \
                store_inst a1, offset(a2);                      \
                load_inst a4, offset(a2))

/* Branch taken, both forward and backward. */
#define TEST_BR2_OP_TAKEN(testnum, inst, val1, val2)            \
        TEST_START(testnum);                                    \
        li a1, val1; li a2, val2;                               \
        inst a1, a2, 10003f;                                    \
        j hb_fail;                                              \
10002:  j 10004f;                                               \
10003:  inst a1, a2, 10002b;                                    \
        j hb_fail;                                              \
10004:

/* Branch not taken, both directions. */
#define TEST_BR2_OP_NOTTAKEN(testnum, inst, val1, val2)         \
        TEST_START(testnum);                                    \
        li a1, val1; li a2, val2;                               \
        inst a1, a2, 10005f;                                    \
        j 10006f;                                               \
10005:  j hb_fail;                                              \
10006:  inst a1, a2, 10005b

/* ------------------------------------------------------------------ */
/* Floating-point test macros (need ENABLE_FPU first)                  */
/* ------------------------------------------------------------------ */
/* Operands and result live in .data; `ddir` is the data directive for the
 * values (.float/.double for literals, .word/.dword for bit patterns, e.g.
 * NaNs).  The case checks the result bits and the accrued flags (fflags,
 * unpriv spec 11.2: NX=1 UF=2 OF=4 DZ=8 NV=16).  Single results are compared
 * through fmv.x.w, which sign-extends bit 31 like lw does. */
#define HB_FP_CASE(testnum, flw_, lw_, fmvx, sz, ddir, flags, result, v1, v2, v3, code...) \
        TEST_START(testnum);                                    \
        la a0, 10007f;                                          \
        flw_ fa0, 0(a0);                                        \
        flw_ fa1, sz(a0);                                       \
        flw_ fa2, 2*sz(a0);                                     \
        lw_ a3, 3*sz(a0);                                       \
        csrwi fflags, 0;                                        \
        code;                                                   \
        fmvx a0, fa3;                                           \
        CHECK_EQ(a0, a3);                                       \
        csrr a1, fflags;                                        \
        li a2, flags;                                           \
        CHECK_EQ(a1, a2);                                       \
        .pushsection .data, "aw", @progbits;                    \
        .balign 8;                                              \
10007:  ddir v1; ddir v2; ddir v3; ddir result;                 \
        .popsection

#define HB_FP_S(n, ddir, flags, result, v1, v2, v3, code...) \
        HB_FP_CASE(n, flw, lw, fmv.x.w, 4, ddir, flags, result, v1, v2, v3, code)
#define HB_FP_D(n, ddir, flags, result, v1, v2, v3, code...) \
        HB_FP_CASE(n, fld, ld, fmv.x.d, 8, ddir, flags, result, v1, v2, v3, code)

/* fa3 = inst fa0 */
#define TEST_FP_OP1_S(n, inst, flags, result, v1) \
        HB_FP_S(n, .float, flags, result, v1, 0.0, 0.0, inst fa3, fa0)
#define TEST_FP_OP1_D(n, inst, flags, result, v1) \
        HB_FP_D(n, .double, flags, result, v1, 0.0, 0.0, inst fa3, fa0)
/* fa3 = fa0 inst fa1 */
#define TEST_FP_OP2_S(n, inst, flags, result, v1, v2) \
        HB_FP_S(n, .float, flags, result, v1, v2, 0.0, inst fa3, fa0, fa1)
#define TEST_FP_OP2_D(n, inst, flags, result, v1, v2) \
        HB_FP_D(n, .double, flags, result, v1, v2, 0.0, inst fa3, fa0, fa1)
/* fa3 = inst fa0, fa1, fa2 (fused multiply-add family) */
#define TEST_FP_OP3_S(n, inst, flags, result, v1, v2, v3) \
        HB_FP_S(n, .float, flags, result, v1, v2, v3, inst fa3, fa0, fa1, fa2)
#define TEST_FP_OP3_D(n, inst, flags, result, v1, v2, v3) \
        HB_FP_D(n, .double, flags, result, v1, v2, v3, inst fa3, fa0, fa1, fa2)
/* Same, with every value given as a bit pattern (.word / .dword). */
#define TEST_FP_OP2_S_BITS(n, inst, flags, result, v1, v2) \
        HB_FP_S(n, .word, flags, result, v1, v2, 0, inst fa3, fa0, fa1)
#define TEST_FP_OP2_D_BITS(n, inst, flags, result, v1, v2) \
        HB_FP_D(n, .dword, flags, result, v1, v2, 0, inst fa3, fa0, fa1)

/* Integer result from FP operands (feq/flt/fle/fclass/fcvt.*): a4 = inst. */
#define HB_FP_INT_CASE(testnum, flw_, sz, ddir, flags, result, v1, v2, code...) \
        TEST_START(testnum);                                    \
        la a0, 10008f;                                          \
        flw_ fa0, 0(a0);                                        \
        flw_ fa1, sz(a0);                                       \
        csrwi fflags, 0;                                        \
        code;                                                   \
        li t2, result;                                          \
        CHECK_EQ(a4, t2);                                       \
        csrr a1, fflags;                                        \
        li a2, flags;                                           \
        CHECK_EQ(a1, a2);                                       \
        .pushsection .data, "aw", @progbits;                    \
        .balign 8;                                              \
10008:  ddir v1; ddir v2;                                       \
        .popsection

/* a4 = fa0 inst fa1 (feq/flt/fle) */
#define TEST_FP_CMP_S(n, inst, flags, result, v1, v2) \
        HB_FP_INT_CASE(n, flw, 4, .float, flags, result, v1, v2, inst a4, fa0, fa1)
#define TEST_FP_CMP_D(n, inst, flags, result, v1, v2) \
        HB_FP_INT_CASE(n, fld, 8, .double, flags, result, v1, v2, inst a4, fa0, fa1)
/* a4 = inst fa0 (fclass, fcvt.w.s with the default rounding mode...) */
#define TEST_FP_INT_OP_S(n, inst, flags, result, v1) \
        HB_FP_INT_CASE(n, flw, 4, .float, flags, result, v1, 0.0, inst a4, fa0)
#define TEST_FP_INT_OP_D(n, inst, flags, result, v1) \
        HB_FP_INT_CASE(n, fld, 8, .double, flags, result, v1, 0.0, inst a4, fa0)

#endif /* HARTBOX_ROMS_ISA_HARNESS_H */
