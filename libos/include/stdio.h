/* Standard I/O of the libos C library, on descriptors (unistd.h). stdin, stdout and stderr
 * are descriptors 0, 1 and 2, the boot info's stream handles (a missing one discards output
 * and reads as end of file); stdout is line-buffered, stderr unbuffered, fopen'ed files fully
 * buffered. Every FILE has a lock: calls from several threads do not interleave. */
#ifndef DK_LIBC_STDIO_H
#define DK_LIBC_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct dk_file FILE;

extern FILE* stdin;
extern FILE* stdout;
extern FILE* stderr;

#define EOF (-1)
#define BUFSIZ 1024
#define _IOFBF 0
#define _IOLBF 1
#define _IONBF 2
#ifndef SEEK_SET
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#endif

#define DK_PRINTF(f, a) __attribute__((format(printf, f, a)))

int printf(const char* restrict fmt, ...) DK_PRINTF(1, 2);
int fprintf(FILE* restrict f, const char* restrict fmt, ...) DK_PRINTF(2, 3);
int sprintf(char* restrict buf, const char* restrict fmt, ...) DK_PRINTF(2, 3);
int snprintf(char* restrict buf, size_t size, const char* restrict fmt, ...) DK_PRINTF(3, 4);
int vprintf(const char* restrict fmt, va_list ap) DK_PRINTF(1, 0);
int vfprintf(FILE* restrict f, const char* restrict fmt, va_list ap) DK_PRINTF(2, 0);
int vsprintf(char* restrict buf, const char* restrict fmt, va_list ap) DK_PRINTF(2, 0);
int vsnprintf(char* restrict buf, size_t size, const char* restrict fmt, va_list ap)
    DK_PRINTF(3, 0);
/* Straight to a descriptor, unbuffered. */
int dprintf(int fd, const char* restrict fmt, ...) DK_PRINTF(2, 3);
int vdprintf(int fd, const char* restrict fmt, va_list ap) DK_PRINTF(2, 0);

int fputc(int c, FILE* f);
int putc(int c, FILE* f);
int putchar(int c);
int fputs(const char* restrict s, FILE* restrict f);
int puts(const char* s);
size_t fwrite(const void* restrict ptr, size_t size, size_t count, FILE* restrict f);

int fgetc(FILE* f);
int getc(FILE* f);
int getchar(void);
char* fgets(char* restrict buf, int size, FILE* restrict f);
size_t fread(void* restrict ptr, size_t size, size_t count, FILE* restrict f);

int ungetc(int c, FILE* f); /* one character back into the read buffer */

/* Modes "r", "w", "a", each with "+", "b" ignored, "x" for O_EXCL. */
FILE* fopen(const char* restrict path, const char* restrict mode);
FILE* fdopen(int fd, const char* mode);
int fclose(FILE* f);
int fileno(FILE* f);
int fseek(FILE* f, long offset, int whence);
long ftell(FILE* f);
void rewind(FILE* f);
void perror(const char* prefix);
/* stdio.h's rename: a file or directory, within one writable mapping (DkStreamChangeName). */
int rename(const char* from, const char* to);

int fflush(FILE* f); /* NULL flushes every stream */
int setvbuf(FILE* restrict f, char* restrict buf, int mode, size_t size);
int ferror(FILE* f);
int feof(FILE* f);
void clearerr(FILE* f);

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_STDIO_H */
