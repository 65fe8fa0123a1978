// The runner's loop: up to `jobs` case processes at once, one poll() over their pipes, a
// kill for each that passes its deadline, and a verdict as each ends. Single-threaded, so
// forking is safe.
#include "dk/conformance/runner.h"

#include <fcntl.h>
#include <poll.h>

#include <cstdlib>
#include <memory>

namespace dk::conformance {
namespace {

std::string first_fail_line(const std::string& out) {
  size_t at = out.find("FAIL ");
  while (at != std::string::npos && at != 0 && out[at - 1] != '\n') at = out.find("FAIL ", at + 1);
  if (at == std::string::npos) return "";
  size_t end = out.find('\n', at);
  return out.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

std::string quote(const std::string& s, size_t max = 60) {
  std::string q;
  for (char c : s.substr(0, max)) {
    if (c == '\n')
      q += "\\n";
    else if (static_cast<unsigned char>(c) < 0x20)
      q += '?';
    else
      q += c;
  }
  return "\"" + q + (s.size() > max ? "...\"" : "\"");
}

}  // namespace

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Pass:
      return "pass";
    case Verdict::Fail:
      return "fail";
    case Verdict::Broken:
      return "broken";
    case Verdict::NotApplicable:
      return "n/a";
  }
  return "?";
}

CaseResult judge(const CaseSpec& spec, const HostTarget& host, const CaseOutcome& o) {
  CaseResult r;
  r.spec = &spec;
  r.host = host.name;
  r.seconds = o.seconds;
  r.output = o.out;
  r.exit_code = o.exit_code;
  switch (o.kind) {
    case CaseOutcome::Kind::CouldNotRun:
      r.verdict = Verdict::Broken;
      r.reason = o.reason;
      return r;
    case CaseOutcome::Kind::TimedOut:
    case CaseOutcome::Kind::Crashed:
    case CaseOutcome::Kind::NoResult:
      r.verdict = Verdict::Fail;
      r.reason = o.reason;
      return r;
    case CaseOutcome::Kind::Finished:
      break;
  }
  if (o.end == RunResult::End::LoadError) {
    r.verdict = Verdict::Broken;
    r.reason = "the image did not load: " + o.reason;
    return r;
  }
  r.verdict = Verdict::Fail;
  const std::string all_out = o.out + o.err + o.debug;
  if (o.end == RunResult::End::Exited && o.exit_code == 77 &&
      all_out.find("NOT APPLICABLE") != std::string::npos) {
    const size_t at = all_out.find("NOT APPLICABLE");
    const size_t end = all_out.find('\n', at);
    const std::string why =
        all_out.substr(at, end == std::string::npos ? std::string::npos : end - at);
    if (spec.optional && spec.exit_code != 77) {
      r.verdict = Verdict::NotApplicable;
      r.reason = why;
    } else {
      r.reason = "the behaviour is required, but the case found it absent: " + why;
    }
    return r;
  }
  if (o.end == RunResult::End::TickLimit || o.end == RunResult::End::HostError) {
    r.reason = o.reason;
    return r;
  }
  if (o.exit_code != spec.exit_code) {
    std::string why = first_fail_line(all_out);
    if (why.empty()) {
      why = "exit code " + std::to_string(o.exit_code) + ", want " + std::to_string(spec.exit_code);
      if (o.end != RunResult::End::Exited) why += " (" + o.reason + ")";
    }
    r.reason = why;
    return r;
  }
  if (spec.output_match == CaseSpec::Match::Exact && o.out != spec.output) {
    r.reason = "output " + quote(o.out) + ", want exactly " + quote(spec.output);
    return r;
  }
  if (spec.output_match == CaseSpec::Match::Contains &&
      o.out.find(spec.output) == std::string::npos) {
    r.reason = "output " + quote(o.out) + " lacks " + quote(spec.output);
    return r;
  }
  for (const auto& bad : spec.output_excludes) {
    if (o.out.find(bad) != std::string::npos || o.err.find(bad) != std::string::npos) {
      r.reason = "console output has " + quote(bad) + ", which must not appear there";
      return r;
    }
  }
  r.verdict = Verdict::Pass;
  return r;
}

std::vector<CaseResult> run_suite(const std::vector<CaseSpec>& cases, const HostTarget& host,
                                  const RunnerOptions& options) {
  std::vector<CaseResult> results(cases.size());
  size_t next = 0, done = 0;
  const unsigned jobs = options.jobs ? options.jobs : 1;
  struct Running {
    size_t index;
    std::unique_ptr<CaseProcess> proc;
  };
  std::vector<Running> running;

  auto complete = [&](size_t index, CaseResult r) {
    results[index] = std::move(r);
    ++done;
    if (options.on_result) options.on_result(done, cases.size(), results[index]);
  };

  while (done < cases.size()) {
    // Start as many as allowed; cases that need no process are judged at once.
    while (next < cases.size() && running.size() < jobs) {
      const size_t i = next++;
      const CaseSpec& spec = cases[i];
      if (!spec.applies_to(host.kind)) {
        CaseResult r;
        r.spec = &spec;
        r.host = host.name;
        r.verdict = Verdict::NotApplicable;
        r.reason = spec.why_not(host.kind);
        complete(i, std::move(r));
        continue;
      }
      auto proc = std::make_unique<CaseProcess>(spec, host, options.limits);
      if (!proc->start()) {
        complete(i, judge(spec, host, proc->outcome()));
        continue;
      }
      fcntl(proc->fd(), F_SETFL, fcntl(proc->fd(), F_GETFL) | O_NONBLOCK);
      running.push_back({i, std::move(proc)});
    }
    if (running.empty()) continue;

    std::vector<pollfd> fds;
    double earliest = running[0].proc->deadline();
    for (const auto& r : running) {
      fds.push_back({r.proc->fd(), POLLIN, 0});
      if (r.proc->deadline() < earliest) earliest = r.proc->deadline();
    }
    double wait_s = earliest - monotonic_seconds();
    int wait_ms = wait_s <= 0 ? 0 : static_cast<int>(wait_s * 1000) + 1;
    poll(fds.data(), fds.size(), wait_ms);
    const double now = monotonic_seconds();
    for (size_t k = running.size(); k-- > 0;) {
      Running& r = running[k];
      bool ended = false, timed_out = false;
      if (fds[k].revents & (POLLIN | POLLHUP | POLLERR)) ended = r.proc->on_readable();
      if (!ended && now >= r.proc->deadline()) timed_out = ended = true;
      if (!ended) continue;
      r.proc->finish(timed_out);
      complete(r.index, judge(cases[r.index], host, r.proc->outcome()));
      running.erase(running.begin() + static_cast<std::ptrdiff_t>(k));
    }
  }
  return results;
}

std::string default_suite_dir() {
  if (const char* e = std::getenv("DK_CONFORMANCE_SUITE")) return e;
  return DK_CONF_DEFAULT_SUITE;
}

std::string default_images_dir() {
  if (const char* e = std::getenv("DK_GUEST_DIR")) return e;
  return DK_CONF_DEFAULT_IMAGES;
}

}  // namespace dk::conformance
