/* The case runtime's C half: LibOsInitialize picks the case named by the first argument,
 * runs it and exits with its result; output goes to the boot stdout handle. */
#include "case.h"

struct dk_entry_regs conf_init_regs, conf_thread_regs, conf_exception_regs;
const dk_boot_info* conf_boot;
int conf_argc;
const char* conf_argv[16];
conf_exception_handler conf_on_exception;
volatile uint64_t conf_resume_rip;
volatile uint64_t conf_fault_rip;
volatile dk_exception_info conf_last_exception;
volatile uint32_t conf_exception_count;
void (*volatile conf_thread_fn)(uint64_t arg);
volatile int conf_return_from_init;

extern const struct conf_case __start_conf_cases[], __stop_conf_cases[];

void conf_write(const char* s, uint64_t n) {
  uint64_t count = n;
  if (conf_boot && conf_boot->stdout_h && DkStreamWrite(conf_boot->stdout_h, 0, s, &count) == 0)
    return;
  DkDebugOutput(s, n);
}

void conf_print(const char* s) { conf_write(s, conf_strlen(s)); }
void conf_puts(const char* s) {
  conf_print(s);
  conf_write("\n", 1);
}

void conf_print_hex(uint64_t v) {
  char buf[19];
  int i = 18;
  buf[i] = 0;
  do {
    buf[--i] = "0123456789abcdef"[v & 15];
    v >>= 4;
  } while (v);
  buf[--i] = 'x';
  buf[--i] = '0';
  conf_print(buf + i);
}

void conf_print_dec(int64_t v) {
  char buf[24];
  int i = 23;
  buf[i] = 0;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    buf[--i] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) buf[--i] = '-';
  conf_print(buf + i);
}

void conf_exit(int64_t code) {
  DkProcessExit(code);
  for (;;) __asm__ volatile("ud2");
}

void conf_fail(const char* file, int line, const char* expr, int64_t got, int64_t want) {
  const char* base = file;
  for (const char* p = file; *p; ++p)
    if (*p == '/') base = p + 1;
  conf_print("FAIL ");
  conf_print(base);
  conf_print(":");
  conf_print_dec(line);
  conf_print(" ");
  conf_print(expr);
  conf_print(" got ");
  conf_print_dec(got);
  conf_print(" want ");
  conf_print_dec(want);
  conf_print("\n");
  conf_exit(1);
}

void conf_not_applicable(const char* why) {
  conf_print("NOT APPLICABLE: ");
  conf_puts(why);
  conf_exit(CONF_EXIT_NOT_APPLICABLE);
}

int conf_streq(const char* a, const char* b) {
  while (*a && *a == *b) ++a, ++b;
  return *a == *b;
}
uint64_t conf_strlen(const char* s) {
  uint64_t n = 0;
  while (s[n]) ++n;
  return n;
}
void conf_memset(void* p, int c, uint64_t n) {
  volatile uint8_t* d = p;
  while (n--) *d++ = (uint8_t)c;
}
void conf_memcpy(void* d, const void* s, uint64_t n) {
  volatile uint8_t* dd = d;
  const uint8_t* ss = s;
  while (n--) *dd++ = *ss++;
}
int conf_memcmp(const void* a, const void* b, uint64_t n) {
  const uint8_t *x = a, *y = b;
  for (uint64_t i = 0; i < n; ++i)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

void* conf_pages(uint64_t npages, uint32_t prot) {
  void* p = 0;
  CHECK_OK(DkVirtualMemoryAllocate(&p, npages * DK_PAGE_SIZE, DK_ALLOC_COMMIT, prot));
  CHECK(p != 0);
  return p;
}

void* conf_edge(uint64_t n) {
  uint8_t* p = conf_pages(2, DK_PROT_READ | DK_PROT_WRITE);
  CHECK_OK(DkVirtualMemoryFree(p + DK_PAGE_SIZE, DK_PAGE_SIZE));
  return p + DK_PAGE_SIZE - n;
}

dk_handle_t conf_semaphore(uint32_t initial, uint32_t max) {
  dk_handle_t h = 0;
  CHECK_OK(DkSemaphoreCreate(initial, max, &h));
  CHECK(h != 0);
  return h;
}

dk_handle_t conf_event(int sync, uint32_t signaled) {
  dk_handle_t h = 0;
  if (sync) CHECK_OK(DkSynchronizationEventCreate(signaled, &h));
  else CHECK_OK(DkNotificationEventCreate(signaled, &h));
  CHECK(h != 0);
  return h;
}

static void record(const dk_exception_info* info) {
  conf_memcpy((void*)&conf_last_exception, info, sizeof *info);
  ++conf_exception_count;
}

void conf_record_and_resume(dk_exception_info* info) {
  record(info);
  info->context.rip = conf_resume_rip;
  DkExceptionReturn(&info->context);
  conf_puts("FAIL DkExceptionReturn returned");
  conf_exit(1);
}

void conf_record_and_continue(dk_exception_info* info) {
  record(info);
  DkExceptionReturn(&info->context);
  conf_puts("FAIL DkExceptionReturn returned");
  conf_exit(1);
}

void conf_expect_exception(uint32_t type) {
  CHECK_EQ(conf_exception_count, 1);
  CHECK_EQ(conf_last_exception.type, type);
}

void conf_exception_main(dk_exception_info* info) {
  if (conf_on_exception) conf_on_exception(info);
  /* No handler: return, leaving the exception unhandled. */
}

void conf_thread_main(uint64_t arg) {
  if (conf_thread_fn) conf_thread_fn(arg);
}

int64_t conf_start(const dk_boot_info* boot) {
  conf_boot = boot;
  const char* p = (const char*)boot->args;
  const char* end = p + boot->args_len;
  while (p < end && conf_argc < 16) {
    conf_argv[conf_argc++] = p;
    while (p < end && *p) ++p;
    ++p;
  }
  if (conf_argc < 2) {
    conf_puts("usage: IMAGE CASE");
    for (const struct conf_case* c = __start_conf_cases; c < __stop_conf_cases; ++c)
      conf_puts(c->name);
    conf_exit(2);
  }
  for (const struct conf_case* c = __start_conf_cases; c < __stop_conf_cases; ++c) {
    if (!conf_streq(c->name, conf_argv[1])) continue;
    int code = c->fn();
    if (conf_return_from_init) return code;
    conf_exit(code);
  }
  conf_print("no such case: ");
  conf_puts(conf_argv[1]);
  conf_exit(2);
}
