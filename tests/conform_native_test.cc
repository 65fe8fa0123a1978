// The conformance suite against the native host (real files in a fresh host folder, real
// loopback sockets on ports 40000-40999): the cases that pass are exactly those
// conformance/expected/native.txt lists, and nothing is broken.
#include <gtest/gtest.h>
#include <unistd.h>

#include <set>

#include "conform_expected.h"
#include "dk/conformance/hosts.h"
#include "dk/conformance/runner.h"

namespace dk::conformance {
namespace {

TEST(ConformNative, PassesExactlyTheExpectedSet) {
  const auto cases = load_suite(std::string(DK_BINARY_DIR) + "/conformance/suite");
  ASSERT_GE(cases.size(), 150u);
  HostTarget native;
  std::string error;
  ASSERT_TRUE(make_host_target("native", native, error)) << error;
  RunnerOptions o;
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  o.jobs = static_cast<unsigned>(cpus > 0 ? cpus : 1);
  o.limits.timeout_s = 20;  // real sockets and files on a loaded machine
  o.limits.max_ticks = 500000000;
  o.limits.images_dir = DK_GUEST_DIR;
  const auto results = run_suite(cases, native, o);
  ASSERT_EQ(results.size(), cases.size());

  std::set<std::string> passing;
  for (const auto& r : results) {
    EXPECT_NE(r.verdict, Verdict::Broken) << r.spec->id << ": " << r.reason;
    if (r.verdict == Verdict::Pass) passing.insert(r.spec->id);
  }
  const auto expected =
      read_expected_ids(std::string(DK_SOURCE_DIR) + "/conformance/expected/native.txt");
  EXPECT_GE(expected.size(), 150u);
  expect_exactly_the_listed_passes(passing, expected, "native", "conformance/expected/native.txt",
                                   [&](const std::string& id) -> std::string {
                                     for (const auto& r : results)
                                       if (r.spec->id == id)
                                         return std::string(verdict_name(r.verdict)) + ", " +
                                                r.reason;
                                     return "no such case in the suite";
                                   });
}

}  // namespace
}  // namespace dk::conformance
