// dk record and dk replay. `record` is `run --trace`: the run's host is wrapped by a
// Recorder. `replay` starts the run again from the trace alone (image, launch, options in
// its header) on a Replayer that never calls a real host; the guest's console output is
// printed again. Exit status of replay: 0 the run matched the trace to its end, 3 it
// diverged (report on stderr), 2 the trace cannot be read or replayed.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "dk/trace_launch.h"
#include "dk/elf_image.h"
#include "dk/replayer.h"
#include "dk/run.h"
#include "dk/trace_file.h"
#include "run_command.h"

namespace dk::cli {
namespace {

constexpr int kReplayDiverged = 3;
constexpr int kReplayBadTrace = 2;

struct ReplayArgs {
  std::string file;
  bool quiet = false;
};

[[noreturn]] void fail(const std::string& msg, int status) {
  fflush(stdout);
  fprintf(stderr, "dk: %s\n", msg.c_str());
  throw Exit{status};
}

const char* end_text(uint32_t end) {
  static const char* const names[] = {"exited",     "exception",  "load-error",
                                      "tick-limit", "host-error", "deadlock"};
  return end < 6 ? names[end] : "?";
}

void replay(const ReplayArgs& a) {
  std::unique_ptr<TraceReader> in;
  try {
    in = std::make_unique<TraceReader>(a.file);
  } catch (const TraceError& e) {
    const std::string what = e.what();
    fail("replay: " + (what.find(a.file) != std::string::npos ? what : a.file + ": " + what),
         kReplayBadTrace);
  }
  const TraceHeader& h = in->header();
  const TraceLaunch& l = h.launch;
  if (l.image.empty())
    fail("replay: " + a.file + ": the trace holds no image (format " +
             std::to_string(h.format_major) + "." + std::to_string(h.format_minor) +
             ", not written by dk run --trace or dk record)",
         kReplayBadTrace);
  LaunchSpec spec;
  RunOptions opts;
  launch_from_trace(l, spec, opts);

  ReplayOptions ro;
  ro.unicorn_version = unicorn_version();
  ro.cpuid = cpuid_answers();
  ro.console = [](int fd, const uint8_t* data, size_t n) {
    fwrite(data, 1, n, fd == 2 ? stderr : stdout);
  };
  Replayer rp(*in, ro);
  opts.events = &rp;
  RunResult r;
  try {
    r = run_picoprocess(rp, spec, opts);
  } catch (const ElfError& e) {
    fail("replay: " + a.file + ": the trace's image does not load: " + e.what(), kReplayBadTrace);
  }
  fflush(stdout);
  if (rp.diverged()) {
    fprintf(stderr, "dk: %s", rp.divergence().report().c_str());
    throw Exit{kReplayDiverged};
  }
  if (!rp.finished()) {
    // The run ended but the trace goes on (or the trace ended without its end records).
    fprintf(stderr, "dk: replay: the run ended (%s) but the trace %s\n", r.reason.c_str(),
            in->cut_short() ? ("was cut short: " + in->cut_short_reason()).c_str()
                            : "holds more records");
    throw Exit{kReplayDiverged};
  }
  if (!a.quiet) {
    std::string note;
    if (!h.unicorn_version.empty() && h.unicorn_version != ro.unicorn_version)
      note = " (recorded with Unicorn " + h.unicorn_version + ", replayed with " +
             ro.unicorn_version + ")";
    fprintf(stderr, "dk: replay matched %s: %llu downcalls, picoprocess 1 %s with code %lld%s\n",
            a.file.c_str(), static_cast<unsigned long long>(rp.downcalls_replayed()),
            end_text(static_cast<uint32_t>(r.end)), static_cast<long long>(r.exit_code),
            note.c_str());
  }
  throw Exit{0};
}

}  // namespace

void add_record_commands(CLI::App& app) {
  auto a = std::make_shared<RunArgs>();
  a->verb = "record";
  CLI::App* rec =
      app.add_subcommand("record", "Run an image as dk run does, recording the run to a trace");
  add_run_options(rec, *a, true);
  rec->add_option("-o,--output", a->trace, "The trace file to write")->default_val("dk.dktrace");
  rec->callback([a] { run_target(*a); });

  auto r = std::make_shared<ReplayArgs>();
  CLI::App* rp = app.add_subcommand("replay",
                                    "Replay a trace without any host: exit 0 when the run matches "
                                    "it to the end, 3 when it diverges");
  rp->add_option("file", r->file, "Trace file (dk record, dk run --trace)")->required();
  rp->add_flag("-q,--quiet", r->quiet, "No summary line on success");
  rp->callback([r] { replay(*r); });
}

}  // namespace dk::cli
