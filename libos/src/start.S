/* The three upcall entries (ABI.md section 5). Each is entered as if just called: rsp % 16 ==
 * 8 and [rsp] = 0, the return address that means "this upcall returned". They realign the
 * stack and call C; only the exception entry ever returns, to report an unhandled exception. */

	.text

/* LibOsInitialize = e_entry: rdi = the boot info. Returning would be DkProcessExit(rax), but
 * libos_main exits through exit() so stdio is flushed first. */
	.globl	_start
	.globl	LibOsInitialize
	.type	_start, @function
	.type	LibOsInitialize, @function
	.balign	16
_start:
LibOsInitialize:
	xorl	%ebp, %ebp		/* outermost frame for debuggers' backtraces */
	andq	$-16, %rsp
	call	libos_main
	ud2
	.size	_start, . - _start
	.size	LibOsInitialize, . - LibOsInitialize

/* LibOsThreadStart: rdi = the arg given to DkThreadCreate, here the libos's start record. */
	.globl	LibOsThreadStart
	.type	LibOsThreadStart, @function
	.balign	16
LibOsThreadStart:
	xorl	%ebp, %ebp
	andq	$-16, %rsp
	call	libos_thread_main
	ud2
	.size	LibOsThreadStart, . - LibOsThreadStart

/* LibOsExceptionDispatch: rdi = dk_exception_info*, rsp = rdi - 8. libos_exception_main
 * resumes a handled exception with DkExceptionReturn and never comes back; if it does come
 * back, the exception was unhandled, and the ret pops the 0 at [rsp]: the host sees the
 * upcall return with rsp = entry rsp + 8 and ends the picoprocess. */
	.globl	LibOsExceptionDispatch
	.type	LibOsExceptionDispatch, @function
	.balign	16
LibOsExceptionDispatch:
	cld				/* the C ABI wants DF clear; the faulting code may have set it */
	subq	$8, %rsp
	call	libos_exception_main
	addq	$8, %rsp
	ret
	.size	LibOsExceptionDispatch, . - LibOsExceptionDispatch

	.section .note.GNU-stack, "", @progbits
