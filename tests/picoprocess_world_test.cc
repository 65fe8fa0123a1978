// A picoprocess without a World: a stand-in PicoprocessWorld records what the picoprocess
// asks of its world (the narrow interface of dk/picoprocess_world.h), and a small host reads
// the world clock through the picoprocess's call context.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "dk/host.h"
#include "dk/picoprocess.h"
#include "dk/picoprocess_world.h"

namespace dk {
namespace {

class StandInWorld final : public PicoprocessWorld {
 public:
  // No engine: the clock is its jumps alone.
  void set_clock(uint64_t ns) { clock_.jump_ns = ns; }
  void refused(const CallContext&, uint32_t index, dk_status_t status) override {
    refusals.push_back({index, status});
  }
  uint64_t max_ticks_of(const Picoprocess&) const override { return 0; }
  dk_status_t resume(uint32_t pid, uint32_t tid) override {
    resumed.push_back({pid, tid});
    return resume_answer;
  }
  dk_status_t create_child(Picoprocess& parent, ChildSpec,
                           std::shared_ptr<ProcessObject>& out) override {
    parents.push_back(parent.pid());
    out = std::make_shared<ProcessObject>();
    out->pid = parent.pid() + 1;
    return 0;
  }

  dk_status_t resume_answer = 0;
  std::vector<std::pair<uint32_t, dk_status_t>> refusals;
  std::vector<std::pair<uint32_t, uint32_t>> resumed;
  std::vector<uint32_t> parents;
};

// Serves nothing; its clock is the call context's (the world clock), shifted.
class ClockHost : public Host {
 public:
  std::string_view name() const override { return "clock-test"; }
  uint64_t cycle_counter(const CallContext& cx) override { return cx.now_ns; }
  uint64_t clock_ns(const CallContext& cx) override {
    seen_pid = cx.pid;
    return cx.now_ns + 5;
  }
  uint32_t seen_pid = 0;
};

TEST(PicoprocessWorld, HostClockReadsTheWorldClock) {
  StandInWorld world;
  ClockHost host;
  Picoprocess p(world, host, 7);
  world.set_clock(1000);
  EXPECT_EQ(p.host_clock_ns(), 1005u);
  world.set_clock(2500);
  EXPECT_EQ(p.host_clock_ns(), 2505u);
  EXPECT_EQ(host.seen_pid, 7u);
}

TEST(PicoprocessWorld, ThreadResumeAsksTheWorldByPidAndTid) {
  StandInWorld world;
  ClockHost host;
  Picoprocess p(world, host, 3);
  ThreadObject t;
  t.pid = 4;
  t.tid = 2;
  world.resume_answer = -DK_E_INVAL;
  EXPECT_EQ(p.thread_resume(t), -DK_E_INVAL);
  ASSERT_EQ(world.resumed.size(), 1u);
  EXPECT_EQ(world.resumed[0], std::make_pair(4u, 2u));
}

TEST(PicoprocessWorld, ProcessCreateAsksTheWorldForAChild) {
  StandInWorld world;
  ClockHost host;
  Picoprocess p(world, host, 5);
  std::shared_ptr<ProcessObject> child;
  EXPECT_EQ(p.process_create(ChildSpec{}, child), 0);
  ASSERT_TRUE(child);
  EXPECT_EQ(child->pid, 6u);
  EXPECT_EQ(world.parents, std::vector<uint32_t>{5});
}

TEST(PicoprocessWorld, LastThreadExitTellsTheWorldAndEndsThePicoprocess) {
  StandInWorld world;
  ClockHost host;
  Picoprocess p(world, host, 1);
  EXPECT_EQ(p.live_threads(), 1u);
  EXPECT_FALSE(p.ending());
  p.thread_exit();
  EXPECT_EQ(world.version(), 1u);  // parked threads of other picoprocesses retry
  EXPECT_EQ(p.live_threads(), 0u);
  ASSERT_TRUE(p.ending());
  EXPECT_EQ(p.ending()->end, RunResult::End::Exited);
  EXPECT_EQ(p.ending()->exit_code, 0);
  EXPECT_TRUE(world.refusals.empty());
}

}  // namespace
}  // namespace dk
