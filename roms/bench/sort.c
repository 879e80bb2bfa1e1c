// Sorting: each round fills an array with pseudo-random keys, sorts one copy with quicksort
// (median of three, insertion sort below a cut-off) and another with a top-down merge sort,
// checks that both are sorted and equal, and folds a sample of the result into the checksum.
// Own implementations, not the libc's qsort, so that guest and host run the same code.
#include "bench.h"

#define ROUNDS 6
#define QUICK_ROUNDS 1
#define ELEMENTS 100000
#define EXPECTED_FULL 0x4369270c287ffa12ull
#define EXPECTED_QUICK 0x2fee062058a91685ull

static uint32_t* keys;
static uint32_t* by_quick;
static uint32_t* by_merge;
static uint32_t* scratch;

static void insertion_sort(uint32_t* a, long n) {
  for (long i = 1; i < n; ++i) {
    const uint32_t v = a[i];
    long j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      --j;
    }
    a[j + 1] = v;
  }
}

static void swap(uint32_t* a, uint32_t* b) {
  const uint32_t t = *a;
  *a = *b;
  *b = t;
}

// Sorts a[0..n); recurses into the smaller part, loops on the larger.
static void quick_sort(uint32_t* a, long n) {
  while (n > 16) {
    const long mid = n / 2;
    if (a[mid] < a[0]) swap(&a[mid], &a[0]);
    if (a[n - 1] < a[0]) swap(&a[n - 1], &a[0]);
    if (a[n - 1] < a[mid]) swap(&a[n - 1], &a[mid]);
    const uint32_t pivot = a[mid];
    long i = 0, j = n - 1;
    for (;;) {
      while (a[i] < pivot) ++i;
      while (a[j] > pivot) --j;
      if (i >= j) break;
      swap(&a[i], &a[j]);
      ++i;
      --j;
    }
    // a[0..j] <= pivot <= a[j+1..n)
    const long left = j + 1;
    if (left < n - left) {
      quick_sort(a, left);
      a += left;
      n -= left;
    } else {
      quick_sort(a + left, n - left);
      n = left;
    }
  }
  insertion_sort(a, n);
}

static void merge_sort(uint32_t* a, uint32_t* tmp, long n) {
  if (n <= 16) {
    insertion_sort(a, n);
    return;
  }
  const long half = n / 2;
  merge_sort(a, tmp, half);
  merge_sort(a + half, tmp, n - half);
  if (a[half - 1] <= a[half]) return;  // already in order
  memcpy(tmp, a, (size_t)half * sizeof *a);
  long i = 0, j = half, k = 0;
  while (i < half && j < n) a[k++] = tmp[i] <= a[j] ? tmp[i++] : a[j++];
  while (i < half) a[k++] = tmp[i++];
}

int main(int argc, char** argv) {
  const int quick = bench_quick(argc, argv);
  const int rounds = quick ? QUICK_ROUNDS : ROUNDS;
  keys = malloc(ELEMENTS * sizeof *keys);
  by_quick = malloc(ELEMENTS * sizeof *by_quick);
  by_merge = malloc(ELEMENTS * sizeof *by_merge);
  scratch = malloc(ELEMENTS * sizeof *scratch);
  if (!keys || !by_quick || !by_merge || !scratch) {
    printf("sort: out of memory\n");
    return 2;
  }

  uint64_t rng = 0x5EED5047;
  uint64_t sum = BENCH_MIX_INIT;
  for (int round = 0; round < rounds; ++round) {
    // Every third round has many duplicate keys, every fourth a sorted run with noise.
    for (long i = 0; i < ELEMENTS; ++i) {
      uint32_t k = (uint32_t)bench_rand(&rng);
      if (round % 3 == 2) k &= 0x3ff;
      if (round % 4 == 3 && (k & 7) != 0) k = (uint32_t)i * 4096u;
      keys[i] = k;
    }
    memcpy(by_quick, keys, ELEMENTS * sizeof *keys);
    memcpy(by_merge, keys, ELEMENTS * sizeof *keys);
    quick_sort(by_quick, ELEMENTS);
    merge_sort(by_merge, scratch, ELEMENTS);
    for (long i = 0; i < ELEMENTS; ++i) {
      if (by_quick[i] != by_merge[i] || (i > 0 && by_quick[i - 1] > by_quick[i])) {
        printf("sort: round %d: the sorts disagree at %ld\n", round, i);
        return 1;
      }
    }
    for (long i = 0; i < ELEMENTS; i += 97) sum = bench_mix(sum, by_quick[i]);
    sum = bench_mix(sum, by_quick[ELEMENTS - 1]);
  }
  return bench_report("sort", quick, sum, EXPECTED_FULL, EXPECTED_QUICK);
}
