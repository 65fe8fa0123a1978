/* The world tests' guest: threads, blocking, sleeping, deadlock, exceptions on threads and
 * child picoprocesses. args[1] names the case; results go out through DkDebugOutput (raw
 * records the test decodes) and through the exit code. */
#include <stdint.h>

#include "dk/abi.h"
#include "dk/dkcalls.h"

void thread_entry(void);
void handler_entry(void);
long guest_thread(uint64_t arg);
void guest_handler(dk_exception_info* info);

/* rsp, [rsp], rdi, rbx, rsi, r15, fcw, mxcsr at the first instruction of the last thread. */
uint64_t thread_entry_regs[8];

/* Every downcall through the guest runtime's raw call (dkabi/guest/dkraw.S). */
static inline long dk6(long nr, long a1, long a2, long a3, long a4, long a5) {
  return dk_raw_call((uint64_t)nr, (uint64_t)a1, (uint64_t)a2, (uint64_t)a3, (uint64_t)a4,
                     (uint64_t)a5, 0);
}
#define DK(name, a, b, c, d, e) dk6(DK_CALL_##name, (long)(a), (long)(b), (long)(c), (long)(d), (long)(e))

void* memcpy(void* d, const void* s, unsigned long n) {
  char* dd = d;
  const char* ss = s;
  while (n--) *dd++ = *ss++;
  return d;
}
void* memset(void* d, int c, unsigned long n) {
  char* dd = d;
  while (n--) *dd++ = (char)c;
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

static void out(const void* p, uint64_t n) { DK(DkDebugOutput, p, n, 0, 0, 0); }
static void out_u64(uint64_t v) { out(&v, 8); }
static void out_str(const char* s) { out(s, slen(s)); }
static void exit_with(long code) {
  DK(DkProcessExit, code, 0, 0, 0, 0);
  for (;;) {
  }
}
static uint64_t now(void) {
  uint64_t ns = 0;
  DK(DkSystemTimeQuery, &ns, 0, 0, 0, 0);
  return ns;
}
static long wait1(dk_handle_t h, uint64_t timeout) {
  uint32_t index = 99;
  return DK(DkObjectsWaitAny, 1, &h, timeout, &index, 0);
}
static dk_handle_t event(void) {
  dk_handle_t h = 0;
  DK(DkNotificationEventCreate, 0, &h, 0, 0, 0);
  return h;
}
static long sleep_ns(uint64_t* ns) { return DK(DkThreadDelayExecution, ns, 0, 0, 0, 0); }

/* ---- threads ---- */

#define MAX_THREADS 8
#define STACK_SIZE 16384
static uint8_t stacks[MAX_THREADS][STACK_SIZE] __attribute__((aligned(16)));
static int stacks_used;
struct start {
  long (*fn)(long);
  long arg;
};
static struct start starts[MAX_THREADS];

long guest_thread(uint64_t arg) {
  struct start* s = (struct start*)arg;
  return s->fn(s->arg);
}

static dk_handle_t spawn_thread(long (*fn)(long), long arg) {
  int i = stacks_used++;
  starts[i].fn = fn;
  starts[i].arg = arg;
  dk_handle_t h = 0;
  long st = DK(DkThreadCreate, &starts[i], stacks[i] + STACK_SIZE, &h, 0, 0);
  if (st) exit_with(200);
  return h;
}

/* ---- exceptions ---- */

enum { SKIP, RETURN };
static volatile int mode = SKIP;
static volatile int faults;

static volatile int interrupts;

void guest_handler(dk_exception_info* info) {
  if (info->type == DK_EXCEPTION_INTERRUPT) {
    interrupts++;
    out_str("interrupt");
    if (mode == RETURN) return; /* unhandled: ends the picoprocess */
    DK(DkExceptionReturn, &info->context, 0, 0, 0, 0);
  }
  faults++;
  out_u64(info->address);
  if (mode == RETURN) return; /* an unhandled exception: ends the picoprocess */
  info->context.rip += 2;     /* over the ud2 */
  DK(DkExceptionReturn, &info->context, 0, 0, 0, 0);
}

/* ---- cases ---- */

/* Two threads that never make a downcall while they work; each appends its id every
 * `every` iterations. The interleaving shows where preemption fell. */
static char trace[4096];
static int trace_pos;
static volatile int busy_done;
static void spin(int n) {
  for (volatile int i = 0; i < n; i++) {
  }
}
static long busy_worker(long id) {
  for (int i = 0; i < 120; i++) {
    spin(40);
    trace[__atomic_fetch_add(&trace_pos, 1, __ATOMIC_SEQ_CST)] = (char)('0' + id);
  }
  __atomic_fetch_add(&busy_done, 1, __ATOMIC_SEQ_CST);
  return 0;
}
static long c_busy(void) {
  spawn_thread(busy_worker, 2);
  busy_worker(1);
  while (busy_done < 2) {
  }
  out(trace, (uint64_t)trace_pos);
  return 0;
}

/* Thread 2 waits on an event that thread 1 sets after a while. */
static dk_handle_t ev;
static long block_waiter(long id) {
  long st = wait1(ev, ~0ull);
  out_str(st == 0 ? "2 woke" : "2 failed");
  return id;
}
static long c_block(void) {
  ev = event();
  dk_handle_t t = spawn_thread(block_waiter, 2);
  DK(DkThreadYieldExecution, 0, 0, 0, 0, 0); /* thread 2 runs and parks */
  spin(2000);
  out_str("1 set");
  DK(DkEventSet, ev, 0, 0, 0, 0);
  if (wait1(t, ~0ull)) return 1;
  return 0;
}

/* Every thread sleeps one second: the clock jumps instead of ticking. */
static long sleeper(long id) {
  uint64_t ns = 1000000000ull;
  if (sleep_ns(&ns)) exit_with(60 + id);
  return 0;
}
static long c_sleep(void) {
  dk_handle_t a = spawn_thread(sleeper, 2);
  dk_handle_t b = spawn_thread(sleeper, 3);
  sleeper(1);
  if (wait1(a, ~0ull) || wait1(b, ~0ull)) return 1;
  out_u64(now());
  return 0;
}

/* INTERRUPT (RunOptions::interrupt, set by the test host on "ready"). While computing: the
 * handler runs between two instructions and the loop goes on. While waiting in a call: the
 * handler runs, then the same call runs again (here it sleeps on and returns 0). */
static long c_interrupt_busy(void) {
  out_str("ready");
  while (interrupts == 0) spin(10);
  out_str("after");
  return 7;
}
static long c_interrupt_wait(void) {
  out_str("ready");
  uint64_t ns = 1000000000ull;
  long st = sleep_ns(&ns);
  out_str(st == 0 && interrupts == 1 ? "slept" : "wrong");
  return 7;
}
/* Also says "ready\n" on its stdout, when it has one (dk run): a test of dk's SIGINT waits
 * for that line, so the signal comes while the loop runs. */
static dk_boot_info* boot;
static long c_interrupt_unhandled(void) {
  mode = RETURN;
  out_str("ready");
  if (boot->stdout_h) {
    uint64_t count = 6;
    DK(DkStreamWrite, boot->stdout_h, 0, "ready\n", &count, 0);
  }
  while (interrupts == 0) spin(10);
  return 9; /* not reached: the handler returned, which ends the picoprocess */
}

/* A wait with a timeout on an event nobody sets. */
static long c_timeout(void) {
  dk_handle_t e = event();
  uint64_t t0 = now();
  long st = wait1(e, 5000000);
  uint64_t t1 = now();
  out_u64((uint64_t)st);
  out_u64(t1 - t0);
  return 0;
}

/* Both threads wait forever on an event nobody sets. */
static long c_deadlock(void) {
  ev = event();
  spawn_thread(block_waiter, 2);
  wait1(ev, ~0ull);
  return 1;
}

/* Thread 2 calls DkThreadExit, thread 3 returns from its start; then the main thread exits
 * and, being the last, ends the picoprocess with code 0. */
static long exiter(long id) {
  out_u64((uint64_t)id);
  if (id == 2) {
    DK(DkThreadExit, 0, 0, 0, 0, 0);
    exit_with(99);
  }
  return 0;
}
static long c_thread_exit(void) {
  dk_handle_t a = spawn_thread(exiter, 2);
  dk_handle_t b = spawn_thread(exiter, 3);
  if (wait1(a, ~0ull) || wait1(b, ~0ull)) return 1;
  out_u64(1);
  DK(DkThreadExit, 0, 0, 0, 0, 0);
  return 98;
}

/* The main thread exits first; the other finishes later and is the last. */
static long late(long id) {
  spin(3000);
  out_u64((uint64_t)id);
  return 0;
}
static long c_main_exits_first(void) {
  spawn_thread(late, 2);
  DK(DkThreadExit, 0, 0, 0, 0, 0);
  return 98;
}

/* DkProcessExit ends every thread, also one that never stops computing. */
static volatile int never;
static long forever(long id) {
  while (!never) {
  }
  return id;
}
static long c_process_exit_threads(void) {
  spawn_thread(forever, 2);
  DK(DkThreadYieldExecution, 0, 0, 0, 0, 0);
  exit_with(5);
  return 0;
}

/* The entry state of LibOsThreadStart, with an unaligned stack top. */
static volatile int entered;
static long entry_probe(long id) {
  entered = (int)id;
  return 0;
}
static long c_thread_entry(void) {
  int i = stacks_used++;
  starts[i].fn = entry_probe;
  starts[i].arg = 7;
  dk_handle_t h = 0;
  uint64_t top = (uint64_t)(stacks[i] + STACK_SIZE - 64 + 7);
  if (DK(DkThreadCreate, &starts[i], top, &h, 0, 0)) return 1;
  if (wait1(h, ~0ull)) return 2;
  out_u64(top);
  out_u64((uint64_t)&starts[i]);
  out(thread_entry_regs, sizeof thread_entry_regs);
  return entered;
}

/* Alternation through DkThreadYieldExecution. */
static long yielder(long id) {
  for (int i = 0; i < 3; i++) {
    trace[__atomic_fetch_add(&trace_pos, 1, __ATOMIC_SEQ_CST)] = (char)('0' + id);
    DK(DkThreadYieldExecution, 0, 0, 0, 0, 0);
  }
  return 0;
}
static long c_yield(void) {
  dk_handle_t t = spawn_thread(yielder, 2);
  yielder(1);
  if (wait1(t, ~0ull)) return 1;
  out(trace, (uint64_t)trace_pos);
  return 0;
}

/* DkThreadResume: out of a sleep, and as a pending wake-up for a thread not waiting. */
static volatile int phase;
static long resumed(long id) {
  (void)id;
  uint64_t ns = 10000000000ull;
  long st = sleep_ns(&ns);
  out_u64((uint64_t)st);
  out_u64(ns);
  phase = 1;
  while (phase != 2) {
  }
  ns = 10000000000ull;
  st = sleep_ns(&ns);
  out_u64((uint64_t)st);
  out_u64(ns);
  return 0;
}
static long c_resume(void) {
  dk_handle_t t = spawn_thread(resumed, 2);
  DK(DkThreadYieldExecution, 0, 0, 0, 0, 0); /* thread 2 runs and parks */
  DK(DkThreadResume, t, 0, 0, 0, 0);
  while (phase != 1) DK(DkThreadYieldExecution, 0, 0, 0, 0, 0);
  DK(DkThreadResume, t, 0, 0, 0, 0); /* thread 2 is not waiting: one pending wake-up */
  phase = 2;
  if (wait1(t, ~0ull)) return 1;
  return 0;
}

/* An exception on a second thread, handled there. */
static long faulter(long id) {
  __asm__ volatile("ud2");
  out_u64((uint64_t)id);
  return 0;
}
static long c_thread_fault(void) {
  dk_handle_t t = spawn_thread(faulter, 2);
  if (wait1(t, ~0ull)) return 1;
  return faults == 1 ? 0 : 2;
}
/* ...and unhandled: the picoprocess ends, main thread included. */
static long c_thread_fault_unhandled(void) {
  mode = RETURN;
  dk_handle_t t = spawn_thread(faulter, 2);
  wait1(t, ~0ull);
  return 3;
}

/* ---- children ---- */

static dk_handle_t spawn_child(const char* uri, const char* which, dk_handle_t* stream) {
  char args[64];
  unsigned long n = 0;
  const char* a0 = "world_guest";
  memcpy(args, a0, slen(a0) + 1);
  n += slen(a0) + 1;
  memcpy(args + n, which, slen(which) + 1);
  n += slen(which) + 1;
  dk_handle_t p = 0;
  long st = DK(DkProcessCreate, uri, args, n, &p, stream);
  if (st) exit_with(201);
  return p;
}
static int64_t child_code(dk_handle_t p) {
  if (wait1(p, ~0ull)) exit_with(202);
  int64_t code = 0;
  if (DK(DkProcessExitCodeQuery, p, &code, 0, 0, 0)) exit_with(203);
  return code;
}
static long c_spawn(void) {
  dk_handle_t s = 0;
  dk_handle_t p = spawn_child("self:", "child_exit", &s);
  int64_t code = 0;
  out_u64((uint64_t)DK(DkProcessExitCodeQuery, p, &code, 0, 0, 0)); /* still running: BUSY */
  out_u64((uint64_t)child_code(p));
  out_u64((uint64_t)child_code(spawn_child("self:", "child_crash", &s)));
  out_u64((uint64_t)child_code(spawn_child("emu:", "exit42", &s)));
  return 0;
}
static long c_child_exit(dk_boot_info* bi) {
  out_u64(bi->parent);
  out_u64(bi->stdin_h | bi->stdout_h | bi->stderr_h);
  return 33;
}
static long c_child_crash(void) {
  mode = RETURN;
  __asm__ volatile("movl $1, 8" ::: "memory");
  return 0;
}
/* A parent waiting for a child that waits forever. */
static long c_spawn_deadlock(void) {
  dk_handle_t s = 0;
  child_code(spawn_child("self:", "child_deadlock", &s));
  return 1;
}
static long c_child_deadlock(void) {
  wait1(event(), ~0ull);
  return 1;
}
/* Parent and child compute side by side; each appends to its own trace and outputs it. */
static long c_spawn_busy(void) {
  dk_handle_t s = 0;
  dk_handle_t p = spawn_child("self:", "busy", &s);
  long r = c_busy();
  child_code(p);
  return r;
}

struct kase {
  const char* name;
  long (*fn)(void);
};
static const struct kase cases[] = {
    {"busy", c_busy},
    {"block", c_block},
    {"sleep", c_sleep},
    {"timeout", c_timeout},
    {"deadlock", c_deadlock},
    {"thread_exit", c_thread_exit},
    {"main_exits_first", c_main_exits_first},
    {"process_exit_threads", c_process_exit_threads},
    {"thread_entry", c_thread_entry},
    {"yield", c_yield},
    {"resume", c_resume},
    {"thread_fault", c_thread_fault},
    {"thread_fault_unhandled", c_thread_fault_unhandled},
    {"spawn", c_spawn},
    {"child_crash", c_child_crash},
    {"spawn_deadlock", c_spawn_deadlock},
    {"child_deadlock", c_child_deadlock},
    {"spawn_busy", c_spawn_busy},
    {"interrupt_busy", c_interrupt_busy},
    {"interrupt_wait", c_interrupt_wait},
    {"interrupt_unhandled", c_interrupt_unhandled},
};

long guest_main(dk_boot_info* bi) {
  const char* args = (const char*)bi->args;
  const char* which = args + slen(args) + 1;
  if (bi->args_len <= slen(args) + 1) return 254;
  boot = bi;
  if (streq(which, "child_exit")) return c_child_exit(bi);
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (streq(which, cases[i].name)) return cases[i].fn();
  return 254;
}
