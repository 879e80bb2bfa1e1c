// The CLINT (SiFive core-local interruptor, the ACLINT MSWI + MTIMER pair of QEMU's `virt` and
// Spike): per-hart software-interrupt bits (msip), timer compare registers (mtimecmp) and the
// shared mtime counter. Layout: msip[hart] at 0x0000 + 4*hart, mtimecmp[hart] at
// 0x4000 + 8*hart, mtime at 0xbff8.
#pragma once

#include <cstdint>
#include <vector>

#include "core/bus.hpp"
#include "core/hart.hpp"
#include "devices/clock.hpp"

namespace hartbox {

// mtime is the machine's clock (devices/clock.hpp); the CLINT compares it with each hart's
// mtimecmp and drives MTIP.
class Clint final : public Device {
 public:
  static constexpr uint64_t kSize = 0x10000;

  Clint(std::vector<Hart*> harts, MachineClock& clock);

  std::string_view name() const override { return "clint"; }
  bool read(uint64_t offset, unsigned size, uint64_t& value) override;
  bool write(uint64_t offset, unsigned size, uint64_t value) override;
  uint64_t mtime() const { return clock_.mtime(); }

  // A system reset: every mtimecmp back to its power-on value (never) and MSIP cleared. mtime
  // is the machine's clock and keeps counting.
  void reset();
  // Raises or lowers each hart's MTIP from mtime and mtimecmp; call after each slice.
  void update_timer_interrupts();
  // The earliest mtimecmp that is still in the future, or UINT64_MAX if none.
  uint64_t next_deadline() const;

  // Snapshots: each hart's mtimecmp (mtime is the clock's, MSIP and MTIP the harts').
  void save(StateWriter& out) const;
  void load(StateReader& in);

 private:
  std::vector<Hart*> harts_;
  std::vector<uint64_t> mtimecmp_;
  MachineClock& clock_;
};

}  // namespace hartbox
