// Tests for manager/control_socket: the request parser against malformed, unknown, incomplete,
// mistyped and overlong requests (each gets {"error": ...} and reaches no operation), the words
// of `hartbox ctl`, and the server over a real Unix socket: several requests per connection,
// split writes, overlong lines, a client that vanishes, a stale socket file, and the adapter
// over a real Fleet.
#include <catch2/catch_test_macros.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "manager/control_socket.hpp"
#include "manager/fleet.hpp"

using namespace hartbox;
using Catch::Matchers::ContainsSubstring;
using nlohmann::json;

namespace {

// Records what it was asked; "bad" names fail.
struct FakeControl : FleetControl {
  std::vector<std::string> calls;
  void check(const std::string& name) {
    if (name == "bad") throw ControlError("no machine named 'bad'");
  }
  json list() override {
    calls.push_back("list");
    return json::array({{{"name", "web"}}});
  }
  json inspect(const std::string& name) override {
    check(name);
    calls.push_back("inspect " + name);
    return {{"name", name}};
  }
  void pause(const std::string& name) override {
    check(name);
    calls.push_back("pause " + name);
  }
  void resume(const std::string& name) override {
    check(name);
    calls.push_back("resume " + name);
  }
  void stop(const std::string& name) override {
    check(name);
    calls.push_back("stop " + name);
  }
  void destroy(const std::string& name) override {
    check(name);
    calls.push_back("destroy " + name);
  }
  void snapshot(const std::string&, const std::string&) override { throw ControlError("not supported yet"); }
  std::string restore(const std::string& path) override {
    calls.push_back("restore " + path);
    return "restored";
  }
  void clone(const std::string& name, const std::string& as) override { calls.push_back("clone " + name + " " + as); }
  void set_weight(const std::string& name, uint32_t w) override {
    calls.push_back("weight " + name + " " + std::to_string(w));
  }
  void set_cap(const std::string& name, double cap) override {
    calls.push_back("cap " + name + " " + std::to_string(cap));
  }
};

json ask(FleetControl& control, std::string_view line) {
  const std::string reply = handle_control_request(control, line);
  CHECK(reply.find('\n') == std::string::npos);
  return json::parse(reply);
}

std::string error_of(FleetControl& control, std::string_view line) {
  const json reply = ask(control, line);
  REQUIRE(reply.contains("error"));
  CHECK_FALSE(reply.contains("return"));
  return reply["error"].get<std::string>();
}

// A client of the server.
struct Client {
  int fd;
  explicit Client(const std::string& path) {
    fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~Client() { ::close(fd); }
  void send(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      REQUIRE(n > 0);
      sent += static_cast<size_t>(n);
    }
  }
  std::string line() {
    std::string out;
    char c;
    for (;;) {
      pollfd pfd{fd, POLLIN, 0};
      REQUIRE(::poll(&pfd, 1, 10'000) == 1);
      REQUIRE(::recv(fd, &c, 1, 0) == 1);
      if (c == '\n') return out;
      out += c;
    }
  }
  json reply() { return json::parse(line()); }
};

std::string socket_path(const char* tag) {
  return (std::filesystem::temp_directory_path() / ("hb_ctl_" + std::to_string(::getpid()) + "_" + tag)).string();
}

}  // namespace

TEST_CASE("control: well-formed requests reach the operations", "[control]") {
  FakeControl c;
  CHECK(ask(c, R"({"cmd":"list"})")["return"][0]["name"] == "web");
  CHECK(ask(c, R"({"cmd":"inspect","name":"web"})")["return"]["name"] == "web");
  CHECK(ask(c, R"({"cmd":"pause","name":"web"})")["return"] == json::object());
  CHECK(ask(c, R"( {"cmd" : "resume", "name": "web"} )")["return"] == json::object());
  CHECK(ask(c, R"({"cmd":"stop","name":"web","id":42})")["id"] == 42);  // the id is echoed
  CHECK(ask(c, R"({"cmd":"destroy","name":"web"})")["return"] == json::object());
  CHECK(ask(c, R"({"cmd":"restore","path":"x.snap"})")["return"]["name"] == "restored");
  CHECK(ask(c, R"({"cmd":"clone","name":"web","as":"web2"})").contains("return"));
  CHECK(ask(c, R"({"cmd":"set-weight","name":"web","weight":300})").contains("return"));
  CHECK(ask(c, R"({"cmd":"set-cap","name":"web","cap":0.25})").contains("return"));
  CHECK(ask(c, R"({"cmd":"set-cap","name":"web","cap":1})").contains("return"));
  CHECK(ask(c, R"({"cmd":"help"})")["return"].size() >= 10);
  CHECK(c.calls == std::vector<std::string>{"list", "inspect web", "pause web", "resume web", "stop web",
                                            "destroy web", "restore x.snap", "clone web web2", "weight web 300",
                                            "cap web 0.250000", "cap web 1.000000"});
}

TEST_CASE("control: malformed input gets one error line and reaches nothing", "[control]") {
  FakeControl c;
  CHECK_THAT(error_of(c, ""), ContainsSubstring("malformed JSON"));
  CHECK_THAT(error_of(c, "{"), ContainsSubstring("malformed JSON"));
  CHECK_THAT(error_of(c, "list"), ContainsSubstring("malformed JSON"));
  CHECK_THAT(error_of(c, R"({"cmd":"list"} trailing)"), ContainsSubstring("malformed JSON"));
  CHECK_THAT(error_of(c, std::string("{\"cmd\":\"l\xff\xfe\"}")), ContainsSubstring("malformed JSON"));
  CHECK_THAT(error_of(c, std::string("{\"cmd\":\"list\"}\0", 15)), ContainsSubstring("malformed JSON"));
  CHECK_THAT(error_of(c, std::string(100000, '[')), ContainsSubstring("longer than 65536 bytes"));
  CHECK_THAT(error_of(c, std::string(70000, ' ') + R"({"cmd":"list"})"), ContainsSubstring("longer than"));
  CHECK_THAT(error_of(c, R"(["list"])"), ContainsSubstring("must be a JSON object"));
  CHECK_THAT(error_of(c, R"("list")"), ContainsSubstring("must be a JSON object"));
  CHECK_THAT(error_of(c, "42"), ContainsSubstring("must be a JSON object"));
  CHECK_THAT(error_of(c, R"({"name":"web"})"), ContainsSubstring("missing \"cmd\""));
  CHECK_THAT(error_of(c, R"({"cmd":7})"), ContainsSubstring("\"cmd\" must be a string"));
  CHECK_THAT(error_of(c, R"({"cmd":"reboot"})"), ContainsSubstring("unknown command 'reboot'"));
  CHECK_THAT(error_of(c, R"({"cmd":"inspect"})"), ContainsSubstring("inspect: missing argument 'name'"));
  CHECK_THAT(error_of(c, R"({"cmd":"clone","name":"web"})"), ContainsSubstring("clone: missing argument 'as'"));
  CHECK_THAT(error_of(c, R"({"cmd":"pause","name":3})"), ContainsSubstring("'name' must be a string"));
  CHECK_THAT(error_of(c, R"({"cmd":"pause","name":null})"), ContainsSubstring("'name' must be a string"));
  CHECK_THAT(error_of(c, R"({"cmd":"pause","name":"web","force":true})"), ContainsSubstring("unexpected argument 'force'"));
  CHECK_THAT(error_of(c, R"({"cmd":"set-weight","name":"web","weight":"heavy"})"), ContainsSubstring("must be an integer"));
  CHECK_THAT(error_of(c, R"({"cmd":"set-weight","name":"web","weight":2.5})"), ContainsSubstring("must be an integer"));
  CHECK_THAT(error_of(c, R"({"cmd":"set-weight","name":"web","weight":0})"), ContainsSubstring("between 1 and 10000"));
  CHECK_THAT(error_of(c, R"({"cmd":"set-weight","name":"web","weight":-5})"), ContainsSubstring("between 1 and 10000"));
  CHECK_THAT(error_of(c, R"({"cmd":"set-weight","name":"web","weight":18446744073709551615})"),
             ContainsSubstring("between 1 and 10000"));
  CHECK_THAT(error_of(c, R"({"cmd":"set-cap","name":"web","cap":1.5})"), ContainsSubstring("between 0 and 1"));
  CHECK_THAT(error_of(c, R"({"cmd":"set-cap","name":"web","cap":-0.1})"), ContainsSubstring("between 0 and 1"));
  CHECK_THAT(error_of(c, R"({"cmd":"set-cap","name":"web","cap":1e999})"), ContainsSubstring("malformed JSON"));
  CHECK_THAT(error_of(c, R"({"cmd":"pause","name":"bad"})"), ContainsSubstring("no machine named 'bad'"));
  CHECK(error_of(c, R"({"cmd":"snapshot","name":"web","path":"x"})") == "not supported yet");
  // The id comes back with errors too.
  CHECK(ask(c, R"({"cmd":"nope","id":"a1"})")["id"] == "a1");
  CHECK(c.calls.empty());
}

TEST_CASE("control: the words of hartbox ctl", "[control]") {
  CHECK(control_request_from_words({"list"}) == json{{"cmd", "list"}});
  CHECK(control_request_from_words({"inspect", "web"}) == json{{"cmd", "inspect"}, {"name", "web"}});
  CHECK(control_request_from_words({"set-weight", "web", "300"}) ==
        json{{"cmd", "set-weight"}, {"name", "web"}, {"weight", 300}});
  CHECK(control_request_from_words({"set-cap", "web", "0.5"}) == json{{"cmd", "set-cap"}, {"name", "web"}, {"cap", 0.5}});
  // Not a number: passed on as a string, for the server to refuse with its reason.
  CHECK(control_request_from_words({"set-weight", "web", "heavy"})["weight"] == "heavy");
  CHECK(control_request_from_words({"clone", "web", "web-2"}) == json{{"cmd", "clone"}, {"name", "web"}, {"as", "web-2"}});
  CHECK(control_request_from_words({R"({"cmd":"list","id":1})"}) == json{{"cmd", "list"}, {"id", 1}});
  CHECK_THROWS_AS(control_request_from_words({}), ControlError);
  CHECK_THROWS_AS(control_request_from_words({"reboot"}), ControlError);
  CHECK_THROWS_AS(control_request_from_words({"inspect"}), ControlError);
  CHECK_THROWS_AS(control_request_from_words({"inspect", "a", "b"}), ControlError);
  CHECK_THROWS_AS(control_request_from_words({"{broken"}), ControlError);
}

TEST_CASE("control: the server over a Unix socket", "[control]") {
  FakeControl c;
  const std::string path = socket_path("srv");
  ControlSocketServer server(c, path);
  {
    Client a(path);
    // Two requests in one write, then one split over three writes, then a blank line.
    a.send("{\"cmd\":\"list\"}\n{\"cmd\":\"pause\",\"name\":\"web\"}\n");
    CHECK(a.reply()["return"][0]["name"] == "web");
    CHECK(a.reply()["return"] == json::object());
    a.send("{\"cmd\":\"inspect\",");
    a.send("\"name\":");
    a.send("\"web\"}\r\n\n");
    CHECK(a.reply()["return"]["name"] == "web");
    // Garbage, then a line far over the limit: errors, and the connection still works.
    a.send("not json\n");
    CHECK_THAT(a.reply()["error"].get<std::string>(), ContainsSubstring("malformed JSON"));
    a.send(std::string(200 * 1024, 'x') + "\n");
    CHECK_THAT(a.reply()["error"].get<std::string>(), ContainsSubstring("longer than 65536 bytes"));
    a.send("{\"cmd\":\"resume\",\"name\":\"web\"}\n");
    CHECK(a.reply().contains("return"));

    // A second client at the same time; one that leaves without reading does not matter.
    Client b(path);
    {
      Client gone(path);
      gone.send("{\"cmd\":\"list\"}\n{\"cmd\":\"list\"}\n");
    }
    b.send("{\"cmd\":\"stop\",\"name\":\"bad\"}\n");
    CHECK(b.reply()["error"] == "no machine named 'bad'");
  }
  {
    // A last request without its newline is answered when the client stops sending.
    Client d(path);
    d.send("{\"cmd\":\"help\"}");
    ::shutdown(d.fd, SHUT_WR);
    CHECK(d.reply().contains("return"));
  }
  CHECK(server.requests_served() >= 8);
  CHECK(std::find(c.calls.begin(), c.calls.end(), "resume web") != c.calls.end());
  // Another server cannot take a live socket's path.
  CHECK_THROWS_AS(ControlSocketServer(c, path), std::runtime_error);
}

TEST_CASE("control: socket paths that cannot be used", "[control]") {
  FakeControl c;
  CHECK_THROWS_AS(ControlSocketServer(c, std::string(200, 'x')), std::runtime_error);
  CHECK_THROWS_AS(ControlSocketServer(c, "/nonexistent-dir/sock"), std::runtime_error);
  // An ordinary file is never replaced.
  const std::string file = socket_path("file");
  std::ofstream(file) << "precious";
  try {
    ControlSocketServer server(c, file);
    FAIL("a file was replaced by a socket");
  } catch (const std::runtime_error& e) {
    CHECK_THAT(e.what(), ContainsSubstring("not a socket"));
  }
  std::ifstream in(file);
  std::string content;
  in >> content;
  CHECK(content == "precious");
  std::filesystem::remove(file);
  // A stale socket (its server is gone) is replaced.
  const std::string stale = socket_path("stale");
  {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, stale.c_str(), stale.size() + 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    ::close(fd);
  }
  {
    ControlSocketServer server(c, stale);
    Client client(stale);
    client.send("{\"cmd\":\"list\"}\n");
    CHECK(client.reply().contains("return"));
  }
  CHECK_FALSE(std::filesystem::exists(stale));  // removed when the server stops
}

TEST_CASE("control: the adapter over a real fleet", "[control]") {
  Fleet fleet(FleetConfig{.policy = "fair_share", .workers = 1});
  VmSpec spec;
  spec.name = "guest";
  spec.machine.time = MachineClock::Mode::Real;
  spec.setup = [](Machine& m) {
    // A loop: `j .` at the start of RAM.
    const uint32_t jump_to_self = 0x0000006f;
    m.ram().write(kRamBase, &jump_to_self, 4);
    m.set_entry(kRamBase);
  };
  const VmId id = fleet.create(spec);
  FleetControlAdapter adapter(fleet);
  CHECK(ask(adapter, R"({"cmd":"list"})")["return"][0]["state"] == "created");
  CHECK(error_of(adapter, R"({"cmd":"pause","name":"guest"})") == "machine 'guest' is created: cannot pause it");
  fleet.start(id);
  CHECK(ask(adapter, R"({"cmd":"pause","name":"guest"})").contains("return"));
  const json inspected = ask(adapter, R"({"cmd":"inspect","name":"guest"})")["return"];
  CHECK(inspected["state"] == "paused");
  CHECK(inspected["params"]["weight"] == 100);
  CHECK(ask(adapter, R"({"cmd":"set-weight","name":"guest","weight":400})").contains("return"));
  CHECK(ask(adapter, R"({"cmd":"set-cap","name":"guest","cap":0.5})").contains("return"));
  const json after = ask(adapter, R"({"cmd":"inspect","name":"guest"})")["return"];
  CHECK(after["params"]["weight"] == 400);
  CHECK(after["params"]["cap"] == 0.5);
  CHECK(ask(adapter, R"({"cmd":"resume","name":"guest"})").contains("return"));
  CHECK(error_of(adapter, R"({"cmd":"resume","name":"guest"})") == "machine 'guest' is running: cannot resume it");
  CHECK(error_of(adapter, R"({"cmd":"inspect","name":"ghost"})") == "no machine named 'ghost'");
  CHECK(error_of(adapter, R"({"cmd":"snapshot","name":"guest","path":"/tmp/x"})") == "not supported yet");
  CHECK(error_of(adapter, R"({"cmd":"clone","name":"guest","as":"g2"})") == "not supported yet");
  CHECK(error_of(adapter, R"({"cmd":"clone","name":"guest","as":"guest"})") == "a machine named 'guest' already exists");
  CHECK(ask(adapter, R"({"cmd":"stop","name":"guest"})").contains("return"));
  CHECK(ask(adapter, R"({"cmd":"inspect","name":"guest"})")["return"]["end"] == "stopped by request");
  CHECK(ask(adapter, R"({"cmd":"destroy","name":"guest"})").contains("return"));
  CHECK(error_of(adapter, R"({"cmd":"inspect","name":"guest"})") == "no machine named 'guest'");
  CHECK(ask(adapter, R"({"cmd":"list"})")["return"].empty());
  CHECK(error_of(adapter, R"({"cmd":"destroy","name":"guest"})") == "no machine named 'guest'");
}
