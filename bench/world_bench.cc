// The world on the simulated host: a context switch between two guest threads (event
// ping-pong through the scheduler), pipe throughput between two picoprocesses, the cost of a
// downcall next to N idle picoprocesses, the picoprocess create+exit rate, and density (idle
// picoprocesses one world holds and the resident memory each costs). The guest is bench/guest/bench_guest.c.
//
// Times are CPU time of this thread (the world runs on it): each iteration runs the workload
// at its size and at size 0, and counts the difference, so start-up and teardown of the
// first picoprocess are not in the figure.
#include <benchmark/benchmark.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "dk/run.h"
#include "dk/host_factory.h"
#include "errors_reported.h"

namespace {

const std::vector<uint8_t>& guest_image() {
  static const std::vector<uint8_t> image = [] {
    std::ifstream in(std::string(DK_GUEST_DIR) + "/bench_guest", std::ios::binary);
    if (!in) throw std::runtime_error("missing guest image bench_guest");
    return std::vector<uint8_t>{std::istreambuf_iterator<char>(in),
                                std::istreambuf_iterator<char>()};
  }();
  return image;
}

double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Resident memory of this process in bytes (/proc/self/statm, second field).
double resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  unsigned long size = 0, resident = 0;
  const int got = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return got == 2 ? static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) : 0;
}

// A console that keeps stdout and calls `on_line` for each complete line as it is written,
// while the world is still running.
class LineConsole : public dk::Console {
 public:
  std::function<void(const std::string&)> on_line;
  std::string out;
  void write(int fd, const uint8_t* data, size_t n) override {
    if (fd != 1) return;
    for (size_t i = 0; i < n; ++i) {
      const char c = static_cast<char>(data[i]);
      if (c != '\n') {
        line_ += c;
        continue;
      }
      out += line_ + "\n";
      if (on_line) on_line(line_);
      line_.clear();
    }
  }
  size_t read(uint8_t*, size_t) override { return 0; }

 private:
  std::string line_;
};

// Runs bench_guest WORKLOAD N [M] on a fresh simulated host; returns the CPU seconds it took
// (and in `wakes`, what the host core's wake lists said about the retries).
double run_workload(const char* workload, uint64_t n, LineConsole* console = nullptr,
                    dk::WakeStats* wakes = nullptr, uint64_t m = 0) {
  dk::HostLaunch l;
  l.seed = 1;
  l.image = guest_image();
  l.name = "bench_guest";
  LineConsole quiet;
  l.console = console ? console : &quiet;
  dk::LaunchedHost built = dk::make_host(l);
  dk::CoreHost& host = *built.host;
  dk::LaunchSpec spec;
  spec.image = guest_image();
  spec.name = "bench_guest";
  spec.args = {"bench_guest", workload, std::to_string(n)};
  if (m) spec.args.push_back(std::to_string(m));
  const double t0 = cpu_now();
  dk::RunResult r = dk::run_picoprocess(host, spec);
  const double t1 = cpu_now();
  if (wakes) *wakes = host.wake_stats();
  if (r.end != dk::RunResult::End::Exited || r.exit_code != 0)
    throw std::runtime_error(std::string("bench_guest ") + workload + " failed: " + r.reason +
                             " exit " + std::to_string(r.exit_code) + " " +
                             (console ? console->out : quiet.out));
  return t1 - t0;
}

// Seconds for `n` units of `workload` beyond its size-0 run, averaged into the manual time.
double marginal_seconds(const char* workload, uint64_t n) {
  const double with = run_workload(workload, n);
  const double without = run_workload(workload, 0);
  return with > without ? with - without : 0;
}

constexpr uint64_t kRoundTrips = 20000;

// Two guest threads of one picoprocess: A sets event 1 and waits on event 2, B the reverse.
// One round trip = two blocking waits and two thread switches through the scheduler.
void BM_EventPingPong(benchmark::State& state) {
  double total = 0;
  for (auto _ : state) {
    const double per = marginal_seconds("pingpong", kRoundTrips) / static_cast<double>(kRoundTrips);
    state.SetIterationTime(per);
    total += per;
  }
  state.counters["ns_per_round_trip"] = total / static_cast<double>(state.iterations()) * 1e9;
}
DK_BENCHMARK(BM_EventPingPong)->UseManualTime()->Unit(benchmark::kNanosecond)->Iterations(3);

constexpr uint64_t kPipeBlocks = 512;  // 32 MiB in 64 KiB writes

// A parent writes 64 KiB blocks into the stream to its child, which reads them to the end.
void BM_PipeThroughput(benchmark::State& state) {
  double total = 0;
  for (auto _ : state) {
    const double s = marginal_seconds("pipe", kPipeBlocks);
    state.SetIterationTime(s);
    total += s;
  }
  const double bytes = static_cast<double>(kPipeBlocks) * 65536.0;
  state.counters["MB_per_s"] = bytes * static_cast<double>(state.iterations()) / total / 1e6;
  state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
}
DK_BENCHMARK(BM_PipeThroughput)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(3);

// Not a timing: how many retries of parked calls the world made in the ping-pong, pipe and
// density workloads (64 idle children), how many a change woke, and how many nobody woke and
// parked again (`avoidable`: with wait queues, only waits on streams, threads and processes
// retried at an exit that did not concern them). `missed` must stay 0.
void BM_WakeLists(benchmark::State& state) {
  static const char* const kWorkloads[] = {"pingpong", "pipe", "density"};
  static const uint64_t kSizes[] = {2000, 64, 64};
  const char* workload = kWorkloads[state.range(0)];
  const uint64_t n = kSizes[state.range(0)];
  dk::WakeStats w;
  for (auto _ : state) state.SetIterationTime(run_workload(workload, n, nullptr, &w));
  state.SetLabel(workload);
  state.counters["parked"] = static_cast<double>(w.parked);
  state.counters["retries"] = static_cast<double>(w.retries);
  state.counters["woken"] = static_cast<double>(w.woken);
  state.counters["avoidable"] = static_cast<double>(w.avoidable);
  state.counters["missed"] = static_cast<double>(w.missed);
  state.counters["wakes"] = static_cast<double>(w.wakes);
  state.counters["avoidable_share"] =
      w.retries ? static_cast<double>(w.avoidable) / static_cast<double>(w.retries) : 0;
}
DK_BENCHMARK(BM_WakeLists)->DenseRange(0, 2)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(1);

constexpr uint64_t kNeighbourCalls = 50000;

// A downcall (DkSystemTimeQuery) of a busy picoprocess while N idle children of it wait in
// the same world, each parked reading its stream: CPU time between the guest's "go" and
// "done" lines over the calls made. With wait queues it does not grow with N.
void BM_DowncallWithIdleNeighbours(benchmark::State& state) {
  const uint64_t n = static_cast<uint64_t>(state.range(0));
  double total = 0;
  for (auto _ : state) {
    LineConsole console;
    double go = 0, done = 0;
    console.on_line = [&](const std::string& line) {
      if (line == "go") go = cpu_now();
      if (line == "done") done = cpu_now();
    };
    run_workload("neighbours", n, &console, nullptr, kNeighbourCalls);
    const double per = (done - go) / static_cast<double>(kNeighbourCalls);
    state.SetIterationTime(per);
    total += per;
  }
  state.counters["ns_per_downcall"] = total / static_cast<double>(state.iterations()) * 1e9;
}
DK_BENCHMARK(BM_DowncallWithIdleNeighbours)
    ->Arg(1)
    ->Arg(10)
    ->Arg(100)
    ->Arg(1000)
    ->Arg(10000)
    ->UseManualTime()
    ->Unit(benchmark::kNanosecond)
    ->Iterations(1);

constexpr uint64_t kSpawns = 200;

// DkProcessCreate(self:) of a child that exits at once, waiting for each one.
void BM_ProcessCreateExit(benchmark::State& state) {
  double total = 0;
  for (auto _ : state) {
    const double per = marginal_seconds("spawn", kSpawns) / static_cast<double>(kSpawns);
    state.SetIterationTime(per);
    total += per;
  }
  const double per = total / static_cast<double>(state.iterations());
  state.counters["per_second"] = per > 0 ? 1.0 / per : 0;
  state.counters["us_per_process"] = per * 1e6;
}
DK_BENCHMARK(BM_ProcessCreateExit)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(3);

// N idle picoprocesses in one world (each blocked reading its parent stream): how many the
// world held (N unless the host refused one), and the resident memory each added, from
// /proc/self/statm when the first four were up and when all were.
void BM_IdleDensity(benchmark::State& state) {
  const uint64_t want = static_cast<uint64_t>(state.range(0));
  double held = 0, per_idle = 0, seconds = 0;
  for (auto _ : state) {
    LineConsole console;
    double base = 0, ready = 0;
    uint64_t up = 0;
    console.on_line = [&](const std::string& line) {
      if (line == "base") base = resident_bytes();
      if (line.rfind("ready ", 0) == 0) {
        ready = resident_bytes();
        up = std::stoull(line.substr(6));
      }
    };
    const double s = run_workload("density", want, &console);
    state.SetIterationTime(s);
    seconds += s;
    held = static_cast<double>(up);
    per_idle = up > 4 ? (ready - base) / static_cast<double>(up - 4) : 0;
  }
  state.counters["held"] = held;
  state.counters["KiB_per_idle"] = per_idle / 1024.0;
  state.counters["ms_per_start"] =
      seconds / static_cast<double>(state.iterations()) / static_cast<double>(want) * 1e3;
}
DK_BENCHMARK(BM_IdleDensity)
    ->Arg(256)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace
