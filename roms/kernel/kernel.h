/* Hartbox's test kernel for QEMU's `virt` board: what every file of it shares.
 *
 * The image is one ELF linked at 0x80000000 and started in M-mode (`hartbox run --bios none
 * --kernel virt_kernel.elf`, or Machine::boot with no firmware). A small M-mode shim (start.S,
 * shim.c) sets up delegation and the timer and drops to S-mode with mret; the S-mode kernel
 * (main.c and the check_*.c files) then runs its checks and reports through the SiFive test
 * device: exit 0 when every check passed, or one of the codes below, each naming the check
 * that failed. Progress goes to the UART; a failure prints "FAIL <code>: <what>" first.
 *
 * Every boot first checks that the devices are in their reset state and that a U-mode ecall
 * and an illegal instruction in U-mode trap to S-mode. The kernel command line (/chosen/bootargs
 * of the device tree handed over in a1) selects the rest, as space-separated words:
 *   checks=timer,uart,blk,net   the checks to run, always in this order (default:
 *                               timer,uart,blk); without timer, a 1 ms tick still runs for
 *                               the other checks' timeouts
 *   timer=sstc                  S-mode programs stimecmp itself (menvcfg.STCE, priv spec
 *                               "Sstc"); default timer=sbi: S asks the shim with an SBI
 *                               set_timer ecall, the shim arms the CLINT's mtimecmp and
 *                               forwards each machine timer interrupt as STIP
 *   input=WORD                  the UART check also waits for WORD and a newline typed on
 *                               the console (after printing "uart: type WORD")
 *   net=a | net=b               this machine's role in the network check (see check_net.c)
 *   reboot=N                    after the blk check, reset the machine through the test
 *                               device (0x7777) until the disk's boot count reaches N
 *
 * Single hart: harts other than 0 park in WFI forever.
 *
 * Nothing here is Hartbox-specific: the kernel passes on QEMU's virt as well (qemu-system-riscv64
 * -M virt -bios none -kernel virt_kernel.elf -global virtio-mmio.force-legacy=false, with a
 * virtio-blk-device or two machines joined by a socket netdev).
 */
#ifndef HARTBOX_KERNEL_H
#define HARTBOX_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* --- Exit codes: (code << 16) | 0x3333 to the test device; hartbox exits with `code`. --- */
enum {
  E_OK = 0,
  /* General (1-9) */
  E_S_TRAP = 1,          /* an exception or interrupt the S-mode kernel did not expect */
  E_M_TRAP = 2,          /* a trap the M-mode shim did not expect */
  E_FDT = 3,             /* no valid device tree in a1, or no timebase-frequency */
  E_BOOTARGS = 4,        /* an unknown word on the command line */
  E_USER_ECALL = 5,      /* a U-mode ecall did not reach S-mode (medeleg) or came back wrong */
  E_RESET_STATE = 6,     /* a device was not in its reset state when the kernel started */
  E_IRQ_UNEXPECTED = 7,  /* the PLIC handed out a source nobody registered */
  /* Timer (10-19) */
  E_TIMER_NO_SSTC = 10,   /* timer=sstc but stimecmp is not usable from S-mode */
  E_TIMER_EARLY = 11,     /* a timer interrupt came before its deadline */
  E_TIMER_BACKWARDS = 12, /* `time` did not advance between two ticks */
  E_TIMER_MISSING = 13,   /* fewer ticks than expected within the time allowed */
  E_TIMER_SHORT = 14,     /* N ticks took less than N periods */
  E_TIMER_STOP = 15,      /* a tick arrived after the timer was stopped */
  /* UART and PLIC (20-29) */
  E_UART_TIMEOUT = 20,    /* an expected UART interrupt did not come */
  E_UART_DATA = 21,       /* received bytes differ from those sent (loopback) */
  E_UART_IIR = 22,        /* an interrupt reason (IIR) that was not expected, or one missing */
  E_UART_LSR = 23,        /* overrun or another line error */
  E_UART_INPUT = 24,      /* console input differs from the input= word */
  E_UART_MSR = 25,        /* in loopback, MSR does not reflect MCR's modem outputs */
  E_PLIC = 26,            /* PLIC registers, pending bits or SEIP do not behave */
  /* virtio-blk (30-49) */
  E_BLK_NONE = 30,        /* no virtio-blk device in any slot */
  E_BLK_TRANSPORT = 31,   /* not a version 2 virtio-mmio transport */
  E_BLK_FEATURES = 32,    /* VERSION_1 or FLUSH not offered, or FEATURES_OK refused */
  E_BLK_QUEUE = 33,       /* queue 0 unusable (too small, already live) */
  E_BLK_CAPACITY = 34,    /* the disk is smaller than the sectors the check uses */
  E_BLK_TIMEOUT = 35,     /* a request did not complete (no used buffer, no interrupt) */
  E_BLK_STATUS = 36,      /* a request that should succeed did not (status byte) */
  E_BLK_VERIFY = 37,      /* data read back differs from data written in this boot */
  E_BLK_PERSIST = 38,     /* data written by the previous boot is not on the disk */
  E_BLK_GET_ID = 39,      /* GET_ID returned bytes that are not printable before the NUL */
  E_BLK_BAD_REQUEST = 40, /* an invalid request did not fail as the spec says */
  E_BLK_USED_LEN = 41,    /* a used element's length or id is wrong */
  E_BLK_IRQ = 42,         /* InterruptStatus did not say "used buffer" */
  /* virtio-net (50-69) */
  E_NET_NONE = 50,        /* no virtio-net device in any slot */
  E_NET_TRANSPORT = 51,
  E_NET_FEATURES = 52,    /* VERSION_1, MAC or STATUS not offered, or FEATURES_OK refused */
  E_NET_QUEUE = 53,
  E_NET_LINK = 54,        /* link down, or a MAC that is not locally administered QEMU style */
  E_NET_ROLE = 55,        /* no net=a / net=b on the command line */
  E_NET_HELLO_TIMEOUT = 56, /* the peer never said hello */
  E_NET_DATA_TIMEOUT = 57,  /* the peer's data frames stopped coming */
  E_NET_ACK_TIMEOUT = 58,   /* the peer never acknowledged our frames */
  E_NET_TX_TIMEOUT = 59,    /* the device never returned a transmit buffer */
  E_NET_SEQ = 60,           /* a data frame out of order, duplicated or from ourselves */
  E_NET_PAYLOAD = 61,       /* a data frame's length or contents are wrong */
  E_NET_FRAME = 62,         /* a frame that is not ours (ethertype, magic, header) */
  E_NET_RX_LEN = 63,        /* a used receive buffer's length is impossible */
  E_NET_IRQ = 64,           /* frames arrived but no used-buffer interrupt announced them */
};

/* --- The board (QEMU virt; devices/virt_board.hpp) --- */
#define TEST_BASE 0x100000UL
#define CLINT_BASE 0x2000000UL
#define CLINT_MTIMECMP(h) (CLINT_BASE + 0x4000 + 8 * (h))
#define PLIC_BASE 0xc000000UL
#define UART_BASE 0x10000000UL
#define UART_IRQ 10
#define VIRTIO_BASE 0x10001000UL
#define VIRTIO_SLOTS 8
#define VIRTIO_SLOT_BASE(n) (VIRTIO_BASE + 0x1000UL * (n))
#define VIRTIO_SLOT_IRQ(n) (1 + (n))

/* --- CSRs --- */
#define csr_read(name)                                  \
  ({                                                    \
    uint64_t v_;                                        \
    __asm__ volatile("csrr %0, " #name : "=r"(v_));     \
    v_;                                                 \
  })
#define csr_write(name, v) __asm__ volatile("csrw " #name ", %0" ::"r"((uint64_t)(v)) : "memory")
#define csr_set(name, v) __asm__ volatile("csrs " #name ", %0" ::"r"((uint64_t)(v)) : "memory")
#define csr_clear(name, v) __asm__ volatile("csrc " #name ", %0" ::"r"((uint64_t)(v)) : "memory")

#define SSTATUS_SIE (1UL << 1)
#define SSTATUS_SPIE (1UL << 5)
#define SSTATUS_SPP (1UL << 8)
#define MSTATUS_MIE (1UL << 3)
#define MSTATUS_MPP_S (1UL << 11)
#define MSTATUS_MPP_MASK (3UL << 11)
#define IRQ_S_SOFT 1
#define IRQ_S_TIMER 5
#define IRQ_M_TIMER 7
#define IRQ_S_EXT 9
#define CAUSE_INTERRUPT (1UL << 63)
#define CAUSE_USER_ECALL 8
#define CAUSE_SUPERVISOR_ECALL 9
#define MENVCFG_STCE (1UL << 63)

static inline uint64_t rdtime(void) {
  uint64_t t;
  __asm__ volatile("rdtime %0" : "=r"(t));
  return t;
}
static inline void wfi(void) { __asm__ volatile("wfi" ::: "memory"); }
/* Orders memory (RAM and device) accesses on both sides of it: enough for virtqueues, whose
 * rings the device reads when it sees a notify (virtio 1.2, 2.7.13). */
static inline void io_fence(void) { __asm__ volatile("fence iorw, iorw" ::: "memory"); }

static inline uint8_t mmio_read8(uint64_t a) { return *(volatile uint8_t*)a; }
static inline uint32_t mmio_read32(uint64_t a) { return *(volatile uint32_t*)a; }
static inline uint64_t mmio_read64(uint64_t a) { return *(volatile uint64_t*)a; }
static inline void mmio_write8(uint64_t a, uint8_t v) { *(volatile uint8_t*)a = v; }
static inline void mmio_write16(uint64_t a, uint16_t v) { *(volatile uint16_t*)a = v; }
static inline void mmio_write32(uint64_t a, uint32_t v) { *(volatile uint32_t*)a = v; }
static inline void mmio_write64(uint64_t a, uint64_t v) { *(volatile uint64_t*)a = v; }

/* --- lib.c: freestanding basics, the console, the test device, the device tree --- */
void* memset(void* d, int c, size_t n);
void* memcpy(void* d, const void* s, size_t n);
int memcmp(const void* a, const void* b, size_t n);
size_t strlen(const char* s);

void uart_putc(char c);  /* polled: THR is free again as soon as a byte is written */
void kputs(const char* s);
/* printf's subset: %s %c %d %u %x %lu %ld %lx %llu %p, with a field width and 0 padding. */
void kprintf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void fail(int code, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void pass(void);
_Noreturn void test_device_reset(void);

/* Device tree (a1 at entry). fdt_init checks the header; the finders return NULL when absent.
 * `path` is a node path such as "/chosen" or "/cpus"; unit addresses may be left out. */
bool fdt_init(const void* blob);
const void* fdt_property(const char* path, const char* name, uint32_t* len);
/* The value of `key=` on the command line (copied into `out`, NUL-terminated), or false. */
bool bootarg(const char* key, char* out, size_t size);
bool bootarg_list_has(const char* key, const char* item, const char* fallback);
static inline uint32_t be32(const void* p) {
  const uint8_t* b = (const uint8_t*)p;
  return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

/* --- shim.c: M-mode --- */
enum timer_mode { TIMER_SBI, TIMER_SSTC };
extern enum timer_mode g_timer_mode;
#define SBI_EXT_TIME 0x54494d45UL /* "TIME" (SBI spec, chapter 6) */

/* --- trap.c: S-mode traps, interrupts and waiting --- */
struct trap_frame {
  uint64_t x[32]; /* x[2] is the interrupted sp */
  uint64_t epc, status, cause, tval;
};
typedef void (*irq_handler)(unsigned source);
void trap_init(void);
/* Routes PLIC `source` to S-mode context 1 (hart 0) at priority 1 and calls `fn` on it. */
void irq_register(unsigned source, irq_handler fn);
void irq_unregister(unsigned source);
/* Waits with WFI until cond(arg) holds or `timeout` ticks of `time` pass; interrupts are taken
 * between the checks. False on timeout. Needs a timer running (timer_start) to time out. */
bool wait_for(bool (*cond)(void*), void* arg, uint64_t timeout);
/* Runs `fn` in U-mode on its own stack; it returns through an exit ecall (a7 = 93). Returns the
 * value the function passed to that ecall. */
uint64_t run_user(void (*fn)(void));

/* The periodic timer: ticks every `period` ticks of `time` from now. */
struct timer_state {
  uint64_t period, start, next, last;
  volatile uint64_t ticks;
  uint64_t late_max; /* the largest (arrival - deadline) seen */
};
extern struct timer_state g_timer;
extern uint64_t g_timebase_hz;
void timer_start(uint64_t period);
void timer_stop(void);
void timer_program(uint64_t deadline); /* UINT64_MAX: off */

/* --- The checks; each fails (never returns) on error --- */
void check_user_mode(void);
void check_timer(void);
void check_uart(const char* input_word);
void check_blk(unsigned reboot_until);
void check_net(char role);

#endif
