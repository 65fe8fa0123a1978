// Cold start to exit of examples/hello: a new engine, load, boot, run, exit, every iteration.
#include <benchmark/benchmark.h>

#include <fstream>
#include <iterator>
#include <stdexcept>

#include "dk/run.h"
#include "dk/host_factory.h"
#include "errors_reported.h"

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

}  // namespace
