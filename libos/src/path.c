/* Paths to URIs. Dk has no working directory, so the libos keeps one; every path is made
 * absolute against it and normalised ("." and ".." folded, repeated slashes dropped) before
 * the scheme goes in front, so the host sees one spelling per file. */
#include <dk/dkcalls.h>
#include <dk/posix.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "libos_internal.h"

static libos_lock_t cwd_lock = LIBOS_LOCK_INIT;
static char cwd[DK_URI_MAX + 1] = "/";

int libos_has_scheme(const char* path) {
  /* RFC 3986: a letter, then letters, digits, '+', '-', '.', then ':'. */
  if (!((*path >= 'a' && *path <= 'z') || (*path >= 'A' && *path <= 'Z'))) return 0;
  for (const char* p = path + 1; *p; p++) {
    if (*p == ':') return 1;
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '+' || *p == '-' || *p == '.'))
      return 0;
  }
  return 0;
}

/* Folds an absolute path in place. */
static void normalise(char* path) {
  char* out = path; /* path[0] is '/' */
  const char* in = path;
  while (*in) {
    while (*in == '/') in++;
    if (!*in) break;
    const char* end = in;
    while (*end && *end != '/') end++;
    size_t n = (size_t)(end - in);
    if (n == 1 && in[0] == '.') {
      /* nothing */
    } else if (n == 2 && in[0] == '.' && in[1] == '.') {
      while (out > path && *--out != '/') {
      }
    } else {
      *out++ = '/';
      memmove(out, in, n);
      out += n;
    }
    in = end;
  }
  if (out == path) *out++ = '/';
  *out = '\0';
}

int libos_path_uri(const char* scheme, const char* path, char* out, size_t size) {
  if (!path || !*path) {
    errno = ENOENT;
    return -1;
  }
  if (libos_has_scheme(path)) {
    size_t n = strlen(path);
    if (n + 1 > size) goto too_long;
    memcpy(out, path, n + 1);
    return (int)n;
  }
  size_t sl = strlen(scheme);
  if (sl + 2 > size) goto too_long;
  memcpy(out, scheme, sl);
  char* p = out + sl;
  size_t room = size - sl;
  size_t pl = strlen(path);
  if (path[0] == '/') {
    if (pl + 1 > room) goto too_long;
    memcpy(p, path, pl + 1);
  } else {
    libos_lock(&cwd_lock);
    size_t cl = strlen(cwd);
    int fits = cl + 1 + pl + 1 <= room;
    if (fits) {
      memcpy(p, cwd, cl);
      p[cl] = '/';
      memcpy(p + cl + 1, path, pl + 1);
    }
    libos_unlock(&cwd_lock);
    if (!fits) goto too_long;
  }
  normalise(p);
  return (int)strlen(out);
too_long:
  errno = ENAMETOOLONG;
  return -1;
}

int dk_path_uri(const char* scheme, const char* path, char* out, size_t size) {
  return libos_path_uri(scheme, path, out, size);
}

int chdir(const char* path) {
  char uri[DK_URI_MAX + 1];
  if (libos_has_scheme(path)) {
    errno = ENOENT;
    return -1;
  }
  if (libos_path_uri("dir:", path, uri, sizeof uri) < 0) return -1;
  dk_stream_attr a = {0};
  dk_status_t st = DkStreamAttributesQuery(uri, &a);
  if (st < 0) return libos_fail(st);
  if (a.type != DK_STREAM_DIR) {
    errno = ENOTDIR;
    return -1;
  }
  libos_lock(&cwd_lock);
  strcpy(cwd, uri + 4); /* after "dir:" */
  libos_unlock(&cwd_lock);
  return 0;
}

char* getcwd(char* buf, size_t size) {
  libos_lock(&cwd_lock);
  size_t n = strlen(cwd);
  char* r = NULL;
  if (n + 1 > size)
    errno = ERANGE;
  else
    r = memcpy(buf, cwd, n + 1);
  libos_unlock(&cwd_lock);
  return r;
}
