/* opendir/readdir on "dir:" streams. DkStreamRead at entry index k returns as many whole
 * NUL-terminated names from k on as fit, so a DIR keeps one buffer of names and the index
 * of the first one in it, and refills from the index after the last. */
#include <dirent.h>
#include <dk/dkcalls.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libos_internal.h"

struct dk_dir {
  dk_handle_t handle;
  uint64_t next_index; /* entry index of the name at pos */
  size_t pos, len;
  int end;
  struct dirent entry;
  char buf[4096];
};

DIR* opendir(const char* path) {
  char uri[DK_URI_MAX + 1];
  if (libos_path_uri("dir:", path, uri, sizeof uri) < 0) return NULL;
  dk_handle_t h = 0;
  dk_status_t st = DkStreamOpen(uri, DK_ACCESS_RDONLY, 0, DK_CREATE_NEVER, 0, &h);
  if (st < 0) {
    libos_fail(st);
    return NULL;
  }
  DIR* d = calloc(1, sizeof *d);
  if (!d) {
    DkObjectClose(h);
    errno = ENOMEM;
    return NULL;
  }
  d->handle = h;
  return d;
}

struct dirent* readdir(DIR* d) {
  if (d->pos == d->len) {
    if (d->end) return NULL;
    uint64_t n = sizeof d->buf;
    dk_status_t st = DkStreamRead(d->handle, d->next_index, d->buf, &n);
    if (st < 0) {
      /* OVERFLOW: a name longer than the buffer, which no dirent could hold either. */
      libos_fail(st == -DK_E_OVERFLOW ? -DK_E_NAMETOOLONG : st);
      return NULL;
    }
    if (n == 0 || n > sizeof d->buf) {
      d->end = 1;
      return NULL;
    }
    d->pos = 0;
    d->len = (size_t)n;
  }
  const char* name = d->buf + d->pos;
  size_t len = strnlen(name, d->len - d->pos);
  d->pos += len + 1;
  if (d->pos > d->len) d->pos = d->len; /* a last name without its NUL */
  if (len >= sizeof d->entry.d_name) len = sizeof d->entry.d_name - 1;
  memcpy(d->entry.d_name, name, len);
  d->entry.d_name[len] = '\0';
  d->next_index++;
  d->entry.d_ino = d->next_index;
  d->entry.d_off = (off_t)d->next_index;
  d->entry.d_reclen = sizeof d->entry;
  d->entry.d_type = DT_UNKNOWN;
  return &d->entry;
}

void rewinddir(DIR* d) {
  d->next_index = 0;
  d->pos = d->len = 0;
  d->end = 0;
}

int closedir(DIR* d) {
  dk_status_t st = DkObjectClose(d->handle);
  free(d);
  return st < 0 ? libos_fail(st) : 0;
}
