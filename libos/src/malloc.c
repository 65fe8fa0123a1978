/* The heap. Small blocks come from power-of-two size classes (32 bytes .. 4 KiB including a
 * 16-byte header) carved out of 64 KiB chunks and kept on one free list per class; larger
 * blocks are their own DkVirtualMemoryAllocate and go straight back to the host when freed.
 * Every entry point goes through heap_lock/heap_unlock: one libos lock, whose uncontended
 * path is a single atomic instruction. */
#include <dk/dkcalls.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libos_internal.h"

#define HEAP_MIN_SHIFT 5  /* 32-byte blocks */
#define HEAP_MAX_SHIFT 12 /* 4096-byte blocks */
#define HEAP_CLASSES (HEAP_MAX_SHIFT - HEAP_MIN_SHIFT + 1)
#define HEAP_CHUNK (64u * 1024)
#define HEAP_BIG_CLASS 0xffu

/* Magic values catch frees of pointers the heap never handed out and double frees. */
#define HEAP_LIVE 0x4b44a110u
#define HEAP_FREE 0x4b44f4eeu

/* 16 bytes, so payloads stay 16-byte aligned like the x86-64 C ABI's malloc. */
struct heap_header {
  uint32_t magic;
  uint32_t cls;  /* size class index, or HEAP_BIG_CLASS */
  uint64_t size; /* the whole block (header included); big blocks: the whole mapping */
};
_Static_assert(sizeof(struct heap_header) == 16, "heap header keeps 16-byte alignment");

struct heap_free {
  struct heap_header header;
  struct heap_free* next;
};

static struct heap_free* free_lists[HEAP_CLASSES];
static char* chunk_next; /* uncarved rest of the current chunk */
static char* chunk_end;

static libos_lock_t heap_mutex = LIBOS_LOCK_INIT;
static void heap_lock(void) {
  libos_lock(&heap_mutex);
}
static void heap_unlock(void) {
  libos_unlock(&heap_mutex);
}

static __attribute__((noreturn)) void heap_corrupt(const char* what) {
  static const char prefix[] = "libos: heap: ";
  DkDebugOutput(prefix, sizeof prefix - 1);
  DkDebugOutput(what, strlen(what));
  DkDebugOutput("\n", 1);
  abort();
}

static void* host_alloc(uint64_t size) {
  void* addr = 0;
  if (DkVirtualMemoryAllocate(&addr, size, DK_ALLOC_COMMIT, DK_PROT_READ | DK_PROT_WRITE) < 0)
    return NULL;
  return addr;
}

static unsigned class_of(size_t total) {
  unsigned cls = 0;
  while (((size_t)1 << (cls + HEAP_MIN_SHIFT)) < total) cls++;
  return cls;
}

static struct heap_header* alloc_small(unsigned cls) {
  size_t size = (size_t)1 << (cls + HEAP_MIN_SHIFT);
  struct heap_free* f = free_lists[cls];
  if (f) {
    free_lists[cls] = f->next;
    return &f->header;
  }
  if ((size_t)(chunk_end - chunk_next) < size) {
    /* The tail of the old chunk is abandoned: at most 4 KiB of every 64. */
    char* chunk = host_alloc(HEAP_CHUNK);
    if (!chunk) return NULL;
    chunk_next = chunk;
    chunk_end = chunk + HEAP_CHUNK;
  }
  struct heap_header* h = (struct heap_header*)chunk_next;
  chunk_next += size;
  h->size = size;
  return h;
}

static void* heap_alloc(size_t n) {
  if (n > SIZE_MAX - sizeof(struct heap_header) - DK_PAGE_SIZE) return NULL;
  size_t total = n + sizeof(struct heap_header);
  struct heap_header* h;
  if (total <= ((size_t)1 << HEAP_MAX_SHIFT)) {
    unsigned cls = class_of(total);
    h = alloc_small(cls);
    if (!h) return NULL;
    h->cls = cls;
  } else {
    uint64_t size = (total + DK_PAGE_SIZE - 1) & ~(DK_PAGE_SIZE - 1);
    h = host_alloc(size);
    if (!h) return NULL;
    h->cls = HEAP_BIG_CLASS;
    h->size = size;
  }
  h->magic = HEAP_LIVE;
  return h + 1;
}

static struct heap_header* header_of(void* p) {
  struct heap_header* h = (struct heap_header*)p - 1;
  if (h->magic == HEAP_FREE) heap_corrupt("double free");
  if (h->magic != HEAP_LIVE) heap_corrupt("free of a pointer malloc did not return");
  return h;
}

static void heap_free(void* p) {
  struct heap_header* h = header_of(p);
  if (h->cls == HEAP_BIG_CLASS) {
    DkVirtualMemoryFree(h, h->size);
    return;
  }
  h->magic = HEAP_FREE;
  struct heap_free* f = (struct heap_free*)h;
  f->next = free_lists[h->cls];
  free_lists[h->cls] = f;
}

void* malloc(size_t n) {
  heap_lock();
  void* p = heap_alloc(n);
  heap_unlock();
  return p;
}

void free(void* p) {
  if (!p) return;
  heap_lock();
  heap_free(p);
  heap_unlock();
}

void* calloc(size_t count, size_t size) {
  if (size && count > SIZE_MAX / size) return NULL;
  size_t n = count * size;
  void* p = malloc(n);
  if (p) memset(p, 0, n); /* recycled small blocks are not zero */
  return p;
}

void* realloc(void* p, size_t n) {
  if (!p) return malloc(n);
  if (n == 0) {
    free(p);
    return NULL;
  }
  heap_lock();
  struct heap_header* h = header_of(p);
  size_t usable = h->size - sizeof *h;
  void* q = p;
  if (n > usable) {
    q = heap_alloc(n);
    if (q) {
      memcpy(q, p, usable);
      heap_free(p);
    }
  }
  heap_unlock();
  return q;
}
