/* The conformance case runtime: Dk call prototypes, the case table, checks and output.
 * Cases include this and dk/abi.h only; nothing of the library OS. A case is a function
 * registered with CASE(name) and chosen by the image's first argument; it returns the exit
 * code (0 = pass) or fails through CHECK, which prints one line and exits 1. */
#ifndef CONF_CASE_H
#define CONF_CASE_H

#include <dk/abi.h>
#include <stddef.h>
#include <stdint.h>

/* ---- The 45 downcalls and dk_raw_call (the guest runtime, dkabi/guest) ---- */
#include <dk/dkcalls.h>
#include <dk/guest_regs.h>

/* ---- Cases ---- */
struct conf_case {
  const char* name;
  int (*fn)(void);
};
#define CASE(id)                                                                           \
  static int case_##id(void);                                                              \
  __attribute__((used, section("conf_cases"), aligned(16))) static const struct conf_case \
      case_entry_##id = {#id, case_##id};                                                  \
  static int case_##id(void)

/* Registers as each upcall found them (entry.S writes these with DK_SAVE_REGS). */
extern struct dk_entry_regs conf_init_regs, conf_thread_regs, conf_exception_regs;

extern const dk_boot_info* conf_boot;
extern int conf_argc;
extern const char* conf_argv[16];

/* ---- Output and checks ---- */
void conf_write(const char* s, uint64_t n);
void conf_puts(const char* s);          /* the string and a newline */
void conf_print(const char* s);         /* the string as is */
void conf_print_hex(uint64_t v);
void conf_print_dec(int64_t v);
__attribute__((noreturn)) void conf_fail(const char* file, int line, const char* expr,
                                         int64_t got, int64_t want);
__attribute__((noreturn)) void conf_exit(int64_t code);
/* Optional behaviour absent on this host: prints "NOT APPLICABLE: why" and exits 77. */
__attribute__((noreturn)) void conf_not_applicable(const char* why);
#define CONF_EXIT_NOT_APPLICABLE 77

#define CHECK_EQ(expr, want)                                                           \
  do {                                                                                 \
    int64_t conf_got_ = (int64_t)(expr), conf_want_ = (int64_t)(want);                 \
    if (conf_got_ != conf_want_) conf_fail(__FILE__, __LINE__, #expr, conf_got_, conf_want_); \
  } while (0)
#define CHECK(expr) CHECK_EQ(!!(expr), 1)
#define CHECK_OK(expr) CHECK_EQ(expr, 0)
#define CHECK_ST(expr, code) CHECK_EQ(expr, -(int64_t)(code))

/* ---- Small helpers ---- */
int conf_streq(const char* a, const char* b);
uint64_t conf_strlen(const char* s);
void conf_memset(void* p, int c, uint64_t n);
void conf_memcpy(void* d, const void* s, uint64_t n);
int conf_memcmp(const void* a, const void* b, uint64_t n);

/* Pages allocated with DkVirtualMemoryAllocate (host-picked), CHECKed. */
void* conf_pages(uint64_t npages, uint32_t prot);
/* Committed RW pages followed by an unmapped page: a pointer `n` bytes before the hole. */
void* conf_edge(uint64_t n);
/* A fresh semaphore / event, CHECKed. */
dk_handle_t conf_semaphore(uint32_t initial, uint32_t max);
dk_handle_t conf_event(int sync, uint32_t signaled);

/* Addresses no downcall accepts (ABI.md section 2). */
#define CONF_KERNEL_ADDR 0xffff800000001000ull
#define CONF_NONCANONICAL_ADDR 0x0000900000000000ull
#define CONF_BAD_HANDLE 0x7fff123400ull

/* Exceptions: a handler gets the info on the exception stack and may resume with
 * DkExceptionReturn; returning leaves the exception unhandled. */
typedef void (*conf_exception_handler)(dk_exception_info* info);
extern conf_exception_handler conf_on_exception;
/* Set before the fault: the handler below records the info, resumes at conf_resume_rip. */
extern volatile uint64_t conf_resume_rip;
extern volatile dk_exception_info conf_last_exception;
extern volatile uint32_t conf_exception_count;
void conf_record_and_resume(dk_exception_info* info);   /* resume at conf_resume_rip */
void conf_record_and_continue(dk_exception_info* info); /* resume at context.rip as given */

/* Runs `insn` (asm text, operands after it) expecting an exception whose handler resumes
 * with conf_record_and_resume: execution goes on after the instruction. conf_fault_rip is
 * the instruction's address. */
extern volatile uint64_t conf_fault_rip;
#define CONF_TRY(insn, ...)                                                            \
  __asm__ volatile("leaq 1f(%%rip), %%r11\n\tmovq %%r11, conf_resume_rip(%%rip)\n\t"   \
                   "leaq 2f(%%rip), %%r11\n\tmovq %%r11, conf_fault_rip(%%rip)\n"      \
                   "2:\t" insn "\n1:\n"                                                \
                   :                                                                  \
                   : __VA_ARGS__                                                      \
                   : "r11", "memory")
/* Expect a fault from CONF_TRY: type, detail, count and address are checked by callers. */
void conf_expect_exception(uint32_t type);

/* Threads: entered with conf_thread_fn(arg). */
extern void (*volatile conf_thread_fn)(uint64_t arg);
/* Set by a case to leave LibOsInitialize by returning with this code (rax). */
extern volatile int conf_return_from_init;

#endif /* CONF_CASE_H */
