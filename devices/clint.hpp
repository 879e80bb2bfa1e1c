// The CLINT (SiFive core-local interruptor, the ACLINT MSWI + MTIMER pair of QEMU's `virt` and
// Spike): per-hart software-interrupt bits (msip), timer compare registers (mtimecmp) and the
// shared mtime counter. Layout: msip[hart] at 0x0000 + 4*hart, mtimecmp[hart] at
// 0x4000 + 8*hart, mtime at 0xbff8.
#pragma once

#include <cstdint>
#include <vector>

#include "core/bus.hpp"
#include "core/hart.hpp"

namespace hartbox {

// Virtual time: mtime advances by one tick every `insns_per_tick` instructions retired by hart
// 0, so runs are reproducible; a hart waiting in WFI lets time jump to the next deadline.
class Clint final : public Device, public TimeSource {
 public:
  static constexpr uint64_t kSize = 0x10000;
  static constexpr uint64_t kTimebaseHz = 10'000'000;  // as in the device tree's timebase-frequency

  Clint(std::vector<Hart*> harts, uint64_t insns_per_tick = 100);

  std::string_view name() const override { return "clint"; }
  bool read(uint64_t offset, unsigned size, uint64_t& value) override;
  bool write(uint64_t offset, unsigned size, uint64_t value) override;
  uint64_t mtime() const override;

  // Raises or lowers each hart's MTIP from mtime and mtimecmp; call after each slice.
  void update_timer_interrupts();
  // The earliest mtimecmp that is still in the future, or UINT64_MAX if none.
  uint64_t next_deadline() const;
  // Moves mtime forward to `target` (virtual time only moves forward).
  void advance_to(uint64_t target);

 private:
  std::vector<Hart*> harts_;
  std::vector<uint64_t> mtimecmp_;
  uint64_t insns_per_tick_;
  uint64_t offset_ = 0;  // mtime = instret / insns_per_tick + offset
};

}  // namespace hartbox
