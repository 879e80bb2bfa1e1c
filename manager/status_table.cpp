#include "manager/status_table.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>

namespace hartbox {

namespace {

std::string fit(std::string line, unsigned width) {
  if (width > 0 && line.size() > width) line.resize(width);
  return line;
}

std::string short_duration(std::chrono::nanoseconds d) {
  char text[32];
  const double ns = static_cast<double>(d.count());
  if (ns <= 0) return "-";
  if (ns < 1e6) std::snprintf(text, sizeof text, "%.0fus", ns / 1e3);
  else if (ns < 1e9) std::snprintf(text, sizeof text, "%.1fms", ns / 1e6);
  else std::snprintf(text, sizeof text, "%.1fs", ns / 1e9);
  return text;
}

unsigned terminal_width(std::FILE* out) {
  winsize ws{};
  if (::ioctl(::fileno(out), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 120;
}

}  // namespace

std::string render_status(const std::string& title, const std::vector<StatusRow>& rows,
                          const std::vector<std::string>& footer, unsigned width) {
  std::string out = fit(title, width) + "\n\n";
  size_t name_width = 7;
  for (const StatusRow& r : rows) name_width = std::max(name_width, r.name.size());
  const int nw = static_cast<int>(name_width);
  char line[512];
  std::snprintf(line, sizeof line, "%-*s %-10s %7s %8s  %-22s %6s %8s %8s %8s", nw, "MACHINE", "STATE", "SHARE",
                "ENTITLED", "0%      50%     100%", "MIPS", "INSNS", "WAKEUPS", "LAT p99");
  out += fit(line, width) + "\n";
  for (const StatusRow& r : rows) {
    // A bar of 20 cells for 0..100% of a thread; '|' marks the entitlement.
    std::string bar(20, ' ');
    const auto cells = static_cast<size_t>(std::clamp(r.share, 0.0, 1.0) * 20 + 0.5);
    for (size_t i = 0; i < cells; ++i) bar[i] = '#';
    if (r.entitlement > 0) {
      const auto mark = std::min<size_t>(19, static_cast<size_t>(std::clamp(r.entitlement, 0.0, 1.0) * 20));
      bar[mark] = '|';
    }
    char insns[32];
    if (r.instructions >= 10'000'000'000ull) std::snprintf(insns, sizeof insns, "%.1fG", static_cast<double>(r.instructions) / 1e9);
    else if (r.instructions >= 10'000'000) std::snprintf(insns, sizeof insns, "%.1fM", static_cast<double>(r.instructions) / 1e6);
    else std::snprintf(insns, sizeof insns, "%" PRIu64, r.instructions);
    std::snprintf(line, sizeof line, "%-*s %-10s %6.1f%% %7.1f%%  [%s] %6.0f %8s %8" PRIu64 " %8s", nw,
                  r.name.c_str(), r.state.c_str(), r.share * 100, r.entitlement * 100, bar.c_str(), r.mips, insns,
                  r.wakeups, short_duration(r.p99).c_str());
    out += fit(line, width) + "\n";
  }
  if (!footer.empty()) {
    out += "\n";
    for (const std::string& f : footer) out += fit(f, width) + "\n";
  }
  return out;
}

bool StatusTable::is_terminal(std::FILE* out) { return out && ::isatty(::fileno(out)) == 1; }

StatusTable::StatusTable(const Fleet& fleet, const ReportCollector* collector, std::FILE* out, std::string title,
                         std::map<std::string, uint32_t, std::less<>> group_weights, RecentOutput recent,
                         std::chrono::milliseconds period)
    : fleet_(fleet),
      collector_(collector),
      out_(out),
      title_(std::move(title)),
      group_weights_(std::move(group_weights)),
      recent_(std::move(recent)),
      period_(period),
      start_(std::chrono::steady_clock::now()),
      previous_time_(start_) {
  if (!is_terminal(out_)) return;
  std::fputs("\x1b[?25l", out_);  // hide the cursor while redrawing
  std::fflush(out_);
  thread_ = std::thread([this] { run(); });
}

StatusTable::~StatusTable() { stop(); }

void StatusTable::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  std::fputs("\x1b[?25h", out_);
  std::fflush(out_);
}

void StatusTable::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    const bool stopping = wake_.wait_for(lock, period_, [this] { return stopping_; });
    lock.unlock();
    // A last frame right after the previous one would show rates over a few milliseconds.
    if (!stopping || std::chrono::steady_clock::now() - previous_time_ >= period_ / 2) draw();
    lock.lock();
    if (stopping) return;
  }
}

void StatusTable::draw() {
  const auto now = std::chrono::steady_clock::now();
  const double interval = std::max(1e-6, std::chrono::duration<double>(now - previous_time_).count());
  const std::vector<VmInfo> vms = fleet_.list();

  EntitlementInput ent;
  ent.policy = fleet_.config().policy;
  ent.workers = fleet_.worker_count();
  ent.deterministic = fleet_.config().deterministic;
  ent.group_weights = group_weights_;
  const std::vector<WorkerStats> workers = fleet_.worker_stats();
  previous_busy_.resize(workers.size());
  for (size_t w = 0; w < workers.size(); ++w) {
    const std::chrono::nanoseconds busy = billed(fleet_.config(), workers[w]);
    ent.worker_capacity.push_back(std::chrono::duration<double>(busy - previous_busy_[w]).count() / interval);
    previous_busy_[w] = busy;
  }
  std::vector<StatusRow> rows;
  for (const VmInfo& vm : vms) {
    if (vm.state == VmState::Destroyed) continue;
    Sample sample;
    sample.cpu = billed(fleet_.config(), vm.accounting);
    sample.instructions = vm.accounting.instructions;
    if (collector_) sample.parked = collector_->vm(vm.id, now).parked;
    const Sample before = previous_.count(vm.id) ? previous_[vm.id] : Sample{};
    previous_[vm.id] = sample;

    StatusRow row;
    row.name = vm.name;
    row.group = vm.group;
    row.state = std::string(to_string(vm.state));
    if (vm.state == VmState::Running && vm.sched) {
      switch (vm.sched->state) {
        case SchedState::Parked: row.state = "idle (wfi)"; break;
        case SchedState::Throttled: row.state = "throttled"; break;
        case SchedState::Runnable:
        case SchedState::OnCpu: row.state = "running"; break;
      }
    } else if (vm.stop) {
      row.state = vm.stop->cause == StopInfo::Cause::Exited ? "exited " + std::to_string(vm.stop->exit_code) : "stopped";
    }
    row.share = std::chrono::duration<double>(sample.cpu - before.cpu).count() / interval;
    row.mips = static_cast<double>(sample.instructions - before.instructions) / interval / 1e6;
    row.instructions = sample.instructions;
    row.wakeups = vm.accounting.wakeups;
    row.p99 = vm.accounting.latency.p99;
    rows.push_back(row);

    const double parked = std::chrono::duration<double>(sample.parked - before.parked).count() / interval;
    const bool running = vm.state == VmState::Running;
    const double demand = !running ? 0.0 : parked < 0.05 ? 1.0 : std::min(1.0, row.share);
    ent.machines.push_back(entitlement_machine(vm, demand, ent.workers));
  }
  const std::vector<double> entitled = compute_entitlements(ent);
  for (size_t i = 0; i < rows.size(); ++i) rows[i].entitlement = entitled[i];
  previous_time_ = now;

  char title[256];
  std::snprintf(title, sizeof title, "%s   %.1f s   (%s, %u workers)", title_.c_str(),
                std::chrono::duration<double>(now - start_).count(), ent.policy.c_str(), ent.workers);
  const unsigned width = terminal_width(out_);
  std::vector<std::string> footer;
  if (recent_) {
    footer = recent_(8);
    if (!footer.empty()) footer.insert(footer.begin(), "Recent guest output:");
  }
  const std::string screen = render_status(title, rows, footer, width);
  std::string frame = "\x1b[H\x1b[J";  // home, clear to the end of the screen
  for (size_t pos = 0; pos < screen.size();) {
    const size_t newline = screen.find('\n', pos);
    const size_t end = newline == std::string::npos ? screen.size() : newline;
    frame.append(screen, pos, end - pos);
    frame += "\x1b[K\r\n";
    pos = end + 1;
  }
  std::fwrite(frame.data(), 1, frame.size(), out_);
  std::fflush(out_);
}

}  // namespace hartbox
