/* stdio on Dk streams: three static FILEs over the boot info's handles. Output is buffered
 * per FILE (stdout by line, stderr not at all) and written with DkStreamWrite at offset 0;
 * handle 0 means "none": output is dropped and input is at end of file. */
#include <dk/dkcalls.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "libos_internal.h"

struct dk_file {
  dk_handle_t handle;
  int mode; /* _IOFBF, _IOLBF, _IONBF */
  int error, eof;
  size_t wlen; /* bytes waiting in wbuf */
  size_t rpos, rlen;
  unsigned char wbuf[BUFSIZ];
  unsigned char rbuf[BUFSIZ];
};

static FILE files[3];
FILE* stdin = &files[0];
FILE* stdout = &files[1];
FILE* stderr = &files[2];

void libos_stdio_init(dk_handle_t in, dk_handle_t out, dk_handle_t err) {
  files[0] = (FILE){.handle = in, .mode = _IOLBF};
  files[1] = (FILE){.handle = out, .mode = _IOLBF};
  files[2] = (FILE){.handle = err, .mode = _IONBF};
}

void libos_stdio_flush_all(void) { fflush(NULL); }

/* Writes all of buf or fails. A host may write less than asked (a full pipe); AGAIN on a
 * nonblocking stream is waited out by yielding, since stdio has no way to report it. */
static int stream_write(FILE* f, const void* buf, size_t n) {
  const unsigned char* p = buf;
  if (f->handle == 0) return 0;
  while (n > 0) {
    uint64_t count = n;
    dk_status_t st = DkStreamWrite(f->handle, 0, p, &count);
    if (st == -DK_E_AGAIN) {
      DkThreadYieldExecution();
      continue;
    }
    if (st < 0 || count == 0 || count > n) {
      f->error = 1;
      return EOF;
    }
    p += count;
    n -= count;
  }
  return 0;
}

int fflush(FILE* f) {
  if (!f) {
    int r = 0;
    for (int i = 0; i < 3; i++)
      if (fflush(&files[i]) == EOF) r = EOF;
    return r;
  }
  size_t n = f->wlen;
  f->wlen = 0;
  return n ? stream_write(f, f->wbuf, n) : 0;
}

/* The one path every output function takes. */
static int file_put(FILE* f, const char* s, size_t n) {
  if (f->mode == _IONBF) return fflush(f) == EOF ? EOF : stream_write(f, s, n);
  if (n >= sizeof f->wbuf - f->wlen) {
    /* Does not fit: empty the buffer, and send a large write on its own. */
    if (fflush(f) == EOF) return EOF;
    if (n >= sizeof f->wbuf) return stream_write(f, s, n);
  }
  memcpy(f->wbuf + f->wlen, s, n);
  f->wlen += n;
  if (f->mode == _IOLBF && memchr(s, '\n', n)) return fflush(f);
  return 0;
}

static void emit_file(void* sink, const char* s, size_t n) { file_put(sink, s, n); }

int vfprintf(FILE* restrict f, const char* restrict fmt, va_list ap) {
  int err_before = f->error;
  f->error = 0;
  int n = libos_vformat(emit_file, f, fmt, ap);
  int failed = f->error;
  f->error |= err_before;
  return failed ? -1 : n;
}

int fprintf(FILE* restrict f, const char* restrict fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vfprintf(f, fmt, ap);
  va_end(ap);
  return n;
}

int vprintf(const char* restrict fmt, va_list ap) { return vfprintf(stdout, fmt, ap); }

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

int fputc(int c, FILE* f) {
  char ch = (char)c;
  return file_put(f, &ch, 1) == EOF ? EOF : (unsigned char)ch;
}

int putc(int c, FILE* f) { return fputc(c, f); }
int putchar(int c) { return fputc(c, stdout); }

int fputs(const char* restrict s, FILE* restrict f) {
  return file_put(f, s, strlen(s)) == EOF ? EOF : 0;
}

int puts(const char* s) {
  if (file_put(stdout, s, strlen(s)) == EOF) return EOF;
  return file_put(stdout, "\n", 1) == EOF ? EOF : 0;
}

size_t fwrite(const void* restrict ptr, size_t size, size_t count, FILE* restrict f) {
  if (size == 0 || count == 0) return 0;
  if (count > SIZE_MAX / size) return 0;
  return file_put(f, ptr, size * count) == EOF ? 0 : count;
}

/* Refills the read buffer; returns 0 at end of file or on error (with the flag set). */
static size_t refill(FILE* f) {
  if (f->handle == 0) {
    f->eof = 1;
    return 0;
  }
  /* Reading stdin usually means waiting for a person who should see the prompt first. */
  if (f == stdin) fflush(stdout);
  for (;;) {
    uint64_t count = sizeof f->rbuf;
    dk_status_t st = DkStreamRead(f->handle, 0, f->rbuf, &count);
    if (st == -DK_E_AGAIN) {
      DkThreadYieldExecution();
      continue;
    }
    if (st < 0 || count > sizeof f->rbuf) {
      f->error = 1;
      return 0;
    }
    if (count == 0) f->eof = 1;
    f->rpos = 0;
    f->rlen = count;
    return count;
  }
}

int fgetc(FILE* f) {
  if (f->rpos == f->rlen && refill(f) == 0) return EOF;
  return f->rbuf[f->rpos++];
}

int getc(FILE* f) { return fgetc(f); }
int getchar(void) { return fgetc(stdin); }

char* fgets(char* restrict buf, int size, FILE* restrict f) {
  if (size <= 0) return NULL;
  int n = 0;
  while (n < size - 1) {
    int c = fgetc(f);
    if (c == EOF) break;
    buf[n++] = (char)c;
    if (c == '\n') break;
  }
  if (n == 0) return NULL;
  buf[n] = '\0';
  return buf;
}

size_t fread(void* restrict ptr, size_t size, size_t count, FILE* restrict f) {
  if (size == 0 || count == 0 || count > SIZE_MAX / size) return 0;
  unsigned char* p = ptr;
  size_t want = size * count, got = 0;
  while (got < want) {
    if (f->rpos == f->rlen && refill(f) == 0) break;
    size_t k = f->rlen - f->rpos;
    if (k > want - got) k = want - got;
    memcpy(p + got, f->rbuf + f->rpos, k);
    f->rpos += k;
    got += k;
  }
  return got / size;
}

int setvbuf(FILE* restrict f, char* restrict buf, int mode, size_t size) {
  (void)buf; /* the FILE's own buffer is always used */
  (void)size;
  if (mode != _IOFBF && mode != _IOLBF && mode != _IONBF) return -1;
  if (fflush(f) == EOF) return -1;
  f->mode = mode;
  return 0;
}

int ferror(FILE* f) { return f->error; }
int feof(FILE* f) { return f->eof; }
void clearerr(FILE* f) { f->error = f->eof = 0; }
