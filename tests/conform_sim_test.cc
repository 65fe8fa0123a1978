// The conformance suite against the simulated host, the reference: the suite declares at
// least 150 cases covering every call (but #20), the cases that pass are exactly those
// conformance/expected/sim.txt lists, nothing is broken; and a host that hangs or crashes
// fails that case only.
#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <set>

#include "conform_expected.h"
#include "dk/calls.h"
#include "dk/conformance/hosts.h"
#include "dk/conformance/report.h"
#include "dk/conformance/runner.h"
#include "dk/host_factory.h"

namespace dk::conformance {
namespace {

const std::string kSuite = std::string(DK_BINARY_DIR) + "/conformance/suite";

RunnerOptions options(double timeout = 10) {
  RunnerOptions o;
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  o.jobs = static_cast<unsigned>(cpus > 0 ? cpus : 1);
  o.limits.timeout_s = timeout;
  o.limits.max_ticks = 500000000;
  o.limits.images_dir = DK_GUEST_DIR;
  return o;
}

TEST(ConformSuite, DeclaresEnoughCasesCoveringEveryCall) {
  const auto cases = load_suite(kSuite);
  EXPECT_GE(cases.size(), 150u);
  std::set<std::string> covered;
  for (const auto& c : cases) {
    EXPECT_FALSE(c.clause.empty()) << c.id;
    EXPECT_TRUE(c.clause.find("ABI.md") != std::string::npos) << c.id << ": " << c.clause;
    covered.insert(c.calls.begin(), c.calls.end());
  }
  for (const auto& d : all_calls()) {
    if (d.index == calls::DkProcessSnapshot) continue;  // with the snapshot work
    EXPECT_TRUE(covered.count(std::string(d.name))) << d.name << " has no case";
  }
}

TEST(ConformSuite, SimPassesExactlyTheExpectedSet) {
  const auto cases = load_suite(kSuite);
  HostTarget sim;
  std::string error;
  ASSERT_TRUE(make_host_target("sim", sim, error)) << error;
  const auto results = run_suite(cases, sim, options());
  ASSERT_EQ(results.size(), cases.size());
  expect_results_match_the_list(results, "sim");
}

// A simulated host that misbehaves on one call: hangs in DkDebugOutput, dies in
// DkSystemInfoQuery. The host is the factory's (no console, no debug log); the misbehaviour is
// a decorator in front of it.
struct FactorySimHost {
  LaunchedHost built = make_host(HostLaunch{});
};
class MisbehavingHost : private FactorySimHost, public HostDecorator {
 public:
  MisbehavingHost() : HostDecorator(*built) {}
  dk_status_t serve(CallContext& cx, Call& call) override {
    if (call.index == calls::DkDebugOutput)
      for (;;) pause();
    if (call.index == calls::DkSystemInfoQuery) raise(SIGSEGV);
    return HostDecorator::serve(cx, call);
  }
};

TEST(ConformRunner, HangOrCrashFailsThatCaseOnly) {
  auto all = load_suite(kSuite);
  std::vector<CaseSpec> cases;
  for (const auto& c : all)
    if (c.id == "misc.debug_output_ok" || c.id == "misc.sysinfo_fields" ||
        c.id == "sync.sem_create_initial" || c.id == "boot.abi_version")
      cases.push_back(c);
  ASSERT_EQ(cases.size(), 4u);
  CaseSpec missing = cases[0];
  missing.id = "missing.image";
  missing.image = "conf_no_such_image";
  cases.push_back(missing);

  HostTarget bad;
  bad.name = "misbehaving";
  bad.kind = "sim";
  bad.make = [](HostIo&, std::string&) -> std::unique_ptr<Host> {
    return std::make_unique<MisbehavingHost>();
  };
  const auto results = run_suite(cases, bad, options(2));
  ASSERT_EQ(results.size(), 5u);
  for (const auto& r : results) {
    const std::string& id = r.spec->id;
    if (id == "misc.debug_output_ok") {
      EXPECT_EQ(r.verdict, Verdict::Fail);
      EXPECT_NE(r.reason.find("timed out"), std::string::npos) << r.reason;
    } else if (id == "misc.sysinfo_fields") {
      EXPECT_EQ(r.verdict, Verdict::Fail);
      EXPECT_NE(r.reason.find("crashed"), std::string::npos) << r.reason;
    } else if (id == "missing.image") {
      EXPECT_EQ(r.verdict, Verdict::Broken) << r.reason;
    } else {
      EXPECT_EQ(r.verdict, Verdict::Pass) << id << ": " << r.reason;
    }
  }
}

TEST(ConformRunner, NotApplicableOnlyWhereDeclared) {
  CaseSpec c;
  c.id = "x";
  c.clause = "ABI.md";
  CaseOutcome o;
  o.kind = CaseOutcome::Kind::Finished;
  o.exit_code = 77;
  o.out = "NOT APPLICABLE: no such thing here\n";
  HostTarget h;
  h.name = "sim";
  EXPECT_EQ(judge(c, h, o).verdict, Verdict::Fail);  // required behaviour
  c.optional = true;
  EXPECT_EQ(judge(c, h, o).verdict, Verdict::NotApplicable);
  o.exit_code = 0;
  o.out = "";
  EXPECT_EQ(judge(c, h, o).verdict, Verdict::Pass);
  c.hosts = {"plugin"};
  EXPECT_FALSE(c.applies_to("sim"));
}

}  // namespace
}  // namespace dk::conformance
