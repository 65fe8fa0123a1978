/* Unnamed POSIX semaphores, each a Dk semaphore. */
#ifndef DK_LIBC_SEMAPHORE_H
#define DK_LIBC_SEMAPHORE_H

#include <dk/abi.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  dk_handle_t handle;
} sem_t;

#define SEM_VALUE_MAX 0x7fffffff

int sem_init(sem_t* sem, int pshared, unsigned value); /* pshared must be 0 */
int sem_destroy(sem_t* sem);
int sem_wait(sem_t* sem);
int sem_trywait(sem_t* sem);
int sem_timedwait(sem_t* restrict sem, const struct timespec* restrict abstime);
int sem_post(sem_t* sem);
int sem_getvalue(sem_t* restrict sem, int* restrict value);

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_SEMAPHORE_H */
