/* Mutexes, condition variables, once and semaphores on Dk synchronization objects.
 *
 * A mutex is a lock word (0 free, 1 held, 2 held and someone may sleep) changed with atomic
 * instructions, so an uncontended lock and unlock make no downcall at all. A thread that
 * finds it held marks it 2 and sleeps on an auto-reset Dk event; an unlock that sees 2 sets
 * the event, waking one sleeper, which marks the word 2 again when it takes the lock so the
 * next unlock wakes the next one. A set event with nobody asleep only costs a spare loop.
 *
 * A condition variable is a queue of waiting threads, each asleep on its own Dk
 * synchronization event (one per thread, made on its first wait); signal wakes the first. */
#include <dk/dkcalls.h>
#include <dk/posix.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/time.h>

#include "libos_internal.h"

dk_status_t libos_wait_one(dk_handle_t h, uint64_t timeout_ns) {
  uint32_t index = 0;
  return DkObjectsWaitAny(1, &h, timeout_ns, &index);
}

/* The handle in *slot, made on first use by whichever thread gets there first. 0 if the
 * host refuses to make one (handle quota): callers then fall back to yielding. */
static dk_handle_t lazy_handle(dk_handle_t* slot, int semaphore) {
  dk_handle_t h = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
  if (h) return h;
  dk_status_t st =
      semaphore ? DkSemaphoreCreate(0, SEM_VALUE_MAX, &h) : DkSynchronizationEventCreate(0, &h);
  if (st < 0) return 0;
  dk_handle_t expected = 0;
  if (!__atomic_compare_exchange_n(slot, &expected, h, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
    DkObjectClose(h);
    return expected;
  }
  return h;
}

static void lock_word(pthread_mutex_t* m) {
  int c = 0;
  if (__atomic_compare_exchange_n(&m->state, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) return;
  while (__atomic_exchange_n(&m->state, 2, __ATOMIC_ACQUIRE) != 0) {
    dk_handle_t ev = lazy_handle(&m->event, 0);
    if (ev)
      libos_wait_one(ev, DK_TIMEOUT_INFINITE); /* INTERRUPTED too just means "look again" */
    else
      DkThreadYieldExecution();
  }
}

static int trylock_word(pthread_mutex_t* m) {
  int c = 0;
  return __atomic_compare_exchange_n(&m->state, &c, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void unlock_word(pthread_mutex_t* m) {
  if (__atomic_exchange_n(&m->state, 0, __ATOMIC_RELEASE) == 2) {
    dk_handle_t ev = lazy_handle(&m->event, 0);
    if (ev) DkEventSet(ev);
  }
}

void libos_lock(libos_lock_t* l) {
  lock_word(l);
}
void libos_unlock(libos_lock_t* l) {
  unlock_word(l);
}

int pthread_mutexattr_init(pthread_mutexattr_t* attr) {
  attr->type = PTHREAD_MUTEX_DEFAULT;
  return 0;
}
int pthread_mutexattr_destroy(pthread_mutexattr_t* attr) {
  (void)attr;
  return 0;
}
int pthread_mutexattr_settype(pthread_mutexattr_t* attr, int type) {
  if (type < PTHREAD_MUTEX_NORMAL || type > PTHREAD_MUTEX_ERRORCHECK) return EINVAL;
  attr->type = type;
  return 0;
}

int pthread_mutex_init(pthread_mutex_t* m, const pthread_mutexattr_t* attr) {
  *m = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
  m->type = attr ? attr->type : PTHREAD_MUTEX_DEFAULT;
  return 0;
}

int pthread_mutex_destroy(pthread_mutex_t* m) {
  if (m->state != 0) return EBUSY;
  if (m->event) DkObjectClose(m->event);
  m->event = 0;
  return 0;
}

int pthread_mutex_lock(pthread_mutex_t* m) {
  if (m->type != PTHREAD_MUTEX_NORMAL) {
    pthread_t self = pthread_self();
    if (m->owner == self) {
      if (m->type == PTHREAD_MUTEX_ERRORCHECK) return EDEADLK;
      m->count++;
      return 0;
    }
    lock_word(m);
    m->owner = self;
    m->count = 1;
    return 0;
  }
  lock_word(m);
  return 0;
}

int pthread_mutex_trylock(pthread_mutex_t* m) {
  if (m->type != PTHREAD_MUTEX_NORMAL) {
    pthread_t self = pthread_self();
    if (m->owner == self) {
      if (m->type == PTHREAD_MUTEX_ERRORCHECK) return EBUSY;
      m->count++;
      return 0;
    }
    if (!trylock_word(m)) return EBUSY;
    m->owner = self;
    m->count = 1;
    return 0;
  }
  return trylock_word(m) ? 0 : EBUSY;
}

int pthread_mutex_unlock(pthread_mutex_t* m) {
  if (m->type != PTHREAD_MUTEX_NORMAL) {
    if (m->owner != pthread_self()) return EPERM;
    if (--m->count > 0) return 0;
    m->owner = NULL;
  }
  unlock_word(m);
  return 0;
}

/* ---- Condition variables ---- */

/* A waiter, on its own stack while it waits: it sleeps on its thread's own event, and a
 * wake-up takes it off the queue before setting that event. Waking by name, first come
 * first served, means a thread that starts waiting after a signal can never take the wake-up
 * meant for one that was already waiting. */
struct cond_waiter {
  struct cond_waiter* next;
  dk_handle_t event;
};

int pthread_cond_init(pthread_cond_t* c, const pthread_condattr_t* attr) {
  (void)attr;
  *c = (pthread_cond_t)PTHREAD_COND_INITIALIZER;
  return 0;
}

int pthread_cond_destroy(pthread_cond_t* c) {
  if (c->head) return EBUSY;
  pthread_mutex_destroy(&c->guard);
  return 0;
}

static uint64_t now_ns(void) {
  uint64_t ns = 0;
  DkSystemTimeQuery(&ns);
  return ns;
}

/* Relative nanoseconds until an absolute CLOCK_REALTIME time (0 if it has passed). */
static uint64_t until(const struct timespec* abstime) {
  if (abstime->tv_sec < 0) return 0;
  uint64_t deadline = (uint64_t)abstime->tv_sec * 1000000000ull + (uint64_t)abstime->tv_nsec;
  uint64_t now = now_ns();
  return deadline > now ? deadline - now : 0;
}

/* Takes w off c's queue if it is still there; 1 if it was. Called with the guard held. */
static int unqueue(pthread_cond_t* c, struct cond_waiter* w) {
  struct cond_waiter* prev = NULL;
  for (struct cond_waiter* p = c->head; p; prev = p, p = p->next) {
    if (p != w) continue;
    if (prev)
      prev->next = p->next;
    else
      c->head = p->next;
    if (c->tail == p) c->tail = prev;
    return 1;
  }
  return 0;
}

static int cond_wait(pthread_cond_t* c, pthread_mutex_t* m, const struct timespec* abstime) {
  if (abstime && (abstime->tv_nsec < 0 || abstime->tv_nsec >= 1000000000l)) return EINVAL;
  struct libos_tcb* self = libos_tcb_self();
  struct cond_waiter w = {NULL, lazy_handle(&self->cond_event, 0)};
  if (!w.event) return EAGAIN;

  lock_word(&c->guard);
  if (c->tail)
    ((struct cond_waiter*)c->tail)->next = &w;
  else
    c->head = &w;
  c->tail = &w;
  unlock_word(&c->guard);

  /* A recursive mutex is released and taken back whole, as POSIX requires. */
  unsigned depth = m->count;
  pthread_t owner = m->owner;
  if (m->type != PTHREAD_MUTEX_NORMAL) {
    m->count = 0;
    m->owner = NULL;
  }
  unlock_word(m);

  dk_status_t st = libos_wait_one(w.event, abstime ? until(abstime) : DK_TIMEOUT_INFINITE);
  int rc = 0;
  if (st < 0) {
    /* Timed out or interrupted. Still queued: nobody woke us, leave the queue. Not queued:
     * a wake-up came in meanwhile and set the event, which must not stay set for the
     * thread's next wait. */
    lock_word(&c->guard);
    int still = unqueue(c, &w);
    unlock_word(&c->guard);
    if (still) {
      if (st == -DK_E_TIMEOUT) rc = ETIMEDOUT;
    } else {
      while (libos_wait_one(w.event, DK_TIMEOUT_INFINITE) == -DK_E_INTERRUPTED) {
      }
    }
  }

  lock_word(m);
  if (m->type != PTHREAD_MUTEX_NORMAL) {
    m->owner = owner;
    m->count = depth;
  }
  return rc;
}

int pthread_cond_wait(pthread_cond_t* restrict c, pthread_mutex_t* restrict m) {
  return cond_wait(c, m, NULL);
}

int pthread_cond_timedwait(pthread_cond_t* restrict c, pthread_mutex_t* restrict m,
                           const struct timespec* restrict abstime) {
  return cond_wait(c, m, abstime);
}

static int cond_wake(pthread_cond_t* c, int all) {
  lock_word(&c->guard);
  do {
    struct cond_waiter* w = c->head;
    if (!w) break;
    c->head = w->next;
    if (!c->head) c->tail = NULL;
    /* Read before the set: once the event is set the waiter may return and its stack
     * frame, w included, is gone. */
    dk_handle_t ev = w->event;
    DkEventSet(ev);
  } while (all);
  unlock_word(&c->guard);
  return 0;
}

int pthread_cond_signal(pthread_cond_t* c) {
  return cond_wake(c, 0);
}
int pthread_cond_broadcast(pthread_cond_t* c) {
  return cond_wake(c, 1);
}

/* ---- Once ---- */

static libos_lock_t once_lock = LIBOS_LOCK_INIT;

int pthread_once(pthread_once_t* once, void (*fn)(void)) {
  if (__atomic_load_n(&once->state, __ATOMIC_ACQUIRE) == 2) return 0;
  /* One lock for every once: fn may itself call pthread_once on another object only if the
   * lock is not held while fn runs, so it is taken just to claim the run. */
  for (;;) {
    libos_lock(&once_lock);
    int s = once->state;
    if (s == 0) once->state = 1;
    libos_unlock(&once_lock);
    if (s == 0) break;
    if (s == 2) return 0;
    DkThreadYieldExecution(); /* another thread is running fn */
  }
  fn();
  __atomic_store_n(&once->state, 2, __ATOMIC_RELEASE);
  return 0;
}

/* ---- Semaphores ---- */

int sem_init(sem_t* sem, int pshared, unsigned value) {
  if (pshared || value > SEM_VALUE_MAX) {
    errno = pshared ? ENOSYS : EINVAL;
    return -1;
  }
  dk_status_t st = DkSemaphoreCreate(value, SEM_VALUE_MAX, &sem->handle);
  return st < 0 ? libos_fail(st) : 0;
}

int sem_destroy(sem_t* sem) {
  dk_status_t st = DkObjectClose(sem->handle);
  return st < 0 ? libos_fail(st) : 0;
}

static int sem_take(sem_t* sem, uint64_t timeout, int polling) {
  dk_status_t st = libos_wait_one(sem->handle, timeout);
  if (st == -DK_E_TIMEOUT) {
    errno = polling ? EAGAIN : ETIMEDOUT;
    return -1;
  }
  return st < 0 ? libos_fail(st) : 0;
}

int sem_wait(sem_t* sem) {
  return sem_take(sem, DK_TIMEOUT_INFINITE, 0);
}
int sem_trywait(sem_t* sem) {
  return sem_take(sem, 0, 1);
}
int sem_timedwait(sem_t* restrict sem, const struct timespec* restrict abstime) {
  return sem_take(sem, until(abstime), 0);
}

int sem_post(sem_t* sem) {
  dk_status_t st = DkSemaphoreRelease(sem->handle, 1, NULL);
  if (st == -DK_E_RANGE) {
    errno = EOVERFLOW;
    return -1;
  }
  return st < 0 ? libos_fail(st) : 0;
}

int sem_getvalue(sem_t* restrict sem, int* restrict value) {
  uint32_t count = 0;
  dk_status_t st = DkSemaphorePeek(sem->handle, &count);
  if (st < 0) return libos_fail(st);
  *value = (int)count;
  return 0;
}
