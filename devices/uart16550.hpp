// The NS16550A UART of QEMU's `virt` board (hw/char/serial.c behind serial-mm, register shift
// 0, at 0x1000_0000 on IRQ 10): byte registers RBR/THR/DLL (0), IER/DLM (1), IIR/FCR (2),
// LCR (3), MCR (4), LSR (5), MSR (6), SCR (7), with the divisor latch behind LCR.DLAB.
//
// Transmission is instantaneous: a THR write goes straight to the ConsoleSink (or, in loopback
// mode, back into the receiver), so LSR.THRE and LSR.TEMT are set again before the write
// returns. Reception goes through a 16-byte FIFO (or the one-byte holding register when
// FCR.FE is clear) filled from the ConsoleSource by poll() and whenever the guest reads RBR
// or LSR, so a polling guest sees input promptly.
//
// The character-timeout interrupt (IIR 0xC) stands for "data has waited in the FIFO for four
// character times": here, data sat in the FIFO through one whole interval between two poll()
// calls with no byte arriving and no RBR read. The board's slices are counted in instructions,
// so this is reproducible; a board should keep calling poll() while its harts wait in WFI.
//
// A Uart16550 belongs to one machine and is used from the thread that runs it (MMIO and poll()
// alike). It does not own the sink, source or interrupt controller it is given.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/bus.hpp"
#include "devices/console.hpp"
#include "devices/irq.hpp"

namespace hartbox {

class StateWriter;
class StateReader;

class Uart16550 final : public Device {
 public:
  // virt's memory map and device tree give the UART 0x100 bytes; QEMU decodes only the first
  // eight, and accesses to the rest fault there as they do here.
  static constexpr uint64_t kSize = 0x100;
  static constexpr size_t kFifoSize = 16;

  // `input` may be null: the line then never receives anything but its own loopback.
  Uart16550(ConsoleSink& output, ConsoleSource* input, IrqLine irq);

  std::string_view name() const override { return "uart16550"; }
  // Any size (1, 2, 4 or 8) at a size-aligned offset below 8 is an access to the byte register
  // at that offset, as QEMU's serial-mm (valid.max_access_size 8): reads return it
  // zero-extended, writes take the low byte. Misaligned accesses and offsets 8 and above fault.
  bool read(uint64_t offset, unsigned size, uint64_t& value) override;
  bool write(uint64_t offset, unsigned size, uint64_t value) override;

  // Pulls pending console input into the receiver and advances the character timeout. Called
  // by the board between slices.
  void poll();

  // Back to QEMU's reset state (9600 baud divisor 12, MCR.OUT2 set, FIFOs off and empty), with
  // the interrupt line lowered.
  void reset();

  // The level the interrupt line was last driven to.
  bool irq_level() const { return line_; }

  // Snapshots: every register, the receive FIFO and the interrupt conditions. load() does not
  // drive the line (the PLIC's snapshot holds its level).
  void save(StateWriter& out) const;
  void load(StateReader& in);

  // Register offsets and bits (the 16550A datasheet's names).
  enum Register : unsigned { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2,
                             LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };
  static constexpr uint8_t kIerRdi = 0x01, kIerThri = 0x02, kIerRlsi = 0x04, kIerMsi = 0x08;
  static constexpr uint8_t kIirNoInt = 0x01, kIirMsi = 0x00, kIirThri = 0x02, kIirRdi = 0x04,
                           kIirRlsi = 0x06, kIirCti = 0x0c, kIirFifoEnabled = 0xc0;
  static constexpr uint8_t kFcrEnable = 0x01, kFcrRxReset = 0x02, kFcrTxReset = 0x04;
  static constexpr uint8_t kLcrDlab = 0x80;
  static constexpr uint8_t kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08,
                           kMcrLoop = 0x10;
  static constexpr uint8_t kLsrDr = 0x01, kLsrOe = 0x02, kLsrBi = 0x10, kLsrThre = 0x20,
                           kLsrTemt = 0x40;
  static constexpr uint8_t kMsrCts = 0x10, kMsrDsr = 0x20, kMsrRi = 0x40, kMsrDcd = 0x80;

 private:
  uint8_t read_register(unsigned reg);
  void write_register(unsigned reg, uint8_t value);
  void transmit(uint8_t byte);
  void receive(uint8_t byte);
  void pull_input();
  size_t receive_room() const;
  bool fifo_enabled() const { return (fcr_ & kFcrEnable) != 0; }
  // Recomputes IIR from the pending conditions in 16550 priority order and drives the line.
  // QEMU's serial_update_irq() drives it at every update, and the PLIC (as QEMU's) takes each
  // drive while an interrupt is active as a new event: `event` false (a poll() that changed
  // nothing) drives only a change of level.
  void update_irq(bool event = true);

  ConsoleSink& output_;
  ConsoleSource* input_;
  IrqLine irq_;
  bool line_ = false;

  uint16_t divisor_ = 0;
  uint8_t rbr_ = 0, ier_ = 0, iir_ = 0, lcr_ = 0, mcr_ = 0, lsr_ = 0, msr_ = 0, scr_ = 0, fcr_ = 0;
  std::array<uint8_t, kFifoSize> fifo_{};
  size_t fifo_head_ = 0, fifo_count_ = 0;
  size_t trigger_level_ = 1;
  bool thr_interrupt_ = false;      // QEMU's thr_ipending
  bool timeout_interrupt_ = false;  // QEMU's timeout_ipending
  bool rx_activity_ = false;        // a byte arrived or RBR was read since the last poll()
};

}  // namespace hartbox
