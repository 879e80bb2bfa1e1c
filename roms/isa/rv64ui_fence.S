# FENCE (unpriv spec 2.7) and FENCE.I (Zifencei, unpriv spec 3).
# On one hart FENCE orders nothing observable, so the cases check that every
# form executes and leaves memory and registers as program order says.
# FENCE.I must make earlier stores visible to instruction fetch: the cases
# run code, rewrite it, and run it again.
#include "harness.h"

# Hand-assembled instructions (I-type: imm<<20 | rs1<<15 | f3<<12 | rd<<7 | op).
#define INSN_LI_A4_1   0x00100713   /* addi a4, x0, 1 */
#define INSN_LI_A4_2   0x00200713   /* addi a4, x0, 2 */
#define INSN_ADDI_A4_3 0x00370713   /* addi a4, a4, 3 */
#define INSN_RET       0x00008067   /* jalr x0, 0(ra) */

RVTEST_CODE_BEGIN
        .option norvc

        # FENCE with several predecessor/successor sets, FENCE.TSO, and the
        # PAUSE hint (Zihintpause: a FENCE with pred=W, succ=0, which hosts
        # without the extension execute as an ordinary FENCE).
        TEST_CASE( 1, a4, 0x5a,
                la a2, word;
                li a1, 0x5a;
                sw a1, 0(a2);
                fence;
                fence rw, rw;
                fence iorw, iorw;
                fence w, r;
                fence r, w;
                fence i, o;
                fence.tso;
                .word 0x0100000f;         /* pause */
                lw a4, 0(a2))

        # FENCE.I: patch the first instruction of `patch` (in .data, which
        # M-mode may execute with the harness's PMP setup) and run it.
        TEST_CASE( 2, a4, 1,
                la a2, patch;
                li a1, INSN_LI_A4_1; sw a1, 0(a2);
                li a1, INSN_RET;     sw a1, 4(a2);
                fence.i;
                jalr ra, 0(a2))
        # After it has run once (and may sit in a decode cache), rewrite it.
        TEST_CASE( 3, a4, 2,
                la a2, patch;
                li a1, INSN_LI_A4_2; sw a1, 0(a2);
                fence.i;
                jalr ra, 0(a2))
        # Same again in a loop body: run, patch, run; the second pass must see
        # the new instruction, and the untouched RET still works.
        TEST_CASE( 4, a4, 7,
                la a2, patch;
                li a1, INSN_ADDI_A4_3; sw a1, 0(a2);
                fence.i;
                li a4, 1;
                jalr ra, 0(a2);           /* a4 = 4 */
                li a1, INSN_LI_A4_2; sw a1, 0(a2);
                fence.i;
                jalr ra, 0(a2);           /* a4 = 2 */
                li a1, INSN_ADDI_A4_3; sw a1, 0(a2);
                fence.i;
                li a4, 4;
                jalr ra, 0(a2))           /* a4 = 7 */

        # Self-modifying code in .text: overwrite the next instruction with a
        # store-then-fence.i, then execute it.
        TEST_CASE( 5, a4, 2,
                li a4, 0;
                la a2, 10f;
                li a1, INSN_LI_A4_2;
                sw a1, 0(a2);
                fence.i;
                10: addi a4, x0, 1)

RVTEST_CODE_END

RVTEST_DATA_BEGIN
        .balign 8
word:   .word 0
        .balign 8
patch:  .word 0, 0
RVTEST_DATA_END
