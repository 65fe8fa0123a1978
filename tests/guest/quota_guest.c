/* The quota tests' guest: each case takes one resource until the host refuses, then exits
 * with the refusal's code (13 for -DK_E_QUOTA) after writing "CASE N\n" to its stdout, N
 * being how many takes succeeded. "spin" never makes a downcall; "work" is the sibling that
 * must keep working while another picoprocess exhausts something: it computes, yields,
 * writes "work done\n" and exits with 7. "child" starts itself ("self:") as "work" and
 * exits with the child's exit code. "cat URI" copies a file to stdout (exit 0, or the open's
 * or read's refusal); "putcat URI" first creates it holding "private\n". args[1] names the
 * case. */
#include <stdint.h>

#include "dk/abi.h"
#include "dk/dkcalls.h"

long quota_thread(uint64_t arg);

/* Every downcall through the guest runtime's raw call (dkabi/guest/dkraw.S). */
static inline long dk6(long nr, long a1, long a2, long a3, long a4, long a5) {
  return dk_raw_call((uint64_t)nr, (uint64_t)a1, (uint64_t)a2, (uint64_t)a3, (uint64_t)a4,
                     (uint64_t)a5, 0);
}
#define DK(name, a, b, c, d, e) \
  dk6(DK_CALL_##name, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e))
static inline long dk_open_create(const char* uri, long access, long create, dk_handle_t* h) {
  return dk_raw_call(DK_CALL_DkStreamOpen, (uint64_t)uri, (uint64_t)access, 0644, (uint64_t)create, 0,
                     (uint64_t)h);
}
static inline long dk_open(const char* uri, long access, dk_handle_t* h) {
  return dk_open_create(uri, access, 0, h);
}

void* memset(void* d, int c, unsigned long n) {
  char* dd = d;
  while (n--) *dd++ = (char)c;
  return d;
}
void* memcpy(void* d, const void* s, unsigned long n) {
  char* dd = d;
  const char* ss = s;
  while (n--) *dd++ = *ss++;
  return d;
}
static int streq(const char* a, const char* b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}
static unsigned long slen(const char* s) {
  unsigned long n = 0;
  while (s[n]) n++;
  return n;
}

static dk_boot_info* boot;

static long write_out(const char* p, uint64_t n) {
  uint64_t count = n;
  return DK(DkStreamWrite, boot->stdout_h, 0, p, &count, 0);
}
/* "NAME N\n" on stdout. */
static void report(const char* name, uint64_t n) {
  char buf[64];
  unsigned long k = slen(name);
  memcpy(buf, name, k);
  buf[k++] = ' ';
  char digits[24];
  int d = 0;
  do {
    digits[d++] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  while (d) buf[k++] = digits[--d];
  buf[k++] = '\n';
  write_out(buf, k);
}
static long finish(const char* name, uint64_t n, long st) {
  report(name, n);
  return -st;
}

long quota_thread(uint64_t arg) {
  /* Waits on an event nobody sets: the thread stays alive. */
  dk_handle_t ev = (dk_handle_t)arg;
  uint32_t index;
  DK(DkObjectsWaitAny, 1, &ev, ~0ull, &index, 0);
  return 0;
}

#ifdef BALLAST_MIB
/* quota_ballast_guest: BALLAST_MIB MiB of read-only data, which the memory quota does not
 * charge (tests/quota_limits_test.cc, MemoryChargesPrivatePagesOnly). */
__attribute__((used)) static const uint8_t ballast[BALLAST_MIB << 20] = {1};
#endif

#define STACK_SIZE 4096
static uint8_t stacks[256][STACK_SIZE] __attribute__((aligned(16)));

static long c_memory(void) {
  uint64_t n = 0;
  for (;;) {
    void* addr = 0;
    long st = DK(DkVirtualMemoryAllocate, &addr, 16 << 20, DK_ALLOC_COMMIT,
                 DK_PROT_READ | DK_PROT_WRITE, 0);
    if (st) return finish("memory", n, st);
    n++;
  }
}

static long c_threads(void) {
  dk_handle_t ev = 0;
  DK(DkNotificationEventCreate, 0, &ev, 0, 0, 0);
  for (uint64_t n = 0;; n++) {
    dk_handle_t t = 0;
    long st = n < 256 ? DK(DkThreadCreate, ev, stacks[n] + STACK_SIZE, &t, 0, 0) : -DK_E_NOMEM;
    if (st) return finish("threads", n, st);
  }
}

static long c_handles(void) {
  for (uint64_t n = 0;; n++) {
    dk_handle_t h = 0;
    long st = DK(DkSemaphoreCreate, 0, 1, &h, 0, 0);
    if (st) return finish("handles", n, st);
  }
}

static long c_streams(void) {
  for (uint64_t n = 0;; n++) {
    dk_handle_t h = 0;
    long st = dk_open("dev:null", DK_ACCESS_WRONLY, &h);
    if (st) return finish("streams", n, st);
  }
}

/* Writes 10-byte lines until refused; then a last line would be refused too. */
static long c_output(void) {
  for (uint64_t n = 0;; n++) {
    long st = write_out("0123456789", 10);
    if (st) return finish("output", n, st);
  }
}

static long c_spin(void) {
  for (volatile uint64_t i = 0;; i++) {
  }
  return 0;
}

static long c_work(void) {
  volatile uint64_t sum = 0;
  for (int round = 0; round < 20; round++) {
    for (uint64_t i = 0; i < 2000; i++) sum += i;
    DK(DkThreadYieldExecution, 0, 0, 0, 0, 0);
  }
  write_out("work done\n", 10);
  return 7;
}

static long c_child(void) {
  static const char args[] = "quota_guest\0work";
  dk_handle_t proc = 0, stream = 0;
  long st = DK(DkProcessCreate, "self:", args, sizeof args, &proc, &stream);
  if (st) return finish("child", 0, st);
  uint32_t index;
  DK(DkObjectsWaitAny, 1, &proc, ~0ull, &index, 0);
  int64_t code = -1;
  DK(DkProcessExitCodeQuery, proc, &code, 0, 0, 0);
  return code;
}

static long c_cat(const char* uri) {
  dk_handle_t h = 0;
  long st = dk_open(uri, DK_ACCESS_RDONLY, &h);
  if (st) return -st;
  static char buf[4096];
  for (uint64_t off = 0;;) {
    uint64_t n = sizeof buf;
    st = DK(DkStreamRead, h, off, buf, &n, 0);
    if (st) return -st;
    if (n == 0) return 0;
    write_out(buf, n);
    off += n;
  }
}

long quota_main(dk_boot_info* bi) {
  boot = bi;
  const char* which = bi->args_len ? (const char*)bi->args : "";
  which += slen(which) + 1; /* args[1] */
  if ((uint64_t)(which - (const char*)bi->args) >= bi->args_len) return 100;
  if (streq(which, "memory")) return c_memory();
  if (streq(which, "threads")) return c_threads();
  if (streq(which, "handles")) return c_handles();
  if (streq(which, "streams")) return c_streams();
  if (streq(which, "output")) return c_output();
  if (streq(which, "spin")) return c_spin();
  if (streq(which, "work")) return c_work();
  if (streq(which, "child")) return c_child();
  if (streq(which, "putcat")) {
    const char* uri = which + slen(which) + 1;
    if ((uint64_t)(uri - (const char*)bi->args) >= bi->args_len) return 102;
    dk_handle_t h = 0;
    long st = dk_open_create(uri, DK_ACCESS_RDWR, DK_CREATE_TRY | DK_CREATE_TRUNCATE, &h);
    if (st) return -st;
    uint64_t n = 8;
    st = DK(DkStreamWrite, h, 0, "private\n", &n, 0);
    if (st) return -st;
    DK(DkObjectClose, h, 0, 0, 0, 0);
    return c_cat(uri);
  }
  if (streq(which, "cat")) {
    const char* uri = which + slen(which) + 1;
    if ((uint64_t)(uri - (const char*)bi->args) >= bi->args_len) return 102;
    return c_cat(uri);
  }
  return 101;
}
