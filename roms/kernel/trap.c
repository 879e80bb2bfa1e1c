/* S-mode traps: the dispatcher, PLIC routing, the periodic timer, waiting, and the U-mode visit
 * of check_user_mode.
 *
 * The PLIC (RISC-V PLIC spec 1.0.0) as QEMU's virt wires it: context 2h is hart h's M-mode,
 * 2h + 1 its S-mode; this kernel runs on hart 0 and uses context 1. Every source it registers
 * gets priority 1 over a threshold of 0; an external interrupt claims sources until the claim
 * register reads 0, runs each one's handler and completes it.
 */
#include "kernel.h"

#define PLIC_SOURCES 96
#define PLIC_S_CONTEXT 1
#define PLIC_PRIORITY(s) (PLIC_BASE + 4UL * (s))
#define PLIC_PENDING(w) (PLIC_BASE + 0x1000UL + 4UL * (w))
#define PLIC_ENABLE(ctx, w) (PLIC_BASE + 0x2000UL + 0x80UL * (ctx) + 4UL * (w))
#define PLIC_THRESHOLD(ctx) (PLIC_BASE + 0x200000UL + 0x1000UL * (ctx))
#define PLIC_CLAIM(ctx) (PLIC_THRESHOLD(ctx) + 4)

extern void s_trap_vector(void);
extern void user_resume(void);
extern char s_trap_stack_top[];
void s_trap(struct trap_frame* f);

static irq_handler handlers[PLIC_SOURCES];
struct timer_state g_timer;
uint64_t g_timebase_hz;
volatile unsigned g_user_illegal, g_user_ecalls;

void trap_init(void) {
  csr_write(stvec, (uint64_t)s_trap_vector);
  csr_write(sscratch, (uint64_t)s_trap_stack_top);
  for (unsigned w = 0; w < PLIC_SOURCES / 32; ++w) mmio_write32(PLIC_ENABLE(PLIC_S_CONTEXT, w), 0);
  mmio_write32(PLIC_THRESHOLD(PLIC_S_CONTEXT), 0);
  timer_program(UINT64_MAX);
  csr_write(sie, (1UL << IRQ_S_TIMER) | (1UL << IRQ_S_EXT));
  csr_set(sstatus, SSTATUS_SIE);
}

void irq_register(unsigned source, irq_handler fn) {
  handlers[source] = fn;
  mmio_write32(PLIC_PRIORITY(source), 1);
  const uint64_t enable = PLIC_ENABLE(PLIC_S_CONTEXT, source / 32);
  mmio_write32(enable, mmio_read32(enable) | (1u << (source % 32)));
  if (mmio_read32(PLIC_PRIORITY(source)) != 1 || !(mmio_read32(enable) & (1u << (source % 32))))
    fail(E_PLIC, "source %u: priority or enable bit does not read back", source);
}

void irq_unregister(unsigned source) {
  const uint64_t enable = PLIC_ENABLE(PLIC_S_CONTEXT, source / 32);
  mmio_write32(enable, mmio_read32(enable) & ~(1u << (source % 32)));
  mmio_write32(PLIC_PRIORITY(source), 0);
  handlers[source] = 0;
}

static void external_interrupt(void) {
  for (;;) {
    const uint32_t source = mmio_read32(PLIC_CLAIM(PLIC_S_CONTEXT));
    if (source == 0) return;
    if (source >= PLIC_SOURCES || !handlers[source]) fail(E_IRQ_UNEXPECTED, "PLIC claim gave source %u", source);
    handlers[source](source);
    mmio_write32(PLIC_CLAIM(PLIC_S_CONTEXT), source);
  }
}

/* --- The timer --- */

void timer_program(uint64_t deadline) {
  if (g_timer_mode == TIMER_SSTC) {
    csr_write(0x14d, deadline); /* stimecmp */
    return;
  }
  register uint64_t a0 __asm__("a0") = deadline;
  register uint64_t a6 __asm__("a6") = 0;
  register uint64_t a7 __asm__("a7") = SBI_EXT_TIME;
  __asm__ volatile("ecall" : "+r"(a0) : "r"(a6), "r"(a7) : "a1", "memory");
}

void timer_start(uint64_t period) {
  g_timer.period = period;
  g_timer.start = rdtime();
  g_timer.next = g_timer.start + period;
  g_timer.last = g_timer.start;
  g_timer.ticks = 0;
  g_timer.late_max = 0;
  timer_program(g_timer.next);
}

void timer_stop(void) {
  g_timer.period = 0;
  timer_program(UINT64_MAX);
}

static void timer_interrupt(void) {
  const uint64_t now = rdtime();
  if (g_timer.period == 0) fail(E_TIMER_STOP, "timer interrupt at %lu with the timer stopped", now);
  if (now < g_timer.next)
    fail(E_TIMER_EARLY, "tick %lu at time %lu, before its deadline %lu", g_timer.ticks + 1, now, g_timer.next);
  if (now <= g_timer.last)
    fail(E_TIMER_BACKWARDS, "tick %lu at time %lu, previous one at %lu", g_timer.ticks + 1, now, g_timer.last);
  if (now - g_timer.next > g_timer.late_max) g_timer.late_max = now - g_timer.next;
  g_timer.last = now;
  g_timer.ticks = g_timer.ticks + 1;
  /* The next deadline stays on the grid; a tick missed (the host paused us in real time) is
   * skipped, not made up in a burst. */
  g_timer.next += g_timer.period;
  if (g_timer.next <= now) g_timer.next += (now - g_timer.next) / g_timer.period * g_timer.period + g_timer.period;
  timer_program(g_timer.next);
}

/* --- Traps --- */

/* U-mode's exceptions during check_user_mode: an illegal CSR read (skipped), ecall 1 (returns
 * a0 + 1) and ecall 93 (leaves U-mode through user_resume). */
static bool user_trap(struct trap_frame* f) {
  if (f->status & SSTATUS_SPP) return false; /* not from U-mode */
  if (f->cause == 2) {
    g_user_illegal = g_user_illegal + 1;
    f->epc += 4;
    return true;
  }
  if (f->cause != CAUSE_USER_ECALL) return false;
  g_user_ecalls = g_user_ecalls + 1;
  switch (f->x[17]) {
    case 1:
      f->x[10] += 1;
      f->epc += 4;
      return true;
    case 93:
      f->epc = (uint64_t)user_resume;
      csr_set(sstatus, SSTATUS_SPP); /* sret returns to S-mode */
      return true;
    default: return false;
  }
}

void s_trap(struct trap_frame* f) {
  if (f->cause & CAUSE_INTERRUPT) {
    switch (f->cause & ~CAUSE_INTERRUPT) {
      case IRQ_S_TIMER: timer_interrupt(); return;
      case IRQ_S_EXT: external_interrupt(); return;
      default: break;
    }
    fail(E_S_TRAP, "unexpected interrupt: scause %lx sepc %lx", f->cause, f->epc);
  }
  if (user_trap(f)) return;
  fail(E_S_TRAP, "unexpected exception: scause %lx sepc %lx stval %lx (from %s-mode)", f->cause, f->epc, f->tval,
       (f->status & SSTATUS_SPP) ? "S" : "U");
}

bool wait_for(bool (*cond)(void*), void* arg, uint64_t timeout) {
  const uint64_t deadline = rdtime() + timeout;
  for (;;) {
    /* Check and sleep with interrupts off, so that none slips in between: WFI still wakes on
     * a pending interrupt, which is taken when SIE comes back on. */
    csr_clear(sstatus, SSTATUS_SIE);
    const bool done = cond(arg);
    if (done || rdtime() >= deadline) {
      csr_set(sstatus, SSTATUS_SIE);
      return done;
    }
    wfi();
    csr_set(sstatus, SSTATUS_SIE);
  }
}

/* --- U-mode --- */

extern void user_program(void);

void check_user_mode(void) {
  g_user_illegal = g_user_ecalls = 0;
  const uint64_t result = run_user(user_program);
  if (g_user_illegal != 1)
    fail(E_USER_ECALL, "U-mode csrr sstatus: %u illegal-instruction traps reached S-mode, expected 1", g_user_illegal);
  if (g_user_ecalls != 2 || result != 0x1235)
    fail(E_USER_ECALL, "U-mode ecalls: %u reached S-mode (expected 2), result %lx (expected 0x1235)", g_user_ecalls,
         result);
  if (!(csr_read(sstatus) & SSTATUS_SIE)) fail(E_USER_ECALL, "back from U-mode with interrupts off");
  kputs("user: U-mode ecall and illegal instruction trapped to S-mode (medeleg)\n");
}
