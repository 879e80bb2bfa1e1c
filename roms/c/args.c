// Prints the command line the host gave: the raw string from semihosting
// SYS_GET_CMDLINE, then argc/argv as picolibc's crt0 split it (picolibc 1.8
// puts a fixed "program-name" in argv[0], then the words of the command
// line, whose first word is the program itself).
#include <semihost.h>
#include <stdio.h>

int main(int argc, char** argv) {
  char cmdline[1024];
  if (sys_semihost_get_cmdline(cmdline, sizeof cmdline) != 0) {
    puts("args: SYS_GET_CMDLINE failed");
    return 1;
  }
  printf("cmdline: [%s]\n", cmdline);
  printf("argc: %d\n", argc);
  for (int i = 0; i < argc; ++i) printf("argv[%d]: [%s]\n", i, argv[i]);
  return 0;
}
