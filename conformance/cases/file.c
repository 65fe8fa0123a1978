/* Files and directories under file:/tmp and dir:/tmp (ABI.md section 3 #21-#34, section 7):
 * every status the calls name for them (docs/abi.md section 4). Each case first makes sure
 * dir:/tmp exists (create TRY), then works on names of its own beneath it. */
#include "case.h"

static void make_tmp(void) {
  dk_handle_t d = 0;
  CHECK_OK(DkStreamOpen("dir:/tmp", DK_ACCESS_RDONLY, 0755, DK_CREATE_TRY, 0, &d));
  CHECK_OK(DkObjectClose(d));
}

static dk_handle_t open_file(const char* uri, uint32_t access, uint32_t create) {
  dk_handle_t h = 0;
  CHECK_OK(DkStreamOpen(uri, access, 0644, create, 0, &h));
  CHECK(h != 0);
  return h;
}

static dk_status_t try_open(const char* uri, uint32_t access, uint32_t create) {
  dk_handle_t h = 0x77;
  dk_status_t st = DkStreamOpen(uri, access, 0644, create, 0, &h);
  if (st != 0) CHECK_EQ(h, 0x77); /* a failing call never writes a handle */
  return st;
}

/* A fresh file holding `text`, opened read-write. */
static dk_handle_t file_with(const char* uri, const char* text) {
  make_tmp();
  dk_handle_t h = open_file(uri, DK_ACCESS_RDWR, DK_CREATE_TRY | DK_CREATE_TRUNCATE);
  uint64_t n = conf_strlen(text);
  CHECK_OK(DkStreamWrite(h, 0, text, &n));
  CHECK_EQ(n, conf_strlen(text));
  return h;
}

/* ---- #21 DkStreamOpen ---- */
CASE(open_create_read_back) {
  dk_handle_t h = file_with("file:/tmp/conf_rw", "hello file");
  char b[32];
  uint64_t n = sizeof b;
  CHECK_OK(DkStreamRead(h, 6, b, &n));
  CHECK_EQ(n, 4);
  CHECK_EQ(conf_memcmp(b, "file", 4), 0);
  return 0;
}

CASE(open_noent) {
  make_tmp();
  CHECK_ST(try_open("file:/tmp/conf_missing", DK_ACCESS_RDONLY, DK_CREATE_NEVER), DK_E_NOENT);
  CHECK_ST(try_open("file:/tmp/conf_no_dir/x", DK_ACCESS_RDWR, DK_CREATE_TRY), DK_E_NOENT);
  CHECK_ST(try_open("dir:/tmp/conf_missing_dir", DK_ACCESS_RDONLY, DK_CREATE_NEVER), DK_E_NOENT);
  return 0;
}

CASE(open_always_exist) {
  file_with("file:/tmp/conf_exists", "x");
  CHECK_ST(try_open("file:/tmp/conf_exists", DK_ACCESS_RDWR, DK_CREATE_ALWAYS), DK_E_EXIST);
  make_tmp();
  CHECK_ST(try_open("dir:/tmp", DK_ACCESS_RDONLY, DK_CREATE_ALWAYS), DK_E_EXIST);
  return 0;
}

CASE(open_isdir) {
  make_tmp();
  CHECK_ST(try_open("file:/tmp", DK_ACCESS_RDONLY, DK_CREATE_NEVER), DK_E_ISDIR);
  return 0;
}

CASE(open_notdir) {
  file_with("file:/tmp/conf_plain", "x");
  CHECK_ST(try_open("dir:/tmp/conf_plain", DK_ACCESS_RDONLY, DK_CREATE_NEVER), DK_E_NOTDIR);
  CHECK_ST(try_open("file:/tmp/conf_plain/below", DK_ACCESS_RDONLY, DK_CREATE_NEVER),
           DK_E_NOTDIR);
  return 0;
}

CASE(open_truncate) {
  dk_handle_t h = file_with("file:/tmp/conf_trunc", "0123456789");
  CHECK_OK(DkObjectClose(h));
  h = open_file("file:/tmp/conf_trunc", DK_ACCESS_WRONLY, DK_CREATE_TRUNCATE);
  dk_stream_attr a;
  CHECK_OK(DkStreamAttributesQueryByHandle(h, &a));
  CHECK_EQ(a.type, DK_STREAM_FILE);
  CHECK_EQ(a.size, 0);
  return 0;
}

CASE(open_append) {
  dk_handle_t h = file_with("file:/tmp/conf_append", "abc");
  CHECK_OK(DkObjectClose(h));
  h = open_file("file:/tmp/conf_append", DK_ACCESS_WRONLY | DK_ACCESS_APPEND, DK_CREATE_NEVER);
  uint64_t n = 3;
  CHECK_OK(DkStreamWrite(h, 0, "def", &n)); /* APPEND: at the end whatever the offset */
  CHECK_EQ(n, 3);
  dk_stream_attr a;
  CHECK_OK(DkStreamAttributesQuery("file:/tmp/conf_append", &a));
  CHECK_EQ(a.size, 6);
  return 0;
}

/* ---- #22 and #23 on files ---- */
CASE(read_past_end) {
  dk_handle_t h = file_with("file:/tmp/conf_short", "four");
  char b[8] = {'x'};
  uint64_t n = sizeof b;
  CHECK_OK(DkStreamRead(h, 4, b, &n));
  CHECK_EQ(n, 0); /* end of stream */
  n = sizeof b;
  CHECK_OK(DkStreamRead(h, 1000000, b, &n));
  CHECK_EQ(n, 0);
  CHECK_EQ(b[0], 'x');
  return 0;
}

CASE(write_past_end_zero_fills) {
  dk_handle_t h = file_with("file:/tmp/conf_gap", "ab");
  uint64_t n = 2;
  CHECK_OK(DkStreamWrite(h, 6, "yz", &n));
  CHECK_EQ(n, 2);
  char b[16];
  n = sizeof b;
  CHECK_OK(DkStreamRead(h, 0, b, &n));
  CHECK_EQ(n, 8);
  CHECK_EQ(conf_memcmp(b, "ab\0\0\0\0yz", 8), 0);
  return 0;
}

CASE(read_wronly_access) {
  dk_handle_t h = file_with("file:/tmp/conf_wo", "data");
  CHECK_OK(DkObjectClose(h));
  h = open_file("file:/tmp/conf_wo", DK_ACCESS_WRONLY, DK_CREATE_NEVER);
  char b[8];
  uint64_t n = sizeof b;
  CHECK_ST(DkStreamRead(h, 0, b, &n), DK_E_ACCESS);
  return 0;
}

CASE(write_rdonly_access) {
  dk_handle_t h = file_with("file:/tmp/conf_ro", "data");
  CHECK_OK(DkObjectClose(h));
  h = open_file("file:/tmp/conf_ro", DK_ACCESS_RDONLY, DK_CREATE_NEVER);
  uint64_t n = 4;
  CHECK_ST(DkStreamWrite(h, 0, "more", &n), DK_E_ACCESS);
  dk_stream_attr a;
  CHECK_OK(DkStreamAttributesQueryByHandle(h, &a));
  CHECK_EQ(a.size, 4); /* nothing written */
  return 0;
}

/* ---- #22 on directories ---- */
CASE(dir_read_sorted) {
  make_tmp();
  dk_handle_t d = 0;
  CHECK_OK(DkStreamOpen("dir:/tmp/conf_d", DK_ACCESS_RDONLY, 0755, DK_CREATE_TRY, 0, &d));
  CHECK_OK(DkObjectClose(open_file("file:/tmp/conf_d/b", DK_ACCESS_RDWR, DK_CREATE_TRY)));
  CHECK_OK(DkObjectClose(open_file("file:/tmp/conf_d/a", DK_ACCESS_RDWR, DK_CREATE_TRY)));
  CHECK_OK(DkObjectClose(open_file("file:/tmp/conf_d/c", DK_ACCESS_RDWR, DK_CREATE_TRY)));
  char b[64];
  uint64_t n = sizeof b;
  CHECK_OK(DkStreamRead(d, 0, b, &n));
  CHECK_EQ(n, 6);
  CHECK_EQ(conf_memcmp(b, "a\0b\0c\0", 6), 0);
  n = sizeof b;
  CHECK_OK(DkStreamRead(d, 2, b, &n)); /* offset counts entries */
  CHECK_EQ(n, 2);
  CHECK_EQ(conf_memcmp(b, "c\0", 2), 0);
  n = sizeof b;
  CHECK_OK(DkStreamRead(d, 3, b, &n));
  CHECK_EQ(n, 0);
  return 0;
}

CASE(dir_read_overflow) {
  make_tmp();
  dk_handle_t d = 0;
  CHECK_OK(DkStreamOpen("dir:/tmp/conf_o", DK_ACCESS_RDONLY, 0755, DK_CREATE_TRY, 0, &d));
  CHECK_OK(DkObjectClose(open_file("file:/tmp/conf_o/long_entry_name", DK_ACCESS_RDWR,
                                   DK_CREATE_TRY)));
  char b[8];
  uint64_t n = sizeof b;
  CHECK_ST(DkStreamRead(d, 0, b, &n), DK_E_OVERFLOW);
  return 0;
}

CASE(dir_write_refused) {
  make_tmp();
  dk_handle_t d = 0;
  CHECK_OK(DkStreamOpen("dir:/tmp", DK_ACCESS_RDONLY, 0, DK_CREATE_NEVER, 0, &d));
  uint64_t n = 1;
  CHECK_ST(DkStreamWrite(d, 0, "x", &n), DK_E_ACCESS);
  return 0;
}

/* ---- #24 DkStreamMap ---- */
CASE(map_private) {
  dk_handle_t h = file_with("file:/tmp/conf_map", "mapped bytes");
  void* addr = 0;
  CHECK_OK(DkStreamMap(h, &addr, DK_PROT_READ | DK_PROT_WRITE, 0, DK_PAGE_SIZE));
  CHECK(addr != 0);
  CHECK_EQ(conf_memcmp(addr, "mapped bytes", 12), 0);
  ((char*)addr)[0] = 'M'; /* private: the file keeps its byte */
  CHECK_OK(DkStreamUnmap(addr, DK_PAGE_SIZE));
  char b[4];
  uint64_t n = 1;
  CHECK_OK(DkStreamRead(h, 0, b, &n));
  CHECK_EQ(b[0], 'm');
  return 0;
}

CASE(map_inval) {
  dk_handle_t h = file_with("file:/tmp/conf_mapi", "x");
  void* addr = 0;
  CHECK_ST(DkStreamMap(h, &addr, DK_PROT_READ, 100, DK_PAGE_SIZE), DK_E_INVAL); /* offset */
  addr = 0;
  CHECK_ST(DkStreamMap(h, &addr, DK_PROT_READ, 0, 0), DK_E_INVAL); /* size 0 */
  addr = 0;
  CHECK_ST(DkStreamMap(h, &addr, 0x40, 0, DK_PAGE_SIZE), DK_E_INVAL); /* prot bits */
  return 0;
}

CASE(map_wronly_access) {
  dk_handle_t h = file_with("file:/tmp/conf_mapw", "x");
  CHECK_OK(DkObjectClose(h));
  h = open_file("file:/tmp/conf_mapw", DK_ACCESS_WRONLY, DK_CREATE_NEVER);
  void* addr = 0;
  CHECK_ST(DkStreamMap(h, &addr, DK_PROT_READ, 0, DK_PAGE_SIZE), DK_E_ACCESS);
  return 0;
}

CASE(map_device_wrongtype) {
  dk_handle_t h = 0;
  CHECK_OK(DkStreamOpen("dev:zero", DK_ACCESS_RDONLY, 0, 0, 0, &h));
  void* addr = 0;
  CHECK_ST(DkStreamMap(h, &addr, DK_PROT_READ, 0, DK_PAGE_SIZE), DK_E_WRONGTYPE);
  return 0;
}

CASE(map_dir_wrongtype) {
  make_tmp();
  dk_handle_t d = 0;
  CHECK_OK(DkStreamOpen("dir:/tmp", DK_ACCESS_RDONLY, 0, DK_CREATE_NEVER, 0, &d));
  void* addr = 0;
  CHECK_ST(DkStreamMap(d, &addr, DK_PROT_READ, 0, DK_PAGE_SIZE), DK_E_WRONGTYPE);
  return 0;
}

CASE(map_nomem) {
  dk_handle_t h = file_with("file:/tmp/conf_mapn", "x");
  void* addr = 0;
  /* 64 GiB: more than a host gives one picoprocess (the sim host commits at most 4 GiB). */
  CHECK_ST(DkStreamMap(h, &addr, DK_PROT_READ, 0, 64ull << 30), DK_E_NOMEM);
  return 0;
}

CASE(map_addr_fault) {
  dk_handle_t h = file_with("file:/tmp/conf_mapf", "x");
  CHECK_ST(DkStreamMap(h, (void**)0, DK_PROT_READ, 0, DK_PAGE_SIZE), DK_E_FAULT);
  void** ro = conf_pages(1, DK_PROT_READ);
  CHECK_ST(DkStreamMap(h, ro, DK_PROT_READ, 0, DK_PAGE_SIZE), DK_E_FAULT);
  return 0;
}

/* ---- #26 DkStreamSetLength ---- */
CASE(set_length) {
  dk_handle_t h = file_with("file:/tmp/conf_len", "0123456789");
  CHECK_OK(DkStreamSetLength(h, 3));
  dk_stream_attr a;
  CHECK_OK(DkStreamAttributesQueryByHandle(h, &a));
  CHECK_EQ(a.size, 3);
  CHECK_OK(DkStreamSetLength(h, 5000));
  char b[8] = {'x'};
  uint64_t n = 1;
  CHECK_OK(DkStreamRead(h, 4999, b, &n));
  CHECK_EQ(n, 1);
  CHECK_EQ(b[0], 0); /* grown with zeros */
  return 0;
}

CASE(set_length_rdonly_access) {
  dk_handle_t h = file_with("file:/tmp/conf_lenro", "0123");
  CHECK_OK(DkObjectClose(h));
  h = open_file("file:/tmp/conf_lenro", DK_ACCESS_RDONLY, DK_CREATE_NEVER);
  CHECK_ST(DkStreamSetLength(h, 1), DK_E_ACCESS);
  dk_stream_attr a;
  CHECK_OK(DkStreamAttributesQueryByHandle(h, &a));
  CHECK_EQ(a.size, 4);
  return 0;
}

CASE(set_length_device_wrongtype) {
  dk_handle_t h = 0;
  CHECK_OK(DkStreamOpen("dev:null", DK_ACCESS_RDWR, 0, 0, 0, &h));
  CHECK_ST(DkStreamSetLength(h, 0), DK_E_WRONGTYPE);
  return 0;
}

CASE(set_length_dir_wrongtype) {
  make_tmp();
  dk_handle_t d = 0;
  CHECK_OK(DkStreamOpen("dir:/tmp", DK_ACCESS_RDONLY, 0, DK_CREATE_NEVER, 0, &d));
  CHECK_ST(DkStreamSetLength(d, 0), DK_E_WRONGTYPE);
  return 0;
}

/* ---- #27 DkStreamFlush ---- */
CASE(flush_file) {
  dk_handle_t h = file_with("file:/tmp/conf_flush", "durable");
  CHECK_OK(DkStreamFlush(h));
  return 0;
}

/* ---- #28 DkStreamDelete ---- */
CASE(delete_unlinks) {
  dk_handle_t h = file_with("file:/tmp/conf_del", "gone");
  CHECK_OK(DkStreamDelete(h, DK_DELETE_ALL));
  dk_stream_attr a;
  CHECK_ST(DkStreamAttributesQuery("file:/tmp/conf_del", &a), DK_E_NOENT);
  char b[8];
  uint64_t n = sizeof b;
  CHECK_OK(DkStreamRead(h, 0, b, &n)); /* the open handle keeps the file */
  CHECK_EQ(n, 4);
  return 0;
}

CASE(delete_inval) {
  dk_handle_t h = file_with("file:/tmp/conf_deli", "x");
  CHECK_ST(DkStreamDelete(h, 3), DK_E_INVAL);
  CHECK_ST(DkStreamDelete(h, 0x100), DK_E_INVAL);
  dk_stream_attr a;
  CHECK_OK(DkStreamAttributesQuery("file:/tmp/conf_deli", &a)); /* still there */
  return 0;
}

/* file:/ro is granted for reading only: a handle on a file there cannot unlink it. */
CASE(delete_readonly_access) {
  dk_handle_t h = 0;
  CHECK_OK(DkStreamOpen("file:/ro/conf_ro.txt", DK_ACCESS_RDONLY, 0, 0, 0, &h));
  CHECK_ST(DkStreamDelete(h, DK_DELETE_ALL), DK_E_ACCESS);
  dk_stream_attr a;
  CHECK_OK(DkStreamAttributesQuery("file:/ro/conf_ro.txt", &a)); /* still there */
  char b[16];
  uint64_t n = sizeof b;
  CHECK_OK(DkStreamRead(h, 0, b, &n));
  CHECK_EQ(n, 10);
  return 0;
}

/* ---- #30 DkStreamAttributesQuery ---- */
CASE(attr_query_file) {
  dk_handle_t h = file_with("file:/tmp/conf_attr", "12345");
  (void)h;
  dk_stream_attr a;
  CHECK_OK(DkStreamAttributesQuery("file:/tmp/conf_attr", &a));
  CHECK_EQ(a.type, DK_STREAM_FILE);
  CHECK_EQ(a.size, 5);
  CHECK_OK(DkStreamAttributesQuery("dir:/tmp", &a));
  CHECK_EQ(a.type, DK_STREAM_DIR);
  return 0;
}

CASE(attr_query_noent) {
  make_tmp();
  dk_stream_attr a;
  conf_memset(&a, 0x5a, sizeof a);
  CHECK_ST(DkStreamAttributesQuery("file:/tmp/conf_nothing_here", &a), DK_E_NOENT);
  CHECK_EQ(a.type, 0x5a5a5a5a); /* ATTR_OUT is written on success only */
  return 0;
}

CASE(attr_query_too_long) {
  char* p = conf_pages(2, DK_PROT_READ | DK_PROT_WRITE);
  conf_memcpy(p, "file:/tmp/", 10);
  conf_memset(p + 10, 'a', 4090); /* 4100 bytes, no NUL in the first 4096 */
  dk_stream_attr a;
  CHECK_ST(DkStreamAttributesQuery(p, &a), DK_E_NAMETOOLONG);
  return 0;
}

/* ---- #33 DkStreamGetName ---- */
CASE(get_name_file) {
  file_with("file:/tmp/conf_named", "x");
  dk_handle_t h = open_file("file:///tmp/conf_named", DK_ACCESS_RDONLY, DK_CREATE_NEVER);
  char b[64];
  uint64_t n = sizeof b;
  CHECK_OK(DkStreamGetName(h, b, &n));
  CHECK(conf_streq(b, "file:/tmp/conf_named"));
  return 0;
}

/* ---- #34 DkStreamChangeName ---- */
CASE(change_name_renames) {
  dk_handle_t h = file_with("file:/tmp/conf_old", "moved");
  CHECK_OK(DkStreamChangeName(h, "file:/tmp/conf_new"));
  dk_stream_attr a;
  CHECK_ST(DkStreamAttributesQuery("file:/tmp/conf_old", &a), DK_E_NOENT);
  CHECK_OK(DkStreamAttributesQuery("file:/tmp/conf_new", &a));
  CHECK_EQ(a.size, 5);
  char b[64];
  uint64_t n = sizeof b;
  CHECK_OK(DkStreamGetName(h, b, &n));
  CHECK(conf_streq(b, "file:/tmp/conf_new"));
  return 0;
}

CASE(change_name_out_of_mapping) {
  dk_handle_t h = file_with("file:/tmp/conf_stay", "x");
  CHECK_ST(DkStreamChangeName(h, "file:/etc/conf_escaped"), DK_E_ACCESS);
  dk_stream_attr a;
  CHECK_OK(DkStreamAttributesQuery("file:/tmp/conf_stay", &a)); /* nothing changed */
  return 0;
}

CASE(change_name_device_wrongtype) {
  dk_handle_t h = 0;
  CHECK_OK(DkStreamOpen("dev:null", DK_ACCESS_RDWR, 0, 0, 0, &h));
  CHECK_ST(DkStreamChangeName(h, "dev:zero"), DK_E_WRONGTYPE);
  return 0;
}

CASE(change_name_uri_fault) {
  dk_handle_t h = file_with("file:/tmp/conf_cnf", "x");
  CHECK_ST(DkStreamChangeName(h, (const char*)0), DK_E_FAULT);
  CHECK_ST(DkStreamChangeName(h, (const char*)CONF_KERNEL_ADDR), DK_E_FAULT);
  return 0;
}
