# RV64I loads: LB LH LW LD (sign-extending), LBU LHU LWU (zero-extending)
# (unpriv spec 2.6, 5.3).  Memory is little-endian on RISC-V hosts like
# ours (unpriv spec 2.6).
#include "harness.h"

RVTEST_CODE_BEGIN
        .option norvc

        # LB sign-extends bit 7.
        TEST_LD_OP( 1, lb,  0xffffffffffffffff, 0, bytes)
        TEST_LD_OP( 2, lb,  0x0000000000000000, 1, bytes)
        TEST_LD_OP( 3, lb,  0xfffffffffffffff0, 2, bytes)
        TEST_LD_OP( 4, lb,  0x000000000000000f, 3, bytes)
        TEST_LD_OP( 5, lb,  0x000000000000007f, 4, bytes)
        TEST_LD_OP( 6, lb,  0xffffffffffffff80, 5, bytes)
        # LBU zero-extends.
        TEST_LD_OP( 7, lbu, 0x00000000000000ff, 0, bytes)
        TEST_LD_OP( 8, lbu, 0x0000000000000000, 1, bytes)
        TEST_LD_OP( 9, lbu, 0x00000000000000f0, 2, bytes)
        TEST_LD_OP(10, lbu, 0x000000000000007f, 4, bytes)
        TEST_LD_OP(11, lbu, 0x0000000000000080, 5, bytes)

        # LH sign-extends bit 15; LHU zero-extends.
        TEST_LD_OP(12, lh,  0x00000000000000ff, 0, halves)
        TEST_LD_OP(13, lh,  0xffffffffffffff00, 2, halves)
        TEST_LD_OP(14, lh,  0x0000000000000ff0, 4, halves)
        TEST_LD_OP(15, lh,  0xfffffffffffff00f, 6, halves)
        TEST_LD_OP(16, lh,  0x0000000000007fff, 8, halves)
        TEST_LD_OP(17, lh,  0xffffffffffff8000, 10, halves)
        TEST_LD_OP(18, lhu, 0x00000000000000ff, 0, halves)
        TEST_LD_OP(19, lhu, 0x000000000000ff00, 2, halves)
        TEST_LD_OP(20, lhu, 0x000000000000f00f, 6, halves)
        TEST_LD_OP(21, lhu, 0x0000000000008000, 10, halves)

        # LW sign-extends bit 31 (RV64: unpriv spec 5.3); LWU zero-extends.
        TEST_LD_OP(22, lw,  0x0000000000ff00ff, 0, words)
        TEST_LD_OP(23, lw,  0xffffffffff00ff00, 4, words)
        TEST_LD_OP(24, lw,  0x000000000ff00ff0, 8, words)
        TEST_LD_OP(25, lw,  0xfffffffff00ff00f, 12, words)
        TEST_LD_OP(26, lw,  0x000000007fffffff, 16, words)
        TEST_LD_OP(27, lw,  0xffffffff80000000, 20, words)
        TEST_LD_OP(28, lwu, 0x0000000000ff00ff, 0, words)
        TEST_LD_OP(29, lwu, 0x00000000ff00ff00, 4, words)
        TEST_LD_OP(30, lwu, 0x00000000f00ff00f, 12, words)
        TEST_LD_OP(31, lwu, 0x0000000080000000, 20, words)

        # LD loads all 64 bits.
        TEST_LD_OP(32, ld,  0x00ff00ff00ff00ff, 0, dwords)
        TEST_LD_OP(33, ld,  0xff00ff00ff00ff00, 8, dwords)
        TEST_LD_OP(34, ld,  0x0ff00ff00ff00ff0, 16, dwords)
        TEST_LD_OP(35, ld,  0xf00ff00ff00ff00f, 24, dwords)

        # Little-endian: narrower loads of a dword see its low bytes first.
        TEST_LD_OP(36, lbu, 0x00000000000000ef, 0, mixed)
        TEST_LD_OP(37, lhu, 0x000000000000cdef, 0, mixed)
        TEST_LD_OP(38, lwu, 0x0000000089abcdef, 0, mixed)
        TEST_LD_OP(39, lhu, 0x0000000000004567, 4, mixed)
        TEST_LD_OP(40, lbu, 0x0000000000000001, 7, mixed)

        # The address is rs1 + sext(imm12): negative offsets and the extremes
        # -2048 and +2047.
        TEST_LD_OP(41, lb,  0xffffffffffffff80, -3, bytes + 8)
        TEST_LD_OP(42, lw,  0xfffffffff00ff00f, -12, words + 24)
        TEST_LD_OP(43, ld,  0xff00ff00ff00ff00, -24, dwords + 32)
        TEST_LD_OP(44, lbu, 0x00000000000000f0, -2048, bytes + 2 + 2048)
        TEST_LD_OP(45, lbu, 0x0000000000000080, 2047, bytes + 5 - 2047)
        TEST_LD_OP(46, ld,  0x0ff00ff00ff00ff0, -2048, dwords + 16 + 2048)

        # rd == rs1: the base is read before rd is written.
        TEST_CASE(47, a2, 0xff00ff00ff00ff00, la a2, dwords; ld a2, 8(a2))
        TEST_CASE(48, a2, 0xffffffffff00ff00, la a2, words; lw a2, 4(a2))

        # x0 as destination: the load happens, the value is discarded.
        TEST_CASE(49, x0, 0, la a2, dwords; ld x0, 8(a2))
        TEST_CASE(50, x0, 0, la a2, bytes; lb x0, 0(a2))

        # Back-to-back load then use of the result.
        TEST_CASE(51, a4, 0x00ff00ff00ff00fe,
                la a2, dwords; ld a3, 0(a2); addi a4, a3, -1)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
        .balign 8
bytes:  .byte 0xff, 0x00, 0xf0, 0x0f, 0x7f, 0x80, 0x01, 0xfe
        .balign 8
halves: .half 0x00ff, 0xff00, 0x0ff0, 0xf00f, 0x7fff, 0x8000
        .balign 8
words:  .word 0x00ff00ff, 0xff00ff00, 0x0ff00ff0, 0xf00ff00f, 0x7fffffff, 0x80000000
        .balign 8
dwords: .dword 0x00ff00ff00ff00ff, 0xff00ff00ff00ff00
        .dword 0x0ff00ff00ff00ff0, 0xf00ff00ff00ff00f
mixed:  .dword 0x0123456789abcdef
RVTEST_DATA_END
