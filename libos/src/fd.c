/* The descriptor table: descriptors name shared open file descriptions (struct libos_ofd),
 * each owning one Dk handle. read and write pick the offset by kind: files use and advance
 * the description's offset, everything else is a byte stream read and written at offset 0.
 * References keep a description alive while a call uses it, so one thread closing a
 * descriptor never pulls a handle from under another thread's read. */
#include <dk/dkcalls.h>
#include <dk/posix.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "libos_internal.h"

static libos_lock_t table_lock = LIBOS_LOCK_INIT;
static struct libos_ofd* table[LIBOS_FD_MAX];

struct libos_ofd* libos_ofd_new(int kind, dk_handle_t handle, int flags) {
  struct libos_ofd* o = calloc(1, sizeof *o);
  if (!o) {
    errno = ENOMEM;
    return NULL;
  }
  o->refs = 1;
  o->kind = kind;
  o->handle = handle;
  o->flags = flags;
  return o;
}

void libos_fd_init(const dk_boot_info* boot) {
  const dk_handle_t handles[3] = {boot->stdin_h, boot->stdout_h, boot->stderr_h};
  const int flags[3] = {O_RDONLY, O_WRONLY, O_WRONLY};
  for (int fd = 0; fd < 3; fd++) {
    struct libos_ofd* o =
        libos_ofd_new(handles[fd] ? LIBOS_FD_PROBE : LIBOS_FD_NULL, handles[fd], flags[fd]);
    if (o) table[fd] = o;
  }
}

int libos_fd_install(struct libos_ofd* ofd, int min) {
  if (min < 0) min = 0;
  libos_lock(&table_lock);
  for (int fd = min; fd < LIBOS_FD_MAX; fd++) {
    if (!table[fd]) {
      table[fd] = ofd;
      libos_unlock(&table_lock);
      return fd;
    }
  }
  libos_unlock(&table_lock);
  errno = EMFILE;
  return -1;
}

struct libos_ofd* libos_fd_get(int fd) {
  struct libos_ofd* o = NULL;
  if (fd >= 0 && fd < LIBOS_FD_MAX) {
    libos_lock(&table_lock);
    o = table[fd];
    if (o) __atomic_add_fetch(&o->refs, 1, __ATOMIC_RELAXED);
    libos_unlock(&table_lock);
  }
  if (!o) errno = EBADF;
  return o;
}

void libos_ofd_put(struct libos_ofd* o) {
  if (__atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  if (o->handle) DkObjectClose(o->handle);
  if (o->sock) libos_socket_release(o->sock);
  pthread_mutex_destroy(&o->lock);
  free(o);
}

void libos_ofd_probe(struct libos_ofd* o) {
  if (o->kind != LIBOS_FD_PROBE) return;
  dk_stream_attr a = {0};
  int kind = LIBOS_FD_STREAM;
  if (DkStreamAttributesQueryByHandle(o->handle, &a) == 0) {
    if (a.type == DK_STREAM_FILE) kind = LIBOS_FD_FILE;
    if (a.type == DK_STREAM_DIR) kind = LIBOS_FD_DIR;
  }
  o->kind = kind;
}

dk_handle_t dk_fd_handle(int fd) {
  struct libos_ofd* o = libos_fd_get(fd);
  if (!o) return 0;
  dk_handle_t h = o->handle;
  libos_ofd_put(o);
  return h;
}

int dk_fd_adopt(dk_handle_t handle) {
  struct libos_ofd* o = libos_ofd_new(LIBOS_FD_PROBE, handle, O_RDWR);
  if (!o) return -1;
  int fd = libos_fd_install(o, 0);
  if (fd < 0) {
    o->handle = 0; /* still the caller's on failure */
    libos_ofd_put(o);
  }
  return fd;
}

/* Size of the file behind a handle, for SEEK_END and appends. */
static dk_status_t file_size(dk_handle_t h, uint64_t* size) {
  dk_stream_attr a = {0};
  dk_status_t st = DkStreamAttributesQueryByHandle(h, &a);
  if (st == 0) *size = a.size;
  return st;
}

/* The stream a socket reads and writes; 0 (errno set) when it has none. */
dk_handle_t libos_socket_stream(struct libos_ofd* o, int writing);

static ssize_t do_io(struct libos_ofd* o, void* buf, size_t count, int writing, off_t at,
                     int positioned) {
  libos_ofd_probe(o);
  int acc = o->flags & O_ACCMODE;
  if ((writing && acc == O_RDONLY) || (!writing && acc == O_WRONLY)) {
    errno = EBADF;
    return -1;
  }
  dk_handle_t h = o->handle;
  switch (o->kind) {
    case LIBOS_FD_NULL:
      return writing ? (ssize_t)count : 0;
    case LIBOS_FD_DIR:
      errno = EISDIR;
      return -1;
    case LIBOS_FD_SOCKET:
      h = libos_socket_stream(o, writing);
      if (!h) return -1;
      break;
    case LIBOS_FD_FILE:
      break;
    default:
      if (positioned) {
        errno = ESPIPE;
        return -1;
      }
  }
  uint64_t n = count;
  dk_status_t st;
  if (o->kind == LIBOS_FD_FILE) {
    if (positioned) {
      if (at < 0) {
        errno = EINVAL;
        return -1;
      }
      st = writing ? DkStreamWrite(h, (uint64_t)at, buf, &n)
                   : DkStreamRead(h, (uint64_t)at, buf, &n);
    } else {
      libos_lock(&o->lock);
      st = 0;
      if (writing && (o->flags & O_APPEND)) st = file_size(h, &o->offset);
      if (st == 0)
        st = writing ? DkStreamWrite(h, o->offset, buf, &n) : DkStreamRead(h, o->offset, buf, &n);
      if (st == 0) o->offset += n;
      libos_unlock(&o->lock);
    }
  } else {
    st = writing ? DkStreamWrite(h, 0, buf, &n) : DkStreamRead(h, 0, buf, &n);
  }
  if (st < 0) return libos_fail(st);
  return (ssize_t)n;
}

ssize_t read(int fd, void* buf, size_t count) {
  struct libos_ofd* o = libos_fd_get(fd);
  if (!o) return -1;
  ssize_t r = do_io(o, buf, count, 0, 0, 0);
  libos_ofd_put(o);
  return r;
}

ssize_t write(int fd, const void* buf, size_t count) {
  struct libos_ofd* o = libos_fd_get(fd);
  if (!o) return -1;
  ssize_t r = do_io(o, (void*)buf, count, 1, 0, 0);
  libos_ofd_put(o);
  return r;
}

ssize_t pread(int fd, void* buf, size_t count, off_t offset) {
  struct libos_ofd* o = libos_fd_get(fd);
  if (!o) return -1;
  ssize_t r = do_io(o, buf, count, 0, offset, 1);
  libos_ofd_put(o);
  return r;
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  struct libos_ofd* o = libos_fd_get(fd);
  if (!o) return -1;
  ssize_t r = do_io(o, (void*)buf, count, 1, offset, 1);
  libos_ofd_put(o);
  return r;
}

off_t lseek(int fd, off_t offset, int whence) {
  struct libos_ofd* o = libos_fd_get(fd);
  if (!o) return -1;
  libos_ofd_probe(o);
  off_t r = -1;
  if (o->kind != LIBOS_FD_FILE) {
    errno = ESPIPE;
  } else {
    libos_lock(&o->lock);
    uint64_t base = 0;
    dk_status_t st = 0;
    if (whence == SEEK_CUR)
      base = o->offset;
    else if (whence == SEEK_END)
      st = file_size(o->handle, &base);
    else if (whence != SEEK_SET)
      st = -DK_E_INVAL;
    if (st < 0) {
      libos_fail(st);
    } else if ((offset < 0 && (uint64_t)-offset > base) ||
               (offset > 0 && base + (uint64_t)offset > (uint64_t)INT64_MAX)) {
      errno = EINVAL;
    } else {
      o->offset = base + (uint64_t)offset;
      r = (off_t)o->offset;
    }
    libos_unlock(&o->lock);
  }
  libos_ofd_put(o);
  return r;
}

int close(int fd) {
  struct libos_ofd* o = NULL;
  if (fd >= 0 && fd < LIBOS_FD_MAX) {
    libos_lock(&table_lock);
    o = table[fd];
    table[fd] = NULL;
    libos_unlock(&table_lock);
  }
  if (!o) {
    errno = EBADF;
    return -1;
  }
  libos_ofd_put(o);
  return 0;
}

int dup(int fd) {
  struct libos_ofd* o = libos_fd_get(fd);
  if (!o) return -1;
  int nfd = libos_fd_install(o, 0); /* the reference from get becomes the new descriptor's */
  if (nfd < 0) libos_ofd_put(o);
  return nfd;
}

int dup2(int fd, int newfd) {
  if (newfd < 0 || newfd >= LIBOS_FD_MAX) {
    errno = EBADF;
    return -1;
  }
  struct libos_ofd* o = libos_fd_get(fd);
  if (!o) return -1;
  if (fd == newfd) {
    libos_ofd_put(o);
    return newfd;
  }
  libos_lock(&table_lock);
  struct libos_ofd* old = table[newfd];
  table[newfd] = o;
  libos_unlock(&table_lock);
  if (old) libos_ofd_put(old);
  return newfd;
}

int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);
  va_end(ap);
  struct libos_ofd* o = libos_fd_get(fd);
  if (!o) return -1;
  int r = 0;
  switch (cmd) {
    case F_DUPFD:
      r = libos_fd_install(o, (int)arg);
      if (r >= 0) return r; /* the reference went into the table */
      break;
    case F_GETFD:
    case F_SETFD: /* nothing is ever executed over a picoprocess: close-on-exec is moot */
      break;
    case F_GETFL:
      r = o->flags;
      break;
    case F_SETFL: {
      int nb = (arg & O_NONBLOCK) != 0;
      if (o->handle && nb != !!(o->flags & O_NONBLOCK)) {
        dk_stream_attr a = {0};
        dk_status_t st = DkStreamAttributesQueryByHandle(o->handle, &a);
        if (st == 0) {
          a.nonblocking = (uint32_t)nb;
          st = DkStreamAttributesSetByHandle(o->handle, &a);
        }
        if (st < 0) {
          r = libos_fail(st);
          break;
        }
      }
      o->flags = (o->flags & ~(O_NONBLOCK | O_APPEND)) | (int)(arg & (O_NONBLOCK | O_APPEND));
      break;
    }
    default:
      errno = EINVAL;
      r = -1;
  }
  libos_ofd_put(o);
  return r;
}

int fsync(int fd) {
  struct libos_ofd* o = libos_fd_get(fd);
  if (!o) return -1;
  dk_status_t st = o->handle ? DkStreamFlush(o->handle) : 0;
  libos_ofd_put(o);
  return st < 0 ? libos_fail(st) : 0;
}

int ftruncate(int fd, off_t length) {
  if (length < 0) {
    errno = EINVAL;
    return -1;
  }
  struct libos_ofd* o = libos_fd_get(fd);
  if (!o) return -1;
  libos_ofd_probe(o);
  int r = 0;
  if (o->kind != LIBOS_FD_FILE) {
    errno = EINVAL;
    r = -1;
  } else if ((o->flags & O_ACCMODE) == O_RDONLY) {
    errno = EBADF;
    r = -1;
  } else {
    dk_status_t st = DkStreamSetLength(o->handle, (uint64_t)length);
    if (st < 0) r = libos_fail(st);
  }
  libos_ofd_put(o);
  return r;
}

int isatty(int fd) {
  struct libos_ofd* o = libos_fd_get(fd);
  if (!o) return 0;
  dk_stream_attr a = {0};
  int tty = o->handle && DkStreamAttributesQueryByHandle(o->handle, &a) == 0 &&
            a.type == DK_STREAM_DEVICE;
  libos_ofd_put(o);
  if (!tty) errno = ENOTTY;
  return tty;
}
