/* The UART check: 16550A receive interrupts through the PLIC (source 10, S-mode context).
 *
 *   1. With input=WORD on the command line: prints "uart: type WORD", then takes the console's
 *      input through "received data available" or character-timeout interrupts (FIFO on,
 *      trigger level 1) until a newline, and compares it with WORD.
 *   2. Loopback (MCR bit 4: the transmitter feeds the receiver, nothing reaches the line):
 *      - MSR reflects MCR's modem outputs (OUT2 -> DCD);
 *      - with SIE off, 8 bytes (over the trigger level of 4) make source 10 pending in the PLIC
 *        and SEIP pending in sip; turning SIE on takes the interrupt, IIR says "received data";
 *      - 2 more bytes (under the trigger level) arrive only through the character-timeout
 *        interrupt (IIR 0xC);
 *      - the 10 bytes come back in order, with no line error;
 *      - enabling the THR-empty interrupt with THR empty raises it at once (IIR 0x2).
 *   The loopback bytes are a string that appears nowhere else, so a test can check that none of
 *   it reached the console.
 */
#include "kernel.h"

#define RBR 0
#define THR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define REG(r) (UART_BASE + (r))

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IER_RLSI 0x04
#define IIR_NO_INT 0x01
#define IIR_ID_MASK 0x0f
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_RLSI 0x06
#define IIR_CTI 0x0c
#define FCR_ENABLE 0x01
#define FCR_CLEAR 0x06
#define FCR_TRIGGER_4 0x40
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define LSR_DR 0x01
#define LSR_ERRORS 0x1e
#define LSR_THRE 0x20
#define MSR_DCD 0x80

static volatile uint8_t rx[64];
static volatile unsigned rx_count;
static volatile unsigned iir_seen; /* bit n: an interrupt with IIR id n was handled */
static volatile unsigned thri_count;
static volatile uint8_t line_errors;

static void uart_interrupt(unsigned source) {
  (void)source;
  for (;;) {
    const uint8_t iir = mmio_read8(REG(IIR));
    if (iir & IIR_NO_INT) return;
    const unsigned id = iir & IIR_ID_MASK;
    iir_seen |= 1u << id;
    switch (id) {
      case IIR_RDI:
      case IIR_CTI:
        while (mmio_read8(REG(LSR)) & LSR_DR) {
          const uint8_t byte = mmio_read8(REG(RBR));
          if (rx_count < sizeof rx) rx[rx_count] = byte;
          rx_count = rx_count + 1;
        }
        break;
      case IIR_THRI:
        /* Reading IIR acknowledged it; stop asking, as a driver with nothing to send does. */
        thri_count = thri_count + 1;
        mmio_write8(REG(IER), mmio_read8(REG(IER)) & ~IER_THRI);
        break;
      case IIR_RLSI: line_errors |= mmio_read8(REG(LSR)) & LSR_ERRORS; break;
      default: (void)mmio_read8(REG(MSR)); break;
    }
  }
}

static bool received(void* count) { return rx_count >= *(unsigned*)count; }
static bool line_ended(void* unused) {
  (void)unused;
  for (unsigned i = 0; i < rx_count && i < sizeof rx; ++i)
    if (rx[i] == '\n' || rx[i] == '\r') return true;
  return rx_count >= sizeof rx;
}
static bool thri_taken(void* unused) {
  (void)unused;
  return thri_count > 0;
}

static void send(const char* s) {
  for (; *s; ++s) {
    while (!(mmio_read8(REG(LSR)) & LSR_THRE)) {
    }
    mmio_write8(REG(THR), (uint8_t)*s);
  }
}

static void reset_rx(void) {
  rx_count = 0;
  iir_seen = 0;
  line_errors = 0;
}

static void check_input(const char* word) {
  mmio_write8(REG(FCR), FCR_ENABLE | FCR_CLEAR); /* trigger level 1 */
  reset_rx();
  mmio_write8(REG(IER), IER_RDI | IER_RLSI);
  kprintf("uart: type %s\n", word);
  if (!wait_for(line_ended, 0, g_timebase_hz * 10))
    fail(E_UART_TIMEOUT, "no line of console input within 10 s (%u bytes)", rx_count);
  mmio_write8(REG(IER), 0);
  unsigned n = 0;
  while (n < rx_count && rx[n] != '\n' && rx[n] != '\r') ++n;
  if (n != strlen(word) || memcmp((const void*)rx, word, n) != 0)
    fail(E_UART_INPUT, "console input differs from '%s'", word);
  /* Either reason will do: a driver must take both, and which one comes depends on how long
   * the bytes waited before the hart woke up. */
  if (!(iir_seen & ((1u << IIR_RDI) | (1u << IIR_CTI))))
    fail(E_UART_IIR, "console input without a received-data or character-timeout interrupt (seen %x)", iir_seen);
  kprintf("uart: read '%s' from the console through PLIC interrupts (IIR ids seen %x)\n", word, iir_seen);
}

static void check_loopback(void) {
  static const char burst1[] = "Lo0pBack", burst2[] = "!Q";
  const uint64_t period = g_timebase_hz / 1000;

  mmio_write8(REG(IER), 0);
  mmio_write8(REG(MCR), MCR_LOOP | MCR_OUT2);
  if ((mmio_read8(REG(MSR)) & 0xf0) != MSR_DCD)
    fail(E_UART_MSR, "loopback with MCR = OUT2: MSR %x, expected DCD only", mmio_read8(REG(MSR)));
  mmio_write8(REG(FCR), FCR_ENABLE | FCR_CLEAR | FCR_TRIGGER_4);
  while (mmio_read8(REG(LSR)) & LSR_DR) (void)mmio_read8(REG(RBR));
  reset_rx();
  mmio_write8(REG(IER), IER_RDI | IER_RLSI);

  /* Over the trigger level: source 10 pending in the PLIC and SEIP in sip, then taken. */
  csr_clear(sstatus, SSTATUS_SIE);
  send(burst1);
  const uint32_t pending = mmio_read32(PLIC_BASE + 0x1000);
  const uint64_t sip = csr_read(sip);
  csr_set(sstatus, SSTATUS_SIE);
  if (!(pending & (1u << UART_IRQ))) fail(E_PLIC, "8 bytes received, PLIC pending word %x lacks source 10", pending);
  if (!(sip & (1UL << IRQ_S_EXT))) fail(E_PLIC, "8 bytes received, sip %lx lacks SEIP", sip);
  unsigned want = 8;
  if (!wait_for(received, &want, 100 * period))
    fail(E_UART_TIMEOUT, "received-data interrupt: %u of 8 bytes", rx_count);
  if (!(iir_seen & (1u << IIR_RDI))) fail(E_UART_IIR, "8 bytes over the trigger level: no IIR 0x4 (seen %x)", iir_seen);
  if (mmio_read32(PLIC_BASE + 0x1000) & (1u << UART_IRQ)) fail(E_PLIC, "source 10 still pending with the FIFO empty");

  /* Under the trigger level: only the character timeout reports them. */
  send(burst2);
  want = 10;
  if (!wait_for(received, &want, 100 * period)) fail(E_UART_TIMEOUT, "character timeout: %u of 10 bytes", rx_count);
  if (!(iir_seen & (1u << IIR_CTI)))
    fail(E_UART_IIR, "2 bytes under the trigger level: no IIR 0xC (seen %x)", iir_seen);

  if (rx_count != 10 || memcmp((const void*)rx, burst1, 8) != 0 || memcmp((const void*)(rx + 8), burst2, 2) != 0)
    fail(E_UART_DATA, "looped-back bytes differ (%u received)", rx_count);
  if (line_errors || (mmio_read8(REG(LSR)) & LSR_ERRORS)) fail(E_UART_LSR, "line errors %x", line_errors);

  /* THR empty: enabling its interrupt raises it at once. */
  mmio_write8(REG(IER), IER_RDI | IER_THRI);
  if (!wait_for(thri_taken, 0, 100 * period)) fail(E_UART_IIR, "no THR-empty interrupt (IIR 0x2)");

  mmio_write8(REG(IER), 0);
  mmio_write8(REG(MCR), MCR_OUT2);
  kprintf("uart: loopback: 10 bytes through received-data and character-timeout interrupts, THR-empty "
          "interrupt, IIR ids seen %x\n",
          iir_seen);
}

void check_uart(const char* input_word) {
  irq_register(UART_IRQ, uart_interrupt);
  if (input_word) check_input(input_word);
  check_loopback();
  irq_unregister(UART_IRQ);
}
