#include "manager/event_log.hpp"

#include <cinttypes>
#include <cstdio>

namespace hartbox {

std::string_view to_string(EventKind kind) {
  switch (kind) {
    case EventKind::Created: return "Created";
    case EventKind::Started: return "Started";
    case EventKind::Paused: return "Paused";
    case EventKind::Resumed: return "Resumed";
    case EventKind::Stopped: return "Stopped";
    case EventKind::Failed: return "Failed";
    case EventKind::Destroyed: return "Destroyed";
    case EventKind::ParametersChanged: return "ParametersChanged";
    case EventKind::Note: return "Note";
  }
  return "?";
}

EventLog::EventLog(size_t capacity)
    : capacity_(capacity ? capacity : 1), start_(std::chrono::steady_clock::now()) {}

uint64_t EventLog::append(VmId vm, std::string vm_name, EventKind kind, std::string detail) {
  Event event;
  event.wall = std::chrono::system_clock::now();
  event.vm = vm;
  event.vm_name = std::move(vm_name);
  event.kind = kind;
  event.detail = std::move(detail);
  uint64_t sequence;
  {
    std::lock_guard lock(mutex_);
    // Stamped under the lock, so since_start never goes backwards along the sequence.
    event.since_start = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_);
    sequence = event.sequence = next_sequence_++;
    if (events_.size() == capacity_) {
      events_.pop_front();
      ++dropped_;
    }
    events_.push_back(std::move(event));
  }
  appended_.notify_all();
  return sequence;
}

std::vector<Event> EventLog::snapshot() const { return since(0); }

std::vector<Event> EventLog::since(uint64_t sequence) const {
  std::lock_guard lock(mutex_);
  std::vector<Event> out;
  if (events_.empty() || events_.back().sequence <= sequence) return out;
  // Sequences are consecutive, so the first newer event's index is a subtraction.
  const uint64_t first = events_.front().sequence;
  const size_t skip = sequence >= first ? static_cast<size_t>(sequence - first + 1) : 0;
  out.assign(events_.begin() + static_cast<std::ptrdiff_t>(skip), events_.end());
  return out;
}

uint64_t EventLog::wait_newer(uint64_t sequence, std::chrono::nanoseconds timeout) const {
  std::unique_lock lock(mutex_);
  appended_.wait_for(lock, timeout, [&] { return next_sequence_ - 1 > sequence; });
  return next_sequence_ - 1;
}

uint64_t EventLog::last_sequence() const {
  std::lock_guard lock(mutex_);
  return next_sequence_ - 1;
}

uint64_t EventLog::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

std::string format_event(const Event& event) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(event.since_start).count();
  char head[96];
  if (event.vm == kNoVm)
    std::snprintf(head, sizeof head, "%" PRId64 ".%06" PRId64 " fleet", static_cast<int64_t>(us / 1'000'000),
                  static_cast<int64_t>(us % 1'000'000));
  else
    std::snprintf(head, sizeof head, "%" PRId64 ".%06" PRId64 " vm %" PRIu64, static_cast<int64_t>(us / 1'000'000),
                  static_cast<int64_t>(us % 1'000'000), event.vm);
  std::string line = head;
  if (!event.vm_name.empty()) line += " (" + event.vm_name + ")";
  line += ' ';
  line += to_string(event.kind);
  if (!event.detail.empty()) line += ": " + event.detail;
  return line;
}

}  // namespace hartbox
