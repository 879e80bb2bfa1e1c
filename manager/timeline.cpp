#include "manager/timeline.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

namespace hartbox {

namespace {

constexpr int kPid = 1;
constexpr int kMachinesPid = 2;  // the machines' counters (set_machine_detail)
constexpr int kFleetTrack = 0;

int worker_track(unsigned worker) { return static_cast<int>(worker) + 1; }

bool ends_run(SliceEnd end) {
  switch (end) {
    case SliceEnd::Exited:
    case SliceEnd::Trapped:
    case SliceEnd::Failed:
    case SliceEnd::Paused:
    case SliceEnd::Stopped: return true;
    case SliceEnd::Budget:
    case SliceEnd::Wait:
    case SliceEnd::Throttled: return false;
  }
  return false;
}

nlohmann::json metadata(const char* what, int tid, nlohmann::json args) {
  return {{"name", what}, {"ph", "M"}, {"pid", kPid}, {"tid", tid}, {"args", std::move(args)}};
}

}  // namespace

Timeline::Timeline(size_t max_slices)
    : max_slices_(max_slices), epoch_(std::chrono::steady_clock::now()), wall_epoch_(std::chrono::system_clock::now()) {}

void Timeline::name_vm(VmId vm, const std::string& name) {
  std::lock_guard lock(mutex_);
  names_[vm] = name;
}

void Timeline::on_slice(const SliceRecord& slice) {
  std::lock_guard lock(mutex_);
  if (slices_.size() >= max_slices_) {
    ++dropped_;
    return;
  }
  slices_.push_back(slice);
}

void Timeline::add_events(const std::vector<Event>& events) {
  std::lock_guard lock(mutex_);
  events_.insert(events_.end(), events.begin(), events.end());
}

size_t Timeline::slices() const {
  std::lock_guard lock(mutex_);
  return slices_.size();
}

uint64_t Timeline::dropped_slices() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

double Timeline::micros(std::chrono::steady_clock::time_point t) const {
  return std::chrono::duration<double, std::micro>(t - epoch_).count();
}

nlohmann::json Timeline::to_json(unsigned workers) const {
  using nlohmann::json;
  std::lock_guard lock(mutex_);
  json events = json::array();
  events.push_back(metadata("process_name", kFleetTrack, {{"name", "hartbox fleet"}}));
  events.push_back(metadata("thread_name", kFleetTrack, {{"name", "fleet"}}));
  events.push_back(metadata("thread_sort_index", kFleetTrack, {{"sort_index", 0}}));
  if (machine_detail_)
    events.push_back({{"name", "process_name"}, {"ph", "M"}, {"pid", kMachinesPid}, {"args", {{"name", "machines"}}}});
  unsigned tracks = workers;
  for (const SliceRecord& s : slices_) tracks = std::max(tracks, s.worker + 1);
  for (unsigned w = 0; w < tracks; ++w) {
    events.push_back(metadata("thread_name", worker_track(w), {{"name", "worker " + std::to_string(w)}}));
    events.push_back(metadata("thread_sort_index", worker_track(w), {{"sort_index", w + 1}}));
  }

  auto name_of = [&](VmId vm) {
    auto it = names_.find(vm);
    return it != names_.end() ? it->second : "vm" + std::to_string(vm);
  };
  for (const SliceRecord& s : slices_) {
    json args = {{"vm", s.vm},
                 {"instructions", s.instructions},
                 {"steps", s.steps},
                 {"end", std::string(to_string(s.reason))}};
    if (s.latency) args["latency_us"] = static_cast<double>(s.latency->count()) / 1e3;
    const double start = micros(s.start);
    events.push_back({{"name", name_of(s.vm)},
                      {"cat", "slice"},
                      {"ph", "X"},
                      {"pid", kPid},
                      {"tid", worker_track(s.worker)},
                      {"ts", start},
                      {"dur", std::max(0.0, micros(s.end) - start)},
                      {"args", std::move(args)}});
    if (machine_detail_) {
      const double end = micros(s.end);
      events.push_back({{"name", name_of(s.vm) + " traps"},
                        {"cat", "machine"},
                        {"ph", "C"},
                        {"pid", kMachinesPid},
                        {"ts", end},
                        {"args", {{"traps", s.traps}}}});
      events.push_back({{"name", name_of(s.vm) + " block cache"},
                        {"cat", "machine"},
                        {"ph", "C"},
                        {"pid", kMachinesPid},
                        {"ts", end},
                        {"args", {{"built", s.blocks_built}, {"invalidated", s.block_invalidations}}}});
    }
    if (ends_run(s.reason)) {
      events.push_back({{"name", name_of(s.vm) + " " + std::string(to_string(s.reason))},
                        {"cat", "lifecycle"},
                        {"ph", "i"},
                        {"s", "t"},
                        {"pid", kPid},
                        {"tid", worker_track(s.worker)},
                        {"ts", micros(s.end)}});
    }
  }
  for (const Event& e : events_) {
    const double ts = std::chrono::duration<double, std::micro>(e.wall - wall_epoch_).count();
    const std::string who = e.vm_name.empty() ? "fleet" : e.vm_name;
    events.push_back({{"name", who + " " + std::string(to_string(e.kind))},
                      {"cat", "lifecycle"},
                      {"ph", "i"},
                      {"s", "t"},
                      {"pid", kPid},
                      {"tid", kFleetTrack},
                      {"ts", std::max(0.0, ts)},
                      {"args", {{"vm", e.vm}, {"sequence", e.sequence}, {"detail", e.detail}}}});
  }
  return {{"traceEvents", std::move(events)},
          {"displayTimeUnit", "ms"},
          {"otherData", {{"generator", "hartbox fleet"}, {"dropped_slices", dropped_}}}};
}

void Timeline::write(const std::filesystem::path& path, unsigned workers) const {
  const std::string text = to_json(workers).dump();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error(path.string() + ": cannot create: " + std::strerror(errno));
  out << text << '\n';
  if (!out.flush()) throw std::runtime_error(path.string() + ": write failed");
}

}  // namespace hartbox
