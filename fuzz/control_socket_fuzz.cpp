// Fuzz target `control_socket`: the control socket's request parser (manager/control_socket.hpp)
// on arbitrary lines, against a fleet that only records what it was asked.
//
// The protocol's promises are what is checked: handle_control_request never throws; its reply is
// one line of JSON, an object with exactly one of "return" or "error" (plus "id" when the request
// had one); a request that gets an error changes nothing (no FleetControl call is made); every
// call that is made carries arguments inside the documented ranges (weight 1..10000, cap 0..1).
// control_request_from_words (`hartbox ctl`) throws only ControlError.
//
// Input: the whole input is one request line; also split at NUL bytes into `ctl` words.
#include <cmath>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_support.hpp"
#include "manager/control_socket.hpp"

using namespace hartbox;
using nlohmann::json;

namespace {

// Records calls; refuses (ControlError) machines whose name starts with "x", as a fleet refuses
// an unknown machine.
class RecordingControl final : public FleetControl {
 public:
  unsigned calls = 0;

  json list() override { return json::array({{{"id", 1}, {"name", "web"}}}); }
  json inspect(const std::string& name) override {
    known(name);
    return {{"name", name}};
  }
  void pause(const std::string& name) override { change(name); }
  void resume(const std::string& name) override { change(name); }
  void stop(const std::string& name) override { change(name); }
  void destroy(const std::string& name) override { change(name); }
  void snapshot(const std::string& name, const std::string& path) override {
    change(name);
    (void)path;
  }
  std::string restore(const std::string& path) override {
    ++calls;
    return path.empty() ? std::string("restored") : path.substr(0, 16);
  }
  void clone(const std::string& name, const std::string& as) override {
    change(name);
    (void)as;
  }
  void set_weight(const std::string& name, uint32_t weight) override {
    fuzz::require(weight >= 1 && weight <= 10000,
                  "set_weight reached the fleet with weight " + std::to_string(weight) + " (documented range 1..10000)");
    change(name);
  }
  void set_cap(const std::string& name, double cap) override {
    fuzz::require(std::isfinite(cap) && cap >= 0 && cap <= 1,
                  "set_cap reached the fleet with cap " + std::to_string(cap) + " (documented range 0..1)");
    change(name);
  }

 private:
  void known(const std::string& name) {
    if (!name.empty() && name[0] == 'x') throw ControlError("no machine named '" + name + "'");
  }
  void change(const std::string& name) {
    known(name);
    ++calls;
  }
};

void check_reply(const std::string& request, const std::string& reply, unsigned calls_made) {
  fuzz::require(reply.find('\n') == std::string::npos, "the reply is more than one line: " + reply);
  const json parsed = json::parse(reply, nullptr, false);
  fuzz::require(!parsed.is_discarded() && parsed.is_object(), "the reply is not a JSON object: " + reply);
  const bool has_return = parsed.contains("return"), has_error = parsed.contains("error");
  fuzz::require(has_return != has_error, "the reply needs exactly one of return/error: " + reply);
  for (auto& [key, value] : parsed.items())
    fuzz::require(key == "return" || key == "error" || key == "id", "unexpected key in the reply: " + reply);
  if (has_error) {
    fuzz::require(parsed["error"].is_string(), "the error is not a string: " + reply);
    // "Anything wrong ... changes nothing" (a ControlError from the fleet itself comes after the
    // call that raised it: the recording control counts only calls that succeed).
    fuzz::require(calls_made == 0, "a request that was refused still reached the fleet: " + request + " -> " + reply);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string line(reinterpret_cast<const char*>(data), size);
  RecordingControl control;
  std::string reply;
  try {
    reply = handle_control_request(control, line);
  } catch (const std::exception& e) {
    fuzz::finding(std::string("handle_control_request threw: ") + e.what());
  }
  check_reply(line, reply, control.calls);

  std::vector<std::string> words(1);
  for (char c : line) {
    if (c == '\0') words.emplace_back();
    else words.back() += c;
  }
  try {
    const json request = control_request_from_words(words);
    // What `ctl` builds must be a request the server takes as well-formed (or refuses with a
    // sentence): never a throw.
    RecordingControl second;
    check_reply(request.dump(-1, ' ', false, json::error_handler_t::replace),
                handle_control_request(second, request.dump(-1, ' ', false, json::error_handler_t::replace)),
                second.calls);
  } catch (const ControlError&) {
  } catch (const std::exception& e) {
    fuzz::finding(std::string("control_request_from_words threw something other than ControlError: ") + e.what());
  }
  return 0;
}
