// dk report merge: joins the JSON reports of the shards of one `dk conform` or `dk escape`
// run (--shard I/N, docs/scale-out.md) into the reports the whole run would have written:
// the same cases in the same order, the same JSON, JUnit and TAP. Cases are put back in
// suite (or corpus) order by their ids; a report of another kind, a case the suite does not
// have, or one that two shards both ran is bad input. Exit status: 0 when every merged case
// passed (every attempt contained), 1 otherwise, 2 on bad input.
#include <yaml-cpp/yaml.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "dk/conformance/case_spec.h"
#include "dk/conformance/report.h"
#include "dk/conformance/runner.h"
#include "dk/escape/corpus.h"
#include "dk/escape/report.h"
#include "dk/escape/runner.h"

namespace dk::cli {
namespace {

struct MergeArgs {
  std::vector<std::string> inputs;
  std::string json, junit, tap, suite;
};

[[noreturn]] void fail(const std::string& msg) {
  fflush(stdout);
  fprintf(stderr, "dk: report: %s\n", msg.c_str());
  throw Exit{2};
}

void write_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) fail("cannot write " + path);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) fail("cannot write " + path);
}

std::string text_of(const YAML::Node& n, const std::string& file, const std::string& what) {
  if (!n || !n.IsScalar()) fail(file + ": " + what + " is missing or not a string");
  return n.as<std::string>();
}

double seconds_of(const YAML::Node& n, const std::string& file) {
  try {
    return n && n.IsScalar() ? n.as<double>() : 0;
  } catch (const YAML::Exception&) {
    fail(file + ": a \"seconds\" that is not a number");
  }
}

conformance::Verdict conform_verdict(const std::string& name, const std::string& file) {
  using conformance::Verdict;
  for (Verdict v : {Verdict::Pass, Verdict::Fail, Verdict::Broken, Verdict::NotApplicable})
    if (conformance::verdict_name(v) == name) return v;
  fail(file + ": unknown verdict \"" + name + "\"");
}

escape::Verdict escape_verdict(const std::string& name, const std::string& file) {
  using escape::Verdict;
  for (Verdict v : {Verdict::Contained, Verdict::Deviation, Verdict::Escaped, Verdict::HostFailure})
    if (escape::verdict_name(v) == name) return v;
  fail(file + ": unknown verdict \"" + name + "\"");
}

void merge_conform(const MergeArgs& a, const std::vector<std::pair<std::string, YAML::Node>>& docs) {
  using namespace dk::conformance;
  std::vector<CaseSpec> suite;
  try {
    suite = load_suite(a.suite.empty() ? default_suite_dir() : a.suite);
  } catch (const SuiteError& e) {
    fail(e.what());
  }
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < suite.size(); ++i) index[suite[i].id] = i;
  std::vector<std::string> hosts;
  std::map<std::pair<std::string, std::string>, std::string> seen_in;  // (host, id) -> file
  std::vector<CaseResult> results;
  for (const auto& [file, doc] : docs) {
    for (const auto& h : doc["hosts"]) {
      const std::string name = text_of(h, file, "a host");
      if (std::find(hosts.begin(), hosts.end(), name) == hosts.end()) hosts.push_back(name);
    }
    for (const auto& c : doc["cases"]) {
      if (!c.IsMap()) fail(file + ": a case that is not an object");
      CaseResult r;
      const std::string id = text_of(c["id"], file, "a case's id");
      const auto it = index.find(id);
      if (it == index.end()) fail(file + ": case " + id + " is not in the suite");
      r.spec = &suite[it->second];
      r.host = text_of(c["host"], file, "case " + id + "'s host");
      if (std::find(hosts.begin(), hosts.end(), r.host) == hosts.end())
        fail(file + ": case " + id + " ran on host " + r.host + ", which the report does not list");
      r.verdict = conform_verdict(text_of(c["verdict"], file, "case " + id + "'s verdict"), file);
      r.reason = c["reason"] ? text_of(c["reason"], file, "case " + id + "'s reason") : "";
      r.output = c["output"] ? text_of(c["output"], file, "case " + id + "'s output") : "";
      r.seconds = seconds_of(c["seconds"], file);
      const auto [prev, fresh] = seen_in.emplace(std::pair{r.host, id}, file);
      if (!fresh) fail("case " + id + " on host " + r.host + " is in both " + prev->second + " and " + file);
      results.push_back(std::move(r));
    }
  }
  // As the whole run orders them: host by host, each in suite order.
  auto host_rank = [&](const std::string& h) { return std::find(hosts.begin(), hosts.end(), h) - hosts.begin(); };
  std::stable_sort(results.begin(), results.end(), [&](const CaseResult& x, const CaseResult& y) {
    if (x.host != y.host) return host_rank(x.host) < host_rank(y.host);
    return index[x.spec->id] < index[y.spec->id];
  });
  const bool any = !a.json.empty() || !a.junit.empty() || !a.tap.empty();
  if (!a.json.empty()) write_file(a.json, json_report(results));
  if (!a.junit.empty()) write_file(a.junit, junit_report(results));
  if (!a.tap.empty()) write_file(a.tap, tap_report(results));
  const Summary s = summarize(results);
  if (!any) fputs(json_report(results).c_str(), stdout);
  fprintf(any ? stdout : stderr,
          "dk report merge: %zu reports, %zu cases: %zu pass, %zu fail, %zu broken, %zu n/a\n",
          docs.size(), s.total(), s.pass, s.fail, s.broken, s.not_applicable);
  exit_status() = s.fail + s.broken == 0 ? 0 : 1;
}

void merge_escape(const MergeArgs& a, const std::vector<std::pair<std::string, YAML::Node>>& docs) {
  using namespace dk::escape;
  if (!a.tap.empty()) fail("--tap: escape reports have no TAP form (use --json or --junit)");
  static const std::vector<Attempt> corpus_all = corpus();
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < corpus_all.size(); ++i) index[corpus_all[i].id] = i;
  std::string host, runtime;
  std::map<std::string, std::string> seen_in;
  std::vector<AttemptResult> results;
  for (const auto& [file, doc] : docs) {
    const std::string h = text_of(doc["host"], file, "\"host\""), rt = text_of(doc["runtime"], file, "\"runtime\"");
    if (host.empty()) {
      host = h;
      runtime = rt;
    } else if (h != host || rt != runtime) {
      fail(file + ": host " + h + ", runtime " + rt + "; the first report's are " + host + ", " + runtime);
    }
    for (const auto& x : doc["results"]) {
      if (!x.IsMap()) fail(file + ": a result that is not an object");
      const std::string id = text_of(x["id"], file, "an attempt's id");
      const auto it = index.find(id);
      if (it == index.end()) fail(file + ": attempt " + id + " is not in the corpus");
      AttemptResult r;
      r.attempt = &corpus_all[it->second];
      r.verdict = escape_verdict(text_of(x["verdict"], file, "attempt " + id + "'s verdict"), file);
      r.outcome = x["outcome"] ? text_of(x["outcome"], file, "attempt " + id + "'s outcome") : "";
      r.reason = x["reason"] ? text_of(x["reason"], file, "attempt " + id + "'s reason") : "";
      r.seconds = seconds_of(x["seconds"], file);
      const auto [prev, fresh] = seen_in.emplace(id, file);
      if (!fresh) fail("attempt " + id + " is in both " + prev->second + " and " + file);
      results.push_back(std::move(r));
    }
  }
  std::sort(results.begin(), results.end(), [&](const AttemptResult& x, const AttemptResult& y) {
    return index[x.attempt->id] < index[y.attempt->id];
  });
  const bool any = !a.json.empty() || !a.junit.empty();
  if (!a.json.empty()) write_file(a.json, json_report(results, host, runtime));
  if (!a.junit.empty()) write_file(a.junit, junit_report(results, host, runtime));
  if (!any) fputs(json_report(results, host, runtime).c_str(), stdout);
  const Totals t = totals(results);
  fprintf(any ? stdout : stderr,
          "dk report merge: %zu reports, %zu attempts: %zu contained, %zu deviations, %zu escapes, %zu host failures\n",
          docs.size(), t.attempts, t.contained, t.deviations, t.escapes, t.host_failures);
  exit_status() = t.clean() ? 0 : 1;
}

void merge(const MergeArgs& a) {
  std::vector<std::pair<std::string, YAML::Node>> docs;
  std::string kind;
  for (const std::string& file : a.inputs) {
    std::ifstream in(file, std::ios::binary);
    if (!in) fail(file + ": cannot be read");
    std::stringstream ss;
    ss << in.rdbuf();
    YAML::Node doc;
    try {
      doc = YAML::Load(ss.str());  // JSON is YAML
    } catch (const YAML::Exception& e) {
      fail(file + ": not JSON: " + e.what());
    }
    std::string k;
    if (doc.IsMap() && doc["cases"] && doc["cases"].IsSequence() && doc["hosts"] && doc["hosts"].IsSequence())
      k = "conform";
    else if (doc.IsMap() && doc["results"] && doc["results"].IsSequence() && doc["host"])
      k = "escape";
    else
      fail(file + ": not a JSON report of dk conform (--json-file) or dk escape (--json)");
    if (!kind.empty() && k != kind) fail(file + ": a " + k + " report among " + kind + " reports");
    kind = k;
    docs.emplace_back(file, std::move(doc));
  }
  try {
    if (kind == "conform")
      merge_conform(a, docs);
    else
      merge_escape(a, docs);
  } catch (const YAML::Exception& e) {
    fail(std::string("a report does not have the expected shape: ") + e.what());
  }
}

}  // namespace

void add_report_command(CLI::App& app) {
  auto a = std::make_shared<MergeArgs>();
  CLI::App* report = app.add_subcommand("report", "Work with the reports of dk conform and dk escape");
  report->require_subcommand(1);
  CLI::App* m = report->add_subcommand(
      "merge",
      "Join the JSON reports of a sharded dk conform or dk escape run (--shard I/N) into the "
      "reports of the whole run; exit 1 when a merged case failed (an attempt was not contained)");
  m->add_option("REPORT", a->inputs, "The shards' JSON reports (dk conform --json-file, dk escape --json)")
      ->required();
  m->add_option("--json", a->json, "Write the merged JSON report to FILE (default: stdout)");
  m->add_option("--junit", a->junit, "Write the merged JUnit XML report to FILE");
  m->add_option("--tap", a->tap, "Write the merged TAP report to FILE (conformance only)");
  m->add_option("--suite", a->suite, "The conformance suite's folder (default: the build's)");
  m->callback([a] { merge(*a); });
}

}  // namespace dk::cli
