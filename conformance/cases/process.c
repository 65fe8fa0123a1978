/* Child picoprocesses (ABI.md section 3 #17-#19): each child is this same image (self:),
 * started with a case name of its own as its first argument. */
#include "case.h"

static dk_handle_t child(const char* args, uint64_t len, dk_handle_t* stream) {
  dk_handle_t p = 0, s = 0;
  CHECK_OK(DkProcessCreate("self:", args, len, &p, &s));
  CHECK(p != 0 && s != 0);
  if (stream) *stream = s;
  return p;
}

static void wait_for(dk_handle_t h) {
  uint32_t i;
  CHECK_OK(DkObjectsWaitAny(1, &h, DK_TIMEOUT_INFINITE, &i));
}

CASE(child_exit_7) { return 7; }

CASE(child_writes_parent) {
  uint64_t n = 5;
  CHECK(conf_boot->parent != 0);
  CHECK_OK(DkStreamWrite(conf_boot->parent, 0, "hello", &n));
  return 0;
}

/* Runs until its parent writes one byte to it (never sooner: nothing else can end it). */
CASE(child_waits_parent) {
  char b = 0;
  uint64_t n = 1;
  CHECK_OK(DkStreamRead(conf_boot->parent, 0, &b, &n));
  CHECK_EQ(n, 1);
  return b;
}

CASE(child_inherits_nothing) {
  /* The parent's semaphores mean nothing here: this child made none, so no handle value
   * (its own std handles and parent stream included) is a semaphore. */
  for (dk_handle_t h = 1; h < 0x10 + 256; h++) {
    uint32_t c;
    dk_status_t st = DkSemaphorePeek(h, &c);
    if (st != -DK_E_BADHANDLE) CHECK_ST(st, DK_E_WRONGTYPE);
  }
  CHECK_EQ(conf_argc, 2);
  return 0;
}

CASE(exit_code) {
  dk_handle_t p = child("conf_process\0child_exit_7", 26, 0);
  wait_for(p);
  int64_t code = 0;
  CHECK_OK(DkProcessExitCodeQuery(p, &code));
  CHECK_EQ(code, 7);
  return 0;
}

CASE(exit_code_busy) {
  dk_handle_t s = 0;
  dk_handle_t p = child("conf_process\0child_waits_parent", 32, &s);
  int64_t code = 55;
  CHECK_ST(DkProcessExitCodeQuery(p, &code), DK_E_BUSY);
  CHECK_EQ(code, 55);
  uint64_t n = 1;
  CHECK_OK(DkStreamWrite(s, 0, "\x06", &n)); /* now it may end, with exit code 6 */
  wait_for(p);
  CHECK_OK(DkProcessExitCodeQuery(p, &code));
  CHECK_EQ(code, 6);
  return 0;
}

CASE(pipe_to_child) {
  dk_handle_t s = 0;
  dk_handle_t p = child("conf_process\0child_writes_parent", 33, &s);
  char b[16];
  uint64_t got = 0;
  while (got < 5) {
    uint64_t n = sizeof b - got;
    CHECK_OK(DkStreamRead(s, 0, b + got, &n));
    if (n == 0) break;
    got += n;
  }
  CHECK_EQ(got, 5);
  CHECK_EQ(conf_memcmp(b, "hello", 5), 0);
  wait_for(p);
  return 0;
}

CASE(inherits_nothing) {
  conf_semaphore(1, 1);
  conf_semaphore(1, 1);
  conf_semaphore(1, 1);
  conf_semaphore(1, 1);
  dk_handle_t p = child("conf_process\0child_inherits_nothing", 36, 0);
  wait_for(p);
  int64_t code = 1;
  CHECK_OK(DkProcessExitCodeQuery(p, &code));
  CHECK_EQ(code, 0);
  return 0;
}

CASE(create_fault) {
  dk_handle_t p, s;
  CHECK_ST(DkProcessCreate((const char*)0, "x", 1, &p, &s), DK_E_FAULT);
  CHECK_ST(DkProcessCreate("self:", (const char*)0, 0, &p, &s), DK_E_FAULT);
  CHECK_ST(DkProcessCreate("self:", "x", 1, (dk_handle_t*)0, &s), DK_E_FAULT);
  CHECK_ST(DkProcessCreate("self:", "x", 1, &p, (dk_handle_t*)0), DK_E_FAULT);
  return 0;
}

CASE(create_noent) {
  dk_handle_t p, s;
  CHECK_ST(DkProcessCreate("file:/tmp/no-such-image", "x", 2, &p, &s), DK_E_NOENT);
  return 0;
}

CASE(exit_code_fault) {
  dk_handle_t p = child("conf_process\0child_exit_7", 26, 0);
  CHECK_ST(DkProcessExitCodeQuery(p, (int64_t*)0), DK_E_FAULT);
  return 0;
}

CASE(create_name_too_long) {
  char* u = conf_pages(2, DK_PROT_READ | DK_PROT_WRITE);
  conf_memcpy(u, "file:/tmp/", 10);
  conf_memset(u + 10, 'a', 4090); /* 4100 bytes, no NUL in the first 4096 */
  dk_handle_t p = 0x77, s = 0x77;
  CHECK_ST(DkProcessCreate(u, "x", 2, &p, &s), DK_E_NAMETOOLONG);
  CHECK_EQ(p, 0x77);
  CHECK_EQ(s, 0x77);
  return 0;
}

/* The child receives a semaphore over its parent stream and releases it twice. */
CASE(child_receives_handle) {
  dk_handle_t sem = 0;
  CHECK_OK(DkReceiveHandle(conf_boot->parent, &sem));
  CHECK(sem != 0);
  CHECK_OK(DkSemaphoreRelease(sem, 2, 0));
  return 0;
}

CASE(send_handle_to_child) {
  dk_handle_t s = 0;
  dk_handle_t sem = conf_semaphore(0, 5);
  dk_handle_t p = child("conf_process\0child_receives_handle", 35, &s);
  CHECK_OK(DkSendHandle(s, sem));
  wait_for(p);
  int64_t code = 1;
  CHECK_OK(DkProcessExitCodeQuery(p, &code));
  CHECK_EQ(code, 0);
  uint32_t count = 0;
  CHECK_OK(DkSemaphorePeek(sem, &count));
  CHECK_EQ(count, 2); /* the child's handle was to this same semaphore */
  return 0;
}

/* A child that has exited has closed its end of the stream: writing to it is PIPE. */
CASE(write_to_exited_child) {
  dk_handle_t s = 0;
  dk_handle_t p = child("conf_process\0child_exit_7", 26, &s);
  wait_for(p);
  uint64_t n = 4;
  CHECK_ST(DkStreamWrite(s, 0, "late", &n), DK_E_PIPE);
  CHECK_ST(DkSendHandle(s, conf_semaphore(0, 1)), DK_E_PIPE);
  char b[4];
  n = sizeof b;
  CHECK_OK(DkStreamRead(s, 0, b, &n));
  CHECK_EQ(n, 0); /* and reading gives end of stream */
  return 0;
}
