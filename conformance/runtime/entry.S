/* The case runtime's three upcall entries (ABI.md section 5). Each first records the
 * registers exactly as the host left them (for the upcall-state cases), then calls C on a
 * 16-byte aligned stack. The image note names the thread-start and exception entries. */

#include <dk/guest_entry.inc>

	.text

/* LibOsInitialize: rdi = boot info. conf_start returns only when a case asked to leave by
 * returning from the upcall; rax is then the exit code. */
	.globl _start
	.type _start, @function
_start:
	DK_SAVE_REGS conf_init_regs
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
	DK_SAVE_REGS conf_thread_regs
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
	DK_SAVE_REGS conf_exception_regs
	cld
	movq %rsp, %rbx
	andq $-16, %rsp
	call conf_exception_main
	movq %rbx, %rsp
	ret
	.size conf_exception_entry, . - conf_exception_entry

#ifndef CONF_NO_NOTE
	DK_IMAGE_NOTE conf_thread_entry, conf_exception_entry
#endif

	.section .note.GNU-stack, "", @progbits
