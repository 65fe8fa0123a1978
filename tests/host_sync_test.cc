// Threads (DkThreadCreate .. DkThreadResume) and synchronization (DkSemaphoreCreate ..
// DkObjectsWaitAny) through the real dispatcher: creation, delays with deadlines and
// wake-ups, semaphores, both kinds of events, and the semantics of DkObjectsWaitAny (lowest
// index, auto-reset, semaphore take, timeouts, interruption, a handle closed during a wait).
//
// HostSyncTest runs on both hosts: the host core serves these calls for each. SimSyncTest
// holds the tests whose deadlines are read on the simulated host's virtual clock (the test
// sets `now` and asserts the exact deadline a call parks with, or times a wait out by moving
// the clock), and the simulated host's time and system information; the native host's
// monotonic clock, time and system information are in native_files_test.cc.
#include "host_worlds.h"

namespace dk::hosttest {
namespace {

// The helpers of both suites, on either world.
template <class World>
class SyncTest : public World {
 protected:
  dk_handle_t sem(uint32_t initial, uint32_t max, dk_status_t* st = nullptr) {
    Proc& p1 = this->p1;
    uint64_t out = p1.u64(0);
    dk_status_t s = this->DkSemaphoreCreate(p1, initial, max, out);
    if (st) *st = s;
    return s == 0 ? p1.get64(out) : 0;
  }
  dk_handle_t event(bool sync, bool signaled) {
    Proc& p1 = this->p1;
    uint64_t out = p1.u64(0);
    EXPECT_EQ(sync ? this->DkSynchronizationEventCreate(p1, signaled, out)
                   : this->DkNotificationEventCreate(p1, signaled, out),
              0);
    return p1.get64(out);
  }
  // DkObjectsWaitAny; `index` gets the index on success.
  dk_status_t wait(std::vector<dk_handle_t> hs, uint64_t timeout, uint32_t* index = nullptr) {
    Proc& p1 = this->p1;
    uint64_t arr = p1.put(hs.data(), hs.size() * 8);
    uint64_t idx = p1.put("\xff\xff\xff\xff", 4);
    dk_status_t st = this->DkObjectsWaitAny(p1, hs.size(), arr, timeout, idx);
    if (index) *index = p1.get32(idx);
    return st;
  }
  uint32_t peek(dk_handle_t h) {
    Proc& p1 = this->p1;
    uint64_t out = p1.u64(0);
    EXPECT_EQ(this->DkSemaphorePeek(p1, h, out), 0);
    return p1.get32(out);
  }
};

class HostSyncTest : public SyncTest<HostsTest> {};
DK_ON_BOTH_HOSTS(HostSyncTest);

// Virtual clock only: see the top of the file.
class SimSyncTest : public SyncTest<SimTest> {};

TEST_P(HostSyncTest, ThreadCreateInsertsTheThreadObject) {
  uint64_t out = p1.u64(0);
  ASSERT_EQ(DkThreadCreate(p1, 42, 0x200000, out), 0);
  ASSERT_EQ(p1.ctl.created.size(), 1u);
  EXPECT_EQ(p1.ctl.created[0], std::make_pair(uint64_t{42}, uint64_t{0x200000}));
  auto obj = p1.handles.get(p1.get64(out));
  ASSERT_TRUE(obj);
  EXPECT_EQ(obj, p1.ctl.threads[0]);
  p1.ctl.threads_supported = false;
  EXPECT_EQ(DkThreadCreate(p1, 1, 0x200000, p1.u64(0)), -DK_E_NOTSUP);
}

TEST_P(HostSyncTest, ThreadExitYieldAndResume) {
  EXPECT_EQ(DkThreadExit(p1), 0);
  EXPECT_EQ(p1.ctl.thread_exits, 1);
  EXPECT_EQ(DkThreadYieldExecution(p1), 0);
  EXPECT_EQ(p1.ctl.yields, 1);
  uint64_t out = p1.u64(0);
  ASSERT_EQ(DkThreadCreate(p1, 0, 0x200000, out), 0);
  EXPECT_EQ(DkThreadResume(p1, p1.get64(out)), 0);
  EXPECT_EQ(p1.ctl.resumed, std::vector<uint32_t>{2});
  EXPECT_EQ(DkThreadResume(p1, 0x9999), -DK_E_BADHANDLE);
  EXPECT_EQ(DkThreadResume(p1, sem(0, 1)), -DK_E_WRONGTYPE);
}

TEST_P(HostSyncTest, SemaphoreCreateReleasePeek) {
  dk_status_t st;
  EXPECT_EQ(sem(0, 0, &st), 0u);
  EXPECT_EQ(st, -DK_E_INVAL);
  EXPECT_EQ(sem(3, 2, &st), 0u);
  EXPECT_EQ(st, -DK_E_INVAL);
  dk_handle_t s = sem(1, 3);
  ASSERT_NE(s, 0u);
  EXPECT_EQ(peek(s), 1u);
  uint64_t prev = p1.u64(77);
  EXPECT_EQ(DkSemaphoreRelease(p1, s, 2, prev), 0);
  EXPECT_EQ(p1.get32(prev), 1u);
  EXPECT_EQ(peek(s), 3u);
  EXPECT_EQ(DkSemaphoreRelease(p1, s, 1, 0), -DK_E_RANGE);  // previous may be NULL
  EXPECT_EQ(peek(s), 3u);
  EXPECT_EQ(DkSemaphoreRelease(p1, 0x999, 1, 0), -DK_E_BADHANDLE);
  EXPECT_EQ(DkSemaphoreRelease(p1, event(false, false), 1, 0), -DK_E_WRONGTYPE);
  EXPECT_EQ(DkSemaphorePeek(p1, event(false, false), p1.u64(0)), -DK_E_WRONGTYPE);
  p1.handles.set_limit(p1.handles.size());
  EXPECT_EQ(sem(0, 1, &st), 0u);
  EXPECT_EQ(st, -DK_E_QUOTA);
}

TEST_P(HostSyncTest, EventsSetClearAndWrongKinds) {
  dk_handle_t n = event(false, false);
  EXPECT_EQ(wait({n}, 0), -DK_E_TIMEOUT);
  EXPECT_EQ(DkEventSet(p1, n), 0);
  EXPECT_EQ(wait({n}, 0), 0);
  EXPECT_EQ(wait({n}, 0), 0);  // manual reset: stays signaled
  EXPECT_EQ(DkEventClear(p1, n), 0);
  EXPECT_EQ(wait({n}, 0), -DK_E_TIMEOUT);
  dk_handle_t s = sem(0, 1);
  EXPECT_EQ(DkEventSet(p1, s), -DK_E_WRONGTYPE);
  EXPECT_EQ(DkEventClear(p1, s), -DK_E_WRONGTYPE);
  EXPECT_EQ(DkEventSet(p1, 0x999), -DK_E_BADHANDLE);
}

TEST_P(HostSyncTest, SynchronizationEventClearsOnOneSatisfiedWait) {
  dk_handle_t e = event(true, true);
  EXPECT_EQ(wait({e}, 0), 0);
  EXPECT_EQ(wait({e}, 0), -DK_E_TIMEOUT);
  EXPECT_EQ(DkEventSet(p1, e), 0);
  EXPECT_EQ(wait({e}, 0), 0);
  EXPECT_EQ(wait({e}, 0), -DK_E_TIMEOUT);
}

TEST_P(HostSyncTest, WaitTakesOneFromASemaphore) {
  dk_handle_t s = sem(2, 5);
  EXPECT_EQ(wait({s}, 0), 0);
  EXPECT_EQ(peek(s), 1u);
  EXPECT_EQ(wait({s}, 0), 0);
  EXPECT_EQ(wait({s}, 0), -DK_E_TIMEOUT);
  EXPECT_EQ(peek(s), 0u);
}

TEST_P(HostSyncTest, LowestReadyIndexWinsAndOnlyItIsTaken) {
  dk_handle_t a = sem(0, 1), b = sem(1, 1), c = event(true, true);
  uint32_t index = 99;
  EXPECT_EQ(wait({a, c, b}, 0, &index), 0);
  EXPECT_EQ(index, 1u);
  EXPECT_EQ(peek(b), 1u);  // not taken: it did not win
  EXPECT_EQ(wait({a, c, b}, 0, &index), 0);
  EXPECT_EQ(index, 2u);
  EXPECT_EQ(peek(b), 0u);
  EXPECT_EQ(wait({a, c, b}, 0, &index), -DK_E_TIMEOUT);
}

TEST_P(HostSyncTest, InfiniteWaitHasNoDeadline) {
  dk_handle_t e = event(false, false);
  EXPECT_EQ(wait({e}, DK_TIMEOUT_INFINITE), kBlocked);
  EXPECT_EQ(p1.ctl.blocks.back(), kNoDeadline);
  now = 1'000'000'000'000ull;
  EXPECT_EQ(wait({e}, DK_TIMEOUT_INFINITE), kBlocked);
  p1.ctl.interrupt = true;
  EXPECT_EQ(wait({e}, DK_TIMEOUT_INFINITE), -DK_E_INTERRUPTED);
  // A pending wake-up ends the next wait at once, even a poll.
  p1.ctl.interrupt = true;
  EXPECT_EQ(wait({e}, 0), -DK_E_INTERRUPTED);
}

TEST_P(HostSyncTest, WaitChecksEveryHandle) {
  dk_handle_t s = sem(1, 1);
  EXPECT_EQ(wait({s, 0x999}, 0), -DK_E_BADHANDLE);
  EXPECT_EQ(peek(s), 1u);  // nothing taken by a refused wait
  // n outside 1..64 is refused by the dispatcher.
  EXPECT_EQ(DkObjectsWaitAny(p1, 0, p1.u64(s), 0, p1.u64(0)), -DK_E_INVAL);
  EXPECT_EQ(DkObjectsWaitAny(p1, 65, p1.alloc(65 * 8), 0, p1.u64(0)), -DK_E_INVAL);
}

TEST_P(HostSyncTest, ThreadAndProcessObjectsAreReadyWhenExited) {
  uint64_t out = p1.u64(0);
  ASSERT_EQ(DkThreadCreate(p1, 0, 0x200000, out), 0);
  dk_handle_t t = p1.get64(out);
  EXPECT_EQ(wait({t}, 0), -DK_E_TIMEOUT);
  p1.ctl.threads[0]->exited = true;
  EXPECT_EQ(wait({t}, 0), 0);
  EXPECT_EQ(wait({t}, 0), 0);  // exited stays exited
}

TEST_P(HostSyncTest, ClosingAHandleDuringAWaitKeepsTheObject) {
  dk_handle_t e = event(false, false);
  dk_handle_t other = 0;
  {
    uint64_t out = p1.u64(0);
    ASSERT_EQ(DkObjectReference(p1, e, out), 0);  // a second handle for the other thread
    other = p1.get64(out);
  }
  EXPECT_EQ(wait({e}, DK_TIMEOUT_INFINITE), kBlocked);
  p1.thread = 2;
  EXPECT_EQ(DkObjectClose(p1, e), 0);
  EXPECT_EQ(DkObjectClose(p1, e), -DK_E_BADHANDLE);  // gone at once
  EXPECT_EQ(DkEventSet(p1, other), 0);
  p1.thread = 1;
  uint32_t index = 9;
  EXPECT_EQ(wait({e}, DK_TIMEOUT_INFINITE, &index), 0);
  EXPECT_EQ(index, 0u);
  // A fresh wait on the closed handle is refused.
  EXPECT_EQ(wait({e}, 0), -DK_E_BADHANDLE);
}

TEST_F(SimSyncTest, DelayBlocksUntilItsDeadline) {
  now = 1000;
  uint64_t ns = p1.u64(500);
  EXPECT_EQ(DkThreadDelayExecution(p1, ns), kBlocked);
  EXPECT_EQ(p1.ctl.blocks.back(), 1500u);
  now = 1200;  // retried early (the world changed): still blocked, same deadline
  EXPECT_EQ(DkThreadDelayExecution(p1, ns), kBlocked);
  EXPECT_EQ(p1.ctl.blocks.back(), 1500u);
  now = 1500;
  EXPECT_EQ(DkThreadDelayExecution(p1, ns), 0);
  // Zero: done at once, giving up the quantum.
  EXPECT_EQ(DkThreadDelayExecution(p1, p1.u64(0)), 0);
  EXPECT_EQ(p1.ctl.yields, 1);
}

TEST_F(SimSyncTest, DelayInterruptedGivesTheTimeLeft) {
  now = 100;
  uint64_t ns = p1.u64(1000);
  EXPECT_EQ(DkThreadDelayExecution(p1, ns), kBlocked);
  now = 400;
  p1.ctl.interrupt = true;
  EXPECT_EQ(DkThreadDelayExecution(p1, ns), -DK_E_INTERRUPTED);
  EXPECT_EQ(p1.get64(ns), 700u);
  // A pending wake-up makes the next delay return at once.
  p1.ctl.interrupt = true;
  uint64_t ns2 = p1.u64(50);
  EXPECT_EQ(DkThreadDelayExecution(p1, ns2), -DK_E_INTERRUPTED);
  EXPECT_EQ(p1.get64(ns2), 50u);
  // An infinite delay saturates rather than wrapping.
  EXPECT_EQ(DkThreadDelayExecution(p1, p1.u64(~0ull)), kBlocked);
  EXPECT_EQ(p1.ctl.blocks.back(), kNoDeadline - 1);
}

TEST_F(SimSyncTest, WaitBlocksThenCompletesWhenTheWorldChanges) {
  dk_handle_t s = sem(0, 1);
  now = 10;
  EXPECT_EQ(wait({s}, 1000), kBlocked);
  EXPECT_EQ(p1.ctl.blocks.back(), 1010u);
  // Another thread releases it; the retry finds it ready.
  p1.thread = 2;
  EXPECT_EQ(DkSemaphoreRelease(p1, s, 1, 0), 0);
  p1.thread = 1;
  uint32_t index = 9;
  EXPECT_EQ(wait({s}, 1000, &index), 0);
  EXPECT_EQ(index, 0u);
  EXPECT_EQ(peek(s), 0u);
}

TEST_F(SimSyncTest, WaitTimesOutAtItsDeadline) {
  dk_handle_t s = sem(0, 1);
  now = 50;
  EXPECT_EQ(wait({s}, 100), kBlocked);
  now = 149;
  EXPECT_EQ(wait({s}, 100), kBlocked);
  EXPECT_EQ(p1.ctl.blocks.back(), 150u);  // the deadline of the first attempt, not now + 100
  now = 150;
  EXPECT_EQ(wait({s}, 100), -DK_E_TIMEOUT);
}

TEST_F(SimSyncTest, WaitsOfTwoThreadsAreIndependent) {
  dk_handle_t s = sem(0, 2);
  EXPECT_EQ(wait({s}, 100), kBlocked);
  p1.thread = 2;
  EXPECT_EQ(wait({s}, 300), kBlocked);
  p1.thread = 3;
  EXPECT_EQ(DkSemaphoreRelease(p1, s, 1, 0), 0);
  p1.thread = 1;
  EXPECT_EQ(wait({s}, 100), 0);
  p1.thread = 2;
  EXPECT_EQ(wait({s}, 300), kBlocked);
  now = 300;
  EXPECT_EQ(wait({s}, 300), -DK_E_TIMEOUT);
}

TEST_F(SimSyncTest, TimeAndSystemInfo) {
  uint64_t out = p1.u64(0);
  now = 12345;
  EXPECT_EQ(DkSystemTimeQuery(p1, out), 0);
  EXPECT_EQ(p1.get64(out), VirtualClock::kEpochNs + 12345);
  uint64_t info = p1.alloc(sizeof(dk_system_info));
  EXPECT_EQ(DkSystemInfoQuery(p1, info, sizeof(dk_system_info)), 0);
  dk_system_info si;
  p1.mem.peek(info, &si, sizeof si);
  EXPECT_STREQ(si.host_name, "sim");
  EXPECT_EQ(DkProcessSnapshot(p1, 0, 0, p1.u64(0)), -DK_E_NOTSUP);  // snapshots: not yet
}

}  // namespace
}  // namespace dk::hosttest
