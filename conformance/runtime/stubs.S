/* The 45 downcall stubs, one per row of DK_CALL_LIST. The C ABI's fourth argument arrives
 * in rcx, which `syscall` overwrites, so the Dk ABI takes it in r10. */
#include <dk/abi.h>

#define CONF_CALL_BASE 0xD000

	.macro CONF_STUB index, name
	.globl \name
	.type \name, @function
	.balign 16
\name:
	movl $(CONF_CALL_BASE + \index), %eax
	movq %rcx, %r10
	syscall
	ret
	.size \name, . - \name
	.endm

#define CONF_X_STUB(index, name, kinds, names) CONF_STUB index, name;

	.text
	DK_CALL_LIST(CONF_X_STUB)

/* conf_raw(number, a1..a6): C passes rdi, rsi, rdx, rcx, r8, r9, [rsp+8]. */
	.globl conf_raw
	.type conf_raw, @function
	.balign 16
conf_raw:
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rdx, %rsi
	movq %rcx, %rdx
	movq %r8, %r10
	movq %r9, %r8
	movq 8(%rsp), %r9
	syscall
	ret
	.size conf_raw, . - conf_raw

	.section .note.GNU-stack, "", @progbits
