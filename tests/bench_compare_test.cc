// dk bench's checking half on canned Google Benchmark JSON: parsing (units, repetitions,
// aggregates, counters, errors), budgets of each kind and each verdict (ok, over, skip when
// filtered out, error when the benchmark erred or lacks the counter), run-over-run verdicts
// with the 10% rule, and the exit status; then the dk command itself on files this test
// writes (--results, and a stand-in dk_bench that writes canned results: no timing), and
// scripts/bench, which must print and exit exactly as dk bench.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#define DK_BENCH_CHECK_ONLY 1
#include "../cli/bench_command.cc"
#include "ci_guard.h"

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
}

// Google Benchmark's SkipWithError: "error_occurred" and "error_message" (and figures that
// mean nothing). One erring repetition makes the benchmark erred.
TEST(BenchParse, AnErrorIsKeptWithItsMessage) {
  Results r = parse_results(results(
      {{"BM_A", 0, "ns", R"("error_occurred": true, "error_message": "hello did not exit")"},
       {"BM_B", 5, "ns", ""},
       {"BM_R", 10, "ns", ""},
       {"BM_R", 0, "ns", R"("error_occurred": true, "error_message": "second run")"},
       {"BM_R", 30, "ns", ""}}));
  ASSERT_EQ(r.benchmarks.size(), 3u);
  EXPECT_TRUE(r.benchmarks[0].failed);
  EXPECT_EQ(r.benchmarks[0].error, "hello did not exit");
  EXPECT_FALSE(r.benchmarks[1].failed);
  EXPECT_TRUE(r.benchmarks[2].failed);
  EXPECT_EQ(r.benchmarks[2].error, "second run");
  // An error entry needs no real_time; one without a message still says it erred.
  r = parse_results(R"({"benchmarks": [{"name": "BM_E", "error_occurred": true}]})");
  ASSERT_EQ(r.benchmarks.size(), 1u);
  EXPECT_TRUE(r.benchmarks[0].failed);
  EXPECT_FALSE(r.benchmarks[0].error.empty());
}

constexpr const char* kBudgets = R"({"budgets": [
  {"name": "ratio", "numerator": "BM_Null", "denominator": "BM_Bare", "counter": "ns_per_call",
   "max_ratio": 3.0, "aim_ratio": 2.0},
  {"name": "cold start", "benchmark": "BM_Cold", "max_ms": 5.0},
  {"name": "density", "benchmark": "BM_Density", "counter": "held", "min": 100},
  {"name": "memory", "benchmark": "BM_Density", "counter": "KiB_per_idle", "max": 512}
]})";

// A benchmark the host under test cannot serve (bench/host_bench.cc) is not measured: it is
// listed apart, never an error, and a budget naming it is skipped.
TEST(BenchParse, UnsupportedOnTheHostIsListedApart) {
  const Results r = parse_results(results(
      {{"BM_HostTrack/file_read_4k", 0, "ns",
        R"("error_occurred": true, "error_message": "unsupported on plugin:/x.so: DkStreamOpen(file:/f) answered -5")"},
       {"BM_HostTrack/null_downcall", 50, "ns", R"("ns_per_call": 50)"}}));
  ASSERT_EQ(r.benchmarks.size(), 1u);
  EXPECT_EQ(r.benchmarks[0].name, "BM_HostTrack/null_downcall");
  ASSERT_EQ(r.unsupported.size(), 1u);
  EXPECT_EQ(r.unsupported[0].first, "BM_HostTrack/file_read_4k");
  EXPECT_EQ(r.unsupported[0].second.rfind("unsupported on plugin:/x.so: ", 0), 0u);
  EXPECT_TRUE(errors(r).empty());
  const auto b = check_budgets(R"({"budgets": [{"name": "read", "benchmark": "BM_HostTrack/file_read_4k", "max_ms": 1}]})", r);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].verdict, Verdict::Skip);
}

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

TEST(BenchBudgets, MalformedBudgetsAreBadInput) {
  Results r = parse_results(results({{"BM_Cold", 1, "ms", ""}}));
  EXPECT_THROW(check_budgets(R"({"budgets": [{"name": "x", "benchmark": "BM_Cold"}]})", r),
               BadInput);
  EXPECT_THROW(check_budgets(R"({"budgets": [{"benchmark": "BM_Cold", "max_ms": 1}]})", r),
               BadInput);
  EXPECT_THROW(check_budgets(R"({"nothing": []})", r), BadInput);
}

// A budget naming a counter its benchmark does not report cannot be judged: an Error (a
// failure, never a skip) whose detail names the benchmark and the counter.
TEST(BenchBudgets, AMissingCounterIsAnError) {
  Results r = parse_results(results({{"BM_Null", 1, "ns", R"("ns_per_call": 250)"},
                                     {"BM_Bare", 1, "ns", R"("other": 100)"},
                                     {"BM_Cold", 1, "ms", ""},
                                     {"BM_Density/256", 1, "ms", R"("held": 256)"}}));
  auto c = check_budgets(kBudgets, r);
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].verdict, Verdict::Error);
  EXPECT_EQ(c[0].detail, R"(BM_Bare reports no counter "ns_per_call")");
  EXPECT_EQ(c[1].verdict, Verdict::Ok);
  EXPECT_EQ(c[2].verdict, Verdict::Ok);
  EXPECT_EQ(c[3].verdict, Verdict::Error);
  EXPECT_EQ(c[3].detail, R"(BM_Density/256 reports no counter "KiB_per_idle")");
  EXPECT_EQ(exit_status(c, {}), 1);
}

// A benchmark that reported an error fails every budget that names it, and the run.
TEST(BenchBudgets, AnErredBenchmarkFailsItsBudgets) {
  const std::string err = R"("error_occurred": true, "error_message": "boom")";
  Results r = parse_results(results({{"BM_Null", 0, "ns", err},
                                     {"BM_Bare", 1, "ns", R"("ns_per_call": 100)"},
                                     {"BM_Cold", 0, "ms", err},
                                     {"BM_Density/256", 0, "ms", err}}));
  auto c = check_budgets(kBudgets, r);
  ASSERT_EQ(c.size(), 4u);
  for (const auto& b : c) EXPECT_EQ(b.verdict, Verdict::Error) << b.name << ": " << b.detail;
  EXPECT_EQ(c[0].detail, "BM_Null reported an error: boom");
  EXPECT_EQ(c[1].detail, "BM_Cold reported an error: boom");
  EXPECT_EQ(c[2].detail, "BM_Density/256 reported an error: boom");
  EXPECT_EQ(exit_status(c, {}), 1);
  // Without a budget it still fails the run: errors() lists it.
  Results only = parse_results(results({{"BM_Unbudgeted", 0, "ns", err}}));
  auto e = errors(only);
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].change, Change::Error);
  EXPECT_EQ(e[0].error, "boom");
  EXPECT_EQ(exit_status(check_budgets(kBudgets, only), e), 1);
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

TEST(BenchCompare, AnErrorIsNeverATime) {
  const std::string err = R"("error_occurred": true, "error_message": "boom")";
  Results base = parse_results(results({{"BM_A", 100, "ns", ""}, {"BM_B", 0, "ns", err}}));
  Results now = parse_results(results({{"BM_A", 0, "ns", err}, {"BM_B", 100, "ns", ""}}));
  auto cmp = compare(now, base);
  ASSERT_EQ(cmp.size(), 2u);
  EXPECT_EQ(cmp[0].change, Change::Error);  // not "faster" for its time of 0
  EXPECT_EQ(cmp[0].error, "boom");
  EXPECT_EQ(cmp[1].change, Change::New);  // nothing to compare with
  EXPECT_EQ(exit_status({}, cmp), 1);
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

// Runs a shell command line; its stdout and stderr into *out, its exit status back.
int run_cmd(const std::string& cmd_line, std::string* out) {
  const std::string cmd = cmd_line + " 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
  const int st = pclose(f);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int run_dk(const std::string& args, std::string* out) {
  return run_cmd(std::string(DK_BINARY_DIR) + "/cli/dk bench " + args, out);
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
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

// An erred benchmark and a missing counter fail (exit 1) with one line each naming the
// budget, the benchmark and the reason; a budget whose benchmark was filtered out is SKIP.
TEST(BenchCommand, ErrorsAndMissingCountersFailFilteredOutSkips) {
  DK_REQUIRE(std::filesystem::exists(std::string(DK_BINARY_DIR) + "/cli/dk"), "dk is not built");
  Dir d;
  const std::string budgets = d.put("budgets.json", kBudgets);
  const std::string erred = d.put(
      "erred.json",
      results({{"BM_Cold", 0, "ms",
                R"("error_occurred": true, "error_message": "hello did not exit cleanly")"}}));
  std::string out;
  EXPECT_EQ(run_dk("--budgets " + budgets + " --results " + erred, &out), 1) << out;
  EXPECT_NE(out.find("ERROR cold start: BM_Cold reported an error: hello did not exit cleanly\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("error      BM_Cold: reported an error: hello did not exit cleanly\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("SKIP  density: not measured in this run"), std::string::npos) << out;
  EXPECT_NE(out.find("bench: FAILED"), std::string::npos) << out;

  out.clear();
  EXPECT_EQ(run_dk("--budgets " + budgets + " --results " + erred + " --json", &out), 1) << out;
  EXPECT_NE(out.find(R"("name":"cold start","verdict":"error")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("change":"error")"), std::string::npos) << out;

  const std::string no_counter =
      d.put("no_counter.json", results({{"BM_Density/256", 1, "ms", R"("held": 300)"}}));
  out.clear();
  EXPECT_EQ(run_dk("--budgets " + budgets + " --results " + no_counter, &out), 1) << out;
  EXPECT_NE(out.find("OK    density: 300.00 held"), std::string::npos) << out;
  EXPECT_NE(out.find("ERROR memory: BM_Density/256 reports no counter \"KiB_per_idle\"\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(count_of(out, "KiB_per_idle"), 1u) << out;  // one line says it

  // Only BM_Cold ran (a --filter): the other budgets are skipped and the run passes.
  const std::string filtered = d.put("filtered.json", results({{"BM_Cold", 4.0, "ms", ""}}));
  out.clear();
  EXPECT_EQ(run_dk("--budgets " + budgets + " --results " + filtered, &out), 0) << out;
  EXPECT_EQ(count_of(out, "SKIP  "), 3u) << out;
  EXPECT_NE(out.find("OK    cold start"), std::string::npos) << out;
}

// A stand-in dk_bench: notes its arguments and writes the canned results to the file
// --benchmark_out names, as the real one does.
std::string fake_bench(const Dir& d, const std::string& canned) {
  const std::string json = d.put("canned.json", canned);
  std::filesystem::create_directories(d.p / "build" / "bench");
  std::filesystem::create_directories(d.p / "build" / "cli");
  std::filesystem::create_symlink(std::string(DK_BINARY_DIR) + "/cli/dk", d.p / "build/cli/dk");
  const std::string bin = (d.p / "build/bench/dk_bench").string();
  std::ofstream(bin)
      << "#!/bin/sh\n"
         "printf '%s\\n' \"$@\" > '"
      << (d.p / "args").string()
      << "'\n"
         "for a; do case \"$a\" in --benchmark_out=*) out=${a#--benchmark_out=};; esac; done\n"
         "cp '"
      << json << "' \"$out\"\n";
  chmod(bin.c_str(), 0755);
  return bin;
}

// dk bench runs dk_bench with the filter and repetitions it was given; scripts/bench is dk
// bench with the build's dk_bench: the same output and exit status on the same results.
TEST(BenchCommand, RunsDkBenchAndScriptsBenchGivesTheSameVerdicts) {
  DK_REQUIRE(std::filesystem::exists(std::string(DK_BINARY_DIR) + "/cli/dk"), "dk is not built");
  Dir d;
  const std::string budgets = d.put("budgets.json", kBudgets);
  const std::string bin = fake_bench(
      d, results({{"BM_Cold", 4.0, "ms", ""},
                  {"BM_Density/256", 0, "ms", R"("error_occurred": true, "error_message": "x")"}}));
  const std::string out_json = (d.p / "out.json").string();
  const std::string opts = " --budgets " + budgets + " --filter 'Cold|Density' --out " + out_json;

  std::string dk_out;
  const int dk_status = run_dk("--binary " + bin + opts + " --repetitions 3", &dk_out);
  EXPECT_EQ(dk_status, 1) << dk_out;  // the erred benchmark
  EXPECT_NE(dk_out.find("OK    cold start"), std::string::npos) << dk_out;
  EXPECT_NE(dk_out.find("ERROR density: BM_Density/256 reported an error: x"), std::string::npos)
      << dk_out;
  std::ifstream args_file(d.p / "args");
  const std::string args{std::istreambuf_iterator<char>(args_file), {}};
  EXPECT_NE(args.find("--benchmark_filter=Cold|Density\n"), std::string::npos) << args;
  EXPECT_NE(args.find("--benchmark_repetitions=3\n"), std::string::npos) << args;
  EXPECT_NE(args.find("--benchmark_out=" + out_json + "\n"), std::string::npos) << args;

  std::string script_out;
  const int script_status = run_cmd(std::string(DK_SOURCE_DIR) + "/scripts/bench --build " +
                                        (d.p / "build").string() + opts + " --repetitions 3",
                                    &script_out);
  EXPECT_EQ(script_status, dk_status) << script_out;
  EXPECT_EQ(script_out, dk_out);

  // Without the build, one line and exit 2.
  std::string missing;
  EXPECT_EQ(run_cmd(std::string(DK_SOURCE_DIR) + "/scripts/bench --build /nonexistent", &missing),
            2);
  EXPECT_EQ(count_of(missing, "\n"), 1u) << missing;
}

}  // namespace
