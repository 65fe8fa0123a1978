/* dk_raw_call(number, a1..a6): a downcall with every argument register given, for guests
 * that call numbers outside the table or pass what a typed stub would not (the conformance
 * cases' bad-argument checks, the escape corpus). The C ABI passes rdi, rsi, rdx, rcx, r8,
 * r9 and [rsp+8]; the Dk ABI wants rax, rdi, rsi, rdx, r10, r8, r9. */
	.text
	.globl dk_raw_call
	.type dk_raw_call, @function
	.balign 16
dk_raw_call:
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rdx, %rsi
	movq %rcx, %rdx
	movq %r8, %r10
	movq %r9, %r8
	movq 8(%rsp), %r9
	syscall
	ret
	.size dk_raw_call, . - dk_raw_call

	.section .note.GNU-stack, "", @progbits
