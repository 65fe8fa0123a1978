// dk bench's checking half on canned Google Benchmark JSON: parsing (units, repetitions,
// aggregates, counters), budgets of each kind, run-over-run verdicts with the 10% rule, and
// the exit status; then the dk command itself on canned files (--results, no timing).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#define DK_BENCH_CHECK_ONLY 1
#include "ci_guard.h"
#include "../cli/bench_command.cc"

namespace {

using namespace dk::benchcheck;

// A Google Benchmark JSON file with one iteration entry per (name, time, unit, extra).
std::string results(
    const std::vector<std::tuple<std::string, double, std::string, std::string>>& rows) {
  std::string s = R"({"context": {"date": "x", "num_cpus": 2}, "benchmarks": [)";
  bool first = true;
  for (const auto& [name, time, unit, extra] : rows) {
    if (!first) s += ",";
    first = false;
    s += R"({"name": ")" + name + R"(", "run_name": ")" + name +
         R"(", "run_type": "iteration", "iterations": 3, "real_time": )" + std::to_string(time) +
         R"(, "cpu_time": 1.0, "time_unit": ")" + unit + "\"" +
         (extra.empty() ? "" : ", " + extra) + "}";
  }
  return s + "]}";
}

TEST(BenchParse, UnitsCountersAndNames) {
  Results r = parse_results(results({{"BM_A", 2.5, "ms", R"("ns_per_call": 41.5)"},
                                     {"BM_B/256", 7, "us", R"("held": 256, "label": "x")"}}));
  ASSERT_EQ(r.benchmarks.size(), 2u);
  EXPECT_DOUBLE_EQ(r.benchmarks[0].time_ns, 2.5e6);
  EXPECT_DOUBLE_EQ(r.benchmarks[0].counters.at("ns_per_call"), 41.5);
  EXPECT_EQ(r.benchmarks[0].counters.count("iterations"), 0u);  // standard fields are not counters
  EXPECT_DOUBLE_EQ(r.benchmarks[1].time_ns, 7000);
  EXPECT_EQ(r.benchmarks[1].counters.count("label"), 0u);
  ASSERT_NE(r.find("BM_B"), nullptr);  // a base name finds BM_B/256
  EXPECT_EQ(r.find("BM_B")->name, "BM_B/256");
  EXPECT_EQ(r.find("BM"), nullptr);  // a prefix that is not a whole name does not
  EXPECT_EQ(r.find("BM_C"), nullptr);
}

TEST(BenchParse, RepetitionsGiveTheMedianAndAggregatesAreSkipped) {
  std::string text = results({{"BM_R", 30, "ns", R"("c": 3)"},
                              {"BM_R", 10, "ns", R"("c": 1)"},
                              {"BM_R", 20, "ns", R"("c": 2)"}});
  // An aggregate entry with a wild value must not count.
  text.insert(
      text.size() - 2,
      R"(, {"name": "BM_R_median", "run_name": "BM_R", "run_type": "aggregate", "aggregate_name": "median", "real_time": 999, "time_unit": "ns"})");
  Results r = parse_results(text);
  ASSERT_EQ(r.benchmarks.size(), 1u);
  EXPECT_DOUBLE_EQ(r.benchmarks[0].time_ns, 20);
  EXPECT_DOUBLE_EQ(r.benchmarks[0].counters.at("c"), 2);
}

TEST(BenchParse, BadInputIsRefusedWithAReason) {
  EXPECT_THROW(parse_results("not json {"), BadInput);
  EXPECT_THROW(parse_results(R"({"context": {}})"), BadInput);
  EXPECT_THROW(parse_results(results({{"BM_A", 1, "parsecs", ""}})), BadInput);
  EXPECT_THROW(parse_results(R"({"benchmarks": [{"name": "BM_A"}]})"), BadInput);
  EXPECT_THROW(parse_results(R"({"benchmarks": [{"name": "BM_A", "real_time": "fast"}]})"),
               BadInput);
  EXPECT_THROW(parse_results(results({{"BM_A", 1, "ns", R"("error_occurred": true)"}})), BadInput);
}

constexpr const char* kBudgets = R"({"budgets": [
  {"name": "ratio", "numerator": "BM_Null", "denominator": "BM_Bare", "counter": "ns_per_call",
   "max_ratio": 3.0, "aim_ratio": 2.0},
  {"name": "cold start", "benchmark": "BM_Cold", "max_ms": 5.0},
  {"name": "density", "benchmark": "BM_Density", "counter": "held", "min": 100},
  {"name": "memory", "benchmark": "BM_Density", "counter": "KiB_per_idle", "max": 512}
]})";

TEST(BenchBudgets, EachKindHoldsOrBreaks) {
  Results good =
      parse_results(results({{"BM_Null", 1, "ns", R"("ns_per_call": 250)"},
                             {"BM_Bare", 1, "ns", R"("ns_per_call": 100)"},
                             {"BM_Cold", 4.9, "ms", ""},
                             {"BM_Density/256", 1, "ms", R"("held": 256, "KiB_per_idle": 300)"}}));
  auto c = check_budgets(kBudgets, good);
  ASSERT_EQ(c.size(), 4u);
  for (const auto& b : c) EXPECT_EQ(b.verdict, Verdict::Ok) << b.name << ": " << b.detail;
  EXPECT_DOUBLE_EQ(c[0].value, 2.5);
  EXPECT_EQ(exit_status(c, {}), 0);

  Results bad =
      parse_results(results({{"BM_Null", 1, "ns", R"("ns_per_call": 301)"},
                             {"BM_Bare", 1, "ns", R"("ns_per_call": 100)"},
                             {"BM_Cold", 5001, "us", ""},
                             {"BM_Density/256", 1, "ms", R"("held": 99, "KiB_per_idle": 513)"}}));
  c = check_budgets(kBudgets, bad);
  for (const auto& b : c) EXPECT_EQ(b.verdict, Verdict::Over) << b.name << ": " << b.detail;
  EXPECT_EQ(exit_status(c, {}), 1);
}

TEST(BenchBudgets, UnmeasuredIsSkippedNotBroken) {
  auto c = check_budgets(kBudgets,
                         parse_results(results({{"BM_Null", 1, "ns", R"("ns_per_call": 900)"}})));
  for (const auto& b : c) EXPECT_EQ(b.verdict, Verdict::Skip) << b.name;
  EXPECT_EQ(exit_status(c, {}), 0);
}

TEST(BenchBudgets, MalformedBudgetsAndMissingCountersAreBadInput) {
  Results r = parse_results(results({{"BM_Cold", 1, "ms", ""}}));
  EXPECT_THROW(check_budgets(R"({"budgets": [{"name": "x", "benchmark": "BM_Cold"}]})", r),
               BadInput);
  EXPECT_THROW(check_budgets(R"({"budgets": [{"benchmark": "BM_Cold", "max_ms": 1}]})", r),
               BadInput);
  EXPECT_THROW(check_budgets(R"({"nothing": []})", r), BadInput);
  EXPECT_THROW(
      check_budgets(
          R"({"budgets": [{"name": "x", "benchmark": "BM_Cold", "counter": "held", "min": 1}]})",
          r),
      BadInput);
}

TEST(BenchCompare, TenPercentRule) {
  Results base = parse_results(results({{"BM_A", 100, "ns", ""},
                                        {"BM_B", 100, "ns", ""},
                                        {"BM_C", 100, "ns", ""},
                                        {"BM_D", 100, "ns", ""},
                                        {"BM_Gone", 5, "ns", ""}}));
  Results now = parse_results(results({{"BM_A", 110, "ns", ""},    // exactly +10%: noise
                                       {"BM_B", 0.111, "us", ""},  // +11%: a regression
                                       {"BM_C", 89, "ns", ""},     // -11%: faster
                                       {"BM_D", 95, "ns", ""},
                                       {"BM_New", 1, "ns", ""}}));
  auto cmp = compare(now, base);
  ASSERT_EQ(cmp.size(), 6u);
  EXPECT_EQ(cmp[0].change, Change::Same);
  EXPECT_NEAR(cmp[0].ratio, 1.10, 1e-9);
  EXPECT_EQ(cmp[1].change, Change::Regression);
  EXPECT_EQ(cmp[2].change, Change::Faster);
  EXPECT_EQ(cmp[3].change, Change::Same);
  EXPECT_EQ(cmp[4].change, Change::New);
  EXPECT_EQ(cmp[5].name, "BM_Gone");
  EXPECT_EQ(cmp[5].change, Change::Missing);
  EXPECT_EQ(exit_status({}, cmp), 1);
  cmp.erase(cmp.begin() + 1);
  EXPECT_EQ(exit_status({}, cmp), 0);  // new, missing and faster never fail a run
}

// ---- the dk command on canned files ----

struct Dir {
  std::filesystem::path p;
  Dir() {
    char t[] = "/tmp/dk-bench-test.XXXXXX";
    p = mkdtemp(t);
  }
  ~Dir() { std::filesystem::remove_all(p); }
  std::string put(const std::string& name, const std::string& text) const {
    std::ofstream(p / name) << text;
    return (p / name).string();
  }
};

int run_dk(const std::string& args, std::string* out) {
  const std::string cmd = std::string(DK_BINARY_DIR) + "/cli/dk bench " + args + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
  const int st = pclose(f);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST(BenchCommand, VerdictsAndExitStatus) {
  DK_REQUIRE(std::filesystem::exists(std::string(DK_BINARY_DIR) + "/cli/dk"), "dk is not built");
  Dir d;
  const std::string budgets = d.put("budgets.json", kBudgets);
  const std::string base = d.put("base.json", results({{"BM_Cold", 4.0, "ms", ""}}));
  const std::string same = d.put("same.json", results({{"BM_Cold", 4.2, "ms", ""}}));
  const std::string slow = d.put("slow.json", results({{"BM_Cold", 4.8, "ms", ""}}));
  const std::string over = d.put("over.json", results({{"BM_Cold", 6.0, "ms", ""}}));

  std::string out;
  EXPECT_EQ(run_dk("--budgets " + budgets + " --results " + same + " --compare " + base, &out), 0)
      << out;
  EXPECT_NE(out.find("OK    cold start"), std::string::npos) << out;
  EXPECT_NE(out.find("same       BM_Cold: 1.05x of base"), std::string::npos) << out;

  out.clear();
  EXPECT_EQ(run_dk("--budgets " + budgets + " --results " + slow + " --compare " + base, &out), 1)
      << out;
  EXPECT_NE(out.find("regression BM_Cold: 1.20x of base"), std::string::npos) << out;

  out.clear();
  EXPECT_EQ(run_dk("--budgets " + budgets + " --results " + over + " --json", &out), 1) << out;
  EXPECT_NE(out.find(R"("name":"cold start","verdict":"over")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("ok":false)"), std::string::npos) << out;

  out.clear();
  EXPECT_EQ(run_dk("--budgets " + budgets + " --results " + d.put("bad.json", "{"), &out), 2)
      << out;
  EXPECT_NE(out.find("dk: bench:"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(run_dk("--budgets " + budgets + " --binary /nonexistent/dk_bench", &out), 2) << out;
}

}  // namespace
