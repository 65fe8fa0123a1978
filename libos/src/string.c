/* Memory and string functions. Plain byte loops, word-sized where it is free: clarity first,
 * and this file is compiled with -fno-tree-loop-distribute-patterns so gcc cannot turn
 * memset's loop back into a call to memset. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void* memcpy(void* restrict dst, const void* restrict src, size_t n) {
  unsigned char* d = dst;
  const unsigned char* s = src;
  if ((((uintptr_t)d | (uintptr_t)s) & 7) == 0) {
    for (; n >= 8; n -= 8, d += 8, s += 8) *(uint64_t*)d = *(const uint64_t*)s;
  }
  while (n--) *d++ = *s++;
  return dst;
}

void* memmove(void* dst, const void* src, size_t n) {
  unsigned char* d = dst;
  const unsigned char* s = src;
  if (d == s || n == 0) return dst;
  if (d < s || d >= s + n) return memcpy(dst, src, n);
  while (n--) d[n] = s[n]; /* overlapping with dst above src: copy backwards */
  return dst;
}

void* memset(void* dst, int c, size_t n) {
  unsigned char* d = dst;
  unsigned char b = (unsigned char)c;
  if (((uintptr_t)d & 7) == 0) {
    uint64_t w = 0x0101010101010101ull * b;
    for (; n >= 8; n -= 8, d += 8) *(uint64_t*)d = w;
  }
  while (n--) *d++ = b;
  return dst;
}

int memcmp(const void* a, const void* b, size_t n) {
  const unsigned char* x = a;
  const unsigned char* y = b;
  for (size_t i = 0; i < n; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

void* memchr(const void* s, int c, size_t n) {
  const unsigned char* p = s;
  for (size_t i = 0; i < n; i++)
    if (p[i] == (unsigned char)c) return (void*)(p + i);
  return NULL;
}

size_t strlen(const char* s) {
  const char* p = s;
  while (*p) p++;
  return (size_t)(p - s);
}

size_t strnlen(const char* s, size_t max) {
  size_t n = 0;
  while (n < max && s[n]) n++;
  return n;
}

int strcmp(const char* a, const char* b) {
  while (*a && *a == *b) a++, b++;
  return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char* a, const char* b, size_t n) {
  for (; n; n--, a++, b++) {
    if (*a != *b) return (unsigned char)*a - (unsigned char)*b;
    if (!*a) break;
  }
  return 0;
}

char* strchr(const char* s, int c) {
  for (;; s++) {
    if (*s == (char)c) return (char*)s;
    if (!*s) return NULL;
  }
}

char* strrchr(const char* s, int c) {
  const char* last = NULL;
  for (;; s++) {
    if (*s == (char)c) last = s;
    if (!*s) return (char*)last;
  }
}

char* strstr(const char* haystack, const char* needle) {
  size_t n = strlen(needle);
  for (; *haystack; haystack++)
    if (strncmp(haystack, needle, n) == 0) return (char*)haystack;
  return n == 0 ? (char*)haystack : NULL;
}

size_t strspn(const char* s, const char* accept) {
  size_t n = 0;
  while (s[n] && strchr(accept, s[n])) n++;
  return n;
}

size_t strcspn(const char* s, const char* reject) {
  size_t n = 0;
  while (s[n] && !strchr(reject, s[n])) n++;
  return n;
}

char* strcpy(char* restrict dst, const char* restrict src) {
  char* d = dst;
  while ((*d++ = *src++)) {
  }
  return dst;
}

char* strncpy(char* restrict dst, const char* restrict src, size_t n) {
  size_t i = 0;
  for (; i < n && src[i]; i++) dst[i] = src[i];
  for (; i < n; i++) dst[i] = '\0';
  return dst;
}

char* strcat(char* restrict dst, const char* restrict src) {
  strcpy(dst + strlen(dst), src);
  return dst;
}

char* strncat(char* restrict dst, const char* restrict src, size_t n) {
  char* d = dst + strlen(dst);
  size_t i = 0;
  for (; i < n && src[i]; i++) d[i] = src[i];
  d[i] = '\0';
  return dst;
}

char* strdup(const char* s) {
  return strndup(s, (size_t)-1);
}

char* strndup(const char* s, size_t n) {
  size_t len = strnlen(s, n);
  char* p = malloc(len + 1);
  if (!p) return NULL;
  memcpy(p, s, len);
  p[len] = '\0';
  return p;
}
