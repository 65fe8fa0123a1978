// The whole escape corpus (docs/escape.md), every attempt, on each host: every one must be
// contained. A failure names each attempt that deviated, escaped or was a host failure, with
// the observer's reasons. Built only without DK_SANITIZE (tests/README.md): the sanitizer
// build runs the subset in escape_test instead.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

#include "dk/escape/corpus.h"
#include "dk/escape/report.h"
#include "dk/escape/runner.h"

namespace dk::escape {
namespace {

void expect_all_contained(const std::string& host) {
  const std::vector<Attempt> attempts = corpus();
  ASSERT_GE(attempts.size(), 1800u);  // docs/escape.md: 1877 attempts
  RunnerOptions o;
  o.host = host;
  o.images_dir = DK_GUEST_DIR;
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  o.jobs = static_cast<unsigned>(cpus > 0 ? cpus : 1);
  o.timeout_s = 60;  // per attempt: generous on a loaded machine; a hang still ends its row
  ASSERT_EQ(check_options(o), "");
  const auto results = run_attempts(attempts, o);
  ASSERT_EQ(results.size(), attempts.size());
  for (const auto& r : results)
    EXPECT_EQ(r.verdict, Verdict::Contained)
        << host << ": " << r.attempt->id << " " << verdict_name(r.verdict) << ": " << r.reason
        << " (outcome: " << r.outcome << ")";
  const Totals t = totals(results);
  EXPECT_EQ(t.attempts, attempts.size());
  EXPECT_EQ(t.contained, attempts.size());
  EXPECT_EQ(t.deviations, 0u);
  EXPECT_EQ(t.escapes, 0u);
  EXPECT_EQ(t.host_failures, 0u);
}

TEST(EscapeCorpusWhole, EveryAttemptContainedOnSim) {
  expect_all_contained("sim");
}

TEST(EscapeCorpusWhole, EveryAttemptContainedOnNative) {
  expect_all_contained("native");
}

}  // namespace
}  // namespace dk::escape
