// Report writers. Everything here is pure text formatting of CaseResults.
#include "dk/conformance/report.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

#include "dk/calls.h"
#include "dk/json.h"

namespace dk::conformance {
namespace {

std::string xml_escape(const std::string& s) {
  std::string o;
  for (unsigned char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&apos;";
        break;
      default:
        // XML 1.0 allows no control characters but tab, newline and carriage return.
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
          o += '?';
        else
          o += static_cast<char>(c);
    }
  }
  return o;
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string o;
  for (const auto& s : v) o += (o.empty() ? "" : sep) + s;
  return o;
}

// Short call names for the table: DkSemaphoreCreate -> SemaphoreCreate.
std::string short_calls(const std::vector<std::string>& calls) {
  std::vector<std::string> s;
  for (const auto& c : calls) s.push_back(c.starts_with("Dk") ? c.substr(2) : c);
  return join(s, ",");
}

std::string fit(const std::string& s, size_t w) {
  if (s.size() <= w) return s + std::string(w - s.size(), ' ');
  return s.substr(0, w - 3) + "...";
}

std::vector<std::string> hosts_of(const std::vector<CaseResult>& results) {
  std::vector<std::string> hosts;
  for (const auto& r : results)
    if (std::find(hosts.begin(), hosts.end(), r.host) == hosts.end()) hosts.push_back(r.host);
  return hosts;
}

std::string seconds(double s) {
  char b[32];
  snprintf(b, sizeof b, "%.3f", s);
  return b;
}

// JUnit classname: the suite per host, the case's group (its id up to the last dot).
std::string classname(const CaseResult& r) {
  const std::string& id = r.spec->id;
  const size_t dot = id.rfind('.');
  std::string host = r.host;
  for (char& c : host)
    if (c == '.' || c == '/' || c == ':' || c == ',') c = '_';
  return "dk.conformance." + host + (dot == std::string::npos ? "" : "." + id.substr(0, dot));
}

}  // namespace

Summary summarize(const std::vector<CaseResult>& results) {
  Summary s;
  for (const auto& r : results) {
    switch (r.verdict) {
      case Verdict::Pass:
        ++s.pass;
        break;
      case Verdict::Fail:
        ++s.fail;
        break;
      case Verdict::Broken:
        ++s.broken;
        break;
      case Verdict::NotApplicable:
        ++s.not_applicable;
        break;
    }
  }
  return s;
}

std::string table_report(const std::vector<CaseResult>& results, bool color) {
  const bool many_hosts = hosts_of(results).size() > 1;
  size_t wid = 4, wcalls = 5;
  for (const auto& r : results) {
    wid = std::max(wid, r.spec->id.size());
    wcalls = std::max(wcalls, std::min<size_t>(short_calls(r.spec->calls).size(), 40));
  }
  std::string o;
  o += fit("case", wid) + "  " + (many_hosts ? fit("host", 12) + "  " : "") + fit("calls", wcalls) +
       "  " + fit("verdict", 7) + "  reason\n";
  for (const auto& r : results) {
    std::string v = std::string(verdict_name(r.verdict));
    std::string vcell = fit(v, 7);
    if (color) {
      const char* c = r.verdict == Verdict::Pass     ? "\033[32m"
                      : r.verdict == Verdict::Fail   ? "\033[31m"
                      : r.verdict == Verdict::Broken ? "\033[35m"
                                                     : "\033[33m";
      vcell = c + vcell + "\033[0m";
    }
    o += fit(r.spec->id, wid) + "  " + (many_hosts ? fit(r.host, 12) + "  " : "") +
         fit(short_calls(r.spec->calls), wcalls) + "  " + vcell + "  " + r.reason + "\n";
  }
  for (const auto& h : hosts_of(results)) {
    std::vector<CaseResult> mine;
    for (const auto& r : results)
      if (r.host == h) mine.push_back(r);
    const Summary s = summarize(mine);
    o += h + ": " + std::to_string(s.total()) + " cases, " + std::to_string(s.pass) + " pass, " +
         std::to_string(s.fail) + " fail, " + std::to_string(s.broken) + " broken, " +
         std::to_string(s.not_applicable) + " not applicable\n";
  }
  return o;
}

std::string junit_report(const std::vector<CaseResult>& results) {
  std::string o = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  const Summary all = summarize(results);
  double total_time = 0;
  for (const auto& r : results) total_time += r.seconds;
  o += "<testsuites name=\"dk conformance\" tests=\"" + std::to_string(all.total()) +
       "\" failures=\"" + std::to_string(all.fail) + "\" errors=\"" + std::to_string(all.broken) +
       "\" skipped=\"" + std::to_string(all.not_applicable) + "\" time=\"" + seconds(total_time) +
       "\">\n";
  for (const auto& h : hosts_of(results)) {
    std::vector<const CaseResult*> mine;
    std::vector<CaseResult> copy;
    double t = 0;
    for (const auto& r : results)
      if (r.host == h) {
        mine.push_back(&r);
        copy.push_back(r);
        t += r.seconds;
      }
    const Summary s = summarize(copy);
    o += "  <testsuite name=\"" + xml_escape("dk.conformance." + h) + "\" tests=\"" +
         std::to_string(s.total()) + "\" failures=\"" + std::to_string(s.fail) + "\" errors=\"" +
         std::to_string(s.broken) + "\" skipped=\"" + std::to_string(s.not_applicable) +
         "\" time=\"" + seconds(t) + "\">\n";
    o += "    <properties><property name=\"host\" value=\"" + xml_escape(h) + "\"/></properties>\n";
    for (const CaseResult* r : mine) {
      o += "    <testcase classname=\"" + xml_escape(classname(*r)) + "\" name=\"" +
           xml_escape(r->spec->id) + "\" time=\"" + seconds(r->seconds) + "\"";
      const std::string detail = "clause: " + r->spec->clause +
                                 "\ncalls: " + join(r->spec->calls, ", ") +
                                 (r->output.empty() ? "" : "\noutput:\n" + r->output);
      switch (r->verdict) {
        case Verdict::Pass:
          o += "/>\n";
          break;
        case Verdict::Fail:
          o += ">\n      <failure message=\"" + xml_escape(r->reason) + "\" type=\"fail\">" +
               xml_escape(detail) + "</failure>\n    </testcase>\n";
          break;
        case Verdict::Broken:
          o += ">\n      <error message=\"" + xml_escape(r->reason) + "\" type=\"broken\">" +
               xml_escape(detail) + "</error>\n    </testcase>\n";
          break;
        case Verdict::NotApplicable:
          o += ">\n      <skipped message=\"" + xml_escape(r->reason) + "\"/>\n    </testcase>\n";
          break;
      }
    }
    o += "  </testsuite>\n";
  }
  o += "</testsuites>\n";
  return o;
}

std::string tap_report(const std::vector<CaseResult>& results) {
  std::string o = "TAP version 13\n1.." + std::to_string(results.size()) + "\n";
  size_t n = 0;
  const bool many_hosts = hosts_of(results).size() > 1;
  for (const auto& r : results) {
    ++n;
    // A description may not hold '#' (it starts a directive).
    std::string desc = r.spec->id + (many_hosts ? " [" + r.host + "]" : "");
    std::string reason = r.reason;
    std::replace(reason.begin(), reason.end(), '#', ' ');
    std::replace(reason.begin(), reason.end(), '\n', ' ');
    switch (r.verdict) {
      case Verdict::Pass:
        o += "ok " + std::to_string(n) + " - " + desc + "\n";
        break;
      case Verdict::NotApplicable:
        o += "ok " + std::to_string(n) + " - " + desc + " # SKIP " + reason + "\n";
        break;
      case Verdict::Fail:
      case Verdict::Broken:
        o += "not ok " + std::to_string(n) + " - " + desc + "\n";
        o += "  ---\n";
        o += "  verdict: " + std::string(verdict_name(r.verdict)) + "\n";
        o += "  message: " + json_quote(r.reason) + "\n";
        o += "  clause: " + json_quote(r.spec->clause) + "\n";
        o += "  host: " + json_quote(r.host) + "\n";
        o += "  ...\n";
        break;
    }
  }
  return o;
}

std::string json_report(const std::vector<CaseResult>& results) {
  JsonWriter j(/*spaced=*/true);
  j.begin_object(JsonWriter::Layout::Lines).key("hosts").begin_array();
  const auto hosts = hosts_of(results);
  for (const auto& h : hosts) j.value(h);
  j.end_array().key("summary").begin_object();
  for (const auto& h : hosts) {
    std::vector<CaseResult> mine;
    for (const auto& r : results)
      if (r.host == h) mine.push_back(r);
    const Summary s = summarize(mine);
    j.key(h).begin_object().field("total", uint64_t{s.total()}).field("pass", uint64_t{s.pass});
    j.field("fail", uint64_t{s.fail}).field("broken", uint64_t{s.broken});
    j.field("not_applicable", uint64_t{s.not_applicable}).end_object();
  }
  j.end_object().key("cases").begin_array(JsonWriter::Layout::Lines);
  for (const CaseResult& r : results) {
    j.begin_object().field("id", r.spec->id).field("host", r.host);
    j.field("verdict", verdict_name(r.verdict)).field("reason", r.reason);
    j.field("clause", r.spec->clause).key("calls").begin_array();
    for (const auto& c : r.spec->calls) j.value(c);
    j.end_array();
    // What JUnit shows of a case that did not pass; kept so merged shards can show it too.
    if (r.verdict != Verdict::Pass && !r.output.empty()) j.field("output", r.output);
    j.key("seconds").raw(seconds(r.seconds)).end_object();
  }
  j.end_array().end_object();
  return j.str() + "\n";
}

std::string matrix_report(const std::vector<CaseResult>& results, bool json) {
  const auto hosts = hosts_of(results);
  // call -> distinct case ids; (call, host) -> passing count.
  std::map<std::string, std::set<std::string>> touching;
  std::map<std::pair<std::string, std::string>, size_t> passing, applicable;
  for (const auto& r : results) {
    for (const auto& c : r.spec->calls) {
      touching[c].insert(r.spec->id);
      if (r.verdict != Verdict::NotApplicable) ++applicable[{c, r.host}];
      if (r.verdict == Verdict::Pass) ++passing[{c, r.host}];
    }
  }
  if (json) {
    JsonWriter j(/*spaced=*/true);
    j.begin_object(JsonWriter::Layout::Lines).key("hosts").begin_array();
    for (const auto& h : hosts) j.value(h);
    j.end_array().key("calls").begin_array(JsonWriter::Layout::Lines);
    for (const auto& d : all_calls()) {
      const std::string name(d.name);
      j.begin_object().field("index", uint64_t{d.index}).field("call", name);
      j.field("cases", uint64_t{touching[name].size()}).key("hosts").begin_object();
      for (const auto& h : hosts) {
        j.key(h).begin_object().field("pass", uint64_t{passing[{name, h}]});
        j.field("applicable", uint64_t{applicable[{name, h}]}).end_object();
      }
      j.end_object().end_object();
    }
    j.end_array().end_object();
    return j.str() + "\n";
  }
  std::string o = fit("#", 3) + " " + fit("call", 32) + " " + fit("cases", 5);
  for (const auto& h : hosts)
    o += "  " + fit(h.size() > 18 ? "..." + h.substr(h.size() - 15) : h, 18);
  o += "\n";
  for (const auto& d : all_calls()) {
    const std::string name(d.name);
    o += fit(std::to_string(d.index), 3) + " " + fit(name, 32) + " " +
         fit(std::to_string(touching[name].size()), 5);
    for (const auto& h : hosts) {
      const size_t a = applicable[{name, h}], p = passing[{name, h}];
      o += "  " + fit(std::to_string(p) + "/" + std::to_string(a) + " pass", 18);
    }
    o += "\n";
  }
  return o;
}

}  // namespace dk::conformance
