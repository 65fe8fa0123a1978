/* Dotted-quad IPv4 addresses to and from text. */
#ifndef DK_LIBC_ARPA_INET_H
#define DK_LIBC_ARPA_INET_H

#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

in_addr_t inet_addr(const char* text); /* INADDR_NONE if malformed */
int inet_aton(const char* text, struct in_addr* out);
/* Into a static buffer, as in C libraries (not thread-safe; use inet_ntop). */
char* inet_ntoa(struct in_addr addr);
int inet_pton(int af, const char* restrict text, void* restrict out);
const char* inet_ntop(int af, const void* restrict src, char* restrict dst, socklen_t size);

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_ARPA_INET_H */
