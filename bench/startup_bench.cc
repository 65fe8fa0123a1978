// Start-up of hello:
// - BM_ColdStartHello: in this process, a new engine, load, boot, run, exit, every iteration.
// - BM_DkRunHelloProcess: `dk run hello world` as a whole process, the way a user times it
//   from the shell (posix_spawn to waitpid), in rounds interleaved with posix_spawn of a
//   static hello (bench/static_hello.c, glibc linked -static) and `dk --version` (dk starting
//   and ending with nothing to do). Medians of the rounds; page faults of each process from
//   wait4. DK_BENCH_DK in the environment names another dk binary to measure (an earlier
//   build, a differently linked one); by default it is this build's dk.
// - BM_WarmStartHello: create -> exit of hello in a world that has run hello before (its
//   image parsed, its read-only pages shared, its code translated in the engines), next to
//   posix_spawn of the static hello in the same run.
// - BM_IdleCopies/N: `dk run --copies N` of a guest that waits with no deadline, as a whole
//   process: how many the world held idle, host KiB per picoprocess (the process's resident
//   growth over N), starts per second (dk's own --json summary).
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "dk/host_factory.h"
#include "dk/world.h"
#include "dk/run.h"
#include "errors_reported.h"
#include "process_timing.h"

namespace {

void BM_ColdStartHello(benchmark::State& state) {
  std::ifstream in(std::string(DK_GUEST_DIR) + "/hello", std::ios::binary);
  if (!in) throw std::runtime_error("missing guest image hello");
  std::vector<uint8_t> image{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  for (auto _ : state) {
    dk::CapturedConsole console;
    dk::HostLaunch l;
    l.seed = 1;
    l.console = &console;
    dk::LaunchedHost built = dk::make_host(l);
    dk::Host& host = *built.host;
    dk::LaunchSpec spec;
    spec.image = image;
    spec.name = "hello";
    spec.args = {"hello", "world"};
    dk::RunResult r = dk::run_picoprocess(host, spec);
    if (r.end != dk::RunResult::End::Exited || r.exit_code != 0)
      state.SkipWithError(("hello did not exit cleanly: " + r.reason).c_str());
  }
}
DK_BENCHMARK(BM_ColdStartHello)->Unit(benchmark::kMillisecond)->MinTime(1.0);

constexpr int kProcessRounds = 31;

void BM_DkRunHelloProcess(benchmark::State& state) {
  using dk::bench::median;
  using dk::bench::spawn_and_wait;
  const std::string hello = std::string(DK_GUEST_DIR) + "/hello";
  const char* other = std::getenv("DK_BENCH_DK");
  const std::string dk = other && *other ? other : DK_CLI;
  // One of each first, unmeasured: the page cache holds dk's and the image's pages from here
  // on, as it does for a user who runs dk more than once.
  spawn_and_wait({dk, "run", hello, "world"});
  spawn_and_wait({DK_STATIC_HELLO});
  std::vector<double> run, kernel, version, run_faults, kernel_faults, version_faults;
  for (auto _ : state) {
    for (int i = 0; i < kProcessRounds; ++i) {
      rusage ru{};
      run.push_back(spawn_and_wait({dk, "run", hello, "world"}, &ru));
      run_faults.push_back(static_cast<double>(ru.ru_minflt + ru.ru_majflt));
      kernel.push_back(spawn_and_wait({DK_STATIC_HELLO}, &ru));
      kernel_faults.push_back(static_cast<double>(ru.ru_minflt + ru.ru_majflt));
      version.push_back(spawn_and_wait({dk, "--version"}, &ru));
      version_faults.push_back(static_cast<double>(ru.ru_minflt + ru.ru_majflt));
    }
    state.SetIterationTime(median(run));
  }
  const double r = median(run), k = median(kernel);
  state.counters["ms_dk_run"] = r * 1e3;
  state.counters["ms_posix_spawn_static"] = k * 1e3;
  state.counters["ms_dk_version"] = median(version) * 1e3;
  state.counters["ratio"] = k > 0 ? r / k : 0;
  state.counters["faults_dk_run"] = median(run_faults);
  state.counters["faults_static"] = median(kernel_faults);
  state.counters["faults_dk_version"] = median(version_faults);
}
DK_BENCHMARK(BM_DkRunHelloProcess)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

constexpr int kWarmStarts = 2000;

void BM_WarmStartHello(benchmark::State& state) {
  using dk::bench::median;
  std::ifstream in(std::string(DK_GUEST_DIR) + "/hello", std::ios::binary);
  if (!in) throw std::runtime_error("missing guest image hello");
  const std::vector<uint8_t> image{std::istreambuf_iterator<char>(in), {}};
  dk::CapturedConsole console;
  dk::HostLaunch l;
  l.seed = 1;
  l.console = &console;
  dk::LaunchedHost built = dk::make_host(l);
  dk::World world(*built.host);
  dk::LaunchSpec spec;
  spec.image = image;
  spec.name = "hello";
  spec.args = {"hello", "world"};
  auto start_one = [&] {
    const uint32_t pid = world.add(spec);
    world.run();
    const dk::RunResult& r = world.result(pid);
    if (r.end != dk::RunResult::End::Exited || r.exit_code != 0)
      throw std::runtime_error("hello did not exit cleanly: " + r.reason);
  };
  start_one();  // the world is warm from here on
  dk::bench::spawn_and_wait({DK_STATIC_HELLO});
  std::vector<double> spawn;
  double total = 0;
  uint64_t starts = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < kWarmStarts; ++i) start_one();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    state.SetIterationTime(s / kWarmStarts);
    total += s;
    starts += kWarmStarts;
    for (int i = 0; i < 31; ++i) spawn.push_back(dk::bench::spawn_and_wait({DK_STATIC_HELLO}));
  }
  const double warm = total / static_cast<double>(starts), k = median(spawn);
  state.counters["us_warm_start"] = warm * 1e6;
  state.counters["us_posix_spawn_static"] = k * 1e6;
  state.counters["posix_spawn_over_warm"] = warm > 0 ? k / warm : 0;
}
DK_BENCHMARK(BM_WarmStartHello)->UseManualTime()->Unit(benchmark::kMicrosecond)->Iterations(1);

// A field of dk's --json summary line (0 when absent).
double json_number(const std::string& out, const std::string& key) {
  const size_t at = out.find("\"" + key + "\":");
  return at == std::string::npos ? 0 : std::strtod(out.c_str() + at + key.size() + 3, nullptr);
}

void BM_IdleCopies(benchmark::State& state) {
  const std::string n = std::to_string(state.range(0));
  const std::string guest = std::string(DK_GUEST_DIR) + "/world_guest";
  std::string out;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    out = dk::bench::spawn_and_read({DK_CLI, "run", "--copies", n, guest, "--json", "--",
                                     "child_deadlock"});
    state.SetIterationTime(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  state.counters["idle"] = json_number(out, "idle");
  state.counters["KiB_per_idle"] = json_number(out, "kib_per_picoprocess");
  state.counters["starts_per_second"] = json_number(out, "starts_per_second");
}
DK_BENCHMARK(BM_IdleCopies)
    ->Arg(1000)
    ->Arg(10000)
    ->Arg(100000)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

}  // namespace
