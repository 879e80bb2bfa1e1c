// The smallest guest program: one line through semihosting, exit status 0.
#include <stdio.h>

int main(void) {
  puts("Hello from Hartbox!");
  return 0;
}
