// How a device asks the board to power the machine off or reset it (the SiFive test finisher,
// a future SBI system-reset or syscon-poweroff device). The board implements it.
//
// Calls arrive from inside a device's MMIO handler, on the thread running the hart that made
// the access, in the middle of that hart's instruction: an implementation records the request
// and asks the harts to stop (Hart::request_stop()); it acts on it once the slice has returned.
#pragma once

namespace hartbox {

class PowerControl {
 public:
  virtual ~PowerControl() = default;
  // The guest powered the machine off; `code` is its exit status (0 for success).
  virtual void power_off(int code) = 0;
  // The guest asked for a system reset.
  virtual void reset() = 0;
};

}  // namespace hartbox
