/* The guest side of the disk crash-consistency test (tests/disk/crash_consistency.py).
 *
 *   flush_log write EPOCH   writes records to random blocks of its virtio-blk disk, a few per
 *                           transaction; most transactions end with a FLUSH, and only once the
 *                           flush has completed does it print "flushed EPOCH SEQ BLOCK...". It
 *                           never stops: the test kills the emulator at a random moment.
 *   flush_log verify        reads every block and prints what it holds: "block B EPOCH SEQ",
 *                           "block B empty" (all zeros) or "block B corrupt".
 *
 * The promise under test (virtio 1.2, 5.2.6: a completed flush means the data are on stable
 * storage): after a kill, every block holds the record of its last flushed transaction or a
 * later one, intact. A record fills a 4 KiB block: a header, a payload derived from the header,
 * and a checksum over both, so a torn or stale block cannot pass for a good one.
 *
 * Without a disk (the rom suite runs every program bare) it says so and exits 0. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bare_virtio.h"

#define BLOCK 4096
#define SECTORS_PER_BLOCK (BLOCK / 512)
#define BLOCKS 64
#define MAX_PER_TRANSACTION 3
#define RECORD_MAGIC 0x4c464248u /* "HBFL" */

struct record {
  uint32_t magic, block, epoch, seq;
  uint8_t payload[BLOCK - 16 - 8];
  uint64_t checksum;
};
_Static_assert(sizeof(struct record) == BLOCK, "a record is one block");

static struct blk_disk disk;
static struct record rec __attribute__((aligned(16)));

static uint64_t fnv1a(const void* p, size_t n) {
  const uint8_t* b = p;
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; ++i) h = (h ^ b[i]) * 0x100000001b3ull;
  return h;
}

static void fill(uint32_t block, uint32_t epoch, uint32_t seq) {
  rec.magic = RECORD_MAGIC;
  rec.block = block;
  rec.epoch = epoch;
  rec.seq = seq;
  uint32_t x = epoch * 2654435761u ^ seq * 40503u ^ block;
  for (size_t i = 0; i < sizeof rec.payload; ++i) {
    x = x * 1103515245u + 12345u;
    rec.payload[i] = (uint8_t)(x >> 16);
  }
  rec.checksum = fnv1a(&rec, offsetof(struct record, checksum));
}

static int write_forever(uint32_t epoch) {
  uint32_t rng = epoch * 747796405u + 2891336453u;
  for (uint32_t seq = 1;; ++seq) {
    uint32_t blocks[MAX_PER_TRANSACTION];
    rng = rng * 1664525u + 1013904223u;
    const unsigned n = 1 + (rng >> 16) % MAX_PER_TRANSACTION;
    for (unsigned i = 0; i < n; ++i) {
      rng = rng * 1664525u + 1013904223u;
      blocks[i] = (rng >> 8) % BLOCKS;
      fill(blocks[i], epoch, seq);
      if (blk_request(&disk, VIRTIO_BLK_T_OUT, (uint64_t)blocks[i] * SECTORS_PER_BLOCK, &rec, BLOCK) != VIRTIO_BLK_S_OK) {
        printf("flush_log: write of block %u failed (status %d)\n", blocks[i], disk.status);
        return 1;
      }
    }
    rng = rng * 1664525u + 1013904223u;
    if ((rng >> 20) % 4 == 0) continue; /* left unflushed: the next flush covers it, unclaimed */
    if (blk_request(&disk, VIRTIO_BLK_T_FLUSH, 0, NULL, 0) != VIRTIO_BLK_S_OK) {
      printf("flush_log: flush failed (status %d)\n", disk.status);
      return 1;
    }
    printf("flushed %u %u", epoch, seq);
    for (unsigned i = 0; i < n; ++i) printf(" %u", blocks[i]);
    printf("\n");
    fflush(stdout);
  }
}

static int verify(void) {
  for (uint32_t b = 0; b < BLOCKS; ++b) {
    if (blk_request(&disk, VIRTIO_BLK_T_IN, (uint64_t)b * SECTORS_PER_BLOCK, &rec, BLOCK) != VIRTIO_BLK_S_OK) {
      printf("flush_log: read of block %u failed (status %d)\n", b, disk.status);
      return 1;
    }
    const uint8_t* bytes = (const uint8_t*)&rec;
    bool zero = true;
    for (size_t i = 0; i < BLOCK && zero; ++i) zero = bytes[i] == 0;
    if (zero) {
      printf("block %u empty\n", b);
      continue;
    }
    const uint32_t epoch = rec.epoch, seq = rec.seq;
    const uint64_t checksum = rec.checksum;
    const bool header_ok = rec.magic == RECORD_MAGIC && rec.block == b;
    fill(b, epoch, seq); /* what the record must be, payload and checksum included */
    if (!header_ok || rec.checksum != checksum || fnv1a(bytes, BLOCK) != fnv1a(&rec, BLOCK))
      printf("block %u corrupt\n", b);
    else
      printf("block %u %u %u\n", b, epoch, seq);
  }
  return 0;
}

int main(int argc, char** argv) {
  switch (blk_open(&disk, VIRTIO_BLK_F_FLUSH)) {
    case BLK_NO_DISK:
      printf("flush_log: no virtio-blk disk: nothing to do\n");
      return 0;
    case BLK_REFUSED:
      printf("flush_log: the disk refused our features\n");
      return 1;
    case BLK_OPENED:
      break;
  }
  if (disk.sectors < BLOCKS * SECTORS_PER_BLOCK) {
    printf("flush_log: the disk has %lu sectors, it needs %d\n", (unsigned long)disk.sectors, BLOCKS * SECTORS_PER_BLOCK);
    return 1;
  }
  if (has_arg(argc, argv, "verify")) return verify();
  for (int i = 1; i + 1 < argc; ++i)
    if (strcmp(argv[i], "write") == 0) return write_forever((uint32_t)strtoul(argv[i + 1], NULL, 10));
  printf("usage: flush_log write EPOCH | flush_log verify\n");
  return 2;
}
