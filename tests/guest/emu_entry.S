/* Upcall entries that record the registers exactly as the host left them, before any
 * compiled code runs, then tail-jump into C (so a C return is the upcall's return). */
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
	.globl _start
_start:
	SAVE_REGS entry_regs
	jmp guest_main

	.globl handler_entry
handler_entry:
	SAVE_REGS handler_regs
	jmp guest_handler

#ifndef DK_NO_NOTE
	/* The Dk note (ABI.md section 5), 4-byte aligned: name "Dk" padded to 4, then the
	 * descriptor (abi 1.0, no thread start, the exception entry above, no flags). */
	.section .note.dk, "a", @note
	.balign 4
	.long 3, 32, 1
	.asciz "Dk"
	.balign 4
	.long 1, 0
	.quad 0, handler_entry, 0
#endif

	.section .note.GNU-stack, "", @progbits
