/* A guest that keeps its disk busy, for `hartbox fleet`: it writes a pattern to a range of
 * sectors, reads it back and compares, round after round, through its own virtio-blk driver
 * (virtio 1.2, section 5.2), waiting in WFI for each request's used-buffer interrupt.
 *
 * With the argument "forever" it goes on for ever and prints one line every REPORT_ROUNDS
 * rounds; without, it does ROUNDS rounds and exits 0. Without a disk (the rom suite runs every
 * program bare) it says so and exits 0. Anything read back wrong ends it with exit code 1.
 */
#include <stdio.h>
#include <string.h>

#include "bare_virtio.h"

#define SECTOR 512
#define CHUNK_SECTORS 8 /* 4 KiB per request */
#define CHUNKS 16       /* 64 KiB per round */
#define ROUNDS 4
#define REPORT_ROUNDS 256
static struct blk_disk disk;
static uint8_t data[CHUNK_SECTORS * SECTOR] __attribute__((aligned(16)));

static uint8_t pattern(uint32_t round, uint64_t sector, uint32_t offset) {
  return (uint8_t)(round * 131 + sector * 7 + offset * 13 + (offset >> 5));
}

/* One request of CHUNK_SECTORS sectors, waiting for its completion in WFI. */
static int request(uint32_t type, uint64_t sector) { return blk_request(&disk, type, sector, data, sizeof data); }

int main(int argc, char** argv) {
  const int forever = has_arg(argc, argv, "forever");
  switch (blk_open(&disk, 0)) {
    case BLK_NO_DISK:
      printf("disk_io: no virtio-blk disk (give it one in a fleet): nothing to do\n");
      return 0;
    case BLK_REFUSED:
      printf("disk_io: the disk refused our features\n");
      return 1;
    case BLK_OPENED:
      break;
  }
  if (disk.sectors < CHUNKS * CHUNK_SECTORS) {
    printf("disk_io: the disk has %lu sectors, it needs %d\n", (unsigned long)disk.sectors, CHUNKS * CHUNK_SECTORS);
    return 1;
  }

  uint64_t bytes = 0;
  for (uint32_t round = 0; forever || round < ROUNDS; ++round) {
    for (uint32_t c = 0; c < CHUNKS; ++c) {
      const uint64_t sector = (uint64_t)c * CHUNK_SECTORS;
      for (uint32_t i = 0; i < sizeof data; ++i) data[i] = pattern(round, sector + i / SECTOR, i % SECTOR);
      if (request(VIRTIO_BLK_T_OUT, sector) != VIRTIO_BLK_S_OK) {
        printf("disk_io: write of sector %lu failed (status %d)\n", (unsigned long)sector, disk.status);
        return 1;
      }
    }
    for (uint32_t c = 0; c < CHUNKS; ++c) {
      const uint64_t sector = (uint64_t)c * CHUNK_SECTORS;
      memset(data, 0, sizeof data);
      if (request(VIRTIO_BLK_T_IN, sector) != VIRTIO_BLK_S_OK) {
        printf("disk_io: read of sector %lu failed (status %d)\n", (unsigned long)sector, disk.status);
        return 1;
      }
      for (uint32_t i = 0; i < sizeof data; ++i)
        if (data[i] != pattern(round, sector + i / SECTOR, i % SECTOR)) {
          printf("disk_io: round %u: sector %lu byte %u reads back wrong\n", round,
                 (unsigned long)(sector + i / SECTOR), i % SECTOR);
          return 1;
        }
    }
    bytes += 2 * CHUNKS * sizeof data;
    if (forever && (round + 1) % REPORT_ROUNDS == 0)
      printf("disk_io: %u rounds, %lu MiB written and read back: all correct\n", round + 1,
             (unsigned long)(bytes >> 20));
  }
  printf("disk_io: %d rounds of %d KiB written and read back: OK\n", ROUNDS, CHUNKS * CHUNK_SECTORS * SECTOR / 1024);
  return 0;
}
