#include "devices/uart16550.hpp"

#include <span>

#include "core/state_io.hpp"

namespace hartbox {

namespace {
constexpr uint64_t kDecodedBytes = 8;  // QEMU's serial-mm region: 8 << regshift
constexpr uint8_t kLsrErrors = 0x1e;   // OE | PE | FE | BI: the receiver line status interrupt
constexpr uint8_t kMsrDeltas = 0x0f;
}  // namespace

Uart16550::Uart16550(ConsoleSink& output, ConsoleSource* input, IrqLine irq)
    : output_(output), input_(input), irq_(irq) {
  reset();
}

void Uart16550::reset() {
  // serial_reset() in QEMU.
  rbr_ = 0;
  ier_ = 0;
  iir_ = kIirNoInt;
  lcr_ = 0;
  lsr_ = kLsrTemt | kLsrThre;
  msr_ = kMsrDcd | kMsrDsr | kMsrCts;
  divisor_ = 0x0c;
  mcr_ = kMcrOut2;
  scr_ = 0;
  fcr_ = 0;
  fifo_head_ = fifo_count_ = 0;
  trigger_level_ = 1;
  thr_interrupt_ = false;
  timeout_interrupt_ = false;
  rx_activity_ = false;
  line_ = false;
  irq_.set(false);
}

bool Uart16550::read(uint64_t offset, unsigned size, uint64_t& value) {
  if ((size != 1 && size != 2 && size != 4 && size != 8) || offset % size != 0 || offset >= kDecodedBytes)
    return false;
  value = read_register(static_cast<unsigned>(offset));
  return true;
}

bool Uart16550::write(uint64_t offset, unsigned size, uint64_t value) {
  if ((size != 1 && size != 2 && size != 4 && size != 8) || offset % size != 0 || offset >= kDecodedBytes)
    return false;
  write_register(static_cast<unsigned>(offset), static_cast<uint8_t>(value & 0xff));
  return true;
}

uint8_t Uart16550::read_register(unsigned reg) {
  switch (reg) {
    case RBR: {
      if (lcr_ & kLcrDlab) return static_cast<uint8_t>(divisor_ & 0xff);
      uint8_t byte;
      if (fifo_enabled()) {
        byte = 0;
        if (fifo_count_ > 0) {
          byte = fifo_[fifo_head_];
          fifo_head_ = (fifo_head_ + 1) % kFifoSize;
          --fifo_count_;
        }
        if (fifo_count_ == 0) lsr_ &= static_cast<uint8_t>(~(kLsrDr | kLsrBi));
        timeout_interrupt_ = false;
      } else {
        byte = rbr_;
        lsr_ &= static_cast<uint8_t>(~(kLsrDr | kLsrBi));
      }
      rx_activity_ = true;
      update_irq();
      pull_input();  // QEMU's qemu_chr_fe_accept_input(); never in loopback mode
      return byte;
    }
    case IER: return (lcr_ & kLcrDlab) ? static_cast<uint8_t>(divisor_ >> 8) : ier_;
    case IIR: {
      const uint8_t value = iir_;
      // Reading IIR while it reports THR empty acknowledges that interrupt (16550A datasheet,
      // table 4: "reading the IIR (if source of interrupt)").
      if ((value & 0x0f) == kIirThri) {
        thr_interrupt_ = false;
        update_irq();
      }
      return value;
    }
    case LCR: return lcr_;
    case MCR: return mcr_;
    case LSR: {
      pull_input();
      const uint8_t value = lsr_;
      // Reading LSR clears the break and overrun indications.
      if (lsr_ & (kLsrBi | kLsrOe)) {
        lsr_ &= static_cast<uint8_t>(~(kLsrBi | kLsrOe));
        update_irq();
      }
      return value;
    }
    case MSR: {
      if (mcr_ & kMcrLoop) {
        // In loopback the modem outputs feed the inputs: DTR->DSR, RTS->CTS, OUT1->RI,
        // OUT2->DCD.
        return static_cast<uint8_t>(((mcr_ & 0x0c) << 4) | ((mcr_ & kMcrRts) << 3) | ((mcr_ & kMcrDtr) << 5));
      }
      const uint8_t value = msr_;
      if (msr_ & kMsrDeltas) {
        msr_ &= 0xf0;
        update_irq();
      }
      return value;
    }
    case SCR: return scr_;
    default: return 0;
  }
}

void Uart16550::write_register(unsigned reg, uint8_t value) {
  switch (reg) {
    case THR:
      if (lcr_ & kLcrDlab) {
        divisor_ = static_cast<uint16_t>((divisor_ & 0xff00) | value);
        return;
      }
      // The byte leaves at once: THRE drops and comes back within this write, so the THR-empty
      // interrupt is acknowledged and raised again (QEMU's serial_ioport_write + serial_xmit).
      thr_interrupt_ = true;
      transmit(value);
      update_irq();
      return;
    case IER:
      if (lcr_ & kLcrDlab) {
        divisor_ = static_cast<uint16_t>((divisor_ & 0x00ff) | (value << 8));
        return;
      } else {
        const uint8_t changed = static_cast<uint8_t>((ier_ ^ value) & 0x0f);
        ier_ = value & 0x0f;
        // Enabling THRI while THR is empty raises the interrupt even if an IIR read had
        // acknowledged it (QEMU follows Bochs, which Windows relies on); disabling forgets it.
        if (changed & kIerThri) thr_interrupt_ = (ier_ & kIerThri) && (lsr_ & kLsrThre);
        if (changed) update_irq();
      }
      return;
    case FCR: {
      uint8_t request = value;
      // Turning the FIFOs on or off empties them.
      if ((request ^ fcr_) & kFcrEnable) request |= kFcrRxReset | kFcrTxReset;
      if (request & kFcrRxReset) {
        lsr_ &= static_cast<uint8_t>(~(kLsrDr | kLsrBi));
        timeout_interrupt_ = false;
        fifo_head_ = fifo_count_ = 0;
      }
      if (request & kFcrTxReset) {
        // The transmitter is always empty here; QEMU re-arms the THR-empty interrupt.
        lsr_ |= kLsrThre;
        thr_interrupt_ = true;
      }
      fcr_ = request & 0xc9;  // the bits that stick: enable, DMA mode, trigger level
      if (fcr_ & kFcrEnable) {
        iir_ |= kIirFifoEnabled;
        static constexpr size_t kTriggerLevels[4] = {1, 4, 8, 14};
        trigger_level_ = kTriggerLevels[fcr_ >> 6];
      } else {
        iir_ &= static_cast<uint8_t>(~kIirFifoEnabled);
      }
      update_irq();
      return;
    }
    case LCR: lcr_ = value; return;
    case MCR: mcr_ = value & 0x1f; return;
    case LSR:
    case MSR: return;  // read-only (QEMU ignores writes)
    case SCR: scr_ = value; return;
    default: return;
  }
}

void Uart16550::transmit(uint8_t byte) {
  lsr_ |= kLsrThre | kLsrTemt;
  if (mcr_ & kMcrLoop) {
    receive(byte);
    return;
  }
  const char c = static_cast<char>(byte);
  output_.write(std::string_view(&c, 1));
}

void Uart16550::receive(uint8_t byte) {
  if (fifo_enabled()) {
    // An overrun keeps the FIFO's contents and drops the new byte.
    if (fifo_count_ < kFifoSize) {
      fifo_[(fifo_head_ + fifo_count_) % kFifoSize] = byte;
      ++fifo_count_;
    } else {
      lsr_ |= kLsrOe;
    }
  } else {
    if (lsr_ & kLsrDr) lsr_ |= kLsrOe;
    rbr_ = byte;
  }
  lsr_ |= kLsrDr;
  rx_activity_ = true;
  update_irq();
}

size_t Uart16550::receive_room() const {
  if (fifo_enabled()) return kFifoSize - fifo_count_;
  return (lsr_ & kLsrDr) ? 0 : 1;
}

void Uart16550::pull_input() {
  if (!input_ || (mcr_ & kMcrLoop)) return;
  const size_t room = receive_room();
  if (room == 0) return;
  std::array<char, kFifoSize> buffer;
  const size_t got = input_->read(std::span<char>(buffer.data(), room), false);
  for (size_t i = 0; i < got && i < room; ++i) receive(static_cast<uint8_t>(buffer[i]));
}

void Uart16550::poll() {
  // Data that waited in the FIFO through a whole interval with nothing arriving and nothing
  // read: the receiver's character timeout has expired.
  const bool timed_out = fifo_enabled() && fifo_count_ > 0 && !rx_activity_ && !timeout_interrupt_;
  if (timed_out) timeout_interrupt_ = true;
  pull_input();
  rx_activity_ = false;
  update_irq(timed_out);  // bytes pulled in drove the line already (receive())
}

void Uart16550::update_irq(bool event) {
  // 16550A datasheet table 4, in priority order; QEMU's serial_update_irq().
  uint8_t id = kIirNoInt;
  if ((ier_ & kIerRlsi) && (lsr_ & kLsrErrors)) {
    id = kIirRlsi;
  } else if ((ier_ & kIerRdi) && timeout_interrupt_) {
    id = kIirCti;
  } else if ((ier_ & kIerRdi) && (lsr_ & kLsrDr) && (!fifo_enabled() || fifo_count_ >= trigger_level_)) {
    id = kIirRdi;
  } else if ((ier_ & kIerThri) && thr_interrupt_) {
    id = kIirThri;
  } else if ((ier_ & kIerMsi) && (msr_ & kMsrDeltas)) {
    id = kIirMsi;
  }
  iir_ = static_cast<uint8_t>(id | (iir_ & 0xf0));
  const bool level = id != kIirNoInt;
  // An interrupt still (or again) active at an event is driven again, as QEMU does, so the
  // PLIC sees it once more (plic.hpp): a THR write re-arms THR-empty for a guest that never
  // reads IIR.
  if (level != line_ || (level && event)) {
    line_ = level;
    irq_.set(level);
  }
}

void Uart16550::save(StateWriter& out) const {
  out.begin_section(state_tag("UART"));
  out.u16(divisor_);
  for (uint8_t r : {rbr_, ier_, iir_, lcr_, mcr_, lsr_, msr_, scr_, fcr_}) out.u8(r);
  out.bytes(fifo_.data(), fifo_.size());
  out.u64(fifo_head_);
  out.u64(fifo_count_);
  out.u64(trigger_level_);
  out.boolean(thr_interrupt_);
  out.boolean(timeout_interrupt_);
  out.boolean(rx_activity_);
  out.boolean(line_);
  out.end_section();
}

void Uart16550::load(StateReader& in) {
  in.begin_section(state_tag("UART"));
  divisor_ = in.u16();
  for (uint8_t* r : {&rbr_, &ier_, &iir_, &lcr_, &mcr_, &lsr_, &msr_, &scr_, &fcr_}) *r = in.u8();
  in.bytes(fifo_.data(), fifo_.size());
  fifo_head_ = static_cast<size_t>(in.u64());
  fifo_count_ = static_cast<size_t>(in.u64());
  trigger_level_ = static_cast<size_t>(in.u64());
  in.expect(fifo_head_ < kFifoSize && fifo_count_ <= kFifoSize && trigger_level_ >= 1 && trigger_level_ <= kFifoSize,
            "corrupted: UART FIFO state out of range");
  thr_interrupt_ = in.boolean();
  timeout_interrupt_ = in.boolean();
  rx_activity_ = in.boolean();
  line_ = in.boolean();
  in.end_section();
}

}  // namespace hartbox
