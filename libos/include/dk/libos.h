/* The library OS's own guest API beyond the C library: the boot info it started with,
 * exception handlers (the LibOsExceptionDispatch upcall) and threads (LibOsThreadStart).
 * Guest code only; it depends on nothing but dk/abi.h. */
#ifndef DK_LIBOS_H
#define DK_LIBOS_H

#include <dk/abi.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The boot info page the host passed to LibOsInitialize (read-only, lives forever). */
const dk_boot_info* dk_boot_info_get(void);

/* An exception handler returns nonzero when it has dealt with the exception: the thread then
 * resumes in info->context, which the handler may have edited (rip, rsp, registers).
 * Returning 0 leaves the exception unhandled, which ends the picoprocess. */
typedef int (*dk_exception_handler_t)(dk_exception_info* info);

/* Installs the handler for every thread (NULL removes it); returns the previous one. */
dk_exception_handler_t dk_set_exception_handler(dk_exception_handler_t handler);

/* Starts fn(arg) on a new thread with a fresh stack of stack_size bytes (0: 256 KiB) under a
 * no-access guard page. The thread ends with DkThreadExit when fn returns; *thread (may be
 * NULL) receives its handle, which becomes signaled then. */
typedef void (*dk_thread_fn)(void* arg);
dk_status_t dk_thread_spawn(dk_thread_fn fn, void* arg, size_t stack_size, dk_handle_t* thread);

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBOS_H */
