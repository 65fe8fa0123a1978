/* Virtual memory: DkVirtualMemoryAllocate, Free and Protect (ABI.md section 3 #1-#3). */
#include "case.h"

#define RW (DK_PROT_READ | DK_PROT_WRITE)
#define FIXED_AT 0x200000000ull /* far from the image, the stack and host-picked ranges */

static int all_zero(const volatile uint8_t* p, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i)
    if (p[i]) return 0;
  return 1;
}

CASE(alloc_host_picks) {
  void* p = 0;
  CHECK_OK(DkVirtualMemoryAllocate(&p, 3 * DK_PAGE_SIZE, DK_ALLOC_COMMIT, RW));
  uint64_t a = (uint64_t)p;
  CHECK(a != 0);
  CHECK_EQ(a % DK_PAGE_SIZE, 0);
  CHECK(a >= DK_USER_LOW && a + 3 * DK_PAGE_SIZE <= DK_USER_HIGH);
  CHECK(all_zero(p, 3 * DK_PAGE_SIZE));
  ((volatile uint8_t*)p)[3 * DK_PAGE_SIZE - 1] = 1;
  return 0;
}

CASE(alloc_rounds_up) {
  void* p = 0;
  CHECK_OK(DkVirtualMemoryAllocate(&p, 1, DK_ALLOC_COMMIT, RW));
  ((volatile uint8_t*)p)[DK_PAGE_SIZE - 1] = 5; /* the whole page is there */
  return 0;
}

CASE(alloc_fixed) {
  void* p = (void*)FIXED_AT;
  CHECK_OK(DkVirtualMemoryAllocate(&p, 2 * DK_PAGE_SIZE, DK_ALLOC_COMMIT, RW));
  CHECK_EQ((uint64_t)p, FIXED_AT);
  ((volatile uint8_t*)p)[0] = 1;
  return 0;
}

CASE(alloc_fixed_unaligned) {
  void* p = (void*)(FIXED_AT + 12);
  CHECK_ST(DkVirtualMemoryAllocate(&p, DK_PAGE_SIZE, DK_ALLOC_COMMIT, RW), DK_E_INVAL);
  CHECK_EQ((uint64_t)p, FIXED_AT + 12);
  return 0;
}

CASE(alloc_overlap_exist) {
  void* p = (void*)FIXED_AT;
  CHECK_OK(DkVirtualMemoryAllocate(&p, 2 * DK_PAGE_SIZE, DK_ALLOC_COMMIT, RW));
  ((volatile uint8_t*)p)[0] = 9;
  void* q = (void*)(FIXED_AT + DK_PAGE_SIZE);
  CHECK_ST(DkVirtualMemoryAllocate(&q, 2 * DK_PAGE_SIZE, DK_ALLOC_COMMIT, RW), DK_E_EXIST);
  CHECK_EQ(((volatile uint8_t*)p)[0], 9); /* nothing changed */
  return 0;
}

CASE(alloc_replace) {
  void* p = (void*)FIXED_AT;
  CHECK_OK(DkVirtualMemoryAllocate(&p, 2 * DK_PAGE_SIZE, DK_ALLOC_COMMIT, RW));
  ((volatile uint8_t*)p)[DK_PAGE_SIZE] = 9;
  void* q = (void*)(FIXED_AT + DK_PAGE_SIZE);
  CHECK_OK(DkVirtualMemoryAllocate(&q, 2 * DK_PAGE_SIZE, DK_ALLOC_COMMIT | DK_ALLOC_REPLACE, RW));
  CHECK_EQ((uint64_t)q, FIXED_AT + DK_PAGE_SIZE);
  CHECK(all_zero(q, 2 * DK_PAGE_SIZE)); /* replaced pages come back zero-filled */
  return 0;
}

CASE(reserve_then_commit) {
  void* p = (void*)FIXED_AT;
  CHECK_OK(DkVirtualMemoryAllocate(&p, 4 * DK_PAGE_SIZE, DK_ALLOC_RESERVE, DK_PROT_NONE));
  void* q = (void*)(FIXED_AT + DK_PAGE_SIZE);
  CHECK_OK(DkVirtualMemoryAllocate(&q, DK_PAGE_SIZE, DK_ALLOC_COMMIT, RW));
  ((volatile uint8_t*)q)[0] = 1;
  CHECK(all_zero((uint8_t*)q + 1, DK_PAGE_SIZE - 1));
  return 0;
}

CASE(reserve_no_access) {
  void* p = 0;
  CHECK_OK(DkVirtualMemoryAllocate(&p, DK_PAGE_SIZE, DK_ALLOC_RESERVE, RW));
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("movb (%0), %%al", "r"(p));
  conf_expect_exception(DK_EXCEPTION_MEMFAULT);
  CHECK_EQ(conf_last_exception.address, (uint64_t)p);
  return 0;
}

CASE(alloc_addr_fault) {
  CHECK_ST(DkVirtualMemoryAllocate((void**)0, DK_PAGE_SIZE, DK_ALLOC_COMMIT, RW), DK_E_FAULT);
  return 0;
}

CASE(alloc_addr_readonly) {
  void** slot = conf_pages(1, DK_PROT_READ);
  CHECK_ST(DkVirtualMemoryAllocate(slot, DK_PAGE_SIZE, DK_ALLOC_COMMIT, RW), DK_E_FAULT);
  return 0;
}

CASE(alloc_huge) {
  void* p = 0;
  dk_status_t st = DkVirtualMemoryAllocate(&p, 1ull << 46, DK_ALLOC_COMMIT, RW);
  CHECK(st == -DK_E_NOMEM || st == -DK_E_QUOTA);
  return 0;
}

CASE(free_unmapped_ok) {
  CHECK_OK(DkVirtualMemoryFree((void*)FIXED_AT, 16 * DK_PAGE_SIZE));
  return 0;
}

CASE(free_then_fault) {
  uint8_t* p = conf_pages(1, RW);
  CHECK_OK(DkVirtualMemoryFree(p, DK_PAGE_SIZE));
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("movb $1, (%0)", "r"(p));
  conf_expect_exception(DK_EXCEPTION_MEMFAULT);
  CHECK_EQ(conf_last_exception.address, (uint64_t)p);
  CHECK(conf_last_exception.detail & DK_MEMFAULT_WRITE);
  return 0;
}

CASE(free_middle_page) {
  volatile uint8_t* p = conf_pages(3, RW);
  p[0] = 1;
  p[2 * DK_PAGE_SIZE] = 3;
  CHECK_OK(DkVirtualMemoryFree((void*)(p + DK_PAGE_SIZE), DK_PAGE_SIZE));
  CHECK_EQ(p[0], 1);
  CHECK_EQ(p[2 * DK_PAGE_SIZE], 3);
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("movb (%0), %%al", "r"(p + DK_PAGE_SIZE + 8));
  conf_expect_exception(DK_EXCEPTION_MEMFAULT);
  return 0;
}

CASE(realloc_zeroed) {
  void* p = (void*)FIXED_AT;
  CHECK_OK(DkVirtualMemoryAllocate(&p, DK_PAGE_SIZE, DK_ALLOC_COMMIT, RW));
  conf_memset(p, 0xab, DK_PAGE_SIZE);
  CHECK_OK(DkVirtualMemoryFree(p, DK_PAGE_SIZE));
  CHECK_OK(DkVirtualMemoryAllocate(&p, DK_PAGE_SIZE, DK_ALLOC_COMMIT, RW));
  CHECK(all_zero(p, DK_PAGE_SIZE));
  return 0;
}

CASE(protect_readonly) {
  volatile uint8_t* p = conf_pages(1, RW);
  p[5] = 7;
  CHECK_OK(DkVirtualMemoryProtect((void*)p, DK_PAGE_SIZE, DK_PROT_READ));
  CHECK_EQ(p[5], 7);
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("movb $1, (%0)", "r"(p + 5));
  conf_expect_exception(DK_EXCEPTION_MEMFAULT);
  CHECK(conf_last_exception.detail & DK_MEMFAULT_WRITE);
  CHECK_EQ(conf_last_exception.address, (uint64_t)(p + 5));
  CHECK_EQ(p[5], 7);
  return 0;
}

CASE(protect_none) {
  volatile uint8_t* p = conf_pages(1, RW);
  CHECK_OK(DkVirtualMemoryProtect((void*)p, DK_PAGE_SIZE, DK_PROT_NONE));
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("movb (%0), %%al", "r"(p));
  conf_expect_exception(DK_EXCEPTION_MEMFAULT);
  CHECK(conf_last_exception.detail & DK_MEMFAULT_READ);
  return 0;
}

CASE(protect_unmapped_fault) {
  volatile uint8_t* p = conf_pages(2, RW);
  CHECK_OK(DkVirtualMemoryFree((void*)(p + DK_PAGE_SIZE), DK_PAGE_SIZE));
  CHECK_ST(DkVirtualMemoryProtect((void*)p, 2 * DK_PAGE_SIZE, DK_PROT_READ), DK_E_FAULT);
  p[0] = 1; /* nothing changed: the first page is still writable */
  return 0;
}

CASE(protect_exec) {
  volatile uint8_t* p = conf_pages(1, RW);
  const uint8_t code[] = {0xb8, 0x2a, 0, 0, 0, 0xc3}; /* mov $42, %eax; ret */
  conf_memcpy((void*)p, code, sizeof code);
  CHECK_OK(DkVirtualMemoryProtect((void*)p, DK_PAGE_SIZE, DK_PROT_READ | DK_PROT_EXEC));
  int (*fn)(void) = (int (*)(void))(uintptr_t)p;
  CHECK_EQ(fn(), 42);
  return 0;
}

CASE(no_exec_faults) {
  volatile uint8_t* p = conf_pages(1, RW);
  p[0] = 0xc3; /* ret */
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("jmp *%0", "r"(p));
  conf_expect_exception(DK_EXCEPTION_MEMFAULT);
  CHECK(conf_last_exception.detail & DK_MEMFAULT_EXEC);
  CHECK_EQ(conf_last_exception.address, (uint64_t)p);
  CHECK_EQ(conf_last_exception.context.rip, (uint64_t)p);
  return 0;
}

CASE(guard_first_touch) {
  volatile uint8_t* p = conf_pages(1, RW);
  CHECK_OK(DkVirtualMemoryProtect((void*)p, DK_PAGE_SIZE, RW | DK_PROT_GUARD));
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("movb $1, (%0)", "r"(p + 16));
  conf_expect_exception(DK_EXCEPTION_MEMFAULT);
  CHECK_EQ(conf_last_exception.address, (uint64_t)(p + 16));
  p[16] = 2; /* the guard is gone: the page has its other bits */
  CHECK_EQ(p[16], 2);
  CHECK_EQ(conf_exception_count, 1);
  return 0;
}

CASE(guard_downcall_fault) {
  volatile uint8_t* p = conf_pages(1, RW);
  CHECK_OK(DkVirtualMemoryProtect((void*)p, DK_PAGE_SIZE, RW | DK_PROT_GUARD));
  CHECK_ST(DkRandomBitsRead((void*)p, 8), DK_E_FAULT);
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("movb (%0), %%al", "r"(p)); /* the guard stayed */
  conf_expect_exception(DK_EXCEPTION_MEMFAULT);
  return 0;
}

CASE(protect_rounds_pages) {
  volatile uint8_t* p = conf_pages(2, RW);
  /* A size inside one page covers that whole page. */
  CHECK_OK(DkVirtualMemoryProtect((void*)p, 10, DK_PROT_READ));
  p[DK_PAGE_SIZE] = 1; /* the second page is untouched */
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("movb $1, (%0)", "r"(p + DK_PAGE_SIZE - 1));
  conf_expect_exception(DK_EXCEPTION_MEMFAULT);
  return 0;
}

/* docs/abi.md section 4 #3: INVAL for prot bits outside READ|WRITE|EXEC|GUARD; nothing
 * changes. */
CASE(protect_inval) {
  volatile uint8_t* p = conf_pages(1, RW);
  CHECK_ST(DkVirtualMemoryProtect((void*)p, DK_PAGE_SIZE, 0x10), DK_E_INVAL);
  CHECK_ST(DkVirtualMemoryProtect((void*)p, DK_PAGE_SIZE, 0x80000000u), DK_E_INVAL);
  p[0] = 1; /* still writable */
  CHECK_EQ(p[0], 1);
  return 0;
}

/* docs/abi.md section 4 #1: INVAL for alloc flags outside RESERVE|COMMIT|REPLACE, or
 * neither RESERVE nor COMMIT, or prot bits outside the defined ones. */
CASE(alloc_inval_flags) {
  void* p = 0;
  CHECK_ST(DkVirtualMemoryAllocate(&p, DK_PAGE_SIZE, 0x8 | DK_ALLOC_COMMIT, RW), DK_E_INVAL);
  p = 0;
  CHECK_ST(DkVirtualMemoryAllocate(&p, DK_PAGE_SIZE, DK_ALLOC_REPLACE, RW), DK_E_INVAL);
  p = 0;
  CHECK_ST(DkVirtualMemoryAllocate(&p, DK_PAGE_SIZE, DK_ALLOC_COMMIT, 0x20), DK_E_INVAL);
  CHECK_EQ((uint64_t)p, 0);
  return 0;
}
