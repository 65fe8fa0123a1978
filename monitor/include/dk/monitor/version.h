// Package versions (MAJOR.MINOR.PATCH, fewer parts allowed) and the version constraints
// dependencies are written with. Parsing errors are std::invalid_argument with a reason
// (no file or line: the manifest parsers add those).
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace dk {

struct Version {
  uint32_t major = 0, minor = 0, patch = 0;
  int parts = 3;  // how many were written (1-3); missing parts are 0

  static Version parse(std::string_view text);  // throws std::invalid_argument
  std::string str() const;                      // always MAJOR.MINOR.PATCH

  friend bool operator==(const Version& a, const Version& b) {
    return a.major == b.major && a.minor == b.minor && a.patch == b.patch;
  }
  friend std::strong_ordering operator<=>(const Version& a, const Version& b) {
    if (auto c = a.major <=> b.major; c != 0) return c;
    if (auto c = a.minor <=> b.minor; c != 0) return c;
    return a.patch <=> b.patch;
  }
};

// ">=1.0", "<2", "=1.2.3", "^1.2", "~1.2", "*", or several joined by commas (all must hold).
// A bare version means "=". Comparisons pad missing parts with zeros; "=" with fewer parts
// matches every version that starts with them ("=1.2" takes 1.2.0 and 1.2.9).
class VersionConstraint {
 public:
  VersionConstraint() = default;                          // "*"
  static VersionConstraint parse(std::string_view text);  // throws std::invalid_argument
  static VersionConstraint at_least(const Version& v);

  bool allows(const Version& v) const;
  const std::string& str() const { return text_; }

 private:
  enum class Op { Ge, Gt, Le, Lt, Eq };
  struct Term {
    Op op;
    Version v;
  };
  std::vector<Term> terms_;  // empty: anything
  std::string text_ = "*";
};

}  // namespace dk
