// NativeHost sockets and pipes through the real Dispatcher: real loopback TCP between two
// picoprocesses and with peers outside dk (a socket of the test, and `nc`), CONNREFUSED,
// end of stream and PIPE, UDP datagrams, in-process named pipes, injected ECONNRESET, and
// idle() waking when a socket becomes readable. Native only: real sockets, peers outside dk
// and idle(); the in-process pipes both hosts share also run on both in host_pipes_test.cc.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <thread>

#include "ci_guard.h"
#include "native_test_world.h"

namespace dk::hosttest {
namespace {

uint16_t port_of(const std::string& name) {
  return static_cast<uint16_t>(std::stoi(name.substr(name.find_last_of(':') + 1)));
}

// A plain blocking socket connected to 127.0.0.1:port.
int connect_peer(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// A port nobody listens on (bound, then released).
uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

// The descriptor of this process's connected TCP socket whose local port is `port` (the
// host's end of an accepted connection), or -1.
int accepted_socket_on(uint16_t port) {
  for (int fd = 0; fd < 1024; ++fd) {
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_in a{}, b{};
    socklen_t la = sizeof a, lb = sizeof b;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&a), &la) == 0 && a.sin_family == AF_INET &&
        ntohs(a.sin_port) == port && getpeername(fd, reinterpret_cast<sockaddr*>(&b), &lb) == 0)
      return fd;
  }
  return -1;
}

// True while thread `tid` of this process is inside epoll_wait (or epoll_pwait/epoll_pwait2):
// the first field of /proc/self/task/TID/syscall is the number of the call it is blocked in.
bool in_epoll_wait(pid_t tid) {
  std::ifstream f("/proc/self/task/" + std::to_string(tid) + "/syscall");
  long nr = -1;
  if (!(f >> nr)) return false;
  return nr == SYS_epoll_wait || nr == SYS_epoll_pwait
#ifdef SYS_epoll_pwait2
         || nr == SYS_epoll_pwait2
#endif
      ;
}

class NativeNetTest : public NativeTest {
 protected:
  // A listener on a port the kernel picks; its name carries the port.
  dk_handle_t listen(Proc& p, uint16_t& port) {
    dk_handle_t srv = open(p, "tcp.server:127.0.0.1:0");
    EXPECT_NE(srv, 0u);
    port = srv ? port_of(name_of(p, srv)) : 0;
    return srv;
  }
};

TEST_F(NativeNetTest, TcpBetweenTwoPicoprocesses) {
  uint16_t port = 0;
  dk_handle_t srv = listen(p1, port);
  ASSERT_NE(port, 0u);
  EXPECT_EQ(attr_of(p1, srv).type, uint32_t{DK_STREAM_SERVER});
  const std::string uri = "tcp:127.0.0.1:" + std::to_string(port);
  dk_handle_t c = open(p2, uri);
  ASSERT_NE(c, 0u);
  EXPECT_EQ(name_of(p2, c), uri);
  dk_handle_t s = accept(p1, srv);
  ASSERT_NE(s, 0u);
  EXPECT_EQ(attr_of(p1, s).type, uint32_t{DK_STREAM_SOCKET});
  const int host_fd = accepted_socket_on(port);  // the host's descriptor behind s
  ASSERT_GE(host_fd, 0) << "the host's socket on port " << port;
  EXPECT_EQ(write(p2, c, "hello"), 0);
  EXPECT_EQ(read_n(p1, s, 5), "hello");
  EXPECT_EQ(write(p1, s, "HELLO"), 0);
  EXPECT_EQ(read_n(p2, c, 5), "HELLO");
  // A read with nothing there parks the thread (the emulator keeps running others).
  std::string out;
  EXPECT_EQ(read(p1, s, 10, out), kBlocked);
  p1.parked.clear();
  // Close: end of stream on the other side, then PIPE for its writes.
  EXPECT_EQ(DkObjectClose(p2, c), 0);
  EXPECT_EQ(until_done([&] { return read(p1, s, 10, out); }), 0);
  EXPECT_EQ(out, "");
  // The kernel takes the first write after the peer's close and the peer answers it with a
  // reset; once that reset is on the host's socket (poll reports POLLHUP or POLLERR, which it
  // always watches), writes are PIPE.
  dk_status_t st = write(p1, s, "anyone?");
  if (st == 0) {
    pollfd pfd{host_fd, 0, 0};
    ASSERT_EQ(poll(&pfd, 1, -1), 1);
    EXPECT_NE(pfd.revents & (POLLHUP | POLLERR), 0);
    st = write(p1, s, "anyone?");
  }
  EXPECT_EQ(st, -DK_E_PIPE);
}

TEST_F(NativeNetTest, RefusedAndTakenPorts) {
  const uint16_t nobody = free_port();
  EXPECT_EQ(open_status(p2, "tcp:127.0.0.1:" + std::to_string(nobody)), -DK_E_CONNREFUSED);
  uint16_t port = 0;
  dk_handle_t srv = listen(p1, port);
  ASSERT_NE(srv, 0u);
  EXPECT_EQ(open_status(p2, "tcp.server:127.0.0.1:" + std::to_string(port)), -DK_E_EXIST);
  dk_status_t st = 0;
  query(p2, "tcp:127.0.0.1:" + std::to_string(port), &st);
  EXPECT_EQ(st, 0);
  query(p2, "tcp:127.0.0.1:" + std::to_string(nobody), &st);
  EXPECT_EQ(st, -DK_E_NOENT);
  // Shut down: no more clients.
  EXPECT_EQ(DkStreamDelete(p1, srv, DK_DELETE_ALL), 0);
  uint64_t out = p1.u64(0);
  EXPECT_EQ(DkStreamWaitForClient(p1, srv, out), -DK_E_NOTCONN);
  EXPECT_EQ(open_status(p2, "tcp:127.0.0.1:" + std::to_string(port)), -DK_E_CONNREFUSED);
}

TEST_F(NativeNetTest, PolicyDecidesWhoConnectsAndListens) {
  // A namespace with only one listener granted.
  Namespace ns;
  ns.add(Mapping{"tcp.server:localhost:40123", "tcp.server:localhost:40123", true, 0});
  NativeWorld w([&](HostLaunch& l) { l.ns = ns; });
  auto open_on = [&](const std::string& uri) {
    uint64_t out = p1.u64(0);
    return w.DkStreamOpen(p1, p1.str(uri), DK_ACCESS_RDWR, 0644, 0, 0, out);
  };
  EXPECT_EQ(open_on("tcp.server:localhost:40124"), -DK_E_ACCESS);
  EXPECT_EQ(open_on("tcp:localhost:40123"), -DK_E_ACCESS);
  EXPECT_EQ(open_on("udp:localhost:53"), -DK_E_ACCESS);
  EXPECT_EQ(open_on("pipe:x"), -DK_E_ACCESS);
  EXPECT_EQ(open_on("dev:console"), -DK_E_ACCESS);
}

TEST_F(NativeNetTest, RealPeerOutsideDk) {
  uint16_t port = 0;
  dk_handle_t srv = listen(p1, port);
  ASSERT_NE(port, 0u);
  int peer = connect_peer(port);
  ASSERT_GE(peer, 0);
  dk_handle_t s = accept(p1, srv);
  ASSERT_NE(s, 0u);
  ASSERT_EQ(::send(peer, "ping\n", 5, 0), 5);
  EXPECT_EQ(read_n(p1, s, 5), "ping\n");
  EXPECT_EQ(write(p1, s, "pong\n"), 0);
  char buf[16] = {};
  EXPECT_EQ(::recv(peer, buf, 5, MSG_WAITALL), 5);
  EXPECT_STREQ(buf, "pong\n");
  // Shut down writing: the peer sees end of stream.
  EXPECT_EQ(DkStreamDelete(p1, s, DK_DELETE_WRITE), 0);
  EXPECT_EQ(::recv(peer, buf, sizeof buf, 0), 0);
  ::close(peer);
}

TEST_F(NativeNetTest, NetcatTalksToAListenerOpenedThroughTheHost) {
  uint16_t port = 0;
  dk_handle_t srv = listen(p1, port);
  ASSERT_NE(port, 0u);
  // nc sends a line, shuts its side down (-N) and prints what comes back.
  const std::string cmd =
      "printf 'hello from nc\\n' | timeout 10 nc -N 127.0.0.1 " + std::to_string(port);
  FILE* nc = popen(cmd.c_str(), "r");
  ASSERT_NE(nc, nullptr);
  dk_handle_t s = accept(p1, srv);
  ASSERT_NE(s, 0u);
  const std::string line = read_n(p1, s, 14);
  EXPECT_EQ(line, "hello from nc\n");
  // The end of nc's input: end of stream.
  std::string out;
  EXPECT_EQ(until_done([&] { return read(p1, s, 100, out); }), 0);
  EXPECT_EQ(out, "");
  EXPECT_EQ(write(p1, s, "ECHO " + line), 0);
  EXPECT_EQ(DkObjectClose(p1, s), 0);
  char buf[64] = {};
  std::string got;
  while (fgets(buf, sizeof buf, nc)) got += buf;
  EXPECT_EQ(pclose(nc), 0);
  EXPECT_EQ(got, "ECHO hello from nc\n");
}

TEST_F(NativeNetTest, IdleWakesWhenASocketBecomesReadable) {
  uint16_t port = 0;
  dk_handle_t srv = listen(p1, port);
  int peer = connect_peer(port);
  ASSERT_GE(peer, 0);
  dk_handle_t s = accept(p1, srv);
  ASSERT_NE(s, 0u);
  std::string out;
  ASSERT_EQ(read(p1, s, 10, out), kBlocked);  // arms the socket
  // The peer sends only once this thread is blocked in idle()'s epoll_wait, and only then: an
  // idle() that returned without waiting for the data would find none on the read below.
  const pid_t tid = static_cast<pid_t>(::syscall(SYS_gettid));
  std::string self_syscall;  // "running" for the thread that reads it
  DK_REQUIRE(std::ifstream("/proc/self/task/" + std::to_string(tid) + "/syscall") >> self_syscall,
             "/proc/self/task/TID/syscall is not readable here");
  std::atomic<bool> idle_returned{false}, sent{false};
  std::thread writer([&] {
    while (!idle_returned.load()) {
      if (in_epoll_wait(tid)) {
        sent.store(::send(peer, "late", 4, 0) == 4);
        return;
      }
      sched_yield();
    }
  });
  EXPECT_TRUE(host.idle(kNoDeadline));  // returns once the data is there
  idle_returned.store(true);
  writer.join();
  ASSERT_TRUE(sent.load()) << "idle() returned before it waited";
  EXPECT_EQ(read(p1, s, 10, out), 0);
  EXPECT_EQ(out, "late");
  // A wait on the socket arms it too; a deadline bounds idle().
  uint64_t hs = p1.put(&s, 8);
  uint64_t idx = p1.u64(0);
  EXPECT_EQ(DkObjectsWaitAny(p1, 1, hs, 30'000'000, idx), kBlocked);
  const uint64_t deadline = p1.ctl.blocks.back();
  EXPECT_TRUE(host.idle(deadline));
  EXPECT_EQ(DkObjectsWaitAny(p1, 1, hs, 30'000'000, idx), -DK_E_TIMEOUT);
  ::send(peer, "x", 1, 0);
  EXPECT_EQ(until_done([&] { return DkObjectsWaitAny(p1, 1, hs, DK_TIMEOUT_INFINITE, idx); }), 0);
  ::close(peer);
}

TEST_F(NativeNetTest, InjectedResetsAreBrokenPipes) {
  uint16_t port = 0;
  dk_handle_t srv = listen(p1, port);
  int peer = connect_peer(port);
  dk_handle_t s = accept(p1, srv);
  ASSERT_NE(s, 0u);
  ::send(peer, "data", 4, 0);
  inject(HostOp::Recv, ECONNRESET);
  std::string out;
  EXPECT_EQ(read(p1, s, 10, out), -DK_E_PIPE);
  inject(HostOp::Send, ECONNRESET);
  EXPECT_EQ(write(p1, s, "x"), -DK_E_PIPE);
  inject(HostOp::Send, EPIPE);
  EXPECT_EQ(write(p1, s, "x"), -DK_E_PIPE);
  inject(HostOp::Connect, ECONNREFUSED);
  EXPECT_EQ(open_status(p2, "tcp:127.0.0.1:" + std::to_string(port)), -DK_E_CONNREFUSED);
  inject(HostOp::Accept, EMFILE);
  dk_status_t st = 0;
  accept(p1, srv, &st);
  EXPECT_EQ(st, -DK_E_QUOTA);
  stop_injecting();
  EXPECT_EQ(read_n(p1, s, 4), "data");
  // A real reset: the peer closes with unread data (RST).
  linger lg{1, 0};
  setsockopt(peer, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  ::close(peer);
  EXPECT_EQ(until_done([&] { return read(p1, s, 10, out); }), -DK_E_PIPE);
}

TEST_F(NativeNetTest, UdpKeepsDatagramsAndRepliesToTheSender) {
  dk_handle_t srv = open(p1, "udp.server:127.0.0.1:0");
  ASSERT_NE(srv, 0u);
  const uint16_t port = port_of(name_of(p1, srv));
  dk_handle_t c = open(p2, "udp:127.0.0.1:" + std::to_string(port));
  ASSERT_NE(c, 0u);
  EXPECT_EQ(write(p1, srv, "nobody yet"), -DK_E_NOTCONN);
  EXPECT_EQ(write(p2, c, "one"), 0);
  EXPECT_EQ(write(p2, c, "two!"), 0);
  std::string out;
  EXPECT_EQ(until_done([&] { return read(p1, srv, 100, out); }), 0);
  EXPECT_EQ(out, "one");
  EXPECT_EQ(until_done([&] { return read(p1, srv, 2, out); }), 0);
  EXPECT_EQ(out, "tw");  // cut to the room; the rest is dropped
  EXPECT_EQ(write(p1, srv, "reply"), 0);
  EXPECT_EQ(until_done([&] { return read(p2, c, 100, out); }), 0);
  EXPECT_EQ(out, "reply");
  EXPECT_EQ(read(p2, c, 100, out), kBlocked);
}

TEST_F(NativeNetTest, PipesBetweenPicoprocessesOfTheWorld) {
  dk_handle_t srv = open(p1, "pipe.server:work");
  ASSERT_NE(srv, 0u);
  EXPECT_EQ(open_status(p2, "pipe:other"), -DK_E_CONNREFUSED);
  dk_handle_t c = open(p2, "pipe:work");
  ASSERT_NE(c, 0u);
  dk_handle_t s = accept(p1, srv);
  ASSERT_NE(s, 0u);
  EXPECT_EQ(write(p2, c, "through the pipe"), 0);
  EXPECT_EQ(read_all(p1, s), "through the pipe");
  // Handles travel over pipes.
  uint64_t sem = p2.u64(0);
  ASSERT_EQ(DkSemaphoreCreate(p2, 1, 5, sem), 0);
  EXPECT_EQ(DkSendHandle(p2, c, p2.get64(sem)), 0);
  uint64_t got = p1.u64(0);
  EXPECT_EQ(DkReceiveHandle(p1, s, got), 0);
  uint64_t count = p1.u64(0);
  EXPECT_EQ(DkSemaphorePeek(p1, p1.get64(got), count), 0);
  EXPECT_EQ(p1.get32(count), 1u);
  EXPECT_EQ(DkObjectClose(p2, c), 0);
  EXPECT_EQ(read_all(p1, s), "");
  EXPECT_EQ(write(p1, s, "x"), -DK_E_PIPE);
}

}  // namespace
}  // namespace dk::hosttest
