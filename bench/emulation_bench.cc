// Emulation speed against bare Unicorn (issue 21). The same freestanding guest image
// (bench/guest/emulation_loops.S) runs three ways in each iteration, back to back:
//   bare:   a minimal Unicorn runner: uc_open, the image's PT_LOAD segments and a stack
//           mapped, one UC_HOOK_INSN syscall hook that ends the run on DkProcessExit (and
//           answers any other call with 0), no block, code or memory hooks, CPL 0;
//   sim:    dk::run_picoprocess on the simulated host (the host factory's, as dk run builds it);
//   native: the same on the native host.
// Workloads (the benchmark's argument): 0 compute (FNV-style hash, registers only), 1 memory
// (a load and a store per iteration over a 4 MiB buffer, another page each time), 2 hello
// (one write, exit: start-up dominates). The iteration counts of the two loops are patched
// into the image (DK_BENCH_COMPUTE_ITERATIONS, DK_BENCH_MEMORY_ITERATIONS in the environment
// override the defaults). Times are the calling thread's CPU time (the guest runs on it in all
// three), which other load on a shared machine disturbs far less than wall time; each runner's
// figure is the smallest of the iterations, and the ratios are those of the smallest figures.
// Counters: bare_ms, sim_ms, native_ms, sim_to_bare, native_to_bare.
#include <benchmark/benchmark.h>
#include <elf.h>
#include <time.h>
#include <unicorn/unicorn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "dk/console.h"
#include "dk/host_factory.h"
#include "dk/run.h"
#include "errors_reported.h"

namespace {

constexpr uint64_t kComputeIterations = 400'000'000;
constexpr uint64_t kMemoryIterations = 60'000'000;

double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::vector<uint8_t> read_guest(const std::string& name) {
  std::ifstream in(std::string(DK_GUEST_DIR) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing guest image " + name);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

uint64_t iterations_from_env(const char* var, uint64_t fallback) {
  const char* v = std::getenv(var);
  if (v == nullptr || *v == 0) return fallback;
  char* end = nullptr;
  const unsigned long long n = std::strtoull(v, &end, 10);
  if (*end != 0 || n == 0) throw std::runtime_error(std::string(var) + ": not a positive count");
  return n;
}

// The 8 bytes after the "DkBenchN" marker are the loop's iteration count.
void patch_iterations(std::vector<uint8_t>& image, uint64_t n) {
  static const char kMarker[] = "DkBenchN";
  auto it = std::search(image.begin(), image.end(), kMarker, kMarker + 8);
  if (it == image.end() || image.end() - it < 16)
    throw std::runtime_error("guest image has no iteration count marker");
  std::memcpy(&*(it + 8), &n, 8);
}

// ---- the bare runner ----

struct BareRun {
  bool exited = false;
  int64_t code = 0;
};

void bare_syscall(uc_engine* uc, void* p) {
  auto* run = static_cast<BareRun*>(p);
  uint64_t rax = 0;
  uc_reg_read(uc, UC_X86_REG_RAX, &rax);
  if (rax == 0xD012) {  // DkProcessExit
    uint64_t code = 0;
    uc_reg_read(uc, UC_X86_REG_RDI, &code);
    run->exited = true;
    run->code = static_cast<int64_t>(code);
    uc_emu_stop(uc);
    return;
  }
  rax = 0;
  uc_reg_write(uc, UC_X86_REG_RAX, &rax);
}

void bare_check(uc_err err, const char* what) {
  if (err != UC_ERR_OK) throw std::runtime_error(std::string("bare: ") + what + ": " + uc_strerror(err));
}

// Runs `image` on a fresh engine from uc_open to DkProcessExit; returns the exit code.
int64_t run_bare(const std::vector<uint8_t>& image) {
  constexpr uint64_t kPage = 4096;
  constexpr uint64_t kStackTop = 0x7ff000000000ull, kStackSize = 1 << 20;
  constexpr uint64_t kBootInfo = kStackTop;  // one page above the stack: a zeroed dk_boot_info
  if (image.size() < sizeof(Elf64_Ehdr)) throw std::runtime_error("bare: short image");
  Elf64_Ehdr eh;
  std::memcpy(&eh, image.data(), sizeof eh);
  uc_engine* uc = nullptr;
  bare_check(uc_open(UC_ARCH_X86, UC_MODE_64, &uc), "uc_open");
  struct Closer {
    uc_engine* uc;
    ~Closer() { uc_close(uc); }
  } closer{uc};
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    const uint64_t off = eh.e_phoff + static_cast<uint64_t>(i) * eh.e_phentsize;
    if (off + sizeof ph > image.size()) throw std::runtime_error("bare: bad program header");
    std::memcpy(&ph, image.data() + off, sizeof ph);
    if (ph.p_type != PT_LOAD || ph.p_memsz == 0) continue;
    const uint64_t lo = ph.p_vaddr & ~(kPage - 1);
    const uint64_t hi = (ph.p_vaddr + ph.p_memsz + kPage - 1) & ~(kPage - 1);
    uint32_t prot = 0;
    if (ph.p_flags & PF_R) prot |= UC_PROT_READ;
    if (ph.p_flags & PF_W) prot |= UC_PROT_WRITE;
    if (ph.p_flags & PF_X) prot |= UC_PROT_EXEC;
    bare_check(uc_mem_map(uc, lo, hi - lo, prot), "map segment");
    if (ph.p_filesz) {
      if (ph.p_offset + ph.p_filesz > image.size()) throw std::runtime_error("bare: bad segment");
      bare_check(uc_mem_write(uc, ph.p_vaddr, image.data() + ph.p_offset, ph.p_filesz), "write segment");
    }
  }
  bare_check(uc_mem_map(uc, kStackTop - kStackSize, kStackSize + kPage, UC_PROT_READ | UC_PROT_WRITE),
             "map stack");
  const uint32_t abi[2] = {1, 0};
  bare_check(uc_mem_write(uc, kBootInfo, abi, sizeof abi), "boot info");
  uint64_t rsp = kStackTop - 8, rdi = kBootInfo;  // entered as if called: [rsp] = 0
  bare_check(uc_reg_write(uc, UC_X86_REG_RSP, &rsp), "rsp");
  bare_check(uc_reg_write(uc, UC_X86_REG_RDI, &rdi), "rdi");
  BareRun run;
  uc_hook h;
  bare_check(uc_hook_add(uc, &h, UC_HOOK_INSN, reinterpret_cast<void*>(&bare_syscall), &run, 1, 0,
                         UC_X86_INS_SYSCALL),
             "syscall hook");
  const uc_err err = uc_emu_start(uc, eh.e_entry, 0, 0, 0);
  if (err != UC_ERR_OK || !run.exited)
    throw std::runtime_error(std::string("bare: the guest did not exit: ") + uc_strerror(err));
  return run.code;
}

// ---- dk ----

int64_t run_dk(dk::HostKind kind, const std::vector<uint8_t>& image, const char* name) {
  dk::CapturedConsole console;
  dk::HostLaunch l;
  l.kind = kind;
  l.seed = 1;
  l.console = &console;
  dk::LaunchedHost built = dk::make_host(l);
  dk::LaunchSpec spec;
  spec.image = image;
  spec.name = name;
  spec.args = {name};
  const dk::RunResult r = dk::run_picoprocess(*built.host, spec);
  if (r.end != dk::RunResult::End::Exited)
    throw std::runtime_error(std::string(name) + " on the " + std::string(dk::host_kind_name(kind)) +
                             " host did not exit: " + r.reason);
  return r.exit_code;
}

template <typename F>
double timed_ms(F&& f) {
  const double t0 = cpu_now();
  f();
  return (cpu_now() - t0) * 1e3;
}

void BM_Emulation(benchmark::State& state) {
  const int which = static_cast<int>(state.range(0));
  static const char* const kImages[] = {"bench_emulation_compute", "bench_emulation_memory",
                                        "bench_emulation_hello"};
  std::vector<uint8_t> image = read_guest(kImages[which]);
  if (which == 0) patch_iterations(image, iterations_from_env("DK_BENCH_COMPUTE_ITERATIONS", kComputeIterations));
  if (which == 1) patch_iterations(image, iterations_from_env("DK_BENCH_MEMORY_ITERATIONS", kMemoryIterations));
  const char* name = kImages[which];
  double bare = 1e300, sim = 1e300, native = 1e300;
  for (auto _ : state) {
    int64_t codes[3] = {};
    bare = std::min(bare, timed_ms([&] { codes[0] = run_bare(image); }));
    sim = std::min(sim, timed_ms([&] { codes[1] = run_dk(dk::HostKind::Sim, image, name); }));
    native = std::min(native, timed_ms([&] { codes[2] = run_dk(dk::HostKind::Native, image, name); }));
    // The exit code is the low byte of the loop's result: the three ran the same work.
    if (codes[0] != codes[1] || codes[0] != codes[2]) {
      state.SkipWithError("bare, sim and native runs exited with different codes");
      return;
    }
  }
  state.counters["bare_ms"] = bare;
  state.counters["sim_ms"] = sim;
  state.counters["native_ms"] = native;
  state.counters["sim_to_bare"] = sim / bare;
  state.counters["native_to_bare"] = native / bare;
}
DK_BENCHMARK(BM_Emulation)->ArgName("workload")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->Iterations(2);
// hello takes a few ms: more iterations for the same steadiness.
DK_BENCHMARK(BM_Emulation)->ArgName("workload")->Arg(2)->Unit(benchmark::kMillisecond)->Iterations(30);

}  // namespace
