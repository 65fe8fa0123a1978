/* Downcalls with hostile arguments (ABI.md sections 2, 3 and 7). Each case is one attempt;
 * it exits 0 when every call was refused the way the ABI says, and prints what it got
 * otherwise. The runner's observer decides the verdict: host canaries, the sibling, the
 * harness's health and the policy oracle, with this exit code as one more input. */
#include "esc.h"

/* ---- Every pointer argument of every call, one bad pointer at a time ---- */

struct esc_call {
  uint32_t index;
  const char* name;
  uint8_t kinds[6];
};
#define ESC_KINDS(...) {__VA_ARGS__}
#define ESC_X_ROW(idx, nm, kinds, names) {idx, #nm, ESC_KINDS kinds},
static const struct esc_call esc_calls[] = {DK_CALL_LIST(ESC_X_ROW)};
#undef ESC_X_ROW

static int is_pointer(uint8_t k) { return k >= DK_ARG_URI && k != DK_ARG_KIND_COUNT; }
static int is_output(uint8_t k) {
  switch (k) {
    case DK_ARG_BUF_OUT_LEN_NEXT: case DK_ARG_BUF_OUT_COUNT_NEXT: case DK_ARG_U64_INOUT:
    case DK_ARG_ADDR_INOUT: case DK_ARG_HANDLE_OUT: case DK_ARG_U32_OUT: case DK_ARG_U32_OUT_OPT:
    case DK_ARG_I64_OUT: case DK_ARG_ATTR_OUT: case DK_ARG_SYSINFO_OUT: case DK_ARG_U64_OUT:
      return 1;
    default:
      return 0;
  }
}

static uint8_t* scratch;     /* 2 RW pages, zeroed before each call */
static uint64_t* count_cell; /* a u64 = 16, for *_COUNT_NEXT */

/* Registers for call `c` with every argument harmless, then slot `bad` set to `ptr`. */
static dk_status_t call_with(const struct esc_call* c, int bad, uint64_t ptr) {
  uint64_t a[6] = {0, 0, 0, 0, 0, 0};
  conf_memset(scratch, 0, 2 * DK_PAGE_SIZE);
  *count_cell = 16;
  for (int i = 0; i < 6; ++i) {
    switch (c->kinds[i]) {
      case DK_ARG_U32: case DK_ARG_U64: case DK_ARG_I64: a[i] = 1; break;
      case DK_ARG_URI: a[i] = (uint64_t) "dev:null"; break;
      case DK_ARG_BUF_IN_LEN_NEXT: case DK_ARG_BUF_OUT_LEN_NEXT:
        a[i] = (uint64_t)scratch;
        if (i + 1 < 6) a[i + 1] = 16;
        ++i;
        break;
      case DK_ARG_BUF_IN_COUNT_NEXT: case DK_ARG_BUF_OUT_COUNT_NEXT:
        a[i] = (uint64_t)scratch;
        if (i + 1 < 6) a[i + 1] = (uint64_t)count_cell;
        ++i;
        break;
      case DK_ARG_SYSINFO_OUT:
        a[i] = (uint64_t)scratch;
        if (i + 1 < 6) a[i + 1] = sizeof(dk_system_info);
        ++i;
        break;
      default:
        if (is_pointer(c->kinds[i])) a[i] = (uint64_t)scratch + 2048;
        break;
    }
  }
  a[bad] = ptr;
  return dk_raw_call(DK_CALL_BASE + c->index, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* Every pointer slot of every call gets `ptr`; `outputs_only` limits it to written slots. */
static int every_pointer(uint64_t ptr, int outputs_only, int null) {
  int failures = 0;
  for (uint64_t n = 0; n < sizeof esc_calls / sizeof esc_calls[0]; ++n) {
    const struct esc_call* c = &esc_calls[n];
    for (int i = 0; i < 6; ++i) {
      const uint8_t k = c->kinds[i];
      if (!is_pointer(k)) continue;
      if (outputs_only && !is_output(k)) continue;
      if (null && k == DK_ARG_U32_OUT_OPT) continue; /* NULL allowed there */
      dk_status_t st = call_with(c, i, ptr);
      if (st != -DK_E_FAULT) {
        conf_print("FAIL ");
        conf_print(c->name);
        conf_print(" argument ");
        conf_print_dec(i + 1);
        conf_print(" = ");
        conf_print_hex(ptr);
        conf_print(": status ");
        conf_print_dec(st);
        conf_puts(" (want FAULT)");
        ++failures;
      }
    }
  }
  return failures ? 1 : 0;
}

static void setup_scratch(void) {
  scratch = conf_pages(2, DK_PROT_READ | DK_PROT_WRITE);
  count_cell = (uint64_t*)conf_pages(1, DK_PROT_READ | DK_PROT_WRITE);
}

CASE(ptr_null) { setup_scratch(); return every_pointer(0, 0, 1); }
CASE(ptr_unmapped) {
  setup_scratch();
  uint8_t* p = conf_pages(1, DK_PROT_READ | DK_PROT_WRITE);
  CHECK_OK(DkVirtualMemoryFree(p, DK_PAGE_SIZE));
  return every_pointer((uint64_t)p + 64, 0, 0);
}
CASE(ptr_kernel) { setup_scratch(); return every_pointer(CONF_KERNEL_ADDR, 0, 0); }
CASE(ptr_noncanonical) { setup_scratch(); return every_pointer(CONF_NONCANONICAL_ADDR, 0, 0); }
CASE(ptr_hostpage) { setup_scratch(); return every_pointer(0x7ffffffff000ull, 0, 0); }
CASE(ptr_wrap) { setup_scratch(); return every_pointer(0xfffffffffffffff8ull, 0, 0); }
CASE(ptr_straddle) {
  setup_scratch();
  char* p = conf_edge(2);
  p[0] = 'a';
  p[1] = 'a';
  return every_pointer((uint64_t)p, 0, 0);
}
CASE(ptr_readonly_out) {
  setup_scratch();
  uint8_t* p = conf_pages(1, DK_PROT_READ);
  return every_pointer((uint64_t)p, 1, 0);
}
CASE(ptr_guard_out) {
  setup_scratch();
  uint8_t* p = conf_pages(1, DK_PROT_READ | DK_PROT_WRITE);
  CHECK_OK(DkVirtualMemoryProtect(p, DK_PAGE_SIZE, DK_PROT_READ | DK_PROT_WRITE | DK_PROT_GUARD));
  return every_pointer((uint64_t)p, 1, 0);
}
CASE(ptr_boot_out) {
  setup_scratch();
  return every_pointer((uint64_t)conf_boot, 1, 0);
}

/* ---- Sizes ---- */

static dk_handle_t tmp_file(const char* uri) {
  dk_handle_t f = 0;
  CHECK_OK(DkStreamOpen(uri, DK_ACCESS_RDWR, 0600, DK_CREATE_TRY | DK_CREATE_TRUNCATE, 0, &f));
  uint64_t n = 16;
  CHECK_OK(DkStreamWrite(f, 0, "0123456789abcdef", &n));
  return f;
}

CASE(size_huge) {
  uint8_t* buf = conf_pages(1, DK_PROT_READ | DK_PROT_WRITE);
  dk_handle_t f = tmp_file("file:/tmp/size.dat");
  const uint64_t sizes[] = {~0ull, 1ull << 63, (1ull << 63) - 1, 1ull << 40, (uint64_t)-4096};
  for (uint64_t i = 0; i < sizeof sizes / sizeof sizes[0]; ++i) {
    const uint64_t s = sizes[i];
    CHECK_ST(DkDebugOutput((const char*)buf, s), DK_E_FAULT);
    uint64_t n = s;
    CHECK_ST(DkStreamWrite(f, 0, buf, &n), DK_E_FAULT);
    n = s;
    CHECK_ST(DkStreamRead(f, 0, buf, &n), DK_E_FAULT);
    ESC_EXPECT_ONE_OF(DkRandomBitsRead(buf, s), DK_E_FAULT, DK_E_INVAL);
    n = s;
    CHECK_ST(DkStreamGetName(f, (char*)buf, &n), DK_E_FAULT);
    dk_handle_t p = 0, st = 0;
    ESC_EXPECT_ONE_OF(DkProcessCreate("self:", (const char*)buf, s, &p, &st), DK_E_FAULT);
    void* addr = 0;
    ESC_EXPECT_ONE_OF(DkVirtualMemoryAllocate(&addr, s, DK_ALLOC_COMMIT, DK_PROT_READ),
                      DK_E_NOMEM, DK_E_INVAL, DK_E_QUOTA);
    addr = 0;
    ESC_EXPECT_ONE_OF(DkStreamMap(f, &addr, DK_PROT_READ, 0, s), DK_E_INVAL, DK_E_NOMEM,
                      DK_E_RANGE, DK_E_QUOTA);
  }
  /* Past 1 MiB, a readable buffer is still refused. */
  uint8_t* big = conf_pages(257, DK_PROT_READ | DK_PROT_WRITE);
  CHECK_ST(DkRandomBitsRead(big, DK_RANDOM_MAX + 1), DK_E_INVAL);
  uint32_t idx = 0;
  dk_handle_t hs[1] = {f};
  CHECK_ST(DkObjectsWaitAny(0xffffffffu, hs, 0, &idx), DK_E_INVAL);
  CHECK_ST(DkObjectsWaitAny(DK_WAIT_MAX + 1, hs, 0, &idx), DK_E_INVAL);
  return 0;
}

/* Ranges that wrap or leave the user range change nothing: the attempt keeps running on its
 * own image, stack and pages. */
CASE(size_negative) {
  volatile uint8_t* keep = conf_pages(1, DK_PROT_READ | DK_PROT_WRITE);
  keep[10] = 5;
  const uint64_t base = conf_boot->image_base;
  dk_status_t st = DkVirtualMemoryFree((void*)DK_USER_LOW, ~0ull);
  (void)st; /* any status: what matters is that nothing below was freed */
  st = DkVirtualMemoryFree((void*)(keep + DK_PAGE_SIZE), (uint64_t)-DK_PAGE_SIZE);
  (void)st;
  ESC_EXPECT_ONE_OF(DkVirtualMemoryProtect((void*)(base & ~(DK_PAGE_SIZE - 1)), ~0ull,
                                           DK_PROT_READ | DK_PROT_WRITE | DK_PROT_EXEC),
                    DK_E_INVAL, DK_E_FAULT);
  void* at = (void*)(DK_USER_HIGH - DK_PAGE_SIZE);
  ESC_EXPECT_ONE_OF(DkVirtualMemoryAllocate(&at, 2 * DK_PAGE_SIZE, DK_ALLOC_COMMIT,
                                            DK_PROT_READ | DK_PROT_WRITE),
                    DK_E_INVAL, DK_E_NOMEM, DK_E_FAULT);
  at = (void*)(DK_USER_LOW - DK_PAGE_SIZE);
  ESC_EXPECT_ONE_OF(DkVirtualMemoryAllocate(&at, DK_PAGE_SIZE, DK_ALLOC_COMMIT,
                                            DK_PROT_READ | DK_PROT_WRITE),
                    DK_E_INVAL, DK_E_NOMEM, DK_E_FAULT);
  at = (void*)0x7ffffffff000ull; /* the harness's host page */
  ESC_EXPECT_ONE_OF(DkVirtualMemoryAllocate(&at, DK_PAGE_SIZE, DK_ALLOC_COMMIT | DK_ALLOC_REPLACE,
                                            DK_PROT_READ | DK_PROT_WRITE),
                    DK_E_INVAL, DK_E_NOMEM, DK_E_FAULT);
  at = (void*)(uint64_t)base;
  ESC_EXPECT_ONE_OF(DkVirtualMemoryAllocate(&at, ~0ull - DK_PAGE_SIZE + 1,
                                            DK_ALLOC_COMMIT | DK_ALLOC_REPLACE, DK_PROT_READ),
                    DK_E_INVAL, DK_E_NOMEM, DK_E_FAULT);
  CHECK_OK(DkSegmentRegisterSet(DK_SEGMENT_FS, 0)); /* still serving */
  CHECK_EQ(keep[10], 5);
  return 0;
}

CASE(offset_overflow) {
  dk_handle_t f = tmp_file("file:/tmp/off.dat");
  uint8_t buf[64];
  uint64_t n = 16;
  dk_status_t st = DkStreamRead(f, ~0ull, buf, &n);
  CHECK(st == 0 ? n == 0 : esc_one_of(st, (const int[]){DK_E_INVAL, DK_E_RANGE, DK_E_OVERFLOW}, 3));
  n = 16;
  ESC_EXPECT_ONE_OF(DkStreamWrite(f, ~0ull - 4, buf, &n), DK_E_INVAL, DK_E_RANGE, DK_E_OVERFLOW,
                    DK_E_QUOTA, DK_E_NOMEM);
  n = 16;
  ESC_EXPECT_ONE_OF(DkStreamWrite(f, 1ull << 62, buf, &n), DK_E_INVAL, DK_E_RANGE, DK_E_OVERFLOW,
                    DK_E_QUOTA, DK_E_NOMEM);
  ESC_EXPECT_ONE_OF(DkStreamSetLength(f, ~0ull), DK_E_INVAL, DK_E_RANGE, DK_E_NOMEM, DK_E_QUOTA,
                    DK_E_OVERFLOW);
  ESC_EXPECT_ONE_OF(DkStreamSetLength(f, 1ull << 62), DK_E_INVAL, DK_E_RANGE, DK_E_NOMEM,
                    DK_E_QUOTA, DK_E_OVERFLOW);
  void* addr = 0;
  ESC_EXPECT_ONE_OF(DkStreamMap(f, &addr, DK_PROT_READ, ~0ull & ~(DK_PAGE_SIZE - 1), DK_PAGE_SIZE),
                    DK_E_INVAL, DK_E_RANGE, DK_E_OVERFLOW, DK_E_NOMEM);
  addr = 0;
  ESC_EXPECT_ONE_OF(DkStreamMap(f, &addr, DK_PROT_READ, 1, DK_PAGE_SIZE), DK_E_INVAL);
  dk_handle_t z = 0;
  CHECK_OK(DkStreamOpen("dev:zero", DK_ACCESS_RDONLY, 0, 0, 0, &z));
  n = 8;
  CHECK_ST(DkStreamRead(z, 5, buf, &n), DK_E_INVAL);
  /* The file is as it was. */
  n = 16;
  CHECK_OK(DkStreamRead(f, 0, buf, &n));
  CHECK_EQ(n, 16);
  CHECK_EQ(conf_memcmp(buf, "0123456789abcdef", 16), 0);
  dk_stream_attr attr;
  CHECK_OK(DkStreamAttributesQueryByHandle(f, &attr));
  CHECK(attr.size < (1ull << 40));
  return 0;
}

/* ---- Handles ---- */

static dk_handle_t live[16];
static int nlive;
static void note_live(dk_handle_t h) {
  if (h && nlive < 16) live[nlive++] = h;
}
static int is_live(dk_handle_t v) {
  for (int i = 0; i < nlive; ++i)
    if (live[i] == v) return 1;
  return 0;
}
static void note_boot_handles(void) {
  note_live(conf_boot->stdin_h);
  note_live(conf_boot->stdout_h);
  note_live(conf_boot->stderr_h);
  note_live(conf_boot->parent);
}

/* Every handle-taking call refuses a value that names nothing of this picoprocess. */
static int refuse_everywhere(dk_handle_t v) {
  uint8_t buf[16];
  uint64_t n = sizeof buf;
  uint32_t u = 0;
  int64_t code = 0;
  dk_handle_t out = 0;
  dk_stream_attr attr;
  const dk_status_t got[] = {
      DkObjectReference(v, &out),        DkEventSet(v),
      DkEventClear(v),                   DkSemaphorePeek(v, &u),
      DkSemaphoreRelease(v, 1, 0),       DkStreamRead(v, 0, buf, &n),
      DkStreamAttributesQueryByHandle(v, &attr), DkThreadResume(v),
      DkProcessExitCodeQuery(v, &code),  DkStreamFlush(v),
      DkStreamSetLength(v, 0),           DkStreamWaitForClient(v, &out),
      DkReceiveHandle(v, &out),          DkObjectsWaitAny(1, &v, 0, &u),
      DkObjectClose(v),
  };
  for (uint64_t i = 0; i < sizeof got / sizeof got[0]; ++i) {
    if (got[i] != -DK_E_BADHANDLE) {
      conf_print("FAIL handle ");
      conf_print_hex(v);
      conf_print(" call #");
      conf_print_dec((int64_t)i);
      conf_print(" status ");
      conf_print_dec(got[i]);
      conf_puts(" (want BADHANDLE)");
      return 1;
    }
  }
  return 0;
}

CASE(handle_forged) {
  note_boot_handles();
  dk_handle_t sem = conf_semaphore(1, 1);
  note_live(sem);
  dk_handle_t gone = conf_semaphore(0, 1);
  CHECK_OK(DkObjectClose(gone));
  const dk_handle_t forged[] = {1, 2, 3, 0xff, 0x7fff123400ull, ~0ull, 1ull << 63, sem + 1,
                                sem - 1, sem ^ (1ull << 32), sem ^ (1ull << 63), sem << 1, gone};
  for (uint64_t i = 0; i < sizeof forged / sizeof forged[0]; ++i) {
    if (is_live(forged[i])) continue;
    if (refuse_everywhere(forged[i])) return 1;
  }
  uint32_t count = 0;
  CHECK_OK(DkSemaphorePeek(sem, &count));
  CHECK_EQ(count, 1);
  return 0;
}

/* Handle values another picoprocess of the world holds (the sibling holds a semaphore and an
 * event across a sleep): every value near this picoprocess's own names nothing here, and
 * closing them does nothing to the sibling (the observer watches it finish). */
CASE(handle_sibling) {
  note_boot_handles();
  dk_handle_t mine = conf_semaphore(0, 1);
  note_live(mine);
  uint64_t ns = 500000; /* let the sibling create its objects */
  CHECK_OK(DkThreadDelayExecution(&ns));
  uint64_t tried = 0;
  for (uint64_t v = 1; v < 4096; ++v) {
    if (is_live(v)) continue;
    dk_handle_t out = 0;
    CHECK_ST(DkObjectReference(v, &out), DK_E_BADHANDLE);
    CHECK_ST(DkObjectClose(v), DK_E_BADHANDLE);
    CHECK_ST(DkEventSet(v), DK_E_BADHANDLE);
    ++tried;
  }
  for (int k = 0; k < nlive; ++k) {
    const dk_handle_t base = live[k];
    for (uint64_t d = 1; d <= 1024; ++d) {
      const dk_handle_t near[2] = {base + d, base - d};
      for (int j = 0; j < 2; ++j) {
        const dk_handle_t v = near[j];
        if (!v || is_live(v)) continue;
        dk_handle_t out = 0;
        CHECK_ST(DkObjectReference(v, &out), DK_E_BADHANDLE);
        CHECK_ST(DkObjectClose(v), DK_E_BADHANDLE);
        ++tried;
      }
    }
  }
  CHECK(tried > 4000);
  return 0;
}

CASE(handle_kind) {
  dk_handle_t sem = conf_semaphore(1, 2);
  dk_handle_t ev = conf_event(0, 0);
  dk_handle_t f = tmp_file("file:/tmp/kind.dat");
  uint8_t buf[16];
  uint64_t n = sizeof buf;
  uint32_t u = 0;
  int64_t code = 0;
  dk_handle_t out = 0;
  dk_stream_attr attr;
  void* addr = 0;
  CHECK_ST(DkStreamRead(sem, 0, buf, &n), DK_E_WRONGTYPE);
  n = sizeof buf;
  CHECK_ST(DkStreamWrite(ev, 0, buf, &n), DK_E_WRONGTYPE);
  CHECK_ST(DkEventSet(sem), DK_E_WRONGTYPE);
  CHECK_ST(DkEventClear(f), DK_E_WRONGTYPE);
  CHECK_ST(DkSemaphoreRelease(ev, 1, &u), DK_E_WRONGTYPE);
  CHECK_ST(DkSemaphorePeek(f, &u), DK_E_WRONGTYPE);
  CHECK_ST(DkProcessExitCodeQuery(sem, &code), DK_E_WRONGTYPE);
  CHECK_ST(DkThreadResume(ev), DK_E_WRONGTYPE);
  CHECK_ST(DkStreamWaitForClient(f, &out), DK_E_WRONGTYPE);
  CHECK_ST(DkStreamSetLength(sem, 0), DK_E_WRONGTYPE);
  CHECK_ST(DkStreamMap(ev, &addr, DK_PROT_READ, 0, DK_PAGE_SIZE), DK_E_WRONGTYPE);
  CHECK_ST(DkSendHandle(f, sem), DK_E_WRONGTYPE);
  CHECK_ST(DkReceiveHandle(ev, &out), DK_E_WRONGTYPE);
  n = sizeof buf;
  CHECK_ST(DkStreamGetName(sem, (char*)buf, &n), DK_E_WRONGTYPE);
  CHECK_ST(DkStreamAttributesQueryByHandle(ev, &attr), DK_E_WRONGTYPE);
  CHECK_ST(DkStreamFlush(sem), DK_E_WRONGTYPE);
  CHECK_ST(DkStreamDelete(ev, DK_DELETE_ALL), DK_E_WRONGTYPE);
  CHECK_ST(DkStreamChangeName(sem, "file:/tmp/renamed"), DK_E_WRONGTYPE);
  CHECK_OK(DkSemaphorePeek(sem, &u));
  CHECK_EQ(u, 1);
  return 0;
}

/* ---- URIs ---- */

/* Opens `uri` every way a picoprocess can name it; each must be refused. A success is shown
 * (with what it reads), so the observer's canaries see any content that leaked. */
static int refused(const char* uri) {
  dk_handle_t h = 0;
  dk_stream_attr attr;
  dk_status_t st[4];
  st[0] = DkStreamOpen(uri, DK_ACCESS_RDONLY, 0, DK_CREATE_NEVER, 0, &h);
  if (st[0] == 0) {
    uint8_t buf[257];
    uint64_t n = 256;
    conf_print("opened ");
    conf_puts(uri);
    if (DkStreamRead(h, 0, buf, &n) == 0 && n <= 256) conf_write((const char*)buf, n);
    DkObjectClose(h);
  }
  st[1] = DkStreamOpen(uri, DK_ACCESS_RDWR, 0600, DK_CREATE_TRY, 0, &h);
  if (st[1] == 0) DkObjectClose(h);
  st[2] = DkStreamAttributesQuery(uri, &attr);
  dk_handle_t p = 0, s = 0;
  st[3] = DkProcessCreate(uri, "x", 2, &p, &s);
  for (int i = 0; i < 4; ++i) {
    if (st[i] >= 0) {
      conf_print("FAIL not refused (way ");
      conf_print_dec(i);
      conf_print("): ");
      conf_puts(uri);
      return 1;
    }
  }
  return 0;
}

CASE(uri_long) {
  char* uri = (char*)conf_pages(2, DK_PROT_READ | DK_PROT_WRITE);
  uint64_t n = 0;
  esc_cat(uri, 8192, &n, "file:/tmp/");
  while (n < 4096 + 16) {
    for (int i = 0; i < 100 && n < 4096 + 16; ++i) uri[n++] = 'a';
    if (n < 4096 + 16) uri[n++] = '/';
  }
  uri[n] = 0;
  dk_handle_t h = 0;
  dk_stream_attr attr;
  CHECK_ST(DkStreamOpen(uri, DK_ACCESS_RDWR, 0600, DK_CREATE_TRY, 0, &h), DK_E_NAMETOOLONG);
  CHECK_ST(DkStreamAttributesQuery(uri, &attr), DK_E_NAMETOOLONG);
  dk_handle_t p = 0, s = 0;
  CHECK_ST(DkProcessCreate(uri, "x", 2, &p, &s), DK_E_NAMETOOLONG);
  dk_handle_t f = tmp_file("file:/tmp/long.dat");
  CHECK_ST(DkStreamChangeName(f, uri), DK_E_NAMETOOLONG);
  /* One component past 255 bytes. */
  n = 0;
  esc_cat(uri, 8192, &n, "file:/tmp/");
  for (int i = 0; i < 256; ++i) uri[n++] = 'b';
  uri[n] = 0;
  ESC_EXPECT_ONE_OF(DkStreamOpen(uri, DK_ACCESS_RDWR, 0600, DK_CREATE_TRY, 0, &h),
                    DK_E_NAMETOOLONG);
  /* 1 MiB of URI with no NUL before an unmapped page. */
  char* big = conf_edge(DK_PAGE_SIZE);
  char* start = (char*)conf_pages(256, DK_PROT_READ | DK_PROT_WRITE);
  conf_memset(start, 'c', 256 * DK_PAGE_SIZE);
  conf_memset(big, 'c', DK_PAGE_SIZE);
  ESC_EXPECT_ONE_OF(DkStreamOpen(start, DK_ACCESS_RDONLY, 0, 0, 0, &h), DK_E_NAMETOOLONG,
                    DK_E_FAULT);
  ESC_EXPECT_ONE_OF(DkStreamOpen(big, DK_ACCESS_RDONLY, 0, 0, 0, &h), DK_E_FAULT,
                    DK_E_NAMETOOLONG);
  return 0;
}

CASE(uri_malformed) {
  static const char* const bad[] = {
      "", ":", "file", "file:", "file:relative/x", "nosuch:/x",
      "tcp:", "tcp:localhost", "tcp:localhost:", "tcp:localhost:99999", "tcp:localhost:-1",
      "tcp::0", "udp::", "pipe:", "pipe.server:", "dev:", "dev:nosuch", "dev:../../etc/passwd",
      "package:", "file://host/tmp/x", "dir:", "%", "\x01\x02\x03", "file:\\tmp\\x", "self:/../../etc/passwd",
      "file:/proc/self/mem", "file:/etc/passwd", "dir:/", "file:/tmp/../etc/passwd",
  };
  int failures = 0;
  for (uint64_t i = 0; i < sizeof bad / sizeof bad[0]; ++i) failures += refused(bad[i]);
  return failures ? 1 : 0;
}

/* `..` and its spellings past every mapping, aimed at the host canary and the absent path. */
CASE(uri_traversal) {
  static const char* const prefixes[] = {
      "file:/tmp/../../../../../../../../../..",
      "file:/tmp/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e",
      "file:/tmp/..%2f..%2f..%2f..%2f..%2f..%2f..%2f..",
      "file:/tmp/./../tmp/../../../../../../../..",
      "file:/ro/../../../../../../../../..",
      "file:///tmp/../../../../../../../..",
      "file:",
      "file:/",
      "file://",
      "package:/../../../../../../../..",
      "dir:/tmp/../../../../../../../..",
      "self:/../../../../../../../..",
      "file:/tmp/....//....//....//....//....//....//",
  };
  static char uri[8192];
  int failures = 0;
  for (uint64_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; ++i) {
    const char* targets[2] = {ESC_CANARY, ESC_ABSENT};
    for (int t = 0; t < 2; ++t) {
      uint64_t n = 0;
      esc_cat(uri, sizeof uri, &n, prefixes[i]);
      esc_cat(uri, sizeof uri, &n, targets[t]);
      failures += refused(uri);
    }
  }
  /* The whole parent directory of the canary, listed. */
  const char* c = ESC_CANARY;
  uint64_t n = 0;
  esc_cat(uri, sizeof uri, &n, "dir:/tmp/../../../../../../../..");
  esc_cat(uri, sizeof uri, &n, c);
  while (n > 0 && uri[n - 1] != '/') uri[--n] = 0;
  failures += refused(uri);
  /* Renames out of the writable mapping. */
  dk_handle_t f = tmp_file("file:/tmp/move.dat");
  n = 0;
  esc_cat(uri, sizeof uri, &n, "file:/tmp/../../../../../../../..");
  esc_cat(uri, sizeof uri, &n, ESC_ABSENT);
  if (DkStreamChangeName(f, uri) >= 0) {
    conf_puts("FAIL renamed out of file:/tmp");
    ++failures;
  }
  return failures ? 1 : 0;
}

/* ---- Read-only mappings ---- */

static int ro_failures;
static void ro_expect(dk_status_t st, const char* what) {
  if (st == -DK_E_ACCESS) return;
  conf_print("FAIL ");
  conf_print(what);
  conf_print(": status ");
  conf_print_dec(st);
  conf_puts(" (want ACCESS)");
  ++ro_failures;
}

CASE(readonly_mapping) {
  static const char kWant[] = "dk-escape read-only file\n";
  const uint64_t len = sizeof kWant - 1;
  dk_handle_t h = 0;
  ro_expect(DkStreamOpen("file:/ro/readme", DK_ACCESS_WRONLY, 0, 0, 0, &h), "open WRONLY");
  ro_expect(DkStreamOpen("file:/ro/readme", DK_ACCESS_RDWR, 0, 0, 0, &h), "open RDWR");
  ro_expect(DkStreamOpen("file:/ro/readme", DK_ACCESS_APPEND | DK_ACCESS_WRONLY, 0, 0, 0, &h),
            "open APPEND");
  ESC_EXPECT_ONE_OF(DkStreamOpen("file:/ro/readme", DK_ACCESS_RDONLY, 0, DK_CREATE_TRUNCATE, 0, &h),
                    DK_E_ACCESS, DK_E_INVAL);
  ro_expect(DkStreamOpen("file:/ro/new", DK_ACCESS_RDWR, 0600, DK_CREATE_TRY, 0, &h), "create");
  CHECK_OK(DkStreamOpen("file:/ro/readme", DK_ACCESS_RDONLY, 0, 0, 0, &h));
  uint64_t n = 5;
  ro_expect(DkStreamWrite(h, 0, "XXXXX", &n), "write");
  ro_expect(DkStreamSetLength(h, 0), "set length");
  void* addr = 0;
  /* ABI.md #24: SHARED is honoured only for a writable stream; on this one the map is a
   * private copy (or refused). Either way no store through it may reach the file. */
  dk_status_t st = DkStreamMap(h, &addr, DK_PROT_READ | DK_PROT_WRITE | DK_MAP_SHARED, 0,
                               DK_PAGE_SIZE);
  if (st != 0) ro_expect(st, "shared writable map");
  if (st == 0) {
    conf_memset(addr, 'S', len);
    CHECK_OK(DkStreamUnmap(addr, DK_PAGE_SIZE));
  }
  ro_expect(DkStreamDelete(h, DK_DELETE_ALL), "delete");
  ro_expect(DkStreamChangeName(h, "file:/tmp/stolen"), "rename to file:/tmp");
  ro_expect(DkStreamChangeName(h, "file:/ro/renamed"), "rename within file:/ro");
  /* A private writable mapping is the picoprocess's own copy. */
  addr = 0;
  CHECK_OK(DkStreamMap(h, &addr, DK_PROT_READ | DK_PROT_WRITE, 0, DK_PAGE_SIZE));
  conf_memset(addr, 'Z', len);
  CHECK_OK(DkStreamUnmap(addr, DK_PAGE_SIZE));
  char buf[64];
  dk_handle_t again = 0;
  CHECK_OK(DkStreamOpen("file:/ro/readme", DK_ACCESS_RDONLY, 0, 0, 0, &again));
  n = sizeof buf;
  CHECK_OK(DkStreamRead(again, 0, buf, &n));
  if (n != len || conf_memcmp(buf, kWant, len)) {
    conf_print("FAIL file:/ro/readme now reads: ");
    conf_write(buf, n < sizeof buf ? n : sizeof buf);
    ++ro_failures;
  }
  return ro_failures ? 1 : 0;
}

/* ---- Connections the policy does not grant (it grants none) ---- */

CASE(connect) {
  static const char* const schemes[] = {"tcp:127.0.0.1:", "tcp:localhost:", "tcp://127.0.0.1:",
                                        "udp:127.0.0.1:", "tcp.server:127.0.0.1:",
                                        "udp.server:127.0.0.1:", "tcp:[::1]:", "tcp:0.0.0.0:"};
  static char uri[256];
  int failures = 0;
  for (uint64_t i = 0; i < sizeof schemes / sizeof schemes[0]; ++i) {
    uint64_t n = 0;
    esc_cat(uri, sizeof uri, &n, schemes[i]);
    esc_cat(uri, sizeof uri, &n, ESC_PORT);
    dk_handle_t h = 0;
    dk_status_t st = DkStreamOpen(uri, DK_ACCESS_RDWR, 0, 0, 0, &h);
    if (st != -DK_E_ACCESS) {
      conf_print("FAIL ");
      conf_print(uri);
      conf_print(" status ");
      conf_print_dec(st);
      conf_puts(" (want ACCESS)");
      ++failures;
    }
  }
  failures += refused("pipe:notgranted");
  failures += refused("pipe.server:notgranted");
  return failures ? 1 : 0;
}
