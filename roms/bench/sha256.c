// SHA-256 (FIPS 180-4): checks the implementation on the standard's "abc" example, then hashes
// a 64 KiB buffer over and over, writing each digest back into the buffer so that every round
// depends on the one before.
#include "bench.h"

#define ROUNDS 60
#define QUICK_ROUNDS 4
#define BUFFER_BYTES 65536
#define EXPECTED_FULL 0x06681e4aae2d2988ull
#define EXPECTED_QUICK 0x0e46e7efc497caedull

struct sha256 {
  uint32_t h[8];
  uint8_t block[64];
  uint64_t bytes;
  unsigned used;
};

static const uint32_t kRoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static void sha256_init(struct sha256* s) {
  static const uint32_t kInit[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
  memcpy(s->h, kInit, sizeof kInit);
  s->bytes = 0;
  s->used = 0;
}

// FIPS 180-4 section 6.2.2.
static void sha256_compress(uint32_t h[8], const uint8_t block[64]) {
  uint32_t w[64];
  for (int t = 0; t < 16; ++t)
    w[t] = (uint32_t)block[4 * t] << 24 | (uint32_t)block[4 * t + 1] << 16 | (uint32_t)block[4 * t + 2] << 8 |
           block[4 * t + 3];
  for (int t = 16; t < 64; ++t) {
    const uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
    const uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);
    w[t] = w[t - 16] + s0 + w[t - 7] + s1;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (int t = 0; t < 64; ++t) {
    const uint32_t t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + kRoundConstants[t] + w[t];
    const uint32_t t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    hh = g;
    g = f;
    f = e;
    e = d + t1;
    d = c;
    c = b;
    b = a;
    a = t1 + t2;
  }
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
  h[4] += e;
  h[5] += f;
  h[6] += g;
  h[7] += hh;
}

static void sha256_update(struct sha256* s, const uint8_t* data, size_t len) {
  s->bytes += len;
  while (len > 0) {
    if (s->used == 0 && len >= 64) {
      sha256_compress(s->h, data);
      data += 64;
      len -= 64;
      continue;
    }
    size_t take = 64 - s->used;
    if (take > len) take = len;
    memcpy(s->block + s->used, data, take);
    s->used += (unsigned)take;
    data += take;
    len -= take;
    if (s->used == 64) {
      sha256_compress(s->h, s->block);
      s->used = 0;
    }
  }
}

static void sha256_final(struct sha256* s, uint8_t digest[32]) {
  const uint64_t bits = s->bytes * 8;
  s->block[s->used++] = 0x80;
  if (s->used > 56) {
    memset(s->block + s->used, 0, 64 - s->used);
    sha256_compress(s->h, s->block);
    s->used = 0;
  }
  memset(s->block + s->used, 0, 56 - s->used);
  for (int i = 0; i < 8; ++i) s->block[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
  sha256_compress(s->h, s->block);
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 4; ++j) digest[4 * i + j] = (uint8_t)(s->h[i] >> (24 - 8 * j));
}

static void sha256(const uint8_t* data, size_t len, uint8_t digest[32]) {
  struct sha256 s;
  sha256_init(&s);
  sha256_update(&s, data, len);
  sha256_final(&s, digest);
}

static uint8_t buffer[BUFFER_BYTES];

int main(int argc, char** argv) {
  const int quick = bench_quick(argc, argv);
  const int rounds = quick ? QUICK_ROUNDS : ROUNDS;

  // FIPS 180-2 appendix B.1: SHA-256("abc").
  static const uint8_t kAbc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                                   0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                                   0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  uint8_t digest[32];
  sha256((const uint8_t*)"abc", 3, digest);
  if (memcmp(digest, kAbc, 32) != 0) {
    printf("sha256: wrong digest of \"abc\"\n");
    return 1;
  }

  uint64_t rng = 0x5A256;
  for (size_t i = 0; i < BUFFER_BYTES; i += 8) {
    const uint64_t r = bench_rand(&rng);
    for (int j = 0; j < 8; ++j) buffer[i + (size_t)j] = (uint8_t)(r >> (8 * j));
  }
  uint64_t sum = BENCH_MIX_INIT;
  for (int round = 0; round < rounds; ++round) {
    // A length that changes with the round, so every padding case of the last block runs.
    sha256(buffer, BUFFER_BYTES - (size_t)(round % 61), digest);
    memcpy(buffer + (size_t)(round * 32) % (BUFFER_BYTES - 32), digest, 32);
    uint64_t head = 0;
    for (int i = 0; i < 8; ++i) head = head << 8 | digest[i];
    sum = bench_mix(sum, head);
  }
  return bench_report("sha256", quick, sum, EXPECTED_FULL, EXPECTED_QUICK);
}
