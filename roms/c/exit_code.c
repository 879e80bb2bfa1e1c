// exit() with a status other than 0 or 1: the status must reach the host
// (semihosting SYS_EXIT / SYS_EXIT_EXTENDED) unchanged.
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  puts("exit_code: calling exit(42)");
  fflush(stdout);
  exit(42);
}
