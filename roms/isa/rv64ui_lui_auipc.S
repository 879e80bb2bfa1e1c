# RV64I upper-immediate instructions: LUI, AUIPC (unpriv spec 2.4.1).
#include "harness.h"

RVTEST_CODE_BEGIN
        .option norvc

        # LUI places imm[31:12] in rd[31:12], zeroes rd[11:0], and on RV64
        # sign-extends bit 31 into rd[63:32] (unpriv spec 5.2.1).
        TEST_CASE( 1, a4, 0x0000000000000000, lui a4, 0x00000)
        TEST_CASE( 2, a4, 0x0000000000001000, lui a4, 0x00001)
        TEST_CASE( 3, a4, 0x0000000012345000, lui a4, 0x12345)
        TEST_CASE( 4, a4, 0x000000007ffff000, lui a4, 0x7ffff)
        TEST_CASE( 5, a4, 0xffffffff80000000, lui a4, 0x80000)
        TEST_CASE( 6, a4, 0xfffffffffffff000, lui a4, 0xfffff)
        # LUI leaves nothing of the old rd behind.
        TEST_CASE( 7, a4, 0x0000000000005000, li a4, -1; lui a4, 0x5)
        # The sign-extended value is visible to a following 64-bit shift.
        TEST_CASE( 8, a4, 0xfffffffffff80000, lui a4, 0x80000; srai a4, a4, 12)
        # x0 as destination discards the result (unpriv spec 2.1).
        TEST_CASE( 9, x0, 0, lui x0, 0x12345)

        # AUIPC adds the sign-extended 32-bit value imm<<12 to the address of
        # the AUIPC itself (unpriv spec 2.4.1, 5.2.1).  The expected address
        # comes from the linker (an absolute .dword), not from the hart.
#define TEST_AUIPC(n, imm, delta)                               \
        TEST_CASE(n, a4, delta,                                 \
                .pushsection .data; .balign 8;                  \
                20: .dword 21f; .popsection;                    \
                la a5, 20b; ld a5, 0(a5);                       \
                21: auipc a4, imm;                              \
                sub a4, a4, a5)

        TEST_AUIPC(10, 0x00000,  0)
        TEST_AUIPC(11, 0x00001,  0x1000)
        TEST_AUIPC(12, 0x7ffff,  0x7ffff000)
        TEST_AUIPC(13, 0xfffff, -0x1000)
        TEST_AUIPC(14, 0x80000, -0x80000000)
        TEST_AUIPC(15, 0x12345,  0x12345000)

        # Low bits of the result are the pc's own low bits (imm[11:0] = 0):
        # auipc a4, 0 equals the link address written by a JAL to it.
        TEST_CASE(16, a4, 0,
                jal a5, 22f;
                22: auipc a4, 0;
                sub a4, a4, a5)
        # auipc+addi reaches a symbol: the usual `la` sequence.
        TEST_CASE(17, a4, 0x1234567890abcdef,
                23: auipc a4, %pcrel_hi(auipc_word);
                addi a4, a4, %pcrel_lo(23b);
                ld a4, 0(a4))
        # x0 as destination.
        TEST_CASE(18, x0, 0, auipc x0, 0x12345)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
auipc_word: .dword 0x1234567890abcdef
RVTEST_DATA_END
