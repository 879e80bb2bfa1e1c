// An integer mix in the spirit of EEMBC's CoreMark, written for Hartbox (none of CoreMark's
// code): each iteration runs four kernels, and each kernel's data depends on the results of the
// one before, so nothing can be hoisted out of the loop:
//   - linked lists: search, reversal, and a merge sort by value and back by key;
//   - a 16-bit matrix multiply with bit extraction of the products;
//   - a state machine that tokenizes a buffer of numbers and words;
//   - CRC16 (CCITT, bitwise) over every kernel's result.
#include "bench.h"

#define ITERATIONS 1500
#define QUICK_ITERATIONS 40
#define EXPECTED_FULL 0xef0ff89c5c26b26cull
#define EXPECTED_QUICK 0x40544a8386bc7f30ull

// --- CRC16-CCITT, polynomial 0x1021, one bit at a time -----------------------------------------

static uint16_t crc16_byte(uint16_t crc, uint8_t byte) {
  crc ^= (uint16_t)(byte << 8);
  for (int i = 0; i < 8; ++i) crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
  return crc;
}

static uint16_t crc16_u32(uint16_t crc, uint32_t v) {
  for (int i = 0; i < 4; ++i) crc = crc16_byte(crc, (uint8_t)(v >> (8 * i)));
  return crc;
}

// --- Linked lists ------------------------------------------------------------------------------

#define LIST_NODES 256

struct node {
  struct node* next;
  int16_t key;
  int16_t value;
};

static struct node pool[LIST_NODES];

static struct node* list_build(uint64_t* rng) {
  for (int i = 0; i < LIST_NODES; ++i) {
    pool[i].key = (int16_t)i;
    pool[i].value = (int16_t)(bench_rand(rng) & 0x7fff);
    pool[i].next = i + 1 < LIST_NODES ? &pool[i + 1] : NULL;
  }
  return &pool[0];
}

static struct node* list_reverse(struct node* head) {
  struct node* prev = NULL;
  while (head) {
    struct node* next = head->next;
    head->next = prev;
    prev = head;
    head = next;
  }
  return prev;
}

// Position of the first node with `key` (or -1), and its value through *value.
static int list_find(const struct node* head, int16_t key, int16_t* value) {
  for (int pos = 0; head; head = head->next, ++pos) {
    if (head->key == key) {
      *value = head->value;
      return pos;
    }
  }
  return -1;
}

static int node_less(const struct node* a, const struct node* b, int by_value) {
  if (by_value) return a->value < b->value || (a->value == b->value && a->key < b->key);
  return a->key < b->key;
}

// Bottom-up merge sort of a list, stable; by value (ties by key) or by key.
static struct node* list_sort(struct node* head, int by_value) {
  for (int width = 1;; width *= 2) {
    struct node* rest = head;
    struct node* out = NULL;
    struct node** tail = &out;
    int merges = 0;
    while (rest) {
      ++merges;
      struct node* a = rest;
      int a_len = 0;
      while (rest && a_len < width) {
        rest = rest->next;
        ++a_len;
      }
      struct node* b = rest;
      int b_len = 0;
      while (rest && b_len < width) {
        rest = rest->next;
        ++b_len;
      }
      while (a_len > 0 || b_len > 0) {
        struct node* take;
        if (b_len == 0 || (a_len > 0 && !node_less(b, a, by_value))) {
          take = a;
          a = a->next;
          --a_len;
        } else {
          take = b;
          b = b->next;
          --b_len;
        }
        *tail = take;
        tail = &take->next;
      }
    }
    *tail = NULL;
    head = out;
    if (merges <= 1) return head;
  }
}

static uint16_t list_kernel(struct node** list, uint16_t seed) {
  uint16_t crc = seed;
  struct node* head = *list;
  // Search for a few keys picked by the seed.
  for (int i = 0; i < 8; ++i) {
    int16_t value = 0;
    const int16_t key = (int16_t)((seed * (i + 1) + i * 37) % (LIST_NODES + 16));
    const int pos = list_find(head, key, &value);
    crc = crc16_u32(crc, (uint32_t)(pos * 65536 + (uint16_t)value));
  }
  head = list_reverse(head);
  head = list_sort(head, 1);
  // Walk the sorted list: fold values, then change each value from its neighbours.
  int16_t prev = 0;
  for (struct node* n = head; n; n = n->next) {
    crc = crc16_byte(crc, (uint8_t)n->value);
    n->value = (int16_t)(((n->value * 3) ^ (prev + seed)) & 0x7fff);
    prev = n->value;
  }
  head = list_sort(head, 0);
  crc = crc16_u32(crc, (uint32_t)head->value);
  *list = head;
  return crc;
}

// --- Matrices ----------------------------------------------------------------------------------

#define MAT_N 24

static int16_t mat_a[MAT_N][MAT_N], mat_b[MAT_N][MAT_N];
static int32_t mat_c[MAT_N][MAT_N];

static void matrix_init(uint64_t* rng) {
  for (int i = 0; i < MAT_N; ++i)
    for (int j = 0; j < MAT_N; ++j) {
      mat_a[i][j] = (int16_t)((int)(bench_rand(rng) % 2001) - 1000);
      mat_b[i][j] = (int16_t)((int)(bench_rand(rng) % 2001) - 1000);
    }
}

static uint16_t matrix_kernel(uint16_t seed) {
  uint16_t crc = seed;
  for (int i = 0; i < MAT_N; ++i)
    for (int j = 0; j < MAT_N; ++j) {
      int32_t sum = 0;
      for (int k = 0; k < MAT_N; ++k) sum += (int32_t)mat_a[i][k] * mat_b[k][j];
      mat_c[i][j] = sum;
    }
  // Fold bit fields of the products, and feed them back into A so the next pass differs.
  uint32_t fold = 0;
  for (int i = 0; i < MAT_N; ++i)
    for (int j = 0; j < MAT_N; ++j) {
      const int32_t c = mat_c[i][j];
      const uint32_t bits = ((uint32_t)c >> 3) & 0x3f;
      fold = fold * 31 + bits + (c < 0);
      if (bits > 40) mat_a[i][j] = (int16_t)(mat_a[i][j] + (bits & 7) - 3);
      else if (bits < 8) mat_a[i][j] = (int16_t)(-mat_a[i][j] / 2 + (int16_t)seed % 7);
    }
  return crc16_u32(crc, fold);
}

// --- State machine: a tokenizer ------------------------------------------------------------------

enum token_state { S_START, S_SIGN, S_INT, S_ZERO, S_HEX, S_FRAC, S_EXP, S_EXP_SIGN, S_EXP_DIGITS, S_WORD, S_BAD, S_COUNT };

#define TEXT_LEN 512
static char text[TEXT_LEN + 1];

static const char* const kTokens[] = {"123",  "-45",   "0x1f", "3.14", "2e-5", "+7",    "abc", "1.2.3",
                                      "0x",   "6.02e23", "foo9", "-",    "0",    "9999", ".5",  "x1"};

static void text_init(uint64_t* rng) {
  int len = 0;
  while (len < TEXT_LEN) {
    const char* tok = kTokens[bench_rand(rng) % (sizeof kTokens / sizeof kTokens[0])];
    for (; *tok && len < TEXT_LEN; ++tok) text[len++] = *tok;
    if (len < TEXT_LEN) text[len++] = (bench_rand(rng) & 1) ? ',' : ' ';
  }
  text[TEXT_LEN] = '\0';
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
static int is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// The state after `c`.
static enum token_state token_step(enum token_state s, char c) {
  switch (s) {
    case S_START:
      if (c == '+' || c == '-') return S_SIGN;
      if (c == '0') return S_ZERO;
      if (is_digit(c)) return S_INT;
      if (c == '.') return S_FRAC;
      if (is_alpha(c)) return S_WORD;
      return S_BAD;
    case S_SIGN:
      if (c == '0') return S_ZERO;
      if (is_digit(c)) return S_INT;
      if (c == '.') return S_FRAC;
      return S_BAD;
    case S_ZERO:
      if (c == 'x' || c == 'X') return S_HEX;
      if (c == '.') return S_FRAC;
      if (c == 'e' || c == 'E') return S_EXP;
      if (is_digit(c)) return S_INT;
      return S_BAD;
    case S_INT:
      if (is_digit(c)) return S_INT;
      if (c == '.') return S_FRAC;
      if (c == 'e' || c == 'E') return S_EXP;
      return S_BAD;
    case S_HEX: return is_hex(c) ? S_HEX : S_BAD;
    case S_FRAC:
      if (is_digit(c)) return S_FRAC;
      if (c == 'e' || c == 'E') return S_EXP;
      return S_BAD;
    case S_EXP:
      if (c == '+' || c == '-') return S_EXP_SIGN;
      return is_digit(c) ? S_EXP_DIGITS : S_BAD;
    case S_EXP_SIGN:
    case S_EXP_DIGITS: return is_digit(c) ? S_EXP_DIGITS : S_BAD;
    case S_WORD: return (is_alpha(c) || is_digit(c)) ? S_WORD : S_BAD;
    default: return S_BAD;
  }
}

static uint16_t state_kernel(uint16_t seed) {
  uint32_t finals[S_COUNT] = {0};
  uint32_t transitions = 0;
  enum token_state s = S_START;
  for (int i = 0; i < TEXT_LEN; ++i) {
    const char c = text[i];
    if (c == ',' || c == ' ') {
      ++finals[s];
      s = S_START;
      continue;
    }
    const enum token_state t = token_step(s, c);
    transitions += (t != s);
    s = t;
  }
  ++finals[s];
  // Corrupt a character picked by the seed, so the next pass sees different tokens.
  const int at = seed % TEXT_LEN;
  if (text[at] != ',' && text[at] != ' ') text[at] = (char)(text[at] ^ 0x01);
  uint16_t crc = seed;
  for (int i = 0; i < S_COUNT; ++i) crc = crc16_u32(crc, finals[i]);
  return crc16_u32(crc, transitions);
}

int main(int argc, char** argv) {
  const int quick = bench_quick(argc, argv);
  const int iterations = quick ? QUICK_ITERATIONS : ITERATIONS;
  uint64_t rng = 0xC0DE2024;
  struct node* list = list_build(&rng);
  matrix_init(&rng);
  text_init(&rng);

  uint64_t sum = BENCH_MIX_INIT;
  uint16_t crc = 0xffff;
  for (int it = 0; it < iterations; ++it) {
    crc = list_kernel(&list, crc);
    crc = matrix_kernel(crc);
    crc = state_kernel(crc);
    sum = bench_mix(sum, crc);
  }
  return bench_report("coremark_like", quick, sum, EXPECTED_FULL, EXPECTED_QUICK);
}
