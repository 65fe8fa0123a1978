// The native runtime against the emulator and the kernel, in one run (issue 15):
//
// - BM_StartExitSideBySide: start->exit of hello as whole processes, the way a user times
//   them (posix_spawn, wait): `dk run hello` (emulator, cold), `dk run --runtime native hello`,
//   and a static hello (the kernel), rounds interleaving them; then, in this process after a
//   first run, the emulator warm and the native runtime's run alone. Each figure is the
//   median of its rounds.
// - BM_NativeShimCall, BM_NativeSupervisorCall: a call answered in the child's shim
//   (DkSegmentRegisterSet; and DkInstructionCacheFlush, reported only) and one through the
//   supervisor (DkSemaphorePeek), per call, with the supervisor and its children pinned to
//   one CPU and not; and BM_SeccompTrapFloor, what this machine's kernel charges for a plain
//   syscall and for a seccomp trap to a handler.
// - BM_ComputeSlowdown: a compute-heavy guest (counter, one thread) under the emulator and on
//   the CPU, in CPU time; the emulated slowdown as a ratio.
// - BM_IdleDensityByRuntime: idle picoprocesses per GiB on each runtime.
//
// The guests are bench/guest/runtime_calls.c, examples/hello and examples/counter, and
// bench/guest/bench_guest.c (density).
#include <benchmark/benchmark.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "dk/host_factory.h"
#include "dk/native_host.h"
#include "dk/native_runtime.h"
#include "dk/run.h"
#include "errors_reported.h"
#include "process_timing.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::vector<uint8_t> guest(const std::string& name) {
  std::ifstream in(std::string(DK_GUEST_DIR) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing guest image " + name);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

using dk::bench::median;
using dk::bench::spawn_and_wait;

void check_exit(const dk::RunResult& r, const std::string& what) {
  if (r.end != dk::RunResult::End::Exited || r.exit_code != 0)
    throw std::runtime_error(what + " did not exit cleanly: " + r.reason + " exit " +
                             std::to_string(r.exit_code));
}

// One run of `spec` under the emulator on a fresh simulated host (dk run's default).
dk::RunResult run_emulated(const dk::LaunchSpec& spec, dk::Console& console) {
  dk::HostLaunch l;
  l.seed = 1;
  l.console = &console;
  l.image = spec.image;
  l.name = spec.name;
  dk::LaunchedHost built = dk::make_host(l);
  return dk::run_picoprocess(built.serving(), spec);
}

// One run of `spec` on the native runtime, served by a fresh native host (dk run --runtime
// native, in this process).
dk::RunResult run_native(const dk::LaunchSpec& spec, dk::Console& console) {
  dk::HostLaunch l;
  l.kind = dk::HostKind::Native;
  l.console = &console;
  l.image = spec.image;
  l.name = spec.name;
  dk::LaunchedHost built = dk::make_host(l);
  dk::NativeRuntimeOptions no;
  no.host_io_fd = static_cast<dk::NativeHost&>(*built.host).io_fd();
  return dk::run_native_runtime(built.serving(), spec, no);
}

dk::LaunchSpec spec_of(const std::string& image, std::vector<std::string> args) {
  dk::LaunchSpec spec;
  spec.image = guest(image);
  spec.name = image;
  spec.args = std::move(args);
  return spec;
}

// ---- start->exit of hello, side by side ----

constexpr int kStartRounds = 15;

void BM_StartExitSideBySide(benchmark::State& state) {
  const std::string hello = std::string(DK_GUEST_DIR) + "/hello";
  const dk::LaunchSpec spec = spec_of("hello", {"hello", "world"});
  {
    dk::CapturedConsole console;  // the first engine of this process: not a warm run
    check_exit(run_emulated(spec, console), "hello (emulator)");
  }
  std::vector<double> cold, warm, native, kernel, dk_alone, native_inside;
  for (auto _ : state) {
    // The processes, round by round.
    for (int i = 0; i < kStartRounds; ++i) {
      cold.push_back(spawn_and_wait({DK_CLI, "run", hello, "world"}));
      native.push_back(spawn_and_wait({DK_CLI, "run", "--runtime", "native", hello, "world"}));
      kernel.push_back(spawn_and_wait({DK_STATIC_HELLO}));
      // dk starting and exiting with no run: what both dk figures hold before any run.
      dk_alone.push_back(spawn_and_wait({DK_CLI, "--version"}));
    }
    // In this process: the emulator warm, then the native runtime's run of hello alone.
    for (int i = 0; i < kStartRounds; ++i) {
      dk::CapturedConsole console;
      const Clock::time_point t0 = Clock::now();
      const dk::RunResult r = run_emulated(spec, console);
      warm.push_back(seconds_since(t0));
      check_exit(r, "hello (emulator, warm)");
    }
    for (int i = 0; i < kStartRounds; ++i) {
      dk::CapturedConsole console;
      const Clock::time_point t0 = Clock::now();
      const dk::RunResult r = run_native(spec, console);
      native_inside.push_back(seconds_since(t0));
      check_exit(r, "hello (native runtime, in-process)");
    }
    state.SetIterationTime(median(native));
  }
  const double c = median(cold), w = median(warm), n = median(native), k = median(kernel);
  state.counters["ms_emu_cold"] = c * 1e3;
  state.counters["ms_emu_warm"] = w * 1e3;
  state.counters["ms_native_runtime"] = n * 1e3;
  state.counters["ms_posix_spawn"] = k * 1e3;
  state.counters["ms_dk_version"] = median(dk_alone) * 1e3;
  state.counters["ms_native_in_process"] = median(native_inside) * 1e3;
  state.counters["native_to_posix_spawn"] = k > 0 ? n / k : 0;
  state.counters["emu_cold_to_native"] = n > 0 ? c / n : 0;
}
DK_BENCHMARK(BM_StartExitSideBySide)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// ---- the null downcall on the native runtime ----

// Pins this thread (and so the children the supervisor forks from it) to the CPU it is on,
// until destroyed; or, unpinned, lets it run on every CPU it was allowed.
class Affinity {
 public:
  explicit Affinity(bool pin) {
    CPU_ZERO(&saved_);
    if (sched_getaffinity(0, sizeof saved_, &saved_) != 0)
      throw std::runtime_error("sched_getaffinity failed");
    if (!pin) return;
    const int cpu = sched_getcpu();
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu < 0 ? 0 : cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0)
      throw std::runtime_error("sched_setaffinity failed");
  }
  ~Affinity() { sched_setaffinity(0, sizeof saved_, &saved_); }
  Affinity(const Affinity&) = delete;
  Affinity& operator=(const Affinity&) = delete;

 private:
  cpu_set_t saved_;
};

// Wall seconds of runtime_calls KIND N on the native runtime.
double native_calls(const std::vector<uint8_t>& image, const char* kind, uint64_t n) {
  dk::LaunchSpec spec;
  spec.image = image;
  spec.name = "bench_runtime_calls";
  spec.args = {"bench_runtime_calls", kind, std::to_string(n)};
  dk::CapturedConsole console;
  const Clock::time_point t0 = Clock::now();
  const dk::RunResult r = run_native(spec, console);
  const double s = seconds_since(t0);
  check_exit(r, std::string("runtime_calls ") + kind + " (" + console.out + ")");
  return s;
}

// Nanoseconds per call of KIND: N calls against none, the difference over N.
void per_call(benchmark::State& state, const char* kind, uint64_t n) {
  const std::vector<uint8_t> image = guest("bench_runtime_calls");
  Affinity affinity(state.range(0) != 0);
  std::vector<double> per;
  for (auto _ : state) {
    const double with = native_calls(image, kind, n);
    const double without = native_calls(image, kind, 0);
    const double s = with > without ? (with - without) / static_cast<double>(n) : 0;
    state.SetIterationTime(s);
    per.push_back(s);
  }
  state.counters["ns_per_call"] = median(per) * 1e9;
}

void BM_NativeShimCall(benchmark::State& state) { per_call(state, "shim", 200000); }
void BM_NativeSupervisorCall(benchmark::State& state) { per_call(state, "supervisor", 50000); }
// Reported, no budget: the other call the shim answers, which makes no syscall of its own
// (DkSegmentRegisterSet sets the GS base, which a paravirtualized kernel charges for).
void BM_NativeShimFlushCall(benchmark::State& state) { per_call(state, "flush", 200000); }

DK_BENCHMARK(BM_NativeShimCall)
    ->ArgName("pinned")
    ->Arg(0)
    ->Arg(1)
    ->UseManualTime()
    ->Unit(benchmark::kNanosecond)
    ->Iterations(3);
DK_BENCHMARK(BM_NativeShimFlushCall)
    ->ArgName("pinned")
    ->Arg(0)
    ->UseManualTime()
    ->Unit(benchmark::kNanosecond)
    ->Iterations(3);
DK_BENCHMARK(BM_NativeSupervisorCall)
    ->ArgName("pinned")
    ->Arg(0)
    ->Arg(1)
    ->UseManualTime()
    ->Unit(benchmark::kNanosecond)
    ->Iterations(3);

// What the kernel of this machine charges, in a forked child of this process (the filter
// cannot be taken off again): a plain syscall (getppid), and a syscall that a seccomp filter
// turns into SIGSYS to an empty handler that returns (the floor of any call answered in a
// shim: the trap, the signal frame and rt_sigreturn). Reported, no budget.
void BM_SeccompTrapFloor(benchmark::State& state) {
  constexpr int kCalls = 100000;
  std::vector<double> plain, trapped;
  for (auto _ : state) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      close(fds[0]);
      struct sigaction sa {};
      sa.sa_sigaction = [](int, siginfo_t*, void*) {};
      sa.sa_flags = SA_SIGINFO;
      sigaction(SIGSYS, &sa, nullptr);
      sock_filter filter[] = {
          BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
          BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xD02A, 0, 1),
          BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
          BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      };
      sock_fprog prog{static_cast<unsigned short>(std::size(filter)), filter};
      double out[2] = {0, 0};
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
          prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0) {
        Clock::time_point t0 = Clock::now();
        for (int i = 0; i < kCalls; ++i) syscall(SYS_getppid);
        out[0] = seconds_since(t0) / kCalls;
        t0 = Clock::now();
        for (int i = 0; i < kCalls; ++i) syscall(0xD02A);
        out[1] = seconds_since(t0) / kCalls;
      }
      const ssize_t wrote = write(fds[1], out, sizeof out);
      _exit(wrote == static_cast<ssize_t>(sizeof out) ? 0 : 1);
    }
    close(fds[1]);
    double got[2] = {0, 0};
    const ssize_t n = read(fds[0], got, sizeof got);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (n != static_cast<ssize_t>(sizeof got) || got[1] <= 0)
      throw std::runtime_error("the seccomp child measured nothing");
    plain.push_back(got[0]);
    trapped.push_back(got[1]);
    state.SetIterationTime(got[1]);
  }
  state.counters["ns_plain_syscall"] = median(plain) * 1e9;
  state.counters["ns_seccomp_trap"] = median(trapped) * 1e9;
}
DK_BENCHMARK(BM_SeccompTrapFloor)->UseManualTime()->Unit(benchmark::kNanosecond)->Iterations(3);

// ---- a compute-heavy guest: the emulated slowdown ----

constexpr uint64_t kIncrements = 20000000;

// CPU seconds, user and system, of this process and of its children that have been waited
// for: the emulator's work, or the supervisor's and (once reaped) its children's.
double cpu_seconds() {
  double s = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    getrusage(who, &u);
    s += static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
  }
  return s;
}

// CPU seconds of counter 1 N on one runtime (CPU time: other load on the machine disturbs it
// far less than wall time).
double counter_run(bool native, uint64_t n) {
  const dk::LaunchSpec spec = spec_of("counter", {"counter", "1", std::to_string(n)});
  dk::CapturedConsole console;
  const double t0 = cpu_seconds();
  const dk::RunResult r = native ? run_native(spec, console) : run_emulated(spec, console);
  const double s = cpu_seconds() - t0;
  check_exit(r, std::string("counter (") + (native ? "native runtime" : "emulator") + ")");
  return s;
}

void BM_ComputeSlowdown(benchmark::State& state) {
  std::vector<double> emu, native;
  for (auto _ : state) {
    const double e = counter_run(false, kIncrements) - counter_run(false, 0);
    const double n = counter_run(true, kIncrements) - counter_run(true, 0);
    emu.push_back(e);
    native.push_back(n);
    state.SetIterationTime(e);
  }
  const double e = median(emu), n = median(native);
  state.counters["ms_emu"] = e * 1e3;
  state.counters["ms_native_runtime"] = n * 1e3;
  state.counters["emulated_slowdown"] = n > 0 ? e / n : 0;
}
DK_BENCHMARK(BM_ComputeSlowdown)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

// ---- idle picoprocesses per GiB ----

// A value in kB from a /proc/PID/status line such as "VmRSS:  1234 kB"; 0 if absent.
double status_kib(pid_t pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const size_t len = std::strlen(field);
  while (std::getline(in, line))
    if (line.compare(0, len, field) == 0 && line.size() > len && line[len] == ':')
      return std::strtod(line.c_str() + len + 1, nullptr);
  return 0;
}

// Every descendant of this process (the supervised children and any they fork).
std::vector<pid_t> descendants() {
  std::map<pid_t, pid_t> parent;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      const pid_t pid = static_cast<pid_t>(std::atoi(e->d_name));
      if (pid <= 0) continue;
      std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
      std::string stat;
      std::getline(in, stat);
      const size_t close = stat.rfind(')');
      if (close == std::string::npos) continue;
      char state_char = 0;
      int ppid = 0;
      if (std::sscanf(stat.c_str() + close + 1, " %c %d", &state_char, &ppid) == 2)
        parent[pid] = ppid;
    }
    closedir(d);
  }
  std::vector<pid_t> out;
  for (const auto& [pid, ppid] : parent) {
    for (pid_t p = ppid; p > 1;) {
      if (p == getpid()) {
        out.push_back(pid);
        break;
      }
      auto it = parent.find(p);
      if (it == parent.end()) break;
      p = it->second;
    }
  }
  return out;
}

// What the picoprocesses of a run hold, in KiB: this process's resident memory (the
// emulator's world, or the supervisor) plus the resident memory and page tables of every
// child process (the native runtime's children).
double held_kib() {
  double kib = status_kib(getpid(), "VmRSS");
  for (pid_t pid : descendants()) kib += status_kib(pid, "VmRSS") + status_kib(pid, "VmPTE");
  return kib;
}

class LineConsole : public dk::Console {
 public:
  std::function<void(const std::string&)> on_line;
  void write(int fd, const uint8_t* data, size_t n) override {
    if (fd != 1) return;
    for (size_t i = 0; i < n; ++i) {
      const char c = static_cast<char>(data[i]);
      if (c != '\n') {
        line_ += c;
        continue;
      }
      if (on_line) on_line(line_);
      line_.clear();
    }
  }
  size_t read(uint8_t*, size_t) override { return 0; }

 private:
  std::string line_;
};

constexpr uint64_t kIdle = 128;

// bench_guest density N: N children blocked reading their parent stream. The cost of one is
// the growth of held_kib() from when four are up ("base") to when all are ("ready K"), over
// K - 4. Arg 0: the emulator (one world in this process); 1: the native runtime (a child
// process each).
void BM_IdleDensityByRuntime(benchmark::State& state) {
  const bool native = state.range(0) != 0;
  const dk::LaunchSpec spec = spec_of("bench_guest", {"bench_guest", "density", std::to_string(kIdle)});
  double per_idle = 0, held = 0;
  for (auto _ : state) {
    LineConsole console;
    double base = 0, ready = 0;
    uint64_t up = 0;
    console.on_line = [&](const std::string& line) {
      if (line == "base") base = held_kib();
      if (line.rfind("ready ", 0) == 0) {
        ready = held_kib();
        up = std::stoull(line.substr(6));
      }
    };
    const Clock::time_point t0 = Clock::now();
    const dk::RunResult r = native ? run_native(spec, console) : run_emulated(spec, console);
    state.SetIterationTime(seconds_since(t0));
    check_exit(r, "bench_guest density");
    held = static_cast<double>(up);
    per_idle = up > 4 && ready > base ? (ready - base) / static_cast<double>(up - 4) : 0;
  }
  state.SetLabel(native ? "native runtime" : "emulator");
  state.counters["held"] = held;
  state.counters["KiB_per_idle"] = per_idle;
  state.counters["idle_per_GiB"] = per_idle > 0 ? 1024.0 * 1024.0 / per_idle : 0;
}
DK_BENCHMARK(BM_IdleDensityByRuntime)
    ->ArgName("native")
    ->Arg(0)
    ->Arg(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace
