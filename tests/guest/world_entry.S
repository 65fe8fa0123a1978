/* Upcall entries for the world tests: LibOsInitialize, LibOsThreadStart and the exception
 * entry tail-jump into C, so a C return is the upcall's return. thread_entry records rsp,
 * [rsp], rdi and the FPU control words it was entered with before any C code runs. */
#include <dk/guest_entry.inc>

	.text
	.globl _start
_start:
	jmp guest_main

	.globl thread_entry
thread_entry:
	movq %rsp, thread_entry_regs+0(%rip)
	movq (%rsp), %rax
	movq %rax, thread_entry_regs+8(%rip)
	movq %rdi, thread_entry_regs+16(%rip)
	movq %rbx, thread_entry_regs+24(%rip)
	movq %rsi, thread_entry_regs+32(%rip)
	movq %r15, thread_entry_regs+40(%rip)
	fnstcw thread_entry_regs+48(%rip)
	stmxcsr thread_entry_regs+56(%rip)
	xorl %eax, %eax
	jmp guest_thread

	.globl handler_entry
handler_entry:
	jmp guest_handler

	/* The Dk note (ABI.md section 5): thread start, exception entry. */
	DK_IMAGE_NOTE thread_entry, handler_entry

	.section .note.GNU-stack, "", @progbits
