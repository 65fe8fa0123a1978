// The quota decorator around a simulated host, without the emulator (the fake picoprocesses
// of sim_test_world.h, every call through the real Dispatcher): each limit refuses with
// -DK_E_QUOTA through the QuotaEnforcer, and the same calls on the same host without it are
// served, so the host itself enforces nothing. Where several refusals apply, the guest sees
// the one the host's flow meets first: the request's own checks before a quota, a quota
// before the namespace policy and before anything is taken.
#include "dk/core/quota_enforcer.h"
#include "dk/core/state.h"

#include <gtest/gtest.h>

#include "dk/console.h"
#include "dk/host_factory.h"
#include "sim_test_world.h"

namespace dk::hosttest {
namespace {

constexpr uint64_t kPage = DK_PAGE_SIZE;

// dev:zero refused, everything else as the default namespace has it.
dk_status_t refuse_zero(const NamespaceRequest& r) {
  if (r.uri->str() == "dev:zero") return -DK_E_ACCESS;
  return 0;
}

HostLaunch launch(CapturedConsole& console) {
  HostLaunch l;
  l.console = &console;
  l.image = {0x7f, 'E', 'L', 'F', 1, 2, 3};  // for self:
  l.name = "quota-pkg";
  l.narrow = refuse_zero;
  return l;
}

class QuotaEnforcerTest : public ::testing::Test {
 protected:
  // `p` calls through the decorator (`guarded`) or straight to the host.
  dk_status_t call(Proc& p, uint32_t index, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0,
                   uint64_t a3 = 0, uint64_t a4 = 0, uint64_t a5 = 0) {
    TrapRegs r{DK_CALL_BASE + index, a0, a1, a2, a3, a4, a5};
    CallContext cx{p.mem, p.ctl, p.handles, p.pid, p.thread, 0, 0, 0};
    return (guarded(p) ? through_quotas : bare).dispatch(cx, r, scratch);
  }
  bool guarded(const Proc& p) const { return &p == &q1 || &p == &q2; }

  dk_status_t open(Proc& p, const std::string& uri, dk_handle_t* h = nullptr,
                   uint32_t access = DK_ACCESS_RDWR, uint32_t create = DK_CREATE_NEVER,
                   uint32_t options = 0) {
    const uint64_t out = p.u64(0);
    const dk_status_t st = call(p, calls::DkStreamOpen, p.str(uri), access, 0644, create, options, out);
    if (h) *h = st == 0 ? p.get64(out) : 0;
    return st;
  }
  dk_handle_t opened(Proc& p, const std::string& uri, uint32_t access = DK_ACCESS_RDWR,
                     uint32_t create = DK_CREATE_NEVER, uint32_t options = 0) {
    dk_handle_t h = 0;
    EXPECT_EQ(open(p, uri, &h, access, create, options), 0) << uri;
    return h;
  }
  dk_status_t write(Proc& p, dk_handle_t h, const std::string& data, uint64_t offset = 0) {
    return call(p, calls::DkStreamWrite, h, offset, p.put(data.data(), data.size()),
                p.u64(data.size()));
  }
  dk_status_t allocate(Proc& p, uint64_t size, uint32_t alloc = DK_ALLOC_COMMIT) {
    return call(p, calls::DkVirtualMemoryAllocate, p.u64(0), size, alloc,
                DK_PROT_READ | DK_PROT_WRITE);
  }
  dk_status_t map(Proc& p, dk_handle_t h, uint64_t size, uint64_t offset = 0) {
    return call(p, calls::DkStreamMap, h, p.u64(0), DK_PROT_READ, offset, size);
  }
  dk_status_t semaphore(Proc& p) {
    return call(p, calls::DkSemaphoreCreate, 0, 1, p.u64(0));
  }
  dk_status_t accept(Proc& p, dk_handle_t server) {
    return call(p, calls::DkStreamWaitForClient, server, p.u64(0));
  }
  // The launcher's binding of `h` as `p`'s stdout, as the emulator makes it at boot.
  void bind_stdout(Proc& p, dk_handle_t h) {
    CallContext cx{p.mem, p.ctl, p.handles, p.pid, p.thread, 0, 0, 0};
    (guarded(p) ? static_cast<Host&>(quotas) : host).bind_std_handle(cx, 1, h);
  }

  CapturedConsole console;
  // The factory's simulated host and the quota decorator it puts in front (no limits yet).
  LaunchedHost built{make_host(launch(console))};
  CoreHost& host{*built};
  QuotaEnforcer& quotas{*built.quotas};
  Dispatcher through_quotas{quotas}, bare{host};
  Call scratch;
  // q1 and q2 call through the decorator, b1 and b2 the host alone (the same pids: the
  // host's world is shared; the ledger never sees b1 and b2).
  Proc q1{1}, q2{2}, b1{1}, b2{2};
};

TEST_F(QuotaEnforcerTest, MemoryIsChargedWhenCommitted) {
  Limits l;
  l.memory = 8 * kPage;
  quotas.set_limits(1, l);
  EXPECT_EQ(allocate(q1, 4 * kPage), 0);
  EXPECT_EQ(allocate(q1, 8 * kPage + 1), -DK_E_QUOTA);  // counted in whole pages
  EXPECT_EQ(allocate(q1, 16 * kPage, DK_ALLOC_RESERVE), 0);  // reserving commits nothing
  EXPECT_EQ(allocate(b1, 16 * kPage), 0);
}

TEST_F(QuotaEnforcerTest, StreamMapIsChargedAfterItsOwnChecks) {
  const dk_handle_t f = opened(q1, "file:/m.bin", DK_ACCESS_RDWR, DK_CREATE_TRY);
  ASSERT_EQ(write(q1, f, std::string(3 * kPage, 'm')), 0);
  Limits l;
  l.memory = 8 * kPage;
  quotas.set_limits(1, l);
  EXPECT_EQ(map(q1, f, 4 * kPage), 0);
  EXPECT_EQ(map(q1, f, 16 * kPage), -DK_E_QUOTA);
  // The mapping's own refusals come first.
  EXPECT_EQ(map(q1, 999, 16 * kPage), -DK_E_BADHANDLE);
  EXPECT_EQ(map(q1, f, 16 * kPage, 1), -DK_E_INVAL);
  EXPECT_EQ(map(q1, opened(q1, "dev:null"), 16 * kPage), -DK_E_WRONGTYPE);
  // Without the decorator the same mapping is made.
  const dk_handle_t bf = opened(b1, "file:/m.bin");
  EXPECT_EQ(map(b1, bf, 16 * kPage), 0);
}

TEST_F(QuotaEnforcerTest, ThreadsAreChargedFirst) {
  Limits l;
  l.threads = 1;  // the first thread only
  quotas.set_limits(1, l);
  EXPECT_EQ(call(q1, calls::DkThreadCreate, 0, 0x200000, q1.u64(0)), -DK_E_QUOTA);
  EXPECT_TRUE(q1.ctl.created.empty());
  q1.ctl.threads_supported = false;  // the quota is asked before the picoprocess
  EXPECT_EQ(call(q1, calls::DkThreadCreate, 0, 0x200000, q1.u64(0)), -DK_E_QUOTA);
  EXPECT_EQ(call(b1, calls::DkThreadCreate, 0, 0x200000, b1.u64(0)), 0);
  EXPECT_EQ(b1.ctl.created.size(), 1u);
}

TEST_F(QuotaEnforcerTest, HandlesAreLimitedInTheTable) {
  Limits l;
  l.handles = 2;
  quotas.set_limits(1, l);
  EXPECT_EQ(semaphore(q1), 0);
  EXPECT_EQ(semaphore(q1), 0);
  EXPECT_EQ(semaphore(q1), -DK_E_QUOTA);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(semaphore(b1), 0);
}

TEST_F(QuotaEnforcerTest, OpensAreChargedAfterTheRequestsChecksAndBeforeThePolicy) {
  Limits l;
  l.streams = 2;
  quotas.set_limits(1, l);
  EXPECT_EQ(open(q1, "dev:zero"), -DK_E_ACCESS);  // the policy, under the limit
  opened(q1, "dev:null");
  opened(q1, "dev:null");
  EXPECT_EQ(open(q1, "dev:null"), -DK_E_QUOTA);
  EXPECT_EQ(open(q1, "dev:zero"), -DK_E_QUOTA);  // the quota comes before the policy
  EXPECT_EQ(open(q1, "dev:null", nullptr, 7), -DK_E_INVAL);  // an access mode past RDWR
  EXPECT_EQ(open(q1, "no scheme"), open(b1, "no scheme"));   // the URI's syntax
  EXPECT_NE(open(b1, "no scheme"), -DK_E_QUOTA);
  EXPECT_EQ(open(q1, "self:"), -DK_E_INVAL);  // an image, not a stream: never charged
  EXPECT_EQ(quotas.quotas(1).streams.used(), 2u);
  for (int i = 0; i < 3; ++i) opened(b1, "dev:null");
}

TEST_F(QuotaEnforcerTest, AcceptIsChargedWhenAClientWouldBeTaken) {
  const dk_handle_t server = opened(q1, "pipe.server:svc", DK_ACCESS_RDWR, 0, DK_OPTION_NONBLOCK);
  const dk_handle_t spare = opened(q1, "dev:null");
  Limits l;
  l.streams = 2;  // the server and the spare
  quotas.set_limits(1, l);
  EXPECT_EQ(accept(q1, server), -DK_E_AGAIN);  // nobody waits: nothing to charge
  EXPECT_EQ(accept(q1, 999), -DK_E_BADHANDLE);
  EXPECT_EQ(accept(q1, spare), -DK_E_WRONGTYPE);
  opened(q2, "pipe:svc");
  EXPECT_EQ(accept(q1, server), -DK_E_QUOTA);
  // The client stayed first in line: with a stream given back, it is taken.
  ASSERT_EQ(call(q1, calls::DkObjectClose, spare), 0);
  EXPECT_EQ(accept(q1, server), 0);
  EXPECT_EQ(accept(q1, server), -DK_E_AGAIN);
}

TEST_F(QuotaEnforcerTest, OutputIsChargedAfterTheWritesOwnRefusals) {
  const dk_handle_t out = opened(q1, "dev:console", DK_ACCESS_WRONLY);
  const dk_handle_t in = opened(q1, "dev:console", DK_ACCESS_RDONLY);
  const dk_handle_t file = opened(q1, "file:/out.txt", DK_ACCESS_RDWR, DK_CREATE_TRY);
  Limits l;
  l.output_bytes = 10;
  quotas.set_limits(1, l);
  EXPECT_EQ(write(q1, out, "123456"), 0);
  EXPECT_EQ(write(q1, out, "7890ab"), -DK_E_QUOTA);  // refused whole
  EXPECT_EQ(console.out, "123456");
  EXPECT_EQ(write(q1, in, "7890ab"), -DK_E_ACCESS);  // not open for writing
  EXPECT_EQ(write(q1, out, "7890ab", 3), -DK_E_INVAL);  // an offset on a device
  EXPECT_EQ(write(q1, 999, "7890ab"), -DK_E_BADHANDLE);
  EXPECT_EQ(write(q1, file, "not counted"), 0);  // a file is not output
  EXPECT_EQ(quotas.quotas(1).output_bytes.used(), 6u);
  const dk_handle_t bout = opened(b1, "dev:console", DK_ACCESS_WRONLY);
  EXPECT_EQ(write(b1, bout, "7890ab"), 0);
  EXPECT_EQ(console.out, "1234567890ab");
}

// The ledger goes through the host core's state stream: a decorator that takes it back counts
// on from where the saved one stopped (without it, the same decorator limits nothing).
TEST_F(QuotaEnforcerTest, TheLedgerGoesThroughTheStateStream) {
  const dk_handle_t out = opened(q1, "dev:console", DK_ACCESS_WRONLY);
  Limits l;
  l.output_bytes = 10;
  quotas.set_limits(1, l);
  EXPECT_EQ(write(q1, out, "123456"), 0);
  CoreState s;
  quotas.save_quotas(s);
  std::vector<uint8_t> bytes;
  StateError err;
  ASSERT_EQ(save_state(s, bytes, err), 0) << err.what;
  CoreState back;
  ASSERT_EQ(load_state(bytes.data(), bytes.size(), back, err), 0) << err.what;

  QuotaEnforcer again(host);
  Dispatcher through_again{again};
  auto write_again = [&](const std::string& data) {
    TrapRegs r{DK_CALL_BASE + calls::DkStreamWrite, out, 0, q1.put(data.data(), data.size()),
               q1.u64(data.size()), 0, 0};
    CallContext cx{q1.mem, q1.ctl, q1.handles, q1.pid, q1.thread, 0, 0, 0};
    return through_again.dispatch(cx, r, scratch);
  };
  EXPECT_EQ(write_again("ab"), 0);  // a fresh ledger: no limit
  again.load_quotas(back);
  EXPECT_EQ(again.quotas(1).output_bytes.used(), 6u);
  EXPECT_EQ(again.quotas(1).output_bytes.limit(), 10u);
  EXPECT_EQ(write_again("7890a"), -DK_E_QUOTA);
  EXPECT_EQ(write_again("7890"), 0);
  EXPECT_EQ(console.out, "123456ab7890");
}

TEST_F(QuotaEnforcerTest, OutputToTheBoundStdoutCountsAndWhatIsNotWrittenIsGivenBack) {
  const dk_handle_t server = opened(q2, "pipe.server:out");
  const dk_handle_t pipe = opened(q1, "pipe:out", DK_ACCESS_RDWR, 0, DK_OPTION_NONBLOCK);
  ASSERT_EQ(accept(q2, server), 0);
  Limits l;
  l.output_bytes = 100;
  quotas.set_limits(1, l);
  EXPECT_EQ(write(q1, pipe, "abc"), 0);  // not bound yet: not counted
  EXPECT_EQ(quotas.quotas(1).output_bytes.used(), 0u);
  bind_stdout(q1, pipe);
  EXPECT_EQ(write(q1, pipe, "defg"), 0);
  EXPECT_EQ(quotas.quotas(1).output_bytes.used(), 4u);
  // A write the pipe refuses (its writing side is shut) takes nothing.
  ASSERT_EQ(call(q1, calls::DkStreamDelete, pipe, DK_DELETE_WRITE), 0);
  EXPECT_NE(write(q1, pipe, "hijk"), 0);
  EXPECT_EQ(quotas.quotas(1).output_bytes.used(), 4u);
}

TEST_F(QuotaEnforcerTest, AChildRunsUnderItsParentsLimits) {
  Limits l;
  l.threads = 3;
  l.streams = 5;
  quotas.set_limits(1, l);
  const uint64_t args = q1.put("child\0", 6);
  ASSERT_EQ(call(q1, calls::DkProcessCreate, q1.str("self:"), args, 6, q1.u64(0), q1.u64(0)), 0);
  ASSERT_EQ(q1.ctl.processes.size(), 1u);
  const uint32_t child = q1.ctl.processes[0]->pid;
  EXPECT_EQ(quotas.quotas(child).threads.limit(), 3u);
  EXPECT_EQ(quotas.quotas(child).streams.limit(), 5u);
  EXPECT_EQ(quotas.quotas(child).streams.used(), 0u);  // counters of its own
}

TEST_F(QuotaEnforcerTest, TheHostAloneEnforcesNoLimit) {
  // Picoprocess 1 under the tightest limits: refused through the decorator, served by the
  // host without it.
  Limits l{1, 1, 1, 1, 0, 1};
  quotas.set_limits(1, l);
  EXPECT_EQ(allocate(q1, 64 * kPage), -DK_E_QUOTA);
  EXPECT_EQ(call(q1, calls::DkThreadCreate, 0, 0x200000, q1.u64(0)), -DK_E_QUOTA);
  EXPECT_EQ(semaphore(q1), 0);
  EXPECT_EQ(semaphore(q1), -DK_E_QUOTA);
  EXPECT_EQ(open(q1, "dev:null"), -DK_E_QUOTA);
  EXPECT_EQ(allocate(b1, 64 * kPage), 0);
  EXPECT_EQ(call(b1, calls::DkThreadCreate, 0, 0x200000, b1.u64(0)), 0);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(semaphore(b1), 0);
  for (int i = 0; i < 8; ++i) opened(b1, "dev:null");
  const dk_handle_t out = opened(b1, "dev:console", DK_ACCESS_WRONLY);
  bind_stdout(b1, out);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(write(b1, out, "0123456789"), 0);
  EXPECT_EQ(console.out.size(), 80u);
  // The decorator's defaults (Limits{}) are no limits either.
  EXPECT_EQ(allocate(q2, 64 * kPage), 0);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(semaphore(q2), 0);
}

}  // namespace
}  // namespace dk::hosttest
