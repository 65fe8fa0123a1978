/* Streams on devices, and the namespace's refusals (ABI.md section 3 #21-#34, section 7).
 * Cases run in the conformance namespace (docs/conformance.md): file:/tmp, pipes named
 * conf*, loopback ports 40000-40999 and the devices; everything else is refused. */
#include "case.h"

static dk_handle_t open_dev(const char* uri, uint32_t access, uint32_t options) {
  dk_handle_t h = 0;
  CHECK_OK(DkStreamOpen(uri, access, 0, DK_CREATE_NEVER, options, &h));
  CHECK(h != 0);
  return h;
}

static dk_status_t try_open(const char* uri, uint32_t access, uint32_t create) {
  dk_handle_t h = 0x77;
  dk_status_t st = DkStreamOpen(uri, access, 0644, create, 0, &h);
  if (st != 0) CHECK_EQ(h, 0x77); /* a failing call never writes a handle */
  return st;
}

/* ---- #21 DkStreamOpen ---- */
CASE(open_console_write) {
  dk_handle_t h = open_dev("dev:console", DK_ACCESS_WRONLY, 0);
  const char msg[] = "written to dev:console\n";
  uint64_t n = sizeof msg - 1;
  CHECK_OK(DkStreamWrite(h, 0, msg, &n));
  CHECK_EQ(n, sizeof msg - 1);
  return 0;
}

CASE(open_triple_slash) {
  open_dev("dev:///null", DK_ACCESS_RDWR, 0);
  return 0;
}

CASE(open_unknown_device) {
  dk_status_t st = try_open("dev:nosuchdevice", DK_ACCESS_RDONLY, 0);
  if (st != -DK_E_NOENT && st != -DK_E_ACCESS && st != -DK_E_INVAL) CHECK_EQ(st, -DK_E_NOENT);
  return 0;
}

CASE(open_always_exists) {
  CHECK_ST(try_open("dev:null", DK_ACCESS_RDWR, DK_CREATE_ALWAYS), DK_E_EXIST);
  return 0;
}

CASE(open_inval_access) {
  CHECK_ST(try_open("dev:null", 3, 0), DK_E_INVAL);
  return 0;
}

CASE(open_inval_create) {
  CHECK_ST(try_open("dev:null", DK_ACCESS_RDONLY, DK_CREATE_TRY | DK_CREATE_ALWAYS), DK_E_INVAL);
  CHECK_ST(try_open("dev:null", DK_ACCESS_RDONLY, 8), DK_E_INVAL);
  return 0;
}

CASE(open_inval_options) {
  dk_handle_t h;
  CHECK_ST(DkStreamOpen("dev:null", DK_ACCESS_RDONLY, 0, 0, 2, &h), DK_E_INVAL);
  return 0;
}

CASE(open_inval_share) {
  dk_handle_t h;
  CHECK_ST(DkStreamOpen("dev:null", DK_ACCESS_RDONLY, 01000, 0, 0, &h), DK_E_INVAL);
  return 0;
}

CASE(open_uri_fault) {
  dk_handle_t h;
  CHECK_ST(DkStreamOpen((const char*)0, 0, 0, 0, 0, &h), DK_E_FAULT);
  CHECK_ST(DkStreamOpen((const char*)CONF_KERNEL_ADDR, 0, 0, 0, 0, &h), DK_E_FAULT);
  char* edge = conf_edge(8);
  conf_memcpy(edge, "dev:null", 8); /* no NUL before the hole */
  CHECK_ST(DkStreamOpen(edge, 0, 0, 0, 0, &h), DK_E_FAULT);
  return 0;
}

CASE(open_uri_too_long) {
  char* p = conf_pages(2, DK_PROT_READ | DK_PROT_WRITE);
  conf_memcpy(p, "dev:", 4);
  conf_memset(p + 4, 'a', 4092);
  p[4096] = 0; /* 4096 bytes before the NUL */
  CHECK_ST(try_open(p, 0, 0), DK_E_NAMETOOLONG);
  return 0;
}

CASE(open_uri_max_length) {
  /* Exactly 4095 bytes: long, but allowed. A missing file under file:/tmp in components of
   * 200 bytes (each within the 255-byte component limit), so the answer is NOENT. */
  char* p = conf_pages(2, DK_PROT_READ | DK_PROT_WRITE);
  conf_memcpy(p, "file:/tmp/", 10);
  for (int i = 10; i < 4095; ++i) p[i] = (i - 10) % 201 == 200 ? '/' : 'b';
  if (p[4094] == '/') p[4094] = 'b';
  p[4095] = 0;
  CHECK_ST(try_open(p, 0, 0), DK_E_NOENT);
  return 0;
}

CASE(open_uri_too_long_unterminated) {
  /* Bytes past the 4096th are never read: a NUL-less URI ending at a hole is NAMETOOLONG. */
  char* p = conf_pages(2, DK_PROT_READ | DK_PROT_WRITE);
  CHECK_OK(DkVirtualMemoryFree(p + DK_PAGE_SIZE, DK_PAGE_SIZE));
  conf_memset(p, 'a', DK_PAGE_SIZE);
  CHECK_ST(try_open(p, 0, 0), DK_E_NAMETOOLONG);
  return 0;
}

CASE(open_out_fault) {
  CHECK_ST(DkStreamOpen("dev:null", 0, 0, 0, 0, (dk_handle_t*)0), DK_E_FAULT);
  dk_handle_t* ro = conf_pages(1, DK_PROT_READ);
  CHECK_ST(DkStreamOpen("dev:null", 0, 0, 0, 0, ro), DK_E_FAULT);
  return 0;
}

/* ---- #22/#23 DkStreamRead and DkStreamWrite on devices ---- */
CASE(read_zero_fills) {
  dk_handle_t h = open_dev("dev:zero", DK_ACCESS_RDONLY, 0);
  uint8_t b[32];
  conf_memset(b, 0xff, sizeof b);
  uint64_t n = sizeof b;
  CHECK_OK(DkStreamRead(h, 0, b, &n));
  CHECK_EQ(n, sizeof b);
  for (unsigned i = 0; i < sizeof b; ++i) CHECK_EQ(b[i], 0);
  return 0;
}

CASE(read_null_eof) {
  dk_handle_t h = open_dev("dev:null", DK_ACCESS_RDONLY, 0);
  uint8_t b[8];
  uint64_t n = sizeof b;
  CHECK_OK(DkStreamRead(h, 0, b, &n));
  CHECK_EQ(n, 0);
  return 0;
}

CASE(read_offset_inval) {
  dk_handle_t h = open_dev("dev:zero", DK_ACCESS_RDONLY, 0);
  uint8_t b[8];
  uint64_t n = sizeof b;
  CHECK_ST(DkStreamRead(h, 1, b, &n), DK_E_INVAL);
  return 0;
}

CASE(read_wronly_access) {
  dk_handle_t h = open_dev("dev:zero", DK_ACCESS_WRONLY, 0);
  uint8_t b[8];
  uint64_t n = sizeof b;
  CHECK_ST(DkStreamRead(h, 0, b, &n), DK_E_ACCESS);
  return 0;
}

CASE(write_rdonly_access) {
  dk_handle_t h = open_dev("dev:null", DK_ACCESS_RDONLY, 0);
  uint64_t n = 3;
  CHECK_ST(DkStreamWrite(h, 0, "abc", &n), DK_E_ACCESS);
  return 0;
}

CASE(write_offset_inval) {
  dk_handle_t h = open_dev("dev:null", DK_ACCESS_WRONLY, 0);
  uint64_t n = 3;
  CHECK_ST(DkStreamWrite(h, 5, "abc", &n), DK_E_INVAL);
  return 0;
}

CASE(write_null_takes_all) {
  dk_handle_t h = open_dev("dev:null", DK_ACCESS_WRONLY, 0);
  uint8_t* p = conf_pages(4, DK_PROT_READ | DK_PROT_WRITE);
  uint64_t n = 4 * DK_PAGE_SIZE;
  CHECK_OK(DkStreamWrite(h, 0, p, &n));
  CHECK_EQ(n, 4 * DK_PAGE_SIZE);
  return 0;
}

CASE(read_zero_room) {
  dk_handle_t h = open_dev("dev:zero", DK_ACCESS_RDONLY, 0);
  uint8_t b = 0x5a;
  uint64_t n = 0;
  CHECK_OK(DkStreamRead(h, 0, &b, &n));
  CHECK_EQ(n, 0);
  CHECK_EQ(b, 0x5a);
  return 0;
}

CASE(read_pointer_checks) {
  dk_handle_t h = open_dev("dev:zero", DK_ACCESS_RDONLY, 0);
  uint8_t b[16];
  uint64_t n = sizeof b;
  CHECK_ST(DkStreamRead(h, 0, b, (uint64_t*)0), DK_E_FAULT);
  CHECK_ST(DkStreamRead(h, 0, (void*)0, &n), DK_E_FAULT);
  uint8_t* ro = conf_pages(1, DK_PROT_READ);
  CHECK_ST(DkStreamRead(h, 0, ro, &n), DK_E_FAULT); /* read-only output */
  uint8_t* edge = conf_edge(8);
  conf_memset(edge, 0x11, 8);
  n = 16;
  CHECK_ST(DkStreamRead(h, 0, edge, &n), DK_E_FAULT); /* straddling */
  CHECK_EQ(edge[0], 0x11);                             /* nothing half done */
  CHECK_EQ(n, 16);
  return 0;
}

CASE(write_pointer_checks) {
  dk_handle_t h = open_dev("dev:null", DK_ACCESS_WRONLY, 0);
  uint64_t n = 4;
  CHECK_ST(DkStreamWrite(h, 0, (const void*)0, &n), DK_E_FAULT);
  CHECK_ST(DkStreamWrite(h, 0, (const void*)CONF_KERNEL_ADDR, &n), DK_E_FAULT);
  uint64_t* ro = conf_pages(1, DK_PROT_READ);
  CHECK_ST(DkStreamWrite(h, 0, "abcd", ro), DK_E_FAULT); /* the count is in/out */
  n = ~0ull;
  CHECK_ST(DkStreamWrite(h, 0, "abcd", &n), DK_E_FAULT); /* length overflow */
  return 0;
}

CASE(stdout_write) {
  uint64_t n = 12;
  CHECK_OK(DkStreamWrite(conf_boot->stdout_h, 0, "hello, world", &n));
  CHECK_EQ(n, 12);
  return 0;
}

CASE(stdin_read) {
  char b[16];
  uint64_t n = sizeof b;
  CHECK_OK(DkStreamRead(conf_boot->stdin_h, 0, b, &n));
  CHECK_EQ(n, 5);
  CHECK_EQ(conf_memcmp(b, "input", 5), 0);
  n = sizeof b;
  CHECK_OK(DkStreamRead(conf_boot->stdin_h, 0, b, &n));
  CHECK_EQ(n, 0); /* end of input */
  return 0;
}

/* ---- Attributes, names, flush ---- */
CASE(attr_device) {
  dk_handle_t h = open_dev("dev:null", DK_ACCESS_RDONLY, 0);
  dk_stream_attr a;
  conf_memset(&a, 0xee, sizeof a);
  CHECK_OK(DkStreamAttributesQueryByHandle(h, &a));
  CHECK_EQ(a.type, DK_STREAM_DEVICE);
  CHECK_EQ(a.readable, 1);
  CHECK_EQ(a.writable, 0);
  CHECK_EQ(a.nonblocking, 0);
  CHECK_EQ(a.reserved, 0);
  return 0;
}

CASE(attr_nonblocking) {
  dk_handle_t h = open_dev("dev:zero", DK_ACCESS_RDWR, DK_OPTION_NONBLOCK);
  dk_stream_attr a;
  CHECK_OK(DkStreamAttributesQueryByHandle(h, &a));
  CHECK_EQ(a.nonblocking, 1);
  CHECK_EQ(a.writable, 1);
  return 0;
}

CASE(attr_fault) {
  dk_handle_t h = open_dev("dev:null", DK_ACCESS_RDONLY, 0);
  CHECK_ST(DkStreamAttributesQueryByHandle(h, (dk_stream_attr*)0), DK_E_FAULT);
  dk_stream_attr* edge = conf_edge(16);
  CHECK_ST(DkStreamAttributesQueryByHandle(h, edge), DK_E_FAULT);
  return 0;
}

CASE(attr_query_uri) {
  dk_stream_attr a;
  CHECK_OK(DkStreamAttributesQuery("dev:zero", &a));
  CHECK_EQ(a.type, DK_STREAM_DEVICE);
  return 0;
}

CASE(attr_query_uri_fault) {
  dk_stream_attr a;
  CHECK_ST(DkStreamAttributesQuery((const char*)0, &a), DK_E_FAULT);
  CHECK_ST(DkStreamAttributesQuery("dev:zero", (dk_stream_attr*)0), DK_E_FAULT);
  return 0;
}

CASE(attr_set_nonblocking) {
  dk_handle_t h = open_dev("dev:zero", DK_ACCESS_RDONLY, 0);
  dk_stream_attr a;
  CHECK_OK(DkStreamAttributesQueryByHandle(h, &a));
  a.nonblocking = 1;
  CHECK_OK(DkStreamAttributesSetByHandle(h, &a));
  dk_stream_attr b;
  CHECK_OK(DkStreamAttributesQueryByHandle(h, &b));
  CHECK_EQ(b.nonblocking, 1);
  CHECK_EQ(b.type, DK_STREAM_DEVICE); /* only share and nonblocking change */
  CHECK_EQ(b.writable, 0);
  return 0;
}

CASE(attr_set_fault) {
  dk_handle_t h = open_dev("dev:zero", DK_ACCESS_RDONLY, 0);
  CHECK_ST(DkStreamAttributesSetByHandle(h, (const dk_stream_attr*)0), DK_E_FAULT);
  const dk_stream_attr* edge = conf_edge(8);
  CHECK_ST(DkStreamAttributesSetByHandle(h, edge), DK_E_FAULT);
  return 0;
}

CASE(get_name) {
  dk_handle_t h = open_dev("dev:null", DK_ACCESS_RDONLY, 0);
  char b[64];
  uint64_t n = sizeof b;
  CHECK_OK(DkStreamGetName(h, b, &n));
  CHECK(conf_streq(b, "dev:null"));
  return 0;
}

CASE(get_name_overflow) {
  dk_handle_t h = open_dev("dev:null", DK_ACCESS_RDONLY, 0);
  char b[4] = {'x', 'x', 'x', 'x'};
  uint64_t n = sizeof b;
  CHECK_ST(DkStreamGetName(h, b, &n), DK_E_OVERFLOW);
  CHECK_EQ(n, 9); /* "dev:null" and its NUL */
  CHECK_EQ(b[0], 'x');
  return 0;
}

CASE(get_name_fault) {
  dk_handle_t h = open_dev("dev:null", DK_ACCESS_RDONLY, 0);
  char b[16];
  CHECK_ST(DkStreamGetName(h, b, (uint64_t*)0), DK_E_FAULT);
  uint64_t n = 16;
  CHECK_ST(DkStreamGetName(h, (char*)0, &n), DK_E_FAULT);
  return 0;
}

CASE(flush_device) {
  CHECK_OK(DkStreamFlush(open_dev("dev:null", DK_ACCESS_WRONLY, 0)));
  return 0;
}

/* ---- The namespace refuses what the policy does not grant ---- */
#define REFUSED(id, uri)                                                 \
  CASE(id) {                                                             \
    CHECK_ST(try_open(uri, DK_ACCESS_RDONLY, DK_CREATE_NEVER), DK_E_ACCESS); \
    return 0;                                                            \
  }

REFUSED(refuse_file_etc, "file:/etc/passwd")
REFUSED(refuse_file_triple_slash, "file:///etc/passwd")
REFUSED(refuse_file_dotdot, "file:/tmp/../etc/passwd")
REFUSED(refuse_dir_root, "dir:/")
REFUSED(refuse_pipe, "pipe:other")
REFUSED(refuse_pipe_server, "pipe.server:other")
REFUSED(refuse_tcp, "tcp:127.0.0.1:22")
REFUSED(refuse_tcp_remote, "tcp:example.com:80")
REFUSED(refuse_tcp_server, "tcp.server:localhost:3000")
REFUSED(refuse_udp, "udp:127.0.0.1:53")
REFUSED(refuse_udp_server, "udp.server:0.0.0.0:53")

CASE(refuse_attr_query) {
  dk_stream_attr a;
  CHECK_ST(DkStreamAttributesQuery("file:/etc/passwd", &a), DK_E_ACCESS);
  return 0;
}

CASE(refuse_process_create) {
  dk_handle_t p = 0x77, s = 0x77;
  CHECK_ST(DkProcessCreate("file:/bin/sh", "sh", 3, &p, &s), DK_E_ACCESS);
  CHECK_EQ(p, 0x77);
  CHECK_EQ(s, 0x77);
  return 0;
}

CASE(refuse_change_name) {
  dk_handle_t h = open_dev("dev:null", DK_ACCESS_RDWR, 0);
  dk_status_t st = DkStreamChangeName(h, "file:/etc/passwd");
  CHECK(st == -DK_E_ACCESS || st == -DK_E_WRONGTYPE);
  return 0;
}

CASE(change_name_too_long) {
  dk_handle_t h = open_dev("dev:null", DK_ACCESS_RDWR, 0);
  char* p = conf_pages(2, DK_PROT_READ | DK_PROT_WRITE);
  conf_memcpy(p, "file:/tmp/", 10);
  conf_memset(p + 10, 'a', 4090);
  CHECK_ST(DkStreamChangeName(h, p), DK_E_NAMETOOLONG);
  return 0;
}

/* ---- #25 DkStreamUnmap: no status but success (docs/abi.md section 4) ---- */
CASE(unmap_not_mapped) {
  uint8_t* p = conf_pages(2, DK_PROT_READ | DK_PROT_WRITE);
  CHECK_OK(DkVirtualMemoryFree(p, 2 * DK_PAGE_SIZE));
  CHECK_OK(DkStreamUnmap(p, 2 * DK_PAGE_SIZE));
  return 0;
}
