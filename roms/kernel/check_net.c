/* The virtio-net check (virtio 1.2, section 5.1): two machines, each running this kernel, on
 * one Ethernet link; net=a on one, net=b on the other.
 *
 * Frames are broadcast, ethertype 0x88B5 (IEEE 802 local experimental), and carry a header
 * (magic "HBKN", kind, sender's role, sequence number, payload length) and a payload whose
 * length and bytes follow from the sequence number and the sender. The protocol:
 *
 *   1. b says HELLO every millisecond until it hears from a (frames sent before a's driver is
 *      up are lost, as on a real link: a device reset drops them); a waits for a HELLO.
 *   2. a sends DATA 0..N-1 in windows of W frames; b checks each one (in order, never from
 *      itself, right length and bytes) and ACKs every W frames with the count received; a
 *      sends the next window only once the previous one is acknowledged, so the receiver's
 *      RX_BUFS buffers are never overrun.
 *   3. Roles swap: b sends N frames to a the same way.
 *   4. Each side waits for its transmit buffers to come back, then passes.
 * Received frames arrive through used-buffer interrupts (PLIC source 1 + slot); the main loop
 * sleeps in WFI between them.
 */
#include "virtio.h"

#define VIRTIO_NET_F_MAC (1ULL << 5)
#define VIRTIO_NET_F_STATUS (1ULL << 16)
#define VIRTIO_NET_S_LINK_UP 1
#define NET_HDR 12 /* struct virtio_net_hdr with num_buffers (VERSION_1) */
#define ETH_HDR 14
#define ETHERTYPE 0x88b5
#define FRAME_MAGIC 0x4e4b4248u /* "HBKN" */
#define FRAME_HDR 16           /* after the Ethernet header */
#define MAX_FRAME 1514
#define BUF_SIZE 2048
#define RX_BUFS 8
#define TX_BUFS 4
#define FRAMES 32
#define WINDOW 8

enum { RXQ = 0, TXQ = 1 };
enum { KIND_HELLO = 1, KIND_DATA = 2, KIND_ACK = 3 };

struct frame_header {
  uint32_t magic;
  uint8_t kind, role;
  uint16_t reserved;
  uint32_t seq;
  uint32_t len; /* payload bytes */
} __attribute__((packed));

static struct vdev net;
static struct virtq rxq, txq;
static uint8_t rx_bufs[RX_BUFS][BUF_SIZE] __attribute__((aligned(16)));
static uint8_t tx_bufs[TX_BUFS][BUF_SIZE] __attribute__((aligned(16)));
static int rx_head_buf[VQ_SIZE]; /* descriptor id -> receive buffer */
static int tx_head_buf[VQ_SIZE];
static bool tx_busy[TX_BUFS];
static uint8_t mac[6];
static char my_role, peer_role;
static volatile unsigned irq_count;

/* What the protocol has seen. */
static bool heard_peer;   /* any valid frame from the peer */
static uint32_t rx_next;  /* DATA frames received in order */
static uint32_t ack_sent; /* the count last acknowledged */
static uint32_t acked;    /* our frames the peer acknowledged */
static uint32_t tx_frames, rx_frames;

static uint32_t payload_len(uint32_t seq) { return 30 + (seq * 197) % 1450; }
static uint8_t payload_byte(char sender, uint32_t seq, uint32_t i) {
  return (uint8_t)(seq * 31 + i * 7 + (uint8_t)sender);
}

static void net_interrupt(unsigned source) {
  (void)source;
  virtio_ack_interrupt(&net);
  irq_count = irq_count + 1;
}

static void post_rx(int buf) {
  const struct vbuf b = {rx_bufs[buf], BUF_SIZE, true};
  const int head = virtq_add(&rxq, &b, 1);
  if (head < 0) fail(E_NET_QUEUE, "no descriptor for receive buffer %d", buf);
  rx_head_buf[head] = buf;
}

static void reap_tx(void) {
  uint32_t id, len;
  while (virtq_next_used(&txq, &id, &len)) {
    if (id >= VQ_SIZE || tx_head_buf[id] < 0) fail(E_NET_QUEUE, "transmit: used id %u is no buffer in flight", id);
    tx_busy[tx_head_buf[id]] = false;
    tx_head_buf[id] = -1;
  }
}

static bool tx_all_back(void* unused) {
  (void)unused;
  reap_tx();
  for (unsigned i = 0; i < TX_BUFS; ++i)
    if (tx_busy[i]) return false;
  return true;
}

static bool tx_one_free(void* unused) {
  (void)unused;
  reap_tx();
  for (unsigned i = 0; i < TX_BUFS; ++i)
    if (!tx_busy[i]) return true;
  return false;
}

static void send_frame(uint8_t kind, uint32_t seq) {
  if (!wait_for(tx_one_free, 0, g_timebase_hz)) fail(E_NET_TX_TIMEOUT, "no transmit buffer came back within 1 s");
  unsigned b = 0;
  while (tx_busy[b]) ++b;
  uint8_t* p = tx_bufs[b];
  memset(p, 0, NET_HDR); /* no offloads: flags 0, GSO_NONE */
  uint8_t* eth = p + NET_HDR;
  memset(eth, 0xff, 6);
  memcpy(eth + 6, mac, 6);
  eth[12] = ETHERTYPE >> 8;
  eth[13] = ETHERTYPE & 0xff;
  const uint32_t len = kind == KIND_DATA ? payload_len(seq) : 30;
  const struct frame_header h = {FRAME_MAGIC, kind, (uint8_t)my_role, 0, seq, len};
  memcpy(eth + ETH_HDR, &h, sizeof h);
  uint8_t* payload = eth + ETH_HDR + FRAME_HDR;
  for (uint32_t i = 0; i < len; ++i) payload[i] = kind == KIND_DATA ? payload_byte(my_role, seq, i) : 0;
  const struct vbuf v = {p, NET_HDR + ETH_HDR + FRAME_HDR + len, false};
  const int head = virtq_add(&txq, &v, 1);
  if (head < 0) fail(E_NET_QUEUE, "no transmit descriptor");
  tx_head_buf[head] = (int)b;
  tx_busy[b] = true;
  virtq_kick(&net, &txq);
  ++tx_frames;
}

static void handle_frame(const uint8_t* eth, uint32_t frame_len) {
  const unsigned type = (unsigned)eth[12] << 8 | eth[13];
  struct frame_header h;
  if (frame_len < ETH_HDR + FRAME_HDR || type != ETHERTYPE)
    fail(E_NET_FRAME, "a %u-byte frame of ethertype %x", frame_len, type);
  memcpy(&h, eth + ETH_HDR, sizeof h);
  if (h.magic != FRAME_MAGIC) fail(E_NET_FRAME, "a frame with magic %x", h.magic);
  if (h.role != (uint8_t)peer_role) fail(E_NET_SEQ, "a frame from role '%c' (kind %u, seq %u)", h.role, h.kind, h.seq);
  if (frame_len != ETH_HDR + FRAME_HDR + h.len)
    fail(E_NET_PAYLOAD, "frame %u: %u bytes for a %u-byte payload", h.seq, frame_len, h.len);
  heard_peer = true;
  ++rx_frames;
  switch (h.kind) {
    case KIND_HELLO: break;
    case KIND_ACK:
      if (h.seq < acked || h.seq > FRAMES) fail(E_NET_SEQ, "ACK of %u after ACK of %u", h.seq, acked);
      acked = h.seq;
      break;
    case KIND_DATA: {
      if (h.seq != rx_next) fail(E_NET_SEQ, "DATA %u where %u was next", h.seq, rx_next);
      if (h.len != payload_len(h.seq)) fail(E_NET_PAYLOAD, "DATA %u: payload of %u bytes, expected %u", h.seq, h.len,
                                            payload_len(h.seq));
      const uint8_t* payload = eth + ETH_HDR + FRAME_HDR;
      for (uint32_t i = 0; i < h.len; ++i)
        if (payload[i] != payload_byte(peer_role, h.seq, i))
          fail(E_NET_PAYLOAD, "DATA %u: byte %u is %x, expected %x", h.seq, i, payload[i],
               payload_byte(peer_role, h.seq, i));
      ++rx_next;
      break;
    }
    default: fail(E_NET_FRAME, "a frame of kind %u", h.kind);
  }
}

/* Handles every received frame and gives its buffer back to the device. */
static void service_rx(void) {
  uint32_t id, len;
  bool reposted = false;
  while (virtq_next_used(&rxq, &id, &len)) {
    if (id >= VQ_SIZE || rx_head_buf[id] < 0) fail(E_NET_QUEUE, "receive: used id %u is no posted buffer", id);
    const int buf = rx_head_buf[id];
    rx_head_buf[id] = -1;
    if (len < NET_HDR + ETH_HDR || len > NET_HDR + MAX_FRAME)
      fail(E_NET_RX_LEN, "receive buffer used with length %u", len);
    handle_frame(rx_bufs[buf] + NET_HDR, len - NET_HDR);
    post_rx(buf);
    reposted = true;
  }
  if (reposted) virtq_kick(&net, &rxq);
}

/* Runs the protocol's background work (receiving, acknowledging, saying hello while nobody
 * answers) until done() holds; fails with `code` after `timeout`. */
static void run_until(bool (*done)(void), uint64_t timeout, int code, const char* what, bool say_hello) {
  const uint64_t deadline = rdtime() + timeout, hello_period = g_timebase_hz / 1000;
  uint64_t next_hello = 0;
  uint32_t hellos = 0;
  for (;;) {
    service_rx();
    reap_tx();
    if (rx_next != ack_sent && (rx_next % WINDOW == 0 || rx_next == FRAMES)) {
      ack_sent = rx_next;
      send_frame(KIND_ACK, ack_sent);
    }
    if (done()) return;
    const uint64_t now = rdtime();
    if (now >= deadline) fail(code, "%s: timed out (%u of %u frames received, %u acknowledged)", what, rx_next,
                              FRAMES, acked);
    if (say_hello && !heard_peer && now >= next_hello) {
      send_frame(KIND_HELLO, hellos++);
      next_hello = now + hello_period;
    }
    /* Sleep until a frame or a tick: checked with interrupts off so that none is missed. */
    csr_clear(sstatus, SSTATUS_SIE);
    if (!virtq_has_used(&rxq) && !virtq_has_used(&txq)) wfi();
    csr_set(sstatus, SSTATUS_SIE);
  }
}

static uint32_t window_end;
static bool peer_heard(void) { return heard_peer; }
static bool window_acked(void) { return acked >= window_end; }
static bool all_received(void) { return rx_next == FRAMES && ack_sent == FRAMES; }

static void send_all(void) {
  for (uint32_t start = 0; start < FRAMES; start += WINDOW) {
    window_end = start + WINDOW < FRAMES ? start + WINDOW : FRAMES;
    for (uint32_t seq = start; seq < window_end; ++seq) send_frame(KIND_DATA, seq);
    run_until(window_acked, 2 * g_timebase_hz, E_NET_ACK_TIMEOUT, "waiting for an ACK", false);
  }
  kprintf("net: %c: sent %u frames, all acknowledged\n", my_role, FRAMES);
}

static void receive_all(bool say_hello) {
  run_until(all_received, 10 * g_timebase_hz, E_NET_DATA_TIMEOUT, "receiving", say_hello);
  kprintf("net: %c: received %u frames in order, lengths and bytes as sent\n", my_role, FRAMES);
}

static void setup(void) {
  if (!virtio_find(1, &net)) fail(E_NET_NONE, "no virtio-net device in the 8 virtio-mmio slots");
  const int err = virtio_negotiate(&net, VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS, 0);
  if (err == -1) fail(E_NET_TRANSPORT, "slot %u: not a virtio-mmio version 2 device", net.slot);
  if (err) fail(E_NET_FEATURES, "slot %u: VERSION_1, MAC and STATUS not all offered and accepted", net.slot);
  for (unsigned i = 0; i < 6; ++i) mac[i] = virtio_config8(&net, i);
  const uint32_t status = virtio_config32(&net, 4) >> 16;
  if (!(status & VIRTIO_NET_S_LINK_UP)) fail(E_NET_LINK, "link down (status %x)", status);
  if ((mac[0] & 1) || (mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
    fail(E_NET_LINK, "MAC %x:%x:... is not a unicast address", mac[0], mac[1]);
  if (!virtq_setup(&net, &rxq, RXQ) || !virtq_setup(&net, &txq, TXQ))
    fail(E_NET_QUEUE, "queues cannot take %u descriptors", VQ_SIZE);
  for (unsigned i = 0; i < VQ_SIZE; ++i) rx_head_buf[i] = tx_head_buf[i] = -1;
  for (int b = 0; b < RX_BUFS; ++b) post_rx(b);
  irq_register(net.irq, net_interrupt);
  virtio_driver_ok(&net);
  virtq_kick(&net, &rxq);
  kprintf("net: %c: slot %u (PLIC source %u), MAC %02x:%02x:%02x:%02x:%02x:%02x, link up\n", my_role, net.slot,
          net.irq, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

void check_net(char role) {
  if (role != 'a' && role != 'b') fail(E_NET_ROLE, "the network check needs net=a or net=b on the command line");
  my_role = role;
  peer_role = role == 'a' ? 'b' : 'a';
  setup();
  if (role == 'a') {
    run_until(peer_heard, 10 * g_timebase_hz, E_NET_HELLO_TIMEOUT, "waiting for b's hello", false);
    kputs("net: a: b is up\n");
    send_all();
    receive_all(false);
  } else {
    receive_all(true);
    send_all();
  }
  if (!wait_for(tx_all_back, 0, g_timebase_hz)) fail(E_NET_TX_TIMEOUT, "transmit buffers still out after 1 s");
  if (irq_count == 0) fail(E_NET_IRQ, "%u frames received without a single interrupt", rx_frames);
  kprintf("net: %c: %u frames sent, %u received, %u interrupts\n", my_role, tx_frames, rx_frames, irq_count);
}
