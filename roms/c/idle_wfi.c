/* A mostly idle guest for `hartbox fleet`: it sleeps in WFI and wakes on its timer every
 * PERIOD_MS milliseconds, does a little work, and sleeps again, as a quiet service would. In a
 * fleet (real time) it costs almost nothing while it waits; its wake-ups and their latency show
 * up in the report.
 *
 * With the argument "forever" it never ends. Without, it takes TICKS ticks, checks that no tick
 * came before its deadline, and exits 0 (a self-test for the rom suite).
 */
#include <stdio.h>
#include <string.h>

#include "bare_virtio.h"

#define PERIOD_MS 10
#define TICKS 20

static volatile uint64_t sink;

int main(int argc, char** argv) {
  const int forever = has_arg(argc, argv, "forever");
  const uint64_t period = TIMEBASE_HZ / 1000 * PERIOD_MS;
  mie_set(MIE_MTIE);
  uint64_t deadline = mtime() + period;
  for (unsigned tick = 0; forever || tick < TICKS; ++tick) {
    set_timer(deadline);
    while (mtime() < deadline) wfi();
    /* A little work per tick: a few thousand instructions. */
    uint64_t x = deadline;
    for (int i = 0; i < 500; ++i) x = x * 2862933555777941757ULL + 3037000493ULL;
    sink = x;
    deadline += period;
  }
  set_timer(UINT64_MAX);
  printf("idle_wfi: %u ticks of %d ms: OK\n", TICKS, PERIOD_MS);
  return 0;
}
