/* Threads and a mutex: N threads each add 1 to a shared counter M times under a mutex; the
 * total must be N * M. Then two threads hand a token back and forth with a condition
 * variable, each waiting for its turn. Exits 1 if either check fails.
 * Usage: counter [THREADS [INCREMENTS [ROUNDS]]] (defaults 4, 2000, 5). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static long increments = 2000;

static void* add(void* arg) {
  long id = (long)arg;
  for (long i = 0; i < increments; i++) {
    pthread_mutex_lock(&lock);
    /* Read, pause, write: without the mutex a preemption between the two loses updates. */
    long v = counter;
    __asm__ volatile("" ::: "memory");
    counter = v + 1;
    pthread_mutex_unlock(&lock);
  }
  return (void*)(id * 100);
}

/* The handoff: turn says whose move it is; each side waits on the condition variable until
 * it is its own, moves, and passes the turn. */
static pthread_mutex_t turn_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static int turn; /* 0: ping, 1: pong */
static int rounds = 5;

static void play(int side, const char* word) {
  for (int r = 1; r <= rounds; r++) {
    pthread_mutex_lock(&turn_lock);
    while (turn != side) pthread_cond_wait(&turn_changed, &turn_lock);
    printf("handoff: %s %d\n", word, r);
    turn = !side;
    pthread_cond_broadcast(&turn_changed);
    pthread_mutex_unlock(&turn_lock);
  }
}

static void* pong(void* arg) {
  (void)arg;
  play(1, "pong");
  return NULL;
}

int main(int argc, char** argv) {
  long threads = argc > 1 ? atol(argv[1]) : 4;
  if (argc > 2) increments = atol(argv[2]);
  if (argc > 3) rounds = atoi(argv[3]);
  if (threads < 1 || threads > 64 || increments < 0 || rounds < 0) {
    fprintf(stderr, "usage: counter [THREADS(1-64) [INCREMENTS [ROUNDS]]]\n");
    return 2;
  }

  pthread_t t[64];
  for (long i = 0; i < threads; i++) {
    int rc = pthread_create(&t[i], NULL, add, (void*)i);
    if (rc != 0) {
      fprintf(stderr, "counter: pthread_create: error %d\n", rc);
      return 1;
    }
  }
  int ok = 1;
  for (long i = 0; i < threads; i++) {
    void* result = NULL;
    int rc = pthread_join(t[i], &result);
    if (rc != 0 || (long)result != i * 100) {
      fprintf(stderr, "counter: join of thread %ld: error %d, result %ld\n", i, rc, (long)result);
      ok = 0;
    }
  }
  long expected = threads * increments;
  printf("counter: %ld threads x %ld increments = %ld (expected %ld)\n", threads, increments,
         counter, expected);
  if (counter != expected) ok = 0;

  pthread_t other;
  if (pthread_create(&other, NULL, pong, NULL) != 0) return 1;
  play(0, "ping");
  pthread_join(other, NULL);
  printf("handoff: %d rounds each way\n", rounds);

  printf("counter: %s\n", ok ? "ok" : "WRONG");
  return ok ? 0 : 1;
}
