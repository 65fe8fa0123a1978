/* General utilities of the libos C library: the heap (on DkVirtualMemoryAllocate), number
 * parsing, the environment from the boot info, and process exit (DkProcessExit). */
#ifndef DK_LIBC_STDLIB_H
#define DK_LIBC_STDLIB_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

void* malloc(size_t size);
void* calloc(size_t count, size_t size);
void* realloc(void* ptr, size_t size);
void free(void* ptr);

long strtol(const char* restrict s, char** restrict end, int base);
long long strtoll(const char* restrict s, char** restrict end, int base);
unsigned long strtoul(const char* restrict s, char** restrict end, int base);
unsigned long long strtoull(const char* restrict s, char** restrict end, int base);
int atoi(const char* s);
long atol(const char* s);
long long atoll(const char* s);
int abs(int v);
long labs(long v);
long long llabs(long long v);

void qsort(void* base, size_t count, size_t size, int (*cmp)(const void*, const void*));

char* getenv(const char* name);

int atexit(void (*fn)(void));
__attribute__((noreturn)) void exit(int status);
__attribute__((noreturn)) void _Exit(int status);
__attribute__((noreturn)) void abort(void);

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_STDLIB_H */
