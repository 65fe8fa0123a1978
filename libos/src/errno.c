/* Dk status codes to errno values (the table is in libos/README.md), and the messages of
 * strerror. Calls with a better answer for their own context (ESPIPE, ENOTSOCK, ...) decide
 * that before asking here. */
#include <dk/posix.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "libos_internal.h"

static const unsigned char status_errno[DK_E_MAX + 1] = {
    [0] = 0,
    [DK_E_INVAL] = EINVAL,
    [DK_E_FAULT] = EFAULT,
    [DK_E_BADHANDLE] = EBADF,
    [DK_E_NOMEM] = ENOMEM,
    [DK_E_ACCESS] = EACCES,
    [DK_E_NOENT] = ENOENT,
    [DK_E_EXIST] = EEXIST,
    [DK_E_AGAIN] = EAGAIN,
    [DK_E_TIMEOUT] = ETIMEDOUT,
    [DK_E_INTERRUPTED] = EINTR,
    [DK_E_PIPE] = EPIPE,
    [DK_E_NOTSUP] = EOPNOTSUPP,
    [DK_E_QUOTA] = EDQUOT,
    [DK_E_RANGE] = ERANGE,
    [DK_E_BUSY] = EBUSY,
    [DK_E_NOTCONN] = ENOTCONN,
    [DK_E_CONNREFUSED] = ECONNREFUSED,
    [DK_E_ISDIR] = EISDIR,
    [DK_E_NOTDIR] = ENOTDIR,
    /* A live handle of the wrong kind: the operation does not apply to this descriptor. */
    [DK_E_WRONGTYPE] = EINVAL,
    [DK_E_NAMETOOLONG] = ENAMETOOLONG,
    [DK_E_OVERFLOW] = EOVERFLOW,
};

int dk_errno_from_status(dk_status_t st) {
  if (st >= 0) return 0;
  if (st < -(dk_status_t)DK_E_MAX) return EIO; /* a code this ABI version does not name */
  return status_errno[-st];
}

int libos_fail(dk_status_t st) {
  errno = dk_errno_from_status(st);
  return -1;
}

int dk_fail(dk_status_t st) {
  return libos_fail(st);
}

static const struct {
  int code;
  const char* text;
} messages[] = {
    {0, "Success"},
    {EPERM, "Operation not permitted"},
    {ENOENT, "No such file or directory"},
    {ESRCH, "No such process"},
    {EINTR, "Interrupted system call"},
    {EIO, "Input/output error"},
    {E2BIG, "Argument list too long"},
    {ENOEXEC, "Exec format error"},
    {EBADF, "Bad file descriptor"},
    {ECHILD, "No child processes"},
    {EAGAIN, "Resource temporarily unavailable"},
    {ENOMEM, "Cannot allocate memory"},
    {EACCES, "Permission denied"},
    {EFAULT, "Bad address"},
    {EBUSY, "Device or resource busy"},
    {EEXIST, "File exists"},
    {EXDEV, "Invalid cross-device link"},
    {ENOTDIR, "Not a directory"},
    {EISDIR, "Is a directory"},
    {EINVAL, "Invalid argument"},
    {EMFILE, "Too many open files"},
    {ENOTTY, "Inappropriate ioctl for device"},
    {ENOSPC, "No space left on device"},
    {ESPIPE, "Illegal seek"},
    {EPIPE, "Broken pipe"},
    {ERANGE, "Numerical result out of range"},
    {EDEADLK, "Resource deadlock avoided"},
    {ENAMETOOLONG, "File name too long"},
    {ENOSYS, "Function not implemented"},
    {ENOTEMPTY, "Directory not empty"},
    {EOVERFLOW, "Value too large for defined data type"},
    {ENOTSOCK, "Socket operation on non-socket"},
    {EDESTADDRREQ, "Destination address required"},
    {EPROTONOSUPPORT, "Protocol not supported"},
    {EOPNOTSUPP, "Operation not supported"},
    {EAFNOSUPPORT, "Address family not supported by protocol"},
    {EADDRINUSE, "Address already in use"},
    {EISCONN, "Transport endpoint is already connected"},
    {ENOTCONN, "Transport endpoint is not connected"},
    {ETIMEDOUT, "Connection timed out"},
    {ECONNREFUSED, "Connection refused"},
    {EDQUOT, "Disk quota exceeded"},
};

char* strerror(int code) {
  for (size_t i = 0; i < sizeof messages / sizeof messages[0]; i++)
    if (messages[i].code == code) return (char*)messages[i].text;
  return "Unknown error";
}

void perror(const char* prefix) {
  const char* text = strerror(errno);
  if (prefix && *prefix)
    fprintf(stderr, "%s: %s\n", prefix, text);
  else
    fprintf(stderr, "%s\n", text);
}
