// dk perf: reading the performance history that `dk profile --history` and `dk bench
// --history` append to (docs/profile.md, "History and verdicts"):
//   dk perf log [--json] FILE             the runs it holds
//   dk perf compare [options] FILE BASE HEAD
//                                         a verdict per figure; exit 1 on a regression
//   dk perf plot --figure F [options] FILE
//                                         the figure's history drawn (SVG or HTML)
// Exit status 2 for bad input: a missing or foreign file, a commit that names no run or
// several.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <algorithm>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>

#include "commands.h"
#include "dk/json.h"
#include "dk/perf/compare.h"
#include "dk/perf/history.h"
#include "dk/perf/plot.h"
#include "options.h"

namespace dk::cli {
namespace {

struct PerfArgs {
  std::string file, base, head, machine, filter;
  std::string figure, benchmark = ".", out;
  bool json = false;
  bool all = false;
  double alpha = 0.05;
  double min_change = 1.0;  // percent
};

[[noreturn]] void fail(const std::string& msg) {
  fflush(stdout);
  fprintf(stderr, "dk: perf: %s\n", msg.c_str());
  throw Exit{2};
}

// An existing history: reading never creates one.
std::unique_ptr<perf::History> open_existing(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) fail(path + ": no such history file");
  try {
    return std::make_unique<perf::History>(path);
  } catch (const perf::HistoryError& e) {
    fail(e.what());
  }
}

std::string num(double v) {
  if (!std::isfinite(v)) return "-";
  char buf[64];
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    snprintf(buf, sizeof buf, "%.0f", v);
  else
    snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

void log_runs(const PerfArgs& a) {
  const auto h = open_existing(a.file);
  std::vector<perf::RunRecord> runs;
  try {
    runs = h->runs();
  } catch (const perf::HistoryError& e) {
    fail(e.what());
  }
  if (a.json) {
    JsonWriter o;
    o.begin_array(JsonWriter::Layout::Lines);
    for (const auto& r : runs) {
      o.begin_object().field("id", static_cast<uint64_t>(r.id)).field("commit", r.commit);
      o.field("machine", r.machine).field("date", r.date).field("source", r.source);
      o.field("label", r.label).end_object();
    }
    o.end_array();
    printf("%s\n", o.str().c_str());
    return;
  }
  printf("%6s  %-12s  %-20s  %-8s  %-16s  %s\n", "run", "commit", "date", "source", "machine", "label");
  for (const auto& r : runs)
    printf("%6lld  %-12.12s  %-20s  %-8s  %-16.16s  %s\n", static_cast<long long>(r.id),
           r.commit.c_str(), r.date.c_str(), r.source.c_str(), r.machine.c_str(), r.label.c_str());
}

void compare_commits(const PerfArgs& a) {
  const auto h = open_existing(a.file);
  std::vector<perf::FigureVerdict> verdicts;
  std::string base, head;
  try {
    base = h->resolve(a.base);
    head = h->resolve(a.head);
    perf::CompareOptions opts;
    opts.alpha = a.alpha;
    opts.min_change = a.min_change / 100;
    verdicts = perf::compare(h->figures_of(base, a.machine), h->figures_of(head, a.machine), opts);
  } catch (const perf::HistoryError& e) {
    fail(e.what());
  }
  if (!a.filter.empty()) {
    std::regex re;
    try {
      re = std::regex(a.filter);
    } catch (const std::regex_error&) {
      fail("--filter: not a regular expression: " + a.filter);
    }
    std::erase_if(verdicts, [&](const perf::FigureVerdict& v) {
      return !std::regex_search(v.benchmark + " " + v.figure, re);
    });
  }
  int regressions = 0, changes = 0;
  for (const auto& v : verdicts) {
    regressions += v.verdict == perf::Verdict::Regression;
    changes += v.verdict != perf::Verdict::Same;
  }
  if (a.json) {
    JsonWriter o;
    o.begin_object().field("base", base).field("head", head).field("machine", a.machine);
    o.field("regressions", static_cast<uint64_t>(regressions));
    o.key("figures").begin_array();
    for (const auto& v : verdicts) {
      o.begin_object().field("verdict", perf::verdict_name(v.verdict));
      o.field("benchmark", v.benchmark).field("figure", v.figure).field("exact", v.exact);
      o.field("base_n", static_cast<uint64_t>(v.base_n)).field("head_n", static_cast<uint64_t>(v.head_n));
      // null where a side has no value (new, gone) or a number is not finite.
      auto json_num = [](bool have, double x) { return have && std::isfinite(x) ? num(x) : std::string("null"); };
      o.key("base").raw(json_num(v.base_n > 0, v.base));
      o.key("head").raw(json_num(v.head_n > 0, v.head));
      o.key("change").raw(json_num(v.base_n > 0 && v.head_n > 0, v.change));
      o.key("p").raw(json_num(true, v.p)).end_object();
    }
    o.end_array().end_object();
    printf("%s\n", o.str().c_str());
  } else {
    printf("dk perf compare: %s -> %s%s\n", base.c_str(), head.c_str(),
           a.machine.empty() ? "" : (" on " + a.machine).c_str());
    // A benchmark only one side has is one line, not one per figure.
    std::map<std::string, std::pair<size_t, size_t>> whole;  // benchmark -> (figures, new or gone)
    for (const auto& v : verdicts) {
      auto& [n, lone] = whole[v.benchmark];
      ++n;
      lone += v.verdict == perf::Verdict::New || v.verdict == perf::Verdict::Gone;
    }
    struct Row {
      std::string verdict, benchmark, figure, base, head, change, p;
    };
    std::vector<Row> rows;
    std::set<std::string> collapsed;
    for (const auto& v : verdicts) {
      const auto& [n, lone] = whole[v.benchmark];
      if (n == lone) {
        if (collapsed.insert(v.benchmark).second)
          rows.push_back({perf::verdict_name(v.verdict), v.benchmark,
                          "(" + std::to_string(n) + " figures)", "", "", "", ""});
        continue;
      }
      if (!a.all && v.verdict == perf::Verdict::Same) continue;
      char change[32] = "-", p[32] = "exact";
      if (v.base_n && v.head_n) snprintf(change, sizeof change, "%+.2f%%", 100 * v.change);
      if (!v.exact) snprintf(p, sizeof p, "%.4f", v.p);
      rows.push_back({perf::verdict_name(v.verdict), v.benchmark, v.figure,
                      v.base_n ? num(v.base) : "-", v.head_n ? num(v.head) : "-", change, p});
    }
    size_t wb = 9, wf = 6;
    for (const Row& r : rows) {
      wb = std::max(wb, r.benchmark.size());
      wf = std::max(wf, r.figure.size());
    }
    const int ib = static_cast<int>(std::min<size_t>(wb, 60)), jf = static_cast<int>(std::min<size_t>(wf, 60));
    printf("%-11s %-*s %-*s %14s %14s %9s %8s\n", "verdict", ib, "benchmark", jf, "figure", "base",
           "head", "change", "p");
    for (const Row& r : rows)
      printf("%-11s %-*s %-*s %14s %14s %9s %8s\n", r.verdict.c_str(), ib, r.benchmark.c_str(), jf,
             r.figure.c_str(), r.base.c_str(), r.head.c_str(), r.change.c_str(), r.p.c_str());
    printf("dk perf compare: %zu figures, %d not the same, %d regressions%s\n", verdicts.size(),
           changes, regressions, a.all ? "" : " (--all lists the same ones too)");
  }
  exit_status() = regressions ? 1 : 0;
}

// The figure's values per commit, per benchmark matching, in history order, each commit
// judged against the one before it on its series as `dk perf compare` would.
void plot(const PerfArgs& a) {
  const auto h = open_existing(a.file);
  std::regex re;
  try {
    re = std::regex(a.benchmark);
  } catch (const std::regex_error&) {
    fail("--benchmark: not a regular expression: " + a.benchmark);
  }
  perf::PlotSpec spec;
  spec.title = a.figure + (a.machine.empty() ? "" : " on " + a.machine);
  spec.y_label = a.figure;
  std::map<std::string, size_t> series_of;
  std::map<std::string, std::vector<perf::FigureValue>> raw;  // series|commit -> values as stored
  try {
    for (const perf::RunRecord& run : h->runs()) {
      if (!a.machine.empty() && run.machine != a.machine) continue;
      for (const perf::FigureValue& v : h->figures_of_run(run.id)) {
        if (v.figure != a.figure || !std::regex_search(v.benchmark, re)) continue;
        auto [it, fresh] = series_of.emplace(v.benchmark, spec.series.size());
        if (fresh) spec.series.push_back({v.benchmark, {}});
        perf::PlotSeries& s = spec.series[it->second];
        if (s.points.empty() || s.points.back().commit != run.commit) {
          const bool seen = std::any_of(s.points.begin(), s.points.end(),
                                        [&](const perf::PlotPoint& p) { return p.commit == run.commit; });
          if (!seen) s.points.push_back({run.commit, run.date, {}, perf::Verdict::Same});
        }
        for (perf::PlotPoint& p : s.points)
          if (p.commit == run.commit) p.values.push_back(v.value);
        raw[v.benchmark + "\n" + run.commit].push_back(v);
      }
    }
  } catch (const perf::HistoryError& e) {
    fail(e.what());
  }
  if (spec.series.empty())
    fail(a.file + ": no figure " + a.figure + " of a benchmark matching " + a.benchmark +
         (a.machine.empty() ? "" : " on " + a.machine));
  for (perf::PlotSeries& s : spec.series)
    for (size_t i = 1; i < s.points.size(); ++i) {
      const auto v = perf::compare(raw[s.name + "\n" + s.points[i - 1].commit], raw[s.name + "\n" + s.points[i].commit]);
      if (v.size() == 1) s.points[i].verdict = v[0].verdict;
    }
  const bool html = a.out.size() > 5 && a.out.compare(a.out.size() - 5, 5, ".html") == 0;
  const std::string doc = html ? perf::plot_html(spec) : perf::plot_svg(spec);
  if (a.out.empty()) {
    fwrite(doc.data(), 1, doc.size(), stdout);
    return;
  }
  // Written beside, then renamed: a failed write leaves the old picture.
  const std::string tmp = a.out + ".tmp";
  FILE* f = fopen(tmp.c_str(), "wb");
  if (!f) fail("-o: cannot write " + a.out);
  const bool ok = fwrite(doc.data(), 1, doc.size(), f) == doc.size();
  if (fclose(f) != 0 || !ok || std::rename(tmp.c_str(), a.out.c_str()) != 0) {
    std::remove(tmp.c_str());
    fail("-o: cannot write " + a.out);
  }
  size_t points = 0;
  for (const auto& s : spec.series) points += s.points.size();
  fprintf(stderr, "dk perf plot: %zu series, %zu commits drawn in %s\n", spec.series.size(), points, a.out.c_str());
}

}  // namespace

void add_perf_command(CLI::App& app) {
  auto a = std::make_shared<PerfArgs>();
  CLI::App* perf = app.add_subcommand("perf", "Read the performance history: runs, verdicts");
  perf->require_subcommand(1);

  CLI::App* log = perf->add_subcommand("log", "List the runs of a history file");
  log->add_option("FILE", a->file, "History file (dk profile/bench --history)")->required();
  log->add_flag("--json", a->json, "One JSON array, a run per line");
  log->callback([a] { log_runs(*a); });

  CLI::App* cmp = perf->add_subcommand(
      "compare",
      "A verdict per figure between two commits of a history: exact counters compared exactly, "
      "measured figures with a Mann-Whitney U test over their repetitions; exit 1 on a regression");
  cmp->add_option("FILE", a->file, "History file")->required();
  cmp->add_option("BASE", a->base, "The base commit (a prefix naming one commit of the history)")->required();
  cmp->add_option("HEAD", a->head, "The commit judged against it")->required();
  cmp->add_option("--machine", a->machine, "Only runs measured on this machine");
  cmp->add_option("--filter", a->filter, "Only figures whose 'benchmark figure' matches this regex");
  cmp->add_option("--alpha", a->alpha, "Significance level of the U test (default 0.05)")
      ->check(CLI::Range(1e-9, 0.5));
  cmp->add_option("--min-change", a->min_change,
                  "A significant change smaller than this many percent is the same (default 1)")
      ->check(CLI::Range(0.0, 1000.0));
  cmp->add_flag("--all", a->all, "List the figures that are the same too");
  cmp->add_flag("--json", a->json, "One JSON object with every figure's verdict");
  cmp->callback([a] { compare_commits(*a); });

  CLI::App* pl = perf->add_subcommand(
      "plot",
      "Draw a figure's history (SVG, or an HTML page with the SVG inline): a dot per value, a "
      "line through each commit's median, regressions and improvements ringed");
  pl->add_option("FILE", a->file, "History file")->required();
  pl->add_option("--figure", a->figure, "The figure to draw (instructions, real_time_ns, ...)")->required();
  pl->add_option("--benchmark", a->benchmark, "Benchmarks whose name matches this regex, a line each (default: all)");
  pl->add_option("--machine", a->machine, "Only runs measured on this machine");
  pl->add_option("-o,--out", a->out, "Write to FILE (.svg, or .html for a page); default: SVG on stdout");
  pl->callback([a] { plot(*a); });
}

}  // namespace dk::cli
