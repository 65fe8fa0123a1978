/* Declarations shared between the libos's own source files, never seen by applications:
 * the upcall entries (start.S) and the hooks the start code and exit path call. */
#ifndef DK_LIBOS_INTERNAL_H
#define DK_LIBOS_INTERNAL_H

#include <dk/abi.h>

/* Upcall entries, in start.S. Their addresses go into the image note. */
void LibOsInitialize(const dk_boot_info* boot);
void LibOsThreadStart(uint64_t arg);
void LibOsExceptionDispatch(dk_exception_info* info);

/* Called by the entries on an ABI-aligned stack. */
__attribute__((noreturn)) void libos_main(const dk_boot_info* boot);
__attribute__((noreturn)) void libos_thread_main(uint64_t arg);
void libos_exception_main(dk_exception_info* info);

void libos_stdio_init(dk_handle_t in, dk_handle_t out, dk_handle_t err);
void libos_stdio_flush_all(void);

/* Stops the thread for good when a call that must not return did. ud2 raises ILLEGAL, which
 * the host reports; nothing after it runs. */
#define LIBOS_UNREACHABLE() __builtin_trap()

#endif /* DK_LIBOS_INTERNAL_H */
