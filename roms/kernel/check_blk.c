/* The virtio-blk check (virtio 1.2, section 5.2), with this kernel's own driver.
 *
 * The disk holds a boot record in sector 0 ("HBKTEST1", the boot count) and, for boot n, the
 * bytes hbk_disk_pattern(n, sector, offset) in four regions: sectors 1-8, 16-19, the middle
 * sector and the last sector (disk_layout.h, shared with the host-side test). Each boot:
 *   1. finds the device, negotiates VERSION_1 and FLUSH, reads the capacity, sets up queue 0
 *      and routes its PLIC source;
 *   2. reads the boot record: on a disk written by boot n, checks that all four regions hold
 *      boot n's pattern ("data written before the restart is there"); a disk with no record is
 *      fresh (boot 0);
 *   3. writes boot n + 1's pattern as four requests in flight at once (one of them with its data
 *      split over two descriptors), FLUSHes, reads everything back (one request with its data
 *      split over three uneven descriptors) and compares;
 *   4. writes the new boot record and FLUSHes again;
 *   5. GET_ID: a printable serial of at most 20 bytes, NUL-terminated if shorter;
 *   6. invalid requests fail as the spec says: a read past the end is IOERR, an unknown type
 *      UNSUPP.
 * Every request completes through a used-buffer interrupt (InterruptStatus bit 0).
 */
#include "disk_layout.h"
#include "virtio.h"

#define VIRTIO_BLK_F_FLUSH (1ULL << 9)
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2
#define SECTOR HBK_SECTOR
#define MAX_REQUESTS HBK_REGIONS

struct blk_header {
  uint32_t type, reserved;
  uint64_t sector;
};

struct request {
  struct blk_header header;
  uint8_t status;
  bool in_flight;
  int head;
  uint32_t writable; /* device-writable bytes, status included */
  uint32_t used_len;
};

static struct vdev blk;
static struct virtq queue;
static struct request requests[MAX_REQUESTS];
static volatile unsigned irq_count;
static volatile uint32_t irq_status;
static uint8_t data[MAX_REQUESTS][8 * SECTOR] __attribute__((aligned(16)));
static uint8_t sector_buf[SECTOR] __attribute__((aligned(16)));
static uint64_t capacity;

static void blk_interrupt(unsigned source) {
  (void)source;
  irq_status |= virtio_ack_interrupt(&blk);
  irq_count = irq_count + 1;
}

/* Collects used elements; true once no request is in flight. */
static bool all_done(void* unused) {
  (void)unused;
  uint32_t id, len;
  while (virtq_next_used(&queue, &id, &len)) {
    struct request* r = 0;
    for (unsigned i = 0; i < MAX_REQUESTS; ++i)
      if (requests[i].in_flight && requests[i].head == (int)id) r = &requests[i];
    if (!r) fail(E_BLK_USED_LEN, "used element with id %u, which is no request in flight", id);
    if (len == 0 || len > r->writable)
      fail(E_BLK_USED_LEN, "used length %u for a request with %u device-writable bytes", len, r->writable);
    r->in_flight = false;
    r->used_len = len;
  }
  for (unsigned i = 0; i < MAX_REQUESTS; ++i)
    if (requests[i].in_flight) return false;
  return true;
}

static bool interrupted(void* since) { return irq_count != *(unsigned*)since; }

/* Queues request `slot`: the header, `n` data buffers, the status byte. */
static void submit(unsigned slot, uint32_t type, uint64_t sector, const struct vbuf* bufs, unsigned n) {
  struct request* r = &requests[slot];
  struct vbuf chain[6];
  r->header = (struct blk_header){type, 0, sector};
  r->status = 0xff;
  r->writable = 1;
  chain[0] = (struct vbuf){&r->header, sizeof r->header, false};
  for (unsigned i = 0; i < n; ++i) {
    chain[1 + i] = bufs[i];
    if (bufs[i].device_writes) r->writable += bufs[i].len;
  }
  chain[1 + n] = (struct vbuf){&r->status, 1, true};
  r->head = virtq_add(&queue, chain, n + 2);
  if (r->head < 0) fail(E_BLK_QUEUE, "no free descriptors for request %u", slot);
  r->in_flight = true;
}

/* Kicks the queue and waits for every request in flight and for the interrupt. */
static void run_requests(const char* what) {
  const unsigned irqs = irq_count;
  virtq_kick(&blk, &queue);
  const uint64_t second = g_timebase_hz;
  if (!wait_for(all_done, 0, 5 * second)) fail(E_BLK_TIMEOUT, "%s: requests still in flight after 5 s", what);
  if (!wait_for(interrupted, (void*)&irqs, second)) fail(E_BLK_IRQ, "%s: completed without an interrupt", what);
  if (!(irq_status & VIRTIO_INT_USED_BUFFER)) fail(E_BLK_IRQ, "%s: InterruptStatus %x", what, irq_status);
  irq_status = 0;
}

static void expect_status(unsigned slot, uint8_t status, int code, const char* what) {
  if (requests[slot].status != status)
    fail(code, "%s: status %u, expected %u", what, requests[slot].status, status);
}

static void one_request(uint32_t type, uint64_t sector, void* buf, uint32_t len, bool device_writes, uint8_t expect,
                        int code, const char* what) {
  const struct vbuf b = {buf, len, device_writes};
  submit(0, type, sector, &b, buf ? 1 : 0);
  run_requests(what);
  expect_status(0, expect, code, what);
}

static void fill(uint8_t* buf, uint32_t boot, const struct hbk_region* r) {
  for (uint32_t s = 0; s < r->sectors; ++s)
    for (uint32_t i = 0; i < SECTOR; ++i) buf[s * SECTOR + i] = hbk_disk_pattern(boot, r->sector + s, i);
}

static void compare(const uint8_t* buf, uint32_t boot, const struct hbk_region* r, int code, const char* what) {
  for (uint32_t s = 0; s < r->sectors; ++s)
    for (uint32_t i = 0; i < SECTOR; ++i) {
      const uint8_t want = hbk_disk_pattern(boot, r->sector + s, i);
      if (buf[s * SECTOR + i] != want)
        fail(code, "%s: sector %lu byte %u is %x, boot %u wrote %x", what, r->sector + s, i, buf[s * SECTOR + i], boot,
             want);
    }
}

/* Reads all regions (the first over three uneven descriptors) and compares them with `boot`. */
static void read_and_compare(const struct hbk_region* regions, uint32_t boot, int code, const char* what) {
  memset(data, 0, sizeof data);
  const struct vbuf split[3] = {{data[0], 512, true}, {data[0] + 512, 2048, true}, {data[0] + 2560, 1536, true}};
  submit(0, VIRTIO_BLK_T_IN, regions[0].sector, split, 3);
  for (unsigned k = 1; k < MAX_REQUESTS; ++k) {
    const struct vbuf b = {data[k], regions[k].sectors * SECTOR, true};
    submit(k, VIRTIO_BLK_T_IN, regions[k].sector, &b, 1);
  }
  run_requests(what);
  for (unsigned k = 0; k < MAX_REQUESTS; ++k) {
    expect_status(k, VIRTIO_BLK_S_OK, E_BLK_STATUS, what);
    compare(data[k], boot, &regions[k], code, what);
  }
}

static void setup(void) {
  if (!virtio_find(2, &blk)) fail(E_BLK_NONE, "no virtio-blk device in the 8 virtio-mmio slots");
  const int err = virtio_negotiate(&blk, VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_FLUSH, 0);
  if (err == -1) fail(E_BLK_TRANSPORT, "slot %u: not a virtio-mmio version 2 device", blk.slot);
  if (err) fail(E_BLK_FEATURES, "slot %u: VERSION_1 and FLUSH not both offered and accepted", blk.slot);
  capacity = virtio_config32(&blk, 0) | (uint64_t)virtio_config32(&blk, 4) << 32;
  if (capacity < HBK_MIN_CAPACITY)
    fail(E_BLK_CAPACITY, "capacity %lu sectors, the check needs %u", capacity, HBK_MIN_CAPACITY);
  if (!virtq_setup(&blk, &queue, 0)) fail(E_BLK_QUEUE, "queue 0 cannot take %u descriptors", VQ_SIZE);
  irq_register(blk.irq, blk_interrupt);
  virtio_driver_ok(&blk);
  kprintf("blk: slot %u (PLIC source %u), %lu sectors\n", blk.slot, blk.irq, capacity);
}

void check_blk(unsigned reboot_until) {
  setup();
  struct hbk_region regions[MAX_REQUESTS];
  for (unsigned k = 0; k < MAX_REQUESTS; ++k) regions[k] = hbk_region_of(capacity, k);

  /* 2. What the previous boot left. */
  one_request(VIRTIO_BLK_T_IN, 0, sector_buf, SECTOR, true, VIRTIO_BLK_S_OK, E_BLK_STATUS, "read the boot record");
  struct hbk_boot_record record;
  memcpy(&record, sector_buf, sizeof record);
  uint32_t previous = 0;
  if (memcmp(record.magic, HBK_RECORD_MAGIC, 8) == 0) {
    previous = record.boot;
    read_and_compare(regions, previous, E_BLK_PERSIST, "data of the previous boot");
    kprintf("blk: boot %u: data written by boot %u is intact\n", previous + 1, previous);
  } else {
    kputs("blk: boot 1: fresh disk (no boot record)\n");
  }
  const uint32_t boot = previous + 1;

  /* 3. Four writes in flight at once, FLUSH, read back. */
  for (unsigned k = 0; k < MAX_REQUESTS; ++k) fill(data[k], boot, &regions[k]);
  const struct vbuf halves[2] = {{data[1], 1024, false}, {data[1] + 1024, 1024, false}};
  const struct vbuf w0 = {data[0], 8 * SECTOR, false}, w2 = {data[2], SECTOR, false}, w3 = {data[3], SECTOR, false};
  submit(0, VIRTIO_BLK_T_OUT, regions[0].sector, &w0, 1);
  submit(1, VIRTIO_BLK_T_OUT, regions[1].sector, halves, 2);
  submit(2, VIRTIO_BLK_T_OUT, regions[2].sector, &w2, 1);
  submit(3, VIRTIO_BLK_T_OUT, regions[3].sector, &w3, 1);
  run_requests("write the pattern");
  for (unsigned k = 0; k < MAX_REQUESTS; ++k) expect_status(k, VIRTIO_BLK_S_OK, E_BLK_STATUS, "write the pattern");
  one_request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, VIRTIO_BLK_S_OK, E_BLK_STATUS, "flush");
  read_and_compare(regions, boot, E_BLK_VERIFY, "read back");

  /* 4. The new boot record, after the data it describes is stable. */
  memset(sector_buf, 0, sizeof sector_buf);
  record = (struct hbk_boot_record){.boot = boot, .capacity = capacity};
  memcpy(record.magic, HBK_RECORD_MAGIC, 8);
  memcpy(sector_buf, &record, sizeof record);
  one_request(VIRTIO_BLK_T_OUT, 0, sector_buf, SECTOR, false, VIRTIO_BLK_S_OK, E_BLK_STATUS, "write the boot record");
  one_request(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, VIRTIO_BLK_S_OK, E_BLK_STATUS, "flush the boot record");
  kprintf("blk: boot %u: wrote 14 sectors in 4 requests at once, flushed, read back and compared\n", boot);

  /* 5. GET_ID. */
  char id[21];
  memset(id, 0xaa, sizeof id);
  one_request(VIRTIO_BLK_T_GET_ID, 0, id, 20, true, VIRTIO_BLK_S_OK, E_BLK_STATUS, "GET_ID");
  unsigned n = 0;
  while (n < 20 && id[n] != 0) {
    if (id[n] < 0x20 || id[n] > 0x7e) fail(E_BLK_GET_ID, "GET_ID: byte %u is %x, not printable", n, (uint8_t)id[n]);
    ++n;
  }
  /* What follows the NUL is unspecified (QEMU writes only up to it); a device may have no
   * serial at all (an empty string). */
  id[20] = 0;
  kprintf("blk: serial '%s'\n", id);

  /* 6. Requests that must fail. */
  one_request(VIRTIO_BLK_T_IN, capacity, sector_buf, SECTOR, true, VIRTIO_BLK_S_IOERR, E_BLK_BAD_REQUEST,
              "read past the end");
  one_request(0x55, 0, sector_buf, SECTOR, true, VIRTIO_BLK_S_UNSUPP, E_BLK_BAD_REQUEST, "unknown request type");
  kputs("blk: read past the end: IOERR; unknown type: UNSUPP\n");

  if (boot < reboot_until) {
    kprintf("blk: boot %u of %u: resetting the machine\n", boot, reboot_until);
    test_device_reset();
  }
}
