/* Threads: the libos gives each new thread its own stack and passes LibOsThreadStart a
 * record {fn, arg} placed at the top of that stack, so starting a thread needs no heap. */
#include <dk/dkcalls.h>
#include <dk/libos.h>

#include "libos_internal.h"

struct libos_thread_start {
  dk_thread_fn fn;
  void* arg;
};

#define LIBOS_THREAD_STACK (256u * 1024)

dk_status_t dk_thread_spawn(dk_thread_fn fn, void* arg, size_t stack_size, dk_handle_t* thread) {
  if (!fn) return -DK_E_INVAL;
  if (stack_size == 0) stack_size = LIBOS_THREAD_STACK;
  stack_size = (stack_size + DK_PAGE_SIZE - 1) & ~(DK_PAGE_SIZE - 1);
  uint64_t total = stack_size + DK_PAGE_SIZE;

  void* base = 0;
  dk_status_t st = DkVirtualMemoryAllocate(&base, total, DK_ALLOC_COMMIT,
                                           DK_PROT_READ | DK_PROT_WRITE);
  if (st < 0) return st;
  /* The lowest page stays inaccessible so an overflow faults instead of running into
   * whatever lies below. */
  st = DkVirtualMemoryProtect(base, DK_PAGE_SIZE, DK_PROT_NONE);
  if (st < 0) goto fail;

  /* The host sets rsp = (stack_top & ~15) - 8 and writes the 0 return address there, below
   * the record, so the record survives until libos_thread_main reads it. */
  char* top = (char*)base + total;
  struct libos_thread_start* rec = (struct libos_thread_start*)(top - 16);
  rec->fn = fn;
  rec->arg = arg;

  dk_handle_t h = 0;
  st = DkThreadCreate((uint64_t)(uintptr_t)rec, rec, &h);
  if (st < 0) goto fail;
  if (thread) *thread = h;
  return 0;

fail:
  DkVirtualMemoryFree(base, total);
  return st;
}

void libos_thread_main(uint64_t arg) {
  struct libos_thread_start* rec = (struct libos_thread_start*)(uintptr_t)arg;
  rec->fn(rec->arg);
  /* The stack is not freed: this thread is still running on it. */
  DkThreadExit();
  LIBOS_UNREACHABLE();
}
