/* Entry, trap vectors and the U-mode trampoline of the test kernel (see kernel.h).
 *
 * _start runs in M-mode at 0x80000000 with a0 = hart id and a1 = the device tree, as QEMU and
 * Hartbox start a kernel with no firmware. Hart 0 clears .bss and calls shim_main (M-mode C),
 * which never returns: it mret's into kernel_main in S-mode. Other harts park.
 *
 * Both trap vectors (direct mode) save every register into a struct trap_frame on a stack of
 * their own, whose top sits in mscratch / sscratch while the hart runs below that mode: a trap
 * from U-mode never runs on the user's stack, and nothing here trusts the interrupted sp. Traps
 * do not nest (the handlers run with interrupts off and take no exceptions).
 */
#define FRAME_SIZE (36 * 8)
#define FRAME_EPC (32 * 8)
#define FRAME_STATUS (33 * 8)
#define FRAME_CAUSE (34 * 8)
#define FRAME_TVAL (35 * 8)

  .macro save_regs
  sd x1, 1*8(sp)
  .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  sd x\n, \n*8(sp)
  .endr
  .endm

  .macro restore_regs
  ld x1, 1*8(sp)
  .irp n, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
  ld x\n, \n*8(sp)
  .endr
  ld x2, 2*8(sp)  /* last: sp itself */
  .endm

  .section .text.init, "ax", @progbits
  .globl _start
_start:
  /* No gp: the linker script defines no __global_pointer$, so nothing is gp-relative. */
  csrr t0, mhartid
  bnez t0, park
  la sp, m_stack_top
  la t0, __bss_start
  la t1, __bss_end
1:
  bgeu t0, t1, 2f
  sd zero, 0(t0)
  addi t0, t0, 8
  j 1b
2:
  /* a0 (hart id) and a1 (device tree) are untouched. */
  call shim_main
park:
  wfi
  j park

  .text
  .align 4
  .globl m_trap_vector
m_trap_vector:
  csrrw sp, mscratch, sp
  addi sp, sp, -FRAME_SIZE
  save_regs
  csrr t0, mscratch
  sd t0, 2*8(sp)
  csrr t0, mepc
  sd t0, FRAME_EPC(sp)
  csrr t0, mstatus
  sd t0, FRAME_STATUS(sp)
  csrr t0, mcause
  sd t0, FRAME_CAUSE(sp)
  csrr t0, mtval
  sd t0, FRAME_TVAL(sp)
  mv a0, sp
  call m_trap
  ld t0, FRAME_EPC(sp)
  csrw mepc, t0
  addi t0, sp, FRAME_SIZE
  csrw mscratch, t0
  restore_regs
  mret

  .align 4
  .globl s_trap_vector
s_trap_vector:
  csrrw sp, sscratch, sp
  addi sp, sp, -FRAME_SIZE
  save_regs
  csrr t0, sscratch
  sd t0, 2*8(sp)
  csrr t0, sepc
  sd t0, FRAME_EPC(sp)
  csrr t0, sstatus
  sd t0, FRAME_STATUS(sp)
  csrr t0, scause
  sd t0, FRAME_CAUSE(sp)
  csrr t0, stval
  sd t0, FRAME_TVAL(sp)
  mv a0, sp
  call s_trap
  ld t0, FRAME_EPC(sp)
  csrw sepc, t0
  addi t0, sp, FRAME_SIZE
  csrw sscratch, t0
  restore_regs
  sret

/* uint64_t run_user(void (*fn)(void)): runs fn in U-mode. The S trap handler ends the visit
 * when fn makes its exit ecall: it points sepc at user_resume with SPP = S, and a0 still holds
 * the value fn passed. The callee-saved registers, ra and sp come back from user_ctx. */
  .globl run_user
run_user:
  csrci sstatus, (1 << 1)  /* SIE off: an interrupt now would overwrite sepc */
  la t0, user_ctx
  sd ra, 0*8(t0)
  sd sp, 1*8(t0)
  .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
  sd s\n, (2+\n)*8(t0)
  .endr
  csrw sepc, a0
  li t0, (1 << 8)   /* SPP = U */
  csrc sstatus, t0
  li t0, (1 << 5)   /* SPIE: interrupts stay on in U-mode */
  csrs sstatus, t0
  la sp, user_stack_top
  sret

  .globl user_resume
user_resume:
  la t0, user_ctx
  ld ra, 0*8(t0)
  ld sp, 1*8(t0)
  .irp n, 0,1,2,3,4,5,6,7,8,9,10,11
  ld s\n, (2+\n)*8(t0)
  .endr
  ret

/* The U-mode program of check_user_mode: reads sstatus (an illegal instruction in U-mode, which
 * S-mode must see), asks S-mode to add one to 0x1234 (ecall 1), and exits with the answer. */
  .globl user_program
user_program:
  csrr t1, sstatus
  li a0, 0x1234
  li a7, 1
  ecall
  li a7, 93
  ecall
1:
  j 1b

  .bss
  .align 4
user_ctx:
  .skip 14 * 8
