#include "devices/goldfish_rtc.hpp"

#include <chrono>
#include <limits>
#include <stdexcept>

#include "core/state_io.hpp"

namespace hartbox {

namespace {
constexpr uint64_t kDecodedBytes = 0x24;  // QEMU's goldfish_rtc region
constexpr uint64_t kNsPerSecond = 1'000'000'000;

uint64_t deposit_low(uint64_t word, uint64_t low) { return (word & ~uint64_t{0xffff'ffff}) | (low & 0xffff'ffff); }
uint64_t deposit_high(uint64_t word, uint64_t high) { return (word & 0xffff'ffff) | (high << 32); }
}  // namespace

uint64_t HostWallClock::now_ns() const {
  const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count();
  return ns > 0 ? static_cast<uint64_t>(ns) : 0;  // a host clock set before 1970 reads as 1970
}

VirtualWallClock::VirtualWallClock(const TimeSource& time, uint64_t timebase_hz, uint64_t start_ns)
    : time_(time), timebase_hz_(timebase_hz), start_ns_(start_ns) {
  // The remainder term below multiplies a value below timebase_hz by 10^9 in 64 bits.
  if (timebase_hz == 0 || timebase_hz > 10'000'000'000ull)
    throw std::invalid_argument("virtual wall clock: timebase must be between 1 Hz and 10 GHz");
}

uint64_t VirtualWallClock::now_ns() const {
  const uint64_t ticks = time_.mtime();
  return start_ns_ + ticks / timebase_hz_ * kNsPerSecond + ticks % timebase_hz_ * kNsPerSecond / timebase_hz_;
}

GoldfishRtc::GoldfishRtc(const WallClock& clock, IrqLine irq) : clock_(clock), irq_(irq) { reset(); }

GoldfishRtc::GoldfishRtc(IrqLine irq) : clock_(host_clock_), irq_(irq) { reset(); }

void GoldfishRtc::reset() {
  alarm_ = 0;
  alarm_running_ = false;
  irq_pending_ = false;
  irq_enabled_ = false;
  line_ = false;
  irq_.set(false);
}

bool GoldfishRtc::read(uint64_t offset, unsigned size, uint64_t& value) {
  if (size != 4 || offset % 4 != 0 || offset >= kDecodedBytes) return false;
  check_alarm();
  switch (offset) {
    case TIME_LOW: {
      const uint64_t now = now_ns();
      time_high_ = static_cast<uint32_t>(now >> 32);
      value = now & 0xffff'ffff;
      break;
    }
    case TIME_HIGH: value = time_high_; break;
    case ALARM_LOW: value = alarm_ & 0xffff'ffff; break;
    case ALARM_HIGH: value = alarm_ >> 32; break;
    case IRQ_ENABLED: value = irq_enabled_ ? 1 : 0; break;
    case ALARM_STATUS: value = alarm_running_ ? 1 : 0; break;
    default: value = 0; break;  // CLEAR_* and 0x20 read as zero
  }
  return true;
}

bool GoldfishRtc::write(uint64_t offset, unsigned size, uint64_t value) {
  if (size != 4 || offset % 4 != 0 || offset >= kDecodedBytes) return false;
  check_alarm();
  switch (offset) {
    case TIME_LOW:
    case TIME_HIGH: {
      // Setting the time moves the offset, so the clock keeps running from the new value.
      const uint64_t now = now_ns();
      const uint64_t wanted = offset == TIME_LOW ? deposit_low(now, value) : deposit_high(now, value);
      offset_ += wanted - now;  // modulo 2^64
      check_alarm();
      break;
    }
    case ALARM_LOW:
      alarm_ = deposit_low(alarm_, value);
      // An alarm already in the past fires at once (QEMU's goldfish_rtc_set_alarm()).
      alarm_running_ = true;
      check_alarm();
      break;
    case ALARM_HIGH: alarm_ = deposit_high(alarm_, value); break;
    case IRQ_ENABLED:
      irq_enabled_ = (value & 1) != 0;
      update_irq();
      break;
    case CLEAR_ALARM: alarm_running_ = false; break;
    case CLEAR_INTERRUPT:
      irq_pending_ = false;
      update_irq();
      break;
    default: break;
  }
  return true;
}

void GoldfishRtc::poll() { check_alarm(); }

uint64_t GoldfishRtc::next_deadline_ns() const {
  if (!alarm_running_) return std::numeric_limits<uint64_t>::max();
  return alarm_ - offset_;  // the clock time at which now_ns() reaches the alarm
}

void GoldfishRtc::check_alarm() {
  if (alarm_running_ && now_ns() >= alarm_) fire();
}

void GoldfishRtc::fire() {
  alarm_running_ = false;
  irq_pending_ = true;
  update_irq();
}

void GoldfishRtc::update_irq() {
  const bool level = irq_pending_ && irq_enabled_;
  if (level != line_) {
    line_ = level;
    irq_.set(level);
  }
}

void GoldfishRtc::save(StateWriter& out) const {
  out.begin_section(state_tag("RTC "));
  out.u64(now_ns());
  out.u64(alarm_);
  out.u32(time_high_);
  out.boolean(alarm_running_);
  out.boolean(irq_pending_);
  out.boolean(irq_enabled_);
  out.boolean(line_);
  out.end_section();
}

void GoldfishRtc::load(StateReader& in) {
  in.begin_section(state_tag("RTC "));
  const uint64_t guest_now = in.u64();
  offset_ = guest_now - clock_.now_ns();  // modulo 2^64, as offset_ always is
  alarm_ = in.u64();
  time_high_ = in.u32();
  alarm_running_ = in.boolean();
  irq_pending_ = in.boolean();
  irq_enabled_ = in.boolean();
  line_ = in.boolean();
  in.end_section();
}

}  // namespace hartbox
