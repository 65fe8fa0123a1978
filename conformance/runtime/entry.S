/* The case runtime's three upcall entries (ABI.md section 5). Each first records the
 * registers exactly as the host left them (for the upcall-state cases), then calls C on a
 * 16-byte aligned stack. The image note names the thread-start and exception entries. */

/* Register record layout, shared with case.h (struct conf_regs). */
	.macro SAVE_REGS area
	movq %rax, \area+0(%rip)
	movq %rbx, \area+8(%rip)
	movq %rcx, \area+16(%rip)
	movq %rdx, \area+24(%rip)
	movq %rsi, \area+32(%rip)
	movq %rdi, \area+40(%rip)
	movq %rbp, \area+48(%rip)
	movq %rsp, \area+56(%rip)
	movq %r8, \area+64(%rip)
	movq %r9, \area+72(%rip)
	movq %r10, \area+80(%rip)
	movq %r11, \area+88(%rip)
	movq %r12, \area+96(%rip)
	movq %r13, \area+104(%rip)
	movq %r14, \area+112(%rip)
	movq %r15, \area+120(%rip)
	movq (%rsp), %rax
	movq %rax, \area+128(%rip)
	pushfq
	popq %rax
	movq %rax, \area+136(%rip)
	fnstcw \area+144(%rip)
	stmxcsr \area+152(%rip)
	movq \area+0(%rip), %rax
	.endm

	.text

/* LibOsInitialize: rdi = boot info. conf_start returns only when a case asked to leave by
 * returning from the upcall; rax is then the exit code. */
	.globl _start
	.type _start, @function
_start:
	SAVE_REGS conf_init_regs
	movq %rsp, %rbx
	andq $-16, %rsp
	call conf_start
	movq %rbx, %rsp
	ret
	.size _start, . - _start

/* LibOsThreadStart: rdi = arg. A C return becomes the upcall's return (DkThreadExit). */
	.globl conf_thread_entry
	.type conf_thread_entry, @function
conf_thread_entry:
	SAVE_REGS conf_thread_regs
	movq %rsp, %rbx
	andq $-16, %rsp
	call conf_thread_main
	movq %rbx, %rsp
	ret
	.size conf_thread_entry, . - conf_thread_entry

/* LibOsExceptionDispatch: rdi = dk_exception_info*, rsp = rdi - 8. A handled exception
 * leaves through DkExceptionReturn; a C return is the upcall's return (unhandled). */
	.globl conf_exception_entry
	.type conf_exception_entry, @function
conf_exception_entry:
	SAVE_REGS conf_exception_regs
	cld
	movq %rsp, %rbx
	andq $-16, %rsp
	call conf_exception_main
	movq %rbx, %rsp
	ret
	.size conf_exception_entry, . - conf_exception_entry

#ifndef CONF_NO_NOTE
	.section .note.dk, "a", @note
	.balign 4
	.long 3, 32, 1
	.asciz "Dk"
	.balign 4
	.long 1, 0
	.quad conf_thread_entry, conf_exception_entry, 0
#endif

	.section .note.GNU-stack, "", @progbits
