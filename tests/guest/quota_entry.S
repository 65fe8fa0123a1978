/* Upcall entries for the quota tests' guest: LibOsInitialize and LibOsThreadStart tail-jump
 * into C, so a C return is the upcall's return. */
#include <dk/guest_entry.inc>

	.text
	.globl _start
_start:
	jmp quota_main

	.globl quota_thread_entry
quota_thread_entry:
	jmp quota_thread

	/* The Dk note (ABI.md section 5): thread start, no exception entry. */
	DK_IMAGE_NOTE quota_thread_entry, 0

	.section .note.GNU-stack, "", @progbits
