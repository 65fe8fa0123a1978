/* The escape corpus's guest side: the conformance case runtime plus what every attempt
 * image shares. Every attempt image is started as IMAGE CASE CANARY ABSENT PORT: the host
 * path of the canary file (outside every mapping), a host path that must stay absent, and
 * the canary TCP port that must see no connection. The runner's observer checks all three;
 * an attempt's own checks only add detail to the report. */
#ifndef ESC_H
#define ESC_H

#include "case.h"

#define ESC_CANARY (conf_argc > 2 ? conf_argv[2] : "/nonexistent-canary")
#define ESC_ABSENT (conf_argc > 3 ? conf_argv[3] : "/nonexistent-absent")
#define ESC_PORT (conf_argc > 4 ? conf_argv[4] : "1")

/* Exit code of a sibling that finished its own work. */
#define ESC_SIBLING_OK 90
/* Exit code of a probe that found the host serving every call it made. */
#define ESC_PROBE_OK 91

/* Appends `s` to buf[*n] (bounded by cap, always NUL-terminated). */
static inline void esc_cat(char* buf, uint64_t cap, uint64_t* n, const char* s) {
  while (*s && *n + 1 < cap) buf[(*n)++] = *s++;
  buf[*n] = 0;
}

/* Status is one of the listed refusals (a negative dk status). */
static inline int esc_one_of(dk_status_t st, const int* codes, int n) {
  for (int i = 0; i < n; ++i)
    if (st == -(dk_status_t)codes[i]) return 1;
  return 0;
}

#define ESC_EXPECT_ONE_OF(expr, ...)                                               \
  do {                                                                             \
    static const int esc_codes_[] = {__VA_ARGS__};                                 \
    dk_status_t esc_st_ = (expr);                                                  \
    if (!esc_one_of(esc_st_, esc_codes_, sizeof esc_codes_ / sizeof esc_codes_[0])) \
      conf_fail(__FILE__, __LINE__, #expr, esc_st_, -(int64_t)esc_codes_[0]);      \
  } while (0)

#endif /* ESC_H */
