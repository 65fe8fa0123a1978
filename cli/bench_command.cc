// dk bench: runs the dk_bench binary (Google Benchmark), then checks every budget in
// bench/budgets.json against this run and compares the run with a base run, with a verdict
// per benchmark. Exit status: 0 when every budget holds and nothing regressed, 1 when a
// budget is broken or cannot be judged (its benchmark reported an error or lacks the budget's
// counter), a benchmark reported an error, or one regressed; 2 on bad input (no dk_bench, an
// unreadable or malformed file, dk_bench failing).
//
// The checking and comparing half (namespace dk::benchcheck) has no CLI in it: with
// DK_BENCH_CHECK_ONLY defined this file is only that half, which tests/bench_compare_test.cc
// includes to test it on canned JSON files. scripts/bench (make bench) runs this command, so
// there is one set of rules.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace dk::benchcheck {

// A regression: a benchmark's time more than this fraction above its base (10%).
constexpr double kRegressionThreshold = 0.10;

struct BadInput : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One benchmark's figures from a Google Benchmark JSON file: its time in nanoseconds (real
// time, which is the manual time for UseManualTime benchmarks) and its user counters. When
// the file has several iterations of one name (--benchmark_repetitions), the median by time.
// A benchmark that reported an error (SkipWithError: "error_occurred") has no figures that
// mean anything; `error` holds its message, and one erring repetition makes it so.
struct Figures {
  std::string name;
  double time_ns = 0;
  double cpu_ns = -1;  // CPU time in nanoseconds; -1 when the file gives none
  std::map<std::string, double> counters;
  bool failed = false;
  std::string error;
};

struct Results {
  std::vector<Figures> benchmarks;  // in the file's order, one per name
  // Every repetition that did not err, in the file's order (a performance history keeps
  // them all, where budgets and comparisons take the median above).
  std::vector<Figures> repetitions;
  // Benchmarks the host under test cannot serve (their error begins "unsupported on "): not
  // measured, never a failure; name and message.
  std::vector<std::pair<std::string, std::string>> unsupported;
  // `key` is a full name ("BM_X/256") or a base name ("BM_X"): the exact name first, else the
  // first benchmark whose name is `key` followed by '/'.
  const Figures* find(const std::string& key) const {
    for (const auto& b : benchmarks)
      if (b.name == key) return &b;
    for (const auto& b : benchmarks)
      if (b.name.size() > key.size() && b.name.compare(0, key.size(), key) == 0 &&
          b.name[key.size()] == '/')
        return &b;
    return nullptr;
  }
};

inline double unit_to_ns(const std::string& unit) {
  if (unit == "ns") return 1;
  if (unit == "us") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  throw BadInput("unknown time_unit \"" + unit + "\"");
}

inline double number(const YAML::Node& n, const std::string& what) {
  try {
    const double v = n.as<double>();
    if (!std::isfinite(v)) throw BadInput(what + " is not a finite number");
    return v;
  } catch (const YAML::Exception&) {
    throw BadInput(what + " is not a number");
  }
}

// Parses Google Benchmark's JSON output (--benchmark_out_format=json). Aggregates
// (run_type "aggregate": mean, median, stddev) are skipped; the median is taken here.
inline Results parse_results(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);  // JSON is YAML
  } catch (const YAML::Exception& e) {
    throw BadInput(std::string("not JSON: ") + e.what());
  }
  if (!root.IsMap() || !root["benchmarks"] || !root["benchmarks"].IsSequence())
    throw BadInput("no \"benchmarks\" array");
  std::vector<std::string> order;
  std::map<std::string, std::vector<Figures>> runs;
  std::map<std::string, std::string> unsupported;
  std::vector<Figures> repetitions;
  for (const auto& b : root["benchmarks"]) {
    if (!b.IsMap() || !b["name"] || !b["name"].IsScalar())
      throw BadInput("a benchmark without a name");
    const std::string run_type = b["run_type"] ? b["run_type"].as<std::string>() : "iteration";
    if (run_type != "iteration") continue;
    Figures f;
    f.name = b["name"].as<std::string>();
    f.failed = b["error_occurred"] && b["error_occurred"].IsScalar() &&
               b["error_occurred"].as<std::string>() == "true";
    if (f.failed) {
      f.error = b["error_message"] && b["error_message"].IsScalar()
                    ? b["error_message"].as<std::string>()
                    : "";
      if (f.error.empty()) f.error = "(no message)";
      if (f.error.rfind("unsupported on ", 0) == 0) {  // bench/host_bench.cc: the host lacks it
        unsupported.emplace(f.name, f.error);
        continue;
      }
      if (!runs.count(f.name)) order.push_back(f.name);
      runs[f.name].push_back(std::move(f));
      continue;
    }
    if (!b["real_time"]) throw BadInput("benchmark " + f.name + " has no real_time");
    const std::string unit = b["time_unit"] ? b["time_unit"].as<std::string>() : "ns";
    f.time_ns = number(b["real_time"], f.name + " real_time") * unit_to_ns(unit);
    if (b["cpu_time"]) f.cpu_ns = number(b["cpu_time"], f.name + " cpu_time") * unit_to_ns(unit);
    static const char* const kStandard[] = {"name",
                                            "family_index",
                                            "per_family_instance_index",
                                            "run_name",
                                            "run_type",
                                            "repetitions",
                                            "repetition_index",
                                            "threads",
                                            "iterations",
                                            "real_time",
                                            "cpu_time",
                                            "time_unit",
                                            "error_occurred",
                                            "error_message",
                                            "aggregate_name",
                                            "aggregate_unit",
                                            "label"};
    for (const auto& kv : b) {
      const std::string key = kv.first.as<std::string>();
      if (std::find(std::begin(kStandard), std::end(kStandard), key) != std::end(kStandard))
        continue;
      if (!kv.second.IsScalar()) continue;
      try {
        f.counters[key] = kv.second.as<double>();
      } catch (const YAML::Exception&) {
      }
    }
    if (!runs.count(f.name)) order.push_back(f.name);
    runs[f.name].push_back(f);
    repetitions.push_back(std::move(f));
  }
  Results r;
  r.repetitions = std::move(repetitions);
  for (const auto& [name, why] : unsupported)
    if (!runs.count(name)) r.unsupported.emplace_back(name, why);
  for (const auto& name : order) {
    auto& v = runs[name];
    const auto failed = std::find_if(v.begin(), v.end(), [](const Figures& f) { return f.failed; });
    if (failed != v.end()) {
      r.benchmarks.push_back(*failed);
      continue;
    }
    std::sort(v.begin(), v.end(),
              [](const Figures& a, const Figures& b) { return a.time_ns < b.time_ns; });
    r.benchmarks.push_back(v[(v.size() - 1) / 2]);
  }
  return r;
}

// Error: the budget cannot be judged and fails: a benchmark it names reported an error, or
// does not report the counter it names. Skip: a benchmark it names was not in this run.
enum class Verdict { Ok, Over, Skip, Error };

struct BudgetCheck {
  std::string name;
  Verdict verdict = Verdict::Skip;
  double value = 0, limit = 0;
  std::string detail;  // one line
};

inline std::string fmt(double v, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Budgets (bench/budgets.json), each one of:
//   {"name", "numerator", "denominator", "counter", "max_ratio"[, "aim_ratio"]}
//       counter of numerator / counter of denominator <= max_ratio
//   {"name", "benchmark", "max_ms"}                  the benchmark's time <= max_ms
//   {"name", "benchmark", "counter", "max" | "min"}  a counter within a bound
// A budget whose benchmarks were not measured in this run (filtered out) is skipped, never
// broken; one whose benchmark erred or lacks the counter is an Error, which fails the run.
inline std::vector<BudgetCheck> check_budgets(const std::string& budgets_text, const Results& res) {
  YAML::Node root;
  try {
    root = YAML::Load(budgets_text);
  } catch (const YAML::Exception& e) {
    throw BadInput(std::string("budgets: not JSON: ") + e.what());
  }
  if (!root.IsMap() || !root["budgets"] || !root["budgets"].IsSequence())
    throw BadInput("budgets: no \"budgets\" array");
  std::vector<BudgetCheck> out;
  for (const auto& b : root["budgets"]) {
    if (!b.IsMap() || !b["name"]) throw BadInput("budgets: an entry without a name");
    BudgetCheck c;
    c.name = b["name"].as<std::string>();
    // False (with the verdict set to Error and the reason in detail) when `f` erred or
    // lacks `counter` (empty: only its time is needed).
    auto usable = [&](const Figures& f, const std::string& counter) {
      if (f.failed) {
        c.detail = f.name + " reported an error: " + f.error;
      } else if (!counter.empty() && !f.counters.count(counter)) {
        c.detail = f.name + " reports no counter \"" + counter + "\"";
      } else {
        return true;
      }
      c.verdict = Verdict::Error;
      return false;
    };
    if (b["numerator"]) {
      if (!b["denominator"] || !b["counter"] || !b["max_ratio"])
        throw BadInput("budgets: " + c.name + ": a ratio needs denominator, counter and max_ratio");
      const Figures* n = res.find(b["numerator"].as<std::string>());
      const Figures* d = res.find(b["denominator"].as<std::string>());
      c.limit = number(b["max_ratio"], c.name + " max_ratio");
      const std::string counter = b["counter"].as<std::string>();
      if (!n || !d) {
        c.detail = "not measured in this run";
      } else if (usable(*n, counter) && usable(*d, counter)) {
        const double nv = n->counters.at(counter), dv = d->counters.at(counter);
        if (dv <= 0) throw BadInput(c.name + ": the denominator is " + fmt(dv));
        c.value = nv / dv;
        c.verdict = c.value <= c.limit ? Verdict::Ok : Verdict::Over;
        c.detail =
            fmt(nv, 1) + " / " + fmt(dv, 1) + " " + counter + " = " + fmt(c.value) + "x (budget " +
            fmt(c.limit) + "x" +
            (b["aim_ratio"] ? ", aim " + fmt(number(b["aim_ratio"], "aim_ratio")) + "x" : "") + ")";
      }
    } else if (b["benchmark"]) {
      const Figures* f = res.find(b["benchmark"].as<std::string>());
      if (b["max_ms"]) {
        c.limit = number(b["max_ms"], c.name + " max_ms");
        if (f && usable(*f, "")) {
          c.value = f->time_ns / 1e6;
          c.verdict = c.value <= c.limit ? Verdict::Ok : Verdict::Over;
          c.detail = fmt(c.value) + " ms (budget " + fmt(c.limit) + " ms)";
        }
      } else if (b["counter"] && (b["max"] || b["min"])) {
        const std::string counter = b["counter"].as<std::string>();
        const bool is_max = static_cast<bool>(b["max"]);
        c.limit = number(is_max ? b["max"] : b["min"], c.name + " bound");
        if (f && usable(*f, counter)) {
          c.value = f->counters.at(counter);
          c.verdict =
              (is_max ? c.value <= c.limit : c.value >= c.limit) ? Verdict::Ok : Verdict::Over;
          c.detail = fmt(c.value) + " " + counter + " (budget " + (is_max ? "<= " : ">= ") +
                     fmt(c.limit) + ")";
        }
      } else {
        throw BadInput("budgets: " + c.name + ": needs max_ms, or counter with max or min");
      }
      if (!f) c.detail = "not measured in this run";
    } else {
      throw BadInput("budgets: " + c.name + ": needs numerator/denominator or benchmark");
    }
    out.push_back(std::move(c));
  }
  return out;
}

// Error: the benchmark reported an error in this run (a failure); one that erred only in the
// base has nothing to compare with and counts as New.
enum class Change { Same, Regression, Faster, New, Missing, Error };

struct Comparison {
  std::string name;
  Change change = Change::Same;
  double ratio = 0;   // current time / base time (0 when one side is missing)
  std::string error;  // Change::Error: the benchmark's message
};

// The benchmarks of `current` that reported an error, as Change::Error entries: what a run
// without a base reports about them (compare() reports them the same way).
inline std::vector<Comparison> errors(const Results& current) {
  std::vector<Comparison> out;
  for (const auto& b : current.benchmarks)
    if (b.failed) {
      Comparison c;
      c.name = b.name;
      c.change = Change::Error;
      c.error = b.error;
      out.push_back(c);
    }
  return out;
}

// Run over run: every benchmark of `current` against the same name in `base`. A ratio above
// 1 + kRegressionThreshold is a regression, below 1 - kRegressionThreshold faster, anything
// between is noise (Same). A base time of 0 compares equal only to 0.
inline std::vector<Comparison> compare(const Results& current, const Results& base) {
  std::vector<Comparison> out;
  for (const auto& b : current.benchmarks) {
    Comparison c;
    c.name = b.name;
    const Figures* old = nullptr;
    for (const auto& o : base.benchmarks)
      if (o.name == b.name) old = &o;
    if (b.failed) {
      c.change = Change::Error;
      c.error = b.error;
    } else if (!old || old->failed) {
      c.change = Change::New;
    } else if (old->time_ns <= 0) {
      c.ratio = b.time_ns <= 0 ? 1 : INFINITY;
      c.change = b.time_ns <= 0 ? Change::Same : Change::Regression;
    } else {
      c.ratio = b.time_ns / old->time_ns;
      c.change = c.ratio > 1 + kRegressionThreshold   ? Change::Regression
                 : c.ratio < 1 - kRegressionThreshold ? Change::Faster
                                                      : Change::Same;
    }
    out.push_back(c);
  }
  for (const auto& o : base.benchmarks)
    if (std::none_of(current.benchmarks.begin(), current.benchmarks.end(),
                     [&](const Figures& f) { return f.name == o.name; })) {
      Comparison c;
      c.name = o.name;
      c.change = Change::Missing;
      out.push_back(c);
    }
  return out;
}

inline const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Ok:
      return "ok";
    case Verdict::Over:
      return "over";
    case Verdict::Skip:
      return "skip";
    case Verdict::Error:
      return "error";
  }
  return "?";
}
inline const char* change_name(Change c) {
  switch (c) {
    case Change::Same:
      return "same";
    case Change::Regression:
      return "regression";
    case Change::Faster:
      return "faster";
    case Change::New:
      return "new";
    case Change::Missing:
      return "missing";
    case Change::Error:
      return "error";
  }
  return "?";
}

// 1 when a budget is over or cannot be judged (Error), or a benchmark regressed or erred;
// else 0.
inline int exit_status(const std::vector<BudgetCheck>& budgets,
                       const std::vector<Comparison>& cmp) {
  for (const auto& b : budgets)
    if (b.verdict == Verdict::Over || b.verdict == Verdict::Error) return 1;
  for (const auto& c : cmp)
    if (c.change == Change::Regression || c.change == Change::Error) return 1;
  return 0;
}

}  // namespace dk::benchcheck

#ifndef DK_BENCH_CHECK_ONLY

#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "commands.h"
#include "dk/json.h"
#include "dk/perf/history.h"
#include "shard.h"

extern char** environ;

namespace dk::cli {
namespace {

namespace fs = std::filesystem;
using namespace dk::benchcheck;

struct BenchArgs {
  std::string filter = ".";
  std::string compare, out, binary, budgets, results;
  std::string history, commit, machine;  // --history: append every repetition's figures
  std::string shard;                     // --shard I/N (else the environment's; shard.h)
  std::string host;                      // --host: the host benchmarks' host (DK_BENCH_HOST)
  unsigned repetitions = 0;
  bool json = false;
};

[[noreturn]] void fail(const std::string& msg) {
  fprintf(stderr, "dk: bench: %s\n", msg.c_str());
  throw Exit{2};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

fs::path self_dir() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return fs::current_path();
  buf[n] = 0;
  return fs::path(buf).parent_path();
}

// dk is BUILD/cli/dk; dk_bench is BUILD/bench/dk_bench, with a copy of budgets.json beside it.
std::string find_binary(const BenchArgs& a) {
  if (!a.binary.empty()) return a.binary;
  if (const char* env = getenv("DK_BENCH_BINARY")) return env;
  return (self_dir().parent_path() / "bench" / "dk_bench").string();
}

std::string find_budgets(const BenchArgs& a) {
  if (!a.budgets.empty()) return a.budgets;
  const fs::path bin(find_binary(a));
  for (const fs::path& p : {bin.parent_path() / "budgets.json",
                            self_dir().parent_path().parent_path() / "bench" / "budgets.json"})
    if (fs::exists(p)) return p.string();
  fail("no budgets.json beside " + bin.string() + " (give --budgets FILE)");
}

// Runs dk_bench, its console output on our stdout (stderr with --json), its JSON into `out`.
void run_binary(const std::string& bin, const BenchArgs& a, const std::string& out) {
  if (access(bin.c_str(), X_OK) != 0)
    fail(bin + " is not there (build the dk_bench target, or give --binary)");
  std::vector<std::string> args = {bin, "--benchmark_filter=" + a.filter,
                                   "--benchmark_format=console", "--benchmark_out=" + out,
                                   "--benchmark_out_format=json"};
  if (a.repetitions > 1) args.push_back("--benchmark_repetitions=" + std::to_string(a.repetitions));
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  if (a.json) posix_spawn_file_actions_adddup2(&fa, 2, 1);
  pid_t pid = 0;
  const int err = posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (err != 0) fail("cannot start " + bin + ": " + strerror(err));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) fail("waitpid failed");
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail(bin + " failed (" +
         (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                            : "signal " + std::to_string(WTERMSIG(status))) +
         ")");
}

// The names dk_bench would run under `filter`, in its order (--benchmark_list_tests).
std::vector<std::string> list_benchmarks(const std::string& bin, const std::string& filter) {
  if (access(bin.c_str(), X_OK) != 0)
    fail(bin + " is not there (build the dk_bench target, or give --binary)");
  char tmpl[] = "/tmp/dk-bench-list.XXXXXX";
  const int fd = mkstemp(tmpl);
  if (fd < 0) fail("cannot make a temporary file");
  std::vector<std::string> args = {bin, "--benchmark_list_tests=true", "--benchmark_filter=" + filter};
  std::vector<char*> argv;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fd, 1);
  pid_t pid = 0;
  const int err = posix_spawn(&pid, bin.c_str(), &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fd);
  int status = 0;
  if (err == 0)
    while (waitpid(pid, &status, 0) < 0)
      if (errno != EINTR) break;
  const std::string text = read_file(tmpl);
  unlink(tmpl);
  if (err != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) fail("cannot list the benchmarks of " + bin);
  std::vector<std::string> names;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) names.push_back(line);
  return names;
}

// A filter that matches exactly these names.
std::string exact_filter(const std::vector<std::string>& names) {
  std::string re = "^(";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) re += "|";
    for (const char c : names[i]) {
      if (std::strchr("\\^$.|?*+()[]{}", c)) re += '\\';
      re += c;
    }
  }
  return re + ")$";
}

Results load_results(const std::string& path) {
  try {
    return parse_results(read_file(path));
  } catch (const BadInput& e) {
    fail(path + ": " + e.what());
  }
}

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

// Every repetition's figures, for the history: real and CPU time in ns (lower is better) and
// each counter, whose direction a budget on it gives (a `max` bound: lower is better; `min`:
// higher), else unknown. Benchmarks that reported an error give none.
std::vector<perf::FigureValue> history_figures(const Results& results, const std::string& budgets) {
  std::map<std::pair<std::string, std::string>, perf::Better> direction;
  try {
    const YAML::Node b = YAML::Load(budgets);
    const YAML::Node list = b.IsMap() && b["budgets"] ? b["budgets"] : b;
    if (list.IsSequence())
      for (const auto& e : list)
        if (e.IsMap() && e["benchmark"] && e["counter"] && (e["max"] || e["min"]))
          direction[{e["benchmark"].as<std::string>(), e["counter"].as<std::string>()}] =
              e["max"] ? perf::Better::Lower : perf::Better::Higher;
  } catch (const YAML::Exception&) {
  }
  auto better = [&](const std::string& bench, const std::string& counter) {
    for (const auto& [key, d] : direction)
      if (key.second == counter &&
          (bench == key.first || bench.rfind(key.first + "/", 0) == 0))
        return d;
    return perf::Better::Unknown;
  };
  std::vector<perf::FigureValue> out;
  for (const Figures& f : results.repetitions) {
    out.push_back({f.name, "real_time_ns", f.time_ns, false, perf::Better::Lower});
    if (f.cpu_ns >= 0) out.push_back({f.name, "cpu_time_ns", f.cpu_ns, false, perf::Better::Lower});
    for (const auto& [key, v] : f.counters)
      if (std::isfinite(v)) out.push_back({f.name, key, v, false, better(f.name, key)});
  }
  return out;
}

void bench(const BenchArgs& a) {
  // A bad history file is bad input before anything runs, not a lost run.
  std::unique_ptr<perf::History> history;
  if (!a.history.empty()) {
    try {
      history = std::make_unique<perf::History>(a.history);
    } catch (const perf::HistoryError& e) {
      fail(std::string("--history ") + e.what());
    }
  }
  Shard shard;
  if (const std::string why = parse_shard(a.shard, shard); !why.empty()) fail(why);
  if (!a.shard.empty() && !a.results.empty())
    fail("--shard picks benchmarks to run; --results checks a file of results already run");
  if (!a.host.empty()) {
    if (!a.results.empty()) fail("--host picks the host the benchmarks run on; --results checks a file already run");
    if (a.host != "sim" && a.host != "native") {
      const std::string path = a.host.rfind("plugin:", 0) == 0 ? a.host.substr(7, a.host.find(',') - 7) : "";
      if (path.empty()) fail("--host " + a.host + ": give sim, native or plugin:PATH.so[,CONFIG]");
      if (access(path.c_str(), R_OK) != 0) fail("--host " + a.host + ": " + path + ": no such file");
    }
    setenv("DK_BENCH_HOST", a.host.c_str(), 1);  // read by bench/host_bench.cc in dk_bench
  }
  std::string results_path = a.results;
  if (results_path.empty()) {
    results_path = a.out;
    if (results_path.empty()) {
      char tmpl[] = "/tmp/dk-bench.XXXXXX.json";
      const int fd = mkstemps(tmpl, 5);
      if (fd < 0) fail("cannot make a temporary file");
      close(fd);
      results_path = tmpl;
    }
    BenchArgs run = a;
    if (!shard.whole()) {
      // This machine's part: every N-th benchmark the filter selects.
      const std::vector<std::string> all = list_benchmarks(find_binary(a), a.filter);
      std::vector<std::string> mine = all;
      shard.keep_mine(mine);
      fprintf(a.json ? stderr : stdout, "bench: shard %s: %zu of %zu benchmarks\n", shard.str().c_str(),
              mine.size(), all.size());
      run.filter = exact_filter(mine);
      if (mine.empty()) {
        // No benchmark of its own (more shards than benchmarks): empty results, every
        // budget skipped.
        std::ofstream out(results_path, std::ios::binary | std::ios::trunc);
        out << "{\"context\": {}, \"benchmarks\": []}\n";
        if (!out) fail("cannot write " + results_path);
      }
    }
    if (run.filter != "^()$") run_binary(find_binary(a), run, results_path);
  }
  const Results current = load_results(results_path);
  const std::string budgets_path = find_budgets(a);
  const std::string budgets_text = read_file(budgets_path);
  if (history) {
    perf::RunRecord run;
    run.commit = a.commit.empty() ? perf::current_commit() : a.commit;
    run.machine = a.machine.empty() ? perf::machine_name() : a.machine;
    run.source = "bench";
    run.label = a.filter;
    try {
      run.figures = history_figures(current, budgets_text);
      if (!a.host.empty()) {
        // One benchmark per host: a plug-in's figures never mix with the built-in hosts'.
        run.label += " host=" + a.host;
        for (auto& f : run.figures) f.benchmark += " host=" + a.host;
      }
      const int64_t id = history->append(std::move(run));
      fprintf(a.json ? stderr : stdout, "bench: run %lld appended to %s\n", static_cast<long long>(id),
              a.history.c_str());
    } catch (const perf::HistoryError& e) {
      fail(std::string("--history ") + e.what());
    }
  }
  std::vector<BudgetCheck> budgets;
  try {
    budgets = check_budgets(budgets_text, current);
  } catch (const BadInput& e) {
    fail(budgets_path + ": " + e.what());
  }
  const std::vector<Comparison> cmp =
      a.compare.empty() ? errors(current) : compare(current, load_results(a.compare));
  const int status = exit_status(budgets, cmp);

  if (a.json) {
    JsonWriter j;
    j.begin_object().field("results", results_path).field("budgets_file", budgets_path);
    if (!a.compare.empty()) j.field("base", a.compare);
    j.key("budgets").begin_array();
    for (const auto& b : budgets) {
      j.begin_object().field("name", b.name).field("verdict", verdict_name(b.verdict));
      j.field("detail", b.detail).key("value").raw(num(b.value)).key("limit").raw(num(b.limit));
      j.end_object();
    }
    j.end_array().key("comparisons").begin_array();
    for (const auto& c : cmp) {
      j.begin_object().field("name", c.name).field("change", change_name(c.change));
      j.key("ratio").raw(num(c.ratio));
      if (c.change == Change::Error) j.field("error", c.error);
      j.end_object();
    }
    j.end_array().key("unsupported").begin_array();
    for (const auto& [name, why] : current.unsupported)
      j.begin_object().field("name", name).field("error", why).end_object();
    j.end_array().key("regression_threshold").raw(num(kRegressionThreshold));
    j.field("ok", status == 0).end_object();
    printf("%s\n", j.str().c_str());
  } else {
    printf("bench: results in %s\n", results_path.c_str());
    for (const auto& b : budgets)
      printf("%-5s %s: %s\n",
             b.verdict == Verdict::Ok     ? "OK"
             : b.verdict == Verdict::Over ? "OVER"
             : b.verdict == Verdict::Skip ? "SKIP"
                                          : "ERROR",
             b.name.c_str(), b.detail.c_str());
    for (const auto& c : cmp) {
      if (c.change == Change::Error)
        printf("%-10s %s: reported an error: %s\n", change_name(c.change), c.name.c_str(),
               c.error.c_str());
      else if (c.change == Change::New || c.change == Change::Missing)
        printf("%-10s %s: %s\n", change_name(c.change), c.name.c_str(),
               c.change == Change::New ? "not in the base run" : "in the base run only");
      else
        printf("%-10s %s: %sx of base\n", change_name(c.change), c.name.c_str(),
               fmt(c.ratio).c_str());
    }
    for (const auto& [name, why] : current.unsupported) printf("%-10s %s: %s\n", "unsupported", name.c_str(), why.c_str());
    printf("bench: %s\n", status == 0 ? "every budget holds, no regression" : "FAILED");
  }
  throw Exit{status};
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto a = std::make_shared<BenchArgs>();
  auto* cmd = app.add_subcommand(
      "bench",
      "run the benchmarks (dk_bench), check bench/budgets.json, compare with a base run. "
      "Exit 1 on a broken budget, a benchmark that reported an error, or a regression (more "
      "than 10% slower than the base)");
  cmd->add_option("--filter", a->filter, "only benchmarks matching this regex (default: all)");
  cmd->add_option("--compare", a->compare,
                  "a base run's JSON results: per-benchmark verdicts against it");
  cmd->add_option("--out", a->out, "write this run's JSON results here (default: a file in /tmp)");
  cmd->add_option("--repetitions", a->repetitions, "run each benchmark N times; the median counts")
      ->check(CLI::Range(1u, 100u));
  cmd->add_flag("--json", a->json,
                "print the verdicts as one JSON object (dk_bench's table goes to stderr)");
  cmd->add_option(
      "--binary", a->binary,
      "the dk_bench binary (default: BUILD/bench/dk_bench beside dk, or $DK_BENCH_BINARY)");
  cmd->add_option("--budgets", a->budgets,
                  "the budgets file (default: budgets.json beside dk_bench)");
  cmd->add_option("--results", a->results, "check these JSON results instead of running dk_bench");
  cmd->add_option("--history", a->history,
                  "append every repetition's figures to this history file (SQLite; see dk perf)");
  cmd->add_option("--host", a->host,
                  "the host the host benchmarks (BM_HostTrack: null downcall, 4 KiB file read, pipe "
                  "throughput, event ping-pong, create+exit) run on: sim, native or "
                  "plugin:PATH.so[,CONFIG]; the filter defaults to those benchmarks");
  cmd->add_option("--shard", a->shard,
                  "run only shard I of N (I/N, I from 0): every N-th benchmark the filter selects "
                  "(default: from GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS or JOB_COMPLETION_INDEX/"
                  "DK_TOTAL_SHARDS)");
  cmd->add_option("--commit", a->commit,
                  "record them under this commit (default: $DK_COMMIT, else the git HEAD here)");
  cmd->add_option("--machine", a->machine, "record them under this machine name (default: the host name)");
  cmd->callback([a, cmd] {
    if (!a->host.empty() && cmd->count("--filter") == 0) a->filter = "BM_HostTrack";
    bench(*a);
  });
}

}  // namespace dk::cli

#endif  // DK_BENCH_CHECK_ONLY
