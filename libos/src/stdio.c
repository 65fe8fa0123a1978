/* stdio on descriptors: stdin, stdout and stderr are FILEs on descriptors 0, 1 and 2 (the
 * boot info's handles), fopen makes FILEs on files it opens. Output is buffered per FILE
 * (stdout by line, stderr not at all, files fully); each FILE has a lock, so lines printed
 * by different threads do not mix. A FILE both read and written drops its read-ahead (and
 * moves the descriptor back over it) before it writes, and writes out its buffer before it
 * reads, so the descriptor's offset always matches what the program saw. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "libos_internal.h"

struct dk_file {
  int fd;
  int mode; /* _IOFBF, _IOLBF, _IONBF */
  int readable, writable;
  int error, eof;
  int heap; /* made by fopen: fclose frees it */
  pthread_mutex_t lock;
  size_t wlen; /* bytes waiting in wbuf */
  size_t rpos, rlen;
  struct dk_file* next; /* every open FILE, for fflush(NULL) */
  unsigned char wbuf[BUFSIZ];
  unsigned char rbuf[BUFSIZ];
};

static FILE files[3];
FILE* stdin = &files[0];
FILE* stdout = &files[1];
FILE* stderr = &files[2];

static libos_lock_t list_lock = LIBOS_LOCK_INIT;
static FILE* open_files;

static void list_add(FILE* f) {
  libos_lock(&list_lock);
  f->next = open_files;
  open_files = f;
  libos_unlock(&list_lock);
}

void libos_stdio_init(void) {
  files[0] = (FILE){.fd = 0, .mode = _IOLBF, .readable = 1};
  files[1] = (FILE){.fd = 1, .mode = _IOLBF, .writable = 1};
  files[2] = (FILE){.fd = 2, .mode = _IONBF, .writable = 1};
  for (int i = 2; i >= 0; i--) list_add(&files[i]);
}

void libos_stdio_flush_all(void) {
  fflush(NULL);
}

/* Writes all of buf or fails. A descriptor may take less than asked (a full pipe); EAGAIN on
 * a nonblocking one is waited out by yielding, since stdio has no way to report it. */
static int fd_write_all(FILE* f, const void* buf, size_t n) {
  const unsigned char* p = buf;
  while (n > 0) {
    ssize_t k = write(f->fd, p, n);
    if (k < 0 && errno == EAGAIN) {
      sched_yield();
      continue;
    }
    if (k <= 0 || (size_t)k > n) {
      f->error = 1;
      return EOF;
    }
    p += k;
    n -= (size_t)k;
  }
  return 0;
}

static int flush_locked(FILE* f) {
  size_t n = f->wlen;
  f->wlen = 0;
  return n ? fd_write_all(f, f->wbuf, n) : 0;
}

/* Before writing to a file: give back read-ahead so the descriptor's offset is where the
 * program is. On a stream (a pipe, a socket) the two directions are independent and what
 * was read ahead stays readable. */
static void drop_readahead(FILE* f) {
  if (f->rpos < f->rlen && lseek(f->fd, -(off_t)(f->rlen - f->rpos), SEEK_CUR) < 0) return;
  f->rpos = f->rlen = 0;
}

/* The one path every output function takes. */
static int file_put(FILE* f, const char* s, size_t n) {
  if (!f->writable) {
    f->error = 1;
    errno = EBADF;
    return EOF;
  }
  drop_readahead(f);
  if (f->mode == _IONBF) return flush_locked(f) == EOF ? EOF : fd_write_all(f, s, n);
  if (n >= sizeof f->wbuf - f->wlen) {
    /* Does not fit: empty the buffer, and send a large write on its own. */
    if (flush_locked(f) == EOF) return EOF;
    if (n >= sizeof f->wbuf) return fd_write_all(f, s, n);
  }
  memcpy(f->wbuf + f->wlen, s, n);
  f->wlen += n;
  if (f->mode == _IOLBF && memchr(s, '\n', n)) return flush_locked(f);
  return 0;
}

int fflush(FILE* f) {
  if (!f) {
    int r = 0;
    libos_lock(&list_lock);
    /* A FILE with nothing to write is not locked: a thread blocked reading it (stdin) holds
     * its lock, and exit() must not wait for that read. */
    for (FILE* g = open_files; g; g = g->next)
      if (__atomic_load_n(&g->wlen, __ATOMIC_RELAXED) && fflush(g) == EOF) r = EOF;
    libos_unlock(&list_lock);
    return r;
  }
  pthread_mutex_lock(&f->lock);
  int r = flush_locked(f);
  pthread_mutex_unlock(&f->lock);
  return r;
}

static void emit_file(void* sink, const char* s, size_t n) {
  file_put(sink, s, n);
}

int vfprintf(FILE* restrict f, const char* restrict fmt, va_list ap) {
  pthread_mutex_lock(&f->lock);
  int err_before = f->error;
  f->error = 0;
  int n = libos_vformat(emit_file, f, fmt, ap);
  int failed = f->error;
  f->error |= err_before;
  pthread_mutex_unlock(&f->lock);
  return failed ? -1 : n;
}

int fprintf(FILE* restrict f, const char* restrict fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(f, fmt, ap);
  va_end(ap);
  return n;
}

struct fd_sink {
  int fd;
  int failed;
};

static void emit_fd(void* sink, const char* s, size_t n) {
  struct fd_sink* fs = sink;
  while (n > 0 && !fs->failed) {
    ssize_t k = write(fs->fd, s, n);
    if (k < 0 && errno == EAGAIN) {
      sched_yield();
      continue;
    }
    if (k <= 0) {
      fs->failed = 1;
      return;
    }
    s += k;
    n -= (size_t)k;
  }
}

int vdprintf(int fd, const char* restrict fmt, va_list ap) {
  /* Unbuffered: a line goes out in as many writes as the format has pieces, so format into
   * a buffer first when it fits, to keep one message one write. */
  char buf[512];
  va_list copy;
  va_copy(copy, ap);
  int n = vsnprintf(buf, sizeof buf, fmt, copy);
  va_end(copy);
  struct fd_sink fs = {fd, 0};
  if (n >= 0 && (size_t)n < sizeof buf)
    emit_fd(&fs, buf, (size_t)n);
  else
    n = libos_vformat(emit_fd, &fs, fmt, ap);
  return fs.failed ? -1 : n;
}

int dprintf(int fd, const char* restrict fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vdprintf(fd, fmt, ap);
  va_end(ap);
  return n;
}

int vprintf(const char* restrict fmt, va_list ap) {
  return vfprintf(stdout, fmt, ap);
}

int printf(const char* restrict fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(stdout, fmt, ap);
  va_end(ap);
  return n;
}

struct string_sink {
  char* buf;
  size_t size; /* room including the NUL */
  size_t len;  /* characters stored so far */
};

static void emit_string(void* sink, const char* s, size_t n) {
  struct string_sink* ss = sink;
  if (ss->size == 0) return;
  size_t room = ss->size - 1 - ss->len;
  size_t k = n < room ? n : room;
  memcpy(ss->buf + ss->len, s, k);
  ss->len += k;
}

int vsnprintf(char* restrict buf, size_t size, const char* restrict fmt, va_list ap) {
  struct string_sink ss = {buf, size, 0};
  int n = libos_vformat(emit_string, &ss, fmt, ap);
  if (size) buf[ss.len] = '\0';
  return n;
}

int vsprintf(char* restrict buf, const char* restrict fmt, va_list ap) {
  return vsnprintf(buf, SIZE_MAX, fmt, ap);
}

int snprintf(char* restrict buf, size_t size, const char* restrict fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}

int sprintf(char* restrict buf, const char* restrict fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, SIZE_MAX, fmt, ap);
  va_end(ap);
  return n;
}

static int put_locked(FILE* f, const void* s, size_t n) {
  pthread_mutex_lock(&f->lock);
  int r = file_put(f, s, n);
  pthread_mutex_unlock(&f->lock);
  return r;
}

int fputc(int c, FILE* f) {
  char ch = (char)c;
  return put_locked(f, &ch, 1) == EOF ? EOF : (unsigned char)ch;
}

int putc(int c, FILE* f) {
  return fputc(c, f);
}
int putchar(int c) {
  return fputc(c, stdout);
}

int fputs(const char* restrict s, FILE* restrict f) {
  return put_locked(f, s, strlen(s)) == EOF ? EOF : 0;
}

int puts(const char* s) {
  pthread_mutex_lock(&stdout->lock);
  int r = file_put(stdout, s, strlen(s));
  if (r != EOF) r = file_put(stdout, "\n", 1);
  pthread_mutex_unlock(&stdout->lock);
  return r == EOF ? EOF : 0;
}

size_t fwrite(const void* restrict ptr, size_t size, size_t count, FILE* restrict f) {
  if (size == 0 || count == 0) return 0;
  if (count > SIZE_MAX / size) return 0;
  return put_locked(f, ptr, size * count) == EOF ? 0 : count;
}

/* Refills the read buffer; returns 0 at end of file or on error (with the flag set). */
static size_t refill(FILE* f) {
  if (!f->readable) {
    f->error = 1;
    errno = EBADF;
    return 0;
  }
  if (flush_locked(f) == EOF) return 0;
  /* Reading stdin usually means waiting for a person who should see the prompt first. */
  if (f == stdin) fflush(stdout);
  for (;;) {
    ssize_t k = read(f->fd, f->rbuf, sizeof f->rbuf);
    if (k < 0 && errno == EAGAIN) {
      sched_yield();
      continue;
    }
    if (k < 0 || (size_t)k > sizeof f->rbuf) {
      f->error = 1;
      return 0;
    }
    if (k == 0) f->eof = 1;
    f->rpos = 0;
    f->rlen = (size_t)k;
    return (size_t)k;
  }
}

static int getc_locked(FILE* f) {
  if (f->rpos == f->rlen && refill(f) == 0) return EOF;
  return f->rbuf[f->rpos++];
}

int fgetc(FILE* f) {
  pthread_mutex_lock(&f->lock);
  int c = getc_locked(f);
  pthread_mutex_unlock(&f->lock);
  return c;
}

int getc(FILE* f) {
  return fgetc(f);
}
int getchar(void) {
  return fgetc(stdin);
}

int ungetc(int c, FILE* f) {
  if (c == EOF) return EOF;
  pthread_mutex_lock(&f->lock);
  int r = EOF;
  if (f->rpos > 0) {
    f->rbuf[--f->rpos] = (unsigned char)c;
    r = (unsigned char)c;
  } else if (f->rlen == 0) {
    f->rbuf[0] = (unsigned char)c;
    f->rlen = 1;
    r = (unsigned char)c;
  }
  if (r != EOF) f->eof = 0;
  pthread_mutex_unlock(&f->lock);
  return r;
}

char* fgets(char* restrict buf, int size, FILE* restrict f) {
  if (size <= 0) return NULL;
  pthread_mutex_lock(&f->lock);
  int n = 0;
  while (n < size - 1) {
    int c = getc_locked(f);
    if (c == EOF) break;
    buf[n++] = (char)c;
    if (c == '\n') break;
  }
  pthread_mutex_unlock(&f->lock);
  if (n == 0) return NULL;
  buf[n] = '\0';
  return buf;
}

size_t fread(void* restrict ptr, size_t size, size_t count, FILE* restrict f) {
  if (size == 0 || count == 0 || count > SIZE_MAX / size) return 0;
  unsigned char* p = ptr;
  size_t want = size * count, got = 0;
  pthread_mutex_lock(&f->lock);
  while (got < want) {
    if (f->rpos == f->rlen && refill(f) == 0) break;
    size_t k = f->rlen - f->rpos;
    if (k > want - got) k = want - got;
    memcpy(p + got, f->rbuf + f->rpos, k);
    f->rpos += k;
    got += k;
  }
  pthread_mutex_unlock(&f->lock);
  return got / size;
}

int setvbuf(FILE* restrict f, char* restrict buf, int mode, size_t size) {
  (void)buf; /* the FILE's own buffer is always used */
  (void)size;
  if (mode != _IOFBF && mode != _IOLBF && mode != _IONBF) return -1;
  pthread_mutex_lock(&f->lock);
  int r = flush_locked(f) == EOF ? -1 : 0;
  if (r == 0) f->mode = mode;
  pthread_mutex_unlock(&f->lock);
  return r;
}

int ferror(FILE* f) {
  return f->error;
}
int feof(FILE* f) {
  return f->eof;
}
void clearerr(FILE* f) {
  f->error = f->eof = 0;
}
int fileno(FILE* f) {
  return f->fd;
}

/* "r", "w", "a", each with an optional "+", and "b" / "x" anywhere after the first letter. */
static int parse_mode(const char* mode, int* flags) {
  int plus = strchr(mode, '+') != NULL;
  switch (mode[0]) {
    case 'r':
      *flags = plus ? O_RDWR : O_RDONLY;
      break;
    case 'w':
      *flags = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC;
      break;
    case 'a':
      *flags = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND;
      break;
    default:
      return -1;
  }
  if (strchr(mode, 'x') && mode[0] != 'r') *flags |= O_EXCL;
  return 0;
}

static FILE* file_new(int fd, int flags) {
  FILE* f = calloc(1, sizeof *f);
  if (!f) {
    errno = ENOMEM;
    return NULL;
  }
  f->fd = fd;
  f->mode = _IOFBF;
  f->heap = 1;
  int acc = flags & O_ACCMODE;
  f->readable = acc != O_WRONLY;
  f->writable = acc != O_RDONLY;
  list_add(f);
  return f;
}

FILE* fopen(const char* restrict path, const char* restrict mode) {
  int flags;
  if (parse_mode(mode, &flags) < 0) {
    errno = EINVAL;
    return NULL;
  }
  int fd = open(path, flags, 0666);
  if (fd < 0) return NULL;
  FILE* f = file_new(fd, flags);
  if (!f) close(fd);
  return f;
}

FILE* fdopen(int fd, const char* mode) {
  int flags;
  if (parse_mode(mode, &flags) < 0) {
    errno = EINVAL;
    return NULL;
  }
  if (fcntl(fd, F_GETFL) < 0) return NULL;
  return file_new(fd, flags);
}

int fclose(FILE* f) {
  int r = fflush(f);
  libos_lock(&list_lock);
  for (FILE** link = &open_files; *link; link = &(*link)->next) {
    if (*link == f) {
      *link = f->next;
      break;
    }
  }
  libos_unlock(&list_lock);
  if (close(f->fd) < 0) r = EOF;
  pthread_mutex_destroy(&f->lock);
  if (f->heap) free(f);
  return r;
}

int fseek(FILE* f, long offset, int whence) {
  pthread_mutex_lock(&f->lock);
  int r = flush_locked(f) == EOF ? -1 : 0;
  if (r == 0) {
    if (whence == SEEK_CUR) offset -= (long)(f->rlen - f->rpos); /* the program is behind */
    f->rpos = f->rlen = 0;
    if (lseek(f->fd, offset, whence) < 0)
      r = -1;
    else
      f->eof = 0;
  }
  pthread_mutex_unlock(&f->lock);
  return r;
}

long ftell(FILE* f) {
  pthread_mutex_lock(&f->lock);
  off_t at = lseek(f->fd, 0, SEEK_CUR);
  if (at >= 0) at = at - (off_t)(f->rlen - f->rpos) + (off_t)f->wlen;
  pthread_mutex_unlock(&f->lock);
  return (long)at;
}

void rewind(FILE* f) {
  fseek(f, 0, SEEK_SET);
  clearerr(f);
}
