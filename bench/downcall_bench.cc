// The null downcall: a guest loop of DkSemaphorePeek through the whole path (syscall hook,
// dispatcher, SimHost), next to a bare Unicorn syscall hook that only writes rax, in one run.
#include <benchmark/benchmark.h>
#include <time.h>
#include <unicorn/unicorn.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <stdexcept>

#include "dk/address_space.h"
#include "dk/engine.h"
#include "dk/run.h"
#include "dk/host_factory.h"
#include "errors_reported.h"

namespace {

std::vector<uint8_t> read_guest(const char* name) {
  std::ifstream in(std::string(DK_GUEST_DIR) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("missing guest image ") + name);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Thread CPU time: the guest runs on this thread, and CPU time is far less disturbed than
// wall time by other work on a small machine.
double cpu_now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double run_seconds(const std::vector<uint8_t>& image) {
  dk::LaunchedHost built = dk::make_host(dk::HostLaunch{});
  dk::Host& host = *built.host;
  dk::LaunchSpec spec;
  spec.image = image;
  spec.name = "null_loop";
  spec.args = {"null_loop"};
  const double t0 = cpu_now();
  dk::RunResult r = dk::run_picoprocess(host, spec);
  const double t1 = cpu_now();
  if (r.end != dk::RunResult::End::Exited)
    throw std::runtime_error("null loop did not exit: " + r.reason);
  return t1 - t0;
}

constexpr double kCalls = 1000000;

// The same loop shape on a bare engine: mov eax, N; syscall; dec r12; jnz; with a hook
// that only writes rax.
class BareLoop {
 public:
  BareLoop() {
    const uint8_t code[] = {0xb8, 0x0b, 0xd0, 0x00, 0x00,  // mov eax, 0xd00b
                            0x0f, 0x05,                    // syscall
                            0x49, 0xff, 0xcc,              // dec r12
                            0x75, 0xf4};                   // jnz -12
    if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc_) != UC_ERR_OK) throw std::runtime_error("uc_open");
    uc_mem_map(uc_, kBase, 0x1000, UC_PROT_ALL);
    uc_mem_write(uc_, kBase, code, sizeof code);
    end_ = kBase + sizeof code;
    uc_hook h;
    uc_hook_add(uc_, &h, UC_HOOK_INSN, reinterpret_cast<void*>(bare_hook), nullptr, 1, 0,
                UC_X86_INS_SYSCALL);
  }
  ~BareLoop() { uc_close(uc_); }
  // Seconds per call over kCalls calls.
  double per_call() {
    uint64_t n = static_cast<uint64_t>(kCalls);
    uc_reg_write(uc_, UC_X86_REG_R12, &n);
    const double t0 = cpu_now();
    uc_emu_start(uc_, kBase, end_, 0, 0);
    return (cpu_now() - t0) / kCalls;
  }

 private:
  static void bare_hook(uc_engine* uc, void*) {
    uint64_t zero = 0;
    uc_reg_write(uc, UC_X86_REG_RAX, &zero);
  }
  static constexpr uint64_t kBase = 0x10000;
  uc_engine* uc_ = nullptr;
  uint64_t end_ = 0;
};

void BM_BareUnicornSyscallHook(benchmark::State& state) {
  BareLoop bare;
  double total = 0;
  for (auto _ : state) {
    const double per_call = bare.per_call();
    state.SetIterationTime(per_call);
    total += per_call;
  }
  state.counters["ns_per_call"] = total / static_cast<double>(state.iterations()) * 1e9;
}
DK_BENCHMARK(BM_BareUnicornSyscallHook)
    ->UseManualTime()
    ->Unit(benchmark::kNanosecond)
    ->Iterations(5);

// One call into Unicorn's register API on an idle engine, alone in a tight loop: what each
// register transfer cost a downcall before the hook read and wrote registers in place
// (dk/direct_regs.h). Arg 0: write rcx, 1: read rax, 2: read rflags.
void BM_UnicornRegisterApi(benchmark::State& state) {
  uc_engine* uc = nullptr;
  if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK) {
    state.SkipWithError("uc_open failed");
    return;
  }
  const int which = static_cast<int>(state.range(0));
  const int reg = which == 0 ? UC_X86_REG_RCX : which == 1 ? UC_X86_REG_RAX : UC_X86_REG_EFLAGS;
  uint64_t v = 0x1234;
  for (auto _ : state) {
    if (which == 0)
      uc_reg_write(uc, reg, &v);
    else
      uc_reg_read(uc, reg, &v);
    benchmark::DoNotOptimize(v);
  }
  uc_close(uc);
  state.SetLabel(which == 0 ? "write rcx" : which == 1 ? "read rax" : "read rflags");
}
DK_BENCHMARK(BM_UnicornRegisterApi)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kNanosecond);

// Per call: (time of 1M calls - time of 0 calls) / 1M, so start-up is not counted. Each
// iteration also runs the bare hook's loop right before, and `ratio_to_bare` is the median of
// the iterations' ratios: two measurements taken back to back, so the machine's drift from
// one moment to the next (10-25% on this kind of machine) does not enter the ratio.
void BM_NullDowncall(benchmark::State& state) {
  auto loop = read_guest("bench_null_loop_1000000");
  auto empty = read_guest("bench_null_loop_0");
  BareLoop bare;
  double total = 0;
  std::vector<double> ratios;
  for (auto _ : state) {
    const double bare_call = bare.per_call();
    double with = run_seconds(loop);
    double without = run_seconds(empty);
    double per_call = (with - without) / kCalls;
    state.SetIterationTime(per_call);
    total += per_call;
    ratios.push_back(per_call / bare_call);
  }
  std::sort(ratios.begin(), ratios.end());
  state.counters["ns_per_call"] = total / static_cast<double>(state.iterations()) * 1e9;
  state.counters["ratio_to_bare"] = ratios[ratios.size() / 2];
}
DK_BENCHMARK(BM_NullDowncall)->UseManualTime()->Unit(benchmark::kNanosecond)->Iterations(5);

// The floor under a downcall that the emulator alone sets: the same loop as the bare hook on
// a real Engine (CPL 3, the tick/preemption block hook, the virtual TLB and I/O workarounds)
// whose client answers every call with 0 at once. The engine still reads rax, rip, rflags and
// the argument registers and writes rax, rcx and r11, as the ABI requires; no dispatcher and
// no host run. NullDowncall minus this is what the picoprocess, dispatcher and host cost.
class ZeroClient : public dk::EngineClient {
 public:
  dk_status_t on_downcall(const dk::TrapRegs&, uint64_t) override { return 0; }
  uint64_t on_rdtsc() override { return 0; }
};

void BM_EngineHookFloor(benchmark::State& state) {
  const uint8_t code[] = {0xb8, 0x0b, 0xd0, 0x00, 0x00,  // mov eax, 0xd00b (DkSemaphorePeek)
                          0x0f, 0x05,                    // syscall
                          0x49, 0xff, 0xcc,              // dec r12
                          0x75, 0xf4,                    // jnz -12
                          0x0f, 0x0b};                   // ud2: the end
  dk::AddressSpace as;
  uint64_t base = 0x10000;
  if (as.allocate(base, DK_PAGE_SIZE, DK_ALLOC_COMMIT, DK_PROT_READ | DK_PROT_EXEC) != 0 ||
      !as.poke(base, code, sizeof code))
    throw std::runtime_error("floor: code page");
  dk::Engine engine;
  ZeroClient client;
  as.attach(engine.uc());
  engine.bind(&as, &client);
  double total = 0;
  for (auto _ : state) {
    dk_context ctx{};
    ctx.rip = base;
    ctx.rflags = 0x202;
    ctx.r12 = static_cast<uint64_t>(kCalls);
    const uint16_t fcw = 0x037f;
    const uint32_t mxcsr = 0x1f80;
    std::memcpy(ctx.fxsave + 0, &fcw, 2);
    std::memcpy(ctx.fxsave + 24, &mxcsr, 4);
    engine.write_context(ctx);
    const double t0 = cpu_now();
    dk::EngineStop stop = engine.run();
    const double t1 = cpu_now();
    if (stop.kind != dk::EngineStop::Kind::Exception || stop.type != DK_EXCEPTION_ILLEGAL)
      throw std::runtime_error("floor: the loop did not end on its ud2");
    state.SetIterationTime((t1 - t0) / kCalls);
    total += (t1 - t0) / kCalls;
  }
  state.counters["ns_per_call"] = total / static_cast<double>(state.iterations()) * 1e9;
  // 1 when the syscall hook reads and writes registers in place (dk/direct_regs.h), 0 on the
  // register API (DK_ENGINE_REGISTERS=api, or a Unicorn whose layout was not recognised).
  state.counters["direct_registers"] = engine.direct_registers() ? 1 : 0;
  engine.bind(nullptr, nullptr);
  as.attach(nullptr);
}
DK_BENCHMARK(BM_EngineHookFloor)->UseManualTime()->Unit(benchmark::kNanosecond)->Iterations(5);

}  // namespace
