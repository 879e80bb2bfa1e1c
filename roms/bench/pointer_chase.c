// Pointer chasing: a random cyclic permutation of 1 Mi 32-bit indices (4 MiB, made by
// Sattolo's algorithm, so it is one cycle through every element), walked one dependent load
// after another. Each load lands on a random 4 KiB page: this measures an engine's memory path
// (its TLB of host pointers, how it reaches guest RAM) far more than its dispatch.
#include "bench.h"

#define STEPS 8000000L
#define QUICK_STEPS 1000000L
#define ELEMENTS (1L << 20)
#define EXPECTED_FULL 0xff493304f4c8e7eeull
#define EXPECTED_QUICK 0xec89432e781d3411ull

int main(int argc, char** argv) {
  const int quick = bench_quick(argc, argv);
  const long steps = quick ? QUICK_STEPS : STEPS;
  uint32_t* next = malloc(ELEMENTS * sizeof *next);
  if (!next) {
    printf("pointer_chase: out of memory\n");
    return 2;
  }
  for (long i = 0; i < ELEMENTS; ++i) next[i] = (uint32_t)i;
  // Sattolo (1986): like Fisher-Yates, but j < i, which yields a single cycle.
  uint64_t rng = 0xC4A5E;
  for (long i = ELEMENTS - 1; i > 0; --i) {
    const long j = (long)(bench_rand(&rng) % (uint64_t)i);
    const uint32_t t = next[i];
    next[i] = next[j];
    next[j] = t;
  }

  // The walk: every 1 Mi steps, fold the position reached so far.
  uint64_t sum = BENCH_MIX_INIT;
  uint64_t visited = 0;
  uint32_t at = 0;
  for (long done = 0; done < steps;) {
    long chunk = steps - done < (1L << 20) ? steps - done : (1L << 20);
    for (long k = 0; k < chunk; ++k) {
      at = next[at];
      visited += at;
    }
    done += chunk;
    sum = bench_mix(sum, at);
  }
  // After ELEMENTS steps the walk is back at its start: check that once, it proves one cycle.
  uint32_t p = 0;
  long length = 0;
  do {
    p = next[p];
    ++length;
  } while (p != 0 && length <= ELEMENTS);
  sum = bench_mix(sum, (uint64_t)length);
  sum = bench_mix(sum, visited);
  free(next);
  return bench_report("pointer_chase", quick, sum, EXPECTED_FULL, EXPECTED_QUICK);
}
