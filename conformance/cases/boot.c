/* Boot info and the LibOsInitialize upcall (ABI.md section 5). */
#include "case.h"

CASE(abi_version) {
  CHECK_EQ(conf_boot->abi_major, 1);
  CHECK_EQ(conf_boot->abi_minor, 0);
  return 0;
}

CASE(args_block) {
  /* The runner starts every case as IMAGE CASE: two NUL-terminated strings. */
  const char* a = (const char*)conf_boot->args;
  CHECK(a != 0);
  CHECK(conf_boot->args_len >= 4);
  CHECK_EQ(a[conf_boot->args_len - 1], 0);
  CHECK_EQ(conf_argc, 2);
  CHECK(conf_streq(conf_argv[1], "args_block"));
  return 0;
}

CASE(env_block) {
  if (conf_boot->env_len == 0) return 0;
  const char* e = (const char*)conf_boot->env;
  CHECK(e != 0);
  CHECK_EQ(e[conf_boot->env_len - 1], 0);
  return 0;
}

CASE(std_handles) {
  /* The runner asks for dev:console on all three. */
  CHECK(conf_boot->stdin_h != 0);
  CHECK(conf_boot->stdout_h != 0);
  CHECK(conf_boot->stderr_h != 0);
  CHECK(conf_boot->stdout_h != conf_boot->stdin_h);
  CHECK(conf_boot->stdout_h != conf_boot->stderr_h);
  return 0;
}

CASE(parent_zero) {
  CHECK_EQ(conf_boot->parent, 0);
  return 0;
}

CASE(flags_zero) {
  CHECK_EQ(conf_boot->flags & DK_BOOT_FROM_SNAPSHOT, 0);
  return 0;
}

CASE(name_terminated) {
  int found = 0;
  for (int i = 0; i < 64; ++i)
    if (conf_boot->name[i] == 0) found = 1;
  CHECK(found);
  return 0;
}

CASE(image_base_exec) {
  /* The case images are ET_EXEC: linked where they run, bias 0. */
  CHECK_EQ(conf_boot->image_base, 0);
  return 0;
}

CASE(stack_bounds) {
  CHECK(conf_boot->stack_low < conf_boot->stack_high);
  CHECK(conf_boot->stack_high - conf_boot->stack_low >= DK_DEFAULT_STACK);
  CHECK(conf_init_regs.rsp >= conf_boot->stack_low);
  CHECK(conf_init_regs.rsp < conf_boot->stack_high);
  CHECK_EQ(conf_boot->stack_low % DK_PAGE_SIZE, 0);
  return 0;
}

CASE(in_user_range) {
  uint64_t b = (uint64_t)conf_boot;
  CHECK(b >= DK_USER_LOW && b < DK_USER_HIGH);
  CHECK(conf_boot->args >= DK_USER_LOW && conf_boot->args < DK_USER_HIGH);
  return 0;
}

CASE(page_readonly) {
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("movq $7, (%0)", "r"(&conf_boot->flags));
  conf_expect_exception(DK_EXCEPTION_MEMFAULT);
  CHECK(conf_last_exception.detail & DK_MEMFAULT_WRITE);
  CHECK_EQ(conf_last_exception.address, (uint64_t)&conf_boot->flags);
  CHECK_EQ(conf_boot->flags & DK_BOOT_FROM_SNAPSHOT, 0);
  return 0;
}

CASE(init_rdi) {
  CHECK_EQ(conf_init_regs.rdi, (uint64_t)conf_boot);
  return 0;
}

CASE(init_rsp_alignment) {
  CHECK_EQ(conf_init_regs.rsp % 16, 8);
  return 0;
}

CASE(init_return_address) {
  CHECK_EQ(conf_init_regs.ret, 0);
  return 0;
}

CASE(init_zero_registers) {
  const struct dk_entry_regs* r = &conf_init_regs;
  CHECK_EQ(r->rax, 0);
  CHECK_EQ(r->rbx, 0);
  CHECK_EQ(r->rcx, 0);
  CHECK_EQ(r->rdx, 0);
  CHECK_EQ(r->rsi, 0);
  CHECK_EQ(r->rbp, 0);
  CHECK_EQ(r->r8, 0);
  CHECK_EQ(r->r9, 0);
  CHECK_EQ(r->r10, 0);
  CHECK_EQ(r->r11, 0);
  CHECK_EQ(r->r12, 0);
  CHECK_EQ(r->r13, 0);
  CHECK_EQ(r->r14, 0);
  CHECK_EQ(r->r15, 0);
  return 0;
}

CASE(init_fpu_state) {
  CHECK_EQ(conf_init_regs.fcw & 0xffff, 0x037f);
  CHECK_EQ(conf_init_regs.mxcsr & 0xffffffff, 0x1f80);
  return 0;
}

CASE(init_return_exits) {
  /* Returning from LibOsInitialize is DkProcessExit(rax). */
  conf_return_from_init = 1;
  return 42;
}

CASE(exit_code_negative) {
  DkProcessExit(-5);
  return 1;
}

CASE(exit_code_wide) {
  DkProcessExit(300);
  return 1;
}

CASE(exit_does_not_return) {
  conf_puts("before exit");
  DkProcessExit(3);
  conf_puts("after exit");
  return 1;
}

CASE(page_zero_unmapped) {
  conf_on_exception = conf_record_and_resume;
  CONF_TRY("movb 0, %%al", "i"(0));
  conf_expect_exception(DK_EXCEPTION_MEMFAULT);
  CHECK(conf_last_exception.detail & DK_MEMFAULT_READ);
  CHECK_EQ(conf_last_exception.address, 0);
  return 0;
}

CASE(nothing_else_mapped) {
  /* Nothing in the user range besides image, stack and boot page: the first pages above
   * DK_USER_LOW are free for a fixed allocation. */
  void* p = (void*)DK_USER_LOW;
  CHECK_OK(DkVirtualMemoryAllocate(&p, DK_PAGE_SIZE, DK_ALLOC_COMMIT,
                                   DK_PROT_READ | DK_PROT_WRITE));
  CHECK_EQ((uint64_t)p, DK_USER_LOW);
  return 0;
}
