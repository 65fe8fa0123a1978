/* getrandom on DkRandomBitsRead (seeded and deterministic on the simulated host). */
#ifndef DK_LIBC_SYS_RANDOM_H
#define DK_LIBC_SYS_RANDOM_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GRND_NONBLOCK 1
#define GRND_RANDOM 2

ssize_t getrandom(void* buf, size_t len, unsigned int flags);

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_SYS_RANDOM_H */
