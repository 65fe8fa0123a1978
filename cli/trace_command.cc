// dk trace show|diff|export. Bad input (missing, foreign or damaged file) is one line on
// stderr and exit 2; `diff` exits 0 when the traces are equal and 1 when they differ.
#include "trace_command.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <fstream>
#include <memory>

#include "commands.h"
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
};

[[noreturn]] void fail(const std::string& msg) {
  fflush(stdout);
  fprintf(stderr, "dk: %s\n", msg.c_str());
  throw Exit{2};
}

std::unique_ptr<TraceReader> open_trace(const std::string& path) {
  try {
    return std::make_unique<TraceReader>(path);
  } catch (const TraceError& e) {
    // Open errors already name the file; format errors name only the offset.
    const std::string what = e.what();
    fail(what.find(path) != std::string::npos ? what : path + ": " + what);
  }
}

std::string header_json(const TraceHeader& h) {
  std::string o = "{\"kind\":\"header\",\"format\":\"" + std::to_string(h.format_major) + "." +
                  std::to_string(h.format_minor) + "\",\"abi\":\"" + std::to_string(h.abi_major) + "." +
                  std::to_string(h.abi_minor) + "\",\"host\":" + json_string(h.host_kind) +
                  ",\"seed\":" + std::to_string(h.seed) + ",\"unicorn\":" + json_string(h.unicorn_version) +
                  ",\"image\":" + json_string(h.image_name) + ",\"image_hash\":" + std::to_string(h.image_hash) +
                  ",\"inputs_hashed\":" + ((h.flags & kTraceInputsHashed) ? "true" : "false") + ",\"files\":{";
  for (size_t i = 0; i < h.files.size(); ++i)
    o += (i ? "," : "") + json_string(h.files[i].name) + ":" + std::to_string(h.files[i].hash);
  o += "},\"command_line\":[";
  for (size_t i = 0; i < h.command_line.size(); ++i) o += (i ? "," : "") + json_string(h.command_line[i]);
  return o + "]}";
}

void show(const TraceArgs& a) {
  auto in = open_trace(a.file);
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
    while (in->next(r)) printf("%s\n", (a.json ? record_json(r) : render_record(r)).c_str());
  } catch (const TraceError& e) {
    fail(a.file + ": " + e.what());
  }
  if (in->cut_short()) {
    fflush(stdout);
    fprintf(stderr, "dk: %s: cut short: %s\n", a.file.c_str(), in->cut_short_reason().c_str());
  }
}

void diff(const TraceArgs& a) {
  auto x = open_trace(a.file);
  auto y = open_trace(a.other);
  TraceDiff d;
  try {
    d = diff_traces(*x, *y);
  } catch (const TraceError& e) {
    fail(std::string("trace diff: ") + e.what());
  }
  printf("%s", d.text().c_str());
  throw Exit{d.equal ? 0 : 1};
}

void export_trace(const TraceArgs& a) {
  if (a.chrome.empty()) fail("trace export: say the format and output file: --chrome OUT.json");
  auto in = open_trace(a.file);
  std::ofstream out(a.chrome, std::ios::binary);
  if (!out) fail("trace export: cannot write " + a.chrome);
  try {
    export_chrome_trace(*in, out);
  } catch (const TraceError& e) {
    fail(a.file + ": " + e.what());
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
  s->add_flag("--json", a->json, "One JSON object per line (the header first)");
  s->callback([a] { show(*a); });

  CLI::App* d = cmd->add_subcommand("diff", "Print the first difference between two traces (exit 0 equal, 1 differ)");
  d->add_option("a", a->file, "First trace")->required();
  d->add_option("b", a->other, "Second trace")->required();
  d->callback([a] { diff(*a); });

  CLI::App* e = cmd->add_subcommand("export", "Convert a trace for other tools");
  e->add_option("file", a->file, "Trace file")->required();
  e->add_option("--chrome", a->chrome, "Write Chrome trace-event JSON (Perfetto, chrome://tracing) to OUT.json");
  e->callback([a] { export_trace(*a); });
}

}  // namespace dk::cli
