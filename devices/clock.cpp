#include "devices/clock.hpp"

#include <algorithm>
#include <cstdint>

#include "core/state_io.hpp"

namespace hartbox {

namespace {
__extension__ typedef unsigned __int128 u128;  // GCC/Clang extension: exact 64x64 products
}  // namespace

MachineClock::MachineClock(Mode mode, uint64_t frequency_hz, uint64_t insns_per_tick)
    : mode_(mode), frequency_hz_(frequency_hz ? frequency_hz : kDefaultFrequencyHz),
      insns_per_tick_(insns_per_tick ? insns_per_tick : 1), start_(std::chrono::steady_clock::now()) {}

uint64_t MachineClock::raw_ticks() const {
  if (mode_ == Mode::Real) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_);
    return static_cast<uint64_t>((static_cast<u128>(ns.count()) * frequency_hz_) / 1'000'000'000u);
  }
  return latched_retired_ / insns_per_tick_;
}

void MachineClock::latch() {
  uint64_t retired = 0;
  for (const Hart* hart : harts_) retired += hart->retired();
  latched_retired_ = retired;
}

uint64_t MachineClock::mtime() const { return raw_ticks() + offset_; }

void MachineClock::set_mtime(uint64_t value) { offset_ = value - raw_ticks(); }

void MachineClock::skip_to(uint64_t target) {
  if (mode_ == Mode::Virtual && target > mtime()) offset_ += target - mtime();
}

std::chrono::nanoseconds MachineClock::until(uint64_t target) const {
  const uint64_t now = mtime();
  if (target <= now) return std::chrono::nanoseconds{0};
  const uint64_t ticks = target - now;
  return std::chrono::nanoseconds{
      static_cast<int64_t>(std::min<u128>((static_cast<u128>(ticks) * 1'000'000'000u) /
                                                           frequency_hz_,
                                                       INT64_MAX))};
}

void MachineClock::save(StateWriter& out) const {
  out.begin_section(state_tag("CLOK"));
  out.u8(mode_ == Mode::Real ? 1 : 0);
  out.u64(frequency_hz_);
  out.u64(insns_per_tick_);
  out.u64(latched_retired_);
  out.u64(offset_);
  out.u64(mtime());
  out.end_section();
}

void MachineClock::load(StateReader& in) {
  in.begin_section(state_tag("CLOK"));
  const bool real = in.u8() != 0;
  const uint64_t frequency = in.u64(), insns_per_tick = in.u64();
  in.expect(real == (mode_ == Mode::Real), "the snapshot's clock mode differs from this machine's");
  in.expect(frequency == frequency_hz_ && insns_per_tick == insns_per_tick_,
            "the snapshot's timebase differs from this machine's");
  latched_retired_ = in.u64();
  offset_ = in.u64();
  const uint64_t saved_mtime = in.u64();
  in.end_section();
  if (mode_ == Mode::Real) set_mtime(saved_mtime);
}

}  // namespace hartbox
