#include "manager/control_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>
#include <memory>

#include "manager/fleet.hpp"

namespace hartbox {

using nlohmann::json;

namespace {

enum class ArgType { String, Integer, Number };

struct CommandSpec {
  std::string_view name;
  std::vector<std::pair<std::string_view, ArgType>> args;  // all required, in `ctl` word order
  std::string_view help;
};

const std::vector<CommandSpec>& commands() {
  static const std::vector<CommandSpec> table = {
      {"list", {}, "every machine: id, name, group, state, weight, cap, instructions, CPU time"},
      {"inspect", {{"name", ArgType::String}}, "one machine in detail"},
      {"pause", {{"name", ArgType::String}}, "take a machine off the CPU until resumed"},
      {"resume", {{"name", ArgType::String}}, "let a paused machine run again"},
      {"stop", {{"name", ArgType::String}}, "stop a machine for good"},
      {"destroy", {{"name", ArgType::String}}, "stop a machine if it runs and remove it, releasing its disks"},
      {"snapshot", {{"name", ArgType::String}, {"path", ArgType::String}}, "save a machine's state to a file"},
      {"restore", {{"path", ArgType::String}}, "start a machine from a snapshot file"},
      {"clone", {{"name", ArgType::String}, {"as", ArgType::String}}, "start a copy of a running machine"},
      {"set-weight", {{"name", ArgType::String}, {"weight", ArgType::Integer}}, "fair-share weight, 1..10000"},
      {"set-cap", {{"name", ArgType::String}, {"cap", ArgType::Number}},
       "CPU cap as a fraction of one host thread, 0..1 (0: none)"},
      {"help", {}, "this list"},
  };
  return table;
}

const CommandSpec* find_command(std::string_view name) {
  for (const CommandSpec& c : commands())
    if (c.name == name) return &c;
  return nullptr;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string error_reply(const std::string& message, const json* id = nullptr) {
  json reply = {{"error", message}};
  if (id) reply["id"] = *id;
  return dump(reply);
}

const char* type_word(ArgType t) {
  switch (t) {
    case ArgType::String: return "a string";
    case ArgType::Integer: return "an integer";
    case ArgType::Number: return "a number";
  }
  return "?";
}

bool has_type(const json& value, ArgType t) {
  switch (t) {
    case ArgType::String: return value.is_string();
    case ArgType::Integer: return value.is_number_integer();
    case ArgType::Number: return value.is_number();
  }
  return false;
}

json help_json() {
  json out = json::array();
  for (const CommandSpec& c : commands()) {
    json args = json::array();
    for (auto& [name, type] : c.args) args.push_back(std::string(name));
    out.push_back({{"cmd", std::string(c.name)}, {"args", args}, {"help", std::string(c.help)}});
  }
  return out;
}

json dispatch(FleetControl& control, const CommandSpec& command, const json& req) {
  const std::string_view cmd = command.name;
  auto str = [&](const char* key) { return req.at(key).get<std::string>(); };
  if (cmd == "list") return control.list();
  if (cmd == "help") return help_json();
  if (cmd == "inspect") return control.inspect(str("name"));
  if (cmd == "pause") control.pause(str("name"));
  else if (cmd == "resume") control.resume(str("name"));
  else if (cmd == "stop") control.stop(str("name"));
  else if (cmd == "destroy") control.destroy(str("name"));
  else if (cmd == "snapshot") control.snapshot(str("name"), str("path"));
  else if (cmd == "restore") return {{"name", control.restore(str("path"))}};
  else if (cmd == "clone") control.clone(str("name"), str("as"));
  else if (cmd == "set-weight") {
    const json& w = req.at("weight");
    const bool in_range = w.is_number_unsigned() ? w.get<uint64_t>() >= 1 && w.get<uint64_t>() <= 10000
                                                 : w.get<int64_t>() >= 1 && w.get<int64_t>() <= 10000;
    if (!in_range) throw ControlError("set-weight: 'weight' must be between 1 and 10000");
    control.set_weight(str("name"), static_cast<uint32_t>(w.get<int64_t>()));
  } else if (cmd == "set-cap") {
    const double cap = req.at("cap").get<double>();
    if (!std::isfinite(cap) || cap < 0 || cap > 1)
      throw ControlError("set-cap: 'cap' must be between 0 and 1 (a fraction of one host thread; 0: none)");
    control.set_cap(str("name"), cap);
  }
  return json::object();
}

}  // namespace

std::string handle_control_request(FleetControl& control, std::string_view line) {
  if (line.size() > kMaxControlLine)
    return error_reply("request longer than " + std::to_string(kMaxControlLine) + " bytes");
  if (line.find('\0') != std::string_view::npos) return error_reply("malformed JSON: a NUL byte in the request");
  json req;
  try {
    req = json::parse(line);
  } catch (const json::exception& e) {
    // "[json.exception.parse_error.101] parse error at line 1, column 3: ..." -> "parse error at
    // line 1, ..."; also out_of_range for a number like 1e999.
    std::string what = e.what();
    const auto bracket = what.find("] ");
    return error_reply("malformed JSON: " + (bracket == std::string::npos ? what : what.substr(bracket + 2)));
  }
  if (!req.is_object()) return error_reply("a request must be a JSON object such as {\"cmd\":\"list\"}");
  const json* id = req.contains("id") ? &req["id"] : nullptr;
  auto cmd = req.find("cmd");
  if (cmd == req.end()) return error_reply("missing \"cmd\" (try {\"cmd\":\"help\"})", id);
  if (!cmd->is_string()) return error_reply("\"cmd\" must be a string", id);
  const std::string name = cmd->get<std::string>();
  const CommandSpec* command = find_command(name);
  if (!command) return error_reply("unknown command '" + name + "' (try {\"cmd\":\"help\"})", id);
  for (auto& [arg, type] : command->args) {
    auto it = req.find(std::string(arg));
    if (it == req.end()) return error_reply(name + ": missing argument '" + std::string(arg) + "'", id);
    if (!has_type(*it, type))
      return error_reply(name + ": '" + std::string(arg) + "' must be " + type_word(type), id);
  }
  for (auto& [key, value] : req.items()) {
    if (key == "cmd" || key == "id") continue;
    bool known = false;
    for (auto& [arg, type] : command->args) known = known || arg == key;
    if (!known) return error_reply(name + ": unexpected argument '" + key + "'", id);
  }
  try {
    json reply = {{"return", dispatch(control, *command, req)}};
    if (id) reply["id"] = *id;
    return dump(reply);
  } catch (const std::exception& e) {
    return error_reply(e.what(), id);
  }
}

json control_request_from_words(const std::vector<std::string>& words) {
  if (words.empty()) throw ControlError("no command given (try: help)");
  if (words.size() == 1 && !words[0].empty() && words[0][0] == '{') {
    json req = json::parse(words[0], nullptr, false);
    if (req.is_discarded()) throw ControlError("the request is not valid JSON");
    return req;
  }
  const CommandSpec* command = find_command(words[0]);
  if (!command) throw ControlError("unknown command '" + words[0] + "' (try: help)");
  if (words.size() != command->args.size() + 1) {
    std::string usage = std::string(command->name);
    for (auto& [arg, type] : command->args) {
      usage += ' ';  // not " " + std::string(arg): GCC 12 -O3's false -Wrestrict (its bug 105329)
      usage += arg;
    }
    throw ControlError("usage: " + usage);
  }
  json req = {{"cmd", words[0]}};
  for (size_t i = 0; i < command->args.size(); ++i) {
    const auto& [arg, type] = command->args[i];
    const std::string& word = words[i + 1];
    const std::string key(arg);
    if (type == ArgType::String) {
      req[key] = word;
      continue;
    }
    // Numbers go as numbers; a word that is not one goes as a string and the server says why.
    if (type == ArgType::Integer) {
      int64_t v = 0;
      const auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), v);
      if (ec == std::errc() && end == word.data() + word.size()) req[key] = v;
      else req[key] = word;
    } else {
      char* end = nullptr;
      const double v = std::strtod(word.c_str(), &end);
      if (!word.empty() && end == word.c_str() + word.size()) req[key] = v;
      else req[key] = word;
    }
  }
  return req;
}

// ---------------------------------------------------------------------------------------------
// FleetControlAdapter

namespace {

json params_json(const SchedParams& p) {
  return {{"weight", p.weight}, {"cap", p.cap}, {"reservation", p.reservation}, {"priority", p.priority}};
}

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }
double micros(std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e3; }

std::string end_of(const VmInfo& vm) {
  if (vm.stop) return describe(*vm.stop);
  if (vm.state == VmState::Failed) return vm.failure;
  return "";
}

}  // namespace

FleetControlAdapter::FleetControlAdapter(Fleet& fleet, Hooks hooks) : fleet_(fleet), hooks_(std::move(hooks)) {}

uint64_t FleetControlAdapter::id_of(const std::string& name) const {
  if (auto id = fleet_.find(name)) return *id;
  throw ControlError("no machine named '" + name + "'");
}

template <typename Fn>
void FleetControlAdapter::lifecycle(const std::string& name, std::string_view what, Fn&& fn) {
  const VmId id = id_of(name);
  try {
    fn(id);
  } catch (const IllegalTransition& e) {
    throw ControlError("machine '" + name + "' is " + std::string(to_string(e.from)) + ": cannot " +
                       std::string(what) + " it");
  } catch (const FleetError& e) {
    throw ControlError(e.what());
  }
}

json FleetControlAdapter::list() {
  json out = json::array();
  for (const VmInfo& vm : fleet_.list()) {
    out.push_back({{"id", vm.id},
                   {"name", vm.name},
                   {"group", vm.group},
                   {"state", std::string(to_string(vm.state))},
                   {"weight", vm.params.weight},
                   {"cap", vm.params.cap},
                   {"instructions", vm.accounting.instructions},
                   {"cpu_seconds", seconds(vm.accounting.cpu_time)},
                   {"wakeups", vm.accounting.wakeups}});
  }
  return out;
}

json FleetControlAdapter::inspect(const std::string& name) {
  const VmInfo vm = fleet_.inspect(id_of(name));
  const VmAccounting& a = vm.accounting;
  json out = {{"id", vm.id},
              {"name", vm.name},
              {"group", vm.group},
              {"state", std::string(to_string(vm.state))},
              {"params", params_json(vm.params)},
              {"accounting",
               {{"instructions", a.instructions},
                {"steps", a.steps},
                {"cpu_seconds", seconds(a.cpu_time)},
                {"slices", a.slices},
                {"wakeups", a.wakeups},
                {"throttles", a.throttles},
                {"latency_us",
                 {{"samples", a.latency.count},
                  {"mean", micros(a.latency.mean)},
                  {"p50", micros(a.latency.p50)},
                  {"p99", micros(a.latency.p99)},
                  {"max", micros(a.latency.max)}}}}}};
  if (vm.sched) {
    out["sched"] = {{"state", std::string(to_string(vm.sched->state))},
                    {"consumed", vm.sched->consumed},
                    {"vruntime", vm.sched->vruntime},
                    {"period_used", vm.sched->period_used},
                    {"throttle_count", vm.sched->throttle_count}};
  }
  if (const std::string end = end_of(vm); !end.empty()) out["end"] = end;
  return out;
}

void FleetControlAdapter::pause(const std::string& name) {
  lifecycle(name, "pause", [&](VmId id) { fleet_.pause(id); });
}
void FleetControlAdapter::resume(const std::string& name) {
  lifecycle(name, "resume", [&](VmId id) { fleet_.resume(id); });
}
void FleetControlAdapter::stop(const std::string& name) {
  lifecycle(name, "stop", [&](VmId id) { fleet_.stop(id); });
}
void FleetControlAdapter::destroy(const std::string& name) {
  lifecycle(name, "destroy", [&](VmId id) { fleet_.destroy(id); });
}

void FleetControlAdapter::snapshot(const std::string& name, const std::string& path) {
  id_of(name);
  if (!hooks_.snapshot) throw ControlError("not supported yet");
  hooks_.snapshot(name, path);
}

std::string FleetControlAdapter::restore(const std::string& path) {
  if (!hooks_.restore) throw ControlError("not supported yet");
  return hooks_.restore(path);
}

void FleetControlAdapter::clone(const std::string& name, const std::string& as) {
  id_of(name);
  if (fleet_.find(as)) throw ControlError("a machine named '" + as + "' already exists");
  if (!hooks_.clone) throw ControlError("not supported yet");
  hooks_.clone(name, as);
}

void FleetControlAdapter::set_weight(const std::string& name, uint32_t weight) {
  lifecycle(name, "set the weight of", [&](VmId id) { fleet_.set_weight(id, weight); });
}

void FleetControlAdapter::set_cap(const std::string& name, double cap) {
  lifecycle(name, "set the cap of", [&](VmId id) { fleet_.set_cap(id, cap); });
}

// ---------------------------------------------------------------------------------------------
// ControlSocketServer

namespace {

std::runtime_error socket_error(const std::string& path, const std::string& what, int err) {
  return std::runtime_error(path + ": " + what + ": " + std::strerror(err));
}

bool fill_address(const std::string& path, sockaddr_un& addr) {
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path) return false;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return true;
}

// True if a server answers at `path`.
bool live_server(const sockaddr_un& addr) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  const bool live = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return live;
}

struct Client {
  int fd = -1;
  std::string in, out;
  bool discarding = false;  // skipping the rest of an overlong line
  bool closing = false;     // peer finished sending: close once `out` is written
};

}  // namespace

ControlSocketServer::ControlSocketServer(FleetControl& control, std::string path)
    : control_(control), path_(std::move(path)) {
  sockaddr_un addr;
  if (!fill_address(path_, addr))
    throw std::runtime_error(path_ + ": a control socket path must be 1 to " +
                             std::to_string(sizeof addr.sun_path - 1) + " bytes long");
  struct stat st {};
  if (::lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(path_ + ": exists and is not a socket (not replacing it)");
    if (live_server(addr)) throw std::runtime_error(path_ + ": another server is listening there");
    ::unlink(path_.c_str());  // stale: its server died
  }
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw socket_error(path_, "cannot create a socket", errno);
  if (::bind(listen_fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(listen_fd_);
    throw socket_error(path_, "cannot bind", err);
  }
  ::chmod(path_.c_str(), 0600);  // the socket controls the fleet: its owner only
  if (::listen(listen_fd_, 16) != 0 || ::pipe2(wake_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
    const int err = errno;
    ::close(listen_fd_);
    ::unlink(path_.c_str());
    throw socket_error(path_, "cannot listen", err);
  }
  thread_ = std::thread([this] { serve(); });
}

ControlSocketServer::~ControlSocketServer() {
  const char byte = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_pipe_[1], &byte, 1);
  thread_.join();
  ::close(listen_fd_);
  ::close(wake_pipe_[0]);
  ::close(wake_pipe_[1]);
  ::unlink(path_.c_str());
}

void ControlSocketServer::serve() {
  std::vector<std::unique_ptr<Client>> clients;
  std::vector<pollfd> fds;
  char buffer[16384];
  for (;;) {
    fds.clear();
    fds.push_back({wake_pipe_[0], POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& c : clients) {
      short events = c->closing ? 0 : POLLIN;
      if (!c->out.empty()) events = static_cast<short>(events | POLLOUT);
      fds.push_back({c->fd, events, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;  // cannot happen with valid descriptors; the fleet goes on without its socket
    }
    if (fds[0].revents) break;

    for (size_t i = 0; i < clients.size(); ++i) {
      Client& c = *clients[i];
      const short revents = fds[i + 2].revents;
      bool drop = (revents & (POLLERR | POLLNVAL)) != 0;
      if (!drop && (revents & (POLLIN | POLLHUP)) && !c.closing) {
        // Read what is there (bounded per round, so one client cannot starve the others).
        for (int round = 0; round < 16; ++round) {
          const ssize_t n = ::recv(c.fd, buffer, sizeof buffer, 0);
          if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) break;
          if (n <= 0) {
            // End of input: a last line without its newline still gets an answer.
            if (!c.discarding && !c.in.empty()) {
              c.out += handle_control_request(control_, c.in) + "\n";
              served_.fetch_add(1, std::memory_order_relaxed);
            }
            c.in.clear();
            c.closing = true;
            if (n < 0) drop = true;
            break;
          }
          std::string_view chunk(buffer, static_cast<size_t>(n));
          while (!chunk.empty()) {
            const size_t newline = chunk.find('\n');
            if (c.discarding) {
              if (newline == std::string_view::npos) {
                chunk = {};
              } else {
                c.discarding = false;
                chunk.remove_prefix(newline + 1);
              }
              continue;
            }
            const size_t take = newline == std::string_view::npos ? chunk.size() : newline;
            if (c.in.size() + take > kMaxControlLine) {
              c.out += error_reply("request longer than " + std::to_string(kMaxControlLine) + " bytes") + "\n";
              c.in.clear();
              c.discarding = newline == std::string_view::npos;
              chunk.remove_prefix(newline == std::string_view::npos ? chunk.size() : newline + 1);
              continue;
            }
            c.in.append(chunk.substr(0, take));
            if (newline == std::string_view::npos) break;
            chunk.remove_prefix(newline + 1);
            std::string line = std::move(c.in);
            c.in.clear();
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank lines
            c.out += handle_control_request(control_, line) + "\n";
            served_.fetch_add(1, std::memory_order_relaxed);
          }
        }
      }
      if (!drop && !c.out.empty()) {
        const ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) c.out.erase(0, static_cast<size_t>(n));
        else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) drop = true;
      }
      if (c.out.size() > kMaxPendingOutput) drop = true;  // it does not read its replies
      if (c.closing && c.out.empty()) drop = true;
      if (drop) {
        ::close(c.fd);
        c.fd = -1;
      }
    }
    std::erase_if(clients, [](const auto& c) { return c->fd < 0; });

    if (fds[1].revents & POLLIN) {
      for (;;) {
        const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        if (clients.size() >= kMaxClients) {
          const std::string busy = error_reply("too many control connections") + "\n";
          [[maybe_unused]] ssize_t n = ::send(fd, busy.data(), busy.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
          ::close(fd);
          continue;
        }
        auto client = std::make_unique<Client>();
        client->fd = fd;
        clients.push_back(std::move(client));
      }
    }
  }
  for (const auto& c : clients) ::close(c->fd);
}

}  // namespace hartbox
