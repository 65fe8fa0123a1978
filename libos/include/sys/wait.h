/* waitpid for children made by posix_spawn/dk_spawn: it waits on the process handle and
 * reads DkProcessExitCodeQuery. A child that ended by an unhandled exception (exit code
 * -(128 + type)) reads as killed by the matching signal: MEMFAULT SIGSEGV, ILLEGAL SIGILL,
 * ARITHMETIC SIGFPE, BREAKPOINT SIGTRAP, FOREIGN_TRAP SIGSYS, INTERRUPT SIGINT. */
#ifndef DK_LIBC_SYS_WAIT_H
#define DK_LIBC_SYS_WAIT_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define WNOHANG 1

#define WEXITSTATUS(s) (((s)&0xff00) >> 8)
#define WTERMSIG(s) ((s)&0x7f)
#define WIFEXITED(s) (WTERMSIG(s) == 0)
#define WIFSIGNALED(s) (WTERMSIG(s) != 0)

#define SIGINT 2
#define SIGILL 4
#define SIGTRAP 5
#define SIGFPE 8
#define SIGSEGV 11
#define SIGSYS 31

pid_t waitpid(pid_t pid, int* status, int options);
pid_t wait(int* status);

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_SYS_WAIT_H */
