// Lockstep comparison of Hartbox's execution engines (used by lockstep_test.cpp).
//
// Two Machines start from identical state: the reference runs `interp` (fetch, decode, execute,
// nothing cached), the subject runs the engine under test. The subject runs one slice
// (Machine::run_slice with a budget); it reports how many steps it took (a block engine may stop
// early at a sync point or overshoot to finish its block); the reference then runs exactly that
// many steps, and everything the guest can observe must be identical: pc, privilege, x and f
// registers, instret, the CSRs, WFI and stop state, the LR reservation, every RAM page, the
// console, the exit code, and (when the subject is observed) the sequence of retired
// instructions and traps. Small, varied budgets put comparisons at many block boundaries.
//
// Everything here belongs to the one test thread that creates it; nothing is global.
#pragma once

#include <algorithm>
#include <array>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/csr.hpp"
#include "core/engines/engine.hpp"
#include "core/isa/disassembler.hpp"
#include "devices/console.hpp"
#include "devices/machine.hpp"
#include "tests/unit/temp_dir.hpp"

namespace hartbox::lockstep {

inline std::string hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof text, "0x%016" PRIx64, value);
  return text;
}

inline const char* privilege_name(Privilege priv) {
  switch (priv) {
    case Privilege::User: return "U";
    case Privilege::Supervisor: return "S";
    case Privilege::Machine: return "M";
  }
  return "?";
}

inline constexpr std::array<const char*, 32> kIntRegNames = {
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1",  "a0",  "a1", "a2", "a3", "a4", "a5",
    "a6",   "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};

// --- Reading a hart without disturbing it ------------------------------------------------------

// Hart::csr_read checks the access against the hart's current privilege, and the Hart has no
// accessor that ignores it. Reading "as M-mode" by switching `priv` around the read is exact:
// csr_read has no side effects and `priv` is only consulted by the access checks. (An accessor
// such as `Hart::csr_peek(number, value)` that skips the checks would make this unnecessary.)
// FP CSRs stay unreadable while mstatus.FS = Off: switching FS on would flush the TLB and bump
// the translation epoch, which would perturb the engine under test, so for them the two harts
// must agree on readability, and on the value whenever it is readable.
inline bool read_csr_as_machine(Hart& hart, uint16_t number, uint64_t& value) {
  const Privilege saved = hart.priv;
  hart.priv = Privilege::Machine;
  const bool ok = hart.csr_read(number, value);
  hart.priv = saved;
  return ok;
}

struct CsrName {
  uint16_t number;
  const char* name;
};
inline constexpr CsrName kComparedCsrs[] = {
    {csr::mstatus, "mstatus"},   {csr::sstatus, "sstatus"},   {csr::mepc, "mepc"},
    {csr::mcause, "mcause"},     {csr::mtval, "mtval"},       {csr::sepc, "sepc"},
    {csr::scause, "scause"},     {csr::stval, "stval"},       {csr::satp, "satp"},
    {csr::mtvec, "mtvec"},       {csr::stvec, "stvec"},       {csr::medeleg, "medeleg"},
    {csr::mideleg, "mideleg"},   {csr::mie, "mie"},           {csr::mip, "mip"},
    {csr::sie, "sie"},           {csr::sip, "sip"},           {csr::mscratch, "mscratch"},
    {csr::sscratch, "sscratch"}, {csr::fcsr, "fcsr"},         {csr::fflags, "fflags"},
    {csr::frm, "frm"},           {csr::mcounteren, "mcounteren"}, {csr::scounteren, "scounteren"},
    {csr::menvcfg, "menvcfg"},   {csr::senvcfg, "senvcfg"},   {csr::minstret, "minstret"},
    {csr::mcycle, "mcycle"},     {csr::instret, "instret"},   {csr::cycle, "cycle"},
    {csr::time, "time"},         {csr::pmpcfg0, "pmpcfg0"},   {csr::pmpaddr0, "pmpaddr0"},
    {csr::tselect, "tselect"},
};

struct CsrValue {
  bool readable = false;
  uint64_t value = 0;
  bool operator==(const CsrValue&) const = default;
};

// The architectural state of one hart (plus the run-control state that decides what it does
// next: WFI, stop request, LR reservation).
struct HartState {
  uint64_t pc = 0;
  Privilege priv = Privilege::Machine;
  std::array<uint64_t, 32> x{};
  std::array<uint64_t, 32> f{};
  uint64_t instret = 0;
  std::array<CsrValue, std::size(kComparedCsrs)> csrs{};
  bool waiting = false;
  bool stop_requested = false;
  bool reservation_valid = false;
  uint64_t reservation_addr = 0;
  uint64_t traps_taken = 0;
  uint64_t last_trap_cause = 0;
};

inline HartState capture(Hart& hart) {
  HartState s;
  s.pc = hart.pc;
  s.priv = hart.priv;
  std::copy(std::begin(hart.x), std::end(hart.x), s.x.begin());
  std::copy(std::begin(hart.f), std::end(hart.f), s.f.begin());
  s.instret = hart.instret;
  for (size_t i = 0; i < std::size(kComparedCsrs); ++i)
    s.csrs[i].readable = read_csr_as_machine(hart, kComparedCsrs[i].number, s.csrs[i].value);
  s.waiting = hart.waiting();
  s.stop_requested = hart.stop_requested();
  s.reservation_valid = hart.reservation_valid;
  s.reservation_addr = hart.reservation_valid ? hart.reservation_addr : 0;
  s.traps_taken = hart.traps_taken();
  s.last_trap_cause = hart.last_trap_cause();
  return s;
}

inline std::string csr_text(const CsrValue& v) { return v.readable ? hex(v.value) : std::string("(not readable)"); }

// One line per differing field: "name: reference ... subject ...".
inline std::vector<std::string> compare_states(const HartState& ref, const HartState& sub) {
  std::vector<std::string> out;
  auto differ = [&out](const std::string& name, const std::string& a, const std::string& b) {
    out.push_back(name + ": reference " + a + ", subject " + b);
  };
  if (ref.pc != sub.pc) differ("pc", hex(ref.pc), hex(sub.pc));
  if (ref.priv != sub.priv) differ("priv", privilege_name(ref.priv), privilege_name(sub.priv));
  for (size_t i = 0; i < 32; ++i)
    if (ref.x[i] != sub.x[i]) differ("x" + std::to_string(i) + " (" + kIntRegNames[i] + ")", hex(ref.x[i]), hex(sub.x[i]));
  for (size_t i = 0; i < 32; ++i)
    if (ref.f[i] != sub.f[i]) differ("f" + std::to_string(i), hex(ref.f[i]), hex(sub.f[i]));
  if (ref.instret != sub.instret) differ("instret", std::to_string(ref.instret), std::to_string(sub.instret));
  for (size_t i = 0; i < ref.csrs.size(); ++i)
    if (ref.csrs[i] != sub.csrs[i]) differ(kComparedCsrs[i].name, csr_text(ref.csrs[i]), csr_text(sub.csrs[i]));
  auto flag = [](bool b) { return std::string(b ? "true" : "false"); };
  if (ref.waiting != sub.waiting) differ("waiting (WFI)", flag(ref.waiting), flag(sub.waiting));
  if (ref.stop_requested != sub.stop_requested) differ("stop requested", flag(ref.stop_requested), flag(sub.stop_requested));
  if (ref.reservation_valid != sub.reservation_valid || ref.reservation_addr != sub.reservation_addr)
    differ("LR reservation", ref.reservation_valid ? hex(ref.reservation_addr) : "none",
           sub.reservation_valid ? hex(sub.reservation_addr) : "none");
  if (ref.traps_taken != sub.traps_taken) differ("traps taken", std::to_string(ref.traps_taken), std::to_string(sub.traps_taken));
  if (ref.last_trap_cause != sub.last_trap_cause) differ("last trap cause", hex(ref.last_trap_cause), hex(sub.last_trap_cause));
  return out;
}

// Both states side by side, differing fields marked with '*'.
inline std::string describe_states(const HartState& ref, const HartState& sub) {
  std::string out;
  char line[160];
  auto row = [&](const std::string& name, const std::string& a, const std::string& b) {
    std::snprintf(line, sizeof line, "  %c %-14s %-20s %-20s\n", a == b ? ' ' : '*', name.c_str(), a.c_str(), b.c_str());
    out += line;
  };
  std::snprintf(line, sizeof line, "    %-14s %-20s %-20s\n", "", "reference", "subject");
  out += line;
  row("pc", hex(ref.pc), hex(sub.pc));
  row("priv", privilege_name(ref.priv), privilege_name(sub.priv));
  row("instret", std::to_string(ref.instret), std::to_string(sub.instret));
  // Names built with append, not "x" + std::string&&: GCC 12 -O3's false -Wrestrict (its bug 105329).
  const auto reg_name = [](char file, size_t i) { return std::string(1, file).append(std::to_string(i)); };
  for (size_t i = 1; i < 32; ++i)
    row(reg_name('x', i).append("/").append(kIntRegNames[i]), hex(ref.x[i]), hex(sub.x[i]));
  for (size_t i = 0; i < 32; ++i)
    if (ref.f[i] != 0 || sub.f[i] != 0) row(reg_name('f', i), hex(ref.f[i]), hex(sub.f[i]));
  for (size_t i = 0; i < ref.csrs.size(); ++i) row(kComparedCsrs[i].name, csr_text(ref.csrs[i]), csr_text(sub.csrs[i]));
  row("waiting", ref.waiting ? "yes" : "no", sub.waiting ? "yes" : "no");
  row("stop", ref.stop_requested ? "yes" : "no", sub.stop_requested ? "yes" : "no");
  row("reservation", ref.reservation_valid ? hex(ref.reservation_addr) : "none",
      sub.reservation_valid ? hex(sub.reservation_addr) : "none");
  row("traps", std::to_string(ref.traps_taken), std::to_string(sub.traps_taken));
  return out;
}

// --- RAM ---------------------------------------------------------------------------------------

// The resident pages of a GuestRam, rescanned only when their number changes (pages are never
// freed, so an unchanged count means an unchanged set).
class ResidentPages {
 public:
  const std::vector<uint64_t>& of(const GuestRam& ram) {
    if (ram.resident_pages() != known_) {
      pages_.clear();
      for (uint64_t paddr = ram.base(); paddr - ram.base() < ram.size(); paddr += kPageSize)
        if (ram.page_if_resident(paddr)) pages_.push_back(paddr);
      known_ = ram.resident_pages();
    }
    return pages_;
  }

 private:
  size_t known_ = ~size_t{0};
  std::vector<uint64_t> pages_;
};

// Differing 8-byte words over the union of both RAMs' resident pages (a page one side never
// touched reads as zeros, which is what the guest would see), at most `limit` lines.
inline std::vector<std::string> compare_ram(const GuestRam& ref, ResidentPages& ref_pages, const GuestRam& sub,
                                            ResidentPages& sub_pages, size_t limit = 8) {
  static constexpr std::array<uint8_t, kPageSize> kZeros{};
  std::vector<uint64_t> pages;
  const auto& a = ref_pages.of(ref);
  const auto& b = sub_pages.of(sub);
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(pages));
  std::vector<std::string> out;
  for (uint64_t page : pages) {
    const uint8_t* p = ref.page_if_resident(page);
    const uint8_t* q = sub.page_if_resident(page);
    if (!p) p = kZeros.data();
    if (!q) q = kZeros.data();
    if (std::memcmp(p, q, kPageSize) == 0) continue;
    for (uint64_t off = 0; off < kPageSize; off += 8) {
      uint64_t u, v;
      std::memcpy(&u, p + off, 8);
      std::memcpy(&v, q + off, 8);
      if (u == v) continue;
      if (out.size() == limit) {
        out.push_back("(more RAM differences not shown)");
        return out;
      }
      out.push_back("RAM[" + hex(page + off) + "]: reference " + hex(u) + ", subject " + hex(v));
    }
  }
  return out;
}

// --- What ran: a ring buffer of the last retired instructions and traps ------------------------

class RecentHistory final : public ExecutionObserver {
 public:
  static constexpr size_t kDepth = 24;

  void retired(const Hart& hart, uint64_t pc, const isa::DecodedInsn& insn) override {
    record({false, pc, insn.raw, 0, 0, hart.priv});
  }
  void trapped(const Hart& hart, uint64_t pc, uint64_t cause, uint64_t tval) override {
    record({true, pc, 0, cause, tval, hart.priv});
  }

  uint64_t events() const { return events_; }
  // A running hash of every event so far: equal digests mean (with overwhelming probability)
  // that both engines retired the same instructions and took the same traps, in order.
  uint64_t digest() const { return digest_; }

  // The last `n` events, oldest first, with Capstone's disassembly.
  std::string describe(const isa::Disassembler& dis, size_t n = 12) const {
    std::string out;
    const size_t shown = std::min<uint64_t>({n, kDepth, events_});
    char line[200];
    for (size_t i = shown; i > 0; --i) {
      const Event& e = ring_[(events_ - i) % kDepth];
      if (e.trap) {
        const bool irq = (e.cause & kInterruptBit) != 0;
        std::snprintf(line, sizeof line, "    %s  >>> %s %" PRIu64 " (tval %s), now %s-mode\n", hex(e.pc).c_str(),
                      irq ? "interrupt" : "trap", e.cause & ~kInterruptBit, hex(e.tval).c_str(), privilege_name(e.priv));
      } else {
        const int digits = isa::insn_length(e.raw) == 2 ? 4 : 8;
        std::snprintf(line, sizeof line, "    %s  %s  %0*" PRIx32 "%*s  %s\n", hex(e.pc).c_str(), privilege_name(e.priv),
                      digits, e.raw, 8 - digits, "", dis.text(e.raw, e.pc).c_str());
      }
      out += line;
    }
    if (shown == 0) out = "    (nothing yet)\n";
    return out;
  }

 private:
  struct Event {
    bool trap;
    uint64_t pc;
    uint32_t raw;
    uint64_t cause, tval;
    Privilege priv;
  };
  void record(const Event& e) {
    ring_[events_ % kDepth] = e;
    ++events_;
    for (uint64_t word : {uint64_t{e.trap}, e.pc, uint64_t{e.raw}, e.cause, e.tval}) {
      digest_ ^= word;
      digest_ *= 0x100000001b3ull;  // FNV-1a style mixing
      digest_ ^= digest_ >> 29;
    }
  }

  std::array<Event, kDepth> ring_{};
  uint64_t events_ = 0;
  uint64_t digest_ = 0xcbf29ce484222325ull;
};

// --- The pair ----------------------------------------------------------------------------------

inline const char* reason_name(StopReason reason) {
  switch (reason) {
    case StopReason::Budget: return "budget";
    case StopReason::Wait: return "wait";
    case StopReason::Requested: return "requested";
  }
  return "?";
}

class LockstepPair {
 public:
  // `config` is used for both machines; its engine, console and semihosting root are replaced.
  // With `observe_subject`, the subject also carries a RecentHistory, and the two instruction
  // streams are compared too; without, the subject runs exactly as it does in production.
  LockstepPair(MachineConfig config, std::string subject_engine, bool observe_subject)
      : subject_engine_(std::move(subject_engine)), observe_subject_(observe_subject) {
    config.engine = "interp";
    config.console = &ref_console_;
    config.console_input = &ref_input_;
    if (config.semihosting) {
      // Each machine gets its own directory, so that guest files of one never meet the other's.
      ref_root_ = std::make_unique<test::TempDir>("lockstep");
      sub_root_ = std::make_unique<test::TempDir>("lockstep");
      config.semihosting_root = ref_root_->path().string();
    }
    ref_ = std::make_unique<Machine>(config);
    config.engine = subject_engine_;
    config.console = &sub_console_;
    config.console_input = &sub_input_;
    if (config.semihosting) config.semihosting_root = sub_root_->path().string();
    sub_ = std::make_unique<Machine>(config);
    ref_->engine().set_observer(&ref_history_);
    if (observe_subject_) sub_->engine().set_observer(&sub_history_);
  }

  Machine& reference() { return *ref_; }
  Machine& subject() { return *sub_; }
  const std::string& subject_engine() const { return subject_engine_; }
  uint64_t steps() const { return steps_; }
  uint64_t slices() const { return slices_; }
  bool exited() const { return ref_->exit_code() && sub_->exit_code(); }
  bool deadlocked() const { return deadlocked_; }
  std::string output() const { return ref_console_.output(); }
  // Compare RAM after every `n`-th slice only (registers, CSRs and the rest after every one):
  // for guests with megabytes of resident RAM, where a comparison per slice would dominate.
  void set_ram_compare_interval(uint64_t n) { ram_interval_ = n ? n : 1; }

  // One slice of at most `budget` steps on the subject, as many on the reference, then the
  // comparison. Returns the divergence report, or nothing while the machines agree.
  std::optional<std::string> run_slice(uint64_t budget) {
    ++slices_;
    const SliceResult s = sub_->run_slice(budget);
    const SliceResult r = ref_->run_slice(s.steps);
    steps_ += s.steps;
    last_ = {budget, s, r};
    if (r.steps != s.steps)
      return report("the reference took " + std::to_string(r.steps) + " steps where the subject took " +
                    std::to_string(s.steps));
    // A hart waiting in WFI with nothing pending: virtual time jumps to the next timer deadline,
    // as Machine::run does. Done to each machine by its own state, so that any disagreement
    // shows in the comparison below.
    for (Machine* m : {ref_.get(), sub_.get()}) {
      if (m->idle()) {
        // The board's deadline: CLINT, Sstc's stimecmp and the RTC alarm, as Machine::run uses.
        const uint64_t deadline = m->next_deadline();
        if (deadline == UINT64_MAX) {
          deadlocked_ = true;
        } else {
          m->clock().skip_to(deadline);
          m->board().poll();
        }
      }
    }
    return compare(slices_ % ram_interval_ == 0);
  }

  // Compares everything now (RAM too unless `with_ram` is false); the report if anything
  // differs.
  std::optional<std::string> compare(bool with_ram = true) {
    const HartState a = capture(ref_->hart());
    const HartState b = capture(sub_->hart());
    std::vector<std::string> diffs = compare_states(a, b);
    if (with_ram)
      for (std::string& line : compare_ram(ref_->ram(), ref_pages_, sub_->ram(), sub_pages_))
        diffs.push_back(std::move(line));
    if (ref_->exit_code() != sub_->exit_code())
      diffs.push_back("exit code: reference " + exit_text(ref_->exit_code()) + ", subject " + exit_text(sub_->exit_code()));
    if (ref_console_.output() != sub_console_.output())
      diffs.push_back("console output: reference \"" + tail(ref_console_.output()) + "\", subject \"" +
                      tail(sub_console_.output()) + "\"");
    if (ref_console_.error_output() != sub_console_.error_output()) diffs.push_back("console error output differs");
    if (observe_subject_ &&
        (ref_history_.events() != sub_history_.events() || ref_history_.digest() != sub_history_.digest()))
      diffs.push_back("instruction/trap stream: reference " + std::to_string(ref_history_.events()) +
                      " events, subject " + std::to_string(sub_history_.events()) + " events" +
                      (ref_history_.events() == sub_history_.events() ? " (same count, different events)" : ""));
    if (diffs.empty()) return std::nullopt;
    std::string what;
    for (const std::string& d : diffs) what += "  " + d + "\n";
    return report("state differs:\n" + what, &a, &b);
  }

 private:
  struct LastSlice {
    uint64_t budget = 0;
    SliceResult subject{StopReason::Budget, 0};
    SliceResult reference{StopReason::Budget, 0};
  };

  static std::string exit_text(std::optional<int> code) { return code ? std::to_string(*code) : "none"; }
  static std::string tail(const std::string& s) { return s.size() <= 200 ? s : "..." + s.substr(s.size() - 200); }

  std::string report(const std::string& what, const HartState* a = nullptr, const HartState* b = nullptr) {
    std::string out = "DIVERGENCE: interp (reference) vs " + subject_engine_ + " (subject), after slice " +
                      std::to_string(slices_) + " (budget " + std::to_string(last_.budget) + "; subject took " +
                      std::to_string(last_.subject.steps) + " steps, stopping for " +
                      reason_name(last_.subject.reason) + "; reference " + std::to_string(last_.reference.steps) +
                      " steps, " + reason_name(last_.reference.reason) + "), " + std::to_string(steps_) +
                      " steps in all\n" + what;
    if (a && b) out += "states after the slice:\n" + describe_states(*a, *b);
    out += "last instructions retired by the reference (interp):\n" + ref_history_.describe(dis_);
    if (observe_subject_) out += "last instructions retired by the subject (" + subject_engine_ + "):\n" + sub_history_.describe(dis_);
    return out;
  }

  std::string subject_engine_;
  bool observe_subject_;
  // Declared before the machines, which hold pointers to them.
  StringConsoleSink ref_console_, sub_console_;
  StringConsoleSource ref_input_, sub_input_;
  std::unique_ptr<test::TempDir> ref_root_, sub_root_;
  RecentHistory ref_history_, sub_history_;
  std::unique_ptr<Machine> ref_, sub_;
  ResidentPages ref_pages_, sub_pages_;
  isa::Disassembler dis_;
  uint64_t steps_ = 0, slices_ = 0, ram_interval_ = 1;
  bool deadlocked_ = false;
  LastSlice last_;
};

// Budgets for successive slices: small and varied, so that comparisons fall at many different
// points inside and between blocks (a few large ones let blocks chain into long runs).
inline constexpr std::array<uint64_t, 14> kProgramBudgets = {1, 2, 3, 7, 64, 1, 5, 128, 2, 13, 1, 300, 3, 1000};

// Runs the pair until both machines exit (or deadlock, or `max_steps` is reached), with budgets
// taken in turn from `budgets` starting at index `phase`, comparing after every slice. Returns
// the first divergence report, if any.
inline std::optional<std::string> run_lockstep(LockstepPair& pair, uint64_t max_steps,
                                               std::span<const uint64_t> budgets = kProgramBudgets,
                                               uint64_t phase = 0) {
  while (!pair.exited() && !pair.deadlocked() && pair.steps() < max_steps)
    if (auto divergence = pair.run_slice(budgets[(pair.slices() + phase) % budgets.size()])) return divergence;
  return pair.compare();  // with RAM, whatever the interval
}

}  // namespace hartbox::lockstep
