/* POSIX threads of the libos. A thread is a Dk thread (DkThreadCreate) with its own stack and
 * control block, the block at its FS base (errno and keys live there). pthread_join waits on
 * the thread handle. Mutexes take an atomic fast path and sleep on a Dk synchronization event
 * only under contention; a condition variable queues its waiters, each asleep on its own
 * thread's Dk event. Every object works when zero-filled: the static initializers are zeros. */
#ifndef DK_LIBC_PTHREAD_H
#define DK_LIBC_PTHREAD_H

#include <dk/abi.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct libos_tcb* pthread_t;

typedef struct {
  size_t stack_size;
  int detached;
} pthread_attr_t;

/* The lock word is 0 free, 1 held, 2 held with sleepers; event is made on first contention. */
typedef struct {
  volatile int state;
  int type;
  dk_handle_t event;
  pthread_t owner;
  unsigned count; /* recursive mutexes: times the owner holds it */
} pthread_mutex_t;

typedef struct {
  int type;
} pthread_mutexattr_t;

typedef struct {
  pthread_mutex_t guard; /* protects the queue */
  void* head;            /* waiting threads, first come first woken */
  void* tail;
} pthread_cond_t;

typedef struct {
  int unused;
} pthread_condattr_t;

typedef struct {
  volatile int state; /* 0 not run, 1 running, 2 done */
} pthread_once_t;

typedef unsigned pthread_key_t;

#define PTHREAD_MUTEX_NORMAL 0
#define PTHREAD_MUTEX_RECURSIVE 1
#define PTHREAD_MUTEX_ERRORCHECK 2
#define PTHREAD_MUTEX_DEFAULT PTHREAD_MUTEX_NORMAL
#define PTHREAD_CREATE_JOINABLE 0
#define PTHREAD_CREATE_DETACHED 1
#define PTHREAD_KEYS_MAX 32

#define PTHREAD_MUTEX_INITIALIZER \
  { 0 }
#define PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP \
  { 0, PTHREAD_MUTEX_RECURSIVE, 0, 0, 0 }
#define PTHREAD_COND_INITIALIZER \
  { {0}, 0, 0 }
#define PTHREAD_ONCE_INIT \
  { 0 }

/* All return 0 or an errno value, as POSIX says. */
int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg);
int pthread_join(pthread_t thread, void** result);
int pthread_detach(pthread_t thread);
__attribute__((noreturn)) void pthread_exit(void* result);
pthread_t pthread_self(void);
int pthread_equal(pthread_t a, pthread_t b);

int pthread_attr_init(pthread_attr_t* attr);
int pthread_attr_destroy(pthread_attr_t* attr);
int pthread_attr_setstacksize(pthread_attr_t* attr, size_t size);
int pthread_attr_setdetachstate(pthread_attr_t* attr, int state);

int pthread_mutex_init(pthread_mutex_t* m, const pthread_mutexattr_t* attr);
int pthread_mutex_destroy(pthread_mutex_t* m);
int pthread_mutex_lock(pthread_mutex_t* m);
int pthread_mutex_trylock(pthread_mutex_t* m);
int pthread_mutex_unlock(pthread_mutex_t* m);
int pthread_mutexattr_init(pthread_mutexattr_t* attr);
int pthread_mutexattr_destroy(pthread_mutexattr_t* attr);
int pthread_mutexattr_settype(pthread_mutexattr_t* attr, int type);

int pthread_cond_init(pthread_cond_t* c, const pthread_condattr_t* attr);
int pthread_cond_destroy(pthread_cond_t* c);
int pthread_cond_wait(pthread_cond_t* restrict c, pthread_mutex_t* restrict m);
/* abstime is CLOCK_REALTIME; ETIMEDOUT when it passes. */
int pthread_cond_timedwait(pthread_cond_t* restrict c, pthread_mutex_t* restrict m,
                           const struct timespec* restrict abstime);
int pthread_cond_signal(pthread_cond_t* c);
int pthread_cond_broadcast(pthread_cond_t* c);

int pthread_once(pthread_once_t* once, void (*fn)(void));

/* Keys: slots in each thread's control block; destructors are not run. */
int pthread_key_create(pthread_key_t* key, void (*destructor)(void*));
int pthread_key_delete(pthread_key_t key);
void* pthread_getspecific(pthread_key_t key);
int pthread_setspecific(pthread_key_t key, const void* value);

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_PTHREAD_H */
