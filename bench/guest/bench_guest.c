/* The guest of the world benchmarks (bench/world_bench.cc), on the conformance case runtime:
 * argv[1] names the workload, argv[2] its size. Children are this same image (self:).
 *
 *   pingpong N    two threads hand two synchronization events back and forth N times
 *   pipe N        writes N blocks of 64 KiB to a child that reads them to the end
 *   spawn N       creates N children that exit at once, one after another, waiting for each
 *   density N     creates N children that stay blocked; prints "base" after the first four
 *                 are up and "ready K" when K are up, then lets them all go
 *   neighbours N M  creates N children that stay blocked, prints "go", makes M downcalls
 *                 (DkSystemTimeQuery), prints "done", then lets the children go
 *   fanout N      N threads each wait on an event of their own; the main thread sets them
 *                 one at a time, yielding after each, then waits for every thread's exit
 *
 * Failures print one FAIL line and exit 1 (CHECK). */
#include "case.h"

#define BLOCK (64u * 1024u)

static uint64_t arg_at(int i) {
  CHECK(conf_argc > i);
  uint64_t n = 0;
  for (const char* p = conf_argv[i]; *p; ++p) {
    CHECK(*p >= '0' && *p <= '9');
    n = n * 10 + (uint64_t)(*p - '0');
  }
  return n;
}

static uint64_t arg_count(void) { return arg_at(2); }

static void wait_one(dk_handle_t h) {
  uint32_t i;
  CHECK_OK(DkObjectsWaitAny(1, &h, DK_TIMEOUT_INFINITE, &i));
}

static dk_handle_t spawn(const char* args, uint64_t len, dk_handle_t* stream) {
  dk_handle_t p = 0, s = 0;
  CHECK_OK(DkProcessCreate("self:", args, len, &p, &s));
  *stream = s;
  return p;
}

/* ---- pingpong ---- */
static dk_handle_t ping_ev, pong_ev;
static volatile uint64_t rounds;

static void ponger(uint64_t arg) {
  (void)arg;
  for (uint64_t i = 0; i < rounds; i++) {
    wait_one(ping_ev);
    CHECK_OK(DkEventSet(pong_ev));
  }
}

CASE(pingpong) {
  rounds = arg_count();
  ping_ev = conf_event(1, 0);
  pong_ev = conf_event(1, 0);
  conf_thread_fn = ponger;
  uint8_t* stack = conf_pages(16, DK_PROT_READ | DK_PROT_WRITE);
  dk_handle_t t = 0;
  CHECK_OK(DkThreadCreate(0, stack + 16 * DK_PAGE_SIZE, &t));
  for (uint64_t i = 0; i < rounds; i++) {
    CHECK_OK(DkEventSet(ping_ev));
    wait_one(pong_ev);
  }
  wait_one(t);
  return 0;
}

/* ---- pipe ---- */
CASE(pipe_reader) {
  uint8_t* buf = conf_pages(BLOCK / DK_PAGE_SIZE, DK_PROT_READ | DK_PROT_WRITE);
  uint64_t total = 0;
  for (;;) {
    uint64_t n = BLOCK;
    CHECK_OK(DkStreamRead(conf_boot->parent, 0, buf, &n));
    if (n == 0) break;
    total += n;
  }
  /* The byte count goes back as the exit code (in 64 KiB blocks), checked by the writer. */
  return (int)(total / BLOCK);
}

CASE(pipe) {
  const uint64_t blocks = arg_count();
  uint8_t* buf = conf_pages(BLOCK / DK_PAGE_SIZE, DK_PROT_READ | DK_PROT_WRITE);
  for (uint64_t i = 0; i < BLOCK; i++) buf[i] = (uint8_t)i;
  dk_handle_t s = 0;
  dk_handle_t p = spawn("bench_guest\0pipe_reader", 24, &s);
  for (uint64_t b = 0; b < blocks; b++) {
    uint64_t off = 0;
    while (off < BLOCK) { /* a full pipe takes part of a block */
      uint64_t n = BLOCK - off;
      CHECK_OK(DkStreamWrite(s, 0, buf + off, &n));
      CHECK(n > 0);
      off += n;
    }
  }
  CHECK_OK(DkObjectClose(s)); /* end of stream for the reader */
  wait_one(p);
  int64_t code = -1;
  CHECK_OK(DkProcessExitCodeQuery(p, &code));
  CHECK_EQ(code, (int64_t)(blocks & 0xffffffff));
  return 0;
}

/* ---- spawn ---- */
CASE(exit_now) { return 0; }

CASE(spawn) {
  const uint64_t n = arg_count();
  for (uint64_t i = 0; i < n; i++) {
    dk_handle_t s = 0;
    dk_handle_t p = spawn("bench_guest\0exit_now", 21, &s);
    wait_one(p);
    int64_t code = -1;
    CHECK_OK(DkProcessExitCodeQuery(p, &code));
    CHECK_EQ(code, 0);
    CHECK_OK(DkObjectClose(p));
    CHECK_OK(DkObjectClose(s));
  }
  return 0;
}

/* ---- density ---- */
CASE(idle_child) {
  uint64_t n = 1;
  CHECK_OK(DkStreamWrite(conf_boot->parent, 0, "u", &n)); /* up */
  char b[1];
  n = sizeof b;
  CHECK_OK(DkStreamRead(conf_boot->parent, 0, b, &n)); /* blocks until the parent ends */
  return 0;
}

#define MAX_IDLE 4096
static dk_handle_t idle_array[MAX_IDLE];
static dk_handle_t* idle_streams = idle_array;

/* Starts children up to `want` (from `have`); returns how many are up. Stops early when the
 * host refuses one (NOMEM or QUOTA: the world is full). */
static uint64_t start_idle(uint64_t have, uint64_t want) {
  for (uint64_t i = have; i < want; i++) {
    dk_handle_t p = 0, s = 0;
    dk_status_t st = DkProcessCreate("self:", "bench_guest\0idle_child", 23, &p, &s);
    if (st == -DK_E_NOMEM || st == -DK_E_QUOTA) return i;
    CHECK_OK(st);
    char b[1];
    uint64_t n = sizeof b;
    CHECK_OK(DkStreamRead(s, 0, b, &n)); /* it runs until it blocks */
    CHECK_EQ(n, 1);
    idle_streams[i] = s;
  }
  return want;
}

CASE(density) {
  uint64_t want = arg_count();
  if (want > MAX_IDLE) want = MAX_IDLE;
  uint64_t up = start_idle(0, want < 4 ? want : 4);
  conf_puts("base");
  up = start_idle(up, want);
  conf_print("ready ");
  conf_print_dec((int64_t)up);
  conf_print("\n");
  for (uint64_t i = 0; i < up; i++) CHECK_OK(DkObjectClose(idle_streams[i]));
  return 0;
}

/* ---- neighbours ---- */
CASE(neighbours) {
  const uint64_t want = arg_count(), calls = arg_at(3);
  if (want > MAX_IDLE)
    idle_streams = conf_pages((want * sizeof(dk_handle_t) + DK_PAGE_SIZE - 1) / DK_PAGE_SIZE,
                              DK_PROT_READ | DK_PROT_WRITE);
  const uint64_t up = start_idle(0, want);
  CHECK_EQ(up, want);
  conf_puts("go");
  uint64_t ns = 0;
  for (uint64_t i = 0; i < calls; i++) CHECK_OK(DkSystemTimeQuery(&ns));
  conf_puts("done");
  for (uint64_t i = 0; i < up; i++) CHECK_OK(DkObjectClose(idle_streams[i]));
  return 0;
}

/* ---- fanout ---- */
#define MAX_FANOUT 64
static dk_handle_t fan_events[MAX_FANOUT];

static void fan_waiter(uint64_t i) { wait_one(fan_events[i]); }

CASE(fanout) {
  const uint64_t n = arg_count();
  CHECK(n <= MAX_FANOUT);
  dk_handle_t threads[MAX_FANOUT];
  conf_thread_fn = fan_waiter;
  for (uint64_t i = 0; i < n; i++) {
    fan_events[i] = conf_event(1, 0);
    uint8_t* stack = conf_pages(4, DK_PROT_READ | DK_PROT_WRITE);
    CHECK_OK(DkThreadCreate(i, stack + 4 * DK_PAGE_SIZE, &threads[i]));
  }
  CHECK_OK(DkThreadYieldExecution()); /* every thread parks on its event */
  for (uint64_t i = 0; i < n; i++) {
    CHECK_OK(DkEventSet(fan_events[i]));
    CHECK_OK(DkThreadYieldExecution());
  }
  for (uint64_t i = 0; i < n; i++) wait_one(threads[i]);
  conf_puts("fanned");
  return 0;
}
