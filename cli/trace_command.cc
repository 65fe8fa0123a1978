// dk trace show|diff|export. Bad input (missing, foreign or damaged file, an unknown call in
// a filter) is one line on stderr and exit 2; `diff` exits 0 when the traces are equal and 1
// when they differ.
#include "trace_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <vector>

#include "commands.h"
#include "dk/calls.h"
#include "dk/chrome_export.h"
#include "dk/trace_diff.h"
#include "dk/trace_file.h"
#include "dk/trace_render.h"

namespace dk::cli {
namespace {

struct TraceArgs {
  std::string file;
  std::string other;
  std::string chrome;
  bool json = false;
  // show's filters
  std::vector<std::string> calls;  // -e
  CLI::Option* pid_opt = nullptr;
  CLI::Option* thread_opt = nullptr;
  uint32_t pid = 0, thread = 0;
  size_t max_bytes = kRenderBytes;  // -s
  // diff
  size_t max = 1;
  bool past_header = false;
};

[[noreturn]] void fail(const std::string& msg) {
  fflush(stdout);
  fprintf(stderr, "dk: %s\n", msg.c_str());
  throw Exit{2};
}

// One line for a trace that cannot be read: damage as `dk replay` says it, with the byte.
[[noreturn]] void fail_trace(const std::string& verb, const std::string& path,
                             const TraceError& e) {
  if (e.damaged())
    fail(verb + ": " + path + ": damaged at byte " + std::to_string(e.offset()) + ": " + e.fault());
  // Open errors already name the file; format errors name only the offset.
  const std::string what = e.what();
  fail(verb + ": " + (what.find(path) != std::string::npos ? what : path + ": " + what));
}

std::unique_ptr<TraceReader> open_trace(const std::string& verb, const std::string& path) {
  try {
    return std::make_unique<TraceReader>(path);
  } catch (const TraceError& e) {
    fail_trace(verb, path, e);
  }
}

// Which records `show` prints. strace-like: -e keeps only the named calls, plus the End
// records (the `+++ exited +++` line of strace); --pid and --thread keep every kind of record
// of that picoprocess or thread, End records by their picoprocess alone.
struct ShowFilter {
  std::vector<bool> calls;  // by call index; empty: every call
  std::optional<uint32_t> pid, thread;

  bool keep(const TraceRecord& r) const {
    if (pid && r.pid != *pid) return false;
    if (r.kind == RecordKind::End) return true;
    if (thread && r.thread != *thread) return false;
    if (calls.empty()) return true;
    return r.kind == RecordKind::Downcall && r.call.index < calls.size() && calls[r.call.index];
  }
};

ShowFilter show_filter(const TraceArgs& a) {
  ShowFilter f;
  if (a.pid_opt->count()) f.pid = a.pid;
  if (a.thread_opt->count()) f.thread = a.thread;
  for (const std::string& name : a.calls) {
    const CallDesc* found = nullptr;
    for (const CallDesc& d : all_calls()) {
      if (d.name == name) found = &d;
    }
    if (!found)
      fail("trace show: -e: unknown call '" + name +
           "' (names as the ABI spells them: DkStreamRead)");
    if (f.calls.size() <= found->index) f.calls.resize(found->index + 1);
    f.calls[found->index] = true;
  }
  return f;
}

void show(const TraceArgs& a) {
  const ShowFilter filter = show_filter(a);
  auto in = open_trace("trace show", a.file);
  const TraceHeader& h = in->header();
  if (a.json) {
    printf("%s\n", header_json(h).c_str());
  } else {
    std::string cmd;
    for (const auto& s : h.command_line) cmd += (cmd.empty() ? "" : " ") + s;
    printf("# dk trace %u.%u, ABI %u.%u, host %s, seed %llu, unicorn %s, image %s%s\n", h.format_major,
           h.format_minor, h.abi_major, h.abi_minor, h.host_kind.c_str(), static_cast<unsigned long long>(h.seed),
           h.unicorn_version.c_str(), h.image_name.c_str(), cmd.empty() ? "" : (", command: " + cmd).c_str());
  }
  TraceRecord r;
  try {
    while (in->next(r)) {
      if (!filter.keep(r)) continue;
      // --json keeps buffers whole: -s is for people reading the text.
      printf("%s\n", (a.json ? record_json(r) : render_record(r, a.max_bytes)).c_str());
    }
  } catch (const TraceError& e) {
    fail_trace("trace show", a.file, e);
  }
  if (in->cut_short()) {
    fflush(stdout);
    fprintf(stderr, "dk: %s: cut short: %s\n", a.file.c_str(), in->cut_short_reason().c_str());
  }
}

void diff(const TraceArgs& a) {
  auto x = open_trace("trace diff", a.file);
  auto y = open_trace("trace diff", a.other);
  TraceDiff d;
  try {
    d = diff_traces(*x, *y, {a.max, a.past_header});
  } catch (const TraceError& e) {
    // Both readers advance together, so the error does not say whose it is: read each file
    // alone to name it (the damage is found again at the same place).
    for (const std::string* f : {&a.file, &a.other}) {
      try {
        TraceReader r(*f);
        TraceRecord rec;
        while (r.next(rec)) {
        }
      } catch (const TraceError& alone) {
        fail_trace("trace diff", *f, alone);
      }
    }
    fail_trace("trace diff", a.file + " or " + a.other, e);
  }
  printf("%s", d.text().c_str());
  throw Exit{d.equal ? 0 : 1};
}

void export_trace(const TraceArgs& a) {
  if (a.chrome.empty()) fail("trace export: say the format and output file: --chrome OUT.json");
  auto in = open_trace("trace export", a.file);
  std::ofstream out(a.chrome, std::ios::binary);
  if (!out) fail("trace export: cannot write " + a.chrome);
  try {
    export_chrome_trace(*in, out);
  } catch (const TraceError& e) {
    fail_trace("trace export", a.file, e);
  }
  out.close();
  if (!out) fail("trace export: cannot write " + a.chrome);
  if (in->cut_short()) fprintf(stderr, "dk: %s: cut short: %s\n", a.file.c_str(), in->cut_short_reason().c_str());
}

}  // namespace

void add_trace_command(CLI::App& app) {
  auto a = std::make_shared<TraceArgs>();
  CLI::App* cmd = app.add_subcommand("trace", "Read .dktrace files: show, diff, export");
  cmd->require_subcommand(1);

  CLI::App* s = cmd->add_subcommand("show", "Print every record, strace-like: [tick thread] call(args) = status");
  s->add_option("file", a->file, "Trace file")->required();
  s->add_flag("--json", a->json,
              "One JSON object per line (the header first), every field, buffers whole in hex");
  s->add_option("-e,--calls", a->calls,
                "Only these calls (comma-separated: DkStreamRead,DkStreamWrite) and end records")
      ->delimiter(',')
      ->allow_extra_args(false);
  a->pid_opt = s->add_option("--pid", a->pid, "Only records of picoprocess N");
  a->thread_opt = s->add_option("--thread", a->thread, "Only records of thread N");
  s->add_option("-s,--string-limit", a->max_bytes,
                "Show the first N bytes of each buffer (default 32; --json: whole)")
      ->check(CLI::Range(size_t{1}, size_t{1} << 30));
  s->callback([a] { show(*a); });

  CLI::App* d = cmd->add_subcommand(
      "diff", "Compare two traces: every header field, then the records (exit 0 equal, 1 differ)");
  d->add_option("a", a->file, "First trace")->required();
  d->add_option("b", a->other, "Second trace")->required();
  d->add_option("-n,--max", a->max, "List up to N differences (default 1; 0: all)")
      ->check(CLI::NonNegativeNumber);
  d->add_flag("--continue", a->past_header, "Compare the records even when the headers differ");
  d->callback([a] { diff(*a); });

  CLI::App* e = cmd->add_subcommand("export", "Convert a trace for other tools");
  e->add_option("file", a->file, "Trace file")->required();
  e->add_option("--chrome", a->chrome, "Write Chrome trace-event JSON (Perfetto, chrome://tracing) to OUT.json");
  e->callback([a] { export_trace(*a); });
}

}  // namespace dk::cli
