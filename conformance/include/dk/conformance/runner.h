// The conformance runner: runs a suite's cases against hosts, each case in its own child
// process with a time limit, several at a time, and turns outcomes into verdicts.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "dk/conformance/case_run.h"
#include "dk/conformance/case_spec.h"

namespace dk::conformance {

enum class Verdict { Pass, Fail, Broken, NotApplicable };
std::string_view verdict_name(Verdict v);  // "pass", "fail", "broken", "n/a"

struct CaseResult {
  const CaseSpec* spec = nullptr;
  std::string host;  // HostTarget::name
  Verdict verdict = Verdict::Broken;
  std::string reason;  // empty for a pass
  int64_t exit_code = 0;
  std::string output;  // console stdout (kept for reports of failures)
  double seconds = 0;
};

struct RunnerOptions {
  unsigned jobs = 1;
  CaseLimits limits;
  // Called after each case ends (done, total, the result), from the runner's thread.
  std::function<void(size_t, size_t, const CaseResult&)> on_result;
};

// The verdict for one outcome (exposed for tests).
CaseResult judge(const CaseSpec& spec, const HostTarget& host, const CaseOutcome& outcome);

// Runs `cases` against `host`; results in case order.
std::vector<CaseResult> run_suite(const std::vector<CaseSpec>& cases, const HostTarget& host,
                                  const RunnerOptions& options);

// Where the suite and the images live unless told: the build tree's folders, or
// $DK_CONFORMANCE_SUITE / $DK_GUEST_DIR.
std::string default_suite_dir();
std::string default_images_dir();

}  // namespace dk::conformance
