// Escape reports (report.h).
#include "dk/escape/report.h"

#include <cstdio>
#include <map>

#include "dk/escape/corpus.h"
#include "dk/json.h"

namespace dk::escape {
namespace {

std::string xml_escape(std::string_view s) {
  std::string o;
  for (unsigned char ch : s) {
    switch (ch) {
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '&':
        o += "&amp;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        if (ch < 0x20 && ch != '\n' && ch != '\t')
          o += '?';
        else if (ch >= 0x7f)
          o += '?';
        else
          o += static_cast<char>(ch);
    }
  }
  return o;
}

std::vector<std::pair<std::string, Totals>> per_family(const std::vector<AttemptResult>& rs) {
  std::vector<std::pair<std::string, Totals>> out;
  std::map<std::string, size_t> at;
  for (const auto& r : rs) {
    const std::string& f = r.attempt->family;
    auto it = at.find(f);
    if (it == at.end()) {
      it = at.emplace(f, out.size()).first;
      out.push_back({f, Totals{}});
    }
    Totals& t = out[it->second].second;
    ++t.attempts;
    if (r.verdict == Verdict::Contained) ++t.contained;
    if (r.verdict == Verdict::Deviation) ++t.deviations;
    if (r.verdict == Verdict::Escaped) ++t.escapes;
    if (r.verdict == Verdict::HostFailure) ++t.host_failures;
  }
  return out;
}

}  // namespace

Totals totals(const std::vector<AttemptResult>& results) {
  Totals t;
  for (const auto& r : results) {
    ++t.attempts;
    if (r.verdict == Verdict::Contained) ++t.contained;
    if (r.verdict == Verdict::Deviation) ++t.deviations;
    if (r.verdict == Verdict::Escaped) ++t.escapes;
    if (r.verdict == Verdict::HostFailure) ++t.host_failures;
  }
  return t;
}

std::string table_report(const std::vector<AttemptResult>& results, const std::string& host,
                         bool color, const std::string& runtime) {
  const char* red = color ? "\033[31m" : "";
  const char* green = color ? "\033[32m" : "";
  const char* off = color ? "\033[0m" : "";
  std::string o;
  char line[256];
  snprintf(line, sizeof line, "%-18s %9s %10s %10s %8s %14s\n", "family", "attempts", "contained",
           "deviations", "escapes", "host failures");
  o += line;
  for (const auto& [family, t] : per_family(results)) {
    const bool bad = !t.clean();
    snprintf(line, sizeof line, "%s%-18s %9zu %10zu %10zu %8zu %14zu%s\n", bad ? red : "",
             family.c_str(), t.attempts, t.contained, t.deviations, t.escapes, t.host_failures,
             bad ? off : "");
    o += line;
  }
  const Totals t = totals(results);
  snprintf(line, sizeof line, "%-18s %9zu %10zu %10zu %8zu %14zu\n", "total", t.attempts,
           t.contained, t.deviations, t.escapes, t.host_failures);
  o += line;
  for (const auto& r : results) {
    if (r.verdict == Verdict::Contained) continue;
    o += std::string(red) + std::string(verdict_name(r.verdict)) + off + "  " + r.attempt->id +
         " (" + r.attempt->what + "): " + r.reason + "\n";
  }
  if (t.clean())
    o += std::string(green) + "host " + host + ", runtime " + runtime +
         ": every attempt contained" + off + "\n";
  return o;
}

namespace {

void write_totals(JsonWriter& j, const Totals& t) {
  j.field("attempts", uint64_t{t.attempts}).field("contained", uint64_t{t.contained});
  j.field("deviations", uint64_t{t.deviations}).field("escapes", uint64_t{t.escapes});
  j.field("host_failures", uint64_t{t.host_failures});
}

}  // namespace

std::string json_report(const std::vector<AttemptResult>& results, const std::string& host,
                        const std::string& runtime) {
  JsonWriter j;
  j.begin_object().field("host", host).field("runtime", runtime);
  write_totals(j, totals(results));
  j.key("families").begin_array();
  for (const auto& [family, ft] : per_family(results)) {
    j.begin_object().field("family", family);
    write_totals(j, ft);
    j.end_object();
  }
  j.end_array().key("results").begin_array();
  char secs[32];
  for (const auto& r : results) {
    snprintf(secs, sizeof secs, "%.3f", r.seconds);
    j.begin_object().field("id", r.attempt->id).field("family", r.attempt->family);
    j.field("what", r.attempt->what).field("clause", r.attempt->clause);
    j.field("expected", r.attempt->expect.describe()).field("outcome", r.outcome);
    j.field("verdict", verdict_name(r.verdict)).field("reason", r.reason);
    j.key("seconds").raw(secs).end_object();
  }
  j.end_array().end_object();
  return j.str() + "\n";
}

std::string junit_report(const std::vector<AttemptResult>& results, const std::string& host_name,
                         const std::string& runtime) {
  const std::string host = runtime == "native" ? "native-runtime" : host_name;
  std::string o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"dk escape\">\n";
  for (const auto& [family, t] : per_family(results)) {
    o += "  <testsuite name=\"" + xml_escape(host + "." + family) + "\" tests=\"" +
         std::to_string(t.attempts) + "\" failures=\"" + std::to_string(t.escapes + t.deviations) +
         "\" errors=\"" + std::to_string(t.host_failures) + "\">\n";
    for (const auto& r : results) {
      if (r.attempt->family != family) continue;
      char secs[32];
      snprintf(secs, sizeof secs, "%.3f", r.seconds);
      o += "    <testcase classname=\"" + xml_escape(host + "." + family) + "\" name=\"" +
           xml_escape(r.attempt->id) + "\" time=\"" + secs + "\"";
      if (r.verdict == Verdict::Contained) {
        o += "/>\n";
        continue;
      }
      const char* tag = r.verdict == Verdict::Escaped ? "failure" : "error";
      o += ">\n      <" + std::string(tag) + " message=\"" + xml_escape(verdict_name(r.verdict)) +
           "\">" + xml_escape(r.reason) + "</" + tag + ">\n    </testcase>\n";
    }
    o += "  </testsuite>\n";
  }
  return o + "</testsuites>\n";
}

}  // namespace dk::escape
