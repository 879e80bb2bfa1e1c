// `hartbox ctl --socket PATH REQUEST`: one request to a running `hartbox fleet --control PATH`,
// its reply printed. REQUEST is JSON ('{"cmd":"inspect","name":"web"}') or words
// (`inspect web`, `set-weight web 300`); see manager/control_socket.hpp.
#include <boost/program_options.hpp>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "manager/cli/commands.hpp"
#include "manager/control_socket.hpp"

namespace po = boost::program_options;

namespace hartbox::cli {
namespace {

// How long to wait for a reply: a pause or a clone waits for the machine to leave its worker.
constexpr int kReplyTimeoutMs = 30'000;

class Connection {
 public:
  explicit Connection(const std::string& path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof addr.sun_path)
      throw std::runtime_error(path + ": not a usable socket path");
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("cannot create a socket: ") + std::strerror(errno));
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
      const int err = errno;
      ::close(fd_);
      throw std::runtime_error(path + ": cannot connect: " + std::strerror(err) +
                               (err == ENOENT || err == ECONNREFUSED ? " (is `hartbox fleet --control` running?)" : ""));
    }
  }
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void send_line(const std::string& line) {
    const std::string data = line + "\n";
    size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::runtime_error(std::string("the fleet closed the connection: ") + std::strerror(errno));
      sent += static_cast<size_t>(n);
    }
  }

  std::string read_line() {
    std::string line;
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(kReplyTimeoutMs);
    char c;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - std::chrono::steady_clock::now());
      if (left.count() <= 0) throw std::runtime_error("no reply from the fleet in 30 s");
      pollfd pfd{fd_, POLLIN, 0};
      const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready <= 0) continue;
      const ssize_t n = ::recv(fd_, &c, 1, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw std::runtime_error("the fleet closed the connection without a reply");
      if (c == '\n') return line;
      line += c;
    }
  }

 private:
  int fd_ = -1;
};

}  // namespace

int ctl_command(int argc, char** argv) {
  po::options_description options(
      "Usage: hartbox ctl --socket PATH REQUEST...\n\n"
      "Sends one request to a running `hartbox fleet --control PATH` and prints the reply.\n"
      "REQUEST is JSON, e.g. '{\"cmd\":\"inspect\",\"name\":\"web\"}', or words:\n"
      "  list | inspect NAME | pause NAME | resume NAME | stop NAME | snapshot NAME PATH |\n"
      "  restore PATH | clone NAME AS | set-weight NAME WEIGHT | set-cap NAME CAP | help\n\n"
      "Options");
  options.add_options()("help,h", "explain the options")("socket,s", po::value<std::string>(),
                                                         "the fleet's control socket")(
      "raw", "print the reply line as it came, not indented");
  po::options_description hidden;
  hidden.add_options()("words", po::value<std::vector<std::string>>());
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("words", -1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "hartbox ctl: %s (try hartbox ctl --help)\n", e.what());
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::cout << options << "\nExit code: 0 if the fleet answered with a result, 1 if it answered with an error.\n";
    return 0;
  }
  if (!vm.count("socket")) {
    std::fprintf(stderr, "hartbox ctl: --socket PATH is required (try hartbox ctl --help)\n");
    return kExitUsage;
  }
  nlohmann::json request;
  try {
    request = control_request_from_words(vm.count("words") ? vm["words"].as<std::vector<std::string>>()
                                                           : std::vector<std::string>{});
  } catch (const ControlError& e) {
    std::fprintf(stderr, "hartbox ctl: %s\n", e.what());
    return kExitUsage;
  }

  std::string reply_line;
  try {
    Connection connection(vm["socket"].as<std::string>());
    connection.send_line(request.dump());
    reply_line = connection.read_line();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hartbox ctl: %s\n", e.what());
    return kExitHostError;
  }
  const nlohmann::json reply = nlohmann::json::parse(reply_line, nullptr, false);
  if (reply.is_discarded() || !reply.is_object()) {
    std::fprintf(stderr, "hartbox ctl: the fleet's reply is not JSON: %s\n", reply_line.c_str());
    return kExitHostError;
  }
  if (reply.contains("error")) {
    const auto& error = reply["error"];
    std::fprintf(stderr, "hartbox ctl: %s\n", error.is_string() ? error.get<std::string>().c_str() : error.dump().c_str());
    return kExitHostError;
  }
  if (vm.count("raw")) std::printf("%s\n", reply_line.c_str());
  else std::printf("%s\n", reply.value("return", nlohmann::json::object()).dump(2).c_str());
  return 0;
}

}  // namespace hartbox::cli
