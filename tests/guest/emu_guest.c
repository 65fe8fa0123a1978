/* One guest image, many cases: args[1] names the case. Results go out through
 * DkDebugOutput as raw records the test decodes, and through the exit code. */
#include <stdint.h>

#include "dk/abi.h"
#include "dk/dkcalls.h"
#include "dk/guest_regs.h"

struct dk_entry_regs entry_regs, handler_regs;

void handler_entry(void);
void guest_handler(dk_exception_info* info);


/* Every downcall through the guest runtime's raw call (dkabi/guest/dkraw.S). */
static inline long dk6(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
  return dk_raw_call((uint64_t)nr, (uint64_t)a1, (uint64_t)a2, (uint64_t)a3, (uint64_t)a4,
                     (uint64_t)a5, (uint64_t)a6);
}
#define DK(name, ...) dk6(DK_CALL_##name, ##__VA_ARGS__)
#define dkA(nr, a, b, c, d) dk6(nr, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)

void* memcpy(void* d, const void* s, unsigned long n) {
  char* dd = d;
  const char* ss = s;
  while (n--) *dd++ = *ss++;
  return d;
}
void* memset(void* d, int c, unsigned long n) {
  char* dd = d;
  while (n--) *dd++ = (char)c;
  return d;
}
static int streq(const char* a, const char* b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

static void out(const void* p, uint64_t n) { dkA(DK_CALL_DkDebugOutput, p, n, 0, 0); }
static void out_u64(uint64_t v) { out(&v, 8); }
static void exit_with(long code) {
  dkA(DK_CALL_DkProcessExit, code, 0, 0, 0);
  for (;;) {
  }
}
static uint64_t alloc(uint64_t addr, uint64_t size, uint32_t type, uint32_t prot, long* st) {
  uint64_t a = addr;
  *st = dkA(DK_CALL_DkVirtualMemoryAllocate, &a, size, type, prot);
  return a;
}

/* What the exception handler does. */
enum { REPORT_EXIT, RESUME, RETURN, NEST, SET_RAX };
static volatile int mode = REPORT_EXIT;
static volatile int handled;

struct report {
  struct dk_entry_regs at_entry;
  dk_exception_info info;
};

void guest_handler(dk_exception_info* info) {
  static struct report r;
  handled++;
  r.at_entry = handler_regs;
  r.info = *info;
  out(&r, sizeof r);
  switch (mode) {
    case REPORT_EXIT:
      exit_with(100 + info->type);
      break;
    case RESUME:
      dkA(DK_CALL_DkExceptionReturn, &info->context, 0, 0, 0);
      exit_with(99); /* not reached */
      break;
    case SET_RAX:
      info->context.rax = 1234;
      info->context.rflags |= 0x100 | 0x3000 | 0x1; /* TF and IOPL must be dropped, CF kept */
      dkA(DK_CALL_DkExceptionReturn, &info->context, 0, 0, 0);
      break;
    case NEST:
      __asm__ volatile("ud2");
      break;
    case RETURN:
    default:
      return;
  }
}

/* ---- cases ---- */

static long c_exit42(void) { return 42; }
static long c_processexit(void) {
  exit_with(7);
  return 0;
}
static long c_entry(void) {
  out(&entry_regs, sizeof entry_regs);
  return 0;
}
static long c_read_unmapped(void) {
  __asm__ volatile("movl 0x10000000, %%eax" ::: "rax", "memory");
  return 0;
}
static long c_write_unmapped(void) {
  __asm__ volatile("movl $1, 0x10000008" ::: "memory");
  return 0;
}
/* The flags an arithmetic instruction leaves must reach the handler of the fault that
 * follows it: 0 - 1 sets CF and SF and clears ZF. */
static long c_flags_fault(void) {
  __asm__ volatile("movl $0, %%eax; cmpl $1, %%eax; movl $1, 0x10000008" ::: "rax", "memory", "cc");
  return 0;
}
static long c_exec_unmapped(void) {
  __asm__ volatile("movq $0x10000000, %%rax; call *%%rax" ::: "rax", "memory");
  return 0;
}
static long c_null_call(void) {
  __asm__ volatile("xorl %%eax, %%eax; call *%%rax" ::: "rax", "memory");
  return 0;
}
static long c_write_ro(void) {
  long st;
  uint64_t a = alloc(0, 4096, DK_ALLOC_COMMIT, DK_PROT_READ, &st);
  if (st) return 1;
  out_u64(a);
  *(volatile int*)(a + 16) = 5;
  return 0;
}
static long c_exec_nx(void) {
  long st;
  uint64_t a = alloc(0, 4096, DK_ALLOC_COMMIT, DK_PROT_READ | DK_PROT_WRITE, &st);
  if (st) return 1;
  *(volatile uint8_t*)a = 0xc3;
  out_u64(a);
  ((void (*)(void))a)();
  return 0;
}
static long c_guard(void) {
  long st;
  uint64_t a = alloc(0, 8192, DK_ALLOC_COMMIT, DK_PROT_READ | DK_PROT_WRITE, &st);
  if (st) return 1;
  st = dkA(DK_CALL_DkVirtualMemoryProtect, a + 4096, 4096,
           DK_PROT_READ | DK_PROT_WRITE | DK_PROT_GUARD, 0);
  if (st) return 2;
  /* A downcall touching the guard page fails and leaves the guard. */
  long st1 = dkA(DK_CALL_DkDebugOutput, a + 4090, 16, 0, 0);
  long st2 = dkA(DK_CALL_DkDebugOutput, a + 4096, 1, 0, 0);
  out_u64((uint64_t)st1);
  out_u64((uint64_t)st2);
  out_u64(a);
  mode = RESUME;
  *(volatile uint64_t*)(a + 4100) = 77; /* faults once, then works */
  *(volatile uint64_t*)(a + 4108) = 78; /* no second fault */
  return handled * 10 + (*(volatile uint64_t*)(a + 4100) == 77);
}
/* A store straddling into a guard page. */
static long c_guard_straddle(void) {
  long st;
  uint64_t a = alloc(0, 8192, DK_ALLOC_COMMIT, DK_PROT_READ | DK_PROT_WRITE, &st);
  if (st) return 100;
  if (dkA(DK_CALL_DkVirtualMemoryProtect, a + 4096, 4096,
          DK_PROT_READ | DK_PROT_WRITE | DK_PROT_GUARD, 0))
    return 101;
  mode = RESUME;
  *(volatile uint64_t*)(a + 4092) = 0x1122334455667788ull;
  return handled + 10 * (*(volatile uint64_t*)(a + 4092) == 0x1122334455667788ull);
}
static long c_ud2(void) {
  __asm__ volatile("ud2");
  return 0;
}
static long c_div0(void) {
  __asm__ volatile("xorl %%ecx, %%ecx; movl $1, %%eax; cltd; idivl %%ecx" ::: "rax", "rcx", "rdx");
  return 0;
}
static long c_int3(void) {
  __asm__ volatile("int3");
  return 0;
}
static long c_int3b(void) {
  __asm__ volatile(".byte 0xcd, 0x03");
  return 0;
}
static long c_int80(void) {
  __asm__ volatile("int $0x80");
  return 0;
}
static long c_int41(void) {
  __asm__ volatile("int $0x41");
  return 0;
}
static long c_int0d(void) {
  __asm__ volatile("int $0x0d");
  return 0;
}
static long c_int06(void) {
  __asm__ volatile("int $0x06");
  return 0;
}
static long c_int00(void) {
  __asm__ volatile("int $0x00");
  return 0;
}
static long c_sysenter(void) {
  __asm__ volatile("sysenter");
  return 0;
}
static long c_foreign_syscall(void) {
  __asm__ volatile("movl $60, %%eax; movq $0x1111, %%rcx; movq $0x2222, %%r11; movq $0x3333, %%rdi; syscall"
                   ::: "rax", "rcx", "r11", "rdi", "memory");
  return 0;
}
static long c_hlt(void) {
  __asm__ volatile("hlt");
  return 0;
}
static long c_cli(void) {
  __asm__ volatile("cli");
  return 0;
}
static long c_wrmsr(void) {
  __asm__ volatile("xorl %%eax, %%eax; xorl %%edx, %%edx; movl $0xc0000100, %%ecx; wrmsr" ::: "rax", "rcx", "rdx");
  return 0;
}
static long c_movcr(void) {
  __asm__ volatile("movq %%cr0, %%rax" ::: "rax");
  return 0;
}
static long c_lgdt(void) {
  static uint8_t gdtr[10];
  __asm__ volatile("lgdt %0" ::"m"(gdtr));
  return 0;
}
static long c_in(void) {
  __asm__ volatile("inb $0x60, %%al" ::: "rax");
  return 0;
}
/* out in the middle of a block: the instructions before it run exactly once. */
/* A refused store before an I/O instruction in the same block: the store's fault comes first. */
static long c_fault_before_out(void) {
  __asm__ volatile(
      "movl $0x42, %%eax\n"
      "movl %%eax, 0x10000008\n"
      "outb %%al, $0x80\n" ::: "rax", "memory");
  return 0;
}
static long c_out_mid(void) {
  __asm__ volatile(
      "xorl %%r12d, %%r12d\n"
      "incq %%r12\n"
      "incq %%r12\n"
      "movl $0x42, %%eax\n"
      "outb %%al, $0x80\n"
      "incq %%r12\n" ::: "rax", "r12");
  return 0;
}
static long c_outsb(void) {
  __asm__ volatile("xorl %%edx, %%edx; leaq entry_regs(%%rip), %%rsi; outsb" ::: "rdx", "rsi");
  return 0;
}
static long c_rdtsc(void) {
  uint32_t lo, hi, lo2, hi2;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  for (volatile int i = 0; i < 10; i++) {
  }
  __asm__ volatile("rdtsc" : "=a"(lo2), "=d"(hi2));
  out_u64(((uint64_t)hi << 32) | lo);
  out_u64(((uint64_t)hi2 << 32) | lo2);
  return 0;
}
static long c_exception_return(void) {
  long rax;
  mode = SET_RAX;
  __asm__ volatile("xorl %%eax, %%eax; int3; movq %%rax, %0" : "=r"(rax)::"rax");
  uint64_t fl;
  __asm__ volatile("pushfq; popq %0" : "=r"(fl));
  out_u64(fl);
  return rax == 1234 ? 0 : 1;
}
static long c_resume_trap(void) {
  mode = RESUME;
  __asm__ volatile("int $0x80");
  __asm__ volatile("int3");
  return 50 + handled;
}
static long c_depth(void) {
  mode = NEST;
  __asm__ volatile("ud2");
  return 0;
}
static long c_handler_returns(void) {
  mode = RETURN;
  __asm__ volatile("int3");
  return 0;
}
static long c_fs(void) {
  static uint64_t tls[2] = {0x1234567890abcdefull, 0};
  long st = dkA(DK_CALL_DkSegmentRegisterSet, DK_SEGMENT_FS, (uint64_t)tls, 0, 0);
  uint64_t v;
  __asm__ volatile("movq %%fs:0, %0" : "=r"(v));
  long st2 = dkA(DK_CALL_DkSegmentRegisterSet, 3, 0, 0, 0);
  out_u64((uint64_t)st);
  out_u64(v);
  out_u64((uint64_t)st2);
  return 0;
}
/* Address-space semantics of calls 1-3, each status reported in order. */
static long c_vm(void) {
  long st;
  const uint64_t base = 0x200000000ull;
  uint64_t a;
  a = alloc(base + 1, 4096, DK_ALLOC_COMMIT, DK_PROT_READ, &st); out_u64(st);          /* INVAL */
  a = alloc(base, 3 * 4096, DK_ALLOC_RESERVE, DK_PROT_READ, &st); out_u64(st); out_u64(a); /* 0 */
  a = alloc(base, 4096, DK_ALLOC_RESERVE, DK_PROT_READ, &st); out_u64(st);             /* EXIST */
  a = alloc(base + 4096, 4096, DK_ALLOC_COMMIT, DK_PROT_READ | DK_PROT_WRITE, &st); out_u64(st); /* 0 */
  *(volatile uint64_t*)(base + 4096) = 9;
  a = alloc(base + 4096, 4096, DK_ALLOC_COMMIT, DK_PROT_READ, &st); out_u64(st);       /* EXIST */
  a = alloc(base + 4096, 4096, DK_ALLOC_COMMIT | DK_ALLOC_REPLACE, DK_PROT_READ | DK_PROT_WRITE, &st);
  out_u64(st);                                                                          /* 0 */
  out_u64(*(volatile uint64_t*)(base + 4096));                                          /* 0: zero-filled */
  st = dkA(DK_CALL_DkVirtualMemoryProtect, base, 4096, DK_PROT_READ, 0); out_u64(st);  /* FAULT: reserved only */
  st = dkA(DK_CALL_DkVirtualMemoryProtect, base + 4096, 4096, DK_PROT_READ, 0); out_u64(st); /* 0 */
  st = dkA(DK_CALL_DkVirtualMemoryProtect, base + 4096, 8192, DK_PROT_READ, 0); out_u64(st); /* FAULT */
  st = dkA(DK_CALL_DkVirtualMemoryFree, base, 3 * 4096, 0, 0); out_u64(st);            /* 0 */
  st = dkA(DK_CALL_DkVirtualMemoryFree, base, 3 * 4096, 0, 0); out_u64(st);            /* 0 again */
  a = alloc(base, 4096, DK_ALLOC_RESERVE, DK_PROT_READ, &st); out_u64(st);             /* 0: free again */
  a = alloc(0x7ffffffff000ull, 4096, DK_ALLOC_COMMIT, DK_PROT_READ, &st); out_u64(st); /* INVAL: outside */
  a = alloc(0, 0, DK_ALLOC_COMMIT, DK_PROT_READ, &st); out_u64(st);                    /* INVAL */
  a = alloc(0, 4096, 0, DK_PROT_READ, &st); out_u64(st);                               /* INVAL */
  uint64_t p1 = alloc(0, 4096, DK_ALLOC_COMMIT, DK_PROT_READ | DK_PROT_WRITE, &st);
  uint64_t p2 = alloc(0, 4096, DK_ALLOC_COMMIT, DK_PROT_READ | DK_PROT_WRITE, &st);
  out_u64(p1);
  out_u64(p2);
  /* A bad out-pointer: the host does nothing. */
  st = dkA(DK_CALL_DkVirtualMemoryAllocate, 0x10000000, 4096, DK_ALLOC_COMMIT, DK_PROT_READ);
  out_u64(st);                                                                          /* FAULT */
  return 0;
}

/* A million argument-less downcalls, for timing the downcall path. */
static long c_null_calls(void) {
  for (long i = 0; i < 1000000; i++) dkA(DK_CALL_DkThreadYieldExecution, 0, 0, 0, 0);
  return 0;
}

struct guest_case {
  const char* name;
  long (*fn)(void);
};
static const struct guest_case cases[] = {
    {"exit42", c_exit42},
    {"processexit", c_processexit},
    {"entry", c_entry},
    {"read_unmapped", c_read_unmapped},
    {"write_unmapped", c_write_unmapped},
    {"flags_fault", c_flags_fault},
    {"exec_unmapped", c_exec_unmapped},
    {"null_call", c_null_call},
    {"write_ro", c_write_ro},
    {"exec_nx", c_exec_nx},
    {"guard", c_guard},
    {"guard_straddle", c_guard_straddle},
    {"ud2", c_ud2},
    {"div0", c_div0},
    {"int3", c_int3},
    {"int3b", c_int3b},
    {"int80", c_int80},
    {"int41", c_int41},
    {"int0d", c_int0d},
    {"int00", c_int00},
    {"int06", c_int06},
    {"sysenter", c_sysenter},
    {"foreign_syscall", c_foreign_syscall},
    {"hlt", c_hlt},
    {"cli", c_cli},
    {"wrmsr", c_wrmsr},
    {"movcr", c_movcr},
    {"lgdt", c_lgdt},
    {"in", c_in},
    {"out_mid", c_out_mid},
    {"fault_before_out", c_fault_before_out},
    {"outsb", c_outsb},
    {"rdtsc", c_rdtsc},
    {"exception_return", c_exception_return},
    {"resume_trap", c_resume_trap},
    {"depth", c_depth},
    {"handler_returns", c_handler_returns},
    {"fs", c_fs},
    {"vm", c_vm},
    {"null_calls", c_null_calls},
};

long guest_main(const dk_boot_info* boot) {
  const char* args = (const char*)boot->args;
  const char* end = args + boot->args_len;
  const char* name = args;
  while (name < end && *name) name++;
  name++; /* args[1] */
  if (name >= end) return 255;
  for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (streq(cases[i].name, name)) return cases[i].fn();
  return 254;
}
