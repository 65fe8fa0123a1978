/* Calls on named files: open, unlink, rename, stat, mkdir, truncate. Each turns its path into
 * a "file:" (or "dir:") URI and makes the Dk stream calls; unlink and rename act through a
 * handle because Dk deletes and renames open streams, not names. */
#include <dk/dkcalls.h>
#include <dk/posix.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "libos_internal.h"

int open(const char* path, int flags, ...) {
  mode_t mode = 0;
  if (flags & O_CREAT) {
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, mode_t);
    va_end(ap);
  }
  int acc = flags & O_ACCMODE;
  if (acc == O_ACCMODE) {
    errno = EINVAL;
    return -1;
  }
  int explicit_uri = libos_has_scheme(path);
  int want_dir = (flags & O_DIRECTORY) != 0;
  char uri[DK_URI_MAX + 1];
  if (libos_path_uri(want_dir ? "dir:" : "file:", path, uri, sizeof uri) < 0) return -1;

  uint32_t access = acc == O_RDONLY   ? DK_ACCESS_RDONLY
                    : acc == O_WRONLY ? DK_ACCESS_WRONLY
                                      : DK_ACCESS_RDWR;
  if (flags & O_APPEND) access |= DK_ACCESS_APPEND;
  uint32_t create = DK_CREATE_NEVER;
  if (flags & O_CREAT) create = (flags & O_EXCL) ? DK_CREATE_ALWAYS : DK_CREATE_TRY;
  if (flags & O_TRUNC && acc != O_RDONLY) create |= DK_CREATE_TRUNCATE;
  uint32_t options = (flags & O_NONBLOCK) ? DK_OPTION_NONBLOCK : 0;

  dk_handle_t h = 0;
  dk_status_t st = DkStreamOpen(uri, access, mode & 0777, create, options, &h);
  if (st == -DK_E_ISDIR && !explicit_uri && !want_dir && acc == O_RDONLY) {
    /* A directory opened as a file: POSIX allows reading it with fstat/fchdir-like calls,
     * so hand back a descriptor on its "dir:" stream instead. */
    if (libos_path_uri("dir:", path, uri, sizeof uri) < 0) return -1;
    want_dir = 1;
    st = DkStreamOpen(uri, access, 0, DK_CREATE_NEVER, options, &h);
  }
  if (st < 0) return libos_fail(st);

  int kind = explicit_uri ? LIBOS_FD_PROBE : want_dir ? LIBOS_FD_DIR : LIBOS_FD_FILE;
  struct libos_ofd* o = libos_ofd_new(kind, h, flags & (O_ACCMODE | O_APPEND | O_NONBLOCK));
  if (!o) {
    DkObjectClose(h);
    return -1;
  }
  int fd = libos_fd_install(o, 0);
  if (fd < 0) libos_ofd_put(o);
  return fd;
}

int creat(const char* path, mode_t mode) {
  return open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
}

/* Opens path's file, or its directory when it is one, for a delete or rename. */
static dk_status_t open_entry(const char* path, int dir_only, char* uri, size_t size,
                              dk_handle_t* h) {
  if (libos_path_uri(dir_only ? "dir:" : "file:", path, uri, size) < 0) return -DK_E_NAMETOOLONG;
  dk_status_t st = DkStreamOpen(uri, DK_ACCESS_RDONLY, 0, DK_CREATE_NEVER, 0, h);
  if (st == -DK_E_ISDIR && !dir_only && !libos_has_scheme(path)) {
    if (libos_path_uri("dir:", path, uri, size) < 0) return -DK_E_NAMETOOLONG;
    st = DkStreamOpen(uri, DK_ACCESS_RDONLY, 0, DK_CREATE_NEVER, 0, h);
    if (st == 0) st = 1; /* tells the caller it is a directory */
  }
  return st;
}

int unlink(const char* path) {
  char uri[DK_URI_MAX + 1];
  dk_handle_t h = 0;
  dk_status_t st = open_entry(path, 0, uri, sizeof uri, &h);
  if (st == 1) { /* POSIX: unlink does not remove directories */
    DkObjectClose(h);
    errno = EISDIR;
    return -1;
  }
  if (st < 0) return libos_fail(st);
  st = DkStreamDelete(h, DK_DELETE_ALL);
  DkObjectClose(h);
  return st < 0 ? libos_fail(st) : 0;
}

int rmdir(const char* path) {
  char uri[DK_URI_MAX + 1];
  dk_handle_t h = 0;
  dk_status_t st = open_entry(path, 1, uri, sizeof uri, &h);
  if (st < 0) return libos_fail(st);
  /* Dk would delete a directory with everything in it; POSIX only deletes an empty one. */
  char entry[256];
  uint64_t n = sizeof entry;
  dk_status_t rs = DkStreamRead(h, 0, entry, &n);
  if (rs == -DK_E_OVERFLOW || (rs == 0 && n > 0)) {
    DkObjectClose(h);
    errno = ENOTEMPTY;
    return -1;
  }
  st = DkStreamDelete(h, DK_DELETE_ALL);
  DkObjectClose(h);
  return st < 0 ? libos_fail(st) : 0;
}

int rename(const char* from, const char* to) {
  char uri[DK_URI_MAX + 1];
  dk_handle_t h = 0;
  dk_status_t st = open_entry(from, 0, uri, sizeof uri, &h);
  if (st < 0) return libos_fail(st);
  char target[DK_URI_MAX + 1];
  if (libos_path_uri(st == 1 ? "dir:" : "file:", to, target, sizeof target) < 0) {
    DkObjectClose(h);
    return -1;
  }
  st = DkStreamChangeName(h, target);
  DkObjectClose(h);
  return st < 0 ? libos_fail(st) : 0;
}

int mkdir(const char* path, mode_t mode) {
  char uri[DK_URI_MAX + 1];
  if (libos_path_uri("dir:", path, uri, sizeof uri) < 0) return -1;
  dk_handle_t h = 0;
  dk_status_t st = DkStreamOpen(uri, DK_ACCESS_RDONLY, mode & 0777, DK_CREATE_ALWAYS, 0, &h);
  if (st < 0) return libos_fail(st);
  DkObjectClose(h);
  return 0;
}

static void fill_stat(const dk_stream_attr* a, struct stat* st) {
  memset(st, 0, sizeof *st);
  mode_t type = S_IFREG;
  switch (a->type) {
    case DK_STREAM_DIR:
      type = S_IFDIR;
      break;
    case DK_STREAM_PIPE:
      type = S_IFIFO;
      break;
    case DK_STREAM_SOCKET:
    case DK_STREAM_SERVER:
      type = S_IFSOCK;
      break;
    case DK_STREAM_DEVICE:
      type = S_IFCHR;
      break;
  }
  st->st_mode = type | (a->share & 0777);
  st->st_nlink = 1;
  st->st_size = (off_t)a->size;
  st->st_blksize = 4096;
  st->st_blocks = (blkcnt_t)((a->size + 511) / 512);
}

int stat(const char* path, struct stat* st) {
  char uri[DK_URI_MAX + 1];
  if (libos_path_uri("file:", path, uri, sizeof uri) < 0) return -1;
  dk_stream_attr a = {0};
  dk_status_t s = DkStreamAttributesQuery(uri, &a);
  if (s < 0) return libos_fail(s);
  fill_stat(&a, st);
  return 0;
}

int lstat(const char* path, struct stat* st) {
  return stat(path, st);
} /* no links in Dk */

int fstat(int fd, struct stat* st) {
  struct libos_ofd* o = libos_fd_get(fd);
  if (!o) return -1;
  dk_stream_attr a = {0};
  dk_status_t s = 0;
  if (o->handle)
    s = DkStreamAttributesQueryByHandle(o->handle, &a);
  else
    a.type = o->kind == LIBOS_FD_SOCKET ? DK_STREAM_SOCKET : DK_STREAM_DEVICE;
  libos_ofd_put(o);
  if (s < 0) return libos_fail(s);
  fill_stat(&a, st);
  return 0;
}

int fchmod(int fd, mode_t mode) {
  struct libos_ofd* o = libos_fd_get(fd);
  if (!o) return -1;
  dk_stream_attr a = {0};
  dk_status_t s = o->handle ? DkStreamAttributesQueryByHandle(o->handle, &a) : -DK_E_INVAL;
  if (s == 0) {
    a.share = mode & 0777;
    s = DkStreamAttributesSetByHandle(o->handle, &a);
  }
  libos_ofd_put(o);
  return s < 0 ? libos_fail(s) : 0;
}

int truncate(const char* path, off_t length) {
  int fd = open(path, O_WRONLY);
  if (fd < 0) return -1;
  int r = ftruncate(fd, length);
  int saved = errno;
  close(fd);
  errno = saved;
  return r;
}

int access(const char* path, int mode) {
  char uri[DK_URI_MAX + 1];
  if (libos_path_uri("file:", path, uri, sizeof uri) < 0) return -1;
  dk_stream_attr a = {0};
  dk_status_t s = DkStreamAttributesQuery(uri, &a);
  if (s < 0) return libos_fail(s);
  if (((mode & R_OK) && !a.readable) || ((mode & W_OK) && !a.writable) ||
      ((mode & X_OK) && !(a.share & 0111))) {
    errno = EACCES;
    return -1;
  }
  return 0;
}
