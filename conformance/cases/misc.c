/* Time, random bits, code coherence, segment bases, system info, debug output and the
 * downcall convention itself (ABI.md sections 1, 2 and 3 #39-#45). */
#include "case.h"

#define EPOCH_2012_NS (1341964800ull * 1000000000ull)

/* ---- #39 DkSystemTimeQuery ---- */
CASE(time_after_2012) {
  uint64_t ns = 0;
  CHECK_OK(DkSystemTimeQuery(&ns));
  CHECK(ns >= EPOCH_2012_NS);
  return 0;
}

CASE(time_never_goes_back) {
  uint64_t a = 0, b = 0;
  CHECK_OK(DkSystemTimeQuery(&a));
  for (volatile int i = 0; i < 1000; ++i) {
  }
  CHECK_OK(DkSystemTimeQuery(&b));
  CHECK(b >= a);
  return 0;
}

CASE(time_sim_epoch) {
  /* The simulated host's clock starts at 2012-07-11T00:00:00Z and runs with the guest. */
  uint64_t ns = 0;
  CHECK_OK(DkSystemTimeQuery(&ns));
  CHECK(ns >= EPOCH_2012_NS);
  CHECK(ns < EPOCH_2012_NS + 1000000000ull);
  return 0;
}

CASE(time_fault) {
  CHECK_ST(DkSystemTimeQuery((uint64_t*)0), DK_E_FAULT);
  CHECK_ST(DkSystemTimeQuery((uint64_t*)CONF_KERNEL_ADDR), DK_E_FAULT);
  uint64_t* ro = conf_pages(1, DK_PROT_READ);
  CHECK_ST(DkSystemTimeQuery(ro), DK_E_FAULT);
  CHECK_EQ(*ro, 0);
  return 0;
}

/* ---- #40 DkRandomBitsRead ---- */
CASE(random_fills) {
  uint8_t a[64], b[64];
  conf_memset(a, 0, sizeof a);
  conf_memset(b, 0, sizeof b);
  CHECK_OK(DkRandomBitsRead(a, sizeof a));
  CHECK_OK(DkRandomBitsRead(b, sizeof b));
  int nonzero = 0;
  for (unsigned i = 0; i < sizeof a; ++i) nonzero |= a[i];
  CHECK(nonzero);
  CHECK(conf_memcmp(a, b, sizeof a) != 0);
  return 0;
}

CASE(random_max_size) {
  uint8_t* p = conf_pages(DK_RANDOM_MAX / DK_PAGE_SIZE, DK_PROT_READ | DK_PROT_WRITE);
  CHECK_OK(DkRandomBitsRead(p, DK_RANDOM_MAX));
  return 0;
}

CASE(random_over_max) {
  uint8_t* p = conf_pages(DK_RANDOM_MAX / DK_PAGE_SIZE + 1, DK_PROT_READ | DK_PROT_WRITE);
  CHECK_ST(DkRandomBitsRead(p, DK_RANDOM_MAX + 1), DK_E_INVAL);
  for (unsigned i = 0; i < 64; ++i) CHECK_EQ(p[i], 0); /* nothing written */
  return 0;
}

CASE(random_inval_before_fault) {
  CHECK_ST(DkRandomBitsRead((void*)0, DK_RANDOM_MAX + 1), DK_E_INVAL);
  CHECK_ST(DkRandomBitsRead((void*)CONF_KERNEL_ADDR, ~0ull), DK_E_INVAL);
  return 0;
}

CASE(random_zero_size) {
  uint8_t b = 0x5a;
  CHECK_OK(DkRandomBitsRead(&b, 0));
  CHECK_EQ(b, 0x5a);
  CHECK_ST(DkRandomBitsRead((void*)0, 0), DK_E_FAULT); /* NULL is refused even empty */
  return 0;
}

CASE(random_fault_nothing_written) {
  uint8_t* edge = conf_edge(16);
  conf_memset(edge, 0, 16);
  CHECK_ST(DkRandomBitsRead(edge, 32), DK_E_FAULT); /* straddles into the hole */
  for (int i = 0; i < 16; ++i) CHECK_EQ(edge[i], 0);
  return 0;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

CASE(random_sim_seeded) {
  /* docs/abi.md: xoshiro256** seeded through splitmix64 from the run's seed (0 here). */
  uint64_t s[4], seed = 0;
  for (int i = 0; i < 4; ++i) {
    seed += 0x9e3779b97f4a7c15ull;
    uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    s[i] = z ^ (z >> 31);
  }
  const uint64_t want = rotl(s[1] * 5, 7) * 9;
  uint64_t got = 0;
  CHECK_OK(DkRandomBitsRead(&got, 8));
  CHECK_EQ(got, want);
  return 0;
}

/* ---- #41 DkInstructionCacheFlush and code coherence ---- */
CASE(icache_flush_ok) {
  uint8_t* p = conf_pages(1, DK_PROT_READ | DK_PROT_WRITE | DK_PROT_EXEC);
  CHECK_OK(DkInstructionCacheFlush(p, DK_PAGE_SIZE));
  return 0;
}

CASE(code_coherent) {
  volatile uint8_t* p = conf_pages(1, DK_PROT_READ | DK_PROT_WRITE | DK_PROT_EXEC);
  const uint8_t code[] = {0xb8, 0x2a, 0, 0, 0, 0xc3}; /* mov $42, %eax; ret */
  conf_memcpy((void*)p, code, sizeof code);
  int (*fn)(void) = (int (*)(void))(uintptr_t)p;
  CHECK_EQ(fn(), 42);
  p[1] = 43; /* no flush: stores into code take effect at once */
  CHECK_EQ(fn(), 43);
  return 0;
}

CASE(code_coherent_after_flush) {
  volatile uint8_t* p = conf_pages(1, DK_PROT_READ | DK_PROT_WRITE | DK_PROT_EXEC);
  const uint8_t code[] = {0xb8, 0x07, 0, 0, 0, 0xc3};
  conf_memcpy((void*)p, code, sizeof code);
  int (*fn)(void) = (int (*)(void))(uintptr_t)p;
  CHECK_EQ(fn(), 7);
  p[1] = 8;
  CHECK_OK(DkInstructionCacheFlush((const void*)p, 6));
  CHECK_EQ(fn(), 8);
  return 0;
}

/* ---- #42 DkSegmentRegisterSet ---- */
static volatile uint64_t tls_block[4] = {0x1111, 0x2222, 0x3333, 0x4444};

CASE(segment_fs) {
  CHECK_OK(DkSegmentRegisterSet(DK_SEGMENT_FS, (uint64_t)tls_block));
  uint64_t v;
  __asm__ volatile("movq %%fs:8, %0" : "=r"(v));
  CHECK_EQ(v, 0x2222);
  return 0;
}

CASE(segment_gs) {
  CHECK_OK(DkSegmentRegisterSet(DK_SEGMENT_GS, (uint64_t)tls_block));
  uint64_t v;
  __asm__ volatile("movq %%gs:24, %0" : "=r"(v));
  CHECK_EQ(v, 0x4444);
  return 0;
}

CASE(segment_inval) {
  CHECK_ST(DkSegmentRegisterSet(0, (uint64_t)tls_block), DK_E_INVAL);
  CHECK_ST(DkSegmentRegisterSet(3, (uint64_t)tls_block), DK_E_INVAL);
  return 0;
}

/* ---- #44 DkSystemInfoQuery ---- */
CASE(sysinfo_fields) {
  dk_system_info i;
  conf_memset(&i, 0xee, sizeof i);
  CHECK_OK(DkSystemInfoQuery(&i, sizeof i));
  CHECK_EQ(i.abi_major, 1);
  CHECK_EQ(i.abi_minor, 0);
  CHECK_EQ(i.page_size, 4096);
  CHECK(i.alloc_granularity >= 4096 && i.alloc_granularity % 4096 == 0);
  CHECK_EQ(i.user_low, DK_USER_LOW);
  CHECK_EQ(i.user_high, DK_USER_HIGH);
  CHECK(i.cpu_count >= 1);
  CHECK_EQ(i.reserved, 0);
  int terminated = 0;
  for (int k = 0; k < 32; ++k)
    if (i.host_name[k] == 0) terminated = 1;
  CHECK(terminated);
  CHECK(i.host_name[0] != 0);
  return 0;
}

CASE(sysinfo_sim_name) {
  dk_system_info i;
  CHECK_OK(DkSystemInfoQuery(&i, sizeof i));
  CHECK(conf_streq(i.host_name, "sim"));
  CHECK_EQ(i.cpu_count, 1);
  return 0;
}

CASE(sysinfo_partial) {
  uint8_t buf[96];
  conf_memset(buf, 0xee, sizeof buf);
  CHECK_OK(DkSystemInfoQuery((dk_system_info*)buf, 8));
  CHECK_EQ(((uint32_t*)buf)[0], 1);
  for (int k = 8; k < 96; ++k) CHECK_EQ(buf[k], 0xee); /* at most size bytes */
  return 0;
}

CASE(sysinfo_large_size) {
  uint8_t* p = conf_pages(1, DK_PROT_READ | DK_PROT_WRITE);
  conf_memset(p, 0xee, 256);
  CHECK_OK(DkSystemInfoQuery((dk_system_info*)p, 4096));
  CHECK_EQ(p[80], 0xee); /* only the 80 bytes of the structure */
  return 0;
}

CASE(sysinfo_edge_size) {
  /* room = min(size, 80): 16 bytes before a hole is enough for size 16. */
  dk_system_info* edge = conf_edge(16);
  CHECK_OK(DkSystemInfoQuery(edge, 16));
  CHECK_ST(DkSystemInfoQuery(edge, 17), DK_E_FAULT);
  return 0;
}

CASE(sysinfo_fault) {
  CHECK_ST(DkSystemInfoQuery((dk_system_info*)0, 0), DK_E_FAULT);
  CHECK_ST(DkSystemInfoQuery((dk_system_info*)0, 80), DK_E_FAULT);
  CHECK_ST(DkSystemInfoQuery((dk_system_info*)CONF_KERNEL_ADDR, 80), DK_E_FAULT);
  dk_system_info* ro = conf_pages(1, DK_PROT_READ);
  CHECK_ST(DkSystemInfoQuery(ro, 80), DK_E_FAULT);
  return 0;
}

/* ---- #45 DkDebugOutput ---- */
CASE(debug_output_ok) {
  const char msg[] = "conformance debug line\n";
  CHECK_OK(DkDebugOutput(msg, sizeof msg - 1));
  CHECK_OK(DkDebugOutput(msg, 0));
  return 0;
}

CASE(debug_output_fault) {
  CHECK_ST(DkDebugOutput((const char*)0, 0), DK_E_FAULT);
  CHECK_ST(DkDebugOutput((const char*)0, 5), DK_E_FAULT);
  CHECK_ST(DkDebugOutput((const char*)CONF_KERNEL_ADDR, 5), DK_E_FAULT);
  const char* edge = conf_edge(4);
  CHECK_OK(DkDebugOutput(edge, 4));
  CHECK_ST(DkDebugOutput(edge, 5), DK_E_FAULT);
  CHECK_ST(DkDebugOutput("x", ~0ull), DK_E_FAULT); /* length overflow */
  return 0;
}

/* ---- The downcall convention (section 2) ---- */
volatile uint64_t conf_misc_regs_out[16];

CASE(registers_preserved) {
  uint64_t ns = 0;
  volatile uint64_t* o = conf_misc_regs_out;
  __asm__ volatile(
      "movq $0x1111, %%rbx\n\tmovq $0x3333, %%rdx\n\tmovq $0x4444, %%rsi\n\t"
      "movq $0x5555, %%r8\n\tmovq $0x6666, %%r9\n\tmovq $0x7777, %%r10\n\t"
      "movq $0xaaaa, %%r12\n\tmovq $0xbbbb, %%r13\n\tmovq $0xcccc, %%r14\n\t"
      "movq $0xdddd, %%r15\n\tmovl $0xD027, %%eax\n\t"
      "syscall\n"
      "3:\n\t"
      "movq %%rbx, conf_misc_regs_out+0(%%rip)\n\tmovq %%rdx, conf_misc_regs_out+8(%%rip)\n\t"
      "movq %%rsi, conf_misc_regs_out+16(%%rip)\n\tmovq %%r8, conf_misc_regs_out+24(%%rip)\n\t"
      "movq %%r9, conf_misc_regs_out+32(%%rip)\n\tmovq %%r10, conf_misc_regs_out+40(%%rip)\n\t"
      "movq %%r12, conf_misc_regs_out+48(%%rip)\n\tmovq %%r13, conf_misc_regs_out+56(%%rip)\n\t"
      "movq %%r14, conf_misc_regs_out+64(%%rip)\n\tmovq %%r15, conf_misc_regs_out+72(%%rip)\n\t"
      "movq %%rcx, conf_misc_regs_out+80(%%rip)\n\tmovq %%rdi, conf_misc_regs_out+88(%%rip)\n\t"
      "movq %%rax, conf_misc_regs_out+96(%%rip)\n\tmovq %%r11, conf_misc_regs_out+112(%%rip)\n\t"
      "leaq 3b(%%rip), %%rcx\n\tmovq %%rcx, conf_misc_regs_out+104(%%rip)\n\t"
      :
      : "D"(&ns)
      : "rax", "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
        "memory");
  CHECK_EQ(o[12], 0);      /* status */
  CHECK(ns >= EPOCH_2012_NS); /* the call worked */
  CHECK_EQ(o[0], 0x1111);
  CHECK_EQ(o[1], 0x3333);
  CHECK_EQ(o[2], 0x4444);
  CHECK_EQ(o[3], 0x5555);
  CHECK_EQ(o[4], 0x6666);
  CHECK_EQ(o[5], 0x7777);
  CHECK_EQ(o[6], 0xaaaa);
  CHECK_EQ(o[7], 0xbbbb);
  CHECK_EQ(o[8], 0xcccc);
  CHECK_EQ(o[9], 0xdddd);
  CHECK_EQ(o[11], (uint64_t)&ns); /* rdi preserved */
  CHECK_EQ(o[10], o[13]);         /* rcx = the return address */
  CHECK(o[14] & 0x2);             /* r11 = rflags (bit 1 is always set) */
  return 0;
}

CASE(rdtsc_works) {
  uint32_t lo1, hi1, lo2, hi2;
  __asm__ volatile("rdtsc" : "=a"(lo1), "=d"(hi1));
  for (volatile int i = 0; i < 100; ++i) {
  }
  __asm__ volatile("rdtsc" : "=a"(lo2), "=d"(hi2));
  uint64_t a = ((uint64_t)hi1 << 32) | lo1, b = ((uint64_t)hi2 << 32) | lo2;
  CHECK(b >= a);
  return 0;
}

CASE(cpuid_no_avx) {
  uint32_t a = 1, b, c, d;
  __asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
  CHECK_EQ((c >> 28) & 1, 0); /* AVX */
  CHECK_EQ((c >> 30) & 1, 0); /* RDRAND */
  return 0;
}
