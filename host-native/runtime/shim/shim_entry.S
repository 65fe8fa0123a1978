/* The shim's only `syscall` instruction, its signal restorer and its header. Every system
 * call the shim makes goes through dkrt_sys6, so the filter can tell the shim's calls (the
 * instruction pointer just after dkrt_gadget) from the guest's. Position-independent: the
 * blob first runs from a staging copy, then from its final place. */
  .section .text.header, "ax"
  .globl dkrt_shim_base
dkrt_shim_base:
  .quad 0x31314d4948534b44          /* DKRT_SHIM_MAGIC */
  .quad dkrt_stage1 - dkrt_shim_base
  .quad dkrt_gadget_end - dkrt_shim_base
  .quad dkrt_text_end - dkrt_shim_base
  .quad dkrt_data_end - dkrt_shim_base

  .text
/* long dkrt_sys6(long nr, long a1, long a2, long a3, long a4, long a5, long a6) */
  .globl dkrt_sys6
  .type dkrt_sys6, @function
dkrt_sys6:
  mov %rdi, %rax
  mov %rsi, %rdi
  mov %rdx, %rsi
  mov %rcx, %rdx
  mov %r8, %r10
  mov %r9, %r8
  mov 8(%rsp), %r9
  .globl dkrt_gadget
dkrt_gadget:
  syscall
  .globl dkrt_gadget_end
dkrt_gadget_end:
  /* A new thread (clone) returns here on its own stack, whose top holds its entry. */
  ret
  .size dkrt_sys6, . - dkrt_sys6

/* sa_restorer: rt_sigreturn through the gadget. */
  .globl dkrt_restorer
  .type dkrt_restorer, @function
dkrt_restorer:
  mov $15, %eax
  jmp dkrt_gadget
  .size dkrt_restorer, . - dkrt_restorer

/* void dkrt_sigreturn_at(void* frame): rt_sigreturn with rsp at a prepared ucontext. */
  .globl dkrt_sigreturn_at
  .type dkrt_sigreturn_at, @function
dkrt_sigreturn_at:
  mov %rdi, %rsp
  mov $15, %eax
  jmp dkrt_gadget
  .size dkrt_sigreturn_at, . - dkrt_sigreturn_at

/* void dkrt_switch(void* arg, void* fn, void* stack): fn(arg) on `stack`, never returns. */
  .globl dkrt_switch
  .type dkrt_switch, @function
dkrt_switch:
  mov %rdx, %rsp
  and $-16, %rsp
  xor %ebp, %ebp
  call *%rsi
  ud2
  .size dkrt_switch, . - dkrt_switch

  .section .note.GNU-stack, "", @progbits
