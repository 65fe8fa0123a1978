// Running one case in isolation: a forked child process gets its own Host instance, runs
// the case image to its end and sends the outcome back over a pipe. The parent never runs
// guest or host code, so a host that crashes or hangs costs only that case.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dk/conformance/case_spec.h"
#include "dk/host.h"
#include "dk/run.h"

namespace dk::conformance {

// What a host under test writes where the runner can see it.
struct HostIo {
  std::string input;            // console input
  std::string out, err, debug;  // console stdout, stderr, debug log
  std::vector<uint8_t> image;   // the case image and its name (what self: names)
  std::string image_name;
  int host_io_fd = -1;          // the native host's wait descriptor (NativeHost::io_fd)
};

// A host under test: its name in reports, its kind (for CaseSpec::hosts) and how to make a
// fresh instance inside a case's child process. make() returns nullptr with `error` set
// when the host cannot be made (the case is then broken).
struct HostTarget {
  std::string name;  // "sim", "plugin:/path/x.so"
  std::string kind;  // "sim", "plugin", "native", "native-runtime"
  // The case runs on the native runtime (its image on the CPU under a seccomp supervisor,
  // served by the host make() builds) instead of the emulator.
  bool native_runtime = false;
  std::function<std::unique_ptr<Host>(HostIo& io, std::string& error)> make;
};

// What came back from a child.
struct CaseOutcome {
  enum class Kind { Finished, CouldNotRun, NoResult, Crashed, TimedOut };
  Kind kind = Kind::NoResult;
  RunResult::End end = RunResult::End::Exited;
  int64_t exit_code = 0;
  std::string reason;  // the run's reason, or why it could not run / how the child ended
  std::string out, err, debug;
  uint64_t ticks = 0;
  double seconds = 0;
};

struct CaseLimits {
  double timeout_s = 10;   // wall clock, per case
  uint64_t max_ticks = 0;  // 0: none
  std::string images_dir;
};

// A running child. start() forks; the parent then feeds it data with on_readable() and
// finishes it with reap() (or kill() on timeout).
class CaseProcess {
 public:
  CaseProcess(const CaseSpec& spec, const HostTarget& host, const CaseLimits& limits);
  ~CaseProcess();
  CaseProcess(const CaseProcess&) = delete;
  CaseProcess& operator=(const CaseProcess&) = delete;

  // Forks the child; false (outcome set to CouldNotRun) when that failed.
  bool start();
  int fd() const { return fd_; }
  double deadline() const { return deadline_; }  // monotonic seconds
  // Reads what is available; true at end of data.
  bool on_readable();
  // Waits for the child and decodes the outcome. `timed_out` kills it first.
  void finish(bool timed_out);
  const CaseOutcome& outcome() const { return outcome_; }

 private:
  const CaseSpec& spec_;
  const HostTarget& host_;
  CaseLimits limits_;
  pid_t pid_ = -1;
  int fd_ = -1;
  double started_ = 0, deadline_ = 0;
  std::string data_;
  CaseOutcome outcome_;
};

// Runs one case synchronously (start, read, finish). Convenience for tools and tests.
CaseOutcome run_case_isolated(const CaseSpec& spec, const HostTarget& host,
                              const CaseLimits& limits);

double monotonic_seconds();

}  // namespace dk::conformance
