// Looking inside a run from the command line: --trace (with filters), --stats, --stats-json and
// --profile. Builds the observers, attaches them to a machine, and writes the results at exit.
#pragma once

#include <boost/program_options.hpp>
#include <cstdio>
#include <memory>
#include <string>

#include "core/engines/observer_fanout.hpp"
#include "core/engines/profiler.hpp"
#include "core/engines/statistics.hpp"
#include "core/engines/trace_writer.hpp"
#include "devices/machine.hpp"

namespace hartbox::cli {

void add_inspection_options(boost::program_options::options_description& options);

class Inspection {
 public:
  // Reads the options; throws UsageError on a bad value.
  explicit Inspection(const boost::program_options::variables_map& vm);
  ~Inspection();
  Inspection(const Inspection&) = delete;
  Inspection& operator=(const Inspection&) = delete;

  // Opens output files and attaches the observers (after the program is loaded, so the profile
  // can be symbolised). Throws std::runtime_error if a file cannot be opened.
  void attach(Machine& machine);
  // Writes --stats, --stats-json and --profile; closes the trace file.
  void finish(Machine& machine, const RunOutcome& outcome, double seconds);
  // What attach() put on the engines (null: nothing), for callers that drive the machine
  // themselves, such as the gdb server.
  ExecutionObserver* observer() { return fanout_.attachable(); }

 private:
  bool trace_ = false, stats_ = false;
  std::string trace_path_, stats_json_path_, profile_path_;
  TraceFilter filter_;
  std::FILE* trace_file_ = nullptr;
  std::unique_ptr<TraceWriter> tracer_;
  std::unique_ptr<ExecutionStatistics> statistics_;
  std::unique_ptr<Profiler> profiler_;
  ObserverFanout fanout_;
};

}  // namespace hartbox::cli
