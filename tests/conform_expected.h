// The checked-in passing sets of conformance/expected/: reading one, and holding a host to it
// exactly, both ways (a case that passes but is not listed fails the test as surely as a
// listed case that no longer passes), so the lists and docs/conformance.md stay true.
#pragma once

#include <gtest/gtest.h>

#include "dk/conformance/runner.h"

#include <fstream>
#include <set>
#include <string>

namespace dk::conformance {

// The ids of an expected list: one per line, '#' starts a comment line.
inline std::set<std::string> read_expected_ids(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::set<std::string> ids;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_TRUE(ids.insert(line).second) << path << ": " << line << " twice";
  }
  return ids;
}

// `passing` is what `host` passed, `expected` what `list` names. `why(id)` says why a case
// did not pass (its verdict and reason).
template <class Why>
void expect_exactly_the_listed_passes(const std::set<std::string>& passing,
                                      const std::set<std::string>& expected,
                                      const std::string& host, const std::string& list, Why why) {
  for (const auto& id : expected)
    EXPECT_TRUE(passing.count(id))
        << id << " is in " << list << " but no longer passes on " << host << ": " << why(id);
  for (const auto& id : passing)
    EXPECT_TRUE(expected.count(id)) << id << " passes on " << host << " but is not in " << list
                                    << " (add it there, and to docs/conformance.md's counts)";
}

// Holds a whole suite's run on `host` to conformance/expected/HOST.txt: nothing broken, and
// the passing cases exactly those listed.
inline void expect_results_match_the_list(const std::vector<CaseResult>& results,
                                          const std::string& host) {
  std::set<std::string> passing;
  for (const auto& r : results) {
    EXPECT_NE(r.verdict, Verdict::Broken) << r.spec->id << ": " << r.reason;
    if (r.verdict == Verdict::Pass) passing.insert(r.spec->id);
  }
  const std::string list = "conformance/expected/" + host + ".txt";
  const auto expected = read_expected_ids(std::string(DK_SOURCE_DIR) + "/" + list);
  EXPECT_GE(expected.size(), 150u);
  expect_exactly_the_listed_passes(passing, expected, host, list,
                                   [&](const std::string& id) -> std::string {
                                     for (const auto& r : results)
                                       if (r.spec->id == id)
                                         return std::string(verdict_name(r.verdict)) + ", " +
                                                r.reason;
                                     return "no such case in the suite";
                                   });
}

}  // namespace dk::conformance
