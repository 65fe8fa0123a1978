// The performance history from the command line: `dk profile --history` and `dk bench
// --history` append, `dk perf log` lists, `dk perf compare` gives verdicts and exits 1 on a
// regression, and every bad file or commit is one line with exit 2.
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "dk_cli.h"
#include "json_check.h"

namespace dk::testing {
namespace {

using dk::test::Json;
using dk::test::parse_json;

class PerfCli : public DkCliTest {
 protected:
  // bench_emulation_compute with `n` iterations, as DIR/bench_emulation_compute: one name,
  // so two builds of it are one benchmark.
  std::string loop_image(const std::string& dir, uint64_t n) {
    std::ifstream in(g("bench_emulation_compute"), std::ios::binary);
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    const size_t at = bytes.find("DkBenchN");
    EXPECT_NE(at, std::string::npos);
    std::memcpy(&bytes[at + 8], &n, 8);
    write(dir + "/bench_emulation_compute", bytes);
    const std::string path = (dir_ / dir / "bench_emulation_compute").string();
    std::filesystem::permissions(path, std::filesystem::perms::owner_all);
    return path;
  }

  // Google Benchmark JSON of BM_X with these real times (ns), one repetition each.
  static std::string results(const std::vector<double>& times) {
    std::string s = R"({"context": {}, "benchmarks": [)";
    for (size_t i = 0; i < times.size(); ++i) {
      s += std::string(i ? "," : "") + R"({"name": "BM_X", "run_name": "BM_X", "run_type": "iteration", )" +
           R"("repetitions": 10, "repetition_index": )" + std::to_string(i) +
           R"(, "iterations": 100, "real_time": )" + std::to_string(times[i]) +
           R"(, "cpu_time": )" + std::to_string(times[i]) + R"(, "time_unit": "ns", "per_second": )" +
           std::to_string(1e9 / times[i]) + "}";
    }
    return s + "]}";
  }
};

TEST_F(PerfCli, ProfilesOfTwoCommitsAreComparedExactly) {
  const std::string base = loop_image("base", 1000), same = loop_image("same", 1000),
                    slower = loop_image("slower", 1001);
  ASSERT_EQ(dk("profile --history h.db --commit 1111aaaa --machine m " + base).rc, 221);
  ASSERT_EQ(dk("profile --history h.db --commit 2222bbbb --machine m " + same).rc, 221);
  ASSERT_EQ(dk("profile --history h.db --commit 3333cccc --machine m " + slower).rc, 15);

  const Out log = dk("perf log --json h.db");
  ASSERT_EQ(log.rc, 0) << log.err;
  const Json runs = parse_json(log.out);
  ASSERT_EQ(runs.items.size(), 3u);
  EXPECT_EQ(runs.items[0]["commit"].text, "1111aaaa");
  EXPECT_EQ(runs.items[0]["source"].text, "profile");
  EXPECT_EQ(runs.items[0]["label"].text, "bench_emulation_compute");
  EXPECT_EQ(runs.items[2]["machine"].text, "m");

  // The same program: every figure the same, exit 0.
  const Out same_v = dk("perf compare h.db 1111 2222");
  EXPECT_EQ(same_v.rc, 0) << same_v.out << same_v.err;
  EXPECT_NE(same_v.out.find(", 0 not the same, 0 regressions"), std::string::npos) << same_v.out;

  // One iteration more: 5 instructions and a tick, found exactly, exit 1.
  const Out worse = dk("perf compare --json h.db 1111 3333");
  EXPECT_EQ(worse.rc, 1) << worse.err;
  const Json j = parse_json(worse.out);
  EXPECT_EQ(j["base"].text, "1111aaaa");
  EXPECT_EQ(j["head"].text, "3333cccc");
  bool instructions = false, ticks = false;
  for (const Json& f : j["figures"].items) {
    if (f["figure"].text == "instructions") {
      instructions = true;
      EXPECT_EQ(f["verdict"].text, "REGRESSION");
      EXPECT_EQ(f["base"].u64(), 5010u);
      EXPECT_EQ(f["head"].u64(), 5015u);
    }
    if (f["figure"].text == "ticks") {
      ticks = true;
      EXPECT_EQ(f["verdict"].text, "REGRESSION");
    }
    if (f["figure"].text == "downcalls") {
      EXPECT_EQ(f["verdict"].text, "same");
    }
  }
  EXPECT_TRUE(instructions && ticks) << worse.out;
  // The text table: the verdict first, only what changed.
  const Out table = dk("perf compare h.db 1111 3333");
  EXPECT_EQ(table.out.find("\nsame "), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("\nREGRESSION  profile bench_emulation_compute seed=0"), std::string::npos)
      << table.out;
  // Turned round, the same change is an improvement.
  EXPECT_EQ(dk("perf compare h.db 3333 1111").rc, 0);

  // The history drawn: a dot per value, the regression ringed, as SVG or an HTML page.
  const Out svg = dk("perf plot --figure instructions --benchmark compute h.db -o p.svg");
  ASSERT_EQ(svg.rc, 0) << svg.err;
  EXPECT_NE(svg.err.find("1 series, 3 commits drawn in p.svg"), std::string::npos) << svg.err;
  const std::string pic = slurp(dir_ / "p.svg");
  EXPECT_EQ(pic.rfind("<svg xmlns=\"http://www.w3.org/2000/svg\"", 0), 0u) << pic.substr(0, 80);
  auto count = [&](const std::string& what) {
    size_t n = 0;
    for (size_t at = pic.find(what); at != std::string::npos; at = pic.find(what, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("r=\"3\""), 3u);                                 // one value per commit
  EXPECT_EQ(count("REGRESSION against the commit before"), 1u);      // 3333 after 2222
  EXPECT_EQ(count("<g>"), count("</g>"));
  EXPECT_NE(pic.find(">1111aaaa<"), std::string::npos);
  const Out html = dk("perf plot --figure ticks h.db -o p.html");
  ASSERT_EQ(html.rc, 0) << html.err;
  EXPECT_EQ(slurp(dir_ / "p.html").rfind("<!DOCTYPE html>", 0), 0u);
  const Out out = dk("perf plot --figure ticks h.db");
  EXPECT_EQ(out.out.rfind("<svg", 0), 0u);
  expect_refused("perf plot --figure nothing_like_it h.db", "no figure nothing_like_it");
  expect_refused("perf plot --figure ticks --benchmark '(' h.db", "--benchmark");
  expect_refused("perf plot h.db", "--figure");
}

TEST_F(PerfCli, BenchRepetitionsAreJudgedWithTheUTest) {
  write("budgets.json", R"({"budgets": [{"name": "rate", "benchmark": "BM_X", "counter": "per_second", "min": 1}]})");
  write("base.json", results({1000, 1004, 998, 1001, 1003, 997, 1002, 999, 1000, 1001}));
  write("noise.json", results({1001, 998, 1003, 999, 1000, 1002, 997, 1004, 1000, 999}));
  write("slow.json", results({1031, 1029, 1033, 1030, 1028, 1032, 1030, 1031, 1027, 1030}));
  for (const auto& [file, commit] : {std::pair{"base.json", "aaaa0001"}, std::pair{"noise.json", "bbbb0002"},
                                     std::pair{"slow.json", "cccc0003"}}) {
    const Out r = dk(std::string("bench --results ") + file + " --budgets budgets.json --history h.db --commit " + commit);
    ASSERT_EQ(r.rc, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("appended to h.db"), std::string::npos) << r.out;
  }
  const Out noise = dk("perf compare --json h.db aaaa bbbb");
  EXPECT_EQ(noise.rc, 0) << noise.out;
  const Json noise_j = parse_json(noise.out);
  for (const Json& f : noise_j["figures"].items) EXPECT_EQ(f["verdict"].text, "same") << f["figure"].text;

  const Out slow = dk("perf compare --json h.db aaaa cccc");
  EXPECT_EQ(slow.rc, 1) << slow.out;
  std::map<std::string, std::string> verdict;
  const Json slow_j = parse_json(slow.out);
  for (const Json& f : slow_j["figures"].items) {
    verdict[f["figure"].text] = f["verdict"].text;
    EXPECT_EQ(f["base_n"].u64(), 10u);
  }
  EXPECT_EQ(verdict["real_time_ns"], "REGRESSION");
  EXPECT_EQ(verdict["cpu_time_ns"], "REGRESSION");
  EXPECT_EQ(verdict["per_second"], "REGRESSION");  // a rate: lower is worse (its budget is a min)
}

TEST_F(PerfCli, BadFilesAndCommitsAreOneLine) {
  expect_refused("perf compare missing.db a b", "missing.db");
  write("notes.txt", "just some words, not a database of any kind at all\n");
  expect_refused("perf compare notes.txt a b", "not a SQLite file");
  expect_refused("perf log notes.txt", "not a SQLite file");
  expect_refused("profile --history notes.txt " + g("hello"), "not a SQLite file");
  expect_refused("bench --results x.json --history notes.txt", "not a SQLite file");
  ASSERT_EQ(dk("profile --history h.db --commit abc1 " + g("hello")).rc, 0);
  ASSERT_EQ(dk("profile --history h.db --commit abc2 " + g("hello")).rc, 0);
  expect_refused("perf compare h.db abc abc1", "ambiguous");
  expect_refused("perf compare h.db zzz abc1", "no run of commit zzz");
  expect_refused("perf compare --alpha 2 h.db abc1 abc2", "--alpha");
  expect_refused("perf compare --filter '(' h.db abc1 abc2", "--filter");
  expect_refused("perf compare h.db abc1", "HEAD");
  expect_refused("perf", "compare");
  const Out ok = dk("perf compare --all h.db abc1 abc2");
  EXPECT_EQ(ok.rc, 0) << ok.err;
  EXPECT_NE(ok.out.find("\nsame "), std::string::npos) << ok.out;
  // A benchmark only one side has: one line in the table, nulls for the side it lacks.
  ASSERT_EQ(dk("profile --history h.db --commit abd3 " + g("hello") + " -- x").rc, 0);
  const Out added = dk("perf compare h.db abc1 abd3");
  EXPECT_EQ(added.rc, 0) << added.err;
  EXPECT_NE(added.out.find("\nnew         profile hello x seed=0"), std::string::npos) << added.out;
  EXPECT_NE(added.out.find(" figures)"), std::string::npos) << added.out;
  const Out added_json = dk("perf compare --json h.db abc1 abd3");
  const Json aj = parse_json(added_json.out);
  size_t fresh = 0;
  for (const Json& f : aj["figures"].items)
    if (f["verdict"].text == "new") {
      ++fresh;
      EXPECT_EQ(f["base"].type, Json::Null);
      EXPECT_EQ(f["change"].type, Json::Null);
      EXPECT_EQ(f["base_n"].u64(), 0u);
    }
  EXPECT_GT(fresh, 10u);
  const Json gone = parse_json(dk("perf compare --json h.db abd3 abc1").out);
  for (const Json& f : gone["figures"].items) {
    if (f["verdict"].text == "gone") {
      EXPECT_EQ(f["head"].type, Json::Null);
    }
  }
}

}  // namespace
}  // namespace dk::testing
