// dk record and dk replay. `record` is `run --trace`: the run's host is wrapped by a
// Recorder. `replay` starts the run again from the trace alone (image, launch, options in
// its header) on a Replayer that never calls a real host; the guest's console output is
// printed again; `--image` replays another build of the program against the recording. Exit
// status of replay: 0 the run matched the trace to its end, 3 it diverged (report on
// stderr), 2 the trace cannot be read or replayed (damaged anywhere: the byte where).
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>

#include "commands.h"
#include "dk/elf_image.h"
#include "dk/monitor/launch.h"
#include "dk/monitor/package_store.h"
#include "dk/replayer.h"
#include "dk/run.h"
#include "dk/trace_file.h"
#include "dk/trace_launch.h"
#include "run_command.h"

namespace dk::cli {
namespace {

constexpr int kReplayDiverged = 3;
constexpr int kReplayBadTrace = 2;

struct ReplayArgs {
  std::string file;
  std::string image;  // --image: an ELF, package folder or .dkpkg replayed instead
  std::vector<std::string> pkg_path;
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

// A damaged trace is bad input, wherever the damage is: one line naming the byte, exit 2.
[[noreturn]] void fail_trace(const std::string& file, const TraceError& e) {
  if (e.damaged())
    fail("replay: " + file + ": damaged at byte " + std::to_string(e.offset()) + ": " + e.fault(),
         kReplayBadTrace);
  const std::string what = e.what();
  fail("replay: " + (what.find(file) != std::string::npos ? what : file + ": " + what),
       kReplayBadTrace);
}

std::string hex(uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

// The image --image names: an ELF file as it is, a package through the monitor (closure,
// namespace, the app's exe read through it), as dk run would start it.
std::vector<uint8_t> replacement_image(const ReplayArgs& a) {
  struct stat st;
  if (stat(a.image.c_str(), &st) != 0)
    fail("replay: --image " + a.image + ": no such file or folder", kReplayBadTrace);
  if (S_ISDIR(st.st_mode) || a.image.ends_with(".dkpkg")) {
    try {
      return prepare_launch(a.image, PackageStore::search_path_for(a.image, a.pkg_path)).image;
    } catch (const std::exception& e) {
      fail("replay: --image " + a.image + ": " + e.what(), kReplayBadTrace);
    }
  }
  std::ifstream in(a.image, std::ios::binary);
  if (!in) fail("replay: --image " + a.image + ": cannot be read", kReplayBadTrace);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void replay(const ReplayArgs& a) {
  if (!a.pkg_path.empty() && a.image.empty())
    fail("replay: --pkg-path finds the package of --image; give --image PKG", kReplayBadTrace);
  std::unique_ptr<TraceReader> in;
  try {
    in = std::make_unique<TraceReader>(a.file);
  } catch (const TraceError& e) {
    fail_trace(a.file, e);
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
  // Another build of the program: its hash differs from the header's by design, so that is
  // no divergence; only what the guest does is compared. A note says which image ran.
  std::string image_note;
  if (!a.image.empty()) {
    spec.image = replacement_image(a);
    const uint64_t hash = trace_hash(spec.image.data(), spec.image.size());
    if (hash != h.image_hash)
      image_note = "note: replayed " + a.image + " (xxh3 " + hex(hash) +
                   "), not the recorded image " + h.image_name + " (xxh3 " + hex(h.image_hash) +
                   ")";
  }

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
    fail("replay: " + (a.image.empty() ? a.file + ": the trace's image" : "--image " + a.image) +
             " does not load: " + e.what(),
         kReplayBadTrace);
  }
  fflush(stdout);
  // Damage met during the replay outranks what the run did past it.
  if (rp.read_error()) fail_trace(a.file, *rp.read_error());
  if (!image_note.empty()) fprintf(stderr, "dk: %s\n", image_note.c_str());
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
  rp->add_option(
      "--image", r->image,
      "Replay this image instead of the trace's: a rebuilt ELF, a package folder or .dkpkg");
  rp->add_option("--pkg-path", r->pkg_path,
                 "With --image PKG: a folder to find dependencies in (repeatable)")
      ->allow_extra_args(false);
  rp->callback([r] { replay(*r); });
}

}  // namespace dk::cli
