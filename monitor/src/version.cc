#include "dk/monitor/version.h"

#include <stdexcept>

namespace dk {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

uint32_t parse_part(std::string_view part, std::string_view whole) {
  if (part.empty() || part.size() > 9)
    throw std::invalid_argument("bad version '" + std::string(whole) + "'");
  if (part.size() > 1 && part[0] == '0')
    throw std::invalid_argument("bad version '" + std::string(whole) + "': leading zero");
  uint32_t v = 0;
  for (char c : part) {
    if (c < '0' || c > '9')
      throw std::invalid_argument("bad version '" + std::string(whole) +
                                  "': expected MAJOR.MINOR.PATCH of numbers");
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  return v;
}

}  // namespace

Version Version::parse(std::string_view text) {
  std::string_view whole = text;
  text = trim(text);
  if (text.empty()) throw std::invalid_argument("empty version");
  Version out;
  uint32_t* fields[3] = {&out.major, &out.minor, &out.patch};
  int n = 0;
  while (true) {
    size_t dot = text.find('.');
    std::string_view part = text.substr(0, dot);
    if (n == 3)
      throw std::invalid_argument("bad version '" + std::string(whole) + "': more than 3 parts");
    *fields[n++] = parse_part(part, whole);
    if (dot == std::string_view::npos) break;
    text.remove_prefix(dot + 1);
  }
  out.parts = n;
  return out;
}

std::string Version::str() const {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

VersionConstraint VersionConstraint::at_least(const Version& v) {
  VersionConstraint c;
  c.terms_.push_back({Op::Ge, v});
  c.text_ = ">=" + (v.parts == 1   ? std::to_string(v.major)
                    : v.parts == 2 ? std::to_string(v.major) + "." + std::to_string(v.minor)
                                   : v.str());
  return c;
}

VersionConstraint VersionConstraint::parse(std::string_view text) {
  VersionConstraint c;
  std::string_view all = trim(text);
  if (all.empty()) throw std::invalid_argument("empty version constraint");
  std::string normalised;
  while (true) {
    size_t comma = all.find(',');
    std::string_view item = trim(all.substr(0, comma));
    if (item.empty())
      throw std::invalid_argument("bad version constraint '" + std::string(text) + "': empty term");
    if (!normalised.empty()) normalised += ",";
    normalised += std::string(item);
    if (item == "*") {
      // matches anything; adds no term
    } else {
      std::string_view rest = item;
      auto take = [&](std::string_view p) {
        if (rest.substr(0, p.size()) == p) {
          rest.remove_prefix(p.size());
          return true;
        }
        return false;
      };
      Version v;
      auto ver = [&] {
        try {
          return Version::parse(trim(rest));
        } catch (const std::invalid_argument& e) {
          throw std::invalid_argument("bad version constraint '" + std::string(text) +
                                      "': " + e.what());
        }
      };
      if (take(">=")) {
        c.terms_.push_back({Op::Ge, ver()});
      } else if (take("<=")) {
        c.terms_.push_back({Op::Le, ver()});
      } else if (take(">")) {
        c.terms_.push_back({Op::Gt, ver()});
      } else if (take("<")) {
        c.terms_.push_back({Op::Lt, ver()});
      } else if (take("^")) {
        v = ver();
        Version hi;
        if (v.major != 0 || v.parts == 1)
          hi = {v.major + 1, 0, 0, 3};
        else if (v.minor != 0 || v.parts == 2)
          hi = {0, v.minor + 1, 0, 3};
        else
          hi = {0, 0, v.patch + 1, 3};
        c.terms_.push_back({Op::Ge, v});
        c.terms_.push_back({Op::Lt, hi});
      } else if (take("~")) {
        v = ver();
        Version hi =
            v.parts == 1 ? Version{v.major + 1, 0, 0, 3} : Version{v.major, v.minor + 1, 0, 3};
        c.terms_.push_back({Op::Ge, v});
        c.terms_.push_back({Op::Lt, hi});
      } else {
        take("=");
        if (!rest.empty() && (rest[0] == '=' || rest[0] == '!'))
          throw std::invalid_argument("bad version constraint '" + std::string(text) + "'");
        c.terms_.push_back({Op::Eq, ver()});
      }
    }
    if (comma == std::string_view::npos) break;
    all.remove_prefix(comma + 1);
  }
  c.text_ = normalised;
  return c;
}

bool VersionConstraint::allows(const Version& v) const {
  for (const Term& t : terms_) {
    bool ok = true;
    switch (t.op) {
      case Op::Ge:
        ok = v >= t.v;
        break;
      case Op::Gt:
        ok = v > t.v;
        break;
      case Op::Le:
        ok = v <= t.v;
        break;
      case Op::Lt:
        ok = v < t.v;
        break;
      case Op::Eq:
        ok = v.major == t.v.major && (t.v.parts < 2 || v.minor == t.v.minor) &&
             (t.v.parts < 3 || v.patch == t.v.patch);
        break;
    }
    if (!ok) return false;
  }
  return true;
}

}  // namespace dk
