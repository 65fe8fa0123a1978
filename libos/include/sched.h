/* sched_yield on DkThreadYieldExecution. */
#ifndef DK_LIBC_SCHED_H
#define DK_LIBC_SCHED_H

#ifdef __cplusplus
extern "C" {
#endif

int sched_yield(void);

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_SCHED_H */
