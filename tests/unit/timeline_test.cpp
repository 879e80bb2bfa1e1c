// Tests for manager/timeline: the Chrome trace-event JSON has the shape Perfetto and
// chrome://tracing read (traceEvents, metadata naming every track, complete events with ts and
// dur in microseconds, thread-scoped instants), and is bounded.
#include <catch2/catch_approx.hpp>
#include <catch2/catch_test_macros.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "manager/timeline.hpp"

using namespace hartbox;
using Catch::Approx;
using nlohmann::json;

namespace {

SliceRecord slice(unsigned worker, VmId vm, std::chrono::steady_clock::time_point start, int micros,
                  SliceEnd reason = SliceEnd::Budget) {
  SliceRecord s;
  s.worker = worker;
  s.vm = vm;
  s.start = start;
  s.end = start + std::chrono::microseconds(micros);
  s.steps = 1000;
  s.instructions = 990;
  s.reason = reason;
  return s;
}

std::vector<json> events_with(const json& trace, const std::string& ph) {
  std::vector<json> out;
  for (const json& e : trace["traceEvents"])
    if (e["ph"] == ph) out.push_back(e);
  return out;
}

}  // namespace

TEST_CASE("timeline: trace-event JSON shape", "[timeline]") {
  Timeline timeline;
  timeline.name_vm(1, "web");
  timeline.name_vm(2, "db");
  const auto t0 = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
  timeline.on_slice(slice(0, 1, t0, 500));
  timeline.on_slice(slice(1, 2, t0 + std::chrono::microseconds(100), 250, SliceEnd::Wait));
  SliceRecord exiting = slice(0, 2, t0 + std::chrono::milliseconds(2), 40, SliceEnd::Exited);
  exiting.latency = std::chrono::microseconds(30);
  timeline.on_slice(exiting);
  timeline.on_slice(slice(0, 3, t0 + std::chrono::milliseconds(3), 10));  // never named
  Event created;
  created.sequence = 1;
  created.wall = std::chrono::system_clock::now();
  created.vm = 1;
  created.vm_name = "web";
  created.kind = EventKind::Started;
  timeline.add_events({created});

  const json trace = timeline.to_json(2);
  REQUIRE(trace.contains("traceEvents"));
  REQUIRE(trace["traceEvents"].is_array());
  CHECK(trace["displayTimeUnit"] == "ms");
  CHECK(trace["otherData"]["dropped_slices"] == 0);

  // Metadata: the process and one named track per worker, plus the fleet's.
  std::set<std::pair<int, std::string>> threads;
  for (const json& m : events_with(trace, "M")) {
    CHECK(m["pid"] == 1);
    REQUIRE(m.contains("args"));
    if (m["name"] == "thread_name") threads.insert({m["tid"].get<int>(), m["args"]["name"].get<std::string>()});
  }
  CHECK(threads == std::set<std::pair<int, std::string>>{{0, "fleet"}, {1, "worker 0"}, {2, "worker 1"}});

  // One complete event per slice, on its worker's track, named after the machine.
  const auto slices = events_with(trace, "X");
  REQUIRE(slices.size() == 4);
  for (const json& x : slices) {
    for (const char* key : {"name", "cat", "ph", "pid", "tid", "ts", "dur", "args"}) CHECK(x.contains(key));
    CHECK(x["ts"].is_number());
    CHECK(x["dur"].get<double>() >= 0);
  }
  CHECK(slices[0]["name"] == "web");
  CHECK(slices[0]["tid"] == 1);
  CHECK(slices[0]["dur"].get<double>() == Approx(500));
  CHECK(slices[1]["name"] == "db");
  CHECK(slices[1]["tid"] == 2);
  CHECK(slices[1]["ts"].get<double>() - slices[0]["ts"].get<double>() == Approx(100));
  CHECK(slices[1]["args"]["end"] == std::string(to_string(SliceEnd::Wait)));
  CHECK(slices[2]["args"]["latency_us"].get<double>() == Approx(30));
  CHECK(slices[2]["args"]["instructions"] == 990);
  CHECK(slices[3]["name"] == "vm3");

  // Instants: the exit (on the worker's track) and the event-log entry (on the fleet's).
  const auto instants = events_with(trace, "i");
  REQUIRE(instants.size() == 2);
  for (const json& i : instants) {
    CHECK(i["s"] == "t");
    CHECK(i["ts"].is_number());
  }
  CHECK(instants[0]["tid"] == 1);
  CHECK(instants[0]["name"].get<std::string>().rfind("db ", 0) == 0);
  CHECK(instants[1]["tid"] == 0);
  CHECK(instants[1]["name"] == "web " + std::string(to_string(EventKind::Started)));
}

TEST_CASE("timeline: bounded, thread-safe, written to a file", "[timeline]") {
  Timeline timeline(1000);
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (unsigned w = 0; w < 4; ++w)
    workers.emplace_back([&, w] {
      for (int i = 0; i < 500; ++i) timeline.on_slice(slice(w, w + 1, t0 + std::chrono::microseconds(i), 1));
    });
  for (auto& t : workers) t.join();
  CHECK(timeline.slices() == 1000);
  CHECK(timeline.dropped_slices() == 1000);

  const auto path = std::filesystem::temp_directory_path() / ("hartbox_timeline_" + std::to_string(::getpid()) + ".json");
  timeline.write(path, 4);
  std::ifstream in(path);
  const json trace = json::parse(in);
  CHECK(events_with(trace, "X").size() == 1000);
  CHECK(trace["otherData"]["dropped_slices"] == 1000);
  std::filesystem::remove(path);
  CHECK_THROWS_AS(timeline.write("/nonexistent-dir/t.json", 4), std::runtime_error);
}

TEST_CASE("timeline: with machine detail, each machine's traps and block cache are counter tracks",
          "[timeline]") {
  const auto t0 = std::chrono::steady_clock::now() + std::chrono::milliseconds(1);
  SliceRecord busy = slice(0, 1, t0, 500);
  busy.traps = 7;
  busy.blocks_built = 12;
  busy.block_invalidations = 3;
  SliceRecord quiet = slice(1, 2, t0 + std::chrono::microseconds(100), 250);

  Timeline plain;
  plain.on_slice(busy);
  CHECK(events_with(plain.to_json(2), "C").empty());  // only when asked

  Timeline detailed;
  detailed.set_machine_detail(true);
  detailed.name_vm(1, "web");
  detailed.on_slice(busy);
  detailed.on_slice(quiet);
  const json trace = detailed.to_json(2);
  const std::vector<json> counters = events_with(trace, "C");
  REQUIRE(counters.size() == 4);  // two tracks for each of the two slices
  bool saw_traps = false, saw_cache = false;
  for (const json& c : counters) {
    CHECK(c["pid"] == 2);
    if (c["name"] == "web traps") {
      saw_traps = true;
      CHECK(c["args"]["traps"] == 7);
      // Sampled where the machine's slice ends.
      for (const json& x : events_with(trace, "X"))
        if (x["name"] == "web")
          CHECK(c["ts"].get<double>() == Approx(x["ts"].get<double>() + x["dur"].get<double>()));
    }
    if (c["name"] == "web block cache") {
      saw_cache = true;
      CHECK(c["args"]["built"] == 12);
      CHECK(c["args"]["invalidated"] == 3);
    }
    if (c["name"] == "vm2 traps") CHECK(c["args"]["traps"] == 0);
  }
  CHECK(saw_traps);
  CHECK(saw_cache);
  bool named = false;
  for (const json& m : events_with(trace, "M"))
    if (m["pid"] == 2 && m["name"] == "process_name") named = m["args"]["name"] == "machines";
  CHECK(named);
}
