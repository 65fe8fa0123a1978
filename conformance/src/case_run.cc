// One case in one child process. The child makes the host, runs the image and writes a
// framed record to a pipe; the parent reads it and decodes how the child ended. Errors in
// the child are values in the record; the parent never throws for a misbehaving host.
#include "dk/conformance/case_run.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "dk/conformance/record_fields.h"
#include "dk/elf_image.h"
#include "dk/native_runtime.h"

namespace dk::conformance {
namespace {

constexpr size_t kMaxCaptured = 1 << 20;

// Record: a tag byte ('R' result, 'X' could not run), then length-prefixed fields.
void write_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

std::string clip(std::string s) {
  if (s.size() > kMaxCaptured) s.resize(kMaxCaptured);
  return s;
}

// The child's whole life: never returns.
[[noreturn]] void child_main(int fd, const CaseSpec& spec, const HostTarget& host,
                             const CaseLimits& limits) {
  std::string rec;
  try {
    const std::string path = limits.images_dir + "/" + spec.image;
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      rec = "X";
      put_field(rec, "image " + spec.image + " not found in " + limits.images_dir);
    } else {
      LaunchSpec ls;
      ls.image.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      ls.name = spec.image;
      ls.args = {spec.image, spec.arg};
      HostIo io;
      io.input = spec.input;
      io.image = ls.image;
      io.image_name = ls.name;
      std::string error;
      std::unique_ptr<Host> h = host.make(io, error);
      if (!h) {
        rec = "X";
        put_field(rec, error.empty() ? "the host could not be made" : error);
      } else {
        RunResult r;
        if (host.native_runtime) {
          NativeRuntimeOptions no;
          no.host_io_fd = io.host_io_fd;
          no.cpu_time_ns = limits.max_ticks > UINT64_MAX / 10 ? UINT64_MAX : limits.max_ticks * 10;
          r = run_native_runtime(*h, ls, no);
        } else {
          RunOptions opts;
          opts.max_ticks = limits.max_ticks;
          r = run_picoprocess(*h, ls, opts);
        }
        h.reset();
        rec = "R";
        put_field(rec, std::to_string(static_cast<int>(r.end)));
        put_field(rec, std::to_string(r.exit_code));
        put_field(rec, r.reason);
        put_field(rec, clip(io.out));
        put_field(rec, clip(io.err));
        put_field(rec, clip(io.debug));
        put_field(rec, std::to_string(r.ticks));
      }
    }
  } catch (const ElfError& e) {
    rec = "X";
    put_field(rec, std::string("bad image: ") + e.what());
  } catch (const std::exception& e) {
    rec = "X";
    put_field(rec, std::string("the harness failed: ") + e.what());
  }
  write_all(fd, rec);
  ::close(fd);
  _exit(0);
}

}  // namespace

double monotonic_seconds() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

CaseProcess::CaseProcess(const CaseSpec& spec, const HostTarget& host, const CaseLimits& limits)
    : spec_(spec), host_(host), limits_(limits) {}

CaseProcess::~CaseProcess() {
  if (pid_ > 0) finish(true);
  if (fd_ >= 0) ::close(fd_);
}

bool CaseProcess::start() {
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    outcome_.kind = CaseOutcome::Kind::CouldNotRun;
    outcome_.reason = std::string("pipe: ") + strerror(errno);
    return false;
  }
  fflush(nullptr);  // nothing buffered may be written twice
  started_ = monotonic_seconds();
  const double timeout = spec_.timeout_s > 0 ? spec_.timeout_s : limits_.timeout_s;
  deadline_ = started_ + timeout;
  pid_ = fork();
  if (pid_ < 0) {
    ::close(p[0]);
    ::close(p[1]);
    outcome_.kind = CaseOutcome::Kind::CouldNotRun;
    outcome_.reason = std::string("fork: ") + strerror(errno);
    return false;
  }
  if (pid_ == 0) {
    ::close(p[0]);
    // Its own process group, so a kill reaches anything the host under test started.
    setpgid(0, 0);
    child_main(p[1], spec_, host_, limits_);
  }
  setpgid(pid_, pid_);
  ::close(p[1]);
  fd_ = p[0];
  return true;
}

bool CaseProcess::on_readable() {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n > 0) {
      data_.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return false;
    return true;  // EOF or error
  }
}

void CaseProcess::finish(bool timed_out) {
  if (pid_ <= 0) return;
  if (timed_out) {
    kill(-pid_, SIGKILL);
    kill(pid_, SIGKILL);
  }
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) kill(-pid_, SIGKILL);  // stragglers of the group
  pid_ = -1;
  outcome_.seconds = monotonic_seconds() - started_;
  if (timed_out) {
    outcome_.kind = CaseOutcome::Kind::TimedOut;
    char msg[96];
    snprintf(msg, sizeof msg, "timed out after %.1f s (the host hung); killed",
             deadline_ - started_);
    outcome_.reason = msg;
    return;
  }
  if (WIFSIGNALED(status)) {
    outcome_.kind = CaseOutcome::Kind::Crashed;
    outcome_.reason = std::string("the host crashed: signal ") + std::to_string(WTERMSIG(status)) +
                      " (" + strsignal(WTERMSIG(status)) + ")";
    return;
  }
  size_t pos = 1;
  std::string f[7];
  if (data_.empty()) {
    outcome_.kind = CaseOutcome::Kind::NoResult;
    // A sanitizer turns a crash into an exit status, so a result-less exit counts as one.
    outcome_.reason = "the host crashed or ended the case process (exit status " +
                      std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) +
                      ") without a result";
    return;
  }
  if (data_[0] == 'X' && get_field(data_, pos, f[0])) {
    outcome_.kind = CaseOutcome::Kind::CouldNotRun;
    outcome_.reason = f[0];
    return;
  }
  for (auto& field : f) {
    if (data_[0] != 'R' || !get_field(data_, pos, field)) {
      outcome_.kind = CaseOutcome::Kind::NoResult;
      outcome_.reason = "the case process sent a garbled result";
      return;
    }
  }
  outcome_.kind = CaseOutcome::Kind::Finished;
  outcome_.end = static_cast<RunResult::End>(std::stoi(f[0]));
  outcome_.exit_code = std::stoll(f[1]);
  outcome_.reason = f[2];
  outcome_.out = f[3];
  outcome_.err = f[4];
  outcome_.debug = f[5];
  outcome_.ticks = std::stoull(f[6]);
}

CaseOutcome run_case_isolated(const CaseSpec& spec, const HostTarget& host,
                              const CaseLimits& limits) {
  CaseProcess p(spec, host, limits);
  if (!p.start()) return p.outcome();
  fcntl(p.fd(), F_SETFL, fcntl(p.fd(), F_GETFL) | O_NONBLOCK);
  bool timed_out = false;
  for (;;) {
    const double left = p.deadline() - monotonic_seconds();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p.fd(), &rs);
    timeval tv{static_cast<time_t>(left),
               static_cast<suseconds_t>((left - static_cast<long>(left)) * 1e6)};
    int r = select(p.fd() + 1, &rs, nullptr, nullptr, &tv);
    if (r > 0 && p.on_readable()) break;
  }
  p.finish(timed_out);
  return p.outcome();
}

}  // namespace dk::conformance
