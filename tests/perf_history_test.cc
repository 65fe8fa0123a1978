// The performance history and its verdicts (dk/perf/history.h, dk/perf/compare.h): the U
// test against values worked out by hand, noise that must not be called a regression and a
// 3% regression that must be, exact counters compared exactly, the SQLite file read back as
// written and foreign files refused, and the commit read from a repository's files.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <algorithm>
#include <filesystem>
#include <map>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "dk/perf/compare.h"
#include "dk/perf/history.h"

namespace dk::perf {
namespace {

namespace fs = std::filesystem;

TEST(MannWhitney, ExactPValuesMatchTheirCounts) {
  // Complete separation: only 2 of the C(n1+n2, n1) arrangements are as extreme.
  EXPECT_NEAR(mann_whitney_p({1, 2, 3}, {4, 5, 6}), 2.0 / 20, 1e-12);
  EXPECT_NEAR(mann_whitney_p({1, 2, 3, 4, 5}, {6, 7, 8, 9, 10}), 2.0 / 252, 1e-12);
  EXPECT_NEAR(mann_whitney_min_p(5, 5), 2.0 / 252, 1e-12);
  // U = 1 of 3 x 3: arrangements with U <= 1 are 2 of 20, doubled.
  EXPECT_NEAR(mann_whitney_p({1, 2, 4}, {3, 5, 6}), 4.0 / 20, 1e-12);
  // Symmetric, and 1 for interleaved samples.
  EXPECT_NEAR(mann_whitney_p({4, 5, 6}, {1, 2, 3}), mann_whitney_p({1, 2, 3}, {4, 5, 6}), 1e-12);
  EXPECT_DOUBLE_EQ(mann_whitney_p({1, 4, 5, 8}, {2, 3, 6, 7}), 1.0);
  EXPECT_DOUBLE_EQ(mann_whitney_p({}, {1, 2}), 1.0);
  EXPECT_DOUBLE_EQ(mann_whitney_p({3, 3, 3}, {3, 3, 3}), 1.0);  // all tied
}

// The permutation p-value of U, counted by brute force over every split of the pooled values
// (ties and all): what the approximation stands in for.
double permutation_p(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> all = a;
  all.insert(all.end(), b.begin(), b.end());
  const size_t n = all.size(), n1 = a.size();
  auto u_of = [&](const std::vector<bool>& in_a) {
    double u = 0;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j)
        if (in_a[i] && !in_a[j]) u += all[i] > all[j] ? 1 : all[i] == all[j] ? 0.5 : 0;
    return u;
  };
  std::vector<bool> mine(n, false);
  for (size_t i = 0; i < n1; ++i) mine[i] = true;
  const double mu = static_cast<double>(n1 * (n - n1)) / 2, seen = std::fabs(u_of(mine) - mu);
  std::vector<bool> pick(n, false);
  std::fill(pick.end() - static_cast<long>(n1), pick.end(), true);
  double total = 0, extreme = 0;
  do {
    ++total;
    extreme += std::fabs(u_of(pick) - mu) >= seen - 1e-9;
  } while (std::next_permutation(pick.begin(), pick.end()));
  return extreme / total;
}

TEST(MannWhitney, TheApproximationAgreesWithTheExactCount) {
  // Samples with ties take the normal approximation; brute force gives the true p-value.
  const std::vector<std::pair<std::vector<double>, std::vector<double>>> cases = {
      {{1, 2, 2, 3, 5, 5}, {2, 3, 4, 4, 6, 7}},
      {{10, 10, 11, 12, 12, 13, 14}, {12, 13, 13, 15, 15, 16, 18}},
      {{1, 1, 2, 2, 3, 3}, {1, 2, 3, 1, 2, 3}},
      {{5, 6, 6, 7}, {1, 2, 2, 3, 4, 4}},
  };
  for (const auto& [a, b] : cases) {
    const double approx = mann_whitney_p(a, b), exact = permutation_p(a, b);
    EXPECT_NEAR(approx, exact, 0.03) << "exact " << exact;
  }
  // Without ties and more than 20 values a side, the approximation is used too: a clear shift
  // is significant, an interleaving is not.
  std::vector<double> lo, hi, odd, even;
  for (int i = 0; i < 25; ++i) {
    lo.push_back(i);
    hi.push_back(i + 12.5);
    odd.push_back(2 * i + 1);
    even.push_back(2 * i);
  }
  EXPECT_LT(mann_whitney_p(lo, hi), 0.01);
  EXPECT_GT(mann_whitney_p(odd, even), 0.5);
}

std::vector<FigureValue> timings(const std::string& bench, double centre, double sd, int n,
                                 std::mt19937_64& rng) {
  std::normal_distribution<double> d(centre, sd);
  std::vector<FigureValue> v;
  for (int i = 0; i < n; ++i) v.push_back({bench, "real_time_ns", d(rng), false, Better::Lower});
  return v;
}

TEST(Verdicts, NoiseIsNotARegression) {
  // Two runs of one build: 10 repetitions each, 10% noise. Over 400 such comparisons a test
  // at alpha 0.05 calls about 2.5% of them slower by chance; never a fifth of that budget more.
  std::mt19937_64 rng(11);
  int regressions = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const auto base = timings("BM_X", 1000, 100, 10, rng), head = timings("BM_X", 1000, 100, 10, rng);
    const auto v = compare(base, head);
    ASSERT_EQ(v.size(), 1u);
    regressions += v[0].verdict == Verdict::Regression;
  }
  EXPECT_LE(regressions, 20) << "of 400";
}

TEST(Verdicts, AThreePercentRegressionIsFound) {
  // 3% slower, with 1% noise on each repetition, 10 repetitions a side.
  std::mt19937_64 rng(12);
  int found = 0, improvements = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const auto base = timings("BM_X", 1000, 10, 10, rng), head = timings("BM_X", 1030, 10, 10, rng);
    const auto v = compare(base, head);
    ASSERT_EQ(v.size(), 1u);
    found += v[0].verdict == Verdict::Regression;
    improvements += v[0].verdict == Verdict::Improvement;
    EXPECT_NEAR(v[0].change, 0.03, 0.02);
  }
  EXPECT_GE(found, 196) << "of 200";
  EXPECT_EQ(improvements, 0);
  // Faster is an improvement, and a higher-is-better figure turns the verdicts round.
  auto faster = compare(timings("BM_X", 1000, 10, 10, rng), timings("BM_X", 950, 10, 10, rng));
  EXPECT_EQ(faster[0].verdict, Verdict::Improvement);
  auto rate_base = timings("BM_R", 1000, 10, 10, rng), rate_head = timings("BM_R", 950, 10, 10, rng);
  for (auto* side : {&rate_base, &rate_head})
    for (auto& f : *side) f.better = Better::Higher;
  EXPECT_EQ(compare(rate_base, rate_head)[0].verdict, Verdict::Regression);
}

TEST(Verdicts, ASignificantChangeBelowTheFloorIsTheSame) {
  std::mt19937_64 rng(13);
  // 0.5% slower with almost no noise: significant, but under the 1% floor.
  const auto v = compare(timings("BM_X", 1000, 0.5, 10, rng), timings("BM_X", 1005, 0.5, 10, rng));
  EXPECT_LT(v[0].p, 0.05);
  EXPECT_EQ(v[0].verdict, Verdict::Same);
  CompareOptions strict;
  strict.min_change = 0;
  EXPECT_EQ(compare(timings("BM_X", 1000, 0.5, 10, rng), timings("BM_X", 1005, 0.5, 10, rng), strict)[0].verdict,
            Verdict::Regression);
}

TEST(Verdicts, TooFewRepetitionsCannotBeJudged) {
  std::mt19937_64 rng(14);
  const auto v = compare(timings("BM_X", 1000, 1, 2, rng), timings("BM_X", 2000, 1, 2, rng));
  EXPECT_EQ(v[0].verdict, Verdict::TooFew);  // 2 and 2 values: the smallest p is 1/3
  EXPECT_NEAR(v[0].change, 1.0, 0.01);
}

FigureValue exact(const std::string& figure, double v, Better b = Better::Lower) {
  return {"profile hello seed=0", figure, v, true, b};
}

TEST(Verdicts, ExactCountersAreComparedExactly) {
  const auto v = compare(
      {exact("instructions", 6742), exact("ticks", 2309), exact("threads", 1), exact("odd", 5, Better::Unknown),
       exact("gone", 1), exact("seeds", 1), exact("seeds", 2)},
      {exact("instructions", 6743), exact("ticks", 2308), exact("threads", 1), exact("odd", 6, Better::Unknown),
       exact("new", 1), exact("seeds", 1)});
  std::map<std::string, Verdict> by;
  for (const auto& f : v) by[f.figure] = f.verdict;
  EXPECT_EQ(by["instructions"], Verdict::Regression);  // one instruction more is a change
  EXPECT_EQ(by["ticks"], Verdict::Improvement);
  EXPECT_EQ(by["threads"], Verdict::Same);
  EXPECT_EQ(by["odd"], Verdict::Changed);
  EXPECT_EQ(by["gone"], Verdict::Gone);
  EXPECT_EQ(by["new"], Verdict::New);
  EXPECT_EQ(by["seeds"], Verdict::Unstable);
  EXPECT_EQ(v.size(), 7u);
}

class HistoryFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dk-history-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(HistoryFile, RunsAndFiguresReadBackAsWritten) {
  const std::string path = (dir_ / "h.db").string();
  {
    History h(path);
    RunRecord r;
    r.commit = "abc123";
    r.machine = "m1";
    r.source = "profile";
    r.label = "hello";
    r.figures = {exact("instructions", 6742), exact("ticks", 2309)};
    EXPECT_EQ(h.append(r), 1);
    r.commit = "abd456";
    r.machine = "m2";
    r.date = "2026-01-02T03:04:05Z";
    r.figures = {{"BM_X", "real_time_ns", 12.5, false, Better::Lower}};
    EXPECT_EQ(h.append(r), 2);
  }
  History h(path);  // opened again: the same file, the same rows
  const auto runs = h.runs();
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0].commit, "abc123");
  EXPECT_EQ(runs[0].source, "profile");
  EXPECT_EQ(runs[0].label, "hello");
  EXPECT_EQ(runs[0].date.size(), 20u) << runs[0].date;  // set by append
  EXPECT_EQ(runs[1].date, "2026-01-02T03:04:05Z");
  EXPECT_EQ(runs[1].machine, "m2");
  const auto f = h.figures_of("abc123", "");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_EQ(f[0].figure, "instructions");
  EXPECT_EQ(f[0].value, 6742);
  EXPECT_TRUE(f[0].exact);
  EXPECT_EQ(f[0].better, Better::Lower);
  EXPECT_EQ(h.figures_of("abd456", "m1").size(), 0u);  // that commit was measured on m2
  ASSERT_EQ(h.figures_of_run(2).size(), 1u);
  EXPECT_DOUBLE_EQ(h.figures_of_run(2)[0].value, 12.5);
  EXPECT_FALSE(h.figures_of_run(2)[0].exact);
  // Commits by prefix: unique, full, ambiguous, unknown.
  EXPECT_EQ(h.resolve("abc"), "abc123");
  EXPECT_EQ(h.resolve("abd456"), "abd456");
  EXPECT_THROW(h.resolve("ab"), HistoryError);
  EXPECT_THROW(h.resolve("ffff"), HistoryError);
  EXPECT_THROW(h.resolve(""), HistoryError);
}

TEST_F(HistoryFile, ForeignFilesAreRefusedAndLeftAlone) {
  const fs::path text = dir_ / "notes.txt";
  const std::string words = "not a database, just words that go on for a while\n";
  std::ofstream(text) << words;
  try {
    History h(text.string());
    FAIL() << "opened a text file";
  } catch (const HistoryError& e) {
    EXPECT_NE(std::string(e.what()).find("not a SQLite file"), std::string::npos) << e.what();
  }
  EXPECT_EQ(fs::file_size(text), words.size());  // untouched
  // Another program's SQLite file.
  const std::string other = (dir_ / "other.db").string();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(other.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  try {
    History h(other);
    FAIL() << "opened another program's database";
  } catch (const HistoryError& e) {
    EXPECT_NE(std::string(e.what()).find("not a Dk performance history"), std::string::npos) << e.what();
  }
  // A history of a later layout.
  const std::string later = (dir_ / "later.db").string();
  { History h(later); }
  ASSERT_EQ(sqlite3_open(later.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 9", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  try {
    History h(later);
    FAIL() << "opened a later layout";
  } catch (const HistoryError& e) {
    EXPECT_NE(std::string(e.what()).find("later dk"), std::string::npos) << e.what();
  }
  EXPECT_THROW(History((dir_ / "no" / "such" / "dir.db").string()), HistoryError);
}

class InFolder {
 public:
  explicit InFolder(const fs::path& p) : old_(fs::current_path()) { fs::current_path(p); }
  ~InFolder() { fs::current_path(old_); }

 private:
  fs::path old_;
};

TEST_F(HistoryFile, TheCommitComesFromTheRepositorysFiles) {
  unsetenv("DK_COMMIT");
  const std::string a(40, 'a'), b(40, 'b'), c(40, 'c');
  fs::create_directories(dir_ / "repo/.git/refs/heads");
  fs::create_directories(dir_ / "repo/sub/deeper");
  fs::create_directories(dir_ / "plain");
  std::ofstream(dir_ / "repo/.git/HEAD") << "ref: refs/heads/main\n";
  std::ofstream(dir_ / "repo/.git/refs/heads/main") << a << "\n";
  {
    InFolder in(dir_ / "repo/sub/deeper");  // found from below the top
    EXPECT_EQ(current_commit(), a);
  }
  fs::remove(dir_ / "repo/.git/refs/heads/main");
  std::ofstream(dir_ / "repo/.git/packed-refs") << "# pack-refs with: peeled\n" << b << " refs/heads/main\n";
  {
    InFolder in(dir_ / "repo");
    EXPECT_EQ(current_commit(), b);  // a packed ref
    std::ofstream(dir_ / "repo/.git/HEAD") << c << "\n";
    EXPECT_EQ(current_commit(), c);  // detached
    setenv("DK_COMMIT", "from-env", 1);
    EXPECT_EQ(current_commit(), "from-env");
    unsetenv("DK_COMMIT");
  }
  std::ofstream(dir_ / "plain/.git") << "gitdir: ../repo/.git\n";  // a worktree's .git file
  {
    InFolder in(dir_ / "plain");
    EXPECT_EQ(current_commit(), c);
  }
  std::ofstream(dir_ / "repo/.git/HEAD") << "ref: refs/heads/nowhere\n";
  InFolder in(dir_ / "repo");
  EXPECT_EQ(current_commit(), "unknown");
}

}  // namespace
}  // namespace dk::perf
