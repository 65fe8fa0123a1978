/* Dotted-quad IPv4 text. */
#include <arpa/inet.h>
#include <stdio.h>

static int parse_quad(const char* s, uint32_t* out) {
  uint32_t v = 0;
  for (int part = 0; part < 4; part++) {
    if (*s < '0' || *s > '9') return 0;
    unsigned n = 0;
    int digits = 0;
    while (*s >= '0' && *s <= '9') {
      n = n * 10 + (unsigned)(*s++ - '0');
      if (++digits > 3 || n > 255) return 0;
    }
    v = (v << 8) | n;
    if (part < 3 && *s++ != '.') return 0;
  }
  if (*s) return 0;
  *out = v;
  return 1;
}

in_addr_t inet_addr(const char* text) {
  uint32_t v;
  return parse_quad(text, &v) ? htonl(v) : INADDR_NONE;
}

int inet_aton(const char* text, struct in_addr* out) {
  uint32_t v;
  if (!parse_quad(text, &v)) return 0;
  out->s_addr = htonl(v);
  return 1;
}

int inet_pton(int af, const char* restrict text, void* restrict out) {
  if (af != AF_INET) return -1;
  return inet_aton(text, out);
}

const char* inet_ntop(int af, const void* restrict src, char* restrict dst, socklen_t size) {
  if (af != AF_INET) return NULL;
  uint32_t v = ntohl(((const struct in_addr*)src)->s_addr);
  int n = snprintf(dst, size, "%u.%u.%u.%u", v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255);
  return n < (int)size ? dst : NULL;
}

char* inet_ntoa(struct in_addr addr) {
  static char buf[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &addr, buf, sizeof buf);
  return buf;
}
