/* Threads: control blocks, thread-local state, dk_thread_spawn and the pthread calls on top.
 * A thread's mapping is [guard page][stack][control block]: the block at the top doubles as
 * the stack's upper end, so one allocation serves both and the joiner frees both at once.
 * Each thread points its FS base at its own block (DkSegmentRegisterSet), which is how errno
 * and pthread keys are per thread. gcc's __thread variables are not used: they need a PT_TLS
 * segment, which the Dk loader refuses. */
#include <dk/dkcalls.h>
#include <dk/libos.h>
#include <dk/posix.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "libos_internal.h"

#define LIBOS_THREAD_STACK (256u * 1024)
#define LIBOS_TCB_PAGES ((sizeof(struct libos_tcb) + DK_PAGE_SIZE - 1) / DK_PAGE_SIZE)

_Static_assert(PTHREAD_KEYS_MAX == sizeof((struct libos_tcb*)0)->keys / sizeof(void*),
               "pthread.h and the control block agree on the number of keys");

struct libos_tcb libos_main_tcb;
/* Set once FS points at a block; until then (or on a host that refuses FS) every thread
 * uses the main block. */
static int tls_ready;

void libos_tls_init(void) {
  libos_main_tcb.self = &libos_main_tcb;
  if (DkSegmentRegisterSet(DK_SEGMENT_FS, (uint64_t)(uintptr_t)&libos_main_tcb) == 0) tls_ready = 1;
}

struct libos_tcb* libos_tcb_self(void) {
  if (!tls_ready) return &libos_main_tcb;
  struct libos_tcb* t;
  __asm__("movq %%fs:0, %0" : "=r"(t));
  return t;
}

int* __errno_location(void) {
  return &libos_tcb_self()->errno_value;
}

dk_status_t libos_tcb_alloc(size_t stack_size, struct libos_tcb** out) {
  if (stack_size == 0) stack_size = LIBOS_THREAD_STACK;
  if (stack_size > (1ull << 32)) return -DK_E_INVAL;
  stack_size = (stack_size + DK_PAGE_SIZE - 1) & ~(DK_PAGE_SIZE - 1);
  uint64_t total = DK_PAGE_SIZE + stack_size + LIBOS_TCB_PAGES * DK_PAGE_SIZE;

  void* base = 0;
  dk_status_t st =
      DkVirtualMemoryAllocate(&base, total, DK_ALLOC_COMMIT, DK_PROT_READ | DK_PROT_WRITE);
  if (st < 0) return st;
  /* The lowest page stays inaccessible so an overflow faults instead of running into
   * whatever lies below. */
  st = DkVirtualMemoryProtect(base, DK_PAGE_SIZE, DK_PROT_NONE);
  if (st < 0) {
    DkVirtualMemoryFree(base, total);
    return st;
  }
  struct libos_tcb* t = (struct libos_tcb*)((char*)base + DK_PAGE_SIZE + stack_size);
  /* Fresh pages are zero: every field starts 0 / NULL. */
  t->self = t;
  t->region = base;
  t->region_size = total;
  *out = t;
  return 0;
}

dk_status_t libos_tcb_start(struct libos_tcb* t, dk_handle_t* handle) {
  /* The host puts the 0 return address just below stack_top, i.e. below the block. */
  return DkThreadCreate((uint64_t)(uintptr_t)t, t, handle);
}

void libos_tcb_free(struct libos_tcb* t) {
  if (t->cond_event) DkObjectClose(t->cond_event);
  DkVirtualMemoryFree(t->region, t->region_size);
}

void libos_thread_main(uint64_t arg) {
  struct libos_tcb* t = (struct libos_tcb*)(uintptr_t)arg;
  if (tls_ready) DkSegmentRegisterSet(DK_SEGMENT_FS, (uint64_t)(uintptr_t)t);
  t->fn(t->arg);
  /* The stack is not freed: this thread is still running on it. */
  DkThreadExit();
  LIBOS_UNREACHABLE();
}

dk_status_t dk_thread_spawn(dk_thread_fn fn, void* arg, size_t stack_size, dk_handle_t* thread) {
  if (!fn) return -DK_E_INVAL;
  struct libos_tcb* t;
  dk_status_t st = libos_tcb_alloc(stack_size, &t);
  if (st < 0) return st;
  t->fn = fn;
  t->arg = arg;
  dk_handle_t h = 0;
  st = libos_tcb_start(t, &h);
  if (st < 0) {
    libos_tcb_free(t);
    return st;
  }
  if (thread) *thread = h;
  return 0;
}

/* ---- pthreads ---- */

/* Detached threads that have ended (or are about to): their mappings are freed by a later
 * pthread_create once their handles show they are gone. */
static libos_lock_t zombie_lock = LIBOS_LOCK_INIT;
static struct libos_tcb* zombies;

static void reap_zombies(void) {
  libos_lock(&zombie_lock);
  struct libos_tcb** link = &zombies;
  while (*link) {
    struct libos_tcb* t = *link;
    if (t->handle && libos_wait_one(t->handle, 0) == 0) {
      *link = t->next_zombie;
      DkObjectClose(t->handle);
      libos_tcb_free(t);
    } else {
      link = &t->next_zombie;
    }
  }
  libos_unlock(&zombie_lock);
}

/* The thread is finished with its block except for the stack it still runs on. */
static void thread_finish(struct libos_tcb* t) {
  libos_lock(&zombie_lock);
  t->finished = 1;
  if (t->detached && t->region) {
    t->next_zombie = zombies;
    zombies = t;
  }
  libos_unlock(&zombie_lock);
}

static void pthread_entry(void* unused) {
  (void)unused;
  struct libos_tcb* t = libos_tcb_self();
  pthread_exit(t->start(t->start_arg));
}

int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                   void* arg) {
  if (!start) return EINVAL;
  reap_zombies();
  struct libos_tcb* t;
  dk_status_t st = libos_tcb_alloc(attr ? attr->stack_size : 0, &t);
  if (st < 0) return st == -DK_E_NOMEM || st == -DK_E_QUOTA ? EAGAIN : dk_errno_from_status(st);
  t->fn = pthread_entry;
  t->start = start;
  t->start_arg = arg;
  t->detached = attr && attr->detached;
  /* The handle is written before the thread can be joined: only the caller knows t yet. A
   * detached thread may finish first; the reaper skips it until the handle is in. */
  dk_handle_t h = 0;
  st = libos_tcb_start(t, &h);
  if (st < 0) {
    libos_tcb_free(t);
    return st == -DK_E_QUOTA || st == -DK_E_NOMEM ? EAGAIN : dk_errno_from_status(st);
  }
  __atomic_store_n(&t->handle, h, __ATOMIC_RELEASE);
  *thread = t;
  return 0;
}

void pthread_exit(void* result) {
  struct libos_tcb* t = libos_tcb_self();
  t->result = result;
  thread_finish(t);
  DkThreadExit();
  LIBOS_UNREACHABLE();
}

int pthread_join(pthread_t t, void** result) {
  if (t == libos_tcb_self()) return EDEADLK;
  if (t->detached || !t->region) return EINVAL; /* the main thread has no handle to wait on */
  dk_status_t st;
  while ((st = libos_wait_one(t->handle, DK_TIMEOUT_INFINITE)) == -DK_E_INTERRUPTED) {
  }
  if (st < 0) return dk_errno_from_status(st);
  if (result) *result = t->result;
  DkObjectClose(t->handle);
  libos_tcb_free(t);
  return 0;
}

int pthread_detach(pthread_t t) {
  if (!t->region) return 0; /* the main thread's block is static */
  libos_lock(&zombie_lock);
  int was = t->detached;
  t->detached = 1;
  if (!was && t->finished) {
    t->next_zombie = zombies;
    zombies = t;
  }
  libos_unlock(&zombie_lock);
  return was ? EINVAL : 0;
}

pthread_t pthread_self(void) {
  return libos_tcb_self();
}
int pthread_equal(pthread_t a, pthread_t b) {
  return a == b;
}

int pthread_attr_init(pthread_attr_t* attr) {
  memset(attr, 0, sizeof *attr);
  return 0;
}
int pthread_attr_destroy(pthread_attr_t* attr) {
  (void)attr;
  return 0;
}
int pthread_attr_setstacksize(pthread_attr_t* attr, size_t size) {
  if (size < 16 * 1024) return EINVAL;
  attr->stack_size = size;
  return 0;
}
int pthread_attr_setdetachstate(pthread_attr_t* attr, int state) {
  if (state != PTHREAD_CREATE_JOINABLE && state != PTHREAD_CREATE_DETACHED) return EINVAL;
  attr->detached = state == PTHREAD_CREATE_DETACHED;
  return 0;
}

/* Keys: a process-wide table of used slots; the values live in each thread's block. */
static libos_lock_t key_lock = LIBOS_LOCK_INIT;
static unsigned char key_used[PTHREAD_KEYS_MAX];

int pthread_key_create(pthread_key_t* key, void (*destructor)(void*)) {
  (void)destructor;
  libos_lock(&key_lock);
  for (unsigned k = 0; k < PTHREAD_KEYS_MAX; k++) {
    if (!key_used[k]) {
      key_used[k] = 1;
      libos_unlock(&key_lock);
      *key = k;
      return 0;
    }
  }
  libos_unlock(&key_lock);
  return EAGAIN;
}

int pthread_key_delete(pthread_key_t key) {
  if (key >= PTHREAD_KEYS_MAX || !key_used[key]) return EINVAL;
  key_used[key] = 0;
  return 0;
}

void* pthread_getspecific(pthread_key_t key) {
  return key < PTHREAD_KEYS_MAX ? libos_tcb_self()->keys[key] : NULL;
}

int pthread_setspecific(pthread_key_t key, const void* value) {
  if (key >= PTHREAD_KEYS_MAX || !key_used[key]) return EINVAL;
  libos_tcb_self()->keys[key] = (void*)value;
  return 0;
}
