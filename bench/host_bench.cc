// The host benchmarks against any host: `dk bench --host H` (DK_BENCH_HOST in dk_bench's
// environment; default sim) runs the same five measurements on the simulated host, the
// native host or a plug-in (plugin:PATH.so[,CONFIG], dk/plugin_host.h), so a host's author
// tracks its speed with the tool that checks its conformance (docs/performance.md, "Hosts").
//
//   BM_HostTrack/null_downcall    DkSemaphorePeek in a loop (bench/guest/null_loop.S), per call
//   BM_HostTrack/file_read_4k     DkStreamRead of 4 KiB at offset 0, the file opened once
//   BM_HostTrack/pipe_throughput  64 KiB writes from a parent to its child (bench_guest pipe)
//   BM_HostTrack/event_ping_pong  two threads handing two events back and forth (pingpong)
//   BM_HostTrack/create_exit      DkProcessCreate of a child that exits at once (spawn)
//
// Times are CPU time of this thread, each workload at its size minus at size 0, as in
// world_bench.cc. A host that cannot serve a benchmark (a plug-in without streams, say)
// makes it report an error starting "unsupported on HOST:", which dk bench lists apart and
// never counts as a failure.
#include <benchmark/benchmark.h>
#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dk/dispatcher.h"
#include "dk/host_factory.h"
#include "dk/plugin_host.h"
#include "dk/run.h"
#include "errors_reported.h"
#include "fake_guest.h"
#include "null_guest.h"

namespace {

std::string host_spec() {
  const char* h = std::getenv("DK_BENCH_HOST");
  return h && *h ? h : "sim";
}

struct Unsupported : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Quiet : public dk::Console {
 public:
  void write(int, const uint8_t*, size_t) override {}
  size_t read(uint8_t*, size_t) override { return 0; }
};

// The host under test: the factory's (sim, native: with their quota decorator, as dk run
// serves calls) or a loaded plug-in. `root` is file:/ of the built-in hosts.
class BenchHost {
 public:
  explicit BenchHost(const std::string& root = "") {
    const std::string spec = host_spec();
    if (spec.rfind("plugin:", 0) == 0) {
      std::string error;
      plugin_ = dk::PluginHost::load(spec.substr(7), dk::PluginIo{&quiet_, nullptr}, error);
      if (!plugin_) throw std::runtime_error("cannot load " + spec + ": " + error);
      return;
    }
    dk::HostLaunch l;
    if (spec == "native")
      l.kind = dk::HostKind::Native;
    else if (spec != "sim")
      throw std::runtime_error("DK_BENCH_HOST=" + spec + ": not sim, native or plugin:PATH.so");
    l.seed = 1;
    l.console = &quiet_;
    l.root = root;
    l.image = guest("bench_guest");
    l.name = "bench_guest";
    built_ = std::make_unique<dk::LaunchedHost>(dk::make_host(l));
  }
  dk::Host& host() { return plugin_ ? static_cast<dk::Host&>(*plugin_) : built_->serving(); }

  static std::vector<uint8_t> guest(const std::string& name) {
    std::ifstream in(std::string(DK_GUEST_DIR) + "/" + name, std::ios::binary);
    if (!in) throw std::runtime_error("missing guest image " + name);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

 private:
  Quiet quiet_;
  std::unique_ptr<dk::LaunchedHost> built_;
  std::unique_ptr<dk::PluginHost> plugin_;
};

double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU seconds of one run of `image` ARGS on a fresh host; Unsupported when it does not exit 0.
double run_seconds(const std::string& image, const std::vector<std::string>& args) {
  BenchHost h;
  dk::LaunchSpec spec;
  spec.image = BenchHost::guest(image);
  spec.name = image;
  spec.args = args;
  const double t0 = cpu_now();
  const dk::RunResult r = dk::run_picoprocess(h.host(), spec);
  const double t1 = cpu_now();
  if (r.end != dk::RunResult::End::Exited || r.exit_code != 0)
    throw Unsupported(image + " " + (args.size() > 1 ? args[1] : "") + " did not exit 0 (" +
                      (r.reason.empty() ? "exit " + std::to_string(r.exit_code) : r.reason) + ")");
  return t1 - t0;
}

double marginal(const std::string& workload, uint64_t n) {
  const double with = run_seconds("bench_guest", {"bench_guest", workload, std::to_string(n)});
  const double without = run_seconds("bench_guest", {"bench_guest", workload, "0"});
  return with > without ? with - without : 0;
}

// Runs `per_unit` (seconds per unit of work) each iteration; reports it as the manual time
// and as `counter` (scaled by `scale`); an Unsupported host skips the benchmark with the
// message dk bench recognises.
template <class Fn>
void measure(benchmark::State& state, const char* counter, double scale, Fn per_unit) {
  double total = 0;
  try {
    for (auto _ : state) {
      const double s = per_unit();
      state.SetIterationTime(s);
      total += s;
    }
  } catch (const Unsupported& e) {
    state.SkipWithError(("unsupported on " + host_spec() + ": " + e.what()).c_str());
    return;
  }
  state.counters[counter] = total / static_cast<double>(state.iterations()) * scale;
  state.SetLabel(host_spec());
}

void BM_HostTrack_null_downcall(benchmark::State& state) {
  measure(state, "ns_per_call", 1e9, [] {
    return (run_seconds("bench_null_loop_1000000", {"null_loop"}) -
            run_seconds("bench_null_loop_0", {"null_loop"})) / 1e6;
  });
}

// The 4 KiB read goes through the dispatcher with a fake guest memory, as the host sees a
// guest's call (no emulator in the figure).
class ArgMemory : public dk::hosttest::FakeMemory {
 public:
  static constexpr uint64_t kSize = 64 * 1024;
  ArgMemory() { set_prot(kBase, kSize, DK_PROT_READ | DK_PROT_WRITE); }
};

void BM_HostTrack_file_read_4k(benchmark::State& state) {
  std::string tmpl = (std::filesystem::temp_directory_path() / "dk-bench-XXXXXX").string();
  const std::string folder = mkdtemp(tmpl.data());
  std::ofstream(folder + "/f", std::ios::binary) << std::string(4096, 'x');
  struct Cleanup {
    std::string f;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(f, ec);
    }
  } cleanup{folder};
  BenchHost h(folder);
  dk::Dispatcher dispatcher(h.host());
  ArgMemory mem;
  dk::null_guest::NoControl ctl;
  dk::HandleTable handles;
  dk::CallContext cx{mem, ctl, handles, 1, 1, 0, 0x401000, 0};
  dk::Call call;
  const uint64_t uri = ArgMemory::kBase, out = uri + 64, count = out + 8, buf = count + 8;
  mem.write(uri, "file:/f", 8);
  dk::TrapRegs open{DK_CALL_DkStreamOpen, uri, DK_ACCESS_RDONLY, 0, 0, 0, out};
  if (const dk_status_t st = dispatcher.dispatch(cx, open, call); st != 0) {
    state.SkipWithError(("unsupported on " + host_spec() + ": DkStreamOpen(file:/f) answered " +
                         std::to_string(st)).c_str());
    return;
  }
  uint64_t handle = 0;
  mem.read(out, &handle, 8);
  measure(state, "ns_per_read", 1e9, [&] {
    constexpr int kReads = 10000;
    const double t0 = cpu_now();
    for (int i = 0; i < kReads; ++i) {
      const uint64_t room = 4096;
      mem.write(count, &room, 8);
      dk::TrapRegs rd{DK_CALL_DkStreamRead, handle, 0, buf, count, 0, 0};
      if (const dk_status_t st = dispatcher.dispatch(cx, rd, call); st != 0)
        throw Unsupported("DkStreamRead answered " + std::to_string(st));
    }
    return (cpu_now() - t0) / kReads;
  });
}

constexpr uint64_t kPipeBlocks = 256;  // 16 MiB in 64 KiB writes

void BM_HostTrack_pipe_throughput(benchmark::State& state) {
  measure(state, "ns_per_64KiB", 1e9, [] { return marginal("pipe", kPipeBlocks) / kPipeBlocks; });
}

constexpr uint64_t kRoundTrips = 10000;

void BM_HostTrack_event_ping_pong(benchmark::State& state) {
  measure(state, "ns_per_round_trip", 1e9, [] { return marginal("pingpong", kRoundTrips) / kRoundTrips; });
}

constexpr uint64_t kSpawns = 100;

void BM_HostTrack_create_exit(benchmark::State& state) {
  measure(state, "us_per_process", 1e6, [] { return marginal("spawn", kSpawns) / kSpawns; });
}

}  // namespace

DK_BENCHMARK(BM_HostTrack_null_downcall)->Name("BM_HostTrack/null_downcall")->UseManualTime()->Unit(benchmark::kNanosecond)->Iterations(3);
DK_BENCHMARK(BM_HostTrack_file_read_4k)->Name("BM_HostTrack/file_read_4k")->UseManualTime()->Unit(benchmark::kNanosecond)->Iterations(3);
DK_BENCHMARK(BM_HostTrack_pipe_throughput)->Name("BM_HostTrack/pipe_throughput")->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(3);
DK_BENCHMARK(BM_HostTrack_event_ping_pong)->Name("BM_HostTrack/event_ping_pong")->UseManualTime()->Unit(benchmark::kNanosecond)->Iterations(3);
DK_BENCHMARK(BM_HostTrack_create_exit)->Name("BM_HostTrack/create_exit")->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(3);
