#include "devices/machine.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <thread>

#include "devices/htif.hpp"
#include "devices/semihosting.hpp"

namespace hartbox {

namespace {
// A slice is short enough that the CLINT raises a due timer interrupt within this many
// instructions, and long enough that the per-slice bookkeeping is noise.
constexpr uint64_t kSliceSteps = 1024;
}  // namespace

Machine::Machine(const MachineConfig& config)
    : config_(config), ram_(config.ram_base, config.ram_size), bus_(ram_), clock_(config.time) {
  if (config.harts == 0 || config.harts > kMaxHarts)
    throw std::invalid_argument("a machine has 1 to " + std::to_string(kMaxHarts) + " harts");
  std::vector<Hart*> harts;
  std::vector<const Hart*> counted;
  for (unsigned i = 0; i < config.harts; ++i) {
    harts_.push_back(std::make_unique<Hart>(bus_, i));
    engines_.push_back(make_engine(config.engine, &code_pages_));
    if (!engines_.back()) throw std::invalid_argument("unknown engine '" + config.engine + "'");
    harts_.back()->set_time_source(&clock_);
    harts.push_back(harts_.back().get());
    counted.push_back(harts_.back().get());
  }
  clock_.count_harts(counted);
  clint_ = std::make_unique<Clint>(harts, clock_);
  bus_.attach(kClintBase, Clint::kSize, *clint_);
  if (!config_.console) {
    default_console_ = std::make_unique<StdoutConsoleSink>();
    config_.console = default_console_.get();
  }
  if (!config_.console_input) {
    default_input_ = std::make_unique<StdinConsoleSource>();
    config_.console_input = default_input_.get();
  }
  if (config_.semihosting) {
    SemihostingConfig sh;
    if (!config_.semihosting_root.empty()) sh.root = config_.semihosting_root;
    sh.confine = config_.semihosting_confined;
    sh.command_line = config_.command_line;
    sh.console = config_.console;
    sh.input = config_.console_input;
    sh.on_exit = [this](int code) { exit(code); };
    semihosting_ = std::make_unique<Semihosting>(std::move(sh));
    for (auto& hart : harts_) hart->set_semihosting(semihosting_.get());
  }
  for (auto& hart : harts_) hart->reset(config_.ram_base);
}

void Machine::set_observer(ExecutionObserver* observer) {
  for (auto& engine : engines_) engine->set_observer(observer);
}

uint64_t Machine::retired() const {
  uint64_t total = 0;
  for (const auto& hart : harts_) total += hart->retired();
  return total;
}

Machine::~Machine() = default;

const ElfImage& Machine::load_elf(const std::string& path) {
  program_ = hartbox::load_elf(path, ram_);
  set_entry(program_->entry);
  if (auto tohost = program_->symbol("tohost")) {
    htif_ = std::make_unique<Htif>(ram_, *tohost, program_->symbol("fromhost"), [this](int code) { exit(code); },
                                   config_.console, config_.console_input);
    htif_->attach(bus_);
    for (auto& hart : harts_) hart->flush_tlb();  // the tohost page is no longer plain RAM
  }
  return *program_;
}

void Machine::load_raw(const std::string& path, uint64_t address) { hartbox::load_raw(path, address, ram_); }

void Machine::set_entry(uint64_t pc) {
  for (auto& hart : harts_) {
    hart->pc = pc;
    hart->next_pc = pc;
  }
}

void Machine::exit(int code) {
  if (!exit_code_) exit_code_ = code;
  for (auto& hart : harts_) hart->request_stop();
}

SliceResult Machine::run_slice(uint64_t budget) {
  // The harts take turns on this thread, each for a share of the budget, so a machine is one
  // schedulable unit and its devices need no locks. LR/SC stay atomic: a hart's turn never
  // ends between instructions of another hart.
  SliceResult result{StopReason::Wait, 0};
  const uint64_t share = std::max<uint64_t>(1, budget / harts_.size());
  for (size_t i = 0; i < harts_.size(); ++i) {
    Hart& hart = *harts_[i];
    if (hart.waiting() && !hart.interrupt_pending()) continue;
    const SliceResult part = engines_[i]->run(hart, share);
    result.steps += part.steps;
    if (part.reason == StopReason::Requested) result.reason = StopReason::Requested;
    else if (part.reason == StopReason::Budget && result.reason != StopReason::Requested) result.reason = StopReason::Budget;
  }
  clint_->update_timer_interrupts();
  if (htif_) htif_->poll();
  return result;
}

RunOutcome Machine::run(uint64_t max_steps) {
  RunOutcome outcome{RunOutcome::Kind::Exited, 0, 0};
  const uint64_t limit = max_steps ? max_steps : std::numeric_limits<uint64_t>::max();
  while (!exit_code_) {
    if (outcome.steps >= limit) {
      outcome.kind = RunOutcome::Kind::InstructionLimit;
      return outcome;
    }
    const SliceResult slice = run_slice(std::min(kSliceSteps, limit - outcome.steps));
    outcome.steps += slice.steps;
    if (slice.reason == StopReason::Wait) {
      // Every hart waits. Nothing happens until the next timer deadline: virtual time jumps
      // there, real time sleeps until then.
      const uint64_t deadline = clint_->next_deadline();
      if (deadline == std::numeric_limits<uint64_t>::max()) {
        outcome.kind = RunOutcome::Kind::Deadlock;
        return outcome;
      }
      if (clock_.mode() == MachineClock::Mode::Virtual)
        clock_.skip_to(deadline);
      else
        std::this_thread::sleep_for(std::min(clock_.until(deadline), std::chrono::nanoseconds{10'000'000}));
      clint_->update_timer_interrupts();
    }
  }
  outcome.exit_code = *exit_code_;
  return outcome;
}

std::string Machine::signature() const {
  const auto begin = program_ ? program_->symbol("begin_signature") : std::nullopt;
  const auto end = program_ ? program_->symbol("end_signature") : std::nullopt;
  if (!begin || !end || *end < *begin)
    throw LoadError("the program has no begin_signature/end_signature symbols for --signature");
  if (!ram_.contains(*begin, *end - *begin)) throw LoadError("the signature area is outside RAM");
  std::string text;
  GuestRam& ram = const_cast<GuestRam&>(ram_);
  for (uint64_t addr = *begin; addr + 4 <= *end; addr += 4) {
    uint32_t word;
    ram.read(addr, &word, 4);
    char line[16];
    std::snprintf(line, sizeof line, "%08" PRIx32 "\n", word);
    text += line;
  }
  return text;
}

}  // namespace hartbox
