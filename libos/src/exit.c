/* Ending the picoprocess: exit runs atexit handlers and flushes stdio before DkProcessExit;
 * abort and failed asserts skip both, since the state they would touch may be broken. */
#include <assert.h>
#include <dk/dkcalls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libos_internal.h"

#define LIBOS_ATEXIT_MAX 32

static void (*atexit_fns[LIBOS_ATEXIT_MAX])(void);
static int atexit_count;

int atexit(void (*fn)(void)) {
  if (atexit_count == LIBOS_ATEXIT_MAX) return -1;
  atexit_fns[atexit_count++] = fn;
  return 0;
}

void exit(int status) {
  while (atexit_count > 0) atexit_fns[--atexit_count]();
  libos_stdio_flush_all();
  _Exit(status);
}

void _Exit(int status) {
  DkProcessExit(status);
  LIBOS_UNREACHABLE();
}

static void debug_print(const char* s) {
  DkDebugOutput(s, strlen(s));
}

void abort(void) {
  debug_print("libos: abort() called\n");
  DkProcessExit(134); /* 128 + SIGABRT, as a shell would report it */
  LIBOS_UNREACHABLE();
}

void __assert_fail(const char* expr, const char* file, unsigned line, const char* func) {
  /* To stderr for the user and to the debug log for the host, which keeps it even when the
   * manifest gives the picoprocess no stderr. */
  char msg[512];
  snprintf(msg, sizeof msg, "%s:%u: %s: assertion failed: %s\n", file, line, func, expr);
  fputs(msg, stderr);
  debug_print(msg);
  abort();
}
