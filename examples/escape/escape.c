/* A picoprocess that tries to leave through a Linux system call. The emulator must turn the
 * raw `syscall` into a FOREIGN_TRAP exception; with no handler installed that ends the
 * picoprocess (dk run exits 128 + 5), so nothing after the instruction ever runs. */
#include <stdio.h>

int main(void) {
  printf("trying a raw Linux write syscall\n");
  static const char msg[] = "ESCAPED\n";
  long ret;
  /* Linux write(1, msg, 8): rax = 1 is not a Dk call number. */
  __asm__ volatile("syscall"
                   : "=a"(ret)
                   : "a"(1L), "D"(1L), "S"(msg), "d"(sizeof msg - 1)
                   : "rcx", "r11", "memory");
  /* Reaching this line is the failure a test looks for: say so on stdout too. */
  printf("ESCAPED (the syscall returned %ld)\n", ret);
  return 0;
}
