// Host file I/O through semihosting (SYS_OPEN/WRITE/READ/SEEK/FLEN/CLOSE/
// REMOVE): writes a file named by argv[1] (default: a name relative to the
// host's current directory), reads it back, checks every byte, appends,
// seeks, then removes it.  Exit status 0 only on success.
#include <stdio.h>
#include <string.h>

#define DEFAULT_NAME "hartbox_file_io.txt"

static const char kText[] =
    "Hartbox semihosting file test\n"
    "line 2: 0123456789 abcdefghijklmnopqrstuvwxyz\n";
static const char kMore[] = "line 3: appended\n";

static int fail(const char* what, const char* name) {
  printf("file_io: FAILED: %s (%s)\n", what, name);
  return 1;
}

int main(int argc, char** argv) {
  // picolibc's semihosting crt0 puts "program-name" in argv[0] and the
  // command line's words after it, the program's own path first.
  const char* name = argc > 2 ? argv[2] : DEFAULT_NAME;
  char buf[256];

  FILE* f = fopen(name, "w");
  if (!f) return fail("open for writing", name);
  if (fputs(kText, f) < 0) return fail("write", name);
  if (fclose(f) != 0) return fail("close after writing", name);

  f = fopen(name, "r");
  if (!f) return fail("open for reading", name);
  size_t n = fread(buf, 1, sizeof buf, f);
  if (n != sizeof kText - 1 || memcmp(buf, kText, n) != 0) return fail("content read back", name);
  // Seek into the middle and read a known word.
  if (fseek(f, 8, SEEK_SET) != 0) return fail("seek", name);
  if (fread(buf, 1, 11, f) != 11 || memcmp(buf, "semihosting", 11) != 0) return fail("read after seek", name);
  if (ftell(f) != 19) return fail("tell", name);
  fclose(f);

  f = fopen(name, "a");
  if (!f) return fail("open for appending", name);
  fputs(kMore, f);
  fclose(f);
  f = fopen(name, "r");
  if (!f) return fail("reopen", name);
  n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  if (n != sizeof kText - 1 + sizeof kMore - 1 || memcmp(buf + sizeof kText - 1, kMore, sizeof kMore - 1) != 0)
    return fail("content after append", name);

  if (remove(name) != 0) return fail("remove", name);
  if (fopen(name, "r") != NULL) return fail("file still there after remove", name);

  printf("file_io: wrote, read back, appended and removed %s: OK\n", name);
  return 0;
}
