// The fleet's event log: what happened to which machine and when (lifecycle transitions,
// changes of scheduling parameters, notes), for users (`hartbox fleet`'s report, the control
// socket) rather than for debugging.
//
// Bounded: it keeps the newest `capacity` events and counts the ones it dropped. Every event gets
// a sequence number (1, 2, ...) that never repeats, so a reader can follow the log with since().
//
// Thread-safe: any thread may append and read. Owned by the Fleet; VirtualMachines hold a
// pointer to it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace hartbox {

using VmId = uint64_t;                   // 0 is never a machine: it marks fleet-wide events
inline constexpr VmId kNoVm = 0;

enum class EventKind : uint8_t {
  Created,             // a VM was created (state Created)
  Started,             // Created -> Running
  Paused,              // Running -> Paused
  Resumed,             // Paused -> Running
  Stopped,             // Running/Paused -> Stopped (detail: exit code, trap or "stopped by request")
  Failed,              // any -> Failed (detail: the reason)
  Destroyed,           // -> Destroyed
  ParametersChanged,   // weight, cap, reservation, priority or group weight (detail says which)
  Note,                // anything else worth telling a user
};
std::string_view to_string(EventKind kind);

struct Event {
  uint64_t sequence = 0;                            // 1, 2, ... in append order
  std::chrono::system_clock::time_point wall{};     // for people
  std::chrono::nanoseconds since_start{0};          // steady clock, since the log was made
  VmId vm = kNoVm;
  std::string vm_name{};                            // empty for fleet-wide events
  EventKind kind = EventKind::Note;
  std::string detail{};
};

class EventLog {
 public:
  static constexpr size_t kDefaultCapacity = 65536;
  explicit EventLog(size_t capacity = kDefaultCapacity);

  // Stamps the event (sequence, wall, since_start) and keeps it; returns its sequence number.
  uint64_t append(VmId vm, std::string vm_name, EventKind kind, std::string detail = {});

  // Every event still held, oldest first.
  std::vector<Event> snapshot() const;
  // The events newer than `sequence` that are still held, oldest first (since(0): all).
  std::vector<Event> since(uint64_t sequence) const;
  // Blocks until an event newer than `sequence` exists or `timeout` passes; returns the newest
  // sequence number (for a control socket that streams the log).
  uint64_t wait_newer(uint64_t sequence, std::chrono::nanoseconds timeout) const;

  uint64_t last_sequence() const;
  uint64_t dropped() const;  // events pushed out by the bound
  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  const std::chrono::steady_clock::time_point start_;
  mutable std::mutex mutex_;
  mutable std::condition_variable appended_;
  std::deque<Event> events_;
  uint64_t next_sequence_ = 1;
  uint64_t dropped_ = 0;
};

// One line for people: "12.345678 vm 3 (web-1) Stopped: exit code 0".
std::string format_event(const Event& event);

}  // namespace hartbox
