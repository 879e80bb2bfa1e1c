// A machine's notion of time: the CLINT's mtime, which the harts' `time` CSR mirrors.
//
// Virtual time (the default for reproducible runs) advances one tick per `insns_per_tick`
// instructions retired by all harts together, plus whatever the machine skipped while every hart
// waited in WFI. It moves between slices, not inside one: the machine latches the instruction
// count when a slice starts, so every engine, however it counts instructions inside a block,
// shows the guest the same time at the same instruction. Real time follows the host's monotonic
// clock. Both tick at `frequency_hz`, which the device tree states as timebase-frequency.
#pragma once

#include <chrono>
#include <cstdint>
#include <vector>

#include "core/hart.hpp"

namespace hartbox {

class MachineClock final : public TimeSource {
 public:
  enum class Mode { Virtual, Real };
  static constexpr uint64_t kDefaultFrequencyHz = 10'000'000;
  static constexpr uint64_t kDefaultInsnsPerTick = 100;

  explicit MachineClock(Mode mode = Mode::Virtual, uint64_t frequency_hz = kDefaultFrequencyHz,
                        uint64_t insns_per_tick = kDefaultInsnsPerTick);

  // The harts whose retired instructions drive virtual time.
  void count_harts(std::vector<const Hart*> harts) { harts_ = std::move(harts); }

  // Takes the harts' retired-instruction count as virtual time's base for the next slice.
  void latch();

  Mode mode() const { return mode_; }
  uint64_t frequency_hz() const { return frequency_hz_; }
  uint64_t mtime() const override;
  // A guest write to mtime.
  void set_mtime(uint64_t value);
  // Moves time forward to `target` (virtual time only: real time moves by itself).
  void skip_to(uint64_t target);
  // Host time until mtime reaches `target` (zero if it already has).
  std::chrono::nanoseconds until(uint64_t target) const;

  // Snapshots: the mode and rates must match. Virtual time resumes at exactly the saved mtime and
  // latched count; real time resumes at the saved mtime and runs on from the host clock.
  void save(StateWriter& out) const;
  void load(StateReader& in);

 private:
  uint64_t raw_ticks() const;

  Mode mode_;
  uint64_t frequency_hz_;
  uint64_t insns_per_tick_;
  std::vector<const Hart*> harts_;
  uint64_t latched_retired_ = 0;
  std::chrono::steady_clock::time_point start_;
  uint64_t offset_ = 0;  // mtime = raw_ticks() + offset_ (unsigned wrap-around is intended)
};

}  // namespace hartbox
