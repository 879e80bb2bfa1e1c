// The shim shared by every program of the benchmark suite (roms/bench/*.c).
//
// The same sources build twice: for the guest (riscv64-unknown-elf-gcc, picolibc, semihosting:
// printf reaches the host console and main's return value becomes the exit status through
// SYS_EXIT) and natively for the host (glibc), so that a guest's figures can be set against the
// host's. The programs are plain C on stdio/stdlib/string/math only; what differs between the
// two worlds is kept here:
//
//  - The command line. picolibc's semihosting crt0 gives argv[0] = "program-name", then the
//    words of the host's command line (the ELF's path first, then its arguments); glibc gives
//    the program then its arguments. So a program looks for its one option, the word `quick`
//    (fewer iterations, for the CTest tests), anywhere after argv[0].
//  - Random numbers: rand() differs between libcs, so the programs use bench_rand() below.
//
// Each program computes a checksum of its results and ends with bench_report(), which prints
//   <name>: checksum <16 hex digits> OK
// and returns 0, or prints MISMATCH with the expected value and returns 1: a wrong engine
// cannot look fast. The expected values are compiled in, taken from the native build's output;
// each program's size is a macro at its top (ITERATIONS, ROUNDS or STEPS, and a QUICK_ one),
// sized for about 1-3 s on the block engine: change one, and update its EXPECTED_ value from
// build/<preset>/roms/bench/native/<name> (with `quick` for the quick one).
// Floating-point programs are built with -ffp-contract=off on both sides, so that the guest's
// compiler does not fuse a*b+c into fmadd where the host's does not (the results would differ
// in the last bit).
#ifndef HARTBOX_BENCH_H
#define HARTBOX_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// True when `quick` was given: the program then runs its short (test) size.
static inline int bench_quick(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (strcmp(argv[i], "quick") == 0) return 1;
  return 0;
}

// splitmix64 (Steele, Lea, Flood 2014): a small, well-mixed generator whose output is the same
// on every host.
static inline uint64_t bench_rand(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Folds a value into a running checksum (FNV-1a over the value's 8 bytes, little-endian order
// by arithmetic, so independent of the host's byte order).
static inline uint64_t bench_mix(uint64_t sum, uint64_t value) {
  for (int i = 0; i < 8; ++i) {
    sum ^= (value >> (8 * i)) & 0xff;
    sum *= 0x100000001B3ull;
  }
  return sum;
}
#define BENCH_MIX_INIT 0xCBF29CE484222325ull

// Prints the checksum line; the exit status for main: 0 if `checksum` is the expected value
// for this size, 1 otherwise.
static inline int bench_report(const char* name, int quick, uint64_t checksum, uint64_t expected_full,
                               uint64_t expected_quick) {
  const uint64_t expected = quick ? expected_quick : expected_full;
  if (checksum == expected) {
    printf("%s%s: checksum %016llx OK\n", name, quick ? " (quick)" : "", (unsigned long long)checksum);
    return 0;
  }
  printf("%s%s: checksum %016llx MISMATCH, expected %016llx\n", name, quick ? " (quick)" : "",
         (unsigned long long)checksum, (unsigned long long)expected);
  return 1;
}

#endif
