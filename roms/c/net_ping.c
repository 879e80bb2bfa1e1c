/* Two machines talking over the fleet's virtual switch: "ping" sends a frame every PERIOD_MS
 * milliseconds and measures the round trip; "pong" echoes every ping back. Both sleep in WFI in
 * between (pong has no timer at all: only a received frame wakes it), so in a fleet they cost
 * little CPU and show how promptly the scheduler wakes a machine that a frame arrived for.
 *
 * Frames: ethertype 0x88B6 (IEEE 802 local experimental 2), then magic "HBPG", kind, sequence
 * number and the ping's send time (mtime). The first ping is broadcast (ping does not know
 * pong's address yet); once a reply comes, pings go unicast, so the switch learns and stops
 * flooding.
 *
 * Arguments (after the program): "ping" or "pong", and "forever". Every REPORT_S seconds ping
 * prints one line: pings sent, replies, round-trip min/avg/max. Without "forever", ping sends
 * COUNT pings and exits 0 once it has all the replies, pong exits after COUNT. Without a
 * virtio-net card (the rom suite runs every program bare) it says so and exits 0.
 */
#include <stdio.h>
#include <string.h>

#include "bare_virtio.h"

#define VIRTIO_NET_F_MAC (1u << 5)
#define NET_HDR 12
#define ETH_HDR 14
#define ETHERTYPE 0x88b6
#define MAGIC 0x47504248u /* "HBPG" */
#define BUF_SIZE 2048
#define PERIOD_MS 10
#define REPORT_S 2
#define COUNT 20
#define TX_SLOTS 4

enum { RXQ = 0, TXQ = 1 };
enum { KIND_PING = 1, KIND_PONG = 2 };

struct payload {
  uint32_t magic, kind, seq, pad;
  uint64_t sent;
} __attribute__((packed));

static struct vdev net;
static struct vq rxq, txq;
static uint8_t rx_bufs[VQ_SIZE][BUF_SIZE] __attribute__((aligned(16)));
static uint8_t tx_bufs[TX_SLOTS][BUF_SIZE] __attribute__((aligned(16)));
static bool tx_busy[TX_SLOTS];
static uint8_t my_mac[6];
static const uint8_t broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static void post_rx(uint16_t i) {
  rxq.desc[i].addr = (uintptr_t)rx_bufs[i];
  rxq.desc[i].len = BUF_SIZE;
  rxq.desc[i].flags = VQ_DESC_F_WRITE;
  vq_submit(&net, RXQ, &rxq, i);
}

static void reclaim_tx(void) {
  uint32_t id, len;
  while (vq_used(&txq, &id, &len))
    if (id < TX_SLOTS) tx_busy[id] = false;
}

/* Sends one frame; false if every transmit slot is still in flight. */
static bool send(const uint8_t dst[6], uint32_t kind, uint32_t seq, uint64_t sent) {
  reclaim_tx();
  uint16_t slot = 0;
  while (slot < TX_SLOTS && tx_busy[slot]) ++slot;
  if (slot == TX_SLOTS) return false;
  uint8_t* b = tx_bufs[slot];
  memset(b, 0, NET_HDR);
  uint8_t* eth = b + NET_HDR;
  memcpy(eth, dst, 6);
  memcpy(eth + 6, my_mac, 6);
  eth[12] = ETHERTYPE >> 8;
  eth[13] = ETHERTYPE & 0xff;
  struct payload p = {MAGIC, kind, seq, 0, sent};
  memcpy(eth + ETH_HDR, &p, sizeof p);
  const uint32_t frame = ETH_HDR + 46; /* the Ethernet minimum payload */
  memset(eth + ETH_HDR + sizeof p, 0, 46 - sizeof p);
  txq.desc[slot].addr = (uintptr_t)b;
  txq.desc[slot].len = NET_HDR + frame;
  txq.desc[slot].flags = 0;
  tx_busy[slot] = true;
  vq_submit(&net, TXQ, &txq, slot);
  return true;
}

int main(int argc, char** argv) {
  const bool forever = has_arg(argc, argv, "forever");
  const bool ping = has_arg(argc, argv, "ping");
  if (!virtio_find(1, &net)) {
    printf("net_ping: no virtio-net card (run it in a fleet, on a network): nothing to do\n");
    return 0;
  }
  if (!virtio_begin(&net, VIRTIO_NET_F_MAC)) {
    printf("net_ping: the network card refused our features\n");
    return 1;
  }
  for (int i = 0; i < 6; ++i) my_mac[i] = *(volatile uint8_t*)(net.base + VIO_CONFIG + i);
  /* Every card gets QEMU's default address 52:54:00:12:34:56 unless its host says otherwise,
   * and two stations with one address cannot talk through a learning switch: then take a
   * locally administered address (bit 1 of the first byte) that says which role we play. */
  static const uint8_t qemu_default[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
  if (memcmp(my_mac, qemu_default, 6) == 0) {
    const uint8_t local[6] = {0x02, 'H', 'B', 0x00, 0x00, ping ? 0x01 : 0x02};
    memcpy(my_mac, local, 6);
  }
  virtio_queue(&net, RXQ, &rxq);
  virtio_queue(&net, TXQ, &txq);
  virtio_ready(&net);
  for (uint16_t i = 0; i < VQ_SIZE; ++i) post_rx(i);

  const uint64_t period = TIMEBASE_HZ / 1000 * PERIOD_MS;
  uint8_t peer[6];
  memcpy(peer, broadcast, 6);
  uint32_t sent = 0, replies = 0, answered = 0;
  uint64_t rtt_min = UINT64_MAX, rtt_max = 0, rtt_sum = 0;
  uint64_t next_send = mtime(), next_report = next_send + REPORT_S * TIMEBASE_HZ;
  if (ping) mie_set(MIE_MTIE);

  for (;;) {
    uint32_t id, len;
    while (vq_used(&rxq, &id, &len)) {
      const uint8_t* eth = rx_bufs[id % VQ_SIZE] + NET_HDR;
      struct payload p;
      const bool ours = len >= NET_HDR + ETH_HDR + sizeof p && eth[12] == (ETHERTYPE >> 8) &&
                        eth[13] == (ETHERTYPE & 0xff);
      if (ours) memcpy(&p, eth + ETH_HDR, sizeof p);
      if (ours && p.magic == MAGIC) {
        if (!ping && p.kind == KIND_PING) {
          uint8_t src[6];
          memcpy(src, eth + 6, 6);
          if (send(src, KIND_PONG, p.seq, p.sent)) ++answered;
        } else if (ping && p.kind == KIND_PONG) {
          memcpy(peer, eth + 6, 6); /* from now on, unicast */
          const uint64_t rtt = mtime() - p.sent;
          ++replies;
          rtt_sum += rtt;
          if (rtt < rtt_min) rtt_min = rtt;
          if (rtt > rtt_max) rtt_max = rtt;
        }
      }
      post_rx((uint16_t)(id % VQ_SIZE));
    }
    reclaim_tx();

    const uint64_t now = mtime();
    if (ping) {
      if (now >= next_send && (forever || sent < COUNT)) {
        if (send(peer, KIND_PING, sent, now)) ++sent;
        next_send += period;
        if (next_send < now) next_send = now + period; /* after a long pause: no burst */
      }
      if (now >= next_report && replies) {
        printf("net_ping: %lu pings, %lu replies, round trip min/avg/max %lu/%lu/%lu us\n",
               (unsigned long)sent, (unsigned long)replies, (unsigned long)(rtt_min / 10),
               (unsigned long)(rtt_sum / replies / 10), (unsigned long)(rtt_max / 10));
        next_report += REPORT_S * TIMEBASE_HZ;
      }
      if (!forever && replies >= COUNT) {
        printf("net_ping: %u pings answered: OK\n", COUNT);
        return 0;
      }
      set_timer(next_send);
    } else if (!forever && answered >= COUNT) {
      printf("net_ping: answered %u pings: OK\n", COUNT);
      return 0;
    }
    wfi();
    virtio_ack(&net);
    plic_drain();
  }
}
