/* A small virtio-mmio driver core (virtio 1.2, sections 2 and 4.2): finding a device in the
 * virt board's slots, the modern (version 2) initialisation sequence, and split virtqueues of
 * VQ_SIZE descriptors with a free list. No event index, no indirect descriptors: the driver
 * asks for an interrupt on every used buffer (avail.flags = 0).
 *
 * The kernel is single-threaded: the rings are touched only outside interrupt handlers (which
 * just acknowledge the device's interrupt), so nothing here needs a lock. */
#ifndef HARTBOX_KERNEL_VIRTIO_H
#define HARTBOX_KERNEL_VIRTIO_H

#include "kernel.h"

#define VIRTIO_MAGIC 0x74726976u /* "virt" */
#define VIRTIO_MMIO_MAGIC 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW 0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH 0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW 0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH 0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW 0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH 0x0a4
#define VIRTIO_MMIO_CONFIG_GENERATION 0x0fc
#define VIRTIO_MMIO_CONFIG 0x100

#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_FAILED 128
#define VIRTIO_F_VERSION_1 (1ULL << 32)
#define VIRTIO_INT_USED_BUFFER 1

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VQ_SIZE 16

struct virtq_desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};

/* One queue: the three rings in one page-aligned block, and the driver's bookkeeping. */
struct virtq {
  struct virtq_desc desc[VQ_SIZE] __attribute__((aligned(16)));
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
  uint16_t index, free_head, num_free, last_used;
} __attribute__((aligned(4096)));

struct vdev {
  uint64_t base;
  unsigned slot, irq;
  uint64_t features; /* accepted */
};

/* A buffer of a request: device-readable, or device-writable. */
struct vbuf {
  void* addr;
  uint32_t len;
  bool device_writes;
};

static inline uint32_t vreg_read(const struct vdev* d, uint32_t reg) { return mmio_read32(d->base + reg); }
static inline void vreg_write(const struct vdev* d, uint32_t reg, uint32_t v) { mmio_write32(d->base + reg, v); }

/* The first slot holding a device of type `device_id`. */
bool virtio_find(uint32_t device_id, struct vdev* d);
/* Reset, ACKNOWLEDGE, DRIVER, features (all of `required`, what is offered of `optional`),
 * FEATURES_OK. Returns 0, -1 (not a version 2 transport) or -2 (features refused). */
int virtio_negotiate(struct vdev* d, uint64_t required, uint64_t optional);
/* Sets up queue `index` with VQ_SIZE descriptors; false if the device cannot. */
bool virtq_setup(struct vdev* d, struct virtq* q, unsigned index);
void virtio_driver_ok(struct vdev* d);
/* Chains `bufs` into free descriptors and makes the chain available; the head's id, or -1 if
 * there are not enough free descriptors. The device sees it after virtq_kick. */
int virtq_add(struct virtq* q, const struct vbuf* bufs, unsigned n);
void virtq_kick(struct vdev* d, struct virtq* q);
/* Takes the next used element, if any, and frees its chain. */
bool virtq_next_used(struct virtq* q, uint32_t* id, uint32_t* len);
bool virtq_has_used(const struct virtq* q);
/* Reads and acknowledges InterruptStatus; returns it. */
uint32_t virtio_ack_interrupt(struct vdev* d);
/* The 32-bit configuration field at `offset`, read consistently (ConfigGeneration, 4.2.2). */
uint32_t virtio_config32(struct vdev* d, uint32_t offset);
uint8_t virtio_config8(struct vdev* d, uint32_t offset);

#endif
