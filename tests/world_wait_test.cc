// Wait queues in the world (dk/world.h): on the simulated host, a parked thread runs again
// only when a change it waits for names it (GuestControl::wake), its deadline passes,
// DkThreadResume wakes it, or an exit happens while it waits on a stream, a thread or a
// process. Idle neighbours are never retried by a busy picoprocess's downcalls, and a world
// of thousands of picoprocesses runs the same, tick for tick, run after run. The guest is
// bench/guest/bench_guest.c (its `neighbours N M` workload: N idle children parked reading
// their streams, then M downcalls of the parent).
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dk/host_factory.h"
#include "dk/run.h"
#include "dk/world.h"

namespace dk {
namespace {

std::vector<uint8_t> bench_guest() {
  std::ifstream in(std::string(DK_GUEST_DIR) + "/bench_guest", std::ios::binary);
  EXPECT_TRUE(in) << "bench_guest";
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class Quiet : public Console {
 public:
  std::string out;
  void write(int fd, const uint8_t* data, size_t n) override {
    if (fd == 1) out.append(reinterpret_cast<const char*>(data), n);
  }
  size_t read(uint8_t*, size_t) override { return 0; }
};

struct Outcome {
  std::vector<uint64_t> figures;  // every picoprocess's ticks, clock, end and exit code
  uint64_t world_ticks = 0;
  World::Stats stats;
  std::vector<uint64_t> child_retries;  // by child, pid 2 onwards
  uint64_t parent_retries = 0;
  std::string out;
};

// bench_guest neighbours N M in one world on a fresh simulated host (seed 1).
Outcome run_neighbours(uint64_t n, uint64_t m) {
  Quiet console;
  HostLaunch l;
  l.seed = 1;
  l.image = bench_guest();
  l.name = "bench_guest";
  l.console = &console;
  LaunchedHost built = make_host(l);
  RunOptions opts;
  opts.max_ticks = 2'000'000'000;
  World world(*built.host, opts);
  LaunchSpec spec;
  spec.image = l.image;
  spec.name = "bench_guest";
  spec.args = {"bench_guest", "neighbours", std::to_string(n), std::to_string(m)};
  const uint32_t pid = world.add(spec);
  world.run();
  Outcome o;
  const RunResult& r = world.result(pid);
  EXPECT_EQ(r.end, RunResult::End::Exited) << r.reason;
  EXPECT_EQ(r.exit_code, 0) << console.out;
  for (uint32_t p = 1; p <= world.size(); ++p) {
    const RunResult& x = world.result(p);
    o.figures.insert(o.figures.end(), {x.ticks, x.clock_ns, static_cast<uint64_t>(x.end),
                                       static_cast<uint64_t>(x.exit_code), x.downcalls});
    if (p > pid) o.child_retries.push_back(world.retries(p, 1));
  }
  o.world_ticks = world.ticks();
  o.stats = world.stats();
  o.parent_retries = world.retries(pid, 1);
  o.out = console.out;
  return o;
}

// The parent's M downcalls change nothing its children wait on: no child runs again until
// the parent closes its stream (one wake-up each), however many calls the parent makes.
TEST(WorldWaitQueues, IdleNeighboursAreNotRetriedByUnrelatedDowncalls) {
  for (uint64_t calls : {10u, 2000u}) {
    SCOPED_TRACE(calls);
    const Outcome o = run_neighbours(8, calls);
    EXPECT_EQ(o.out, "go\ndone\n");
    ASSERT_EQ(o.child_retries.size(), 8u);
    for (uint64_t r : o.child_retries) EXPECT_EQ(r, 1u);
    // The parent parked once per child, waiting for its "up" byte, and was woken by it.
    EXPECT_EQ(o.parent_retries, 8u);
    EXPECT_EQ(o.stats.retries, 16u);
    EXPECT_EQ(o.stats.wakes, 16u);
  }
}

// Only the waiter of the event that was set is woken: the main thread sets eight events
// one at a time and lets the others run after each; every waiter runs again exactly once,
// when its own event is set, however many events change before or after.
TEST(WorldWaitQueues, AWakeUpReachesOnlyTheWaitersOfTheObjectThatChanged) {
  Quiet console;
  HostLaunch l;
  l.seed = 1;
  l.image = bench_guest();
  l.name = "bench_guest";
  l.console = &console;
  LaunchedHost built = make_host(l);
  World world(*built.host);
  LaunchSpec spec;
  spec.image = l.image;
  spec.name = "bench_guest";
  spec.args = {"bench_guest", "fanout", "8"};
  const uint32_t pid = world.add(spec);
  world.run();
  ASSERT_EQ(world.result(pid).end, RunResult::End::Exited) << world.result(pid).reason;
  EXPECT_EQ(world.result(pid).exit_code, 0) << console.out;
  EXPECT_EQ(console.out, "fanned\n");
  for (uint32_t tid = 2; tid <= 9; ++tid) EXPECT_EQ(world.retries(pid, tid), 1u) << "thread " << tid;
  // The main thread waits for each thread's exit: retried at exits only.
  EXPECT_LE(world.retries(pid, 1), 8u);
}

// Thousands of idle picoprocesses: two runs give the same ticks, clocks, endings and retries.
TEST(WorldWaitQueues, AWorldOfThousandsOfPicoprocessesIsDeterministic) {
  const Outcome a = run_neighbours(2000, 100);
  const Outcome b = run_neighbours(2000, 100);
  EXPECT_EQ(a.figures.size(), 2001u * 5);
  EXPECT_EQ(a.figures, b.figures);
  EXPECT_EQ(a.world_ticks, b.world_ticks);
  EXPECT_EQ(a.stats.retries, b.stats.retries);
  EXPECT_EQ(a.stats.thread_retries, b.stats.thread_retries);
  EXPECT_EQ(a.stats.process_switches, b.stats.process_switches);
  EXPECT_EQ(a.child_retries, std::vector<uint64_t>(2000, 1));
}

}  // namespace
}  // namespace dk
