/* Recovering from a fault: a write through a NULL pointer raises MEMFAULT, the handler
 * records it and resumes the thread in recovered(), which reports and exits 0. */
#include <dk/libos.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static volatile uint32_t seen_type, seen_detail;
static volatile uint64_t seen_address;

static __attribute__((noreturn)) void recovered(void) {
  if (seen_type != DK_EXCEPTION_MEMFAULT || !(seen_detail & DK_MEMFAULT_WRITE)) {
    printf("unexpected exception: type %u detail %#x at 0x%lx\n", seen_type, seen_detail,
           (unsigned long)seen_address);
    exit(1);
  }
  printf("caught MEMFAULT write at 0x%lx, recovered\n", (unsigned long)seen_address);
  exit(0);
}

static int handler(dk_exception_info* info) {
  seen_type = info->type;
  seen_detail = info->detail;
  seen_address = info->address;
  if (info->type != DK_EXCEPTION_MEMFAULT) return 0; /* anything else stays fatal */
  /* Resume as if recovered() had just been called from the faulting code: below the red
   * zone the faulting function may still use, with rsp % 16 == 8 as at any function entry. */
  info->context.rip = (uint64_t)(uintptr_t)&recovered;
  info->context.rsp = ((info->context.rsp - DK_RED_ZONE) & ~15ull) - 8;
  return 1;
}

int main(void) {
  dk_set_exception_handler(handler);
  /* Hide the NULL from the optimiser, which would otherwise replace the store with a trap. */
  volatile int* p = NULL;
  __asm__("" : "+r"(p));
  *p = 42;
  printf("the write through NULL did not fault\n");
  return 1;
}
