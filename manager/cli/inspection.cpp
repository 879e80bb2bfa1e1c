#include "manager/cli/inspection.hpp"

#include <cerrno>
#include <cinttypes>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/engines/block.hpp"
#include "core/isa/disassembler.hpp"
#include "manager/cli/parse.hpp"

namespace po = boost::program_options;

namespace hartbox::cli {

void add_inspection_options(po::options_description& options) {
  // clang-format off
  options.add_options()
    ("trace", "print every retired instruction (pc, bits, disassembly, register written), and mark traps, "
              "interrupts, privilege changes and MMIO accesses")
    ("trace-file", po::value<std::string>(), "write the trace to this file instead of stderr (implies --trace)")
    ("trace-range", po::value<std::string>(), "trace only pcs in [A, B): A:B (implies --trace)")
    ("trace-priv", po::value<std::string>(), "trace only these modes, e.g. U or S,U (implies --trace)")
    ("trace-first", po::value<uint64_t>(), "trace only the first N lines (implies --trace)")
    ("trace-traps", "trace traps and interrupts only (implies --trace)")
    ("stats", "at exit, print instructions by class, the hottest blocks, block-cache and TLB counters, traps "
              "by cause, time and MIPS (to stderr)")
    ("stats-json", po::value<std::string>(), "write the same statistics as JSON to this file")
    ("profile", po::value<std::string>(),
     "write a folded-stack profile of guest code (symbolised from the ELF) for flame-graph viewers");
  // clang-format on
}

Inspection::Inspection(const po::variables_map& vm) {
  trace_ = vm.count("trace") || vm.count("trace-file") || vm.count("trace-range") || vm.count("trace-priv") ||
           vm.count("trace-first") || vm.count("trace-traps");
  if (vm.count("trace-file")) trace_path_ = vm["trace-file"].as<std::string>();
  if (vm.count("trace-range")) {
    const std::string range = vm["trace-range"].as<std::string>();
    const auto colon = range.find(':');
    if (colon == std::string::npos) throw UsageError("--trace-range expects A:B, got '" + range + "'");
    filter_.low = parse_address(range.substr(0, colon), "--trace-range");
    filter_.high = parse_address(range.substr(colon + 1), "--trace-range");
  }
  if (vm.count("trace-priv")) {
    filter_.privilege_mask = 0;
    for (char c : vm["trace-priv"].as<std::string>()) {
      if (c == 'U' || c == 'u') filter_.privilege_mask |= 1;
      else if (c == 'S' || c == 's') filter_.privilege_mask |= 2;
      else if (c == 'M' || c == 'm') filter_.privilege_mask |= 8;
      else if (c != ',') throw UsageError("--trace-priv takes M, S and U, e.g. S,U");
    }
  }
  if (vm.count("trace-first")) filter_.max_instructions = vm["trace-first"].as<uint64_t>();
  filter_.traps_only = vm.count("trace-traps") != 0;
  stats_ = vm.count("stats") != 0;
  if (vm.count("stats-json")) stats_json_path_ = vm["stats-json"].as<std::string>();
  if (vm.count("profile")) profile_path_ = vm["profile"].as<std::string>();
}

Inspection::~Inspection() {
  if (trace_file_ && trace_file_ != stderr) std::fclose(trace_file_);
}

void Inspection::attach(Machine& machine) {
  if (!kObserversCompiledIn && (trace_ || stats_ || !stats_json_path_.empty() || !profile_path_.empty()))
    throw UsageError("this hartbox was built without observers (HARTBOX_OBSERVERS=OFF): no --trace, --stats or --profile");
  if (trace_) {
    trace_file_ = stderr;
    if (!trace_path_.empty()) {
      trace_file_ = std::fopen(trace_path_.c_str(), "w");
      if (!trace_file_) throw std::runtime_error(trace_path_ + ": cannot open for writing: " + std::strerror(errno));
    }
    tracer_ = std::make_unique<TraceWriter>(trace_file_, filter_);
    fanout_.add(tracer_.get());
    for (unsigned i = 0; i < machine.hart_count(); ++i) machine.hart(i).set_mmio_observer(tracer_.get());
  }
  if (stats_ || !stats_json_path_.empty()) {
    statistics_ = std::make_unique<ExecutionStatistics>();
    fanout_.add(statistics_.get());
  }
  if (!profile_path_.empty()) {
    std::vector<std::pair<uint64_t, std::string>> symbols;
    if (const ElfImage* program = machine.program())
      for (const auto& [name, address] : program->symbols) symbols.emplace_back(address, name);
    profiler_ = std::make_unique<Profiler>(std::move(symbols));
    fanout_.add(profiler_.get());
  }
  machine.set_observer(fanout_.attachable());
}

namespace {

nlohmann::json statistics_json(Machine& machine, const ExecutionStatistics* stats, const RunOutcome& outcome,
                               double seconds) {
  nlohmann::json j;
  j["engine"] = std::string(machine.engine().name());
  j["instructions_retired"] = machine.retired();
  j["steps"] = outcome.steps;
  j["seconds"] = seconds;
  j["mips"] = seconds > 0 ? static_cast<double>(outcome.steps) / seconds / 1e6 : 0.0;
  uint64_t traps = 0, tlb_misses = 0;
  for (unsigned i = 0; i < machine.hart_count(); ++i) {
    traps += machine.hart(i).traps_taken();
    tlb_misses += machine.hart(i).tlb_misses();
  }
  j["traps_taken"] = traps;
  j["tlb"] = {{"misses", tlb_misses}};
  if (auto* block = dynamic_cast<BlockEngine*>(&machine.engine())) {
    const auto& b = block->stats();
    j["block_cache"] = {{"blocks_built", b.blocks_built}, {"lookups", b.lookups},
                        {"jump_cache_hits", b.jump_cache_hits},  {"chained", b.chained},
                        {"misses", b.lookups - b.jump_cache_hits}, {"invalidations", b.invalidations}};
  }
  if (stats) {
    nlohmann::json classes;
    for (size_t c = 0; c < ExecutionStatistics::kClasses; ++c)
      if (stats->by_class()[c])
        classes[std::string(isa::class_name(static_cast<isa::InsnClass>(c)))] = stats->by_class()[c];
    j["instructions_by_class"] = classes;
    nlohmann::json by_cause = nlohmann::json::array();
    for (const auto& [cause, count] : stats->traps()) {
      const bool interrupt = cause & kInterruptBit;
      const uint64_t code = cause & ~kInterruptBit;
      by_cause.push_back({{"cause", code},
                          {"interrupt", interrupt},
                          {"name", std::string(interrupt ? interrupt_name(code) : exception_name(code))},
                          {"count", count}});
    }
    j["traps_by_cause"] = by_cause;
    isa::Disassembler disassembler;
    nlohmann::json hot = nlohmann::json::array();
    for (const auto& block : stats->hottest_blocks(10)) {
      nlohmann::json code = nlohmann::json::array();
      uint64_t pc = block.pc;
      for (int i = 0; i < 16; ++i) {  // the block's first instructions, read through the MMU
        uint32_t raw = 0;
        if (!machine.hart().read_virtual(pc, &raw, 2)) break;
        if (isa::insn_length(raw) == 4 && !machine.hart().read_virtual(pc, &raw, 4)) break;
        const isa::DecodedInsn d = isa::decode(raw);
        char address[24];
        std::snprintf(address, sizeof address, "0x%" PRIx64, pc);
        code.push_back(std::string(address) + ": " + disassembler.text(d.raw, pc));
        pc += d.len;
        const auto cls = isa::op_info(d.op).cls;
        if (cls == isa::InsnClass::Branch || cls == isa::InsnClass::Jump || cls == isa::InsnClass::System ||
            cls == isa::InsnClass::Csr || cls == isa::InsnClass::Illegal)
          break;
      }
      hot.push_back({{"pc", block.pc}, {"entries", block.entries}, {"instructions", block.instructions},
                     {"code", code}});
    }
    j["hottest_blocks"] = hot;
  }
  return j;
}

void print_statistics(const nlohmann::json& j, std::FILE* out) {
  std::fprintf(out, "hartbox: stats: engine %s, %" PRIu64 " instructions retired, %" PRIu64
                    " traps taken, %.3f s, %.1f MIPS\n",
               j["engine"].get<std::string>().c_str(), j["instructions_retired"].get<uint64_t>(),
               j["traps_taken"].get<uint64_t>(), j["seconds"].get<double>(), j["mips"].get<double>());
  if (j.contains("instructions_by_class")) {
    std::fprintf(out, "  instructions by class:");
    for (const auto& [name, count] : j["instructions_by_class"].items())
      std::fprintf(out, " %s %" PRIu64, name.c_str(), count.get<uint64_t>());
    std::fprintf(out, "\n");
  }
  if (j.contains("block_cache")) {
    const auto& b = j["block_cache"];
    std::fprintf(out,
                 "  block cache: %" PRIu64 " blocks built, %" PRIu64 " lookups (%" PRIu64 " jump-cache hits, %" PRIu64
                 " misses), %" PRIu64 " chained transfers, %" PRIu64 " invalidations\n",
                 b["blocks_built"].get<uint64_t>(), b["lookups"].get<uint64_t>(), b["jump_cache_hits"].get<uint64_t>(),
                 b["misses"].get<uint64_t>(), b["chained"].get<uint64_t>(), b["invalidations"].get<uint64_t>());
  }
  std::fprintf(out, "  TLB: %" PRIu64 " misses (every other access hit)\n", j["tlb"]["misses"].get<uint64_t>());
  if (j.contains("traps_by_cause") && !j["traps_by_cause"].empty()) {
    std::fprintf(out, "  traps by cause:");
    for (const auto& t : j["traps_by_cause"])
      std::fprintf(out, " [%s%s %" PRIu64 "] %" PRIu64 ";", t["interrupt"].get<bool>() ? "interrupt " : "",
                   t["name"].get<std::string>().c_str(), t["cause"].get<uint64_t>(), t["count"].get<uint64_t>());
    std::fprintf(out, "\n");
  }
  if (j.contains("hottest_blocks")) {
    std::fprintf(out, "  hottest blocks:\n");
    for (const auto& b : j["hottest_blocks"]) {
      std::fprintf(out, "    0x%" PRIx64 ": %" PRIu64 " instructions in %" PRIu64 " entries\n", b["pc"].get<uint64_t>(),
                   b["instructions"].get<uint64_t>(), b["entries"].get<uint64_t>());
      for (const auto& line : b["code"]) std::fprintf(out, "        %s\n", line.get<std::string>().c_str());
    }
  }
}

}  // namespace

void Inspection::finish(Machine& machine, const RunOutcome& outcome, double seconds) {
  if (trace_file_ && trace_file_ != stderr) {
    std::fclose(trace_file_);
    trace_file_ = nullptr;
  }
  for (unsigned i = 0; i < machine.hart_count(); ++i) machine.hart(i).set_mmio_observer(nullptr);
  if (stats_ || !stats_json_path_.empty()) {
    const nlohmann::json j = statistics_json(machine, statistics_.get(), outcome, seconds);
    if (stats_) print_statistics(j, stderr);
    if (!stats_json_path_.empty()) {
      std::ofstream out(stats_json_path_, std::ios::trunc);
      out << j.dump(2) << "\n";
      if (!out.flush()) std::fprintf(stderr, "hartbox: %s: cannot write\n", stats_json_path_.c_str());
    }
  }
  if (profiler_) {
    std::FILE* out = std::fopen(profile_path_.c_str(), "w");
    if (!out) {
      std::fprintf(stderr, "hartbox: %s: cannot open for writing: %s\n", profile_path_.c_str(), std::strerror(errno));
      return;
    }
    profiler_->write_folded(out);
    std::fclose(out);
  }
}

}  // namespace hartbox::cli
