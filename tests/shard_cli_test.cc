// Suites beyond one machine (docs/scale-out.md): four shards of dk conform and of dk escape,
// run here one after another, merged by dk report merge, give the reports of the unsharded
// run (times aside); the shard comes from --shard or the environment (GoogleTest's and
// Kubernetes'); dk bench shards by benchmark; bad shards and bad reports are one line, exit 2.
// The Kubernetes Indexed Job and the CI matrix the docs give are checked for the fields that
// make them shard.
#include <yaml-cpp/yaml.h>

#include <regex>
#include <string>
#include <vector>

#include "dk_cli.h"

namespace dk::testing {
namespace {

class ShardCli : public DkCliTest {
 protected:
  // The report with every time taken out: `"seconds": 0.123` (JSON), `time="0.123"` (JUnit).
  static std::string timeless(const std::string& s) {
    static const std::regex json_secs(R"("seconds": ?[0-9.]+)"), xml_time(R"( time="[0-9.]*")");
    return std::regex_replace(std::regex_replace(s, json_secs, "\"seconds\": T"), xml_time, "");
  }
  static size_t count(const std::string& s, const std::string& what) {
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
  }
};

// 62 cases: enough for every shard to hold several, few enough for the sanitizer build.
constexpr const char* kCases = "--filter 'pipe.*' --filter 'vm.*' --no-progress";

TEST_F(ShardCli, FourConformanceShardsMergeIntoTheWholeRun) {
  const Out whole = dk(std::string("conform ") + kCases + " --json-file all.json --junit all.xml --tap-file all.tap");
  ASSERT_EQ(whole.rc, 0) << whole.err;
  size_t cases = 0;
  for (int i = 0; i < 4; ++i) {
    const std::string n = std::to_string(i);
    const Out part = dk(std::string("conform ") + kCases + " --shard " + n + "/4 --json-file s" + n + ".json");
    ASSERT_EQ(part.rc, 0) << part.err;
    const std::smatch m = [&] {
      std::smatch mm;
      std::regex_search(part.err, mm, std::regex("shard " + n + "/4: ([0-9]+) cases"));
      return mm;
    }();
    ASSERT_FALSE(m.empty()) << part.err;
    cases += std::stoul(m[1]);
  }
  const std::string all = slurp(dir_ / "all.json");
  EXPECT_EQ(cases, count(all, "\"id\":")) << "every case in exactly one shard";
  // Given out of order: the merge puts the cases back in suite order.
  const Out merged = dk("report merge --json m.json --junit m.xml --tap m.tap s2.json s0.json s3.json s1.json");
  ASSERT_EQ(merged.rc, 0) << merged.err;
  EXPECT_NE(merged.out.find("dk report merge: 4 reports, " + std::to_string(cases) + " cases: " +
                            std::to_string(cases) + " pass"),
            std::string::npos)
      << merged.out;
  EXPECT_EQ(timeless(slurp(dir_ / "m.json")), timeless(all));
  EXPECT_EQ(timeless(slurp(dir_ / "m.xml")), timeless(slurp(dir_ / "all.xml")));
  EXPECT_EQ(slurp(dir_ / "m.tap"), slurp(dir_ / "all.tap"));
}

TEST_F(ShardCli, FourEscapeShardsMergeIntoTheWholeRun) {
  const Out whole = dk("escape --filter 'privileged*' --filter 'smc*' --json --junit all.xml --no-progress");
  ASSERT_EQ(whole.rc, 0) << whole.err;
  for (int i = 0; i < 4; ++i) {
    const std::string n = std::to_string(i);
    const Out part = dk("escape --filter 'privileged*' --filter 'smc*' --no-progress --json --shard " + n + "/4");
    ASSERT_EQ(part.rc, 0) << part.err;
    write("e" + n + ".json", part.out);
  }
  const Out merged = dk("report merge --junit m.xml e0.json e1.json e2.json e3.json --json m.json");
  ASSERT_EQ(merged.rc, 0) << merged.err;
  EXPECT_NE(merged.out.find(" 26 attempts: 26 contained"), std::string::npos) << merged.out;
  EXPECT_EQ(timeless(slurp(dir_ / "m.json")), timeless(whole.out));
  EXPECT_EQ(timeless(slurp(dir_ / "m.xml")), timeless(slurp(dir_ / "all.xml")));
}

TEST_F(ShardCli, TheShardComesFromTheFlagOrTheEnvironment) {
  const Out flag = dk(std::string("conform ") + kCases + " --list --shard 1/3");
  ASSERT_EQ(flag.rc, 0) << flag.err;
  EXPECT_GT(lines(flag.out), 10u);
  const Out gtest = dk_env("GTEST_SHARD_INDEX=1 GTEST_TOTAL_SHARDS=3", std::string("conform ") + kCases + " --list");
  const Out k8s = dk_env("JOB_COMPLETION_INDEX=1 DK_TOTAL_SHARDS=3", std::string("conform ") + kCases + " --list");
  EXPECT_EQ(gtest.out, flag.out);
  EXPECT_EQ(k8s.out, flag.out);
  const Out whole = dk(std::string("conform ") + kCases + " --list");
  EXPECT_LT(lines(flag.out), lines(whole.out));
  // The flag wins over the environment.
  EXPECT_EQ(dk_env("GTEST_SHARD_INDEX=0 GTEST_TOTAL_SHARDS=2", std::string("conform ") + kCases + " --list --shard 1/3").out,
            flag.out);
}

TEST_F(ShardCli, BenchRunsEveryNthBenchmark) {
  // A stand-in dk_bench: lists three benchmarks, and writes results for the ones its filter
  // names (the filter dk bench makes for a shard is ^(A|B)$).
  write("fake_bench",
        "#!/bin/sh\n"
        "filter=; out=\n"
        "for a in \"$@\"; do case \"$a\" in --benchmark_filter=*) filter=${a#*=};; "
        "--benchmark_out=*) out=${a#*=};; --benchmark_list_tests=true) list=1;; esac; done\n"
        "if [ -n \"$list\" ]; then printf 'BM_A\\nBM_B\\nBM_C\\n'; exit 0; fi\n"
        "names=$(printf '%s' \"$filter\" | sed 's/^\\^(//; s/)\\$$//; s/|/ /g')\n"
        "{ printf '{\"benchmarks\": ['; sep=\n"
        "  for n in $names; do printf '%s{\"name\": \"%s\", \"run_type\": \"iteration\", \"real_time\": 1, "
        "\"time_unit\": \"ns\"}' \"$sep\" \"$n\"; sep=,; done; printf ']}'; } > \"$out\"\n");
  std::filesystem::permissions(dir_ / "fake_bench", std::filesystem::perms::owner_all);
  write("budgets.json", R"({"budgets": []})");
  const std::string base = "bench --binary ./fake_bench --budgets budgets.json --json";
  std::vector<std::string> seen;
  for (const char* shard : {"0/2", "1/2", "2/4", "3/4"}) {
    const Out r = dk(base + " --shard " + shard + " --out r.json");
    ASSERT_EQ(r.rc, 0) << r.err;
    seen.push_back(slurp(dir_ / "r.json"));
  }
  EXPECT_NE(seen[0].find("BM_A"), std::string::npos);
  EXPECT_EQ(seen[0].find("BM_B"), std::string::npos);
  EXPECT_NE(seen[0].find("BM_C"), std::string::npos);
  EXPECT_NE(seen[1].find("BM_B"), std::string::npos);
  EXPECT_EQ(seen[1].find("BM_A"), std::string::npos);
  EXPECT_NE(seen[2].find("BM_C"), std::string::npos);
  EXPECT_EQ(seen[3].find("BM_"), std::string::npos);  // more shards than benchmarks: none
}

TEST_F(ShardCli, BadShardsAndBadReportsAreOneLine) {
  expect_refused(std::string("conform ") + kCases + " --shard 4/4", "not a shard");
  expect_refused(std::string("conform ") + kCases + " --shard 1", "I/N");
  expect_refused(std::string("escape --shard a/b"), "not a shard");
  expect_refused(std::string("escape --shard 0/0"), "not a shard");
  expect_refused("bench --results x.json --shard 2/1", "not a shard");
  expect_refused("bench --results x.json --shard 0/2", "--results");
  {
    const Out o = dk_env("GTEST_SHARD_INDEX=1", std::string("conform ") + kCases);
    EXPECT_EQ(o.rc, 2);
    EXPECT_NE(o.err.find("no shard count"), std::string::npos) << o.err;
  }
  ASSERT_EQ(dk("conform --filter 'vm.*' --no-progress --shard 0/2 --json-file c0.json").rc, 0);
  const Out e = dk("escape --filter 'smc*' --json --no-progress");
  ASSERT_EQ(e.rc, 0) << e.err;
  write("e.json", e.out);
  write("bad.json", "{\"cases\": [");
  write("other.json", "{\"benchmarks\": []}");
  expect_refused("report merge c0.json e.json", "escape report among conform reports");
  expect_refused("report merge c0.json c0.json", "is in both c0.json and c0.json");
  expect_refused("report merge bad.json", "not JSON");
  expect_refused("report merge other.json", "not a JSON report of dk conform");
  expect_refused("report merge missing.json", "missing.json");
  expect_refused("report merge --tap t.tap e.json", "--tap");
  write("forged.json", R"({"hosts": ["sim"], "cases": [{"id": "no.such.case", "host": "sim", "verdict": "pass"}]})");
  expect_refused("report merge forged.json", "not in the suite");
  const std::string some_case = dk(std::string("conform ") + kCases + " --list").out.substr(0, dk(std::string("conform ") + kCases + " --list").out.find('\t'));
  write("verdict.json", R"({"hosts": ["sim"], "cases": [{"id": ")" + some_case + R"(", "host": "sim", "verdict": "great"}]})");
  expect_refused("report merge verdict.json", "unknown verdict \"great\"");
}

TEST(ScaleOutDocs, TheIndexedJobAndTheCiMatrixShard) {
  const YAML::Node job = YAML::LoadFile(std::string(DK_SOURCE_DIR) + "/docs/scale-out/conform-job.yaml");
  EXPECT_EQ(job["kind"].as<std::string>(), "Job");
  const YAML::Node spec = job["spec"];
  EXPECT_EQ(spec["completionMode"].as<std::string>(), "Indexed");
  const int completions = spec["completions"].as<int>();
  EXPECT_GT(completions, 1);
  bool total = false, shard_cmd = false;
  for (const auto& c : spec["template"]["spec"]["containers"]) {
    for (const auto& e : c["env"])
      if (e["name"].as<std::string>() == "DK_TOTAL_SHARDS") {
        total = true;
        EXPECT_EQ(e["value"].as<std::string>(), std::to_string(completions));
      }
    std::string cmd;
    for (const auto& w : c["command"]) cmd += w.as<std::string>() + " ";
    for (const auto& w : c["args"]) cmd += w.as<std::string>() + " ";
    shard_cmd = shard_cmd || cmd.find("dk conform") != std::string::npos;
  }
  EXPECT_TRUE(total) << "each pod must know the shard count";
  EXPECT_TRUE(shard_cmd);
  const YAML::Node ci = YAML::LoadFile(std::string(DK_SOURCE_DIR) + "/docs/scale-out/ci-matrix.yml");
  const YAML::Node matrix = ci["jobs"]["conform"]["strategy"]["matrix"];
  EXPECT_EQ(matrix["shard"].size(), 4u);
  EXPECT_TRUE(ci["jobs"]["merge"]["needs"]);
}

}  // namespace
}  // namespace dk::testing
