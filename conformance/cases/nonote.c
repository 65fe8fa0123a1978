/* An image without the Dk note (ABI.md section 5): no thread start, no exception upcall. */
#include "case.h"

CASE(thread_create_notsup) {
  uint8_t* p = conf_pages(4, DK_PROT_READ | DK_PROT_WRITE);
  dk_handle_t t = 0x55;
  CHECK_ST(DkThreadCreate(0, p + 4 * DK_PAGE_SIZE, &t), DK_E_NOTSUP);
  CHECK_EQ(t, 0x55);
  return 0;
}

CASE(exception_ends) {
  __asm__ volatile("ud2");
  return 0;
}

CASE(foreign_trap_ends) {
  __asm__ volatile("int $0x80");
  return 0;
}

CASE(breakpoint_ends) {
  __asm__ volatile("int3");
  return 0;
}

CASE(still_runs) {
  conf_puts("no note, still running");
  return 0;
}
