# RV64C loads and stores (unpriv spec 16.3, 16.4) and C.ADDI4SPN (16.5):
#   CL/CS  C.LW C.LD C.FLD / C.SW C.SD C.FSD  rd'/rs2', rs1' in x8-x15 (f8-f15)
#   CI/CSS C.LWSP C.LDSP C.FLDSP / C.SWSP C.SDSP C.FSDSP  sp-relative, any
#          rd/rs2 (rd != x0 for the integer loads)
#   CIW    C.ADDI4SPN rd' = sp + nzuimm
# Offsets are zero-extended and scaled (x4 for W, x8 for D), so the largest
# ones (124/248 for CL/CS, 252/504 for the sp forms) are checked.
#include "harness.h"

#define XREGS   x1,x2,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,x14,x15,x16,x17,x18,x19,x20,x21,x22,x23,x24,x25,x26,x27,x28,x29,x30,x31
#define XREGS_C x8,x9,x10,x11,x12,x13,x14,x15
#define FREGS   f0,f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11,f12,f13,f14,f15,f16,f17,f18,f19,f20,f21,f22,f23,f24,f25,f26,f27,f28,f29,f30,f31
#define FREGS_C f8,f9,f10,f11,f12,f13,f14,f15
#define SENT 0x5a5a5a5a5a5a5a5a
#define VAL  0x123456789abcdef0

# Fails case \num unless register \r holds \val; scratch is t0 (t1 if \r is
# t0).  When \r is gp (TESTNUM) or sp it reloads it afterwards.
.macro EXPECT num, r, val
        .ifc \r, x5
        EXPECT_VIA \num, \r, \val, x6
        .else
        EXPECT_VIA \num, \r, \val, x5
        .endif
.endm
.macro EXPECT_VIA num, r, val, s
        li \s, \val
        sub \s, \r, \s
        .ifc \r, x3
        li gp, \num
        .endif
        .ifc \r, x2
        la sp, _stack_top
        .endif
        beqz \s, 10040f
        j hb_fail
10040:
.endm

# Fails case \num unless the dword at sbuf+\off holds \val (uses t1, t2).
.macro EXPECT_MEM num, off, val
        la x6, sbuf
        ld x7, \off(x6)
        EXPECT \num, x7, \val
.endm

# Fills the dwords of sbuf that stores may hit with SENT (uses t1, t2).
.macro FILL_SBUF
        la x6, sbuf
        li x7, SENT
        sd x7, 120(x6)
        sd x7, 248(x6)
        sd x7, 504(x6)
.endm

RVTEST_CODE_BEGIN
        .option rvc
        ENABLE_FPU

        # C.ADDI4SPN: addi rd', sp, nzuimm (x4, 4..1020), every rd'.
        TEST_START(1)
        .irp r, XREGS_C
        li sp, 0x10000;            c.addi4spn \r, sp, 4;    EXPECT 1, \r, 0x10004
        li sp, 0x10000;            c.addi4spn \r, sp, 1020; EXPECT 1, \r, 0x103fc
        li sp, 0xfffffffffffffffc; c.addi4spn \r, sp, 8;    EXPECT 1, \r, 4
        .endr
        la sp, _stack_top

        # C.LW: lw rd', off(rs1'), sign-extending; every rd' x rs1' pair
        # (rd' == rs1' is legal: the base is read first).
        TEST_START(2)
        .irp rd, XREGS_C
        .irp rs, XREGS_C
        la \rs, tab; c.lw \rd, 4(\rs);   EXPECT 2, \rd, 0xffffffff80000000
        la \rs, tab; c.lw \rd, 124(\rs); EXPECT 2, \rd, 0xffffffff87654321
        la \rs, tab; c.lw \rd, 0(\rs);   EXPECT 2, \rd, 1
        .endr
        .endr

        # C.LD: ld rd', off(rs1').
        TEST_START(3)
        .irp rd, XREGS_C
        .irp rs, XREGS_C
        la \rs, tab; c.ld \rd, 0(\rs);   EXPECT 3, \rd, 0x8000000000000001
        la \rs, tab; c.ld \rd, 248(\rs); EXPECT 3, \rd, 0x0123456789abcdef
        .endr
        .endr

        # C.FLD: fld fd', off(rs1'); the bits arrive unchanged.
        TEST_START(4)
        .irp fd, FREGS_C
        .irp rs, XREGS_C
        la \rs, tab; c.fld \fd, 248(\rs); fmv.x.d a0, \fd; EXPECT 4, x10, 0x0123456789abcdef
        la \rs, tab; c.fld \fd, 0(\rs);   fmv.x.d a0, \fd; EXPECT 4, x10, 0x8000000000000001
        .endr
        .endr

        # C.SW: sw rs2', off(rs1'), low word only; rs2' != rs1' (with the
        # same register the value stored would be the address).
        TEST_START(5)
        .irp r2, XREGS_C
        .irp rs, XREGS_C
        .ifnc \r2, \rs
        FILL_SBUF
        la \rs, sbuf; li \r2, VAL; c.sw \r2, 124(\rs)
        EXPECT_MEM 5, 120, 0x9abcdef05a5a5a5a
        FILL_SBUF
        la \rs, sbuf; li \r2, VAL; c.sw \r2, 120(\rs)
        EXPECT_MEM 5, 120, 0x5a5a5a5a9abcdef0
        .endif
        .endr
        .endr

        # C.SD: sd rs2', off(rs1').
        TEST_START(6)
        .irp r2, XREGS_C
        .irp rs, XREGS_C
        .ifnc \r2, \rs
        FILL_SBUF
        la \rs, sbuf; li \r2, VAL; c.sd \r2, 248(\rs)
        EXPECT_MEM 6, 248, VAL
        EXPECT_MEM 6, 120, SENT
        .endif
        .endr
        .endr

        # C.FSD: fsd fs2', off(rs1').
        TEST_START(7)
        .irp f2, FREGS_C
        .irp rs, XREGS_C
        FILL_SBUF
        li a0, VAL; fmv.d.x \f2, a0
        la \rs, sbuf; c.fsd \f2, 248(\rs)
        EXPECT_MEM 7, 248, VAL
        FILL_SBUF
        li a0, 0xfff8000000000001; fmv.d.x \f2, a0   /* a NaN: stored raw */
        la \rs, sbuf; c.fsd \f2, 120(\rs)
        EXPECT_MEM 7, 120, 0xfff8000000000001
        .endr
        .endr

        # C.LWSP: lw rd, off(sp), every rd != x0 (rd = sp included).
        TEST_START(8)
        .irp r, XREGS
        la sp, tab; c.lwsp \r, 4(sp);   EXPECT 8, \r, 0xffffffff80000000
        la sp, tab; c.lwsp \r, 252(sp); EXPECT 8, \r, 0x0000000001234567
        .endr
        la sp, _stack_top

        # C.LDSP: ld rd, off(sp).
        TEST_START(9)
        .irp r, XREGS
        la sp, tab; c.ldsp \r, 0(sp);   EXPECT 9, \r, 0x8000000000000001
        la sp, tab; c.ldsp \r, 504(sp); EXPECT 9, \r, 0xfedcba9876543210
        .endr
        la sp, _stack_top

        # C.FLDSP: fld fd, off(sp), every fd.
        TEST_START(10)
        .irp f, FREGS
        la sp, tab; c.fldsp \f, 504(sp); fmv.x.d a0, \f; EXPECT 10, x10, 0xfedcba9876543210
        .endr
        la sp, _stack_top

        # C.SWSP: sw rs2, off(sp), every rs2 but sp itself (x0 stores 0).
        TEST_START(11)
        .irp r, x0,x1,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,x14,x15,x16,x17,x18,x19,x20,x21,x22,x23,x24,x25,x26,x27,x28,x29,x30,x31
        FILL_SBUF
        .ifnc \r, x0
        li \r, VAL
        .endif
        la sp, sbuf; c.swsp \r, 252(sp)
        li gp, 11
        .ifc \r, x0
        EXPECT_MEM 11, 248, 0x000000005a5a5a5a
        .else
        EXPECT_MEM 11, 248, 0x9abcdef05a5a5a5a
        .endif
        .endr
        la sp, _stack_top

        # C.SDSP: sd rs2, off(sp), every rs2 but sp.
        TEST_START(12)
        .irp r, x0,x1,x3,x4,x5,x6,x7,x8,x9,x10,x11,x12,x13,x14,x15,x16,x17,x18,x19,x20,x21,x22,x23,x24,x25,x26,x27,x28,x29,x30,x31
        FILL_SBUF
        .ifnc \r, x0
        li \r, VAL
        .endif
        la sp, sbuf; c.sdsp \r, 504(sp)
        li gp, 12
        .ifc \r, x0
        EXPECT_MEM 12, 504, 0
        .else
        EXPECT_MEM 12, 504, VAL
        .endif
        .endr
        la sp, _stack_top

        # C.FSDSP: fsd fs2, off(sp), every fs2.
        TEST_START(13)
        .irp f, FREGS
        FILL_SBUF
        li a0, VAL; fmv.d.x \f, a0
        la sp, sbuf; c.fsdsp \f, 504(sp)
        EXPECT_MEM 13, 504, VAL
        .endr
        la sp, _stack_top

        # Hand-encoded from the manual's CIW/CL/CSS layouts, independent of
        # the assembler: c.addi4spn a0,sp,1020; c.lw a0,124(a5);
        # c.ldsp t6,504(sp); c.sdsp t6,504(sp).
        TEST_START(14)
        li sp, 0x10000; .2byte 0x1fe8; EXPECT 14, x10, 0x103fc
        la a5, tab;     .2byte 0x5fe8; EXPECT 14, x10, 0xffffffff87654321
        la sp, tab;     .2byte 0x7ffe; EXPECT 14, x31, 0xfedcba9876543210
        FILL_SBUF
        li t6, VAL; la sp, sbuf; .2byte 0xfffe
        EXPECT_MEM 14, 504, VAL
        la sp, _stack_top

RVTEST_CODE_END

RVTEST_DATA_BEGIN
        .balign 8
tab:    .dword 0x8000000000000001       /* +0: words 0x00000001, 0x80000000 */
        .skip 120 - 8
        .word 0x11111111, 0x87654321    /* +120, +124 */
        .skip 248 - 128
        .dword 0x0123456789abcdef       /* +248: words 0x89abcdef, 0x01234567 */
        .skip 504 - 256
        .dword 0xfedcba9876543210       /* +504 */
        .balign 8
sbuf:   .skip 512
RVTEST_DATA_END
