#include "manager/cli/parse.hpp"

#include <charconv>
#include <optional>

#include "manager/fleet_spec.hpp"

namespace hartbox::cli {

uint64_t parse_size(std::string_view text, std::string_view what) {
  const std::string quoted = std::string(what) + " '" + std::string(text) + "'";
  const std::optional<uint64_t> value = parse_byte_size(text);  // the fleet spec's sizes too
  if (!value) throw UsageError(quoted + ": expected a size such as 128M, 1G or 65536 (units K, M, G, T)");
  if (*value < 4096 || *value > (uint64_t{1} << 40)) throw UsageError(quoted + ": must be between 4K and 1T");
  if (*value % 4096 != 0) throw UsageError(quoted + ": must be a multiple of 4 KiB");
  return *value;
}

uint64_t parse_address(std::string_view text, std::string_view what) {
  int base = 10;
  std::string_view digits = text;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  }
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
  if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty())
    throw UsageError(std::string(what) + " '" + std::string(text) + "': expected an address such as 0x80000000");
  return value;
}

}  // namespace hartbox::cli
