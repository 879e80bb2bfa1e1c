/* The virtio-mmio driver core; see virtio.h. */
#include "virtio.h"

bool virtio_find(uint32_t device_id, struct vdev* d) {
  for (unsigned slot = 0; slot < VIRTIO_SLOTS; ++slot) {
    const uint64_t base = VIRTIO_SLOT_BASE(slot);
    if (mmio_read32(base + VIRTIO_MMIO_MAGIC) != VIRTIO_MAGIC) continue;
    if (mmio_read32(base + VIRTIO_MMIO_DEVICE_ID) != device_id) continue;
    d->base = base;
    d->slot = slot;
    d->irq = VIRTIO_SLOT_IRQ(slot);
    d->features = 0;
    return true;
  }
  return false;
}

int virtio_negotiate(struct vdev* d, uint64_t required, uint64_t optional) {
  if (vreg_read(d, VIRTIO_MMIO_VERSION) != 2) return -1;
  /* 3.1.1: reset, then ACKNOWLEDGE and DRIVER. */
  vreg_write(d, VIRTIO_MMIO_STATUS, 0);
  if (vreg_read(d, VIRTIO_MMIO_STATUS) != 0) return -1;
  vreg_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
  vreg_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
  vreg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
  uint64_t offered = vreg_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
  vreg_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
  offered |= (uint64_t)vreg_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
  if ((offered & required) != required) {
    vreg_write(d, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FAILED);
    return -2;
  }
  const uint64_t accepted = offered & (required | optional);
  vreg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  vreg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)accepted);
  vreg_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  vreg_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(accepted >> 32));
  const uint32_t status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK;
  vreg_write(d, VIRTIO_MMIO_STATUS, status);
  if (!(vreg_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK)) return -2;
  d->features = accepted;
  return 0;
}

bool virtq_setup(struct vdev* d, struct virtq* q, unsigned index) {
  vreg_write(d, VIRTIO_MMIO_QUEUE_SEL, index);
  if (vreg_read(d, VIRTIO_MMIO_QUEUE_READY) != 0) return false;
  if (vreg_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX) < VQ_SIZE) return false;
  memset(q, 0, sizeof *q);
  q->index = (uint16_t)index;
  for (unsigned i = 0; i < VQ_SIZE; ++i) q->desc[i].next = (uint16_t)(i + 1);
  q->free_head = 0;
  q->num_free = VQ_SIZE;
  const uint64_t desc = (uint64_t)q->desc, driver = (uint64_t)&q->avail, device = (uint64_t)&q->used;
  vreg_write(d, VIRTIO_MMIO_QUEUE_NUM, VQ_SIZE);
  vreg_write(d, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc);
  vreg_write(d, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc >> 32));
  vreg_write(d, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)driver);
  vreg_write(d, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(driver >> 32));
  vreg_write(d, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)device);
  vreg_write(d, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(device >> 32));
  io_fence();
  vreg_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
  return vreg_read(d, VIRTIO_MMIO_QUEUE_READY) == 1;
}

void virtio_driver_ok(struct vdev* d) {
  vreg_write(d, VIRTIO_MMIO_STATUS, vreg_read(d, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
}

int virtq_add(struct virtq* q, const struct vbuf* bufs, unsigned n) {
  if (n == 0 || n > q->num_free) return -1;
  const uint16_t head = q->free_head;
  uint16_t i = head;
  for (unsigned k = 0; k < n; ++k) {
    volatile struct virtq_desc* desc = &q->desc[i];
    desc->addr = (uint64_t)bufs[k].addr;
    desc->len = bufs[k].len;
    desc->flags = (uint16_t)((bufs[k].device_writes ? VIRTQ_DESC_F_WRITE : 0) | (k + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
    if (k + 1 < n) i = desc->next;
  }
  q->free_head = q->desc[i].next;
  q->num_free = (uint16_t)(q->num_free - n);
  volatile uint16_t* avail_idx = &q->avail.idx;
  const uint16_t idx = *avail_idx;
  q->avail.ring[idx % VQ_SIZE] = head;
  io_fence(); /* the descriptors and the ring entry before the index (2.7.13) */
  *avail_idx = (uint16_t)(idx + 1);
  return head;
}

void virtq_kick(struct vdev* d, struct virtq* q) {
  io_fence();
  vreg_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, q->index);
}

bool virtq_has_used(const struct virtq* q) {
  return *(const volatile uint16_t*)&q->used.idx != q->last_used;
}

bool virtq_next_used(struct virtq* q, uint32_t* id, uint32_t* len) {
  if (!virtq_has_used(q)) return false;
  io_fence(); /* the index before the element it covers */
  const volatile struct virtq* vq = q;
  const uint32_t head = vq->used.ring[q->last_used % VQ_SIZE].id;
  *id = head;
  *len = vq->used.ring[q->last_used % VQ_SIZE].len;
  q->last_used = (uint16_t)(q->last_used + 1);
  if (head >= VQ_SIZE) return true; /* the caller rejects it; the free list stays intact */
  /* Back to the free list: the whole chain. */
  uint16_t i = (uint16_t)head, freed = 1;
  while (q->desc[i].flags & VIRTQ_DESC_F_NEXT) {
    i = q->desc[i].next;
    ++freed;
  }
  q->desc[i].next = q->free_head;
  q->free_head = (uint16_t)head;
  q->num_free = (uint16_t)(q->num_free + freed);
  return true;
}

uint32_t virtio_ack_interrupt(struct vdev* d) {
  const uint32_t status = vreg_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);
  vreg_write(d, VIRTIO_MMIO_INTERRUPT_ACK, status);
  return status;
}

uint32_t virtio_config32(struct vdev* d, uint32_t offset) {
  uint32_t before, value;
  do {
    before = vreg_read(d, VIRTIO_MMIO_CONFIG_GENERATION);
    value = vreg_read(d, VIRTIO_MMIO_CONFIG + offset);
  } while (vreg_read(d, VIRTIO_MMIO_CONFIG_GENERATION) != before);
  return value;
}

uint8_t virtio_config8(struct vdev* d, uint32_t offset) { return mmio_read8(d->base + VIRTIO_MMIO_CONFIG + offset); }
