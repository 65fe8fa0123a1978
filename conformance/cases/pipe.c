/* Named pipes, TCP and UDP on loopback, and handle passing (ABI.md section 3 #21-#23, #28,
 * #29, #37, #38, section 7): every status those calls name for these streams (docs/abi.md
 * section 4). Both ends live in one picoprocess: a client's open never waits for the server
 * to accept, and the case accepts it afterwards. Names start with "conf"; ports are in
 * 40000-40999 (the conformance namespace). */
#include "case.h"

static dk_handle_t open_uri(const char* uri, uint32_t options) {
  dk_handle_t h = 0;
  CHECK_OK(DkStreamOpen(uri, DK_ACCESS_RDWR, 0, DK_CREATE_NEVER, options, &h));
  CHECK(h != 0);
  return h;
}

/* A connected pair over `server_uri` / `client_uri`: *srv the listener, *a the client end,
 * *b the server's end of the connection. */
static void connect_pair(const char* server_uri, const char* client_uri, dk_handle_t* srv,
                         dk_handle_t* a, dk_handle_t* b) {
  *srv = open_uri(server_uri, 0);
  *a = open_uri(client_uri, 0);
  *b = 0;
  CHECK_OK(DkStreamWaitForClient(*srv, b));
  CHECK(*b != 0);
}

static void pipe_pair(const char* name, dk_handle_t* a, dk_handle_t* b) {
  char server[64] = "pipe.server:", client[64] = "pipe:";
  conf_memcpy(server + 12, name, conf_strlen(name) + 1);
  conf_memcpy(client + 5, name, conf_strlen(name) + 1);
  dk_handle_t srv;
  connect_pair(server, client, &srv, a, b);
}

static void write_all(dk_handle_t h, const char* s) {
  uint64_t n = conf_strlen(s);
  CHECK_OK(DkStreamWrite(h, 0, s, &n));
  CHECK_EQ(n, conf_strlen(s));
}

static dk_handle_t set_nonblocking(dk_handle_t h) {
  dk_stream_attr a;
  CHECK_OK(DkStreamAttributesQueryByHandle(h, &a));
  a.nonblocking = 1;
  CHECK_OK(DkStreamAttributesSetByHandle(h, &a));
  return h;
}

/* ---- pipes: #21 open, #22/#23 read and write ---- */
CASE(pipe_round_trip) {
  dk_handle_t a, b;
  pipe_pair("conf_rt", &a, &b);
  write_all(a, "ping");
  char buf[16];
  uint64_t n = sizeof buf;
  CHECK_OK(DkStreamRead(b, 0, buf, &n));
  CHECK_EQ(n, 4);
  CHECK_EQ(conf_memcmp(buf, "ping", 4), 0);
  write_all(b, "pong!");
  n = sizeof buf;
  CHECK_OK(DkStreamRead(a, 0, buf, &n));
  CHECK_EQ(n, 5);
  dk_stream_attr at;
  CHECK_OK(DkStreamAttributesQueryByHandle(a, &at));
  CHECK_EQ(at.type, DK_STREAM_PIPE);
  return 0;
}

CASE(pipe_connrefused) {
  dk_handle_t h = 0x77;
  CHECK_ST(DkStreamOpen("pipe:conf_nobody_serves", DK_ACCESS_RDWR, 0, 0, 0, &h),
           DK_E_CONNREFUSED);
  CHECK_EQ(h, 0x77);
  return 0;
}

CASE(pipe_server_exists) {
  open_uri("pipe.server:conf_twice", 0);
  dk_handle_t h = 0x77;
  CHECK_ST(DkStreamOpen("pipe.server:conf_twice", DK_ACCESS_RDWR, 0, 0, 0, &h), DK_E_EXIST);
  CHECK_EQ(h, 0x77);
  return 0;
}

CASE(pipe_write_peer_closed) {
  dk_handle_t a, b;
  pipe_pair("conf_epipe", &a, &b);
  CHECK_OK(DkObjectClose(b));
  uint64_t n = 4;
  CHECK_ST(DkStreamWrite(a, 0, "lost", &n), DK_E_PIPE);
  return 0;
}

CASE(pipe_read_peer_closed_eof) {
  dk_handle_t a, b;
  pipe_pair("conf_eof", &a, &b);
  write_all(a, "last");
  CHECK_OK(DkObjectClose(a));
  char buf[16];
  uint64_t n = sizeof buf;
  CHECK_OK(DkStreamRead(b, 0, buf, &n)); /* what was written before the close */
  CHECK_EQ(n, 4);
  n = sizeof buf;
  CHECK_OK(DkStreamRead(b, 0, buf, &n));
  CHECK_EQ(n, 0); /* then end of stream */
  return 0;
}

CASE(pipe_read_nonblocking_again) {
  dk_handle_t a, b;
  pipe_pair("conf_again", &a, &b);
  set_nonblocking(b);
  char buf[8];
  uint64_t n = sizeof buf;
  CHECK_ST(DkStreamRead(b, 0, buf, &n), DK_E_AGAIN);
  (void)a;
  return 0;
}

CASE(pipe_open_nonblocking_again) {
  dk_handle_t srv = open_uri("pipe.server:conf_nbopen", 0);
  dk_handle_t a = open_uri("pipe:conf_nbopen", DK_OPTION_NONBLOCK);
  dk_handle_t b = 0;
  CHECK_OK(DkStreamWaitForClient(srv, &b));
  char buf[8];
  uint64_t n = sizeof buf;
  CHECK_ST(DkStreamRead(a, 0, buf, &n), DK_E_AGAIN);
  return 0;
}

CASE(pipe_write_full_again) {
  dk_handle_t a, b;
  pipe_pair("conf_full", &a, &b);
  set_nonblocking(a);
  uint8_t* chunk = conf_pages(16, DK_PROT_READ | DK_PROT_WRITE);
  uint64_t total = 0;
  for (int i = 0; i < 4096; i++) { /* at most 256 MiB: a pipe buffer is far smaller */
    uint64_t n = 16 * DK_PAGE_SIZE;
    dk_status_t st = DkStreamWrite(a, 0, chunk, &n);
    if (st == -DK_E_AGAIN) {
      CHECK(total > 0);
      dk_stream_attr at;
      CHECK_OK(DkStreamAttributesQueryByHandle(b, &at));
      CHECK_EQ(at.size, total); /* everything taken is readable at the other end */
      return 0;
    }
    CHECK_OK(st);
    CHECK(n > 0 && n <= 16 * DK_PAGE_SIZE);
    total += n;
  }
  conf_fail(__FILE__, __LINE__, "a nonblocking write to a full pipe never gave AGAIN", 0, -DK_E_AGAIN);
}

CASE(pipe_offset_inval) {
  dk_handle_t a, b;
  pipe_pair("conf_off", &a, &b);
  uint64_t n = 1;
  CHECK_ST(DkStreamWrite(a, 1, "x", &n), DK_E_INVAL);
  char buf[4];
  n = sizeof buf;
  CHECK_ST(DkStreamRead(b, 8, buf, &n), DK_E_INVAL);
  return 0;
}

CASE(pipe_read_wronly_access) {
  dk_handle_t srv = open_uri("pipe.server:conf_wo", 0);
  dk_handle_t a = 0, b = 0;
  CHECK_OK(DkStreamOpen("pipe:conf_wo", DK_ACCESS_WRONLY, 0, 0, 0, &a));
  CHECK_OK(DkStreamWaitForClient(srv, &b));
  char buf[4];
  uint64_t n = sizeof buf;
  CHECK_ST(DkStreamRead(a, 0, buf, &n), DK_E_ACCESS);
  return 0;
}

CASE(pipe_write_rdonly_access) {
  dk_handle_t srv = open_uri("pipe.server:conf_ro", 0);
  dk_handle_t a = 0, b = 0;
  CHECK_OK(DkStreamOpen("pipe:conf_ro", DK_ACCESS_RDONLY, 0, 0, 0, &a));
  CHECK_OK(DkStreamWaitForClient(srv, &b));
  uint64_t n = 1;
  CHECK_ST(DkStreamWrite(a, 0, "x", &n), DK_E_ACCESS);
  return 0;
}

CASE(server_read_write_notconn) {
  dk_handle_t srv = open_uri("pipe.server:conf_srvio", 0);
  char buf[4];
  uint64_t n = sizeof buf;
  CHECK_ST(DkStreamRead(srv, 0, buf, &n), DK_E_NOTCONN);
  n = 1;
  CHECK_ST(DkStreamWrite(srv, 0, "x", &n), DK_E_NOTCONN);
  return 0;
}

CASE(pipe_map_wrongtype) {
  dk_handle_t a, b;
  pipe_pair("conf_map", &a, &b);
  void* addr = 0;
  CHECK_ST(DkStreamMap(a, &addr, DK_PROT_READ, 0, DK_PAGE_SIZE), DK_E_WRONGTYPE);
  CHECK_ST(DkStreamSetLength(a, 0), DK_E_WRONGTYPE);
  CHECK_ST(DkStreamChangeName(a, "pipe:conf_other"), DK_E_WRONGTYPE);
  return 0;
}

/* ---- #28 DkStreamDelete on pipes: shut down READ, WRITE or ALL ---- */
CASE(pipe_shutdown_write) {
  dk_handle_t a, b;
  pipe_pair("conf_shw", &a, &b);
  write_all(a, "tail");
  CHECK_OK(DkStreamDelete(a, DK_DELETE_WRITE));
  uint64_t n = 1;
  CHECK_ST(DkStreamWrite(a, 0, "x", &n), DK_E_PIPE);
  char buf[16];
  n = sizeof buf;
  CHECK_OK(DkStreamRead(b, 0, buf, &n));
  CHECK_EQ(n, 4);
  n = sizeof buf;
  CHECK_OK(DkStreamRead(b, 0, buf, &n));
  CHECK_EQ(n, 0);
  write_all(b, "back"); /* the other direction still works */
  n = sizeof buf;
  CHECK_OK(DkStreamRead(a, 0, buf, &n));
  CHECK_EQ(n, 4);
  return 0;
}

CASE(pipe_shutdown_read) {
  dk_handle_t a, b;
  pipe_pair("conf_shr", &a, &b);
  CHECK_OK(DkStreamDelete(b, DK_DELETE_READ));
  char buf[4];
  uint64_t n = sizeof buf;
  CHECK_OK(DkStreamRead(b, 0, buf, &n));
  CHECK_EQ(n, 0); /* end of stream at once */
  n = 1;
  CHECK_ST(DkStreamWrite(a, 0, "x", &n), DK_E_PIPE); /* the reader is gone */
  return 0;
}

CASE(pipe_shutdown_inval) {
  dk_handle_t a, b;
  pipe_pair("conf_shi", &a, &b);
  CHECK_ST(DkStreamDelete(a, 3), DK_E_INVAL);
  write_all(a, "ok"); /* nothing was shut down */
  (void)b;
  return 0;
}

/* ---- #29 DkStreamWaitForClient ---- */
CASE(wait_client_nonblocking_again) {
  dk_handle_t srv = open_uri("pipe.server:conf_nb", DK_OPTION_NONBLOCK);
  dk_handle_t c = 0x77;
  CHECK_ST(DkStreamWaitForClient(srv, &c), DK_E_AGAIN);
  CHECK_EQ(c, 0x77);
  return 0;
}

CASE(wait_client_ready) {
  dk_handle_t srv = open_uri("pipe.server:conf_ready", 0);
  uint32_t idx = 9;
  CHECK_ST(DkObjectsWaitAny(1, &srv, 0, &idx), DK_E_TIMEOUT);
  open_uri("pipe:conf_ready", 0);
  CHECK_OK(DkObjectsWaitAny(1, &srv, 0, &idx)); /* a client waiting makes a server ready */
  CHECK_EQ(idx, 0);
  return 0;
}

CASE(wait_client_wrongtype) {
  dk_handle_t a, b;
  pipe_pair("conf_wct", &a, &b);
  dk_handle_t c = 0x77;
  CHECK_ST(DkStreamWaitForClient(a, &c), DK_E_WRONGTYPE); /* a connected end, not a server */
  dk_handle_t dev = open_uri("dev:null", 0);
  CHECK_ST(DkStreamWaitForClient(dev, &c), DK_E_WRONGTYPE);
  CHECK_EQ(c, 0x77);
  return 0;
}

CASE(wait_client_fault) {
  dk_handle_t srv = open_uri("pipe.server:conf_wcf", 0);
  open_uri("pipe:conf_wcf", 0);
  dk_handle_t* ro = conf_pages(1, DK_PROT_READ);
  CHECK_ST(DkStreamWaitForClient(srv, ro), DK_E_FAULT);
  CHECK_ST(DkStreamWaitForClient(srv, (dk_handle_t*)0), DK_E_FAULT);
  dk_handle_t c = 0;
  CHECK_OK(DkStreamWaitForClient(srv, &c)); /* the client is still first in line */
  return 0;
}

/* ---- #37 DkSendHandle and #38 DkReceiveHandle ---- */
CASE(send_receive_semaphore) {
  dk_handle_t a, b;
  pipe_pair("conf_cargo", &a, &b);
  dk_handle_t s = conf_semaphore(3, 5);
  CHECK_OK(DkSendHandle(a, s));
  dk_handle_t got = 0;
  CHECK_OK(DkReceiveHandle(b, &got));
  CHECK(got != 0 && got != s);
  uint32_t count = 0;
  CHECK_OK(DkSemaphorePeek(got, &count));
  CHECK_EQ(count, 3);
  CHECK_OK(DkSemaphoreRelease(got, 1, 0)); /* the same object */
  CHECK_OK(DkSemaphorePeek(s, &count));
  CHECK_EQ(count, 4);
  return 0;
}

CASE(send_handle_peer_closed) {
  dk_handle_t a, b;
  pipe_pair("conf_sendpipe", &a, &b);
  CHECK_OK(DkObjectClose(b));
  CHECK_ST(DkSendHandle(a, conf_semaphore(0, 1)), DK_E_PIPE);
  return 0;
}

CASE(send_handle_bad_cargo) {
  dk_handle_t a, b;
  pipe_pair("conf_badcargo", &a, &b);
  CHECK_ST(DkSendHandle(a, CONF_BAD_HANDLE), DK_E_BADHANDLE);
  (void)b;
  return 0;
}

CASE(send_receive_not_pipe_wrongtype) {
  dk_handle_t dev = open_uri("dev:null", 0);
  CHECK_ST(DkSendHandle(dev, conf_semaphore(0, 1)), DK_E_WRONGTYPE);
  dk_handle_t got = 0x77;
  CHECK_ST(DkReceiveHandle(dev, &got), DK_E_WRONGTYPE);
  dk_handle_t srv = open_uri("pipe.server:conf_srvcargo", 0);
  CHECK_ST(DkSendHandle(srv, conf_semaphore(0, 1)), DK_E_WRONGTYPE);
  CHECK_ST(DkReceiveHandle(srv, &got), DK_E_WRONGTYPE);
  CHECK_EQ(got, 0x77);
  return 0;
}

CASE(send_over_tcp_wrongtype) {
  dk_handle_t srv, a, b;
  connect_pair("tcp.server:127.0.0.1:40511", "tcp:127.0.0.1:40511", &srv, &a, &b);
  CHECK_ST(DkSendHandle(a, conf_semaphore(0, 1)), DK_E_WRONGTYPE); /* pipes only */
  return 0;
}

CASE(receive_handle_fault) {
  dk_handle_t a, b;
  pipe_pair("conf_recvf", &a, &b);
  CHECK_OK(DkSendHandle(a, conf_semaphore(2, 2)));
  dk_handle_t* ro = conf_pages(1, DK_PROT_READ);
  CHECK_ST(DkReceiveHandle(b, ro), DK_E_FAULT);
  CHECK_ST(DkReceiveHandle(b, (dk_handle_t*)0), DK_E_FAULT);
  dk_handle_t got = 0;
  CHECK_OK(DkReceiveHandle(b, &got)); /* the refused calls took nothing */
  uint32_t count = 0;
  CHECK_OK(DkSemaphorePeek(got, &count));
  CHECK_EQ(count, 2);
  return 0;
}

/* ---- TCP ---- */
CASE(tcp_round_trip) {
  dk_handle_t srv, a, b;
  connect_pair("tcp.server:127.0.0.1:40501", "tcp:127.0.0.1:40501", &srv, &a, &b);
  write_all(a, "over tcp");
  char buf[16];
  uint64_t n = sizeof buf;
  CHECK_OK(DkStreamRead(b, 0, buf, &n));
  CHECK_EQ(n, 8);
  CHECK_EQ(conf_memcmp(buf, "over tcp", 8), 0);
  dk_stream_attr at;
  CHECK_OK(DkStreamAttributesQueryByHandle(a, &at));
  CHECK_EQ(at.type, DK_STREAM_SOCKET);
  CHECK_OK(DkStreamAttributesQueryByHandle(srv, &at));
  CHECK_EQ(at.type, DK_STREAM_SERVER);
  return 0;
}

CASE(tcp_connrefused) {
  dk_handle_t h = 0x77;
  CHECK_ST(DkStreamOpen("tcp:127.0.0.1:40502", DK_ACCESS_RDWR, 0, 0, 0, &h), DK_E_CONNREFUSED);
  CHECK_EQ(h, 0x77);
  return 0;
}

CASE(tcp_server_exists) {
  open_uri("tcp.server:127.0.0.1:40503", 0);
  dk_handle_t h = 0x77;
  CHECK_ST(DkStreamOpen("tcp.server:127.0.0.1:40503", DK_ACCESS_RDWR, 0, 0, 0, &h), DK_E_EXIST);
  CHECK_EQ(h, 0x77);
  return 0;
}

CASE(tcp_accept_nonblocking_again) {
  dk_handle_t srv = open_uri("tcp.server:127.0.0.1:40504", DK_OPTION_NONBLOCK);
  dk_handle_t c = 0x77;
  CHECK_ST(DkStreamWaitForClient(srv, &c), DK_E_AGAIN);
  CHECK_EQ(c, 0x77);
  return 0;
}

CASE(tcp_read_nonblocking_again) {
  dk_handle_t srv, a, b;
  connect_pair("tcp.server:127.0.0.1:40505", "tcp:127.0.0.1:40505", &srv, &a, &b);
  set_nonblocking(b);
  char buf[8];
  uint64_t n = sizeof buf;
  CHECK_ST(DkStreamRead(b, 0, buf, &n), DK_E_AGAIN);
  return 0;
}

CASE(tcp_write_peer_closed) {
  dk_handle_t srv, a, b;
  connect_pair("tcp.server:127.0.0.1:40506", "tcp:127.0.0.1:40506", &srv, &a, &b);
  CHECK_OK(DkObjectClose(b));
  /* A real TCP stack may take the first write before it learns of the close. */
  for (int i = 0; i < 100; i++) {
    uint64_t n = 4;
    dk_status_t st = DkStreamWrite(a, 0, "gone", &n);
    if (st == -DK_E_PIPE) return 0;
    CHECK_OK(st);
    uint64_t ns = 1000000;
    CHECK_OK(DkThreadDelayExecution(&ns));
  }
  conf_fail(__FILE__, __LINE__, "writes to a closed TCP peer never gave PIPE", 0, -DK_E_PIPE);
}

CASE(tcp_server_notconn) {
  dk_handle_t srv = open_uri("tcp.server:127.0.0.1:40507", 0);
  char buf[4];
  uint64_t n = sizeof buf;
  CHECK_ST(DkStreamRead(srv, 0, buf, &n), DK_E_NOTCONN);
  n = 1;
  CHECK_ST(DkStreamWrite(srv, 0, "x", &n), DK_E_NOTCONN);
  return 0;
}

CASE(udp_server_write_notconn) {
  dk_handle_t u = open_uri("udp.server:127.0.0.1:40508", 0);
  uint64_t n = 1;
  CHECK_ST(DkStreamWrite(u, 0, "x", &n), DK_E_NOTCONN); /* no peer to send to yet */
  return 0;
}

CASE(udp_round_trip) {
  dk_handle_t srv = open_uri("udp.server:127.0.0.1:40509", 0);
  dk_handle_t c = open_uri("udp:127.0.0.1:40509", 0);
  write_all(c, "dgram");
  char buf[16];
  uint64_t n = sizeof buf;
  CHECK_OK(DkStreamRead(srv, 0, buf, &n));
  CHECK_EQ(n, 5);
  write_all(srv, "reply"); /* now the server has a peer */
  n = sizeof buf;
  CHECK_OK(DkStreamRead(c, 0, buf, &n));
  CHECK_EQ(n, 5);
  CHECK_EQ(conf_memcmp(buf, "reply", 5), 0);
  return 0;
}

CASE(udp_read_nonblocking_again) {
  dk_handle_t u = open_uri("udp.server:127.0.0.1:40510", DK_OPTION_NONBLOCK);
  char buf[8];
  uint64_t n = sizeof buf;
  CHECK_ST(DkStreamRead(u, 0, buf, &n), DK_E_AGAIN);
  return 0;
}

/* ---- #30 DkStreamAttributesQuery on names ---- */
CASE(attr_query_pipe_noent) {
  dk_stream_attr a;
  CHECK_ST(DkStreamAttributesQuery("pipe:conf_nobody_here", &a), DK_E_NOENT);
  open_uri("pipe.server:conf_somebody", 0);
  CHECK_OK(DkStreamAttributesQuery("pipe:conf_somebody", &a));
  CHECK_EQ(a.type, DK_STREAM_PIPE);
  return 0;
}
