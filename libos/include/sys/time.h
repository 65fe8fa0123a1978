/* gettimeofday on DkSystemTimeQuery. */
#ifndef DK_LIBC_SYS_TIME_H
#define DK_LIBC_SYS_TIME_H

#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

struct timeval {
  time_t tv_sec;
  suseconds_t tv_usec;
};

int gettimeofday(struct timeval* tv, void* tz);

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_SYS_TIME_H */
