// Named pipes, handles and processes between picoprocesses of one world: connect and
// accept, stream semantics, end of stream, PIPE, AGAIN, full buffers that block, waits on
// pipes and servers, shutdown, DkObjectReference/Close, DkSendHandle/DkReceiveHandle in
// order with the data, and DkProcessCreate with its parent pipe and exit codes.
//
// HostPipesTest runs on both hosts: the host core serves pipes, handles and the process
// table for each. SimPipesTest keeps the one test that builds a child's image from a file
// the simulated overlay holds and starts a second SimHost told its image by set_image.
#include "host_worlds.h"

namespace dk::hosttest {
namespace {

// The helpers of both suites, on either world.
template <class World>
class PipesTest : public World {
 protected:
  using World::World;
  // p1 serves `name`, p2 connects; returns {p1's accepted end, p2's client end}.
  std::pair<dk_handle_t, dk_handle_t> connect(const std::string& name, uint32_t options = 0) {
    Proc &p1 = this->p1, &p2 = this->p2;
    server = this->open(p1, "pipe.server:" + name, DK_ACCESS_RDWR, 0, options);
    EXPECT_NE(server, 0u);
    dk_handle_t client = this->open(p2, "pipe:" + name, DK_ACCESS_RDWR, 0, options);
    EXPECT_NE(client, 0u);
    uint64_t out = p1.u64(0);
    EXPECT_EQ(this->DkStreamWaitForClient(p1, server, out), 0);
    return {p1.get64(out), client};
  }
  dk_status_t wait1(Proc& p, dk_handle_t h, uint64_t timeout = 0) {
    return this->DkObjectsWaitAny(p, 1, p.u64(h), timeout, p.u64(0));
  }
  dk_handle_t server = 0;
};

class HostPipesTest : public PipesTest<HostsTest> {};
DK_ON_BOTH_HOSTS(HostPipesTest);

// The simulated host only: see the top of the file.
HostLaunch with_image() {
  HostLaunch l;
  l.image = {0x7f, 'E', 'L', 'F', 1, 2, 3};
  l.name = "parent-pkg";
  return l;
}

class SimPipesTest : public PipesTest<SimTest> {
 protected:
  SimPipesTest() : PipesTest<SimTest>(with_image()) {}
};

TEST_P(HostPipesTest, NamedPipeCarriesBytesBothWays) {
  auto [s, c] = connect("RDP");
  EXPECT_EQ(write(p2, c, "ping"), 0);
  EXPECT_EQ(read_all(p1, s), "ping");
  EXPECT_EQ(write(p1, s, "pong!"), 0);
  std::string out;
  EXPECT_EQ(read(p2, c, 3, out), 0);
  EXPECT_EQ(out, "pon");
  EXPECT_EQ(read_all(p2, c), "g!");
  dk_stream_attr a = attr_of(p1, s);
  EXPECT_EQ(a.type, uint32_t{DK_STREAM_PIPE});
  EXPECT_EQ(attr_of(p1, server).type, uint32_t{DK_STREAM_SERVER});
  EXPECT_EQ(name_of(p2, c), "pipe:RDP");
  EXPECT_EQ(name_of(p1, server), "pipe.server:RDP");
  // Offsets are for files only.
  EXPECT_EQ(read(p1, s, 10, out, 1), -DK_E_INVAL);
  EXPECT_EQ(write(p1, s, "x", 1), -DK_E_INVAL);
}

TEST_P(HostPipesTest, ServersAndClients) {
  dk_handle_t srv = open(p1, "pipe.server:///svc");
  ASSERT_NE(srv, 0u);
  EXPECT_EQ(open_status(p2, "pipe.server:svc"), -DK_E_EXIST);
  EXPECT_EQ(open_status(p2, "pipe:other"), -DK_E_CONNREFUSED);
  // No client yet: a wait times out, WaitForClient blocks.
  EXPECT_EQ(wait1(p1, srv), -DK_E_TIMEOUT);
  uint64_t out = p1.u64(0);
  EXPECT_EQ(DkStreamWaitForClient(p1, srv, out), kBlocked);
  ASSERT_NE(open(p2, "pipe:svc"), 0u);
  EXPECT_EQ(DkStreamWaitForClient(p1, srv, out), 0);
  EXPECT_EQ(DkStreamWaitForClient(p1, open(p1, "dev:null"), out), -DK_E_WRONGTYPE);
  // Nonblocking server: AGAIN.
  dk_handle_t nb = open(p1, "pipe.server:nb", DK_ACCESS_RDWR, 0, DK_OPTION_NONBLOCK);
  EXPECT_EQ(DkStreamWaitForClient(p1, nb, out), -DK_E_AGAIN);
  // A client waiting makes the server ready.
  ASSERT_NE(open(p2, "pipe:nb"), 0u);
  EXPECT_EQ(wait1(p1, nb), 0);
  // Closing the server frees the name.
  EXPECT_EQ(DkObjectClose(p1, srv), 0);
  EXPECT_EQ(open_status(p2, "pipe:svc"), -DK_E_CONNREFUSED);
  EXPECT_NE(open(p2, "pipe.server:svc"), 0u);
}

TEST_P(HostPipesTest, EndOfStreamAndBrokenPipe) {
  auto [s, c] = connect("eof");
  EXPECT_EQ(write(p2, c, "last words"), 0);
  EXPECT_EQ(DkObjectClose(p2, c), 0);
  EXPECT_EQ(wait1(p1, s), 0);
  EXPECT_EQ(read_all(p1, s), "last words");
  EXPECT_EQ(read_all(p1, s), "");  // end of stream
  EXPECT_EQ(write(p1, s, "anyone?"), -DK_E_PIPE);
}

TEST_P(HostPipesTest, ReadersBlockWhenEmptyAndWritersWhenFull) {
  auto [s, c] = connect("flow");
  std::string out;
  EXPECT_EQ(read(p1, s, 10, out), kBlocked);
  EXPECT_EQ(p1.ctl.blocks.back(), kNoDeadline);
  EXPECT_EQ(wait1(p1, s), -DK_E_TIMEOUT);
  const std::string big(70000, 'x');
  uint64_t done = 0;
  EXPECT_EQ(write(p2, c, big, 0, &done), 0);
  EXPECT_EQ(done, 65536u);  // as much as the buffer holds
  EXPECT_EQ(write(p2, c, "more"), kBlocked);
  EXPECT_EQ(attr_of(p1, s).size, 65536u);
  EXPECT_EQ(read(p1, s, 10, out), 0);  // the retried read
  EXPECT_EQ(out, std::string(10, 'x'));
  EXPECT_EQ(write(p2, c, "more", 0, &done), 0);
  EXPECT_EQ(done, 4u);
}

TEST_P(HostPipesTest, NonblockingGivesAgain) {
  auto [s, c] = connect("nbio", DK_OPTION_NONBLOCK);
  std::string out;
  EXPECT_EQ(read(p2, c, 10, out), -DK_E_AGAIN);
  EXPECT_EQ(read(p1, s, 10, out), kBlocked);  // an accepted end starts blocking
  p1.parked.clear();
  uint64_t done = 0;
  EXPECT_EQ(write(p2, c, std::string(65536, 'y'), 0, &done), 0);
  EXPECT_EQ(write(p2, c, "z"), -DK_E_AGAIN);
  // Switched to blocking through the attributes.
  dk_stream_attr a = attr_of(p2, c);
  EXPECT_EQ(a.nonblocking, 1u);
  a.nonblocking = 0;
  EXPECT_EQ(DkStreamAttributesSetByHandle(p2, c, p2.put(&a, sizeof a)), 0);
  EXPECT_EQ(write(p2, c, "z"), kBlocked);
}

TEST_P(HostPipesTest, ShutdownEachDirection) {
  auto [s, c] = connect("half");
  EXPECT_EQ(DkStreamDelete(p2, c, DK_DELETE_WRITE), 0);
  EXPECT_EQ(write(p2, c, "x"), -DK_E_PIPE);
  EXPECT_EQ(read_all(p1, s), "");  // end of stream for the other side
  EXPECT_EQ(write(p1, s, "still"), 0);
  EXPECT_EQ(read_all(p2, c), "still");
  EXPECT_EQ(DkStreamDelete(p2, c, DK_DELETE_READ), 0);
  EXPECT_EQ(write(p1, s, "gone"), -DK_E_PIPE);
  EXPECT_EQ(read_all(p2, c), "");
  EXPECT_EQ(DkStreamDelete(p2, c, 3), -DK_E_INVAL);
  EXPECT_EQ(DkStreamDelete(p2, open(p2, "dev:console"), DK_DELETE_READ), -DK_E_WRONGTYPE);
}

TEST_P(HostPipesTest, ReferenceAndClose) {
  auto [s, c] = connect("ref");
  uint64_t out = p2.u64(0);
  ASSERT_EQ(DkObjectReference(p2, c, out), 0);
  dk_handle_t c2 = p2.get64(out);
  EXPECT_NE(c2, c);
  EXPECT_EQ(DkObjectClose(p2, c), 0);
  EXPECT_EQ(DkObjectClose(p2, c), -DK_E_BADHANDLE);
  EXPECT_EQ(write(p2, c2, "alive"), 0);  // the object lives while a handle does
  EXPECT_EQ(read_all(p1, s), "alive");
  EXPECT_EQ(DkObjectClose(p2, c2), 0);
  EXPECT_EQ(read_all(p1, s), "");
  EXPECT_EQ(DkObjectReference(p2, 0x999, out), -DK_E_BADHANDLE);
  dk_handle_t null = open(p2, "dev:null");
  p2.handles.set_limit(p2.handles.size());
  EXPECT_EQ(DkObjectReference(p2, null, out), -DK_E_QUOTA);
}

TEST_P(HostPipesTest, HandlesTravelInOrderWithTheData) {
  auto [s, c] = connect("cargo");
  uint64_t out = p1.u64(0);
  ASSERT_EQ(DkSemaphoreCreate(p1, 0, 5, out), 0);
  dk_handle_t sem = p1.get64(out);
  EXPECT_EQ(write(p1, s, "before"), 0);
  EXPECT_EQ(DkSendHandle(p1, s, sem), 0);
  EXPECT_EQ(write(p1, s, "after"), 0);
  EXPECT_EQ(DkObjectClose(p1, sem), 0);  // the sender's handle may go; the cargo keeps the object
  // The reader stops at the handle, receives it, then reads on.
  EXPECT_EQ(wait1(p2, c), 0);
  EXPECT_EQ(read_all(p2, c), "before");
  uint64_t got = p2.u64(0);
  ASSERT_EQ(DkReceiveHandle(p2, c, got), 0);
  dk_handle_t sem2 = p2.get64(got);
  EXPECT_EQ(read_all(p2, c), "after");
  EXPECT_EQ(DkSemaphoreRelease(p2, sem2, 2, 0), 0);
  uint64_t count = p2.u64(0);
  EXPECT_EQ(DkSemaphorePeek(p2, sem2, count), 0);
  EXPECT_EQ(p2.get32(count), 2u);
  // Nothing queued: receive blocks; errors.
  EXPECT_EQ(DkReceiveHandle(p2, c, got), kBlocked);
  p2.thread = 2;
  EXPECT_EQ(DkSendHandle(p2, c, 0x999), -DK_E_BADHANDLE);
  EXPECT_EQ(DkSendHandle(p2, sem2, sem2), -DK_E_WRONGTYPE);
  EXPECT_EQ(DkReceiveHandle(p2, 0x999, got), -DK_E_BADHANDLE);
  // A stream can travel too, and works at its new home.
  dk_handle_t file =
      open(p1, world_host().scratch_file("shared.txt"), DK_ACCESS_RDWR, DK_CREATE_TRY);
  EXPECT_EQ(write(p1, file, "from p1"), 0);
  EXPECT_EQ(DkSendHandle(p1, s, file), 0);
  p2.thread = 1;
  ASSERT_EQ(DkReceiveHandle(p2, c, got), 0);
  EXPECT_EQ(read_all(p2, p2.get64(got)), "from p1");
  // The peer gone: PIPE both ways.
  EXPECT_EQ(DkObjectClose(p1, s), 0);
  EXPECT_EQ(DkSendHandle(p2, c, p2.get64(got)), -DK_E_PIPE);
  EXPECT_EQ(DkReceiveHandle(p2, c, got), -DK_E_PIPE);
}

TEST_P(HostPipesTest, ProcessCreateStartsAChildWithAPipe) {
  const char args[] = "child\0--flag\0last";
  uint64_t ph = p1.u64(0), sh = p1.u64(0);
  ASSERT_EQ(
      DkProcessCreate(p1, p1.str("self:"), p1.put(args, sizeof args - 1), sizeof args - 1, ph, sh),
      0);
  ASSERT_EQ(p1.ctl.children.size(), 1u);
  ChildSpec& spec = p1.ctl.children[0];
  EXPECT_EQ(spec.image, (std::vector<uint8_t>{0x7f, 'E', 'L', 'F', 1, 2, 3}));
  EXPECT_EQ(spec.name, "parent-pkg");
  EXPECT_EQ(spec.args, (std::vector<std::string>{"child", "--flag", "last"}));
  // The child's boot-info stream talks to the parent's.
  Proc child(100);
  dk_handle_t parent = child.handles.insert(spec.parent_end);
  dk_handle_t stream = p1.get64(sh);
  EXPECT_EQ(write(p1, stream, "hi child"), 0);
  EXPECT_EQ(read_all(child, parent), "hi child");
  EXPECT_EQ(write(child, parent, "hi parent"), 0);
  EXPECT_EQ(read_all(p1, stream), "hi parent");
  EXPECT_EQ(name_of(child, parent), "pipe:parent");
  // Exit code: BUSY while it runs; the process handle is waitable.
  dk_handle_t proc = p1.get64(ph);
  uint64_t code = p1.u64(0);
  EXPECT_EQ(DkProcessExitCodeQuery(p1, proc, code), -DK_E_BUSY);
  EXPECT_EQ(wait1(p1, proc), -DK_E_TIMEOUT);
  p1.ctl.processes[0]->exited = true;
  p1.ctl.processes[0]->exit_code = -7;
  EXPECT_EQ(wait1(p1, proc), 0);
  EXPECT_EQ(DkProcessExitCodeQuery(p1, proc, code), 0);
  EXPECT_EQ(static_cast<int64_t>(p1.get64(code)), -7);
  EXPECT_EQ(DkProcessExitCodeQuery(p1, stream, code), -DK_E_WRONGTYPE);
  EXPECT_EQ(DkProcessExitCodeQuery(p1, 0x999, code), -DK_E_BADHANDLE);
  // The child's own self: is the image it was started from.
  ASSERT_EQ(
      DkProcessCreate(child, child.str("self:"), child.put("", 1), 0, child.u64(0), child.u64(0)),
      0);
  EXPECT_EQ(child.ctl.children[0].image, spec.image);
  EXPECT_EQ(child.ctl.children[0].args, std::vector<std::string>{});
}

TEST_P(HostPipesTest, AWaitOfAnEndedChildLetsGoOfItsObjects) {
  uint64_t ph = p1.u64(0), sh = p1.u64(0);
  ASSERT_EQ(DkProcessCreate(p1, p1.str("self:"), p1.put("", 1), 0, ph, sh), 0);
  Proc child(100);
  dk_handle_t parent = child.handles.insert(p1.ctl.children[0].parent_end);
  p1.ctl.children.clear();
  EXPECT_EQ(wait1(child, parent, DK_TIMEOUT_INFINITE), kBlocked);
  child.thread = 2;
  EXPECT_EQ(DkObjectClose(child, parent), 0);  // the parked wait still holds the end
  dk_handle_t stream = p1.get64(sh);
  EXPECT_EQ(wait1(p1, stream), -DK_E_TIMEOUT);
  p1.ctl.processes[0]->exited = true;  // the child ends with its thread parked
  EXPECT_EQ(wait1(p1, stream), 0);
  EXPECT_EQ(read_all(p1, stream), "");
}

TEST_F(SimPipesTest, ProcessCreateFromFilesAndErrors) {
  dk_handle_t f = open(p1, "file:/bin/tool", DK_ACCESS_RDWR, DK_CREATE_TRY, 0, 0755, nullptr);
  EXPECT_EQ(f, 0u);  // no /bin yet
  ASSERT_NE(open(p1, "dir:/bin", DK_ACCESS_RDONLY, DK_CREATE_TRY), 0u);
  f = open(p1, "file:/bin/tool", DK_ACCESS_RDWR, DK_CREATE_TRY);
  EXPECT_EQ(write(p1, f, "IMAGE"), 0);
  uint64_t ph = p1.u64(0), sh = p1.u64(0);
  ASSERT_EQ(DkProcessCreate(p1, p1.str("file:/bin/tool"), p1.put("a", 2), 2, ph, sh), 0);
  EXPECT_EQ(p1.ctl.children.back().image, (std::vector<uint8_t>{'I', 'M', 'A', 'G', 'E'}));
  EXPECT_EQ(p1.ctl.children.back().name, "tool");
  EXPECT_EQ(DkProcessCreate(p1, p1.str("file:/bin/none"), p1.put("", 1), 0, ph, sh), -DK_E_NOENT);
  EXPECT_EQ(DkProcessCreate(p1, p1.str("file:/bin"), p1.put("", 1), 0, ph, sh), -DK_E_NOENT);
  EXPECT_EQ(DkProcessCreate(p1, p1.str("pipe:x"), p1.put("", 1), 0, ph, sh), -DK_E_ACCESS);
  // A picoprocess whose image the host was never told has no self:.
  EXPECT_EQ(DkProcessCreate(p2, p2.str("self:"), p2.put("", 1), 0, p2.u64(0), p2.u64(0)), 0);
  SimWorld bare;
  Proc p(5);
  auto create_self = [&] {
    return bare.DkProcessCreate(p, p.str("self:"), p.put("", 1), 0, p.u64(0), p.u64(0));
  };
  EXPECT_EQ(create_self(), -DK_E_NOENT);
  bare.host.set_image(5, {1, 2}, "five");
  EXPECT_EQ(create_self(), 0);
  EXPECT_EQ(p.ctl.children.back().name, "five");
}

}  // namespace
}  // namespace dk::hosttest
