// SimHost loopback network between picoprocesses: TCP listen, connect, accept, stream
// semantics, end of stream, PIPE, CONNREFUSED, ports picked for port 0, and UDP datagrams
// that keep their boundaries, with replies to the last sender. Simulated only: the loopback
// network is the simulated host's own (ports it picks, buffers it sizes); the native host's
// real sockets are in native_net_test.cc.
#include "sim_test_world.h"

namespace dk::hosttest {
namespace {

class SimNetTest : public SimTest {};

TEST_F(SimNetTest, TcpEchoBetweenTwoPicoprocesses) {
  dk_handle_t srv = open(p1, "tcp.server://localhost:3000");
  ASSERT_NE(srv, 0u);
  EXPECT_EQ(name_of(p1, srv), "tcp.server:localhost:3000");
  EXPECT_EQ(attr_of(p1, srv).type, uint32_t{DK_STREAM_SERVER});
  dk_status_t st;
  EXPECT_EQ(accept(p1, srv, &st), 0u);
  EXPECT_EQ(st, kBlocked);
  // Any host name is this machine.
  dk_handle_t c = open(p2, "tcp:127.0.0.1:3000");
  ASSERT_NE(c, 0u);
  EXPECT_EQ(write(p2, c, "hello"), 0);  // buffered before the server accepts
  dk_handle_t s = accept(p1, srv);
  ASSERT_NE(s, 0u);
  EXPECT_EQ(attr_of(p1, s).type, uint32_t{DK_STREAM_SOCKET});
  EXPECT_EQ(attr_of(p1, s).size, 5u);
  EXPECT_EQ(read_all(p1, s), "hello");
  EXPECT_EQ(write(p1, s, "HELLO"), 0);
  EXPECT_EQ(read_all(p2, c), "HELLO");
  EXPECT_EQ(name_of(p2, c), "tcp:127.0.0.1:3000");
  // Close: end of stream on the other side, PIPE for its writes.
  EXPECT_EQ(DkObjectClose(p2, c), 0);
  EXPECT_EQ(read_all(p1, s), "");
  EXPECT_EQ(write(p1, s, "x"), -DK_E_PIPE);
}

TEST_F(SimNetTest, RefusedTakenAndPickedPorts) {
  EXPECT_EQ(open_status(p2, "tcp:localhost:4000"), -DK_E_CONNREFUSED);
  dk_handle_t srv = open(p1, "tcp.server:0.0.0.0:4000");
  ASSERT_NE(srv, 0u);
  EXPECT_EQ(open_status(p2, "tcp.server:localhost:4000"), -DK_E_EXIST);
  dk_handle_t any = open(p1, "tcp.server:localhost:0");
  EXPECT_EQ(name_of(p1, any), "tcp.server:localhost:49152");
  dk_handle_t any2 = open(p1, "tcp.server:localhost:0");
  EXPECT_EQ(name_of(p1, any2), "tcp.server:localhost:49153");
  EXPECT_NE(open(p2, "tcp:localhost:49152"), 0u);
  EXPECT_EQ(open_status(p2, "tcp:localhost"), -DK_E_INVAL);
  EXPECT_EQ(open_status(p2, "tcp:localhost:70000"), -DK_E_INVAL);
  // Attributes by URI say whether someone listens.
  uint64_t a = p2.alloc(sizeof(dk_stream_attr));
  EXPECT_EQ(DkStreamAttributesQuery(p2, p2.str("tcp:localhost:4000"), a), 0);
  EXPECT_EQ(DkStreamAttributesQuery(p2, p2.str("tcp:localhost:4001"), a), -DK_E_NOENT);
  // Shutting the listener down refuses new clients and drops unaccepted ones.
  dk_handle_t c = open(p2, "tcp:localhost:4000");
  ASSERT_NE(c, 0u);
  EXPECT_EQ(DkStreamDelete(p1, srv, DK_DELETE_ALL), 0);
  EXPECT_EQ(open_status(p2, "tcp:localhost:4000"), -DK_E_CONNREFUSED);
  EXPECT_EQ(read_all(p2, c), "");
  EXPECT_EQ(write(p2, c, "x"), -DK_E_PIPE);
  dk_status_t st;
  accept(p1, srv, &st);
  EXPECT_EQ(st, -DK_E_NOTCONN);
  std::string out;
  EXPECT_EQ(read(p1, any, 10, out), -DK_E_NOTCONN);
}

TEST_F(SimNetTest, TcpBackpressureAndWaits) {
  dk_handle_t srv = open(p1, "tcp.server:localhost:5000");
  dk_handle_t c = open(p2, "tcp:localhost:5000", DK_ACCESS_RDWR, 0, DK_OPTION_NONBLOCK);
  uint64_t ready = p1.u64(0);
  EXPECT_EQ(DkObjectsWaitAny(p1, 1, p1.u64(srv), 0, ready), 0);  // a client waits
  dk_handle_t s = accept(p1, srv);
  uint64_t done = 0;
  EXPECT_EQ(write(p2, c, std::string(100000, 'q'), 0, &done), 0);
  EXPECT_EQ(done, 65536u);
  EXPECT_EQ(write(p2, c, "q"), -DK_E_AGAIN);
  std::string out;
  EXPECT_EQ(read(p2, c, 1, out), -DK_E_AGAIN);
  uint64_t hs[2] = {c, c};
  EXPECT_EQ(DkObjectsWaitAny(p2, 2, p2.put(hs, 16), 0, p2.u64(0)), -DK_E_TIMEOUT);
  EXPECT_EQ(read(p1, s, 65536, out), 0);
  EXPECT_EQ(out.size(), 65536u);
  EXPECT_EQ(write(p2, c, "q", 0, &done), 0);
}

TEST_F(SimNetTest, UdpKeepsDatagramBoundaries) {
  dk_handle_t srv = open(p1, "udp.server:localhost:5353");
  ASSERT_NE(srv, 0u);
  EXPECT_EQ(open_status(p2, "udp:localhost:5354"), -DK_E_CONNREFUSED);
  EXPECT_EQ(open_status(p2, "udp.server:localhost:5353"), -DK_E_EXIST);
  dk_handle_t a = open(p2, "udp://localhost:5353");
  dk_handle_t b = open(p2, "udp:localhost:5353");
  ASSERT_NE(a, 0u);
  EXPECT_EQ(attr_of(p2, a).type, uint32_t{DK_STREAM_SOCKET});
  // The server cannot answer before anyone wrote.
  EXPECT_EQ(write(p1, srv, "?"), -DK_E_NOTCONN);
  EXPECT_EQ(write(p2, a, "one"), 0);
  EXPECT_EQ(write(p2, b, "two-two"), 0);
  EXPECT_EQ(attr_of(p1, srv).size, 3u);  // the next datagram's size
  std::string out;
  EXPECT_EQ(read(p1, srv, 100, out), 0);
  EXPECT_EQ(out, "one");
  EXPECT_EQ(write(p1, srv, "re:one"), 0);  // to the last sender
  EXPECT_EQ(read(p1, srv, 3, out), 0);
  EXPECT_EQ(out, "two");  // cut to the room; the rest of the datagram is gone
  EXPECT_EQ(write(p1, srv, "re:two"), 0);
  EXPECT_EQ(read(p1, srv, 100, out), kBlocked);
  p1.parked.clear();
  EXPECT_EQ(read_all(p2, a), "re:one");
  EXPECT_EQ(read_all(p2, b), "re:two");
  // A datagram never exceeds the queue; a closed server gives PIPE.
  EXPECT_EQ(write(p2, a, std::string(70000, 'x')), -DK_E_INVAL);
  EXPECT_EQ(write(p2, a, ""), 0);
  EXPECT_EQ(read(p1, srv, 100, out), 0);
  EXPECT_EQ(out, "");
  EXPECT_EQ(DkObjectClose(p1, srv), 0);
  EXPECT_EQ(write(p2, a, "hello?"), -DK_E_PIPE);
  EXPECT_NE(open(p1, "udp.server:localhost:5353"), 0u);  // the port is free again
}

TEST_F(SimNetTest, UdpFullQueueBlocks) {
  dk_handle_t srv = open(p1, "udp.server:localhost:9");
  dk_handle_t c = open(p2, "udp:localhost:9");
  EXPECT_EQ(write(p2, c, std::string(60000, 'a')), 0);
  EXPECT_EQ(write(p2, c, std::string(6000, 'b')), kBlocked);
  std::string out;
  EXPECT_EQ(read(p1, srv, 65536, out), 0);
  EXPECT_EQ(out.size(), 60000u);
  EXPECT_EQ(write(p2, c, std::string(6000, 'b')), 0);
  EXPECT_EQ(DkStreamDelete(p2, c, DK_DELETE_WRITE), 0);
  EXPECT_EQ(write(p2, c, "x"), -DK_E_PIPE);
}

}  // namespace
}  // namespace dk::hosttest
