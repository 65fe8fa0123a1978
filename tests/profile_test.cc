// Exact counters (dk/perf/profiler.h): the figures of a simulated-host run are what the guest
// did, to the instruction, and the same on every run with the same seed. Checked against a
// hand-written loop whose instructions are known, against what the run itself reports, and
// on the examples; the refusal bookkeeping with a host that refuses on cue; the symbol reader
// on real and damaged images.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "dk/calls.h"
#include "dk/host_factory.h"
#include "dk/perf/profiler.h"
#include "dk/perf/symbols.h"
#include "dk/run.h"
#include "null_guest.h"
#include "guest_image.h"

namespace dk {
namespace {

std::vector<uint8_t> guest(const std::string& name) { return test::guest_image(name); }

class Captured : public Console {
 public:
  std::string out;
  void write(int, const uint8_t* data, size_t n) override {
    out.append(reinterpret_cast<const char*>(data), n);
  }
  size_t read(uint8_t*, size_t) override { return 0; }
};

struct Profiled {
  RunResult result;
  perf::Profile profile;
  std::string console;
};

// `image` run to its end on a fresh simulated host (seed 7), profiled as dk profile does.
Profiled profile_run(const std::vector<uint8_t>& image, const std::string& name,
                     std::vector<std::string> args = {}) {
  Captured console;
  HostLaunch l;
  l.seed = 7;
  l.image = image;
  l.name = name;
  l.console = &console;
  LaunchedHost built = make_host(l);
  perf::Profiler profiler(built.serving());
  RunOptions opts;
  opts.max_ticks = 200'000'000;
  opts.events = &profiler;
  opts.profile = &profiler;
  LaunchSpec spec;
  spec.image = image;
  spec.name = name;
  spec.args = {name};
  spec.args.insert(spec.args.end(), args.begin(), args.end());
  Profiled p;
  p.result = run_picoprocess(profiler, spec, opts);
  p.profile = profiler.profile();
  p.console = console.out;
  return p;
}

// bench/guest/emulation_loops.S with LOOP=1 and its iteration count patched: one block of
// 6 instructions before the loop, 5 per iteration, 4 after it (the last is the exit's
// syscall), all in _start.
std::vector<uint8_t> compute_loop(uint64_t iterations) {
  std::vector<uint8_t> image = guest("bench_emulation_compute");
  static const char kMarker[] = "DkBenchN";
  auto at = std::search(image.begin(), image.end(), kMarker, kMarker + 8);
  EXPECT_NE(at, image.end());
  if (at != image.end()) std::memcpy(&*(at + 8), &iterations, 8);
  return image;
}

TEST(Profile, CountsTheInstructionsOfAKnownLoopExactly) {
  for (const uint64_t n : {uint64_t{1000}, uint64_t{12345}}) {
    SCOPED_TRACE(n);
    const Profiled p = profile_run(compute_loop(n), "compute");
    ASSERT_EQ(p.result.end, RunResult::End::Exited) << p.result.reason;
    EXPECT_EQ(p.profile.instructions, 10 + 5 * n);
    EXPECT_EQ(p.profile.ticks, n + 2);
    EXPECT_EQ(p.profile.ticks, p.result.ticks);
    ASSERT_EQ(p.profile.functions.size(), 1u);
    EXPECT_EQ(p.profile.functions[0].name, "_start");
    EXPECT_EQ(p.profile.functions[0].image, "compute");
    EXPECT_EQ(p.profile.functions[0].instructions, 10 + 5 * n);
    EXPECT_EQ(p.profile.functions[0].blocks, n + 2);
    EXPECT_EQ(p.profile.downcalls, 1u);
    ASSERT_EQ(p.profile.calls.count("DkProcessExit"), 1u);
    EXPECT_EQ(p.profile.calls.at("DkProcessExit").calls, 1u);
    EXPECT_EQ(p.profile.picoprocesses, 1u);
    EXPECT_EQ(p.profile.threads, 1u);
  }
}

TEST(Profile, FiguresAgreeWithWhatTheRunReports) {
  const Profiled p = profile_run(guest("hello"), "hello");
  ASSERT_EQ(p.result.end, RunResult::End::Exited) << p.result.reason;
  const perf::Profile& f = p.profile;
  // Every call the guest made, once, however often it waited (the run counts each retry).
  EXPECT_EQ(f.downcalls + f.waits, p.result.downcalls);
  EXPECT_EQ(f.ticks, p.result.ticks);
  EXPECT_GE(f.instructions, f.ticks);  // a block holds one instruction at least
  // Everything hello printed went through its console device.
  ASSERT_EQ(f.streams.count("device"), 1u);
  EXPECT_EQ(f.streams.at("device").written_bytes, p.console.size());
  EXPECT_EQ(f.streams.at("device").writes, f.calls.at("DkStreamWrite").calls);
  // The functions share out every instruction, and main is among them.
  uint64_t sum = 0;
  bool main_seen = false;
  for (const perf::FunctionFigures& fn : f.functions) {
    sum += fn.instructions;
    main_seen |= fn.name == "main" && fn.instructions > 0;
    EXPECT_NE(fn.name, "[unknown]") << "code outside every symbol of hello";
  }
  EXPECT_EQ(sum, f.instructions);
  EXPECT_TRUE(main_seen);
  for (size_t i = 1; i < f.functions.size(); ++i)
    EXPECT_GE(f.functions[i - 1].instructions, f.functions[i].instructions);
  EXPECT_GT(f.pages_peak, 0u);
  EXPECT_GE(f.pages_peak, f.pages_committed);
}

TEST(Profile, TheSameSeedGivesTheSameFigures) {
  for (const char* name : {"counter", "pipeline"}) {
    SCOPED_TRACE(name);
    const Profiled a = profile_run(guest(name), name), b = profile_run(guest(name), name);
    ASSERT_EQ(a.result.end, RunResult::End::Exited) << a.result.reason;
    EXPECT_EQ(a.profile.json(0), b.profile.json(0));
    EXPECT_EQ(a.profile.text(0), b.profile.text(0));
  }
}

TEST(Profile, ThreadsChildrenPipesAndExceptionsAreCounted) {
  const Profiled counter = profile_run(guest("counter"), "counter");
  ASSERT_EQ(counter.result.end, RunResult::End::Exited) << counter.result.reason;
  const perf::Profile& c = counter.profile;
  EXPECT_EQ(c.threads, 1 + c.calls.at("DkThreadCreate").calls);
  EXPECT_GT(c.calls.at("DkThreadCreate").calls, 0u);
  EXPECT_GT(c.waits, 0u);  // its threads wait for each other
  EXPECT_EQ(c.downcalls + c.waits, counter.result.downcalls);
  EXPECT_GE(c.pages_peak, c.pages_committed);  // the threads' stacks come and go

  const Profiled pipeline = profile_run(guest("pipeline"), "pipeline");
  ASSERT_EQ(pipeline.result.end, RunResult::End::Exited) << pipeline.result.reason;
  const perf::Profile& p = pipeline.profile;
  EXPECT_EQ(p.picoprocesses, 2u);  // the parent and the child it creates
  EXPECT_EQ(p.calls.at("DkProcessCreate").calls, 1u);
  ASSERT_EQ(p.streams.count("pipe"), 1u);
  // Every byte written into the pipes was read out of them by the end.
  EXPECT_EQ(p.streams.at("pipe").read_bytes, p.streams.at("pipe").written_bytes);
  EXPECT_GT(p.streams.at("pipe").written_bytes, 0u);

  const Profiled fault = profile_run(guest("fault"), "fault");
  ASSERT_EQ(fault.result.end, RunResult::End::Exited) << fault.result.reason;
  ASSERT_EQ(fault.profile.exceptions.count("MEMFAULT"), 1u);
  EXPECT_EQ(fault.profile.exceptions.at("MEMFAULT"), 1u);
  EXPECT_EQ(fault.profile.calls.at("DkExceptionReturn").calls, 1u);
}

// A host that answers every call with the status it is given.
class ScriptedHost : public Host {
 public:
  dk_status_t next = 0;
  std::string_view name() const override { return "scripted"; }
  dk_status_t serve(CallContext&, Call&) override { return next; }
  uint64_t cycle_counter(const CallContext&) override { return 0; }
};

TEST(Profile, EachCallIsCountedOnceWhoeverRefusedIt) {
  ScriptedHost host;
  perf::Profiler profiler(host);
  null_guest::NoMemory mem;
  null_guest::NoControl ctl;
  HandleTable handles;
  CallContext cx{mem, ctl, handles, 1, 1, 10, 0x401000, 0};
  Call call;
  call.index = calls::DkStreamOpen;
  auto site = [&] { return EventSite{cx.tick, cx.pid, cx.thread, cx.rip}; };

  // The host refuses: one call, one refusal (the run tells the refusal to the events too).
  host.next = -DK_E_NOENT;
  profiler.serve(cx, call);
  profiler.on_refused(site(), calls::DkStreamOpen, -DK_E_NOENT);
  // The dispatcher refuses before any host sees the call.
  cx.tick = 11;
  cx.rip = 0x401010;
  profiler.on_refused(site(), calls::DkStreamOpen, -DK_E_FAULT);
  // The host answers, then its results cannot be copied out.
  cx.tick = 12;
  cx.rip = 0x401020;
  host.next = 0;
  profiler.serve(cx, call);
  profiler.on_refused(site(), calls::DkStreamOpen, -DK_E_FAULT);
  // A call that succeeds, and one that waits once before it does.
  cx.tick = 13;
  profiler.serve(cx, call);
  host.next = kBlocked;
  profiler.serve(cx, call);
  host.next = 0;
  cx.tick = 14;
  profiler.serve(cx, call);
  // The launcher's own open (no rip: before the first instruction) is not the guest's.
  cx.rip = 0;
  profiler.serve(cx, call);

  const perf::Profile p = profiler.profile();
  ASSERT_EQ(p.calls.count("DkStreamOpen"), 1u);
  EXPECT_EQ(p.calls.at("DkStreamOpen").calls, 5u);
  EXPECT_EQ(p.calls.at("DkStreamOpen").refused, 3u);
  EXPECT_EQ(p.calls.at("DkStreamOpen").waits, 1u);
  EXPECT_EQ(p.downcalls, 5u);
  EXPECT_EQ(p.waits, 1u);
  // A number past the table is counted by its number.
  cx.rip = 0x401030;
  call.index = 99;
  profiler.serve(cx, call);
  EXPECT_EQ(profiler.profile().calls.at("call 99").calls, 1u);
}

TEST(ProfileSymbols, AnImageNamesItsFunctions) {
  const perf::SymbolTable t = perf::SymbolTable::from_elf(guest("hello"));
  EXPECT_GT(t.size(), 20u);
  const perf::Symbol* none = t.find(0);
  EXPECT_EQ(none, nullptr);
  const perf::SymbolTable loop = perf::SymbolTable::from_elf(guest("bench_emulation_compute"));
  const perf::Symbol* start = loop.find(0x401000);
  ASSERT_NE(start, nullptr);
  EXPECT_EQ(start->name, "_start");
  EXPECT_EQ(loop.find(0x401010)->name, "_start");  // unsized: up to the next symbol
}

TEST(ProfileSymbols, DamagedImagesGiveWhatIsSoundAndNeverCrash) {
  const std::vector<uint8_t> image = guest("hello");
  ASSERT_GT(image.size(), 4096u);
  // Cut anywhere: the section headers and the symbols sit at the end of the file.
  for (size_t len = 0; len < image.size(); len += len < 128 ? 1 : 61) {
    const std::vector<uint8_t> cut(image.begin(), image.begin() + static_cast<long>(len));
    const perf::SymbolTable t = perf::SymbolTable::from_elf(cut);
    EXPECT_LE(t.size(), 10000u);
  }
  // Random bytes over the tail, where the tables are.
  std::mt19937_64 rng(5);
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> bad = image;
    for (int k = 0; k < 8; ++k) bad[image.size() - 1 - rng() % 4096] = static_cast<uint8_t>(rng());
    bad[rng() % 64] = static_cast<uint8_t>(rng());  // and the header
    const perf::SymbolTable t = perf::SymbolTable::from_elf(bad);
    for (uint64_t a : {uint64_t{0x401000}, uint64_t{0x402000}, ~uint64_t{0}}) (void)t.find(a);
  }
  EXPECT_EQ(perf::SymbolTable::from_elf({}).size(), 0u);
  EXPECT_EQ(perf::SymbolTable::from_elf(std::vector<uint8_t>(100, 0x7f)).size(), 0u);
}

}  // namespace
}  // namespace dk
