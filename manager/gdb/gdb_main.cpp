// hartbox_gdb_test_server: loads a bare-metal ELF into a Machine and serves gdb on it, for the
// tests in tests/gdb/. `hartbox run --gdb PORT [--gdb-wait]` does the same with every option of
// `hartbox run`.
//
// usage: hartbox_gdb_test_server [--engine E] [--smp N] [--port P] [--gdb-wait] PROGRAM [ARGS...]
// Notices (the port listened on) go to stderr; the guest's console to stdout; the exit code is
// run_with_gdb()'s: the guest's exit code, 137 if gdb killed it, 1 on a host error, 2 on usage.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "devices/machine.hpp"
#include "manager/gdb/gdb_server.hpp"

namespace {

constexpr int kUsage = 2;

int usage(const char* problem) {
  std::fprintf(stderr,
               "hartbox_gdb_test_server: %s\n"
               "usage: hartbox_gdb_test_server [--engine E] [--smp N] [--port P] [--gdb-wait] PROGRAM [ARGS...]\n",
               problem);
  return kUsage;
}

bool parse_number(const char* text, unsigned long max, unsigned long& value) {
  char* end = nullptr;
  value = std::strtoul(text, &end, 10);
  return end != text && *end == '\0' && value <= max;
}

}  // namespace

int main(int argc, char** argv) {
  hartbox::MachineConfig config;
  hartbox::GdbServerOptions options;
  options.log = stderr;
  int index = 1;
  for (; index < argc && argv[index][0] == '-'; ++index) {
    const std::string_view option = argv[index];
    const bool has_value = index + 1 < argc;
    unsigned long number = 0;
    if (option == "--gdb-wait") {
      options.wait_for_attach = true;
    } else if (option == "--engine" && has_value) {
      config.engine = argv[++index];
    } else if (option == "--smp" && has_value) {
      if (!parse_number(argv[++index], hartbox::kMaxHarts, number) || number == 0) return usage("bad --smp");
      config.harts = static_cast<unsigned>(number);
    } else if (option == "--port" && has_value) {
      if (!parse_number(argv[++index], 65535, number)) return usage("bad --port");
      options.port = static_cast<uint16_t>(number);
    } else if (option == "--") {
      ++index;
      break;
    } else {
      return usage(("unknown option or missing value: " + std::string(option)).c_str());
    }
  }
  if (index >= argc) return usage("no program given");
  for (int i = index; i < argc; ++i) config.command_line.push_back(argv[i]);

  try {
    hartbox::Machine machine(config);
    machine.load_elf(argv[index]);
    const int code = hartbox::run_with_gdb(machine, options);
    std::fflush(stdout);
    return code;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hartbox_gdb_test_server: %s\n", e.what());
    return 1;
  }
}
