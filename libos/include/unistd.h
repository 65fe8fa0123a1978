/* POSIX file descriptor calls of the libos on Dk streams. Descriptors 0, 1 and 2 start on
 * the boot info's stdin/stdout/stderr handles. Files keep an offset per open file (shared by
 * dup'ed descriptors); pipes, sockets and devices always read and write at offset 0. */
#ifndef DK_LIBC_UNISTD_H
#define DK_LIBC_UNISTD_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

#define F_OK 0
#define X_OK 1
#define W_OK 2
#define R_OK 4

ssize_t read(int fd, void* buf, size_t count);
ssize_t write(int fd, const void* buf, size_t count);
ssize_t pread(int fd, void* buf, size_t count, off_t offset);
ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset);
off_t lseek(int fd, off_t offset, int whence);
int close(int fd);
int dup(int fd);
int dup2(int fd, int newfd);
int fsync(int fd);
int ftruncate(int fd, off_t length);
int truncate(const char* path, off_t length);
int unlink(const char* path);
int rmdir(const char* path);
int access(const char* path, int mode);
int pipe(int fds[2]);
int chdir(const char* path);
char* getcwd(char* buf, size_t size);
int isatty(int fd);

unsigned int sleep(unsigned int seconds);
int usleep(useconds_t usec);

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_UNISTD_H */
