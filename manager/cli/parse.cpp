#include "manager/cli/parse.hpp"

#include <cctype>
#include <charconv>

namespace hartbox::cli {

uint64_t parse_size(std::string_view text, std::string_view what) {
  const std::string quoted = std::string(what) + " '" + std::string(text) + "'";
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end == text.data()) throw UsageError(quoted + ": expected a size such as 128M, 1G or 65536");
  std::string suffix(end, text.data() + text.size());
  for (char& c : suffix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  unsigned shift = 0;
  if (suffix.empty() || suffix == "B") shift = 0;
  else if (suffix == "K" || suffix == "KB" || suffix == "KIB") shift = 10;
  else if (suffix == "M" || suffix == "MB" || suffix == "MIB") shift = 20;
  else if (suffix == "G" || suffix == "GB" || suffix == "GIB") shift = 30;
  else if (suffix == "T" || suffix == "TB" || suffix == "TIB") shift = 40;
  else throw UsageError(quoted + ": unknown unit '" + suffix + "' (use K, M, G or T)");
  constexpr uint64_t kMax = uint64_t{1} << 40;
  if (value == 0 || value > (kMax >> shift)) throw UsageError(quoted + ": must be between 4K and 1T");
  value <<= shift;
  if (value % 4096 != 0) throw UsageError(quoted + ": must be a multiple of 4 KiB");
  return value;
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
