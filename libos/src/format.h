/* The printf engine shared by the string and stream printf functions: it formats into an
 * output callback and returns the number of characters the whole result has. */
#ifndef DK_LIBOS_FORMAT_H
#define DK_LIBOS_FORMAT_H

#include <stdarg.h>
#include <stddef.h>

typedef void (*libos_emit_fn)(void* sink, const char* s, size_t n);

int libos_vformat(libos_emit_fn emit, void* sink, const char* fmt, va_list ap);

#endif /* DK_LIBOS_FORMAT_H */
