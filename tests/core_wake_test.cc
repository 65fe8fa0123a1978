// Wake lists (dk/core/wake.h): a call that parks on a host-core object is entered on its
// wake list, the changes that can let it go on wake it (and are named to the emulator,
// GuestControl::wake, in the order the waiters parked), and the core host tells each retry
// apart (woken, avoidable, ended by its deadline) without changing what any call returns.
// First on the simulated host through the dispatcher (retries made by hand, the way the
// emulator makes them), then with whole programs in the emulator: no retry that went on was
// missed by the wake lists, and some retries could have been skipped.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "dk/core/pipe.h"
#include "dk/core/sync.h"
#include "dk/host_factory.h"
#include "dk/run.h"
#include "sim_test_world.h"

namespace dk::hosttest {
namespace {

using Waiters = std::vector<std::pair<uint32_t, uint32_t>>;

class CoreWakeTest : public SimTest {
 protected:
  // p1 serves `name`, p2 connects; returns {p1's accepted end, p2's client end}.
  std::pair<dk_handle_t, dk_handle_t> connect(const std::string& name, uint32_t options = 0) {
    const dk_handle_t server = open(p1, "pipe.server:" + name, DK_ACCESS_RDWR, 0, options);
    EXPECT_NE(server, 0u);
    const dk_handle_t client = open(p2, "pipe:" + name, DK_ACCESS_RDWR, 0, options);
    EXPECT_NE(client, 0u);
    uint64_t out = p1.u64(0);
    EXPECT_EQ(call(p1, calls::DkStreamWaitForClient, server, out), 0);
    return {p1.get64(out), client};
  }
  dk_status_t wait1(Proc& p, dk_handle_t h, uint64_t timeout = DK_TIMEOUT_INFINITE) {
    return call(p, calls::DkObjectsWaitAny, 1, p.u64(h), timeout, p.u64(0));
  }
  dk_handle_t make(Proc& p, uint32_t index, uint64_t a0, uint64_t a1, int out_slot) {
    const uint64_t out = p.u64(0);
    EXPECT_EQ(out_slot == 1 ? call(p, index, a0, out) : call(p, index, a0, a1, out), 0);
    return p.get64(out);
  }
  const WakeStats& stats() { return host.wake_stats(); }
  ConnEnd& end(Proc& p, dk_handle_t h) { return dynamic_cast<ConnEnd&>(*p.handles.get(h)); }
};

TEST_F(CoreWakeTest, AReaderIsWokenByAWriteAndNotByOtherCalls) {
  auto [s, c] = connect("w1");
  std::string out;
  ASSERT_EQ(read(p1, s, 10, out), kBlocked);
  EXPECT_EQ(end(p1, s).in().readers.waiters(), (Waiters{{1, 1}}));
  EXPECT_EQ(stats().parked, 1u);
  // Another call changes nothing the reader waits for: its retry parks again.
  make(p2, calls::DkSemaphoreCreate, 0, 1, 2);
  ASSERT_EQ(read(p1, s, 10, out), kBlocked);
  EXPECT_EQ(stats().retries, 1u);
  EXPECT_EQ(stats().avoidable, 1u);
  // A write wakes it, and the retry reads.
  ASSERT_EQ(write(p2, c, "hi"), 0);
  EXPECT_TRUE(end(p1, s).in().readers.empty());
  ASSERT_EQ(read(p1, s, 10, out), 0);
  EXPECT_EQ(out, "hi");
  EXPECT_EQ(stats().retries, 2u);
  EXPECT_EQ(stats().woken, 1u);
  EXPECT_EQ(stats().missed, 0u);
}

TEST_F(CoreWakeTest, AWriterFacingAFullPipeIsWokenByARead) {
  auto [s, c] = connect("w2");
  uint64_t done = 0;
  ASSERT_EQ(write(p2, c, std::string(Channel::kCapacity, 'x'), 0, &done), 0);
  ASSERT_EQ(write(p2, c, "more"), kBlocked);
  EXPECT_EQ(end(p2, c).out().writers.waiters(), (Waiters{{2, 1}}));
  std::string out;
  ASSERT_EQ(read(p1, s, 10, out), 0);
  ASSERT_EQ(write(p2, c, "more", 0, &done), 0);
  EXPECT_EQ(stats().woken, 1u);
  EXPECT_EQ(stats().missed, 0u);
}

TEST_F(CoreWakeTest, ClosingTheOtherEndWakesItsReader) {
  auto [s, c] = connect("w3");
  ASSERT_EQ(wait1(p1, s), kBlocked);
  ASSERT_EQ(call(p2, calls::DkObjectClose, c), 0);
  ASSERT_EQ(wait1(p1, s), 0);  // end of stream is ready
  EXPECT_EQ(stats().woken, 1u);
  EXPECT_EQ(stats().missed, 0u);
}

TEST_F(CoreWakeTest, SemaphoresAndEventsWakeOnReleaseAndSetOnly) {
  const dk_handle_t sem = make(p1, calls::DkSemaphoreCreate, 0, 2, 2);
  const dk_handle_t ev = make(p1, calls::DkSynchronizationEventCreate, 0, 0, 1);
  p1.thread = 1;
  ASSERT_EQ(wait1(p1, sem), kBlocked);
  p1.thread = 2;
  ASSERT_EQ(wait1(p1, ev), kBlocked);
  auto& s = dynamic_cast<SemaphoreObject&>(*p1.handles.get(sem));
  auto& e = dynamic_cast<EventObject&>(*p1.handles.get(ev));
  EXPECT_EQ(s.waiters.waiters(), (Waiters{{1, 1}}));
  EXPECT_EQ(e.waiters.waiters(), (Waiters{{1, 2}}));
  p1.thread = 3;
  ASSERT_EQ(call(p1, calls::DkEventClear, ev), 0);  // wakes nobody
  EXPECT_EQ(e.waiters.waiters(), (Waiters{{1, 2}}));
  ASSERT_EQ(call(p1, calls::DkSemaphoreRelease, sem, 1, p1.u64(0)), 0);
  EXPECT_TRUE(s.waiters.empty());
  p1.thread = 2;
  ASSERT_EQ(wait1(p1, ev), kBlocked);  // not woken
  p1.thread = 1;
  ASSERT_EQ(wait1(p1, sem), 0);  // woken
  p1.thread = 3;
  ASSERT_EQ(call(p1, calls::DkEventSet, ev), 0);
  p1.thread = 2;
  ASSERT_EQ(wait1(p1, ev), 0);
  EXPECT_EQ(stats().retries, 3u);
  EXPECT_EQ(stats().woken, 2u);
  EXPECT_EQ(stats().avoidable, 1u);
  EXPECT_EQ(stats().missed, 0u);
}

TEST_F(CoreWakeTest, ResumeWakesAParkedThread) {
  p1.ctl.threads_supported = true;
  const dk_handle_t t = make(p1, calls::DkThreadCreate, 0x1000, 0x2000, 2);
  const uint32_t tid = std::dynamic_pointer_cast<ThreadObject>(p1.handles.get(t))->tid;
  const dk_handle_t sem = make(p1, calls::DkSemaphoreCreate, 0, 1, 2);
  p1.thread = tid;
  ASSERT_EQ(wait1(p1, sem), kBlocked);
  p1.thread = 1;
  ASSERT_EQ(call(p1, calls::DkThreadResume, t), 0);
  p1.thread = tid;
  p1.ctl.interrupt = true;  // what the emulator's take_interrupt() then says
  ASSERT_EQ(wait1(p1, sem), -DK_E_INTERRUPTED);
  EXPECT_EQ(stats().woken, 1u);
  EXPECT_EQ(stats().missed, 0u);
}

TEST_F(CoreWakeTest, DeadlinesEndWaitsNobodyWoke) {
  const dk_handle_t sem = make(p1, calls::DkSemaphoreCreate, 0, 1, 2);
  ASSERT_EQ(wait1(p1, sem, 1000), kBlocked);
  now = 2000;
  ASSERT_EQ(wait1(p1, sem, 1000), -DK_E_TIMEOUT);
  EXPECT_EQ(stats().timed, 1u);
  ASSERT_EQ(call(p1, calls::DkThreadDelayExecution, p1.u64(500)), kBlocked);
  ASSERT_EQ(call(p1, calls::DkThreadDelayExecution, p1.u64(500)), kBlocked);
  EXPECT_EQ(stats().avoidable, 1u);  // before its deadline a delay can only park again
  now = 3000;
  ASSERT_EQ(call(p1, calls::DkThreadDelayExecution, p1.u64(500)), 0);
  EXPECT_EQ(stats().timed, 2u);
  EXPECT_EQ(stats().missed, 0u);
}

TEST_F(CoreWakeTest, MakingAnEndNonblockingWakesItsCalls) {
  auto [s, c] = connect("w4");
  std::string out;
  ASSERT_EQ(read(p1, s, 10, out), kBlocked);
  p1.thread = 2;  // another thread of the reader's picoprocess
  dk_stream_attr a = attr_of(p1, s);
  a.nonblocking = 1;
  ASSERT_EQ(call(p1, calls::DkStreamAttributesSetByHandle, s, p1.put(&a, sizeof a)), 0);
  p1.thread = 1;
  ASSERT_EQ(read(p1, s, 10, out), -DK_E_AGAIN);
  EXPECT_EQ(stats().woken, 1u);
  EXPECT_EQ(stats().missed, 0u);
}

TEST_F(CoreWakeTest, AServerIsWokenByAClient) {
  const dk_handle_t server = open(p1, "pipe.server:w5");
  ASSERT_NE(server, 0u);
  const uint64_t out = p1.u64(0);
  ASSERT_EQ(call(p1, calls::DkStreamWaitForClient, server, out), kBlocked);
  EXPECT_EQ(dynamic_cast<Listener&>(*p1.handles.get(server)).waiters.waiters(), (Waiters{{1, 1}}));
  ASSERT_NE(open(p2, "pipe:w5"), 0u);
  ASSERT_EQ(call(p1, calls::DkStreamWaitForClient, server, out), 0);
  EXPECT_EQ(stats().woken, 1u);
  EXPECT_EQ(stats().missed, 0u);
}

TEST_F(CoreWakeTest, WaitsOnThreadsRetryAtExits) {
  // A thread record changes in the emulator: the core keeps no wake list for it, and tells
  // the emulator to retry the wait when a thread or a picoprocess ends.
  p1.ctl.threads_supported = true;
  const dk_handle_t t = make(p1, calls::DkThreadCreate, 0x1000, 0x2000, 2);
  ASSERT_EQ(wait1(p1, t), kBlocked);
  EXPECT_EQ(stats().opaque, 0u);
  EXPECT_EQ(stats().parked, 1u);
  ASSERT_EQ(p1.ctl.wake_ons.size(), 1u);
  EXPECT_EQ(p1.ctl.wake_ons.back(), WakeOn::Exit);
  ASSERT_EQ(wait1(p1, t), kBlocked);  // a retry nobody woke (an exit that was not this thread's)
  EXPECT_EQ(stats().retries, 1u);
  EXPECT_EQ(stats().avoidable, 1u);
  EXPECT_TRUE(p1.ctl.wakes.empty());
}

// The emulator runs a parked thread again only when the host names it: the call that changed
// an object names exactly the calls parked on it, in the order they parked, and says what
// else each parked call waits for.
TEST_F(CoreWakeTest, AChangeNamesExactlyItsWaitersInTheOrderTheyParked) {
  const dk_handle_t sem = make(p1, calls::DkSemaphoreCreate, 0, 8, 2);
  const dk_handle_t other = make(p1, calls::DkSemaphoreCreate, 0, 8, 2);
  const dk_handle_t sem2 = p2.handles.insert(p1.handles.get(sem));
  const dk_handle_t other2 = p2.handles.insert(p1.handles.get(other));
  // Parked in this order: (1, 3), (2, 1), (1, 2); (2, 2) waits on the other semaphore.
  p1.thread = 3;
  ASSERT_EQ(wait1(p1, sem), kBlocked);
  ASSERT_EQ(wait1(p2, sem2), kBlocked);
  p1.thread = 2;
  ASSERT_EQ(wait1(p1, sem), kBlocked);
  p2.thread = 2;
  ASSERT_EQ(wait1(p2, other2), kBlocked);
  for (WakeOn on : p1.ctl.wake_ons) EXPECT_EQ(on, WakeOn::Wake);
  EXPECT_EQ(p2.ctl.wake_ons, (std::vector<WakeOn>{WakeOn::Wake, WakeOn::Wake}));
  // A release names the three, in the order they parked.
  p1.thread = 4;
  EXPECT_TRUE(p1.ctl.wakes.empty());
  ASSERT_EQ(call(p1, calls::DkSemaphoreRelease, sem, 3, p1.u64(0)), 0);
  EXPECT_EQ(p1.ctl.wakes, (Waiters{{1, 3}, {2, 1}, {1, 2}}));
  EXPECT_TRUE(p2.ctl.wakes.empty());
  // Another release names nobody: each was named once, and (2, 2) never.
  ASSERT_EQ(call(p1, calls::DkSemaphoreRelease, sem, 1, p1.u64(0)), 0);
  EXPECT_EQ(p1.ctl.wakes.size(), 3u);
  EXPECT_EQ(stats().wakes, 3u);
}

TEST_F(CoreWakeTest, StreamWaitsAlsoRetryAtExits) {
  auto [s, c] = connect("w9");
  std::string out;
  ASSERT_EQ(read(p1, s, 10, out), kBlocked);
  ASSERT_FALSE(p1.ctl.wake_ons.empty());
  EXPECT_EQ(p1.ctl.wake_ons.back(), WakeOn::Exit);  // the peer's handles close when it ends
  ASSERT_EQ(write(p2, c, "hi"), 0);
  EXPECT_EQ(p2.ctl.wakes, (Waiters{{1, 1}}));
}

// ---- whole programs in the emulator ----

std::vector<uint8_t> guest(const std::string& name) {
  std::ifstream in(std::string(DK_GUEST_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in) << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

WakeStats run_example(const std::string& name, std::vector<std::string> args) {
  const std::string root =
      (std::filesystem::temp_directory_path() / ("dk-wake-" + std::to_string(getpid()))).string();
  std::filesystem::create_directories(root);
  CapturedConsole console;
  HostLaunch l;
  l.console = &console;
  l.root = root;
  l.image = guest(name);  // for self:
  l.name = name;
  LaunchedHost built = make_host(l);
  CoreHost& host = *built.host;
  LaunchSpec spec;
  spec.image = l.image;
  spec.name = name;
  spec.args = {name};
  spec.args.insert(spec.args.end(), args.begin(), args.end());
  const RunResult r = run_picoprocess(host, spec);
  EXPECT_EQ(r.end, RunResult::End::Exited) << r.reason;
  EXPECT_EQ(r.exit_code, 0) << console.out << console.err;
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  return host.wake_stats();
}

TEST(CoreWakePrograms, NoRetryThatWentOnWasMissed) {
  struct Case {
    const char* name;
    std::vector<std::string> args;
  };
  for (const Case& c : {Case{"pipeline", {}}, Case{"counter", {}}, Case{"echo", {"both", "7010"}}}) {
    SCOPED_TRACE(c.name);
    const WakeStats w = run_example(c.name, c.args);
    EXPECT_GT(w.parked, 0u);
    EXPECT_EQ(w.missed, 0u);
    EXPECT_EQ(w.retries, w.woken + w.avoidable + w.timed + w.missed);
    std::printf("%-9s parked %llu, retries %llu: woken %llu, avoidable %llu, timed %llu; "
                "opaque %llu\n",
                c.name, static_cast<unsigned long long>(w.parked),
                static_cast<unsigned long long>(w.retries),
                static_cast<unsigned long long>(w.woken),
                static_cast<unsigned long long>(w.avoidable),
                static_cast<unsigned long long>(w.timed),
                static_cast<unsigned long long>(w.opaque));
  }
}

}  // namespace
}  // namespace dk::hosttest
