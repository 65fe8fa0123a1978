/* errno for the libos C library. One global: the libos has no thread-local storage yet. */
#ifndef DK_LIBC_ERRNO_H
#define DK_LIBC_ERRNO_H

#ifdef __cplusplus
extern "C" {
#endif

extern int errno;

/* Linux's numbers, so code ported from there prints familiar values. */
#define ENOENT 2
#define EIO 5
#define EBADF 9
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EEXIST 17
#define EINVAL 22
#define ERANGE 34
#define ENOSYS 38

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_ERRNO_H */
