// dk conform: loads the suite, runs every case (filtered) against each --host in isolated
// child processes, shows a progress bar on a terminal, and writes the reports asked for.
// Exit status: 0 when no case failed or was broken, 1 otherwise, 2 on bad input.
#include "conform_command.h"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>

#include "commands.h"
#include "dk/conformance/hosts.h"
#include "dk/conformance/report.h"
#include "dk/conformance/runner.h"
#include "options.h"
#include "shard.h"

namespace dk::cli {
namespace {

struct ConformArgs {
  std::vector<std::string> hosts;
  std::string runtime = "emu";
  std::vector<std::string> filters;
  unsigned jobs = 0;
  double timeout = 10;
  uint64_t max_ticks = 500000000;
  std::string suite, images, junit, tap, json;
  bool tap_stdout = false, json_stdout = false, matrix = false, matrix_json = false, list = false;
  bool no_progress = false;
  std::string shard;  // --shard I/N (else the environment's; shard.h)
};

[[noreturn]] void fail(const std::string& msg) {
  fprintf(stderr, "dk: conform: %s\n", msg.c_str());
  throw Exit{2};
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) fail("cannot write " + path);
}

void progress(size_t done, size_t total, const std::string& host, size_t failing) {
  const int width = 30;
  const int filled = total ? static_cast<int>(width * done / total) : width;
  fprintf(stderr, "\r%s [%s%s] %zu/%zu  %zu failing ", host.c_str(),
          std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), done, total,
          failing);
  if (done == total) fprintf(stderr, "\r\033[K");
  fflush(stderr);
}

void conform(const ConformArgs& a) {
  using namespace dk::conformance;
  std::vector<CaseSpec> all;
  try {
    all = load_suite(a.suite.empty() ? default_suite_dir() : a.suite);
  } catch (const SuiteError& e) {
    fail(e.what());
  }
  std::vector<CaseSpec> cases;
  for (auto& c : all) {
    bool keep = a.filters.empty();
    for (const auto& f : a.filters) keep = keep || glob_match(f, c.id);
    if (keep) cases.push_back(c);
  }
  if (cases.empty()) fail("no case matches the filter");
  Shard shard;
  if (const std::string why = parse_shard(a.shard, shard); !why.empty()) fail(why);
  if (!shard.whole()) {
    // This machine's part: every N-th case of the filtered suite (dk report merge joins them).
    shard.keep_mine(cases);
    fprintf(stderr, "dk: conform: shard %s: %zu cases\n", shard.str().c_str(), cases.size());
  }
  if (a.list) {
    for (const auto& c : cases)
      printf("%s\t%s\t%s\n", c.id.c_str(), c.clause.c_str(), c.image.c_str());
    throw Exit{0};
  }

  std::vector<HostTarget> targets;
  std::vector<std::string> hosts = a.hosts;
  if (a.runtime == "native") {
    // The native runtime serves through the native host only.
    for (const auto& h : hosts)
      if (h != "native")
        fail("--runtime native runs the cases on the native host; drop --host " + h);
    hosts = {"native-runtime"};
  }
  for (const auto& h : hosts.empty() ? std::vector<std::string>{"sim"} : hosts) {
    HostTarget t;
    std::string error;
    if (!make_host_target(h, t, error)) fail(error);
    targets.push_back(std::move(t));
  }

  const bool tty = isatty(2) && !a.no_progress;
  std::vector<CaseResult> results;
  for (const auto& t : targets) {
    RunnerOptions opts;
    const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    opts.jobs = a.jobs ? a.jobs : static_cast<unsigned>(cpus > 0 ? cpus : 1);
    opts.limits.timeout_s = a.timeout;
    opts.limits.max_ticks = a.max_ticks;
    opts.limits.images_dir = a.images.empty() ? default_images_dir() : a.images;
    size_t failing = 0;
    if (tty) {
      opts.on_result = [&](size_t done, size_t total, const CaseResult& r) {
        if (r.verdict == Verdict::Fail || r.verdict == Verdict::Broken) ++failing;
        progress(done, total, t.name, failing);
      };
    }
    auto mine = run_suite(cases, t, opts);
    results.insert(results.end(), mine.begin(), mine.end());
  }

  const bool machine_stdout = a.tap_stdout || a.json_stdout;
  if (!a.junit.empty()) write_file(a.junit, junit_report(results));
  if (!a.tap.empty()) write_file(a.tap, tap_report(results));
  if (!a.json.empty()) write_file(a.json, json_report(results));
  if (a.tap_stdout)
    fputs(tap_report(results).c_str(), stdout);
  else if (a.json_stdout)
    fputs(json_report(results).c_str(), stdout);
  else if (a.matrix || a.matrix_json)
    fputs(matrix_report(results, a.matrix_json).c_str(), stdout);
  else if (!machine_stdout)
    fputs(table_report(results, isatty(1)).c_str(), stdout);
  if (a.matrix && machine_stdout) fputs(matrix_report(results, false).c_str(), stderr);
  fflush(stdout);

  const Summary s = summarize(results);
  throw Exit{s.fail + s.broken == 0 ? 0 : 1};
}

}  // namespace

void add_conform_command(CLI::App& app) {
  auto a = std::make_shared<ConformArgs>();
  CLI::App* cmd = app.add_subcommand("conform", "Run the conformance suite against a host");
  one_value_per_use(cmd->add_option(
      "--host", a->hosts,
      "Host under test: sim, native, native-runtime, plugin:PATH.so[,CONFIG] (repeatable; "
      "default sim)"));
  cmd->add_option("--runtime", a->runtime,
                  "emu (the emulator) or native (the cases on the CPU under the seccomp "
                  "supervisor, served by the native host: --host native-runtime)")
      ->default_val("emu")
      ->check(CLI::IsMember({"emu", "native"}));
  one_value_per_use(
      cmd->add_option("--filter", a->filters, "Run only cases whose id matches GLOB (repeatable)"));
  cmd->add_option("--jobs,-j", a->jobs, "Cases run at once, 1 to 1024 (default: the CPU count)")
      ->check(count_in(1, 1024));
  cmd->add_option("--timeout", a->timeout, "Wall-clock limit per case, seconds (at most a day)")
      ->default_val(10)
      ->check(seconds_up_to(86400));
  cmd->add_option("--max-ticks", a->max_ticks, "Tick limit per case (0: none)")
      ->default_val(500000000)
      ->check(count_in(0, UINT64_MAX));
  cmd->add_option("--suite", a->suite, "Folder of case YAML files (default: the build's)");
  cmd->add_option("--images", a->images, "Folder of case images (default: the build's)");
  cmd->add_option("--junit", a->junit, "Write a JUnit XML report to FILE");
  cmd->add_option("--tap-file", a->tap, "Write a TAP report to FILE");
  cmd->add_option("--json-file", a->json, "Write a JSON report to FILE");
  cmd->add_flag("--tap", a->tap_stdout, "Print TAP instead of the table");
  cmd->add_flag("--json", a->json_stdout, "Print JSON instead of the table");
  cmd->add_flag("--matrix", a->matrix, "Print the per-call coverage matrix instead of the table");
  cmd->add_flag("--matrix-json", a->matrix_json, "Print the coverage matrix as JSON");
  cmd->add_flag("--list", a->list, "List the cases (id, clause, image) and run nothing");
  cmd->add_flag("--no-progress", a->no_progress, "No progress bar even on a terminal");
  cmd->add_option("--shard", a->shard,
                  "Run only shard I of N (I/N, I from 0): every N-th case of the filtered suite "
                  "(default: from GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS or JOB_COMPLETION_INDEX/"
                  "DK_TOTAL_SHARDS); dk report merge joins the shards' reports");
  cmd->callback([a] { conform(*a); });
}

}  // namespace dk::cli
