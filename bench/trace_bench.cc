// Record and replay against a plain run of the same workload, on the simulated host: hello
// (start-up, a few dozen downcalls) and a compute-heavy guest (counter with one thread and
// many uncontended increments). Each benchmark reports ms_per_run; bench/budgets.json holds
// recording to 1.25x a plain run, and replay to at most the recording's time.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "dk/recorder.h"
#include "dk/replayer.h"
#include "dk/run.h"
#include "dk/host_factory.h"
#include "dk/trace_file.h"
#include "errors_reported.h"

namespace {

struct Workload {
  const char* image;
  std::vector<std::string> args;
};

const Workload kWorkloads[] = {
    {"hello", {"hello", "world"}},
    {"counter", {"counter", "1", "200000"}},
};

dk::LaunchSpec spec_of(const Workload& w) {
  std::ifstream in(std::string(DK_GUEST_DIR) + "/" + w.image, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("missing guest image ") + w.image);
  dk::LaunchSpec spec;
  spec.image.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  spec.name = w.image;
  spec.args = w.args;
  return spec;
}

std::string trace_path(const Workload& w) {
  return std::string(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") + "/dk_trace_bench_" +
         std::string(w.image) + "_" + std::to_string(getpid()) + ".dktrace";
}

dk::TraceHeader header_of(const dk::LaunchSpec& spec) {
  dk::TraceHeader h;
  h.host_kind = "sim";
  h.seed = 1;
  h.launch.image = spec.image;
  h.launch.name = spec.name;
  h.launch.args = spec.args;
  h.launch.stack_size = spec.stack_size;
  h.launch.stdin_uri = spec.stdin_uri;
  h.launch.stdout_uri = spec.stdout_uri;
  h.launch.stderr_uri = spec.stderr_uri;
  h.launch.quantum = dk::RunOptions{}.quantum;
  return h;
}

// One run: plain (0), recorded (1), or replayed from the recording (2).
dk::RunResult run_once(const dk::LaunchSpec& spec, const std::string& path, int mode) {
  dk::RunOptions opts;
  if (mode == 2) {
    dk::TraceReader in(path);
    dk::Replayer rp(in);
    opts.events = &rp;
    dk::RunResult r = dk::run_picoprocess(rp, spec, opts);
    if (rp.diverged() || !rp.finished()) throw std::runtime_error("replay diverged");
    return r;
  }
  dk::CapturedConsole console;
  dk::HostLaunch l;
  l.seed = 1;
  l.console = &console;
  dk::LaunchedHost built = dk::make_host(l);
  dk::Host& host = *built.host;
  if (mode == 0) return dk::run_picoprocess(host, spec, opts);
  dk::TraceWriter w(path, header_of(spec));
  dk::Recorder rec(host, w);
  opts.events = &rec;
  dk::RunResult r = dk::run_picoprocess(rec, spec, opts);
  w.close();
  if (rec.failed()) throw std::runtime_error(rec.error());
  return r;
}

void BM_Trace(benchmark::State& state, int mode) {
  const Workload& w = kWorkloads[state.range(0)];
  const dk::LaunchSpec spec = spec_of(w);
  const std::string path = trace_path(w);
  if (mode == 2) run_once(spec, path, 1);  // the recording to replay
  double total_ms = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    dk::RunResult r;
    try {
      r = run_once(spec, path, mode);
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      break;
    }
    total_ms +=
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (r.end != dk::RunResult::End::Exited || r.exit_code != 0) {
      state.SkipWithError(("the workload did not exit cleanly: " + r.reason).c_str());
      break;
    }
  }
  unlink(path.c_str());
  state.SetLabel(w.image);
  state.counters["ms_per_run"] = benchmark::Counter(total_ms, benchmark::Counter::kAvgIterations);
}

void BM_PlainRun(benchmark::State& state) {
  BM_Trace(state, 0);
}
void BM_RecordRun(benchmark::State& state) {
  BM_Trace(state, 1);
}
void BM_ReplayRun(benchmark::State& state) {
  BM_Trace(state, 2);
}

// Arg 0: hello, 1: compute-heavy counter.
DK_BENCHMARK(BM_PlainRun)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(0.5);
DK_BENCHMARK(BM_RecordRun)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(0.5);
DK_BENCHMARK(BM_ReplayRun)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->MinTime(0.5);

}  // namespace
