// The `hartbox` command: a thin front end that parses options and calls the library.
#include <cstdio>
#include <cstring>
#include <string_view>

#include "manager/cli/commands.hpp"

namespace {

void print_usage(std::FILE* out) {
  std::fputs(
      "Usage: hartbox COMMAND [OPTIONS]\n"
      "\n"
      "Commands:\n"
      "  run PROGRAM [ARGS...]   run a RISC-V program (ELF) until it exits; its exit code is ours\n"
      "  run --bios FILE --kernel FILE ...   boot firmware and a kernel on the virt board, as QEMU does\n"
      "  fleet [SPEC.toml]       run a fleet of machines under a fair-share scheduler (no spec: the demo)\n"
      "  ctl --socket PATH CMD   talk to a running fleet's control socket (list, pause, set-weight...)\n"
      "  disasm FILE.elf         print a program's code with its symbols (Capstone)\n"
      "\n"
      "`hartbox COMMAND --help` explains a command's options.\n",
      out);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    print_usage(stderr);
    return 2;
  }
  const std::string_view command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    print_usage(stdout);
    // `hartbox --help` explains every option, so show run's too.
    const char* run_help[] = {"hartbox run", "--help"};
    return hartbox::cli::run_command(2, const_cast<char**>(run_help));
  }
  if (command == "run") return hartbox::cli::run_command(argc - 1, argv + 1);
  if (command == "fleet") return hartbox::cli::fleet_command(argc - 1, argv + 1);
  if (command == "ctl") return hartbox::cli::ctl_command(argc - 1, argv + 1);
  if (command == "disasm") return hartbox::cli::disasm_command(argc - 1, argv + 1);
  std::fprintf(stderr, "hartbox: unknown command '%s' (try hartbox --help)\n", argv[1]);
  return 2;
}
