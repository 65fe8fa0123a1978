/* printf formatting: %d %i %u %x %X %o %c %s %p %% with the flags - 0 + space #, width and
 * precision (numbers or *), and the hh h l ll z j t length modifiers. No floating point: the
 * libos does not use it, and an unknown conversion is copied out as written. */
#include "format.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct spec {
  int left, zero, plus, space, alt;
  int width;
  int prec; /* -1: none given */
};

struct out {
  libos_emit_fn emit;
  void* sink;
  int total;
};

static void put(struct out* o, const char* s, size_t n) {
  if (n == 0) return;
  o->emit(o->sink, s, n);
  o->total += (int)n;
}

static void pad(struct out* o, char c, int n) {
  char buf[32];
  memset(buf, c, sizeof buf);
  for (; n > 0; n -= (int)sizeof buf) put(o, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf);
}

/* Lays out [prefix][zeros][body] in the field, honouring -, 0 and width. */
static void field(struct out* o, const struct spec* sp, const char* prefix, int zeros,
                  const char* body, int body_len) {
  int plen = (int)strlen(prefix);
  int len = plen + zeros + body_len;
  int fill = sp->width > len ? sp->width - len : 0;
  if (!sp->left && !sp->zero) pad(o, ' ', fill);
  put(o, prefix, (size_t)plen);
  if (!sp->left && sp->zero) pad(o, '0', fill);
  pad(o, '0', zeros);
  put(o, body, (size_t)body_len);
  if (sp->left) pad(o, ' ', fill);
}

static void format_int(struct out* o, struct spec sp, uintmax_t v, int negative, int base,
                       int upper, int is_pointer) {
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char buf[24]; /* 22 octal digits for 64 bits */
  int n = 0;
  uintmax_t orig = v;
  while (v) {
    buf[sizeof buf - 1 - n++] = digits[v % (unsigned)base];
    v /= (unsigned)base;
  }
  /* C: precision 0 with value 0 prints no digits; otherwise a zero prints as "0". */
  if (orig == 0 && sp.prec != 0) buf[sizeof buf - 1 - n++] = '0';

  const char* prefix = "";
  if (negative)
    prefix = "-";
  else if (sp.plus)
    prefix = "+";
  else if (sp.space)
    prefix = " ";
  if (base == 16 && (is_pointer || (sp.alt && orig != 0))) prefix = upper ? "0X" : "0x";

  int zeros = sp.prec > n ? sp.prec - n : 0;
  if (base == 8 && sp.alt && zeros == 0 && (n == 0 || buf[sizeof buf - n] != '0')) zeros = 1;
  if (sp.prec >= 0) sp.zero = 0; /* C: a precision overrides the 0 flag for integers */
  field(o, &sp, prefix, zeros, buf + sizeof buf - n, n);
}

int libos_vformat(libos_emit_fn emit, void* sink, const char* fmt, va_list ap) {
  struct out o = {emit, sink, 0};
  va_list args;
  va_copy(args, ap);
  while (*fmt) {
    if (*fmt != '%') {
      const char* run = fmt;
      while (*fmt && *fmt != '%') fmt++;
      put(&o, run, (size_t)(fmt - run));
      continue;
    }
    const char* start = fmt++;
    struct spec sp = {0, 0, 0, 0, 0, 0, -1};
    for (;; fmt++) {
      if (*fmt == '-')
        sp.left = 1;
      else if (*fmt == '0')
        sp.zero = 1;
      else if (*fmt == '+')
        sp.plus = 1;
      else if (*fmt == ' ')
        sp.space = 1;
      else if (*fmt == '#')
        sp.alt = 1;
      else
        break;
    }
    if (*fmt == '*') {
      sp.width = va_arg(args, int);
      if (sp.width < 0) { /* C: a negative width is the - flag */
        sp.left = 1;
        sp.width = -sp.width;
      }
      fmt++;
    } else {
      while (*fmt >= '0' && *fmt <= '9') sp.width = sp.width * 10 + (*fmt++ - '0');
    }
    if (*fmt == '.') {
      fmt++;
      sp.prec = 0;
      if (*fmt == '*') {
        sp.prec = va_arg(args, int);
        if (sp.prec < 0) sp.prec = -1; /* C: a negative precision is none */
        fmt++;
      } else {
        while (*fmt >= '0' && *fmt <= '9') sp.prec = sp.prec * 10 + (*fmt++ - '0');
      }
    }
    if (sp.left) sp.zero = 0;

    enum {
      LEN_INT,
      LEN_CHAR,
      LEN_SHORT,
      LEN_LONG,
      LEN_LLONG,
      LEN_SIZE,
      LEN_MAX,
      LEN_PTRDIFF
    } len = LEN_INT;
    if (fmt[0] == 'h' && fmt[1] == 'h')
      len = LEN_CHAR, fmt += 2;
    else if (fmt[0] == 'h')
      len = LEN_SHORT, fmt++;
    else if (fmt[0] == 'l' && fmt[1] == 'l')
      len = LEN_LLONG, fmt += 2;
    else if (fmt[0] == 'l')
      len = LEN_LONG, fmt++;
    else if (fmt[0] == 'z')
      len = LEN_SIZE, fmt++;
    else if (fmt[0] == 'j')
      len = LEN_MAX, fmt++;
    else if (fmt[0] == 't')
      len = LEN_PTRDIFF, fmt++;

    char conv = *fmt;
    if (conv) fmt++;
    switch (conv) {
      case 'd':
      case 'i': {
        intmax_t v;
        switch (len) {
          case LEN_CHAR:
            v = (signed char)va_arg(args, int);
            break;
          case LEN_SHORT:
            v = (short)va_arg(args, int);
            break;
          case LEN_LONG:
            v = va_arg(args, long);
            break;
          case LEN_LLONG:
            v = va_arg(args, long long);
            break;
          case LEN_SIZE:
            v = va_arg(args, intptr_t);
            break; /* signed size_t */
          case LEN_MAX:
            v = va_arg(args, intmax_t);
            break;
          case LEN_PTRDIFF:
            v = va_arg(args, ptrdiff_t);
            break;
          default:
            v = va_arg(args, int);
            break;
        }
        uintmax_t mag = v < 0 ? 0 - (uintmax_t)v : (uintmax_t)v;
        format_int(&o, sp, mag, v < 0, 10, 0, 0);
        break;
      }
      case 'u':
      case 'x':
      case 'X':
      case 'o': {
        uintmax_t v;
        switch (len) {
          case LEN_CHAR:
            v = (unsigned char)va_arg(args, unsigned);
            break;
          case LEN_SHORT:
            v = (unsigned short)va_arg(args, unsigned);
            break;
          case LEN_LONG:
            v = va_arg(args, unsigned long);
            break;
          case LEN_LLONG:
            v = va_arg(args, unsigned long long);
            break;
          case LEN_SIZE:
            v = va_arg(args, size_t);
            break;
          case LEN_MAX:
            v = va_arg(args, uintmax_t);
            break;
          case LEN_PTRDIFF:
            v = (uintmax_t)va_arg(args, ptrdiff_t);
            break;
          default:
            v = va_arg(args, unsigned);
            break;
        }
        int base = conv == 'u' ? 10 : conv == 'o' ? 8 : 16;
        sp.plus = sp.space = 0; /* signs belong to signed conversions only */
        format_int(&o, sp, v, 0, base, conv == 'X', 0);
        break;
      }
      case 'p': {
        uintptr_t v = (uintptr_t)va_arg(args, void*);
        sp.plus = sp.space = 0;
        format_int(&o, sp, v, 0, 16, 0, 1);
        break;
      }
      case 'c': {
        char c = (char)va_arg(args, int);
        sp.zero = 0;
        field(&o, &sp, "", 0, &c, 1);
        break;
      }
      case 's': {
        const char* s = va_arg(args, const char*);
        if (!s) s = "(null)";
        size_t n = sp.prec >= 0 ? strnlen(s, (size_t)sp.prec) : strlen(s);
        sp.zero = 0;
        field(&o, &sp, "", 0, s, (int)n);
        break;
      }
      case '%':
        put(&o, "%", 1);
        break;
      default:
        put(&o, start, (size_t)(fmt - start));
        break;
    }
  }
  va_end(args);
  return o.total;
}
