// String handling through the C library: each round formats records with snprintf (integer
// conversions only: %d %u %x %08x %s %-12s %c, which print the same on every libc), measures
// and compares them (strlen, strcmp, strncmp, memcmp), copies and concatenates them (memcpy,
// memmove, strcpy, strcat), searches them (strstr, strchr, strrchr) and parses numbers back
// (strtoul, strtol). The time goes into the libc's string routines as much as into our loop.
#include "bench.h"

#define ROUNDS 1200
#define QUICK_ROUNDS 80
#define RECORDS 64
#define RECORD_BYTES 96
#define EXPECTED_FULL 0xb55fe9d33a5aa213ull
#define EXPECTED_QUICK 0xa715716d92e28456ull

static const char* const kNames[] = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
                                     "india", "juliett", "kilo", "lima", "mike", "november", "oscar", "papa"};
#define NAME_COUNT (sizeof kNames / sizeof kNames[0])

static char records[RECORDS][RECORD_BYTES];
static char joined[RECORDS * RECORD_BYTES];

int main(int argc, char** argv) {
  const int quick = bench_quick(argc, argv);
  const int rounds = quick ? QUICK_ROUNDS : ROUNDS;
  uint64_t rng = 0x57121265;
  uint64_t sum = BENCH_MIX_INIT;

  for (int round = 0; round < rounds; ++round) {
    // Format.
    uint64_t lengths = 0;
    for (int i = 0; i < RECORDS; ++i) {
      const uint64_t r = bench_rand(&rng);
      const char* name = kNames[r % NAME_COUNT];
      const int n = snprintf(records[i], RECORD_BYTES, "%-12s|%6d|%08x|%u|%c|%s-%x", name,
                             (int)(r >> 8 & 0xfffff) - 500000, (unsigned)(r >> 20), (unsigned)(r >> 40 & 0xffff),
                             'A' + (int)(r >> 60), kNames[(r >> 4) % NAME_COUNT], (unsigned)(round * 31 + i));
      lengths += (uint64_t)n;
    }
    sum = bench_mix(sum, lengths);

    // Measure and compare neighbours.
    uint64_t order = 0;
    for (int i = 0; i + 1 < RECORDS; ++i) {
      const int c = strcmp(records[i], records[i + 1]);
      order = order * 3 + (uint64_t)(c < 0 ? 0 : c == 0 ? 1 : 2);
      order += (uint64_t)(strncmp(records[i], records[i + 1], 5) == 0);
      order += strlen(records[i]);
      order += (uint64_t)(memcmp(records[i] + 13, records[i + 1] + 13, 6) < 0);
    }
    sum = bench_mix(sum, order);

    // Copy and join: strcpy, then strcat through a moving end pointer, then a memmove shift.
    char* end = joined;
    *end = '\0';
    for (int i = 0; i < RECORDS; ++i) {
      if (i % 2 == 0) {
        strcpy(end, records[i]);
      } else {
        end[0] = '\0';
        strcat(end, records[i]);
      }
      end += strlen(end);
      *end++ = ';';
      *end = '\0';
    }
    const size_t total = (size_t)(end - joined);
    memmove(joined + 7, joined, total / 2);
    char copy[RECORD_BYTES];
    memcpy(copy, records[round % RECORDS], RECORD_BYTES);
    sum = bench_mix(sum, total);

    // Search.
    uint64_t found = 0;
    for (unsigned k = 0; k < NAME_COUNT; k += 3) {
      const char* hit = strstr(joined, kNames[k]);
      found = found * 7 + (hit ? (uint64_t)(hit - joined) : 999999);
    }
    const char* bar = strchr(copy, '|');
    const char* last = strrchr(joined, '|');
    found += (bar ? (uint64_t)(bar - copy) : 0) + (last ? (uint64_t)(last - joined) : 0);
    sum = bench_mix(sum, found);

    // Parse the numbers back from one record's fields.
    const char* field = strchr(records[round % RECORDS], '|');
    if (field) {
      char* after;
      const long value = strtol(field + 1, &after, 10);
      const unsigned long hex = strtoul(after + 1, &after, 16);
      const unsigned long dec = strtoul(after + 1, NULL, 10);
      sum = bench_mix(sum, (uint64_t)value ^ (uint64_t)hex << 1 ^ (uint64_t)dec << 33);
    }
  }
  return bench_report("strings", quick, sum, EXPECTED_FULL, EXPECTED_QUICK);
}
