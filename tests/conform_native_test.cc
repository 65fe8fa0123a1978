// The conformance suite against the native host (real files in a fresh host folder, real
// loopback sockets on ports 40000-40999), under the emulator and on the native runtime (the
// images on the CPU under the seccomp supervisor): the cases that pass are exactly those
// conformance/expected/native.txt and native-runtime.txt list, and nothing is broken.
#include <gtest/gtest.h>
#include <unistd.h>

#include <set>

#include "conform_expected.h"
#include "dk/conformance/hosts.h"
#include "dk/conformance/runner.h"

namespace dk::conformance {
namespace {

void expect_the_listed_passes(const std::string& target) {
  const auto cases = load_suite(std::string(DK_BINARY_DIR) + "/conformance/suite");
  ASSERT_GE(cases.size(), 150u);
  HostTarget native;
  std::string error;
  ASSERT_TRUE(make_host_target(target, native, error)) << error;
  RunnerOptions o;
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  o.jobs = static_cast<unsigned>(cpus > 0 ? cpus : 1);
  o.limits.timeout_s = 20;  // real sockets and files on a loaded machine
  o.limits.max_ticks = 500000000;
  o.limits.images_dir = DK_GUEST_DIR;
  const auto results = run_suite(cases, native, o);
  ASSERT_EQ(results.size(), cases.size());

  expect_results_match_the_list(results, target);
}

TEST(ConformNative, PassesExactlyTheExpectedSet) { expect_the_listed_passes("native"); }

TEST(ConformNativeRuntime, PassesExactlyTheExpectedSet) {
  expect_the_listed_passes("native-runtime");
}

}  // namespace
}  // namespace dk::conformance
