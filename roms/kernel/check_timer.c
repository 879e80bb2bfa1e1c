/* The timer check: the S-mode timer interrupt, through Sstc or through the shim's SBI timer.
 *
 *   1. The pending bit follows the deadline: with interrupts off, a deadline in the past makes
 *      sip.STIP pending (at once with Sstc, once the CLINT fires with SBI), and a deadline of
 *      "never" clears it again.
 *   2. TICKS ticks at a 1 ms period (from the device tree's timebase-frequency): no tick before
 *      its deadline, `time` strictly increasing from tick to tick (checked in the interrupt
 *      handler, trap.c), and the TICKS ticks span at least TICKS periods.
 *   3. Once stopped, STIP is clear and no tick comes for a quarter of a period.
 * Then the timer keeps ticking as the heartbeat the other checks' timeouts rely on.
 */
#include "kernel.h"

#define TICKS 20
#define SIP_STIP (1UL << IRQ_S_TIMER)

static bool enough_ticks(void* want) { return g_timer.ticks >= *(uint64_t*)want; }

void check_timer(void) {
  const uint64_t period = g_timebase_hz / 1000;
  const char* how = g_timer_mode == TIMER_SSTC ? "Sstc stimecmp" : "SBI set_timer (CLINT mtimecmp, forwarded)";

  csr_clear(sstatus, SSTATUS_SIE);
  if (g_timer_mode == TIMER_SSTC) {
    csr_write(0x14d, 0x123456789UL);
    if (csr_read(0x14d) != 0x123456789UL) fail(E_TIMER_NO_SSTC, "stimecmp does not read back");
  }
  timer_program(0);
  for (const uint64_t t = rdtime(); !(csr_read(sip) & SIP_STIP);)
    if (rdtime() - t > period) fail(E_TIMER_MISSING, "STIP not pending a period after a deadline in the past");
  timer_program(UINT64_MAX);
  if (csr_read(sip) & SIP_STIP) fail(E_TIMER_STOP, "STIP still pending after the deadline moved to never");
  csr_set(sstatus, SSTATUS_SIE);

  kprintf("timer: %s, %u ticks of %lu (timebase %lu Hz)\n", how, TICKS, period, g_timebase_hz);
  timer_start(period);
  uint64_t want = TICKS;
  if (!wait_for(enough_ticks, &want, period * TICKS * 100))
    fail(E_TIMER_MISSING, "%lu of %u ticks after %lu periods", g_timer.ticks, TICKS, (uint64_t)TICKS * 100);
  const uint64_t elapsed = g_timer.last - g_timer.start;
  if (elapsed < TICKS * period)
    fail(E_TIMER_SHORT, "%u ticks in %lu, less than %u periods of %lu", TICKS, elapsed, TICKS, period);
  const uint64_t late_max = g_timer.late_max;

  timer_stop();
  if (csr_read(sip) & SIP_STIP) fail(E_TIMER_STOP, "STIP pending after the timer was stopped");
  for (const uint64_t t = rdtime(); rdtime() - t < period / 4;) {
    /* A tick now fails in the handler. */
  }
  kprintf("timer: %u ticks over %lu time units, none early, at most %lu late\n", TICKS, elapsed, late_max);
  timer_start(period);
}
