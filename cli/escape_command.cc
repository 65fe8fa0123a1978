// dk escape: runs the escape corpus (docs/escape.md) against a host, each attempt in its own
// process beside a sibling picoprocess, and reports a verdict per attempt decided by the
// observer. Exit status: 0 when every attempt was contained, 1 on any escape, host failure
// or deviation, 2 on bad input.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>

#include "commands.h"
#include "dk/conformance/case_spec.h"
#include "dk/escape/corpus.h"
#include "dk/escape/report.h"
#include "dk/escape/runner.h"
#include "options.h"
#include "shard.h"

namespace dk::cli {
namespace {

struct EscapeArgs {
  std::string host = "sim";
  std::string runtime = "emu";
  std::vector<std::string> filters;
  unsigned jobs = 0;
  double timeout = 20;
  std::string images, junit;
  bool json = false, list = false, no_progress = false;
  std::string shard;  // --shard I/N (else the environment's; shard.h)
};

[[noreturn]] void fail(const std::string& msg) {
  fprintf(stderr, "dk: escape: %s\n", msg.c_str());
  throw Exit{2};
}

void progress(size_t done, size_t total, size_t bad, const std::string& id) {
  fprintf(stderr, "\r\033[Kescape %zu/%zu  %zu not contained  %s", done, total, bad,
          id.substr(0, 40).c_str());
  if (done == total) fprintf(stderr, "\r\033[K");
  fflush(stderr);
}

void escape(const EscapeArgs& a) {
  using namespace dk::escape;
  static const std::vector<Attempt> all = corpus();
  std::vector<Attempt> chosen;
  for (const auto& at : all) {
    bool keep = a.filters.empty();
    for (const auto& f : a.filters)
      keep = keep || dk::conformance::glob_match(f, at.id) ||
             dk::conformance::glob_match(f, at.family);
    if (keep) chosen.push_back(at);
  }
  if (chosen.empty()) fail("no attempt matches the filter");
  Shard shard;
  if (const std::string why = parse_shard(a.shard, shard); !why.empty()) fail(why);
  if (!shard.whole()) {
    // This machine's part: every N-th attempt of the filtered corpus (dk report merge).
    shard.keep_mine(chosen);
    fprintf(stderr, "dk: escape: shard %s: %zu attempts\n", shard.str().c_str(), chosen.size());
  }
  if (a.list) {
    for (const auto& at : chosen)
      printf("%s\t%s\t%s\n", at.id.c_str(), at.expect.describe().c_str(), at.what.c_str());
    throw Exit{0};
  }
  RunnerOptions o;
  o.host = a.host;
  o.runtime = a.runtime;
  const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  o.jobs = a.jobs ? a.jobs : static_cast<unsigned>(cpus > 0 ? cpus : 1);
  o.timeout_s = a.timeout;
  o.images_dir = a.images;
  if (std::string problem = check_options(o); !problem.empty()) fail(problem);
  size_t bad = 0;
  if (isatty(2) && !a.no_progress) {
    o.on_result = [&](size_t done, size_t total, const AttemptResult& r) {
      if (r.verdict != Verdict::Contained) ++bad;
      progress(done, total, bad, r.attempt->id);
    };
  }
  std::vector<AttemptResult> results;
  try {
    results = run_attempts(chosen, o);
  } catch (const std::exception& e) {
    fail(e.what());
  }
  if (!a.junit.empty()) {
    std::ofstream out(a.junit, std::ios::binary);
    out << junit_report(results, a.host, a.runtime);
    if (!out) fail("cannot write " + a.junit);
  }
  fputs(a.json ? json_report(results, a.host, a.runtime).c_str()
               : table_report(results, a.host, isatty(1), a.runtime).c_str(),
        stdout);
  fflush(stdout);
  const Totals t = totals(results);
  throw Exit{t.clean() ? 0 : 1};
}

}  // namespace

void add_escape_command(CLI::App& app) {
  auto a = std::make_shared<EscapeArgs>();
  CLI::App* cmd = app.add_subcommand(
      "escape", "Run the escape corpus against a host; a verdict per attempt (docs/escape.md)");
  CLI::Option* host = cmd->add_option("--host", a->host,
                                      "Host under test: sim or native (native with --runtime "
                                      "native)");
  host->default_val("sim")->check(CLI::IsMember({"sim", "native"}));
  cmd->add_option("--runtime", a->runtime,
                  "Runtime the attempts run on: emu (the emulator) or native (on the CPU under "
                  "the seccomp supervisor; needs --host native)")
      ->default_val("emu")
      ->check(CLI::IsMember({"emu", "native"}));
  one_value_per_use(cmd->add_option(
      "--filter", a->filters, "Run only attempts whose id or family matches GLOB (repeatable)"));
  cmd->add_option("--jobs,-j", a->jobs, "Attempts run at once, 1 to 1024 (default: the CPU count)")
      ->check(count_in(1, 1024));
  cmd->add_option("--timeout", a->timeout, "Wall-clock limit per attempt, seconds (at most a day)")
      ->default_val(20)
      ->check(seconds_up_to(86400));
  cmd->add_option("--images", a->images, "Folder of attempt images (default: the build's)");
  cmd->add_option("--junit", a->junit, "Write a JUnit XML report to FILE");
  cmd->add_option("--shard", a->shard,
                  "Run only shard I of N (I/N, I from 0): every N-th attempt of the filtered corpus "
                  "(default: from GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS or JOB_COMPLETION_INDEX/"
                  "DK_TOTAL_SHARDS); dk report merge joins the shards' reports");
  cmd->add_flag("--json", a->json, "Print JSON (totals and every attempt) instead of the table");
  cmd->add_flag("--list", a->list, "List the attempts (id, expected outcome) and run nothing");
  cmd->add_flag("--no-progress", a->no_progress, "No progress line even on a terminal");
  cmd->callback([a, host] {
    // The native runtime serves through the native host: it is the default there, and
    // check_options refuses any other named explicitly.
    if (a->runtime == "native" && host->count() == 0) a->host = "native";
    escape(*a);
  });
}

}  // namespace dk::cli
