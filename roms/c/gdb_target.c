// The program the gdb tests debug (tests/gdb/gdb_session.py): a function to break at
// (accumulate), a global that it writes (watched_counter, for `watch`), a global that the loop
// reads (limit, for `rwatch`), and a loop. Run as a plain rom it prints one line and exits 0.
//
// With the argument "spin" it loops until a debugger sets `release` (the Ctrl-C test).
//
// Every function is built without optimisation, so that each source line has its own code
// and every local lives on the stack, where gdb can print it; roms are otherwise built -O2.
#pragma GCC optimize("O0")

#include <stdio.h>
#include <string.h>

volatile long watched_counter;  // written once per call of accumulate()
volatile long limit = 5;        // read by the loop condition
volatile long release;          // set by the debugger to end "spin"
volatile unsigned long spins;

__attribute__((noinline)) long accumulate(long value) {
  long doubled = value * 2;
  watched_counter += doubled;
  return doubled;
}

static void spin_until_released(void) {
  while (!release) ++spins;
  printf("gdb_target: released after %s spins\n", spins > 0 ? "some" : "no");
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[argc - 1], "spin") == 0) spin_until_released();
  long total = 0;
  for (long i = 1; i <= limit; ++i) total += accumulate(i);
  printf("gdb_target: total=%ld counter=%ld\n", total, (long)watched_counter);
  return total == 30 ? 0 : 1;
}
