// A live status table of a running fleet on a terminal, like top(1): about twice a second the
// screen is redrawn (ANSI: cursor home, clear to the end) with each machine's state, its share
// of a host thread over the last interval against its entitlement, its speed (MIPS), wake-ups
// and latency, plus the newest console lines of the guests underneath.
//
// Only when the output is a terminal: otherwise StatusTable does nothing (a report in a file or
// a pipe stays clean). The last table stays on the screen when it stops.
//
// Threads: StatusTable runs its own thread, which reads the Fleet (thread-safe) and the
// ReportCollector; render_status() is a pure function for tests.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "manager/fleet.hpp"
#include "manager/report.hpp"

namespace hartbox {

struct StatusRow {
  std::string name, group;
  std::string state;       // "running", "parked", "throttled", "paused", "stopped", ...
  double share = 0;        // threads, over the last interval
  double entitlement = 0;  // threads
  double mips = 0;         // over the last interval
  uint64_t instructions = 0;
  uint64_t wakeups = 0;
  std::chrono::nanoseconds p99{0};
};

// The screen's text (no escape sequences), each line at most `width` columns.
std::string render_status(const std::string& title, const std::vector<StatusRow>& rows,
                          const std::vector<std::string>& footer, unsigned width);

class StatusTable {
 public:
  // Newest console lines to show under the table (may be null).
  using RecentOutput = std::function<std::vector<std::string>(size_t max_lines)>;

  // Starts only if `out` is a terminal (see active()).
  // `group_weights`: as given to the Fleet (absent: 100), for the entitlements.
  StatusTable(const Fleet& fleet, const ReportCollector* collector, std::FILE* out, std::string title,
              std::map<std::string, uint32_t, std::less<>> group_weights = {}, RecentOutput recent = {},
              std::chrono::milliseconds period = std::chrono::milliseconds(500));
  ~StatusTable();  // stop()
  StatusTable(const StatusTable&) = delete;
  StatusTable& operator=(const StatusTable&) = delete;

  bool active() const { return thread_.joinable(); }
  // Draws one last time and stops the thread.
  void stop();
  // True if `out` is a terminal.
  static bool is_terminal(std::FILE* out);

 private:
  void run();
  void draw();

  const Fleet& fleet_;
  const ReportCollector* collector_;
  std::FILE* out_;
  std::string title_;
  std::map<std::string, uint32_t, std::less<>> group_weights_;
  RecentOutput recent_;
  std::chrono::milliseconds period_;
  std::chrono::steady_clock::time_point start_;

  // Previous sample, per VM (only the drawing thread touches these).
  struct Sample {
    std::chrono::nanoseconds cpu{0}, parked{0};
    uint64_t instructions = 0;
  };
  std::map<VmId, Sample> previous_;
  std::vector<std::chrono::nanoseconds> previous_busy_;  // per worker
  std::chrono::steady_clock::time_point previous_time_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hartbox
