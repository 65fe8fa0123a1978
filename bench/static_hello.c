/* The kernel's side of the start-up comparison (bench/runtime_bench.cc): a statically linked
 * hello, started with posix_spawn, as the native runtime's start->exit is held against it. */
#include <unistd.h>

int main(void) {
  static const char msg[] = "hello, world\n";
  return write(1, msg, sizeof msg - 1) == (ssize_t)(sizeof msg - 1) ? 0 : 1;
}
