/* The 45 downcall stubs, one per row of DK_CALL_LIST. The C ABI passes the fourth argument in
 * rcx, which `syscall` overwrites with the return address, so the Dk ABI takes it in r10.
 * rax comes back as the status; rcx and r11 are scratch in the C ABI, so nothing is saved. */
#include <dk/abi.h>

/* DK_CALL_BASE carries a C suffix (0xD000u) the assembler cannot read; dkcalls_check.c
 * checks that this copy agrees with it. */
#define DK_STUB_CALL_BASE 0xD000

	.macro	DK_STUB index, name
	.globl	\name
	.type	\name, @function
	.balign	16
\name:
	movl	$(DK_STUB_CALL_BASE + \index), %eax
	movq	%rcx, %r10
	syscall
	ret
	.size	\name, . - \name
	.endm

#define DK_X_STUB(index, name, kinds, names) DK_STUB index, name;

	.text
	DK_CALL_LIST(DK_X_STUB)

	.section .note.GNU-stack, "", @progbits
