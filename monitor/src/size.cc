#include "dk/monitor/size.h"

#include <stdexcept>

namespace dk {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Reads the leading digits of s; returns how many were read.
size_t read_number(std::string_view s, uint64_t& out, std::string_view whole) {
  size_t i = 0;
  out = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    uint64_t d = static_cast<uint64_t>(s[i] - '0');
    if (out > (UINT64_MAX - d) / 10)
      throw std::invalid_argument("size '" + std::string(whole) + "' overflows");
    out = out * 10 + d;
    ++i;
  }
  return i;
}

}  // namespace

uint64_t parse_count(std::string_view text) {
  std::string_view s = trim(text);
  uint64_t v = 0;
  size_t n = read_number(s, v, text);
  if (n == 0 || n != s.size())
    throw std::invalid_argument("bad count '" + std::string(text) +
                                "': expected a non-negative integer");
  return v;
}

uint64_t parse_size(std::string_view text) {
  std::string_view s = trim(text);
  uint64_t v = 0;
  size_t n = read_number(s, v, text);
  if (n == 0)
    throw std::invalid_argument("bad size '" + std::string(text) +
                                "': expected a number with B, KiB, MiB or GiB");
  std::string_view unit = trim(s.substr(n));
  int shift = 0;
  if (unit.empty() || unit == "B")
    shift = 0;
  else if (unit == "KiB")
    shift = 10;
  else if (unit == "MiB")
    shift = 20;
  else if (unit == "GiB")
    shift = 30;
  else if (unit == "TiB")
    shift = 40;
  else
    throw std::invalid_argument("bad size '" + std::string(text) +
                                "': unit must be B, KiB, MiB, GiB or TiB");
  if (shift && v > (UINT64_MAX >> shift))
    throw std::invalid_argument("size '" + std::string(text) + "' overflows");
  return v << shift;
}

std::string format_size(uint64_t bytes) {
  static const char* units[] = {"TiB", "GiB", "MiB", "KiB"};
  static const int shifts[] = {40, 30, 20, 10};
  if (bytes == 0) return "0";
  for (int i = 0; i < 4; ++i) {
    uint64_t m = (uint64_t{1} << shifts[i]) - 1;
    if ((bytes & m) == 0) return std::to_string(bytes >> shifts[i]) + units[i];
  }
  return std::to_string(bytes);
}

}  // namespace dk
