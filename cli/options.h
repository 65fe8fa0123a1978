// The checks dk's verbs apply to what a user types: whole numbers in a range, seconds,
// existing folders and files, and repeatable options that take one value per use. A refused
// value is a CLI::ValidationError, which main.cc prints as one line `dk: VERB: --opt: why`
// with exit status 2.
#pragma once

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace dk::cli {

// CLI11 reads an unsigned number with strtoull, so "-1" wraps to 2^64-1, an overflow
// saturates, and " 7", "+7", "010" (octal) and "0x7" pass. dk takes plain decimal digits.
inline CLI::Validator count_in(uint64_t lo, uint64_t hi) {
  const std::string range = std::to_string(lo) + " to " + std::to_string(hi);
  return CLI::Validator(
      [lo, hi, range](std::string& v) -> std::string {
        if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
          return "'" + v + "' is not a whole number (give " + range + ")";
        uint64_t n = 0;
        for (char c : v) {
          const uint64_t d = static_cast<uint64_t>(c - '0');
          if (n > (UINT64_MAX - d) / 10) return v + " is out of range (give " + range + ")";
          n = n * 10 + d;
        }
        if (n < lo || n > hi) return v + " is out of range (give " + range + ")";
        return "";
      },
      range);
}

// Seconds: a positive decimal number (fractions allowed) up to `max`; no nan, inf or hex.
inline CLI::Validator seconds_up_to(double max) {
  const std::string range = "more than 0, at most " + std::to_string(static_cast<long>(max));
  return CLI::Validator(
      [max, range](std::string& v) -> std::string {
        const bool chars_ok = !v.empty() &&
                              v.find_first_not_of("0123456789.") == std::string::npos &&
                              v.find_first_of("0123456789") != std::string::npos;
        char* end = nullptr;
        errno = 0;
        const double s = chars_ok ? std::strtod(v.c_str(), &end) : 0;
        if (!chars_ok || end != v.c_str() + v.size() || errno != 0)
          return "'" + v + "' is not a number of seconds (give " + range + ")";
        if (!(s > 0) || s > max || !std::isfinite(s))
          return v + " is out of range (give " + range + ")";
        return "";
      },
      "SECONDS, " + range);
}

inline CLI::Validator existing_folder() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        std::error_code ec;
        if (v.empty()) return "give a folder";
        if (!std::filesystem::exists(v, ec)) return v + ": no such folder";
        if (!std::filesystem::is_directory(v, ec)) return v + ": not a folder";
        return "";
      },
      "DIR");
}

inline CLI::Validator existing_file() {
  return CLI::Validator(
      [](std::string& v) -> std::string {
        std::error_code ec;
        if (v.empty()) return "give a file";
        if (!std::filesystem::exists(v, ec)) return v + ": no such file";
        if (std::filesystem::is_directory(v, ec)) return v + ": a folder, not a file";
        return "";
      },
      "FILE");
}

// A vector option would otherwise go on taking the words after its value, the target
// among them (`--pkg-path DIR PKG -- ARGS` read PKG as a second folder): each use takes one.
inline CLI::Option* one_value_per_use(CLI::Option* o) {
  return o->allow_extra_args(false);
}

// The text of an error about `path` that names it once: the monitor's and the loaders'
// messages often start with the path already.
inline std::string naming(const std::string& path, const std::string& what) {
  return what.starts_with(path) ? what : path + ": " + what;
}

}  // namespace dk::cli
