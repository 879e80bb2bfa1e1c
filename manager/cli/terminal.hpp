// The host terminal in raw mode while a guest console owns it (keys go to the guest unchanged,
// Ctrl-C included, as with QEMU's -nographic), restored on every exit path: normal return,
// exit(), and the fatal signals. Only the command-line front end uses this; the library never
// touches the terminal.
#pragma once

namespace hartbox::cli {

class RawTerminal {
 public:
  RawTerminal();   // no effect if stdin is not a terminal
  ~RawTerminal();  // restores the saved settings
  RawTerminal(const RawTerminal&) = delete;
  RawTerminal& operator=(const RawTerminal&) = delete;
};

}  // namespace hartbox::cli
