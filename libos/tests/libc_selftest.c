/* The libos's C library checked from inside a picoprocess: formatting, strings, number
 * parsing, the heap and a thread, on whatever host runs it; posix_selftest.c adds the POSIX
 * layer. Prints one line per failure and
 * a summary; exits 0 only if every check passed. */
/* The build type may define NDEBUG; this test's asserts must stay on. */
#undef NDEBUG
#include <assert.h>
#include <ctype.h>
#include <dk/dkcalls.h>
#include <dk/libos.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "selftest.h"

static int checks, failures;

void check(int ok, const char* what, const char* file, int line) {
  checks++;
  if (!ok) {
    failures++;
    const char* base = strrchr(file, '/');
    printf("FAIL %s:%d: %s\n", base ? base + 1 : file, line, what);
  }
}

static void check_format(const char* want, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void check_format(const char* want, const char* fmt, ...) {
  char got[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(got, sizeof got, fmt, ap);
  va_end(ap);
  checks++;
  if (strcmp(got, want) != 0 || n != (int)strlen(want)) {
    failures++;
    printf("FAIL format \"%s\": got \"%s\" (%d), want \"%s\"\n", fmt, got, n, want);
  }
}

static void test_format(void) {
  const char* volatile null_string = NULL; /* hidden from gcc's format checker */
  check_format("42|-42|   42|42   |00042|+42| 42", "%d|%i|%5d|%-5d|%05d|%+d|% d", 42, -42, 42, 42,
               42, 42, 42);
  check_format("ff|FF|0xff|377|0377|0", "%x|%X|%#x|%o|%#o|%.0d%u", 255, 255, 255, 255, 255, 0, 0);
  check_format("-9223372036854775808|18446744073709551615", "%lld|%llu", LLONG_MIN, ULLONG_MAX);
  check_format("  007|-07|0x0000beef", "%5.3d|%03d|%#010x", 7, -7, 0xbeef);
  check_format("ab|  abc|abc  |(null)|x", "%.2s|%5s|%-5s|%s|%c", "abc", "abc", "abc", null_string,
               'x');
  check_format("0x1000|%|    7", "%p|%%|%*d", (void*)0x1000, 5, 7);
  check_format("-1|65535|255|12345", "%hd|%hu|%hhu|%zu", -1, 65535, 255, (size_t)12345);
  char small[4];
  CHECK(snprintf(small, sizeof small, "%s", "truncated") == 9 && strcmp(small, "tru") == 0);
}

static void test_strings(void) {
  char buf[32];
  CHECK(strlen("") == 0 && strlen("four") == 4);
  CHECK(strcmp("a", "b") < 0 && strcmp("b", "a") > 0 && strcmp("x", "x") == 0);
  CHECK(strncmp("abcd", "abce", 3) == 0 && strncmp("abcd", "abce", 4) < 0);
  strcpy(buf, "hello");
  strcat(buf, ", world");
  CHECK(strcmp(buf, "hello, world") == 0);
  CHECK(strchr(buf, 'o') == buf + 4 && strrchr(buf, 'o') == buf + 8 && !strchr(buf, 'z'));
  CHECK(strstr(buf, "world") == buf + 7);
  memmove(buf + 1, buf, 5);
  CHECK(memcmp(buf, "hhello", 6) == 0);
  memset(buf, 'x', 10);
  CHECK(buf[0] == 'x' && buf[9] == 'x' && buf[10] == 'l');
  strncpy(buf, "ab", 5);
  CHECK(buf[0] == 'a' && buf[2] == 0 && buf[4] == 0 && buf[5] == 'x');
  char* d = strdup("copy");
  CHECK(d && strcmp(d, "copy") == 0);
  free(d);
  CHECK(isdigit('7') && !isdigit('a') && isspace('\t') && isalpha('Q') && toupper('q') == 'Q');
}

static void test_numbers(void) {
  char* end;
  CHECK(strtol("  -123xyz", &end, 10) == -123 && *end == 'x');
  CHECK(strtol("0x1F", NULL, 0) == 31 && strtol("017", NULL, 0) == 15 &&
        strtol("z", NULL, 36) == 35);
  errno = 0;
  CHECK(strtol("99999999999999999999", NULL, 10) == LONG_MAX && errno == ERANGE);
  CHECK(strtoull("18446744073709551615", NULL, 10) == ULLONG_MAX);
  CHECK(strtoul("-1", NULL, 10) == ULONG_MAX);
  CHECK(atoi("42") == 42 && abs(-5) == 5);
}

static int cmp_int(const void* a, const void* b) {
  int x = *(const int*)a, y = *(const int*)b;
  return (x > y) - (x < y);
}

static void test_heap(void) {
  enum { N = 300 };
  static unsigned char* blocks[N];
  for (int i = 0; i < N; i++) {
    size_t n = (size_t)(i * 37) % 5000 + (i % 50 == 0 ? 70000 : 1);
    blocks[i] = malloc(n);
    CHECK(blocks[i] && ((uintptr_t)blocks[i] & 15) == 0);
    if (blocks[i]) memset(blocks[i], i & 0xff, n);
  }
  for (int i = 0; i < N; i += 2) free(blocks[i]);
  for (int i = 1; i < N; i += 2) {
    unsigned char* p = realloc(blocks[i], 9000);
    CHECK(p && p[0] == (i & 0xff));
    free(p);
  }
  int* z = calloc(100, sizeof *z);
  int zeros = 1;
  for (int i = 0; i < 100; i++) zeros &= z[i] == 0;
  CHECK(z && zeros);
  free(z);
  int v[] = {5, -1, 9, 3, 3, 0};
  qsort(v, 6, sizeof *v, cmp_int);
  CHECK(v[0] == -1 && v[1] == 0 && v[2] == 3 && v[3] == 3 && v[4] == 5 && v[5] == 9);
}

static volatile int thread_ran;
static void thread_body(void* arg) {
  thread_ran = *(int*)arg;
}

static void test_thread(void) {
  int value = 7;
  dk_handle_t t = 0;
  dk_status_t st = dk_thread_spawn(thread_body, &value, 0, &t);
  if (st == -DK_E_NOTSUP) {
    printf("threads: not supported by this host, skipped\n");
    return;
  }
  CHECK(st == 0 && t != 0);
  if (st != 0) return;
  uint32_t index = 99;
  st = DkObjectsWaitAny(1, &t, DK_TIMEOUT_INFINITE, &index);
  CHECK(st == 0 && index == 0 && thread_ran == 7);
  DkObjectClose(t);
}

int main(void) {
  test_format();
  test_strings();
  test_numbers();
  test_heap();
  test_thread();
  test_posix();
  assert(checks > 0);
  printf("libos selftest: %d checks, %d failures\n", checks, failures);
  return failures ? 1 : 0;
}
