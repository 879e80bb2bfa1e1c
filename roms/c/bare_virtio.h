/* A very small M-mode driver kit for the bare guests (net_ping.c, disk_io.c, flush_log.c) on the
 * virt board: the CLINT timer, the PLIC (hart 0's M-mode context), and modern (version 2)
 * virtio-mmio devices with split virtqueues (virtio 1.2, sections 2.7 and 4.2).
 *
 * No trap handler: the guests keep mstatus.MIE clear and sleep in WFI, which returns once an
 * interrupt enabled in mie is pending (priv spec 3.3.3), then look at what happened. Device
 * DMA addresses are the guest's own pointers (M-mode, no translation).
 *
 * Everything is static inline: each program includes this once. */
#ifndef HARTBOX_ROMS_BARE_VIRTIO_H
#define HARTBOX_ROMS_BARE_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* --- the virt board --------------------------------------------------------------------- */
#define CLINT_MTIMECMP0 0x02004000UL
#define CLINT_MTIME 0x0200bff8UL
#define TIMEBASE_HZ 10000000UL /* the device tree's timebase-frequency */
#define PLIC_BASE 0x0c000000UL
#define PLIC_CONTEXT 0 /* hart 0, M-mode */
#define VIRTIO_BASE 0x10001000UL
#define VIRTIO_STRIDE 0x1000UL
#define VIRTIO_SLOTS 8
#define MIE_MTIE (1UL << 7)
#define MIE_MEIE (1UL << 11)

static inline uint32_t mmio_read32(uintptr_t a) { return *(volatile uint32_t*)a; }
static inline void mmio_write32(uintptr_t a, uint32_t v) { *(volatile uint32_t*)a = v; }
static inline uint64_t mtime(void) { return *(volatile uint64_t*)CLINT_MTIME; }
static inline void set_timer(uint64_t deadline) { *(volatile uint64_t*)CLINT_MTIMECMP0 = deadline; }
static inline void mie_set(unsigned long bits) { __asm__ volatile("csrs mie, %0" ::"r"(bits)); }
static inline void wfi(void) { __asm__ volatile("wfi" ::: "memory"); }
static inline void fence(void) { __asm__ volatile("fence rw, rw" ::: "memory"); }

/* Routes PLIC source `irq` to this hart's M-mode context (priority 1, threshold 0). */
static inline void plic_enable(unsigned irq) {
  mmio_write32(PLIC_BASE + 4 * irq, 1);
  const uintptr_t enable = PLIC_BASE + 0x2000 + 0x80 * PLIC_CONTEXT + 4 * (irq / 32);
  mmio_write32(enable, mmio_read32(enable) | (1u << (irq % 32)));
  mmio_write32(PLIC_BASE + 0x200000 + 0x1000 * PLIC_CONTEXT, 0);
  mie_set(MIE_MEIE);
}
/* Claims and completes every pending source. */
static inline void plic_drain(void) {
  const uintptr_t claim = PLIC_BASE + 0x200004 + 0x1000 * PLIC_CONTEXT;
  for (uint32_t irq; (irq = mmio_read32(claim)) != 0;) mmio_write32(claim, irq);
}

/* --- virtio-mmio ---------------------------------------------------------------------------- */
#define VIRTIO_MAGIC 0x74726976u
#define VIO_MAGIC 0x000
#define VIO_VERSION 0x004
#define VIO_DEVICE_ID 0x008
#define VIO_DEVICE_FEATURES 0x010
#define VIO_DEVICE_FEATURES_SEL 0x014
#define VIO_DRIVER_FEATURES 0x020
#define VIO_DRIVER_FEATURES_SEL 0x024
#define VIO_QUEUE_SEL 0x030
#define VIO_QUEUE_NUM_MAX 0x034
#define VIO_QUEUE_NUM 0x038
#define VIO_QUEUE_READY 0x044
#define VIO_QUEUE_NOTIFY 0x050
#define VIO_INTERRUPT_STATUS 0x060
#define VIO_INTERRUPT_ACK 0x064
#define VIO_STATUS 0x070
#define VIO_QUEUE_DESC 0x080
#define VIO_QUEUE_DRIVER 0x090
#define VIO_QUEUE_DEVICE 0x0a0
#define VIO_CONFIG 0x100
#define VIO_S_ACKNOWLEDGE 1
#define VIO_S_DRIVER 2
#define VIO_S_DRIVER_OK 4
#define VIO_S_FEATURES_OK 8
#define VIO_F_VERSION_1_HI 1u /* bit 32: bit 0 of the high word */
#define VQ_DESC_F_NEXT 1
#define VQ_DESC_F_WRITE 2
#define VQ_SIZE 8

struct vq_desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};

struct vq {
  struct vq_desc desc[VQ_SIZE] __attribute__((aligned(16)));
  struct {
    uint16_t flags, idx, ring[VQ_SIZE], used_event;
  } avail __attribute__((aligned(2)));
  struct {
    uint16_t flags, idx;
    struct {
      uint32_t id, len;
    } ring[VQ_SIZE];
    uint16_t avail_event;
  } used __attribute__((aligned(4)));
  uint16_t last_used;
};

struct vdev {
  uintptr_t base;
  unsigned slot;
};

/* The first slot holding device `id` (1 net, 2 block), or false. */
static inline bool virtio_find(uint32_t id, struct vdev* dev) {
  for (unsigned slot = 0; slot < VIRTIO_SLOTS; ++slot) {
    const uintptr_t base = VIRTIO_BASE + VIRTIO_STRIDE * slot;
    if (mmio_read32(base + VIO_MAGIC) != VIRTIO_MAGIC || mmio_read32(base + VIO_VERSION) != 2) continue;
    if (mmio_read32(base + VIO_DEVICE_ID) != id) continue;
    dev->base = base;
    dev->slot = slot;
    return true;
  }
  return false;
}

/* 3.1.1: reset, ACKNOWLEDGE, DRIVER, features (VERSION_1 plus `low` of the low word),
 * FEATURES_OK. False if the device refuses. */
static inline bool virtio_begin(struct vdev* dev, uint32_t low) {
  mmio_write32(dev->base + VIO_STATUS, 0);
  mmio_write32(dev->base + VIO_STATUS, VIO_S_ACKNOWLEDGE | VIO_S_DRIVER);
  mmio_write32(dev->base + VIO_DEVICE_FEATURES_SEL, 0);
  const uint32_t offered = mmio_read32(dev->base + VIO_DEVICE_FEATURES);
  mmio_write32(dev->base + VIO_DRIVER_FEATURES_SEL, 0);
  mmio_write32(dev->base + VIO_DRIVER_FEATURES, offered & low);
  mmio_write32(dev->base + VIO_DRIVER_FEATURES_SEL, 1);
  mmio_write32(dev->base + VIO_DRIVER_FEATURES, VIO_F_VERSION_1_HI);
  mmio_write32(dev->base + VIO_STATUS, VIO_S_ACKNOWLEDGE | VIO_S_DRIVER | VIO_S_FEATURES_OK);
  return (mmio_read32(dev->base + VIO_STATUS) & VIO_S_FEATURES_OK) != 0;
}

static inline void virtio_queue(struct vdev* dev, unsigned index, struct vq* q) {
  memset(q, 0, sizeof *q);
  mmio_write32(dev->base + VIO_QUEUE_SEL, index);
  mmio_write32(dev->base + VIO_QUEUE_NUM, VQ_SIZE);
  const uint64_t desc = (uintptr_t)q->desc, avail = (uintptr_t)&q->avail, used = (uintptr_t)&q->used;
  mmio_write32(dev->base + VIO_QUEUE_DESC, (uint32_t)desc);
  mmio_write32(dev->base + VIO_QUEUE_DESC + 4, (uint32_t)(desc >> 32));
  mmio_write32(dev->base + VIO_QUEUE_DRIVER, (uint32_t)avail);
  mmio_write32(dev->base + VIO_QUEUE_DRIVER + 4, (uint32_t)(avail >> 32));
  mmio_write32(dev->base + VIO_QUEUE_DEVICE, (uint32_t)used);
  mmio_write32(dev->base + VIO_QUEUE_DEVICE + 4, (uint32_t)(used >> 32));
  mmio_write32(dev->base + VIO_QUEUE_READY, 1);
}

static inline void virtio_ready(struct vdev* dev) {
  mmio_write32(dev->base + VIO_STATUS, VIO_S_ACKNOWLEDGE | VIO_S_DRIVER | VIO_S_FEATURES_OK | VIO_S_DRIVER_OK);
  plic_enable(1 + dev->slot);
}

/* Makes descriptor chain `head` available and tells the device. */
static inline void vq_submit(struct vdev* dev, unsigned index, struct vq* q, uint16_t head) {
  q->avail.ring[q->avail.idx % VQ_SIZE] = head;
  fence();
  q->avail.idx++;
  fence();
  mmio_write32(dev->base + VIO_QUEUE_NOTIFY, index);
}

/* The next used element, if any: its descriptor id and length. */
static inline bool vq_used(struct vq* q, uint32_t* id, uint32_t* len) {
  fence();
  if (*(volatile uint16_t*)&q->used.idx == q->last_used) return false;
  *id = q->used.ring[q->last_used % VQ_SIZE].id;
  *len = q->used.ring[q->last_used % VQ_SIZE].len;
  q->last_used++;
  return true;
}

static inline void virtio_ack(struct vdev* dev) {
  const uint32_t status = mmio_read32(dev->base + VIO_INTERRUPT_STATUS);
  if (status) mmio_write32(dev->base + VIO_INTERRUPT_ACK, status);
}

/* --- virtio-blk (virtio 1.2, section 5.2): one request at a time on queue 0 ------------------ */
#define VIRTIO_BLK_ID 2
#define VIRTIO_BLK_F_FLUSH (1u << 9)
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK 0

struct blk_disk {
  struct vdev dev;
  struct vq q;
  struct {
    uint32_t type, reserved;
    uint64_t sector;
  } header;
  volatile uint8_t status;
  uint64_t sectors; /* the disk's capacity, in 512-byte sectors */
};

enum blk_open_result { BLK_OPENED, BLK_NO_DISK, BLK_REFUSED };

/* Finds the first virtio-blk disk, negotiates `features` (of the low word) and readies queue 0. */
static inline enum blk_open_result blk_open(struct blk_disk* disk, uint32_t features) {
  if (!virtio_find(VIRTIO_BLK_ID, &disk->dev)) return BLK_NO_DISK;
  if (!virtio_begin(&disk->dev, features)) return BLK_REFUSED;
  disk->sectors = (uint64_t)mmio_read32(disk->dev.base + VIO_CONFIG) |
                  ((uint64_t)mmio_read32(disk->dev.base + VIO_CONFIG + 4) << 32);
  virtio_queue(&disk->dev, 0, &disk->q);
  virtio_ready(&disk->dev);
  return BLK_OPENED;
}

/* One request (`len` bytes of `data` at `sector`; no data for a FLUSH), waiting in WFI for its
 * used-buffer interrupt. Returns the status byte the device wrote. */
static inline int blk_request(struct blk_disk* disk, uint32_t type, uint64_t sector, void* data, uint32_t len) {
  struct vq* q = &disk->q;
  disk->header.type = type;
  disk->header.reserved = 0;
  disk->header.sector = sector;
  disk->status = 0xff;
  q->desc[0] = (struct vq_desc){(uintptr_t)&disk->header, sizeof disk->header, VQ_DESC_F_NEXT, data ? 1 : 2};
  if (data)
    q->desc[1] = (struct vq_desc){(uintptr_t)data, len,
                                  (uint16_t)(VQ_DESC_F_NEXT | (type == VIRTIO_BLK_T_IN ? VQ_DESC_F_WRITE : 0)), 2};
  q->desc[2] = (struct vq_desc){(uintptr_t)&disk->status, 1, VQ_DESC_F_WRITE, 0};
  vq_submit(&disk->dev, 0, q, 0);
  uint32_t id, used_len;
  while (!vq_used(q, &id, &used_len)) {
    wfi();
    virtio_ack(&disk->dev);
    plic_drain();
  }
  return disk->status;
}

/* --- the command line ----------------------------------------------------------------------- */
/* True if `word` is one of argv[1..] (picolibc's semihosting crt0 puts the program's path first). */
static inline bool has_arg(int argc, char** argv, const char* word) {
  for (int i = 1; i < argc; ++i)
    if (strcmp(argv[i], word) == 0) return true;
  return false;
}

#endif
