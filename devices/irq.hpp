// Interrupt wiring between devices and the interrupt controller (the PLIC on the `virt` board).
// A device holds an IrqLine and raises or lowers it; the controller decides which hart sees it.
// Level-triggered, as on QEMU's virt: a device keeps its line high while it needs service.
#pragma once

namespace hartbox {

class InterruptController {
 public:
  virtual ~InterruptController() = default;
  // Sets the level of interrupt source `source` (1..N; 0 means "no interrupt" on the PLIC).
  virtual void set_irq(unsigned source, bool level) = 0;
};

// One device's interrupt output. A default-constructed line is not connected.
struct IrqLine {
  InterruptController* controller = nullptr;
  unsigned source = 0;
  void set(bool level) const {
    if (controller) controller->set_irq(source, level);
  }
};

}  // namespace hartbox
