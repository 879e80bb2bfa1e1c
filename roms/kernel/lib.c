/* Freestanding basics for the test kernel: memory and string helpers (GCC may call these
 * itself), the UART console, the test device, and a read-only device-tree walker.
 * Used from M-mode (the shim) and S-mode alike. */
#include <stdarg.h>

#include "kernel.h"

void* memset(void* d, int c, size_t n) {
  uint8_t* p = d;
  while (n--) *p++ = (uint8_t)c;
  return d;
}

void* memcpy(void* d, const void* s, size_t n) {
  uint8_t* p = d;
  const uint8_t* q = s;
  while (n--) *p++ = *q++;
  return d;
}

int memcmp(const void* a, const void* b, size_t n) {
  const uint8_t *p = a, *q = b;
  for (; n; --n, ++p, ++q)
    if (*p != *q) return *p < *q ? -1 : 1;
  return 0;
}

size_t strlen(const char* s) {
  size_t n = 0;
  while (s[n]) ++n;
  return n;
}

/* --- The console: the 16550A's transmitter, polled --- */

#define UART_THR 0
#define UART_MCR 4
#define UART_LSR 5
#define UART_LSR_THRE 0x20
#define UART_MCR_OUT2 0x08

void uart_putc(char c) {
  if (c == '\n') uart_putc('\r');
  while (!(mmio_read8(UART_BASE + UART_LSR) & UART_LSR_THRE)) {
  }
  mmio_write8(UART_BASE + UART_THR, (uint8_t)c);
}

void kputs(const char* s) {
  while (*s) uart_putc(*s++);
}

static void put_number(uint64_t v, unsigned base, bool negative, unsigned width, char pad) {
  char buf[24];
  unsigned n = 0;
  do {
    buf[n++] = "0123456789abcdef"[v % base];
    v /= base;
  } while (v);
  if (negative) buf[n++] = '-';
  while (width > n) {
    uart_putc(pad);
    --width;
  }
  while (n) uart_putc(buf[--n]);
}

static void kvprintf(const char* fmt, va_list ap) {
  for (; *fmt; ++fmt) {
    if (*fmt != '%') {
      uart_putc(*fmt);
      continue;
    }
    ++fmt;
    char pad = ' ';
    unsigned width = 0, longs = 0;
    if (*fmt == '0') pad = '0', ++fmt;
    while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (unsigned)(*fmt++ - '0');
    while (*fmt == 'l') ++longs, ++fmt;
    switch (*fmt) {
      case 's': {
        const char* s = va_arg(ap, const char*);
        kputs(s ? s : "(null)");
        break;
      }
      case 'c': uart_putc((char)va_arg(ap, int)); break;
      case 'd': {
        int64_t v = longs ? va_arg(ap, int64_t) : va_arg(ap, int);
        put_number(v < 0 ? (uint64_t)-v : (uint64_t)v, 10, v < 0, width, pad);
        break;
      }
      case 'u':
      case 'x': {
        uint64_t v = longs ? va_arg(ap, uint64_t) : va_arg(ap, unsigned);
        put_number(v, *fmt == 'u' ? 10 : 16, false, width, pad);
        break;
      }
      case 'p':
        kputs("0x");
        put_number((uint64_t)va_arg(ap, void*), 16, false, 0, ' ');
        break;
      case '%': uart_putc('%'); break;
      default: uart_putc('?'); break;
    }
  }
}

void kprintf(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kvprintf(fmt, ap);
  va_end(ap);
}

/* --- The SiFive test device --- */

#define FINISHER_FAIL 0x3333
#define FINISHER_PASS 0x5555
#define FINISHER_RESET 0x7777

static _Noreturn void finish(uint32_t value) {
  mmio_write32(TEST_BASE, value);
  for (;;) wfi();
}

_Noreturn void fail(int code, const char* fmt, ...) {
  /* Whatever a check left behind, the message must reach the line: leave UART loopback. */
  mmio_write8(UART_BASE + UART_MCR, UART_MCR_OUT2);
  kprintf("\nFAIL %d: ", code);
  va_list ap;
  va_start(ap, fmt);
  kvprintf(fmt, ap);
  va_end(ap);
  kputs("\n");
  finish(((uint32_t)code << 16) | FINISHER_FAIL);
}

_Noreturn void pass(void) { finish(FINISHER_PASS); }

_Noreturn void test_device_reset(void) { finish(FINISHER_RESET); }

/* --- The device tree (Devicetree Specification v0.4, chapter 5: the flattened format) --- */

#define FDT_MAGIC 0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE 2
#define FDT_PROP 3
#define FDT_NOP 4
#define FDT_END 9

static const uint8_t* fdt_blob;

bool fdt_init(const void* blob) {
  if (!blob || ((uint64_t)blob & 3) || be32(blob) != FDT_MAGIC) return false;
  const uint8_t* b = blob;
  const uint32_t total = be32(b + 4), off_struct = be32(b + 8), off_strings = be32(b + 12);
  const uint32_t version = be32(b + 20);
  if (version < 17 || off_struct >= total || off_strings >= total) return false;
  fdt_blob = blob;
  return true;
}

/* A node name matches a path component exactly, or by its name before '@'. */
static bool node_matches(const char* name, const char* comp, size_t comp_len) {
  if (strlen(name) < comp_len || memcmp(name, comp, comp_len) != 0) return false;
  return name[comp_len] == '\0' || name[comp_len] == '@';
}

const void* fdt_property(const char* path, const char* name, uint32_t* len) {
  if (!fdt_blob) return NULL;
  const char* comps[8];
  size_t comp_lens[8];
  unsigned ncomp = 0;
  for (const char* p = path; *p;) {
    while (*p == '/') ++p;
    if (!*p) break;
    const char* start = p;
    while (*p && *p != '/') ++p;
    if (ncomp == 8) return NULL;
    comps[ncomp] = start;
    comp_lens[ncomp++] = (size_t)(p - start);
  }
  const uint8_t* structs = fdt_blob + be32(fdt_blob + 8);
  const char* strings = (const char*)fdt_blob + be32(fdt_blob + 12);
  const uint8_t* end = fdt_blob + be32(fdt_blob + 4);
  /* depth counts open nodes (the root is 1); `matched` how many path components the open
   * nodes below the root match. */
  unsigned depth = 0, matched = 0;
  for (const uint8_t* p = structs; p + 4 <= end;) {
    const uint32_t token = be32(p);
    p += 4;
    switch (token) {
      case FDT_BEGIN_NODE: {
        const char* node = (const char*)p;
        p += (strlen(node) + 1 + 3) & ~(size_t)3;
        ++depth;
        if (depth >= 2 && matched == depth - 2 && depth - 2 < ncomp &&
            node_matches(node, comps[depth - 2], comp_lens[depth - 2]))
          matched = depth - 1;
        break;
      }
      case FDT_END_NODE:
        if (depth >= 2 && matched == depth - 1) --matched;
        --depth;
        break;
      case FDT_PROP: {
        const uint32_t size = be32(p), nameoff = be32(p + 4);
        const uint8_t* value = p + 8;
        p = value + ((size + 3) & ~3u);
        if (matched == ncomp && depth == ncomp + 1) {
          const char* prop = strings + nameoff;
          if (strlen(prop) == strlen(name) && memcmp(prop, name, strlen(name)) == 0) {
            if (len) *len = size;
            return value;
          }
        }
        break;
      }
      case FDT_NOP: break;
      default: return NULL; /* FDT_END or garbage */
    }
  }
  return NULL;
}

/* --- The command line --- */

bool bootarg(const char* key, char* out, size_t size) {
  uint32_t len = 0;
  const char* args = fdt_property("/chosen", "bootargs", &len);
  if (!args) return false;
  const size_t key_len = strlen(key);
  for (const char* p = args; p < args + len && *p;) {
    while (*p == ' ') ++p;
    const char* word = p;
    while (*p && *p != ' ') ++p;
    const size_t word_len = (size_t)(p - word);
    if (word_len > key_len && memcmp(word, key, key_len) == 0 && word[key_len] == '=') {
      const size_t n = word_len - key_len - 1;
      if (n + 1 > size) return false;
      memcpy(out, word + key_len + 1, n);
      out[n] = '\0';
      return true;
    }
  }
  return false;
}

bool bootarg_list_has(const char* key, const char* item, const char* fallback) {
  char list[128];
  const char* value = bootarg(key, list, sizeof list) ? list : fallback;
  const size_t item_len = strlen(item);
  for (const char* p = value; *p;) {
    const char* start = p;
    while (*p && *p != ',') ++p;
    if ((size_t)(p - start) == item_len && memcmp(start, item, item_len) == 0) return true;
    if (*p == ',') ++p;
  }
  return false;
}
