// Headers first (a different seed or image explains everything after it), then records in
// order, with the same field names the replayer reports.
#include "dk/trace_diff.h"

#include <cinttypes>
#include <cstdio>

#include "dk/trace_render.h"

namespace dk {
namespace {

std::string hex(uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

std::string files_text(const std::vector<NamedHash>& files) {
  std::string s;
  for (const auto& f : files) s += (s.empty() ? "" : ", ") + f.name + "=" + hex(f.hash);
  return "[" + s + "]";
}

bool header_diff(const TraceHeader& x, const TraceHeader& y, TraceDiff& d) {
  auto set = [&](const char* field, std::string a, std::string b) {
    d.equal = false;
    d.in_header = true;
    d.field = field;
    d.a = std::move(a);
    d.b = std::move(b);
    return true;
  };
  if (x.abi_major != y.abi_major || x.abi_minor != y.abi_minor)
    return set("abi version", std::to_string(x.abi_major) + "." + std::to_string(x.abi_minor),
               std::to_string(y.abi_major) + "." + std::to_string(y.abi_minor));
  if (x.host_kind != y.host_kind) return set("host", x.host_kind, y.host_kind);
  if (x.seed != y.seed) return set("seed", std::to_string(x.seed), std::to_string(y.seed));
  if (x.image_hash != y.image_hash) return set("image hash", hex(x.image_hash), hex(y.image_hash));
  if (x.files != y.files) return set("package files", files_text(x.files), files_text(y.files));
  if (x.cpuid != y.cpuid) return set("cpuid", std::to_string(x.cpuid.size()) + " bytes", std::to_string(y.cpuid.size()) + " bytes");
  if (x.unicorn_version != y.unicorn_version) return set("unicorn version", x.unicorn_version, y.unicorn_version);
  if ((x.flags & kTraceInputsHashed) != (y.flags & kTraceInputsHashed))
    return set("flags", hex(x.flags), hex(y.flags));
  return false;
}

}  // namespace

std::string TraceDiff::text() const {
  if (equal) return "traces are equal\n";
  std::string s = in_header ? "header differs: " + field + "\n"
                            : "record " + std::to_string(record) + " differs: " + field + "\n";
  return s + "- " + a + "\n+ " + b + "\n";
}

TraceDiff diff_traces(TraceReader& ra, TraceReader& rb) {
  TraceDiff d;
  if (header_diff(ra.header(), rb.header(), d)) return d;
  TraceRecord x, y;
  for (uint64_t i = 0;; ++i) {
    const bool hx = ra.next(x), hy = rb.next(y);
    if (!hx && !hy) break;
    if (hx != hy) {
      d.equal = false;
      d.record = i;
      d.field = "end of trace";
      const TraceReader& ended = hx ? rb : ra;
      const std::string end = "<end of trace" + (ended.cut_short() ? ": " + ended.cut_short_reason() : "") + ">";
      d.a = hx ? render_record(x) : end;
      d.b = hy ? render_record(y) : end;
      return d;
    }
    std::string f = first_difference(x, y);
    if (!f.empty()) {
      d.equal = false;
      d.record = i;
      d.field = f;
      d.a = render_record(x);
      d.b = render_record(y);
      return d;
    }
  }
  if (ra.cut_short() != rb.cut_short()) {
    d.equal = false;
    d.record = ra.records_read();
    d.field = "cut short";
    d.a = ra.cut_short() ? ra.cut_short_reason() : "<complete>";
    d.b = rb.cut_short() ? rb.cut_short_reason() : "<complete>";
  }
  return d;
}

}  // namespace dk
