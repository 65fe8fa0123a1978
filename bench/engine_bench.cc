// Engine bring-up: the thread CPU time to construct a dk::Engine (Unicorn's engine, its TCG
// buffer, the virtual TLB, the host page, the hooks and the start-up checks), which every
// cold start and every warm engine a world adds pays. The first engine of a process also
// pays once-per-process work, so it is measured apart, in a fresh process each iteration
// (dk_bench_first_engine beside dk_bench).
#include <benchmark/benchmark.h>
#include <limits.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "dk/engine.h"
#include "errors_reported.h"

extern char** environ;

namespace {

double thread_cpu_s() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Resident memory of this process in bytes (/proc/self/statm), 0 if unreadable.
double resident_bytes() {
  std::ifstream in("/proc/self/statm");
  double size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// Later engines: one more engine in a process that has made engines already (the first one
// is made before the loop, so it is never in the figure). `KiB_resident`: what one engine
// adds to the process's resident memory, from 8 new engines held at once (the figure
// behind the budget that an idle picoprocess costs less than an engine).
void BM_EngineBringUp(benchmark::State& state) {
  { dk::Engine first; }
  double total = 0;
  for (auto _ : state) {
    const double t0 = thread_cpu_s();
    auto engine = std::make_unique<dk::Engine>();
    const double t1 = thread_cpu_s();
    state.SetIterationTime(t1 - t0);
    total += t1 - t0;
    engine.reset();  // outside the figure: the manual time is the construction alone
  }
  state.counters["ms_per_engine"] = total / static_cast<double>(state.iterations()) * 1e3;
  constexpr int kHeld = 8;
  const double before = resident_bytes();
  std::vector<std::unique_ptr<dk::Engine>> held;
  for (int i = 0; i < kHeld; ++i) held.push_back(std::make_unique<dk::Engine>());
  const double after = resident_bytes();
  if (before <= 0 || after <= 0) {
    state.SkipWithError("cannot read /proc/self/statm");
    return;
  }
  state.counters["KiB_resident"] = (after - before) / kHeld / 1024.0;
}
DK_BENCHMARK(BM_EngineBringUp)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(20);

// The helper's path: beside this binary.
std::string first_engine_path() {
  char buf[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return "dk_bench_first_engine";
  buf[n] = 0;
  std::string dir(buf);
  return dir.substr(0, dir.find_last_of('/') + 1) + "dk_bench_first_engine";
}

// Runs the helper once: the CPU seconds its first engine took, or a negative value with
// `why` set.
double first_engine_seconds(const std::string& path, std::string& why) {
  int out[2];
  if (pipe(out) != 0) {
    why = std::string("pipe: ") + strerror(errno);
    return -1;
  }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
  pid_t pid = 0;
  const int err = posix_spawn(&pid, path.c_str(), &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  close(out[1]);
  if (err != 0) {
    close(out[0]);
    why = "cannot start " + path + ": " + strerror(err);
    return -1;
  }
  std::string text;
  char buf[64];
  ssize_t got;
  while ((got = read(out[0], buf, sizeof buf)) > 0 || (got < 0 && errno == EINTR))
    if (got > 0) text.append(buf, static_cast<size_t>(got));
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  long long ns = -1;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
      std::sscanf(text.c_str(), "%lld", &ns) != 1 || ns < 0) {
    why = path + " failed (see its stderr)";
    return -1;
  }
  return static_cast<double>(ns) * 1e-9;
}

void BM_FirstEngineBringUp(benchmark::State& state) {
  const std::string path = first_engine_path();
  double total = 0;
  for (auto _ : state) {
    std::string why;
    const double s = first_engine_seconds(path, why);
    if (s < 0) {
      state.SkipWithError(why.c_str());
      break;
    }
    state.SetIterationTime(s);
    total += s;
  }
  if (state.iterations() > 0)
    state.counters["ms_per_engine"] = total / static_cast<double>(state.iterations()) * 1e3;
}
DK_BENCHMARK(BM_FirstEngineBringUp)->UseManualTime()->Unit(benchmark::kMillisecond)->Iterations(10);

}  // namespace
