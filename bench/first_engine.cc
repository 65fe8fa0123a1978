// The first engine of a process, for BM_FirstEngineBringUp (engine_bench.cc): constructs one
// dk::Engine in a fresh process, so the once-per-process work (Unicorn's first engine, the
// engine's start-up probes) is in the figure, and prints the thread CPU time it took in ns.
// Exit 0 with one number on stdout; 1 with a message on stderr when no engine could be made.
#include <time.h>

#include <cstdio>
#include <exception>

#include "dk/engine.h"

namespace {

long long thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

}  // namespace

int main() {
  try {
    const long long t0 = thread_cpu_ns();
    dk::Engine engine;
    const long long t1 = thread_cpu_ns();
    std::printf("%lld\n", t1 - t0);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "first_engine: %s\n", e.what());
    return 1;
  }
}
