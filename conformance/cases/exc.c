/* Exceptions, their context, the exception upcall's state, DkExceptionReturn and foreign
 * traps (ABI.md sections 5 and 6). */
#include "case.h"

#define LE (conf_last_exception)

static void expect_at_insn(uint32_t type) {
  conf_expect_exception(type);
  CHECK_EQ(LE.context.rip, conf_fault_rip);
  CHECK_EQ(LE.address, conf_fault_rip);
}

/* ---- Faults: rip at the instruction ---- */
CASE(illegal_ud2) {
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("ud2", "i"(0));
  expect_at_insn(DK_EXCEPTION_ILLEGAL);
  return 0;
}

CASE(illegal_hlt) {
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("hlt", "i"(0));
  expect_at_insn(DK_EXCEPTION_ILLEGAL);
  return 0;
}

CASE(illegal_cli) {
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("cli", "i"(0));
  expect_at_insn(DK_EXCEPTION_ILLEGAL);
  return 0;
}

CASE(illegal_in) {
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("inb $0x60, %%al", "i"(0));
  expect_at_insn(DK_EXCEPTION_ILLEGAL);
  return 0;
}

CASE(illegal_out) {
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("outb %%al, $0x80", "i"(0));
  expect_at_insn(DK_EXCEPTION_ILLEGAL);
  return 0;
}

CASE(illegal_wrmsr) {
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("wrmsr", "i"(0));
  expect_at_insn(DK_EXCEPTION_ILLEGAL);
  return 0;
}

CASE(illegal_mov_cr) {
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("movq %%cr0, %%rax", "i"(0));
  expect_at_insn(DK_EXCEPTION_ILLEGAL);
  return 0;
}

CASE(illegal_lgdt) {
  static uint8_t gdtr[10];
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("lgdt (%0)", "r"(gdtr));
  expect_at_insn(DK_EXCEPTION_ILLEGAL);
  return 0;
}

CASE(arithmetic_div_zero) {
  conf_on_exception = conf_record_and_resume;
  __asm__ volatile(
      "leaq 1f(%%rip), %%r11\n\tmovq %%r11, conf_resume_rip(%%rip)\n\t"
      "leaq 2f(%%rip), %%r11\n\tmovq %%r11, conf_fault_rip(%%rip)\n\t"
      "xorl %%edx, %%edx\n\tmovl $1, %%eax\n2:\tdivl %0\n1:\n"
      :
      : "r"(0)
      : "rax", "rdx", "r11", "memory");
  expect_at_insn(DK_EXCEPTION_ARITHMETIC);
  return 0;
}

CASE(memfault_read_context) {
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("movq (%0), %%rax", "r"(CONF_KERNEL_ADDR - 0x1000 + 0x8000)); /* unmapped */
  conf_expect_exception(DK_EXCEPTION_MEMFAULT);
  CHECK_EQ(LE.detail & DK_MEMFAULT_READ, DK_MEMFAULT_READ);
  CHECK_EQ(LE.context.rip, conf_fault_rip);
  return 0;
}

CASE(memfault_write_address) {
  uint8_t* p = conf_pages(1, DK_PROT_READ);
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("movl $1, (%0)", "r"(p + 0x123));
  conf_expect_exception(DK_EXCEPTION_MEMFAULT);
  CHECK_EQ(LE.detail & DK_MEMFAULT_WRITE, DK_MEMFAULT_WRITE);
  CHECK_EQ(LE.address, (uint64_t)(p + 0x123));
  CHECK_EQ(LE.context.rip, conf_fault_rip);
  return 0;
}

CASE(null_call_exec) {
  /* A call through NULL: MEMFAULT EXEC at 0, not an upcall return. */
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("jmp *%0", "r"(0ull));
  conf_expect_exception(DK_EXCEPTION_MEMFAULT);
  CHECK(LE.detail & DK_MEMFAULT_EXEC);
  CHECK_EQ(LE.address, 0);
  CHECK_EQ(LE.context.rip, 0);
  return 0;
}

CASE(noncanonical_jump) {
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("jmp *%0", "r"(CONF_NONCANONICAL_ADDR));
  CHECK_EQ(conf_exception_count, 1);
  CHECK(LE.type == DK_EXCEPTION_MEMFAULT || LE.type == DK_EXCEPTION_ILLEGAL);
  return 0;
}

/* ---- Traps: rip after the instruction, address at it ---- */
static void expect_trap(uint32_t type, uint32_t len) {
  conf_expect_exception(type);
  CHECK_EQ(LE.address, conf_fault_rip);
  CHECK_EQ(LE.context.rip, conf_fault_rip + len);
}

CASE(breakpoint_int3) {
  conf_on_exception = conf_record_and_continue;
  CONF_TRY("int3", "i"(0));
  expect_trap(DK_EXCEPTION_BREAKPOINT, 1);
  return 0;
}

CASE(breakpoint_int_3) {
  conf_on_exception = conf_record_and_continue;
  CONF_TRY(".byte 0xcd, 0x03", "i"(0));
  expect_trap(DK_EXCEPTION_BREAKPOINT, 2);
  return 0;
}

CASE(trap_int80) {
  conf_on_exception = conf_record_and_continue;
  CONF_TRY("int $0x80", "i"(0));
  expect_trap(DK_EXCEPTION_FOREIGN_TRAP, 2);
  CHECK_EQ(LE.detail, 0x8003);
  return 0;
}

CASE(trap_int_n) {
  conf_on_exception = conf_record_and_continue;
  CONF_TRY("int $0x21", "i"(0));
  expect_trap(DK_EXCEPTION_FOREIGN_TRAP, 2);
  CHECK_EQ(LE.detail, (0x21u << 8) | DK_TRAP_INT);
  return 0;
}

CASE(trap_sysenter) {
  conf_on_exception = conf_record_and_continue;
  CONF_TRY("sysenter", "i"(0));
  expect_trap(DK_EXCEPTION_FOREIGN_TRAP, 2);
  CHECK_EQ(LE.detail, DK_TRAP_SYSENTER);
  return 0;
}

static void foreign_syscall(uint64_t number) {
  conf_on_exception = conf_record_and_continue;
  __asm__ volatile(
      "leaq 2f(%%rip), %%r11\n\tmovq %%r11, conf_fault_rip(%%rip)\n"
      "2:\tsyscall\n"
      : "+a"(number)
      :
      : "rcx", "r11", "memory");
  expect_trap(DK_EXCEPTION_FOREIGN_TRAP, 2);
  CHECK_EQ(LE.detail, DK_TRAP_SYSCALL);
}

CASE(trap_syscall_linux) {
  foreign_syscall(60);
  CHECK_EQ(LE.context.rax, 60);
  CHECK_EQ(LE.context.rcx, conf_fault_rip + 2); /* what syscall put there */
  CHECK(LE.context.r11 & 0x2);                 /* rflags */
  return 0;
}

CASE(trap_syscall_below_range) {
  foreign_syscall(0xD000);
  CHECK_EQ(LE.context.rax, 0xD000);
  return 0;
}

CASE(trap_syscall_above_range) {
  foreign_syscall(0xD02E);
  CHECK_EQ(LE.context.rax, 0xD02E);
  return 0;
}

CASE(trap_syscall_high_bits) {
  /* All 64 bits of rax are compared. */
  foreign_syscall(0x100000000ull + 0xD027);
  CHECK_EQ(LE.context.rax, 0x100000000ull + 0xD027);
  return 0;
}

/* ---- Context contents and the upcall's state ---- */
CASE(context_registers) {
  conf_on_exception = conf_record_and_resume;
  __asm__ volatile(
      "leaq 1f(%%rip), %%rax\n\tmovq %%rax, conf_resume_rip(%%rip)\n\t"
      "movq $0x0101, %%rbx\n\tmovq $0x0202, %%rdx\n\tmovq $0x0303, %%rsi\n\t"
      "movq $0x0404, %%r8\n\tmovq $0x0505, %%r9\n\tmovq $0x0606, %%r10\n\t"
      "movq $0x0707, %%r12\n\tmovq $0x0808, %%r13\n\tmovq $0x0909, %%r14\n\t"
      "movq $0x0a0a, %%r15\n\tmovq $0x0b0b, %%rax\n\tmovq $0x0c0c, %%rcx\n\t"
      "ud2\n1:\n"
      :
      :
      : "rax", "rbx", "rcx", "rdx", "rsi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
        "memory");
  conf_expect_exception(DK_EXCEPTION_ILLEGAL);
  const volatile dk_context* c = &LE.context;
  CHECK_EQ(c->rax, 0x0b0b);
  CHECK_EQ(c->rbx, 0x0101);
  CHECK_EQ(c->rcx, 0x0c0c);
  CHECK_EQ(c->rdx, 0x0202);
  CHECK_EQ(c->rsi, 0x0303);
  CHECK_EQ(c->r8, 0x0404);
  CHECK_EQ(c->r9, 0x0505);
  CHECK_EQ(c->r10, 0x0606);
  CHECK_EQ(c->r12, 0x0707);
  CHECK_EQ(c->r13, 0x0808);
  CHECK_EQ(c->r14, 0x0909);
  CHECK_EQ(c->r15, 0x0a0a);
  return 0;
}

static volatile uint64_t seen_rsp;

CASE(context_rsp_and_fs) {
  static uint64_t tls[2];
  CHECK_OK(DkSegmentRegisterSet(DK_SEGMENT_FS, (uint64_t)tls));
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("movq %%rsp, seen_rsp(%%rip)\n\tud2", "i"(0));
  conf_expect_exception(DK_EXCEPTION_ILLEGAL);
  CHECK_EQ(LE.context.rsp, seen_rsp);
  CHECK_EQ(LE.context.fs_base, (uint64_t)tls);
  return 0;
}

CASE(handler_entry_state) {
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("movq %%rsp, seen_rsp(%%rip)\n\tud2", "i"(0));
  conf_expect_exception(DK_EXCEPTION_ILLEGAL);
  const struct dk_entry_regs* r = &conf_exception_regs;
  CHECK_EQ(r->rsp, r->rdi - 8);
  CHECK_EQ(r->rsp % 16, 8);
  CHECK_EQ(r->ret, 0);
  CHECK_EQ(r->rdi % 16, 0);
  /* Below a 128-byte red zone: rdi = (rsp - 128 - 688) & ~15. */
  CHECK_EQ(r->rdi, (seen_rsp - DK_RED_ZONE - sizeof(dk_exception_info)) & ~15ull);
  return 0;
}

CASE(handler_zero_registers) {
  conf_on_exception = conf_record_and_resume;
  __asm__ volatile(
      "leaq 1f(%%rip), %%rax\n\tmovq %%rax, conf_resume_rip(%%rip)\n\t"
      "movq $-1, %%rbx\n\tmovq $-1, %%rdx\n\tmovq $-1, %%rsi\n\tmovq $-1, %%r8\n\t"
      "movq $-1, %%r12\n\tmovq $-1, %%r15\n\tmovq $-1, %%rcx\n\tud2\n1:\n"
      :
      :
      : "rax", "rbx", "rcx", "rdx", "rsi", "r8", "r11", "r12", "r15", "memory");
  const struct dk_entry_regs* r = &conf_exception_regs;
  CHECK_EQ(r->rax, 0);
  CHECK_EQ(r->rbx, 0);
  CHECK_EQ(r->rcx, 0);
  CHECK_EQ(r->rdx, 0);
  CHECK_EQ(r->rsi, 0);
  CHECK_EQ(r->rbp, 0);
  CHECK_EQ(r->r8, 0);
  CHECK_EQ(r->r12, 0);
  CHECK_EQ(r->r15, 0);
  return 0;
}

CASE(handler_fpu_state) {
  conf_on_exception = conf_record_and_resume;
  uint32_t mx = 0x9fc0; /* all exceptions masked, flush-to-zero, round down */
  uint16_t cw = 0x027f;
  __asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(mx), "m"(cw));
  CONF_TRY("ud2", "i"(0));
  CHECK_EQ(conf_exception_regs.fcw & 0xffff, 0x037f);
  CHECK_EQ(conf_exception_regs.mxcsr & 0xffffffff, 0x1f80);
  /* ... and the context has the thread's own state, restored on return. */
  CHECK_EQ(*(volatile uint16_t*)&LE.context.fxsave[0], 0x027f);
  CHECK_EQ(*(volatile uint32_t*)&LE.context.fxsave[24], 0x9fc0);
  uint32_t now;
  __asm__ volatile("stmxcsr %0" : "=m"(now));
  CHECK_EQ(now, 0x9fc0);
  return 0;
}

/* ---- DkExceptionReturn ---- */
static void set_rax_and_resume(dk_exception_info* info) {
  info->context.rax = 0x5151;
  info->context.rbx = 0x5252;
  info->context.rip = conf_resume_rip;
  DkExceptionReturn(&info->context);
}

CASE(return_sets_registers) {
  conf_on_exception = set_rax_and_resume;
  uint64_t a, b;
  __asm__ volatile(
      "leaq 1f(%%rip), %%rax\n\tmovq %%rax, conf_resume_rip(%%rip)\n\tud2\n1:\n"
      : "=a"(a), "=b"(b)
      :
      : "rcx", "r11", "memory");
  CHECK_EQ(a, 0x5151);
  CHECK_EQ(b, 0x5252);
  return 0;
}

static void set_flags_and_resume(dk_exception_info* info) {
  /* CF, ZF, DF and TF set: the first three are taken, TF never. */
  info->context.rflags |= 0x1 | 0x40 | 0x400 | 0x100;
  info->context.rip = conf_resume_rip;
  DkExceptionReturn(&info->context);
}

CASE(return_rflags) {
  conf_on_exception = set_flags_and_resume;
  uint64_t flags;
  __asm__ volatile(
      "leaq 1f(%%rip), %%rax\n\tmovq %%rax, conf_resume_rip(%%rip)\n\tud2\n1:\n\t"
      "pushfq\n\tpopq %0\n\tcld\n"
      : "=r"(flags)
      :
      : "rax", "memory");
  CHECK_EQ(flags & 0x1, 0x1);
  CHECK_EQ(flags & 0x40, 0x40);
  CHECK_EQ(flags & 0x400, 0x400);
  CHECK_EQ(flags & 0x100, 0); /* TF clear */
  CHECK_EQ(flags & 0x200, 0x200); /* IF set */
  CHECK_EQ(flags & 0x3000, 0); /* IOPL 0 */
  return 0;
}

static void set_mxcsr_and_resume(dk_exception_info* info) {
  *(uint32_t*)&info->context.fxsave[24] = 0x3f80 | 0xffff0000u; /* reserved bits set */
  info->context.rip = conf_resume_rip;
  DkExceptionReturn(&info->context);
}

CASE(return_mxcsr_masked) {
  conf_on_exception = set_mxcsr_and_resume;
  CONF_TRY("ud2", "i"(0));
  uint32_t now;
  __asm__ volatile("stmxcsr %0" : "=m"(now));
  CHECK_EQ(now, 0x3f80); /* reserved bits masked off */
  return 0;
}

static uint8_t unaligned_buf[sizeof(dk_context) + 32];

static void return_unaligned(dk_exception_info* info) {
  info->context.rip = conf_resume_rip;
  info->context.rax = 0x77;
  conf_memcpy(unaligned_buf + 3, &info->context, sizeof(dk_context));
  DkExceptionReturn((const dk_context*)(unaligned_buf + 3));
}

CASE(return_unaligned_context) {
  conf_on_exception = return_unaligned;
  uint64_t a;
  __asm__ volatile("leaq 1f(%%rip), %%rax\n\tmovq %%rax, conf_resume_rip(%%rip)\n\tud2\n1:\n"
                   : "=a"(a)
                   :
                   : "memory");
  CHECK_EQ(a, 0x77);
  return 0;
}

static void return_fs(dk_exception_info* info) {
  static uint64_t tls2[2] = {0xfeed, 0xbeef};
  info->context.fs_base = (uint64_t)tls2;
  info->context.rip = conf_resume_rip;
  DkExceptionReturn(&info->context);
}

CASE(return_fs_base) {
  conf_on_exception = return_fs;
  CONF_TRY("ud2", "i"(0));
  uint64_t v;
  __asm__ volatile("movq %%fs:8, %0" : "=r"(v));
  CHECK_EQ(v, 0xbeef);
  return 0;
}

CASE(return_fault) {
  CHECK_ST(DkExceptionReturn((const dk_context*)0), DK_E_FAULT);
  CHECK_ST(DkExceptionReturn((const dk_context*)CONF_KERNEL_ADDR), DK_E_FAULT);
  const dk_context* edge = conf_edge(sizeof(dk_context) - 8);
  CHECK_ST(DkExceptionReturn(edge), DK_E_FAULT);
  return 0;
}

static void return_to_bad_rip(dk_exception_info* info) {
  if (conf_exception_count == 0) {
    ++conf_exception_count;
    info->context.rip = 0x10000000000ull; /* unmapped */
    DkExceptionReturn(&info->context);
  }
  conf_record_and_resume(info);
}

CASE(return_unmapped_rip) {
  conf_on_exception = return_to_bad_rip;
  CONF_TRY("ud2", "i"(0));
  CHECK_EQ(conf_exception_count, 2);
  CHECK_EQ(LE.type, DK_EXCEPTION_MEMFAULT);
  CHECK_EQ(LE.context.rip, 0x10000000000ull);
  return 0;
}

/* ---- Unhandled exceptions and depth ---- */
CASE(unhandled_illegal) {
  __asm__ volatile("ud2");
  return 0;
}

CASE(unhandled_memfault) {
  *(volatile int*)CONF_KERNEL_ADDR = 1;
  return 0;
}

CASE(unhandled_breakpoint) {
  __asm__ volatile("int3");
  return 0;
}

CASE(unhandled_foreign) {
  __asm__ volatile("int $0x80");
  return 0;
}

static void returns(dk_exception_info* info) { (void)info; }

CASE(handler_returns_unhandled) {
  conf_on_exception = returns;
  __asm__ volatile("ud2");
  return 0;
}

static void fault_again(dk_exception_info* info) {
  (void)info;
  __asm__ volatile("ud2"); /* a fault at depth 1, 2, 3, then 4 ends it */
}

CASE(depth_limit) {
  conf_on_exception = fault_again;
  __asm__ volatile("ud2");
  return 0;
}

static void nested_once(dk_exception_info* info) {
  const uint64_t resume = conf_resume_rip;
  ++conf_exception_count;
  conf_on_exception = conf_record_and_continue;
  CONF_TRY("int3", "i"(0)); /* depth 2: handled and returned from */
  info->context.rip = resume;
  DkExceptionReturn(&info->context);
}

CASE(nested_handled) {
  conf_on_exception = nested_once;
  uint64_t outer;
  __asm__ volatile("leaq 1f(%%rip), %%rax\n\tmovq %%rax, %0\n\t"
                   "movq %%rax, conf_resume_rip(%%rip)\n\tud2\n1:\n"
                   : "=r"(outer)
                   :
                   : "rax", "memory");
  (void)outer;
  CHECK_EQ(conf_exception_count, 2);
  CHECK_EQ(LE.type, DK_EXCEPTION_BREAKPOINT);
  return 0;
}

CASE(stack_too_small) {
  /* No room for the info below the red zone: the picoprocess ends. */
  uint8_t* p = conf_pages(2, DK_PROT_READ | DK_PROT_WRITE);
  CHECK_OK(DkVirtualMemoryFree(p, DK_PAGE_SIZE)); /* unmapped below the new stack */
  conf_on_exception = conf_record_and_resume;
  __asm__ volatile("movq %0, %%rsp\n\tud2" : : "r"(p + DK_PAGE_SIZE + 256) : "memory");
  return 0;
}
