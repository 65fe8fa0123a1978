/* The smallest useful picoprocess: a greeting, its arguments, and two lines (random bits,
 * the clock) that two runs with the same seed must print alike. */
#include <dk/dkcalls.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char** argv) {
  printf("hello from a picoprocess\n");
  for (int i = 0; i < argc; i++) printf("argv[%d] = %s\n", i, argv[i]);

  unsigned char bits[16];
  dk_status_t st = DkRandomBitsRead(bits, sizeof bits);
  if (st < 0) {
    fprintf(stderr, "DkRandomBitsRead failed: %lld\n", (long long)st);
    return 1;
  }
  /* Table lookups, not printf("%02x"): the number of instructions run must not depend on
   * the random values, or runs with two seeds would differ in more than this line. */
  static const char hex[] = "0123456789abcdef";
  char line[2 * sizeof bits + 1];
  for (size_t i = 0; i < sizeof bits; i++) {
    line[2 * i] = hex[bits[i] >> 4];
    line[2 * i + 1] = hex[bits[i] & 15];
  }
  line[2 * sizeof bits] = '\0';
  printf("random: %s\n", line);

  uint64_t ns = 0;
  st = DkSystemTimeQuery(&ns);
  if (st < 0) {
    fprintf(stderr, "DkSystemTimeQuery failed: %lld\n", (long long)st);
    return 1;
  }
  printf("time: %llu\n", (unsigned long long)ns);
  return 0;
}
