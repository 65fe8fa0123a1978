// Benchmarks in bench/ are registered with DK_BENCHMARK(BM_X) rather than BENCHMARK(BM_X): an
// exception out of a benchmark's setup or run becomes its reported error (SkipWithError:
// "error_occurred" and "error_message" in the JSON results), which dk bench turns into ERROR
// for every budget naming it, while the other benchmarks still run. An escaping exception
// would end dk_bench and lose every result of the run.
#pragma once

#include <benchmark/benchmark.h>

#include <exception>

namespace dk::bench {

template <void (*Body)(benchmark::State&)>
void errors_reported(benchmark::State& state) {
  try {
    Body(state);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

}  // namespace dk::bench

// The benchmark keeps its own name ("BM_X", "BM_X/256").
#define DK_BENCHMARK(fn) BENCHMARK(::dk::bench::errors_reported<fn>)->Name(#fn)
