// Parsing of command-line values shared by the subcommands: sizes ("128M") and addresses.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hartbox::cli {

// A bad command line; the message names the option and the value.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "128M", "1G", "4096K", "64KiB" (binary multiples) or plain bytes. Must be a non-zero multiple
// of 4 KiB, at most 1 TiB. `what` names the option in the error message.
uint64_t parse_size(std::string_view text, std::string_view what);
// Decimal, or hexadecimal with 0x.
uint64_t parse_address(std::string_view text, std::string_view what);

}  // namespace hartbox::cli
