/* strtol and friends, all on one unsigned parser: C's rules for whitespace, sign, base 0/8/16
 * prefixes and out-of-range values (clamped, errno = ERANGE). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

static int digit_value(int c) {
  if (isdigit(c)) return c - '0';
  if (islower(c)) return c - 'a' + 10;
  if (isupper(c)) return c - 'A' + 10;
  return 99;
}

/* Parses the magnitude; *neg says whether a '-' came first. Sets *overflow when the value
 * does not fit in 64 bits. */
static unsigned long long parse(const char* s, char** end, int base, int* neg, int* overflow) {
  const char* p = s;
  *neg = 0;
  *overflow = 0;
  if (base < 0 || base == 1 || base > 36) {
    errno = EINVAL;
    if (end) *end = (char*)s;
    return 0;
  }
  while (isspace((unsigned char)*p)) p++;
  if (*p == '+' || *p == '-') *neg = *p++ == '-';
  if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
      digit_value((unsigned char)p[2]) < 16) {
    p += 2;
    base = 16;
  } else if (base == 0) {
    base = p[0] == '0' ? 8 : 10;
  }
  const char* digits = p;
  unsigned long long v = 0;
  for (int d; (d = digit_value((unsigned char)*p)) < base; p++) {
    if (v > (ULLONG_MAX - (unsigned)d) / (unsigned)base) *overflow = 1;
    v = v * (unsigned)base + (unsigned)d;
  }
  if (end) *end = (char*)(p == digits ? s : p); /* no digits: nothing was converted */
  return v;
}

unsigned long long strtoull(const char* restrict s, char** restrict end, int base) {
  int neg, overflow;
  unsigned long long v = parse(s, end, base, &neg, &overflow);
  if (overflow) {
    errno = ERANGE;
    return ULLONG_MAX;
  }
  return neg ? -v : v; /* as C says: the negation is done in the unsigned type */
}

unsigned long strtoul(const char* restrict s, char** restrict end, int base) {
  return strtoull(s, end, base); /* long is 64 bits on x86-64 */
}

long long strtoll(const char* restrict s, char** restrict end, int base) {
  int neg, overflow;
  unsigned long long v = parse(s, end, base, &neg, &overflow);
  unsigned long long limit = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
  if (overflow || v > limit) {
    errno = ERANGE;
    return neg ? LLONG_MIN : LLONG_MAX;
  }
  return neg ? (long long)(0 - v) : (long long)v;
}

long strtol(const char* restrict s, char** restrict end, int base) {
  return strtoll(s, end, base);
}

int atoi(const char* s) {
  return (int)strtol(s, NULL, 10);
}
long atol(const char* s) {
  return strtol(s, NULL, 10);
}
long long atoll(const char* s) {
  return strtoll(s, NULL, 10);
}
