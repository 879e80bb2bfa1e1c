/* The M-mode shim: what firmware (OpenSBI) would do for the S-mode kernel, and no more.
 *
 * - PMP: one NAPOT entry over the whole address space, RWX, so that S and U may reach RAM and
 *   devices (priv spec 3.7: with no PMP entry matching, S/U accesses fail).
 * - Delegation (priv spec 3.1.8): every S-level interrupt (SSIP, STIP, SEIP) and every exception
 *   an S-mode kernel handles (misaligned, access and page faults, illegal instructions,
 *   breakpoints, ecall from U) go straight to S-mode. ecall from S stays here: it is the SBI
 *   call the kernel uses to set its timer.
 * - Counters: mcounteren lets S read cycle, time and instret.
 * - The timer, one of two ways (kernel command line, see kernel.h):
 *     timer=sbi (default): S calls SBI set_timer (extension "TIME", function 0). The shim writes
 *       the CLINT's mtimecmp, clears STIP and enables MTIE; when the machine timer fires it
 *       disables MTIE and raises STIP, which is delegated, so S takes the interrupt. This is
 *       what OpenSBI does on harts without Sstc.
 *     timer=sstc: menvcfg.STCE on, so S owns stimecmp and STIP directly (priv spec "Sstc");
 *       the shim never sees a timer interrupt.
 *   The tests run both: the default keeps the machine's only timer deadline in
 *   the CLINT (which every WFI-skipping runner knows about), the other tests Sstc.
 * - Then mret to kernel_main in S-mode, on the kernel's stack, with a0/a1 as received.
 */
#include "kernel.h"

#define MIP_STIP (1UL << IRQ_S_TIMER)
#define MIE_MTIE (1UL << IRQ_M_TIMER)

enum timer_mode g_timer_mode = TIMER_SBI;

extern char m_stack_top[], kernel_stack_top[];
extern void m_trap_vector(void);
void kernel_main(uint64_t hart_id, const void* fdt);
_Noreturn void shim_main(uint64_t hart_id, const void* fdt);
void m_trap(struct trap_frame* f);

_Noreturn void shim_main(uint64_t hart_id, const void* fdt) {
  csr_write(pmpaddr0, ~0UL >> 10);  /* NAPOT over all 2^56 bytes */
  csr_write(pmpcfg0, 0x1f);         /* A = NAPOT, R, W, X */

  csr_write(mtvec, (uint64_t)m_trap_vector);
  csr_write(mscratch, (uint64_t)m_stack_top);

  const uint64_t exceptions = (1UL << 0) | (1UL << 1) | (1UL << 2) | (1UL << 3) | (1UL << 4) | (1UL << 5) |
                              (1UL << 6) | (1UL << 7) | (1UL << CAUSE_USER_ECALL) | (1UL << 12) |
                              (1UL << 13) | (1UL << 15);
  csr_write(medeleg, exceptions);
  csr_write(mideleg, (1UL << IRQ_S_SOFT) | (1UL << IRQ_S_TIMER) | (1UL << IRQ_S_EXT));
  csr_write(mcounteren, 7);

  char mode[8];
  if (fdt_init(fdt) && bootarg("timer", mode, sizeof mode) && memcmp(mode, "sstc", 5) == 0) {
    g_timer_mode = TIMER_SSTC;
    csr_set(0x30a, MENVCFG_STCE); /* menvcfg */
    if (!(csr_read(0x30a) & MENVCFG_STCE)) fail(E_TIMER_NO_SSTC, "menvcfg.STCE does not stick");
  } else {
    g_timer_mode = TIMER_SBI;
    mmio_write64(CLINT_MTIMECMP(hart_id), UINT64_MAX);
  }
  csr_write(mie, 0); /* M-level interrupts come only from the timer, enabled by set_timer */

  uint64_t status = csr_read(mstatus);
  status = (status & ~MSTATUS_MPP_MASK) | MSTATUS_MPP_S;
  csr_write(mstatus, status);
  csr_write(mepc, (uint64_t)kernel_main);
  register uint64_t a0 __asm__("a0") = hart_id;
  register uint64_t a1 __asm__("a1") = (uint64_t)fdt;
  __asm__ volatile("mv sp, %0\n\tmret" ::"r"(kernel_stack_top), "r"(a0), "r"(a1) : "memory");
  __builtin_unreachable();
}

/* Sets or clears mip.STIP, keeping SSIP, with a plain csrw rather than csrs/csrc: the
 * read-modify-write of csrs/csrc must use only mip's software-writable SEIP bit, not the PLIC's
 * line OR'ed into what csrr returns (priv spec 3.1.9), but Hartbox's CSR instructions feed the
 * OR'ed value back, so a csrs mip while the PLIC drives SEIP would latch SEIP on for good. This
 * kernel never sets the software SEIP bit, so writing it as 0 is correct on any hart. */
static void set_stip(bool pending) {
  const uint64_t ssip = csr_read(mip) & (1UL << IRQ_S_SOFT);
  csr_write(mip, ssip | (pending ? MIP_STIP : 0));
}

void m_trap(struct trap_frame* f) {
  if (f->cause == (CAUSE_INTERRUPT | IRQ_M_TIMER)) {
    /* Forward to S: quiet MTIP until S sets the next deadline. */
    csr_clear(mie, MIE_MTIE);
    set_stip(true);
    return;
  }
  if (f->cause == CAUSE_SUPERVISOR_ECALL) {
    const uint64_t eid = f->x[17], fid = f->x[16];
    f->epc += 4;
    if ((eid == SBI_EXT_TIME && fid == 0) || eid == 0 /* legacy set_timer */) {
      mmio_write64(CLINT_MTIMECMP(csr_read(mhartid)), f->x[10]);
      set_stip(false);
      csr_set(mie, MIE_MTIE);
      f->x[10] = 0; /* SBI_SUCCESS */
      f->x[11] = 0;
      return;
    }
    f->x[10] = (uint64_t)-2; /* SBI_ERR_NOT_SUPPORTED */
    return;
  }
  fail(E_M_TRAP, "M-mode trap: mcause %lx mepc %lx mtval %lx", f->cause, f->epc, f->tval);
}
