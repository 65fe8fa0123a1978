// Shards: one part of a suite, so that many machines run it at once (docs/scale-out.md). A
// shard is I/N, I from 0 to N-1, as GoogleTest's GTEST_SHARD_INDEX and Kubernetes' Indexed
// Jobs (JOB_COMPLETION_INDEX) count. Item k of the filtered, ordered list belongs to shard
// k mod N: every item to exactly one shard, the shards' sizes within one of each other.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace dk::cli {

struct Shard {
  uint64_t index = 0, total = 1;
  bool whole() const { return total == 1; }
  bool mine(uint64_t k) const { return k % total == index; }
  std::string str() const { return std::to_string(index) + "/" + std::to_string(total); }
  // Keeps this shard's items of `items` (in order); the whole list when whole().
  template <class T>
  void keep_mine(std::vector<T>& items) const {
    if (whole()) return;
    std::vector<T> part;
    for (size_t k = 0; k < items.size(); ++k)
      if (mine(k)) part.push_back(std::move(items[k]));
    items = std::move(part);
  }
};

namespace shard_detail {
inline std::optional<uint64_t> digits(const std::string& s) {
  if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  return std::stoull(s);
}
inline const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}
}  // namespace shard_detail

// The shard from `--shard I/N` when given (`flag`, non-empty), else from the environment:
// the index from GTEST_SHARD_INDEX or JOB_COMPLETION_INDEX, the count from GTEST_TOTAL_SHARDS
// or DK_TOTAL_SHARDS; neither set: the whole suite. Returns "" and sets `out`, or the reason
// the value cannot be a shard.
inline std::string parse_shard(const std::string& flag, Shard& out) {
  using namespace shard_detail;
  std::string i_text, n_text, where;
  if (!flag.empty()) {
    const size_t slash = flag.find('/');
    if (slash == std::string::npos) return "--shard: give I/N (I from 0 to N-1), not '" + flag + "'";
    i_text = flag.substr(0, slash);
    n_text = flag.substr(slash + 1);
    where = "--shard " + flag;
  } else {
    const char* i = env("GTEST_SHARD_INDEX");
    const char* i_name = "GTEST_SHARD_INDEX";
    if (!i) {
      i = env("JOB_COMPLETION_INDEX");
      i_name = "JOB_COMPLETION_INDEX";
    }
    const char* n = env("GTEST_TOTAL_SHARDS");
    const char* n_name = "GTEST_TOTAL_SHARDS";
    if (!n) {
      n = env("DK_TOTAL_SHARDS");
      n_name = "DK_TOTAL_SHARDS";
    }
    if (!i && !n) {
      out = Shard{};
      return "";
    }
    if (!i) return std::string(n_name) + " is set but no shard index (GTEST_SHARD_INDEX or JOB_COMPLETION_INDEX)";
    if (!n) return std::string(i_name) + " is set but no shard count (GTEST_TOTAL_SHARDS or DK_TOTAL_SHARDS)";
    i_text = i;
    n_text = n;
    where = std::string(i_name) + "=" + i + ", " + n_name + "=" + n;
  }
  const auto i = digits(i_text), n = digits(n_text);
  if (!i || !n || *n == 0 || *i >= *n)
    return where + ": not a shard (give I/N with N from 1 and I from 0 to N-1)";
  out = Shard{*i, *n};
  return "";
}

}  // namespace dk::cli
