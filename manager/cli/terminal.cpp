#include "manager/cli/terminal.hpp"

#include <csignal>
#include <cstdlib>
#include <initializer_list>
#include <termios.h>
#include <unistd.h>

namespace hartbox::cli {
namespace {

// The one piece of process-wide state in the front end: the terminal settings to restore. It
// must be reachable from a signal handler and from atexit, so it cannot live in an object.
struct SavedTerminal {
  termios settings{};
  volatile sig_atomic_t saved = 0;
};
SavedTerminal g_saved;

void restore() {
  if (g_saved.saved) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &g_saved.settings);
    g_saved.saved = 0;
  }
}

void on_fatal_signal(int signal) {
  restore();
  std::signal(signal, SIG_DFL);
  std::raise(signal);
}

}  // namespace

RawTerminal::RawTerminal() {
  if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &g_saved.settings) != 0) return;
  g_saved.saved = 1;
  std::atexit(restore);
  for (int sig : {SIGTERM, SIGHUP, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL})
    std::signal(sig, on_fatal_signal);
  termios raw = g_saved.settings;
  cfmakeraw(&raw);
  raw.c_oflag |= OPOST | ONLCR;  // keep "\n" -> "\r\n" on output so our own messages stay readable
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
}

RawTerminal::~RawTerminal() { restore(); }

}  // namespace hartbox::cli
