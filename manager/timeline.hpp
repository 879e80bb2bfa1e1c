// `hartbox fleet --timeline out.json`: what every host worker thread ran, slice by slice, as a
// Chrome trace-event file (the "JSON Object Format" of the Trace Event Format document), which
// Perfetto (ui.perfetto.dev) and chrome://tracing open.
//
//   pid 1, tid 0       "fleet": one instant event ("ph":"i") per entry of the fleet's event log
//                      (created, started, paused, parameters changed, ...)
//   pid 1, tid w + 1   "worker w": a complete event ("ph":"X") per slice, named after the
//                      machine, with its instructions and why it ended in "args"; an instant
//                      event where a slice ended the machine's run (exit, trap, failure, pause,
//                      stop)
//   pid 2              "machines", with set_machine_detail(true) (`hartbox fleet
//                      --timeline-detail`): per machine, counters sampled at the end of each
//                      of its slices: "<vm> traps" (traps and interrupts taken in the slice)
//                      and "<vm> block cache" (blocks built, blocks invalidated)
//   "ph":"M" metadata  names the process and the tracks and orders them
//
// Times are microseconds since the Timeline was made (steady clock). Event-log entries carry a
// wall-clock time, placed on the same axis through an anchor taken at construction.
//
// Threads: on_slice() may be called from every worker at once; the rest from any one thread.
// Memory is bounded: past `max_slices` slices are counted, not kept (the file says how many).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "manager/event_log.hpp"
#include "manager/worker_pool.hpp"

namespace hartbox {

class Timeline {
 public:
  static constexpr size_t kDefaultMaxSlices = 1'000'000;  // about 80 MB
  explicit Timeline(size_t max_slices = kDefaultMaxSlices);

  // Also write each machine's traps and block-cache activity as counter tracks.
  void set_machine_detail(bool on) { machine_detail_ = on; }
  // The name slices of `vm` are shown with (before or after its slices arrive).
  void name_vm(VmId vm, const std::string& name);
  // The per-slice hook (any worker thread).
  void on_slice(const SliceRecord& slice);
  // Entries of the fleet's event log, for the "fleet" track.
  void add_events(const std::vector<Event>& events);

  size_t slices() const;
  uint64_t dropped_slices() const;

  // The whole trace, with tracks for `workers` worker threads.
  nlohmann::json to_json(unsigned workers) const;
  // Writes to_json() to `path`; throws std::runtime_error naming the file on failure.
  void write(const std::filesystem::path& path, unsigned workers) const;

 private:
  double micros(std::chrono::steady_clock::time_point t) const;

  const size_t max_slices_;
  const std::chrono::steady_clock::time_point epoch_;
  const std::chrono::system_clock::time_point wall_epoch_;
  mutable std::mutex mutex_;
  std::vector<SliceRecord> slices_;
  uint64_t dropped_ = 0;
  std::vector<Event> events_;
  std::unordered_map<VmId, std::string> names_;
  bool machine_detail_ = false;
};

}  // namespace hartbox
