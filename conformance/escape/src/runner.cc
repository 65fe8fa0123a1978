// The runner (runner.h): a pool of attempt processes, each with its own canaries, and the
// verdict from what the observer saw.
#include "dk/escape/runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "attempt_run.h"
#include "dk/conformance/case_run.h"
#include "dk/conformance/runner.h"
#include "dk/run.h"

namespace dk::escape {
namespace {

using dk::conformance::monotonic_seconds;

std::string outcome_text(const ChildRecord& r) {
  static const char* const types[] = {"?",          "MEMFAULT",     "ILLEGAL",  "ARITHMETIC",
                                      "BREAKPOINT", "FOREIGN_TRAP", "INTERRUPT"};
  char buf[160];
  switch (static_cast<RunResult::End>(r.end)) {
    case RunResult::End::Exited:
      return "exit " + std::to_string(r.exit_code);
    case RunResult::End::UnhandledException:
      snprintf(buf, sizeof buf, "exception %s detail %#x at %#llx",
               r.type < 7 ? types[r.type] : "?", r.detail,
               static_cast<unsigned long long>(r.address));
      return buf;
    case RunResult::End::TickLimit:
      return "tick limit";
    case RunResult::End::Deadlock:
      return "deadlock";
    case RunResult::End::HostError:
      return r.filter_killed ? "ended by the seccomp filter" : "host error";
    case RunResult::End::LoadError:
      return "load error";
    default:
      return "end " + std::to_string(r.end);
  }
}

// The attacker ended the way a containing host ends it.
bool as_expected(const Expect& e, const ChildRecord& r) {
  const auto end = static_cast<RunResult::End>(r.end);
  switch (e.kind) {
    case Expect::Kind::Exit:
      return end == RunResult::End::Exited && r.exit_code == e.exit_code;
    case Expect::Kind::TickLimit:
      return end == RunResult::End::TickLimit;
    case Expect::Kind::Exception:
      if (end != RunResult::End::UnhandledException) return false;
      if (e.exception_type && r.type != e.exception_type) return false;
      if (e.detail >= 0 && r.detail != static_cast<uint32_t>(e.detail)) return false;
      if (e.address >= 0 && r.address != static_cast<uint64_t>(e.address)) return false;
      return true;
  }
  return false;
}

std::string tail(const std::string& s, size_t n) {
  return s.size() > n ? "..." + s.substr(s.size() - n) : s;
}

std::string one_line(std::string s) {
  for (char& ch : s)
    if (ch == '\n' || ch == '\r') ch = ' ';
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

struct Running {
  size_t index = 0;
  pid_t pid = -1;
  int fd = -1;
  double started = 0, deadline = 0;
  std::string data;
  std::unique_ptr<Canaries> canaries;
};

AttemptResult judge(const Attempt& a, Running& run, int status, bool timed_out) {
  AttemptResult res;
  res.attempt = &a;
  res.seconds = monotonic_seconds() - run.started;
  std::vector<std::string> escapes, failures, deviations;
  ChildRecord rec;
  const bool have = !run.data.empty() && decode(run.data, rec);
  std::string fdlog;
  {
    std::ifstream in(run.canaries->fd_log(), std::ios::binary);
    fdlog.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (timed_out) {
    char msg[96];
    snprintf(msg, sizeof msg, "the harness hung: no result after %.1f s; killed",
             run.deadline - run.started);
    failures.push_back(msg);
  } else if (WIFSIGNALED(status)) {
    failures.push_back(std::string("the harness crashed: signal ") +
                       std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")");
  } else if (!have) {
    // A sanitizer turns a crash into an exit status: a result-less end counts as one.
    failures.push_back("the harness crashed or ended without a result (exit status " +
                       std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")");
  } else if (!rec.ran) {
    failures.push_back("could not run: " + rec.reason);
  }
  if (!failures.empty() && !fdlog.empty()) failures.back() += ": " + one_line(tail(fdlog, 300));
  if (have && rec.ran) {
    res.outcome = outcome_text(rec);
    for (const auto& h : rec.health) failures.push_back(h);
    for (const auto& b : rec.breaches) escapes.push_back(b);
    const auto end = static_cast<RunResult::End>(rec.end);
    // On the native runtime the filter may end a raw system call's picoprocess outright
    // (attempt_run.cc sets filter_killed only for the syscall families): nothing ran.
    if (failures.empty() && !rec.filter_killed && end != RunResult::End::HostError &&
        end != RunResult::End::LoadError && !as_expected(a.expect, rec)) {
      std::string why =
          "not contained as declared: expected " + a.expect.describe() + ", got " + res.outcome;
      if (!rec.reason.empty()) why += " (" + one_line(rec.reason) + ")";
      if (!rec.output.empty()) why += "; output: " + one_line(tail(rec.output, 400));
      deviations.push_back(why);
    }
  }
  // Host canaries, whatever happened in the child.
  for (const auto& b : run.canaries->check(have ? rec.output : std::string())) escapes.push_back(b);

  if (!failures.empty())
    res.verdict = Verdict::HostFailure;
  else if (!escapes.empty())
    res.verdict = Verdict::Escaped;
  else if (!deviations.empty())
    res.verdict = Verdict::Deviation;
  else
    res.verdict = Verdict::Contained;
  std::vector<std::string> all = failures;
  all.insert(all.end(), escapes.begin(), escapes.end());
  all.insert(all.end(), deviations.begin(), deviations.end());
  for (size_t i = 0; i < all.size(); ++i) res.reason += (i ? "; " : "") + all[i];
  if (res.outcome.empty()) res.outcome = "-";
  return res;
}

}  // namespace

std::string_view verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Contained:
      return "contained";
    case Verdict::Deviation:
      return "deviation";
    case Verdict::Escaped:
      return "escaped";
    case Verdict::HostFailure:
      return "host failure";
  }
  return "?";
}

std::string check_options(const RunnerOptions& o) {
  if (o.host != "sim" && o.host != "native")
    return "--host " + o.host + ": unknown host (sim, native)";
  if (o.runtime != "emu" && o.runtime != "native")
    return "--runtime " + o.runtime + ": unknown runtime (emu, native)";
  if (o.runtime == "native" && o.host != "native")
    return "--runtime native runs on the native host only; --host " + o.host +
           " cannot serve it (use --host native)";
  const std::string images =
      o.images_dir.empty() ? dk::conformance::default_images_dir() : o.images_dir;
  struct stat st;
  if (stat((images + "/esc_sibling").c_str(), &st) != 0)
    return "no escape images in " + images + " (build the dk_escape_images target)";
  return "";
}

std::vector<AttemptResult> run_attempts(const std::vector<Attempt>& attempts,
                                        const RunnerOptions& o) {
  std::vector<AttemptResult> results(attempts.size());
  std::string work = o.work_dir;
  bool own_work = false;
  if (work.empty()) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dk-escape-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("escape: cannot make a work folder");
    work = tmpl;
    own_work = true;
  }
  const unsigned jobs = o.jobs ? o.jobs : 1;
  std::vector<std::unique_ptr<Running>> running;
  size_t next = 0, done = 0;
  while (done < attempts.size()) {
    while (running.size() < jobs && next < attempts.size()) {
      auto r = std::make_unique<Running>();
      r->index = next;
      const Attempt& a = attempts[next++];
      r->canaries = std::make_unique<Canaries>(work, r->index);
      int p[2];
      if (pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("escape: pipe failed");
      fflush(nullptr);
      r->started = monotonic_seconds();
      r->deadline = r->started + (a.timeout_s > 0 ? a.timeout_s : o.timeout_s);
      r->pid = fork();
      if (r->pid < 0) throw std::runtime_error("escape: fork failed");
      if (r->pid == 0) {
        ::close(p[0]);
        setpgid(0, 0);
        attempt_child_main(p[1], a, *r->canaries, o);
      }
      setpgid(r->pid, r->pid);
      ::close(p[1]);
      r->fd = p[0];
      fcntl(r->fd, F_SETFL, fcntl(r->fd, F_GETFL) | O_NONBLOCK);
      running.push_back(std::move(r));
    }
    std::vector<pollfd> fds;
    double now = monotonic_seconds(), wake = now + 1;
    for (auto& r : running) {
      fds.push_back(pollfd{r->fd, POLLIN, 0});
      wake = std::min(wake, r->deadline);
    }
    const int ms = static_cast<int>(std::max(0.0, wake - now) * 1000) + 1;
    poll(fds.data(), fds.size(), ms);
    now = monotonic_seconds();
    for (size_t i = 0; i < running.size();) {
      Running& r = *running[i];
      bool eof = false;
      char buf[65536];
      for (;;) {
        ssize_t n = ::read(r.fd, buf, sizeof buf);
        if (n > 0) {
          r.data.append(buf, static_cast<size_t>(n));
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        eof = !(n < 0 && errno == EAGAIN);
        break;
      }
      const bool timed_out = !eof && now >= r.deadline;
      if (!eof && !timed_out) {
        ++i;
        continue;
      }
      if (timed_out) {
        kill(-r.pid, SIGKILL);
        kill(r.pid, SIGKILL);
      }
      int status = 0;
      while (waitpid(r.pid, &status, 0) < 0 && errno == EINTR) {
      }
      ::close(r.fd);
      results[r.index] = judge(attempts[r.index], r, status, timed_out);
      ++done;
      if (o.on_result) o.on_result(done, attempts.size(), results[r.index]);
      running.erase(running.begin() + static_cast<long>(i));
    }
  }
  if (own_work) {
    std::error_code ec;
    std::filesystem::remove_all(work, ec);
  }
  return results;
}

}  // namespace dk::escape
