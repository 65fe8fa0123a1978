/* Races between guest threads around a downcall: a thread rewriting an argument buffer while
 * another thread passes it to the host (the host acts on one copy: ABI.md section 2), and a
 * handle closed while another thread waits on it (ABI.md #36). */
#include "esc.h"

#define STACK_SIZE (64 * 1024)

static dk_handle_t start_thread(void (*fn)(uint64_t), uint64_t arg) {
  uint8_t* stack = conf_pages(STACK_SIZE / DK_PAGE_SIZE, DK_PROT_READ | DK_PROT_WRITE);
  conf_thread_fn = fn;
  dk_handle_t t = 0;
  CHECK_OK(DkThreadCreate(arg, stack + STACK_SIZE, &t));
  return t;
}

static void wait_for(dk_handle_t t) {
  uint32_t index = 0;
  CHECK_OK(DkObjectsWaitAny(1, &t, DK_TIMEOUT_INFINITE, &index));
}

static volatile int stop_flipping;
static char flip_uri[512];
static char good_uri[512], bad_uri[512];

/* Rewrites flip_uri between a granted and a forbidden URI, byte by byte, until told to stop. */
static void flipper(uint64_t arg) {
  (void)arg;
  while (!stop_flipping) {
    for (int which = 0; which < 2; ++which) {
      const char* src = which ? bad_uri : good_uri;
      for (int i = 0; i < 512; ++i) {
        flip_uri[i] = src[i];
        if (i % 7 == 0) __asm__ volatile("" ::: "memory");
      }
      DkThreadYieldExecution();
    }
  }
}

/* The URI a thread opens changes under the call: whatever the host opened, it is in file:/tmp
 * (it acted on one copy it checked); the observer sees the absent path stay absent. */
CASE(uri_flip) {
  uint64_t n = 0;
  esc_cat(good_uri, sizeof good_uri, &n, "file:/tmp/race-good.dat");
  n = 0;
  esc_cat(bad_uri, sizeof bad_uri, &n, "file:/tmp/../../../../../../../../../..");
  esc_cat(bad_uri, sizeof bad_uri, &n, ESC_ABSENT);
  conf_memcpy(flip_uri, good_uri, sizeof flip_uri);
  dk_handle_t t = start_thread(flipper, 0);
  uint64_t opened = 0, refused = 0;
  for (int i = 0; i < 3000; ++i) {
    dk_handle_t h = 0;
    dk_status_t st = DkStreamOpen(flip_uri, DK_ACCESS_RDWR, 0600, DK_CREATE_TRY, 0, &h);
    if (st == 0) {
      char name[600];
      uint64_t size = sizeof name;
      CHECK_OK(DkStreamGetName(h, name, &size));
      const char want[] = "file:/tmp/";
      CHECK_EQ(conf_memcmp(name, want, sizeof want - 1), 0);
      CHECK_OK(DkObjectClose(h));
      ++opened;
    } else {
      ++refused;
    }
    if (i % 3 == 0) DkThreadYieldExecution();
  }
  stop_flipping = 1;
  wait_for(t);
  CHECK(opened > 0);
  return 0;
}

static uint8_t flip_buf[4096];

static void buf_flipper(uint64_t arg) {
  (void)arg;
  while (!stop_flipping) {
    for (int which = 0; which < 2; ++which) {
      for (int i = 0; i < 4096; ++i) flip_buf[i] = which ? 'B' : 'A';
      DkThreadYieldExecution();
    }
  }
}

/* Writes of a buffer another thread keeps rewriting: each write must land as one copy of it.
 * A record is whatever the host copied in once; the bytes of one record may mix only where
 * the guest's own stores had mixed them at the moment of the copy, so a record must be a
 * prefix of one letter followed by the other (the flipper rewrites in address order). */
CASE(buf_flip) {
  dk_handle_t f = 0;
  CHECK_OK(DkStreamOpen("file:/tmp/race.dat", DK_ACCESS_RDWR, 0600,
                        DK_CREATE_TRY | DK_CREATE_TRUNCATE, 0, &f));
  conf_memset(flip_buf, 'A', sizeof flip_buf);
  dk_handle_t t = start_thread(buf_flipper, 0);
  const int records = 400;
  for (int i = 0; i < records; ++i) {
    uint64_t n = sizeof flip_buf;
    CHECK_OK(DkStreamWrite(f, (uint64_t)i * sizeof flip_buf, flip_buf, &n));
    CHECK_EQ(n, sizeof flip_buf);
  }
  stop_flipping = 1;
  wait_for(t);
  static uint8_t rec[4096];
  for (int i = 0; i < records; ++i) {
    uint64_t n = sizeof rec;
    CHECK_OK(DkStreamRead(f, (uint64_t)i * sizeof rec, rec, &n));
    CHECK_EQ(n, sizeof rec);
    int switches = 0;
    for (int j = 1; j < 4096; ++j) {
      CHECK(rec[j] == 'A' || rec[j] == 'B');
      if (rec[j] != rec[j - 1]) ++switches;
    }
    CHECK(switches <= 1);
  }
  return 0;
}

static dk_handle_t shared_ev;
static volatile dk_status_t waiter_status = 1;
static volatile uint32_t waiter_index = 99;

static void waiter(uint64_t timeout) {
  uint32_t index = 99;
  waiter_status = DkObjectsWaitAny(1, &shared_ev, timeout, &index);
  waiter_index = index;
}

/* A wait in progress keeps the object (ABI.md #36): the event set through a second handle
 * wakes the thread whose handle was closed under it. */
CASE(close_while_wait) {
  shared_ev = conf_event(0, 0);
  dk_handle_t copy = 0;
  CHECK_OK(DkObjectReference(shared_ev, &copy));
  dk_handle_t t = start_thread(waiter, DK_TIMEOUT_INFINITE);
  uint64_t ns = 100000;
  CHECK_OK(DkThreadDelayExecution(&ns)); /* the waiter is waiting now */
  CHECK_OK(DkObjectClose(shared_ev));
  CHECK_OK(DkThreadDelayExecution(&ns));
  CHECK_OK(DkEventSet(copy));
  wait_for(t);
  /* Woken by the event, or told its handle is gone: either way it returned. */
  CHECK(waiter_status == 0 || waiter_status == -DK_E_BADHANDLE);
  if (waiter_status == 0) CHECK_EQ(waiter_index, 0);
  return 0;
}

/* The only handle to an object is closed while a thread waits on it with a deadline: the
 * waiter comes back (TIMEOUT or BADHANDLE), nothing hangs. */
CASE(close_only_handle) {
  shared_ev = conf_event(0, 0);
  dk_handle_t t = start_thread(waiter, 5000000);
  uint64_t ns = 100000;
  CHECK_OK(DkThreadDelayExecution(&ns));
  CHECK_OK(DkObjectClose(shared_ev));
  /* The value may come back for a new object: the old wait must not see it. */
  dk_handle_t fresh = conf_event(0, 1);
  (void)fresh;
  wait_for(t);
  CHECK(waiter_status == -DK_E_TIMEOUT || waiter_status == -DK_E_BADHANDLE);
  return 0;
}

static dk_handle_t pipe_client;
static volatile dk_status_t reader_status = 1;

static void reader(uint64_t arg) {
  (void)arg;
  uint8_t buf[64];
  uint64_t n = sizeof buf;
  reader_status = DkStreamRead(pipe_client, 0, buf, &n);
}

/* A stream closed while another thread is blocked reading it. */
CASE(close_while_read) {
  dk_handle_t server = 0, conn = 0;
  CHECK_OK(DkStreamOpen("pipe.server:esc-race", DK_ACCESS_RDWR, 0, 0, 0, &server));
  CHECK_OK(DkStreamOpen("pipe:esc-race", DK_ACCESS_RDWR, 0, 0, 0, &pipe_client));
  CHECK_OK(DkStreamWaitForClient(server, &conn));
  dk_handle_t t = start_thread(reader, 0);
  uint64_t ns = 100000;
  CHECK_OK(DkThreadDelayExecution(&ns));
  CHECK_OK(DkObjectClose(pipe_client));
  CHECK_OK(DkThreadDelayExecution(&ns));
  uint64_t n = 3;
  dk_status_t st = DkStreamWrite(conn, 0, "abc", &n);
  CHECK(st == 0 || st == -DK_E_PIPE);
  CHECK_OK(DkObjectClose(conn));
  wait_for(t);
  CHECK(reader_status == 0 || reader_status == -DK_E_BADHANDLE || reader_status == -DK_E_PIPE);
  return 0;
}
