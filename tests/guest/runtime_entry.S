/* Entries for the native runtime tests' guest: LibOsInitialize and LibOsThreadStart
 * tail-jump into C. */
#include <dk/guest_entry.inc>

	.text
	.globl _start
_start:
	jmp runtime_main

	.globl runtime_thread_entry
runtime_thread_entry:
	jmp runtime_thread

	DK_IMAGE_NOTE runtime_thread_entry, 0

	.section .note.GNU-stack, "", @progbits
