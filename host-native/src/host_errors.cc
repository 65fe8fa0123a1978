// The errno table is the one in docs/abi.md ("Host status mapping"); keep them together.
#include "host_errors.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "dk/monitor/open_beneath.h"

namespace dk::native {

dk_status_t native_status(int err) {
  switch (err) {
    case 0:
      return 0;
    case ENOENT:
      return -DK_E_NOENT;
    case EEXIST:
    case ENOTEMPTY:
    case EADDRINUSE:
      return -DK_E_EXIST;
    case EACCES:
    case EPERM:
    case EROFS:
    case EXDEV:
    case ELOOP:
    case EADDRNOTAVAIL:
      return -DK_E_ACCESS;
    case ENOTDIR:
      return -DK_E_NOTDIR;
    case EISDIR:
      return -DK_E_ISDIR;
    case ENAMETOOLONG:
      return -DK_E_NAMETOOLONG;
    case ENOMEM:
    case ENOBUFS:
    case EFBIG:
      return -DK_E_NOMEM;
    case ENOSPC:
    case EDQUOT:
    case EMFILE:
    case ENFILE:
      return -DK_E_QUOTA;
    case EAGAIN:
      return -DK_E_AGAIN;
    case EINTR:
      return -DK_E_INTERRUPTED;
    case EIO:
    case EBUSY:
    case ETXTBSY:
      return -DK_E_BUSY;
    case EPIPE:
    case ECONNRESET:
    case ECONNABORTED:
    case ESHUTDOWN:
      return -DK_E_PIPE;
    case ECONNREFUSED:
    case ENETUNREACH:
    case EHOSTUNREACH:
    case ETIMEDOUT:
      return -DK_E_CONNREFUSED;
    case ENOTCONN:
    case EDESTADDRREQ:
      return -DK_E_NOTCONN;
    case EOVERFLOW:
      return -DK_E_OVERFLOW;
    case EMSGSIZE:
    case EINVAL:
    default:
      return -DK_E_INVAL;
  }
}

bool HostSys::injected(HostOp op) const {
  if (!inject_) return false;
  const int err = inject_(op);
  if (err == 0) return false;
  errno = err;
  return true;
}

dk_status_t HostSys::open_beneath(int root_fd, std::string_view rel, int flags, mode_t mode,
                                  int& fd) const {
  fd = -1;
  if (injected(HostOp::Open)) return native_status(errno);
  return dk::open_beneath(root_fd, rel, flags, mode, fd);
}

#define DK_SYS_WRAP(op, call)  \
  if (injected(op)) return -1; \
  return call

ssize_t HostSys::pread(int fd, void* buf, size_t n, off_t at) const {
  DK_SYS_WRAP(HostOp::Read, ::pread(fd, buf, n, at));
}
ssize_t HostSys::pwrite(int fd, const void* buf, size_t n, off_t at) const {
  DK_SYS_WRAP(HostOp::Write, ::pwrite(fd, buf, n, at));
}
ssize_t HostSys::read(int fd, void* buf, size_t n) const {
  DK_SYS_WRAP(HostOp::Read, ::read(fd, buf, n));
}
ssize_t HostSys::write(int fd, const void* buf, size_t n) const {
  DK_SYS_WRAP(HostOp::Write, ::write(fd, buf, n));
}
int HostSys::fsync(int fd) const {
  DK_SYS_WRAP(HostOp::Sync, ::fsync(fd));
}
int HostSys::ftruncate(int fd, off_t len) const {
  DK_SYS_WRAP(HostOp::Truncate, ::ftruncate(fd, len));
}
int HostSys::renameat2(int from_dir, const char* from, int to_dir, const char* to,
                       unsigned flags) const {
  DK_SYS_WRAP(HostOp::Rename, ::renameat2(from_dir, from, to_dir, to, flags));
}
int HostSys::unlinkat(int dir, const char* name, int flags) const {
  DK_SYS_WRAP(HostOp::Unlink, ::unlinkat(dir, name, flags));
}
int HostSys::mkdirat(int dir, const char* name, mode_t mode) const {
  DK_SYS_WRAP(HostOp::Open, ::mkdirat(dir, name, mode));
}
int HostSys::fstat(int fd, struct stat* st) const {
  DK_SYS_WRAP(HostOp::Stat, ::fstat(fd, st));
}
ssize_t HostSys::send(int fd, const void* buf, size_t n, int flags) const {
  DK_SYS_WRAP(HostOp::Send, ::send(fd, buf, n, flags | MSG_NOSIGNAL));
}
ssize_t HostSys::recv(int fd, void* buf, size_t n, int flags) const {
  DK_SYS_WRAP(HostOp::Recv, ::recv(fd, buf, n, flags));
}

#undef DK_SYS_WRAP

}  // namespace dk::native
