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
  printf("random: ");
  for (size_t i = 0; i < sizeof bits; i++) printf("%02x", bits[i]);
  printf("\n");

  uint64_t ns = 0;
  st = DkSystemTimeQuery(&ns);
  if (st < 0) {
    fprintf(stderr, "DkSystemTimeQuery failed: %lld\n", (long long)st);
    return 1;
  }
  printf("time: %llu\n", (unsigned long long)ns);
  return 0;
}
