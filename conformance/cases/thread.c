/* Threads (ABI.md section 3 #4-#8), the thread-start upcall and waits that need a second
 * thread (#16). */
#include "case.h"

#define STACK_PAGES 16

static void* new_stack_top(void) {
  uint8_t* p = conf_pages(STACK_PAGES, DK_PROT_READ | DK_PROT_WRITE);
  return p + STACK_PAGES * DK_PAGE_SIZE;
}

static dk_handle_t spawn(void (*fn)(uint64_t), uint64_t arg) {
  conf_thread_fn = fn;
  dk_handle_t t = 0;
  CHECK_OK(DkThreadCreate(arg, new_stack_top(), &t));
  CHECK(t != 0);
  return t;
}

static void wait_for(dk_handle_t h) {
  uint32_t i = 9;
  CHECK_OK(DkObjectsWaitAny(1, &h, DK_TIMEOUT_INFINITE, &i));
  CHECK_EQ(i, 0);
}

static volatile uint64_t seen_arg;
static volatile int ran;

static void record_arg(uint64_t arg) {
  seen_arg = arg;
  ran = 1;
}

CASE(create_runs) {
  dk_handle_t t = spawn(record_arg, 0x1234abcd);
  wait_for(t);
  CHECK_EQ(ran, 1);
  CHECK_EQ(seen_arg, 0x1234abcd);
  return 0;
}

static volatile uint64_t stack_top_given;

CASE(entry_state) {
  conf_thread_fn = record_arg;
  uint8_t* top = (uint8_t*)new_stack_top() - 3; /* unaligned on purpose */
  stack_top_given = (uint64_t)top;
  dk_handle_t t = 0;
  CHECK_OK(DkThreadCreate(77, top, &t));
  wait_for(t);
  const struct dk_entry_regs* r = &conf_thread_regs;
  CHECK_EQ(r->rdi, 77);
  CHECK_EQ(r->rsp, (stack_top_given & ~15ull) - 8);
  CHECK_EQ(r->ret, 0);
  CHECK_EQ(r->rax, 0);
  CHECK_EQ(r->rbx, 0);
  CHECK_EQ(r->rcx, 0);
  CHECK_EQ(r->rdx, 0);
  CHECK_EQ(r->rsi, 0);
  CHECK_EQ(r->rbp, 0);
  CHECK_EQ(r->r8, 0);
  CHECK_EQ(r->r12, 0);
  CHECK_EQ(r->r15, 0);
  CHECK_EQ(r->fcw & 0xffff, 0x037f);
  CHECK_EQ(r->mxcsr & 0xffffffff, 0x1f80);
  return 0;
}

static void explicit_exit(uint64_t arg) {
  (void)arg;
  ran = 1;
  DkThreadExit();
  ran = 2; /* never */
}

CASE(exit_signals_handle) {
  dk_handle_t t = spawn(explicit_exit, 0);
  wait_for(t);
  CHECK_EQ(ran, 1);
  wait_for(t); /* a thread handle stays signaled */
  return 0;
}

CASE(return_is_exit) {
  dk_handle_t t = spawn(record_arg, 5);
  wait_for(t); /* returning from LibOsThreadStart is DkThreadExit */
  return 0;
}

static void linger(uint64_t arg) {
  uint64_t ns = arg;
  DkThreadDelayExecution(&ns);
  conf_puts("second thread done");
}

CASE(last_thread_exit_ends) {
  /* The main thread leaves first; the picoprocess ends with code 0 when the last does. */
  spawn(linger, 1000000);
  DkThreadExit();
  return 1;
}

CASE(process_exit_ends_all) {
  spawn(linger, 1000000000000ull);
  DkThreadYieldExecution();
  DkProcessExit(9);
  return 1;
}

CASE(create_fault) {
  conf_thread_fn = record_arg;
  CHECK_ST(DkThreadCreate(0, new_stack_top(), (dk_handle_t*)0), DK_E_FAULT);
  DkThreadYieldExecution();
  CHECK_EQ(ran, 0); /* refused before anything started */
  return 0;
}

CASE(delay_elapses) {
  uint64_t t0 = 0, t1 = 0, ns = 3000000;
  CHECK_OK(DkSystemTimeQuery(&t0));
  CHECK_OK(DkThreadDelayExecution(&ns));
  CHECK_OK(DkSystemTimeQuery(&t1));
  CHECK(t1 - t0 >= 3000000);
  return 0;
}

CASE(delay_zero) {
  uint64_t ns = 0;
  CHECK_OK(DkThreadDelayExecution(&ns));
  return 0;
}

CASE(delay_fault) {
  CHECK_ST(DkThreadDelayExecution((uint64_t*)0), DK_E_FAULT);
  uint64_t* ro = conf_pages(1, DK_PROT_READ);
  CHECK_ST(DkThreadDelayExecution(ro), DK_E_FAULT); /* in/out: must be writable too */
  return 0;
}

CASE(yield_ok) {
  CHECK_OK(DkThreadYieldExecution());
  return 0;
}

static volatile dk_status_t sleeper_status = 1;
static volatile uint64_t sleeper_left;
static volatile dk_handle_t ready; /* released by a second thread just before it blocks */

static void long_sleep(uint64_t arg) {
  (void)arg;
  uint64_t ns = 10000000000ull; /* 10 s */
  DkSemaphoreRelease(ready, 1, 0);
  sleeper_status = DkThreadDelayExecution(&ns);
  sleeper_left = ns;
}

/* The resume comes once the sleeper says it is about to sleep: it wakes the sleeper out of
 * its delay, or, if the delay has not begun yet, stays pending and ends the delay at once
 * (ABI.md #8). Either way the delay gives INTERRUPTED with the time left, and no order of
 * the two threads can make the case pass or fail by chance. */
CASE(resume_interrupts_delay) {
  ready = conf_semaphore(0, 1);
  dk_handle_t t = spawn(long_sleep, 0);
  wait_for(ready);
  CHECK_OK(DkThreadResume(t));
  wait_for(t);
  CHECK_EQ(sleeper_status, -DK_E_INTERRUPTED);
  CHECK(sleeper_left > 0 && sleeper_left <= 10000000000ull);
  return 0;
}

static volatile dk_status_t first_status = 1, second_status = 1;
static volatile dk_handle_t gate;

static void two_delays(uint64_t arg) {
  (void)arg;
  uint32_t i;
  dk_handle_t g = gate;
  DkObjectsWaitAny(1, &g, DK_TIMEOUT_INFINITE, &i); /* wait for the resume to be pending */
  uint64_t ns = 1000;
  first_status = DkThreadDelayExecution(&ns);
  ns = 1000;
  second_status = DkThreadDelayExecution(&ns);
}

CASE(resume_pending) {
  gate = conf_semaphore(0, 1);
  dk_handle_t t = spawn(two_delays, 0);
  CHECK_OK(DkThreadYieldExecution());
  CHECK_OK(DkThreadResume(t)); /* interrupts its wait on the gate, or stays pending */
  CHECK_OK(DkSemaphoreRelease(gate, 1, 0));
  wait_for(t);
  /* At most one wake-up is pending: one of the three blocking calls saw it. */
  CHECK(first_status == -DK_E_INTERRUPTED || first_status == 0);
  CHECK_EQ(second_status, 0);
  return 0;
}

static volatile dk_status_t waiter_status = 1;
static volatile dk_handle_t waited;

static void wait_forever(uint64_t arg) {
  (void)arg;
  uint32_t i;
  dk_handle_t h = waited;
  DkSemaphoreRelease(ready, 1, 0);
  waiter_status = DkObjectsWaitAny(1, &h, DK_TIMEOUT_INFINITE, &i);
}

/* As resume_interrupts_delay, with a wait: a resume during it or pending before it. */
CASE(resume_interrupts_wait) {
  ready = conf_semaphore(0, 1);
  waited = conf_semaphore(0, 1);
  dk_handle_t t = spawn(wait_forever, 0);
  wait_for(ready);
  CHECK_OK(DkThreadResume(t));
  wait_for(t);
  CHECK_EQ(waiter_status, -DK_E_INTERRUPTED);
  return 0;
}

static void release_later(uint64_t sem) {
  uint64_t ns = 2000000;
  DkThreadDelayExecution(&ns);
  DkSemaphoreRelease(sem, 1, 0);
}

CASE(wait_infinite_woken) {
  dk_handle_t s = conf_semaphore(0, 1);
  spawn(release_later, s);
  uint32_t i = 9;
  CHECK_OK(DkObjectsWaitAny(1, &s, DK_TIMEOUT_INFINITE, &i));
  CHECK_EQ(i, 0);
  uint32_t c = 9;
  CHECK_OK(DkSemaphorePeek(s, &c));
  CHECK_EQ(c, 0); /* the satisfied wait took it */
  return 0;
}

static void set_later(uint64_t ev) {
  uint64_t ns = 1000000;
  DkThreadDelayExecution(&ns);
  DkEventSet(ev);
}

CASE(wait_event_woken) {
  dk_handle_t e = conf_event(1, 0);
  spawn(set_later, e);
  uint32_t i = 9;
  CHECK_OK(DkObjectsWaitAny(1, &e, 1000000000ull, &i));
  CHECK_ST(DkObjectsWaitAny(1, &e, 0, &i), DK_E_TIMEOUT); /* auto reset */
  return 0;
}

CASE(wait_thread_and_sem) {
  dk_handle_t s = conf_semaphore(0, 1);
  dk_handle_t t = spawn(record_arg, 1);
  dk_handle_t hs[2] = {s, t};
  uint32_t i = 9;
  CHECK_OK(DkObjectsWaitAny(2, hs, DK_TIMEOUT_INFINITE, &i));
  CHECK_EQ(i, 1);
  return 0;
}

static volatile int closed_wait_done;
static void close_while_waiting(uint64_t sem) {
  uint32_t i;
  dk_handle_t h = sem;
  DkSemaphoreRelease(ready, 1, 0);
  dk_status_t st = DkObjectsWaitAny(1, &h, DK_TIMEOUT_INFINITE, &i);
  closed_wait_done = st == 0 ? 1 : st == -DK_E_BADHANDLE ? 2 : 3;
}

/* The handle goes at once; a wait already in progress keeps the object, and a release
 * through another handle to it ends that wait. The waiter says when it is about to wait. A
 * close that still comes before its wait begins leaves that wait a handle that is gone
 * (BADHANDLE at once), and the round runs again: only those two orders exist, and the case
 * passes only once it has seen the first. */
CASE(close_during_wait) {
  ready = conf_semaphore(0, 1);
  for (int round = 0; round < 100; round++) {
    dk_handle_t s = conf_semaphore(0, 1), copy = 0;
    CHECK_OK(DkObjectReference(s, &copy));
    closed_wait_done = 0;
    dk_handle_t t = spawn(close_while_waiting, s);
    wait_for(ready);
    CHECK_OK(DkObjectClose(s));
    uint32_t c;
    CHECK_ST(DkSemaphorePeek(s, &c), DK_E_BADHANDLE);
    CHECK_OK(DkSemaphoreRelease(copy, 1, 0));
    wait_for(t);
    if (closed_wait_done == 1) return 0;
    CHECK_EQ(closed_wait_done, 2);
    CHECK_OK(DkObjectClose(copy));
    CHECK_OK(DkObjectClose(t));
  }
  conf_fail(__FILE__, __LINE__, "a wait in progress when its handle was closed", 2, 1);
}

CASE(resume_badhandle) {
  CHECK_ST(DkThreadResume(CONF_BAD_HANDLE), DK_E_BADHANDLE);
  CHECK_ST(DkThreadResume(0), DK_E_BADHANDLE);
  return 0;
}

CASE(resume_wrongtype) {
  CHECK_ST(DkThreadResume(conf_semaphore(0, 1)), DK_E_WRONGTYPE);
  return 0;
}

CASE(thread_handle_not_semaphore) {
  dk_handle_t t = spawn(record_arg, 0);
  uint32_t c;
  CHECK_ST(DkSemaphorePeek(t, &c), DK_E_WRONGTYPE);
  wait_for(t);
  return 0;
}
