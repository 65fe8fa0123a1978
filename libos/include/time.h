/* Time of the libos: DkSystemTimeQuery for clocks (on the simulated host a virtual clock that
 * starts at 2012-07-11T00:00:00Z and runs with guest progress), DkThreadDelayExecution for
 * sleeping. */
#ifndef DK_LIBC_TIME_H
#define DK_LIBC_TIME_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct timespec {
  time_t tv_sec;
  long tv_nsec;
};

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCKS_PER_SEC 1000000l

typedef long clock_t;

int clock_gettime(clockid_t clock, struct timespec* ts);
int clock_getres(clockid_t clock, struct timespec* ts);
int nanosleep(const struct timespec* req, struct timespec* rem);
time_t time(time_t* out);
/* Nanoseconds of CLOCK_MONOTONIC as a microsecond count, as C's clock() is read. */
clock_t clock(void);

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_TIME_H */
