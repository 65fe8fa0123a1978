/* Registers as an upcall entry found them, in the layout DK_SAVE_REGS (dk/guest_entry.inc)
 * writes: guest code that checks what the host hands an upcall (the conformance cases, the
 * emulator's test guests) declares its records with this type. */
#ifndef DK_GUEST_REGS_H
#define DK_GUEST_REGS_H

#include <stddef.h>
#include <stdint.h>

struct dk_entry_regs {
  uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t ret;    /* [rsp]: the return address the upcall was entered with */
  uint64_t rflags;
  uint64_t fcw;    /* low 16 bits */
  uint64_t mxcsr;  /* low 32 bits */
};

_Static_assert(offsetof(struct dk_entry_regs, r8) == 64, "dk_entry_regs layout");
_Static_assert(offsetof(struct dk_entry_regs, ret) == 128, "dk_entry_regs layout");
_Static_assert(offsetof(struct dk_entry_regs, mxcsr) == 152, "dk_entry_regs layout");
_Static_assert(sizeof(struct dk_entry_regs) == 160, "dk_entry_regs layout");

#endif
