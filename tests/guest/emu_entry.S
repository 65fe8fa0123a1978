/* Upcall entries that record the registers exactly as the host left them, before any
 * compiled code runs, then tail-jump into C (so a C return is the upcall's return). */
#include <dk/guest_entry.inc>

	.text
	.globl _start
_start:
	DK_SAVE_REGS entry_regs
	jmp guest_main

	.globl handler_entry
handler_entry:
	DK_SAVE_REGS handler_regs
	jmp guest_handler

#ifndef DK_NO_NOTE
	/* No thread start, the exception entry above. */
	DK_IMAGE_NOTE 0, handler_entry
#endif

	.section .note.GNU-stack, "", @progbits
