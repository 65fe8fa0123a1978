/* Upcall entries for the quota tests' guest: LibOsInitialize and LibOsThreadStart tail-jump
 * into C, so a C return is the upcall's return. */
	.text
	.globl _start
_start:
	jmp quota_main

	.globl quota_thread_entry
quota_thread_entry:
	jmp quota_thread

	/* The Dk note (ABI.md section 5): abi 1.0, thread start, no exception entry. */
	.section .note.dk, "a", @note
	.balign 4
	.long 3, 32, 1
	.asciz "Dk"
	.balign 4
	.long 1, 0
	.quad quota_thread_entry, 0, 0

	.section .note.GNU-stack, "", @progbits
