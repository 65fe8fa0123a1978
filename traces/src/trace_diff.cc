// Headers first (a different seed or image explains everything after it), then records in
// order, with the same field names the replayer reports. Records are compared by position,
// like `cmp`: after an inserted record every later one differs, so -n lists the first few.
#include "dk/trace_diff.h"

#include <cinttypes>
#include <cstdio>

#include "dk/json.h"
#include "dk/trace_render.h"

namespace dk {
namespace {

std::string hex(uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

std::string hex_bytes(const std::vector<uint8_t>& v) {
  std::string s;
  char b[4];
  for (uint8_t c : v) {
    snprintf(b, sizeof b, "%02x", c);
    s += b;
  }
  return std::to_string(v.size()) + " bytes" + (v.empty() ? "" : " " + s);
}

std::string files_text(const std::vector<NamedHash>& files) {
  std::string s;
  for (const auto& f : files) s += (s.empty() ? "" : ", ") + f.name + "=" + hex(f.hash);
  return "[" + s + "]";
}

std::string list_text(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + json_quote(x);
  return "[" + s + "]";
}

std::string version(uint16_t major, uint16_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

// Every header field, in the order of the format, each under the name reports use.
void header_diff(const TraceHeader& x, const TraceHeader& y, std::vector<TraceDifference>& out) {
  auto cmp = [&](bool differ, const char* field, const std::string& a, const std::string& b) {
    if (differ) out.push_back({true, 0, field, a, b});
  };
  auto num = [&](const char* field, uint64_t a, uint64_t b) {
    cmp(a != b, field, std::to_string(a), std::to_string(b));
  };
  auto str = [&](const char* field, const std::string& a, const std::string& b) {
    cmp(a != b, field, a, b);
  };
  const TraceLaunch &lx = x.launch, &ly = y.launch;
  cmp(x.format_major != y.format_major || x.format_minor != y.format_minor, "format version",
      version(x.format_major, x.format_minor), version(y.format_major, y.format_minor));
  cmp(x.abi_major != y.abi_major || x.abi_minor != y.abi_minor, "abi version",
      version(x.abi_major, x.abi_minor), version(y.abi_major, y.abi_minor));
  cmp(x.flags != y.flags, "flags", hex(x.flags), hex(y.flags));
  num("seed", x.seed, y.seed);
  str("host", x.host_kind, y.host_kind);
  str("unicorn version", x.unicorn_version, y.unicorn_version);
  str("image name", x.image_name, y.image_name);
  cmp(x.image_hash != y.image_hash, "image hash", hex(x.image_hash), hex(y.image_hash));
  cmp(x.files != y.files, "package files", files_text(x.files), files_text(y.files));
  cmp(x.cpuid != y.cpuid, "cpuid", hex_bytes(x.cpuid), hex_bytes(y.cpuid));
  // The image bytes themselves, when the hash field agrees but they do not (a library
  // caller's header, or an image field that does not match its hash).
  if (x.image_hash == y.image_hash && lx.image != ly.image)
    out.push_back({true, 0, "launch image",
                   std::to_string(lx.image.size()) + " bytes, xxh3 " +
                       hex(trace_hash(lx.image.data(), lx.image.size())),
                   std::to_string(ly.image.size()) + " bytes, xxh3 " +
                       hex(trace_hash(ly.image.data(), ly.image.size()))});
  str("launch name", lx.name, ly.name);
  cmp(lx.args != ly.args, "launch args", list_text(lx.args), list_text(ly.args));
  cmp(lx.env != ly.env, "launch env", list_text(lx.env), list_text(ly.env));
  num("stack size", lx.stack_size, ly.stack_size);
  str("stdin", lx.stdin_uri, ly.stdin_uri);
  str("stdout", lx.stdout_uri, ly.stdout_uri);
  str("stderr", lx.stderr_uri, ly.stderr_uri);
  num("quantum", lx.quantum, ly.quantum);
  num("max ticks", lx.max_ticks, ly.max_ticks);
  num("max world ticks", lx.max_world_ticks, ly.max_world_ticks);
  num("checksum every", lx.checksum_every, ly.checksum_every);
}

}  // namespace

std::string TraceDiff::text() const {
  std::string s;
  for (const auto& n : notes) s += "note: " + n + "\n";
  if (equal) return s + "traces are equal\n";
  for (const auto& d : differences) {
    s += d.in_header ? "header differs: " + d.field + "\n"
                     : "record " + std::to_string(d.record) + " differs: " + d.field + "\n";
    s += "- " + d.a + "\n+ " + d.b + "\n";
  }
  if (more)
    s += "(stopped after " + std::to_string(differences.size()) +
         " differences: -n N lists more, -n 0 all)\n";
  else if (!records_compared)
    s += "(records not compared: --continue compares them too)\n";
  return s;
}

TraceDiff diff_traces(TraceReader& ra, TraceReader& rb, TraceDiffOptions opts) {
  TraceDiff d;
  auto full = [&] { return opts.max != 0 && d.differences.size() >= opts.max; };
  auto add = [&](TraceDifference x) {
    d.equal = false;
    d.differences.push_back(std::move(x));
  };
  if (ra.header().command_line != rb.header().command_line)
    d.notes.push_back("the command lines differ: " + list_text(ra.header().command_line) + " and " +
                      list_text(rb.header().command_line));
  std::vector<TraceDifference> header;
  header_diff(ra.header(), rb.header(), header);
  for (auto& x : header) {
    if (full()) {
      d.more = true;
      return d;
    }
    add(std::move(x));
  }
  if (!header.empty() && !opts.past_header) {
    d.records_compared = false;
    return d;
  }
  TraceRecord x, y;
  for (uint64_t i = 0;; ++i) {
    const bool hx = ra.next(x), hy = rb.next(y);
    if (!hx && !hy) break;
    if (hx != hy) {
      if (full()) {
        d.more = true;
        return d;
      }
      const TraceReader& ended = hx ? rb : ra;
      const std::string end = "<end of trace" + (ended.cut_short() ? ": " + ended.cut_short_reason() : "") + ">";
      add({false, i, "end of trace", hx ? render_record(x) : end, hy ? render_record(y) : end});
      return d;  // positions past one side's end say nothing more
    }
    std::string f = first_difference(x, y);
    if (!f.empty()) {
      if (full()) {
        d.more = true;
        return d;
      }
      add({false, i, f, render_record(x), render_record(y)});
    }
  }
  if (ra.cut_short() != rb.cut_short()) {
    if (full()) {
      d.more = true;
      return d;
    }
    add({false, ra.records_read(), "cut short",
         ra.cut_short() ? ra.cut_short_reason() : "<complete>",
         rb.cut_short() ? rb.cut_short_reason() : "<complete>"});
  }
  return d;
}

}  // namespace dk
