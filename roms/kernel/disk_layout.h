/* How the test kernel's blk check uses a disk (roms/kernel/check_blk.c). Plain C that also
 * compiles as C++, so that the host-side test (tests/unit/virt_kernel_test.cpp) can check an
 * image file with the very definitions the kernel writes it with.
 *
 *   sector 0        the boot record: "HBKTEST1", then the number of the boot that wrote it
 *   4 regions       bytes hbk_disk_pattern(boot, sector, offset) written by that boot
 */
#ifndef HARTBOX_KERNEL_DISK_LAYOUT_H
#define HARTBOX_KERNEL_DISK_LAYOUT_H

#include <stdint.h>

#define HBK_SECTOR 512
#define HBK_RECORD_MAGIC "HBKTEST1"
#define HBK_REGIONS 4
#define HBK_MIN_CAPACITY 64 /* sectors: keeps the regions apart */

struct hbk_boot_record {
  char magic[8];
  uint32_t boot;
  uint32_t reserved;
  uint64_t capacity; /* sectors, when it was written */
};

struct hbk_region {
  uint64_t sector;
  uint32_t sectors;
};

/* Region `index` (0..3) of a disk of `capacity` sectors: sectors 1-8, 16-19, the middle sector
 * and the last one. */
static inline struct hbk_region hbk_region_of(uint64_t capacity, unsigned index) {
  struct hbk_region r;
  r.sector = index == 0 ? 1 : index == 1 ? 16 : index == 2 ? capacity / 2 : capacity - 1;
  r.sectors = index == 0 ? 8 : index == 1 ? 4 : 1;
  return r;
}

/* The byte at `offset` of `sector` as boot number `boot` writes it. */
static inline uint8_t hbk_disk_pattern(uint32_t boot, uint64_t sector, uint32_t offset) {
  uint32_t x = boot * 2654435761u ^ (uint32_t)sector * 40503u ^ offset * 2246822519u;
  x ^= x >> 15;
  x *= 2246822519u;
  x ^= x >> 13;
  return (uint8_t)x;
}

#endif
