// The fleet's control socket (`hartbox fleet --control PATH`), in the spirit of QEMU's QMP: a
// Unix stream socket; each request is one line of JSON, each reply one line of JSON.
//
//   {"cmd":"list"}                                   -> {"return":[{"id":1,"name":"web",...},...]}
//   {"cmd":"inspect","name":"web"}                   -> {"return":{...}}
//   {"cmd":"pause","name":"web"}   resume, stop      -> {"return":{}}
//   {"cmd":"destroy","name":"web"}                   (stops it if it runs; it leaves the fleet)
//   {"cmd":"snapshot","name":"web","path":"web.snap"}
//   {"cmd":"restore","path":"web.snap"}              -> {"return":{"name":"..."}}
//   {"cmd":"clone","name":"web","as":"web-copy"}
//   {"cmd":"set-weight","name":"web","weight":300}   (1..10000)
//   {"cmd":"set-cap","name":"web","cap":0.25}        (fraction of one host thread, 0 = none)
//   {"cmd":"help"}                                   -> the commands and their arguments
//
// Anything wrong -- malformed JSON, not an object, an unknown command, a missing, extra or
// mistyped argument, a line over 64 KiB, an unknown machine, a step the machine's state does not
// allow -- gets {"error":"one sentence"} and changes nothing.
//
// The server runs on its own thread with non-blocking sockets and poll(), so a slow, silent or
// hostile client never blocks the fleet or the other clients. Requests are handled one at a time
// (a pause waits until the machine is off its worker). The socket file is created mode 0600 and
// removed when the server stops.
//
// Operations go through FleetControl, so the protocol can be tested without a fleet.
//
// Snapshot and restore: a snapshot refers to its machine's disks by path (devices/snapshot.hpp),
// and restore builds a new machine, named after the file ("web.snap" -> "web", or "web-2" while
// "web" exists). A writable disk is locked by the machine that has it open, even once stopped,
// so restoring a machine with one needs the original destroyed first: pause, snapshot, destroy,
// restore (the disk then still holds what the snapshot expects).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace hartbox {

class Fleet;

// A request that cannot be carried out; the message is the reply's "error".
struct ControlError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What the control socket can ask of a fleet. Machines are named as in the fleet spec. Every
// operation throws ControlError with a sentence when it cannot be done ("not supported yet" for
// one the fleet does not offer).
class FleetControl {
 public:
  virtual ~FleetControl() = default;
  virtual nlohmann::json list() = 0;
  virtual nlohmann::json inspect(const std::string& name) = 0;
  virtual void pause(const std::string& name) = 0;
  virtual void resume(const std::string& name) = 0;
  virtual void stop(const std::string& name) = 0;
  // Stops it if it runs and removes it from the fleet: its memory and its disks are released.
  virtual void destroy(const std::string& name) = 0;
  virtual void snapshot(const std::string& name, const std::string& path) = 0;
  virtual std::string restore(const std::string& path) = 0;  // returns the restored machine's name
  virtual void clone(const std::string& name, const std::string& as) = 0;
  virtual void set_weight(const std::string& name, uint32_t weight) = 0;
  virtual void set_cap(const std::string& name, double cap) = 0;
};

// FleetControl over a Fleet. Snapshot, restore and clone are answered "not supported yet"
// unless the hooks are set (they run on the control thread).
class FleetControlAdapter final : public FleetControl {
 public:
  struct Hooks {
    std::function<void(const std::string& name, const std::string& path)> snapshot;
    std::function<std::string(const std::string& path)> restore;
    std::function<void(const std::string& name, const std::string& as)> clone;
  };
  explicit FleetControlAdapter(Fleet& fleet, Hooks hooks = {});

  nlohmann::json list() override;
  nlohmann::json inspect(const std::string& name) override;
  void pause(const std::string& name) override;
  void resume(const std::string& name) override;
  void stop(const std::string& name) override;
  void destroy(const std::string& name) override;
  void snapshot(const std::string& name, const std::string& path) override;
  std::string restore(const std::string& path) override;
  void clone(const std::string& name, const std::string& as) override;
  void set_weight(const std::string& name, uint32_t weight) override;
  void set_cap(const std::string& name, double cap) override;

 private:
  uint64_t id_of(const std::string& name) const;
  template <typename Fn>
  void lifecycle(const std::string& name, std::string_view what, Fn&& fn);

  Fleet& fleet_;
  Hooks hooks_;
};

inline constexpr size_t kMaxControlLine = 64 * 1024;

// One request line (without its newline) -> one reply line (without a newline). Never throws.
std::string handle_control_request(FleetControl& control, std::string_view line);

// `hartbox ctl` words -> a request: ["set-weight", "web", "300"] ->
// {"cmd":"set-weight","name":"web","weight":300}. A single word starting with '{' is taken as
// JSON as it is. Throws ControlError for an unknown command or the wrong number of words.
nlohmann::json control_request_from_words(const std::vector<std::string>& words);

class ControlSocketServer {
 public:
  // Creates the socket (replacing a stale one left by a dead server, never any other file) and
  // starts serving. Throws std::runtime_error "PATH: problem".
  ControlSocketServer(FleetControl& control, std::string path);
  // Stops serving, closes every connection and removes the socket file.
  ~ControlSocketServer();
  ControlSocketServer(const ControlSocketServer&) = delete;
  ControlSocketServer& operator=(const ControlSocketServer&) = delete;

  const std::string& path() const { return path_; }
  uint64_t requests_served() const { return served_.load(std::memory_order_relaxed); }

  static constexpr size_t kMaxClients = 32;
  static constexpr size_t kMaxPendingOutput = 1 << 20;  // a client that reads nothing is dropped

 private:
  void serve();

  FleetControl& control_;
  std::string path_;
  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};  // written to stop the server thread
  std::atomic<uint64_t> served_{0};
  std::thread thread_;
};

}  // namespace hartbox
