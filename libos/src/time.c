/* Clocks, sleeping and random bits. Both clocks read DkSystemTimeQuery: CLOCK_MONOTONIC is
 * the same reading less the first one the picoprocess took, so it starts near 0 and never
 * jumps with the host's wall clock settings as long as the host clock does not. */
#include <dk/dkcalls.h>
#include <errno.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "libos_internal.h"

static uint64_t monotonic_base;

static int now(clockid_t clock, uint64_t* ns) {
  if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) {
    errno = EINVAL;
    return -1;
  }
  dk_status_t st = DkSystemTimeQuery(ns);
  if (st < 0) return libos_fail(st);
  if (clock == CLOCK_MONOTONIC) {
    uint64_t base = __atomic_load_n(&monotonic_base, __ATOMIC_RELAXED);
    if (base == 0) {
      uint64_t zero = 0;
      base = *ns;
      if (!__atomic_compare_exchange_n(&monotonic_base, &zero, base, 0, __ATOMIC_RELAXED,
                                       __ATOMIC_RELAXED))
        base = zero;
    }
    *ns = *ns >= base ? *ns - base : 0;
  }
  return 0;
}

int clock_gettime(clockid_t clock, struct timespec* ts) {
  uint64_t ns;
  if (now(clock, &ns) < 0) return -1;
  ts->tv_sec = (time_t)(ns / 1000000000ull);
  ts->tv_nsec = (long)(ns % 1000000000ull);
  return 0;
}

int clock_getres(clockid_t clock, struct timespec* ts) {
  if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC) {
    errno = EINVAL;
    return -1;
  }
  if (ts) *ts = (struct timespec){0, 1};
  return 0;
}

time_t time(time_t* out) {
  uint64_t ns;
  if (now(CLOCK_REALTIME, &ns) < 0) return (time_t)-1;
  time_t t = (time_t)(ns / 1000000000ull);
  if (out) *out = t;
  return t;
}

clock_t clock(void) {
  uint64_t ns;
  if (now(CLOCK_MONOTONIC, &ns) < 0) return (clock_t)-1;
  return (clock_t)(ns / 1000);
}

int gettimeofday(struct timeval* tv, void* tz) {
  (void)tz;
  uint64_t ns;
  if (now(CLOCK_REALTIME, &ns) < 0) return -1;
  tv->tv_sec = (time_t)(ns / 1000000000ull);
  tv->tv_usec = (suseconds_t)(ns % 1000000000ull / 1000);
  return 0;
}

int nanosleep(const struct timespec* req, struct timespec* rem) {
  if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000l) {
    errno = EINVAL;
    return -1;
  }
  uint64_t ns = (uint64_t)req->tv_sec * 1000000000ull + (uint64_t)req->tv_nsec;
  dk_status_t st = DkThreadDelayExecution(&ns);
  if (st == -DK_E_INTERRUPTED) {
    if (rem) {
      rem->tv_sec = (time_t)(ns / 1000000000ull);
      rem->tv_nsec = (long)(ns % 1000000000ull);
    }
    errno = EINTR;
    return -1;
  }
  return st < 0 ? libos_fail(st) : 0;
}

unsigned int sleep(unsigned int seconds) {
  struct timespec req = {seconds, 0}, rem = {0, 0};
  if (nanosleep(&req, &rem) == 0) return 0;
  return (unsigned)rem.tv_sec + (rem.tv_nsec > 0);
}

int usleep(useconds_t usec) {
  struct timespec req = {usec / 1000000, (long)(usec % 1000000) * 1000};
  return nanosleep(&req, NULL);
}

int sched_yield(void) {
  DkThreadYieldExecution();
  return 0;
}

ssize_t getrandom(void* buf, size_t len, unsigned int flags) {
  (void)flags; /* the host's generator never blocks */
  unsigned char* p = buf;
  size_t done = 0;
  while (done < len) {
    size_t n = len - done < DK_RANDOM_MAX ? len - done : DK_RANDOM_MAX;
    dk_status_t st = DkRandomBitsRead(p + done, n);
    if (st < 0) return done ? (ssize_t)done : libos_fail(st);
    done += n;
  }
  return (ssize_t)done;
}
