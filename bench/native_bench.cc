// The native host next to the simulated host, in one run: the null downcall (a guest loop of
// DkSemaphorePeek through the emulator, the dispatcher and the host) and a 4 KiB file read
// (DkStreamRead through the dispatcher, no emulator: the host's own cost). Budgets compare
// native against sim measured in the same run.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <time.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "dk/dispatcher.h"
#include "dk/run.h"
#include "dk/host_factory.h"
#include "errors_reported.h"
#include "fake_guest.h"
#include "null_guest.h"

namespace {

std::vector<uint8_t> read_guest(const char* name) {
  std::ifstream in(std::string(DK_GUEST_DIR) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("missing guest image ") + name);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::unique_ptr<dk::Host> make_host(bool native) {
  dk::HostLaunch l;
  l.kind = native ? dk::HostKind::Native : dk::HostKind::Sim;
  return dk::make_host(l).host;
}

double run_seconds(bool native, const std::vector<uint8_t>& image) {
  auto host = make_host(native);
  dk::LaunchSpec spec;
  spec.image = image;
  spec.name = "null_loop";
  spec.args = {"null_loop"};
  const double t0 = cpu_now();
  dk::RunResult r = dk::run_picoprocess(*host, spec);
  const double t1 = cpu_now();
  if (r.end != dk::RunResult::End::Exited) throw std::runtime_error("null loop: " + r.reason);
  return t1 - t0;
}

// Per call: (1M calls - 0 calls) / 1M, so start-up is not counted. Arg 0: sim, 1: native.
void BM_HostNullDowncall(benchmark::State& state) {
  const bool native = state.range(0) != 0;
  auto loop = read_guest("bench_null_loop_1000000");
  auto empty = read_guest("bench_null_loop_0");
  double total = 0;
  for (auto _ : state) {
    const double per_call = (run_seconds(native, loop) - run_seconds(native, empty)) / 1e6;
    state.SetIterationTime(per_call);
    total += per_call;
  }
  state.counters["ns_per_call"] = total / static_cast<double>(state.iterations()) * 1e9;
  state.SetLabel(native ? "native" : "sim");
}
DK_BENCHMARK(BM_HostNullDowncall)
    ->Arg(0)
    ->Arg(1)
    ->UseManualTime()
    ->Unit(benchmark::kNanosecond)
    ->Iterations(5);

// The guest memory of a call's arguments: the test fake guest's (tests/fake_guest.h), 64 KiB
// readable and writable from its base; no control (tests/null_guest.h).
class ArgMemory : public dk::hosttest::FakeMemory {
 public:
  static constexpr uint64_t kSize = 64 * 1024;
  ArgMemory() { set_prot(kBase, kSize, DK_PROT_READ | DK_PROT_WRITE); }
};

// A host folder holding one 4 KiB file, removed afterwards.
struct Folder {
  Folder() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "dk-bench-XXXXXX").string();
    path = mkdtemp(tmpl.data());
    std::ofstream(path + "/f", std::ios::binary) << std::string(4096, 'x');
  }
  ~Folder() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

// DkStreamRead of 4 KiB at offset 0, the file opened once. Arg 0: sim, 1: native.
void BM_HostFileRead4K(benchmark::State& state) {
  const bool native = state.range(0) != 0;
  Folder folder;
  std::unique_ptr<dk::Host> host;
  dk::HostLaunch l;
  l.kind = native ? dk::HostKind::Native : dk::HostKind::Sim;
  l.root = folder.path;  // file:/: read-only on the native host, the overlay's base on sim
  host = dk::make_host(l).host;
  dk::Dispatcher dispatcher(*host);
  ArgMemory mem;
  dk::null_guest::NoControl ctl;
  dk::HandleTable handles;
  dk::CallContext cx{mem, ctl, handles, 1, 1, 0, 0, 0};
  dk::Call call;
  const uint64_t uri = ArgMemory::kBase, out = uri + 64, count = out + 8, buf = count + 8;
  mem.write(uri, "file:/f", 8);
  dk::TrapRegs open{DK_CALL_DkStreamOpen, uri, DK_ACCESS_RDONLY, 0, 0, 0, out};
  if (dispatcher.dispatch(cx, open, call) != 0) {
    state.SkipWithError("open failed");
    return;
  }
  uint64_t h = 0;
  mem.read(out, &h, 8);
  for (auto _ : state) {
    const uint64_t room = 4096;
    mem.write(count, &room, 8);
    dk::TrapRegs rd{DK_CALL_DkStreamRead, h, 0, buf, count, 0, 0};
    if (dispatcher.dispatch(cx, rd, call) != 0) {
      state.SkipWithError("read failed");
      return;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 4096);
  state.SetLabel(native ? "native" : "sim");
}
DK_BENCHMARK(BM_HostFileRead4K)->Arg(0)->Arg(1)->Unit(benchmark::kNanosecond);

}  // namespace
