// The world: threads, the deterministic scheduler, blocking with retry, the world clock,
// deadlock, exits, exceptions on threads and child picoprocesses. The guest is
// tests/guest/world_guest.c; the host below implements only what those cases need, through
// the GuestControl contract of dk/host.h (kBlocked, block(), wait_deadline(), take_interrupt()).
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dk/abi.h"
#include "dk/host.h"
#include "dk/run.h"
#include "dk/world.h"

namespace dk {
namespace {

std::vector<uint8_t> image(const char* name) {
  std::ifstream f(std::string(DK_GUEST_DIR) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}

struct TestEvent : HostObject {
  TestEvent() : HostObject(ObjectKind::NotificationEvent) {}
  bool set = false;
};
struct TestStream : HostObject {
  TestStream() : HostObject(ObjectKind::Stream) {}
};

class WorldHost : public Host {
 public:
  std::string_view name() const override { return "world-test"; }
  uint64_t cycle_counter(const CallContext& cx) override { return cx.now_ns; }

  // Memory, exit and exception return: the Host defaults, through GuestControl.
  dk_status_t DkDebugOutput(CallContext& cx, Call& c) override {
    out.push_back({cx.pid, cx.thread, std::string(c.in_bytes.begin(), c.in_bytes.end())});
    if (interrupt_on_ready && out.back().bytes == "ready") interrupt_on_ready->store(true);
    return 0;
  }
  std::atomic<bool>* interrupt_on_ready = nullptr;
  dk_status_t DkStreamOpen(CallContext&, Call& c) override {
    c.set_out(5, 0x100);
    return 0;
  }
  dk_status_t DkSystemTimeQuery(CallContext& cx, Call& c) override {
    c.set_out(0, cx.now_ns);
    return 0;
  }

  // Threads.
  dk_status_t DkThreadCreate(CallContext& cx, Call& c) override {
    std::shared_ptr<ThreadObject> t;
    dk_status_t st = cx.ctl.thread_create(c.arg(0), c.arg(1), t);
    if (st) return st;
    c.set_out(2, cx.handles.insert(t));
    return 0;
  }
  dk_status_t DkThreadYieldExecution(CallContext& cx, Call&) override {
    cx.ctl.yield();
    return 0;
  }
  dk_status_t DkThreadDelayExecution(CallContext& cx, Call& c) override {
    uint64_t deadline = cx.ctl.wait_deadline();
    if (deadline == kNoDeadline)
      deadline = c.arg(0) > kNoDeadline - 1 - cx.now_ns ? kNoDeadline - 1 : cx.now_ns + c.arg(0);
    if (cx.ctl.take_interrupt()) {
      c.set_out(0, deadline > cx.now_ns ? deadline - cx.now_ns : 0);
      return -DK_E_INTERRUPTED;
    }
    if (cx.now_ns >= deadline) return 0;
    cx.ctl.block(deadline);
    if (interrupt_on_park) interrupt_on_park->store(true), interrupt_on_park = nullptr;
    return kBlocked;
  }
  std::atomic<bool>* interrupt_on_park = nullptr;  // set once, when a sleep first parks
  dk_status_t DkThreadResume(CallContext& cx, Call& c) override {
    std::shared_ptr<ThreadObject> t;
    if (dk_status_t st = cx.handles.get_as(c.arg(0), ObjectKind::Thread, t)) return st;
    return cx.ctl.thread_resume(*t);
  }

  // A notification event and a wait over events, threads and processes.
  dk_status_t DkNotificationEventCreate(CallContext& cx, Call& c) override {
    auto e = std::make_shared<TestEvent>();
    e->set = c.arg(0) != 0;
    c.set_out(1, cx.handles.insert(e));
    return 0;
  }
  dk_status_t DkEventSet(CallContext& cx, Call& c) override {
    std::shared_ptr<TestEvent> e;
    if (dk_status_t st = cx.handles.get_as(c.arg(0), ObjectKind::NotificationEvent, e)) return st;
    e->set = true;
    return 0;
  }
  dk_status_t DkObjectsWaitAny(CallContext& cx, Call& c) override {
    ++waits;
    for (size_t i = 0; i < c.handles.size(); ++i) {
      auto obj = cx.handles.get(c.handles[i]);
      if (!obj) return -DK_E_BADHANDLE;
      bool ready = false;
      switch (obj->kind()) {
        case ObjectKind::NotificationEvent:
          ready = static_cast<TestEvent&>(*obj).set;
          break;
        case ObjectKind::Thread:
          ready = static_cast<ThreadObject&>(*obj).exited;
          break;
        case ObjectKind::Process:
          ready = static_cast<ProcessObject&>(*obj).exited;
          break;
        default:
          return -DK_E_WRONGTYPE;
      }
      if (ready) {
        c.set_out(3, i);
        return 0;
      }
    }
    if (cx.ctl.take_interrupt()) return -DK_E_INTERRUPTED;
    uint64_t deadline = cx.ctl.wait_deadline();
    if (deadline == kNoDeadline && c.arg(2) != ~0ull) deadline = cx.now_ns + c.arg(2);
    if (cx.now_ns >= deadline) return -DK_E_TIMEOUT;
    ++blocked;
    cx.ctl.block(deadline);
    return kBlocked;
  }

  // Children: "self:" is this test image, "emu:" the emulator tests' image.
  dk_status_t DkProcessCreate(CallContext& cx, Call& c) override {
    ChildSpec spec;
    spec.image = image(c.uri == "emu:" ? "emu_guest" : "world_guest");
    spec.name = "child";
    std::string arg;
    for (uint8_t b : c.in_bytes) {
      if (b == 0) {
        spec.args.push_back(arg);
        arg.clear();
      } else {
        arg.push_back(static_cast<char>(b));
      }
    }
    spec.parent_end = std::make_shared<TestStream>();
    std::shared_ptr<ProcessObject> p;
    if (dk_status_t st = cx.ctl.process_create(std::move(spec), p)) return st;
    c.set_out(3, cx.handles.insert(p));
    c.set_out(4, cx.handles.insert(std::make_shared<TestStream>()));
    return 0;
  }
  dk_status_t DkProcessExitCodeQuery(CallContext& cx, Call& c) override {
    std::shared_ptr<ProcessObject> p;
    if (dk_status_t st = cx.handles.get_as(c.arg(0), ObjectKind::Process, p)) return st;
    if (!p->exited) return -DK_E_BUSY;
    c.set_out(1, static_cast<uint64_t>(p->exit_code));
    return 0;
  }

  struct Output {
    uint32_t pid, tid;
    std::string bytes;
  };
  std::vector<Output> out;
  uint64_t waits = 0, blocked = 0;
};

uint64_t u64(const std::string& s) {
  uint64_t v = 0;
  EXPECT_EQ(s.size(), 8u);
  std::memcpy(&v, s.data(), std::min<size_t>(8, s.size()));
  return v;
}

struct WorldRun {
  WorldHost host;
  RunResult res;
  World::Stats stats;
  std::vector<RunResult> all;
  explicit WorldRun(const std::string& which, uint64_t quantum = 10000,
                    uint64_t max_ticks = 20'000'000) {
    RunOptions opts;
    opts.quantum = quantum;
    opts.max_ticks = max_ticks;
    World world(host, opts);
    LaunchSpec spec;
    spec.image = image("world_guest");
    spec.name = "world";
    spec.args = {"world_guest", which};
    const uint32_t pid = world.add(spec);
    world.run();
    res = world.result(pid);
    for (uint32_t p = 1; p <= world.size(); ++p) all.push_back(world.result(p));
    stats = world.stats();
  }
  std::vector<std::string> outputs(uint32_t pid = 1) const {
    std::vector<std::string> v;
    for (const auto& o : host.out)
      if (o.pid == pid) v.push_back(o.bytes);
    return v;
  }
};

// ---- threads and preemption ----

TEST(WorldThreads, BusyThreadsInterleaveByQuantum) {
  WorldRun small("busy", 300), large("busy", 2000), small2("busy", 300);
  ASSERT_EQ(small.res.end, RunResult::End::Exited) << small.res.reason;
  ASSERT_EQ(large.res.end, RunResult::End::Exited) << large.res.reason;
  const std::string a = small.outputs().at(0), b = large.outputs().at(0);
  ASSERT_EQ(a.size(), 240u);
  ASSERT_EQ(b.size(), 240u);
  EXPECT_GT(std::count(a.begin(), a.end(), '1'), 0);
  auto runs = [](const std::string& s) {
    size_t n = 1;
    for (size_t i = 1; i < s.size(); ++i) n += s[i] != s[i - 1];
    return n;
  };
  EXPECT_GT(runs(a), 4u) << a;
  EXPECT_GT(runs(b), 2u) << b;
  EXPECT_GT(runs(a), runs(b)) << a << "\n" << b;  // a smaller quantum switches more often
  EXPECT_NE(a, b);
  // The same quantum gives the same interleaving and the same tick count.
  EXPECT_EQ(a, small2.outputs().at(0));
  EXPECT_EQ(small.res.ticks, small2.res.ticks);
}

TEST(WorldThreads, ThreadEntryState) {
  WorldRun r("thread_entry");
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  EXPECT_EQ(r.res.exit_code, 7);
  auto o = r.outputs();
  ASSERT_EQ(o.size(), 3u);
  const uint64_t top = u64(o[0]), arg = u64(o[1]);
  uint64_t regs[8];
  ASSERT_EQ(o[2].size(), sizeof regs);
  std::memcpy(regs, o[2].data(), sizeof regs);
  EXPECT_EQ(regs[0], (top & ~15ull) - 8);  // rsp
  EXPECT_EQ(regs[0] % 16, 8u);
  EXPECT_EQ(regs[1], 0u);   // [rsp]: returning is DkThreadExit
  EXPECT_EQ(regs[2], arg);  // rdi
  EXPECT_EQ(regs[3], 0u);   // rbx
  EXPECT_EQ(regs[4], 0u);   // rsi
  EXPECT_EQ(regs[5], 0u);   // r15
  EXPECT_EQ(regs[6] & 0xffff, 0x037fu);
  EXPECT_EQ(regs[7] & 0xffffffff, 0x1f80u);
}

TEST(WorldThreads, YieldAlternates) {
  WorldRun r("yield");
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  EXPECT_EQ(r.outputs().at(0), "121212");
}

TEST(WorldThreads, ThreadExitAndLastThreadEndsPicoprocess) {
  WorldRun r("thread_exit");
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  EXPECT_EQ(r.res.exit_code, 0);
  auto o = r.outputs();
  ASSERT_EQ(o.size(), 3u);
  EXPECT_EQ(u64(o[0]), 2u);
  EXPECT_EQ(u64(o[1]), 3u);
  EXPECT_EQ(u64(o[2]), 1u);
}

TEST(WorldThreads, MainThreadExitsFirst) {
  WorldRun r("main_exits_first");
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  EXPECT_EQ(r.res.exit_code, 0);
  auto o = r.outputs();
  ASSERT_EQ(o.size(), 1u);
  EXPECT_EQ(u64(o[0]), 2u);
}

TEST(WorldThreads, ProcessExitEndsEveryThread) {
  WorldRun r("process_exit_threads");
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  EXPECT_EQ(r.res.exit_code, 5);
}

TEST(WorldThreads, ExceptionOnSecondThread) {
  WorldRun r("thread_fault");
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  EXPECT_EQ(r.res.exit_code, 0);
  auto o = r.outputs();
  ASSERT_EQ(o.size(), 2u);  // the handler's report, then the thread carrying on
  EXPECT_EQ(u64(o[1]), 2u);
  EXPECT_EQ(r.host.out[0].tid, 2u);
}

TEST(WorldThreads, UnhandledExceptionOnSecondThreadEndsPicoprocess) {
  WorldRun r("thread_fault_unhandled");
  EXPECT_EQ(r.res.end, RunResult::End::UnhandledException) << r.res.reason;
  EXPECT_EQ(r.res.exception_type, DK_EXCEPTION_ILLEGAL);
  EXPECT_EQ(r.res.exit_code, -(128 + 2));
  EXPECT_EQ(r.res.instruction, "ud2");
}

// ---- blocking, retry, the clock ----

TEST(WorldBlocking, WaitRetriesAfterAnotherThreadsDowncall) {
  WorldRun r("block");
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  auto o = r.outputs();
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(o[0], "1 set");
  EXPECT_EQ(o[1], "2 woke");
  EXPECT_GE(r.host.blocked, 2u);  // thread 2 parked, and main parked waiting for thread 2
  EXPECT_GT(r.host.waits, r.host.blocked);
}

TEST(WorldBlocking, SleepingThreadsJumpTheClock) {
  WorldRun r("sleep");
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  auto o = r.outputs();
  ASSERT_EQ(o.size(), 1u);
  const uint64_t now = u64(o[0]);
  EXPECT_GE(now, 1'000'000'000u);
  EXPECT_LT(now, 1'010'000'000u);
  EXPECT_LT(r.res.ticks * World::kNsPerTick, 10'000'000u);  // few ticks ran
  EXPECT_GE(r.stats.clock_jumps, 1u);
  EXPECT_GE(r.res.clock_ns, now);
}

TEST(WorldBlocking, WaitTimesOut) {
  WorldRun r("timeout");
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  auto o = r.outputs();
  ASSERT_EQ(o.size(), 2u);
  EXPECT_EQ(static_cast<int64_t>(u64(o[0])), -DK_E_TIMEOUT);
  EXPECT_GE(u64(o[1]), 5'000'000u);
  EXPECT_LT(u64(o[1]), 5'100'000u);
}

TEST(WorldBlocking, ResumeInterruptsAndLeavesOnePendingWakeup) {
  WorldRun r("resume");
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  auto o = r.outputs();
  ASSERT_EQ(o.size(), 4u);
  EXPECT_EQ(static_cast<int64_t>(u64(o[0])), -DK_E_INTERRUPTED);
  EXPECT_GT(u64(o[1]), 0u);
  EXPECT_LT(u64(o[1]), 10'000'000'000u);
  EXPECT_EQ(static_cast<int64_t>(u64(o[2])), -DK_E_INTERRUPTED);  // at once
  EXPECT_EQ(u64(o[3]), 10'000'000'000u);
}

TEST(WorldBlocking, DeadlockEndsWithReport) {
  WorldRun r("deadlock");
  EXPECT_EQ(r.res.end, RunResult::End::Deadlock);
  EXPECT_EQ(r.res.shell_status(), 126);
  EXPECT_NE(r.res.reason.find("deadlock: all 2 threads of 1 picoprocess wait"), std::string::npos)
      << r.res.reason;
  EXPECT_NE(r.res.reason.find("pid 1 tid 1 in DkObjectsWaitAny at 0x"), std::string::npos)
      << r.res.reason;
  EXPECT_NE(r.res.reason.find("pid 1 tid 2 in DkObjectsWaitAny at 0x"), std::string::npos)
      << r.res.reason;
}

TEST(WorldBlocking, DeadlockAcrossPicoprocesses) {
  WorldRun r("spawn_deadlock");
  EXPECT_EQ(r.res.end, RunResult::End::Deadlock);
  ASSERT_EQ(r.all.size(), 2u);
  EXPECT_EQ(r.all[1].end, RunResult::End::Deadlock);
  EXPECT_NE(r.res.reason.find("all 2 threads of 2 picoprocesses wait"), std::string::npos)
      << r.res.reason;
  EXPECT_NE(r.res.reason.find("pid 2 tid 1 in DkObjectsWaitAny"), std::string::npos)
      << r.res.reason;
}

// Every picoprocess gets the report: it names the first 32 waiting threads and counts the
// rest, so a world of many idle picoprocesses does not hold as many copies of a list as long.
TEST(WorldBlocking, ADeadlockOfManyNamesTheFirstWaitersAndCountsTheRest) {
  WorldHost host;
  World world(host);
  LaunchSpec spec;
  spec.image = image("world_guest");
  spec.name = "world";
  spec.args = {"world_guest", "deadlock"};  // two threads each
  for (int i = 0; i < 50; ++i) world.add(spec);
  world.run();
  const std::string& reason = world.result(50).reason;
  EXPECT_EQ(world.result(50).end, RunResult::End::Deadlock);
  EXPECT_EQ(world.result(1).reason, reason);
  EXPECT_NE(reason.find("deadlock: all 100 threads of 50 picoprocesses wait"), std::string::npos)
      << reason;
  EXPECT_NE(reason.find("pid 16 tid 2 in DkObjectsWaitAny at 0x"), std::string::npos) << reason;
  EXPECT_EQ(reason.find("pid 17 tid 1 "), std::string::npos) << reason;
  EXPECT_NE(reason.find("; and 68 more"), std::string::npos) << reason;
  EXPECT_LT(reason.size(), 32u * 64u + 128u);
}

// ---- picoprocesses ----

TEST(WorldProcesses, ChildrenExitCodesAndACrashThatSparesTheParent) {
  WorldRun r("spawn");
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  EXPECT_EQ(r.res.exit_code, 0);
  auto o = r.outputs(1);
  ASSERT_EQ(o.size(), 4u);
  EXPECT_EQ(static_cast<int64_t>(u64(o[0])), -DK_E_BUSY);
  EXPECT_EQ(static_cast<int64_t>(u64(o[1])), 33);
  EXPECT_EQ(static_cast<int64_t>(u64(o[2])), -(128 + static_cast<int64_t>(DK_EXCEPTION_MEMFAULT)));
  EXPECT_EQ(static_cast<int64_t>(u64(o[3])), 42);  // another image at the same addresses
  ASSERT_EQ(r.all.size(), 4u);
  EXPECT_EQ(r.all[1].exit_code, 33);
  EXPECT_EQ(r.all[2].end, RunResult::End::UnhandledException);
  EXPECT_EQ(r.all[2].pid, 3u);
  EXPECT_EQ(r.all[3].exit_code, 42);
  // The child's boot info: a parent stream, and std handles of its own, opened on the
  // devices its parent's were bound to (the parent's were: dev:console).
  auto c = r.outputs(2);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_NE(u64(c[0]), 0u);
  EXPECT_NE(u64(c[1]), 0u);
}

TEST(WorldProcesses, ParentAndChildInterleaveEachOnAWarmEngine) {
  WorldRun r("spawn_busy", 700);
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  ASSERT_EQ(r.all.size(), 2u);
  EXPECT_EQ(r.all[1].end, RunResult::End::Exited) << r.all[1].reason;
  EXPECT_EQ(r.outputs(1).at(0).size(), 240u);
  EXPECT_EQ(r.outputs(2).at(0).size(), 240u);
  EXPECT_GT(r.stats.process_switches, 4u);
  // Each keeps its own warm engine: memory is mapped once per picoprocess, not per switch.
  EXPECT_EQ(r.stats.engines, 2u);
  EXPECT_EQ(r.stats.engine_attaches, 2u);
}

// More busy picoprocesses than warm engines: the least recently run one gives its engine
// up, and the run is the same as ever (ticks, outputs), run after run.
TEST(WorldProcesses, MorePicoprocessesThanEnginesTakeTurns) {
  constexpr size_t kProcs = World::kMaxEngines + 2;
  std::vector<std::string> first_out;
  std::vector<uint64_t> first_ticks;
  for (int run = 0; run < 2; ++run) {
    RunOptions opts;
    opts.quantum = 500;
    opts.max_ticks = 20'000'000;
    WorldHost host;
    World world(host, opts);
    LaunchSpec spec;
    spec.image = image("world_guest");
    spec.name = "world";
    spec.args = {"world_guest", "busy"};
    for (size_t i = 0; i < kProcs; ++i) world.add(spec);
    world.run();
    std::vector<uint64_t> ticks;
    for (uint32_t p = 1; p <= kProcs; ++p) {
      ASSERT_EQ(world.result(p).end, RunResult::End::Exited) << world.result(p).reason;
      ticks.push_back(world.result(p).ticks);
    }
    std::vector<std::string> outs;
    for (const auto& o : host.out) outs.push_back(std::to_string(o.pid) + ":" + o.bytes);
    EXPECT_EQ(world.stats().engines, World::kMaxEngines);
    EXPECT_GT(world.stats().engine_attaches, kProcs);  // some gave their engine up and came back
    EXPECT_GT(world.stats().process_switches, 2 * kProcs);
    if (run == 0) {
      first_out = outs;
      first_ticks = ticks;
    } else {
      EXPECT_EQ(outs, first_out);
      EXPECT_EQ(ticks, first_ticks);
    }
  }
}

// ---- INTERRUPT (ABI.md section 6) ----

struct InterruptRun {
  WorldHost host;
  std::atomic<bool> flag{false};
  RunResult res;
  World::Stats stats;
  explicit InterruptRun(const char* which, bool on_park = false) {
    RunOptions opts;
    opts.max_ticks = 20'000'000;
    opts.interrupt = &flag;
    (on_park ? host.interrupt_on_park : host.interrupt_on_ready) = &flag;
    World world(host, opts);
    LaunchSpec spec;
    spec.image = image("world_guest");
    spec.name = "world";
    spec.args = {"world_guest", which};
    const uint32_t pid = world.add(spec);
    world.run();
    res = world.result(pid);
    stats = world.stats();
  }
  std::vector<std::string> texts() const {
    std::vector<std::string> v;
    for (const auto& o : host.out)
      if (o.bytes.size() != 8) v.push_back(o.bytes);  // the handler's raw addresses aside
    return v;
  }
};

TEST(WorldInterrupt, DeliveredWhileComputing) {
  InterruptRun r("interrupt_busy");
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  EXPECT_EQ(r.res.exit_code, 7);
  EXPECT_EQ(r.texts(), (std::vector<std::string>{"ready", "interrupt", "after"}));
  EXPECT_EQ(r.stats.interrupts, 1u);
  EXPECT_FALSE(r.flag.load());  // the world consumed it
}

TEST(WorldInterrupt, AWaitingCallRunsAgainAfterTheHandler) {
  InterruptRun r("interrupt_wait", true);  // raised while the sleep is parked
  ASSERT_EQ(r.res.end, RunResult::End::Exited) << r.res.reason;
  EXPECT_EQ(r.texts(), (std::vector<std::string>{"ready", "interrupt", "slept"}));
  // The sleep ran again from the start once the handler returned: a whole second after it.
  EXPECT_GE(r.res.clock_ns, 1'000'000'000u);
}

TEST(WorldInterrupt, UnhandledEndsWith128Plus6) {
  InterruptRun r("interrupt_unhandled");
  ASSERT_EQ(r.res.end, RunResult::End::UnhandledException) << r.res.reason;
  EXPECT_EQ(r.res.exception_type, static_cast<uint32_t>(DK_EXCEPTION_INTERRUPT));
  EXPECT_EQ(r.res.exit_code, -(128 + static_cast<int64_t>(DK_EXCEPTION_INTERRUPT)));
  EXPECT_NE(r.res.reason.find("INTERRUPT"), std::string::npos) << r.res.reason;
}

TEST(WorldInterrupt, NoFlagNoInterrupt) {
  WorldRun r("busy");
  EXPECT_EQ(r.stats.interrupts, 0u);
}

TEST(WorldDeterminism, FinalTicksIdenticalAcrossRuns) {
  for (const char* which : {"busy", "spawn_busy", "block", "spawn"}) {
    std::vector<uint64_t> first;
    std::vector<std::string> first_out;
    for (int run = 0; run < 5; ++run) {
      WorldRun r(which, 900);
      std::vector<uint64_t> ticks;
      for (const auto& x : r.all) ticks.push_back(x.ticks), ticks.push_back(x.clock_ns);
      std::vector<std::string> outs;
      for (const auto& o : r.host.out) outs.push_back(std::to_string(o.pid) + ":" + o.bytes);
      if (run == 0) {
        first = ticks;
        first_out = outs;
      } else {
        EXPECT_EQ(ticks, first) << which << " run " << run;
        EXPECT_EQ(outs, first_out) << which << " run " << run;
      }
    }
  }
}

TEST(WorldApi, ManyPicoprocessesAddedByATool) {
  RunOptions opts;
  opts.max_ticks = 20'000'000;
  WorldHost host;
  World world(host, opts);
  LaunchSpec spec;
  spec.image = image("world_guest");
  spec.name = "world";
  for (const char* which : {"busy", "thread_fault_unhandled", "yield"}) {
    spec.args = {"world_guest", which};
    world.add(spec);
  }
  EXPECT_EQ(world.size(), 3u);
  EXPECT_FALSE(world.ended(1));
  world.run();
  EXPECT_EQ(world.result(1).end, RunResult::End::Exited);
  EXPECT_EQ(world.result(2).end, RunResult::End::UnhandledException);
  EXPECT_EQ(world.result(3).end, RunResult::End::Exited);
  EXPECT_EQ(world.ticks(), world.result(1).ticks + world.result(2).ticks + world.result(3).ticks);
  EXPECT_THROW(world.result(4), std::out_of_range);
}

TEST(WorldApi, WorldTickLimitEndsEveryPicoprocess) {
  RunOptions opts;
  opts.max_world_ticks = 15'000;
  opts.quantum = 1000;
  WorldHost host;
  World world(host, opts);
  LaunchSpec spec;
  spec.image = image("world_guest");
  spec.name = "world";
  spec.args = {"world_guest", "spawn_busy"};
  world.add(spec);
  spec.args[1] = "sleep";  // its second passes only if every thread sleeps: never here
  world.add(spec);
  world.run();
  EXPECT_EQ(world.result(1).end, RunResult::End::TickLimit) << world.result(1).reason;
  EXPECT_NE(world.result(1).reason.find("world tick limit (15000)"), std::string::npos);
  EXPECT_EQ(world.result(2).end, RunResult::End::TickLimit);
  ASSERT_EQ(world.size(), 3u);  // and the child of pid 1
  EXPECT_EQ(world.result(3).end, RunResult::End::TickLimit);
  EXPECT_EQ(world.ticks(), 15'000u);
}

}  // namespace
}  // namespace dk
