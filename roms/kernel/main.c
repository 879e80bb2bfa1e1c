/* The S-mode kernel: checks the board came out of reset, reads the command line, runs the
 * checks it names (kernel.h) and reports through the test device. */
#include "kernel.h"
#include "virtio.h"

#define UART_IER 1
#define UART_IIR 2
#define UART_LCR 3
#define UART_MCR 4
#define PLIC_S_ENABLE0 (PLIC_BASE + 0x2000 + 0x80)

void kernel_main(uint64_t hart_id, const void* fdt);

/* What QEMU's system reset leaves (and what a fresh Hartbox machine has): UART IER 0, MCR
 * OUT2, FIFOs off; no PLIC source enabled for S-mode; every virtio device reset (status 0,
 * queue 0 not ready). A reboot through the test device must leave the same. */
static void check_reset_state(void) {
  const uint8_t ier = mmio_read8(UART_BASE + UART_IER), mcr = mmio_read8(UART_BASE + UART_MCR);
  const uint8_t iir = mmio_read8(UART_BASE + UART_IIR);
  if (ier != 0 || mcr != 0x08 || (iir & 0xc0))
    fail(E_RESET_STATE, "UART not in its reset state: IER %x MCR %x IIR %x", ier, mcr, iir);
  for (unsigned w = 0; w < 3; ++w)
    if (mmio_read32(PLIC_S_ENABLE0 + 4 * w) != 0)
      fail(E_RESET_STATE, "PLIC: S-mode enable word %u is %x at boot", w, mmio_read32(PLIC_S_ENABLE0 + 4 * w));
  for (unsigned slot = 0; slot < VIRTIO_SLOTS; ++slot) {
    const struct vdev d = {VIRTIO_SLOT_BASE(slot), slot, VIRTIO_SLOT_IRQ(slot), 0};
    if (vreg_read(&d, VIRTIO_MMIO_MAGIC) != VIRTIO_MAGIC || vreg_read(&d, VIRTIO_MMIO_DEVICE_ID) == 0) continue;
    vreg_write(&d, VIRTIO_MMIO_QUEUE_SEL, 0);
    const uint32_t status = vreg_read(&d, VIRTIO_MMIO_STATUS), ready = vreg_read(&d, VIRTIO_MMIO_QUEUE_READY);
    if (status != 0 || ready != 0)
      fail(E_RESET_STATE, "virtio slot %u: status %x, queue 0 ready %u at boot", slot, status, ready);
  }
}

static void check_bootargs(void) {
  static const char* const keys[] = {"checks", "timer", "input", "net", "reboot"};
  uint32_t len = 0;
  const char* args = fdt_property("/chosen", "bootargs", &len);
  if (!args) return;
  for (const char* p = args; p < args + len && *p;) {
    while (*p == ' ') ++p;
    const char* word = p;
    while (*p && *p != ' ') ++p;
    if (p == word) break;
    bool known = false;
    for (unsigned k = 0; k < sizeof keys / sizeof keys[0]; ++k) {
      const size_t n = strlen(keys[k]);
      if ((size_t)(p - word) > n && memcmp(word, keys[k], n) == 0 && word[n] == '=') known = true;
    }
    if (!known) {
      char text[48];
      const size_t n = (size_t)(p - word) < sizeof text - 1 ? (size_t)(p - word) : sizeof text - 1;
      memcpy(text, word, n);
      text[n] = 0;
      fail(E_BOOTARGS, "unknown command-line word '%s'", text);
    }
  }
}

static unsigned parse_unsigned(const char* s) {
  unsigned v = 0;
  for (; *s >= '0' && *s <= '9'; ++s) v = v * 10 + (unsigned)(*s - '0');
  if (*s) fail(E_BOOTARGS, "not a number: '%s'", s);
  return v;
}

void kernel_main(uint64_t hart_id, const void* fdt) {
  check_reset_state();
  mmio_write8(UART_BASE + UART_LCR, 0x03); /* 8N1; QEMU's UART needs no divisor */
  kprintf("virt_kernel: hart %lu in S-mode, device tree at %p\n", hart_id, fdt);
  if (!fdt_init(fdt)) fail(E_FDT, "no device tree at %p (a1)", fdt);
  uint32_t len = 0;
  const void* freq = fdt_property("/cpus", "timebase-frequency", &len);
  if (!freq || len != 4 || be32(freq) < 1000) fail(E_FDT, "no usable /cpus/timebase-frequency");
  g_timebase_hz = be32(freq);
  check_bootargs();
  const char* defaults = "timer,uart,blk";
  char checks[64];
  kprintf("virt_kernel: checks %s\n", bootarg("checks", checks, sizeof checks) ? checks : defaults);

  trap_init();
  check_user_mode();
  if (bootarg_list_has("checks", "timer", defaults)) {
    check_timer();
  } else {
    timer_start(g_timebase_hz / 1000); /* the heartbeat the other checks' timeouts need */
  }
  if (bootarg_list_has("checks", "uart", defaults)) {
    char word[32];
    check_uart(bootarg("input", word, sizeof word) ? word : 0);
  }
  if (bootarg_list_has("checks", "blk", defaults)) {
    char reboot[12];
    check_blk(bootarg("reboot", reboot, sizeof reboot) ? parse_unsigned(reboot) : 0);
  }
  if (bootarg_list_has("checks", "net", defaults)) {
    char role[4] = "";
    bootarg("net", role, sizeof role);
    check_net(role[1] == 0 ? role[0] : 0);
  }
  timer_stop();
  kputs("virt_kernel: all checks passed\n");
  pass();
}
