// Google's Goldfish RTC as on QEMU's `virt` board (hw/rtc/goldfish_rtc.c, at 0x101000 on
// IRQ 11): a 64-bit count of nanoseconds since the Unix epoch and one alarm.
//
//   0x00 TIME_LOW         read: low half of the time, latches the high half for TIME_HIGH
//   0x04 TIME_HIGH        read: the latched high half; write (either half): sets the time
//   0x08 ALARM_LOW        write: arms the alarm at (ALARM_HIGH << 32 | value)
//   0x0c ALARM_HIGH       the alarm's high half, used by the next ALARM_LOW write
//   0x10 IRQ_ENABLED      bit 0
//   0x14 CLEAR_ALARM      write: disarms the alarm
//   0x18 ALARM_STATUS     read: 1 while the alarm is armed and has not fired
//   0x1c CLEAR_INTERRUPT  write: acknowledges a fired alarm
//
// The interrupt line is high while a fired alarm is unacknowledged and IRQ_ENABLED is set.
// Time comes from a WallClock, so a run can be made reproducible (VirtualWallClock,
// FixedWallClock) or follow the host (HostWallClock, the default).
//
// A GoldfishRtc belongs to one machine and is used from the thread that runs it.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/bus.hpp"
#include "core/hart.hpp"
#include "devices/irq.hpp"

namespace hartbox {

class StateWriter;
class StateReader;

// A source of wall-clock time: nanoseconds since 1970-01-01T00:00:00Z.
class WallClock {
 public:
  virtual ~WallClock() = default;
  virtual uint64_t now_ns() const = 0;
};

// The host's realtime clock (CLOCK_REALTIME through std::chrono::system_clock).
class HostWallClock final : public WallClock {
 public:
  uint64_t now_ns() const override;
};

// Time that moves only when told: for tests and scripted runs.
class FixedWallClock final : public WallClock {
 public:
  explicit FixedWallClock(uint64_t start_ns = 0) : now_(start_ns) {}
  uint64_t now_ns() const override { return now_; }
  void set(uint64_t ns) { now_ = ns; }
  void advance(uint64_t ns) { now_ += ns; }

 private:
  uint64_t now_;
};

// Wall-clock time derived from the machine's virtual time (the CLINT's mtime), so that two runs
// of the same guest read the same dates: start_ns + mtime / timebase_hz seconds.
class VirtualWallClock final : public WallClock {
 public:
  // Throws std::invalid_argument unless 0 < timebase_hz <= 10 GHz.
  VirtualWallClock(const TimeSource& time, uint64_t timebase_hz, uint64_t start_ns);
  uint64_t now_ns() const override;

 private:
  const TimeSource& time_;
  uint64_t timebase_hz_;
  uint64_t start_ns_;
};

class GoldfishRtc final : public Device {
 public:
  // virt's memory map gives the RTC 0x1000 bytes; QEMU decodes the first 0x24 and accesses to
  // the rest fault there as they do here.
  static constexpr uint64_t kSize = 0x1000;

  enum Register : uint64_t { TIME_LOW = 0x00, TIME_HIGH = 0x04, ALARM_LOW = 0x08, ALARM_HIGH = 0x0c,
                             IRQ_ENABLED = 0x10, CLEAR_ALARM = 0x14, ALARM_STATUS = 0x18,
                             CLEAR_INTERRUPT = 0x1c };

  // Reads time from `clock`, which must outlive the device.
  GoldfishRtc(const WallClock& clock, IrqLine irq);
  // Reads time from the host's realtime clock (owned by the device).
  explicit GoldfishRtc(IrqLine irq);
  GoldfishRtc(const GoldfishRtc&) = delete;
  GoldfishRtc& operator=(const GoldfishRtc&) = delete;

  std::string_view name() const override { return "goldfish_rtc"; }
  // Naturally aligned 32-bit accesses only, as QEMU (valid.min/max_access_size 4); anything
  // else faults. Offsets below 0x24 that name no register read 0 and ignore writes.
  bool read(uint64_t offset, unsigned size, uint64_t& value) override;
  bool write(uint64_t offset, unsigned size, uint64_t value) override;

  // Fires the alarm if its time has come. Called by the board between slices; register
  // accesses check too, so a guest polling ALARM_STATUS sees the alarm fire on time.
  void poll();

  // The clock time (WallClock::now_ns()) at which the armed alarm fires, or UINT64_MAX if none
  // is armed: a board whose harts all wait can sleep until then.
  uint64_t next_deadline_ns() const;

  // QEMU's reset: alarm disarmed, interrupt cleared and disabled, line lowered. The time of day
  // is kept.
  void reset();

  // The guest-visible time: the clock plus whatever offset the guest set.
  uint64_t now_ns() const { return clock_.now_ns() + offset_; }
  bool irq_level() const { return line_; }

  // Snapshots. The guest's time resumes where it was when the snapshot was taken (the time the
  // snapshot spent on disk does not pass for the guest, as for the machine's mtime); the alarm
  // and interrupt state come back as they were, and load() does not drive the line (the PLIC's
  // snapshot holds its level).
  void save(StateWriter& out) const;
  void load(StateReader& in);

 private:
  void check_alarm();
  void fire();
  void update_irq();

  HostWallClock host_clock_;
  const WallClock& clock_;
  IrqLine irq_;
  uint64_t offset_ = 0;  // guest time - clock time, modulo 2^64
  uint64_t alarm_ = 0;
  uint32_t time_high_ = 0;
  bool alarm_running_ = false;
  bool irq_pending_ = false;
  bool irq_enabled_ = false;
  bool line_ = false;
};

}  // namespace hartbox
