/* A CPU-bound guest for `hartbox fleet`: it computes and never waits, and prints nothing, so a
 * fleet of them shows how the scheduler shares the host by weight.
 *
 * The work is a mix a real program has: a sieve of Eratosthenes (loads and stores over 64 KiB),
 * integer multiply and divide, and a branchy hash. With the argument "forever" it loops for
 * ever; without, it does ROUNDS rounds, checks that every round found the same primes (a
 * self-test for the rom suite) and exits 0.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SIEVE 65536
#define ROUNDS 20

static uint8_t composite[SIEVE];
static volatile uint64_t sink; /* keeps the work observable */

static unsigned sieve(void) {
  memset(composite, 0, sizeof composite);
  unsigned primes = 0;
  for (uint32_t i = 2; i < SIEVE; ++i) {
    if (composite[i]) continue;
    ++primes;
    for (uint32_t j = i * 2; j < SIEVE; j += i) composite[j] = 1;
  }
  return primes;
}

static uint64_t mix(uint64_t x, unsigned n) {
  for (unsigned i = 0; i < n; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    x ^= x >> 29;
    if (x % 7 == 3) x += x / 13;
  }
  return x;
}

int main(int argc, char** argv) {
  int forever = 0;
  for (int i = 1; i < argc; ++i)
    if (strcmp(argv[i], "forever") == 0) forever = 1;
  const unsigned expected = sieve(); /* 6542 primes below 65536 */
  uint64_t x = 1;
  for (unsigned round = 0; forever || round < ROUNDS; ++round) {
    const unsigned primes = sieve();
    if (primes != expected) {
      printf("cpu_burn: round %u found %u primes, not %u\n", round, primes, expected);
      return 1;
    }
    x = mix(x + primes, 20000);
    sink = x;
  }
  printf("cpu_burn: %u rounds, %u primes each: OK\n", ROUNDS, expected);
  return expected == 6542 ? 0 : 1;
}
