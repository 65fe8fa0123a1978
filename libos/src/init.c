/* LibOsInitialize's C half: the image note that names the other two upcalls, and the start
 * of the program: boot info, stdio, argv and envp, main, exit. */
#include <dk/dkcalls.h>
#include <dk/libos.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libos_internal.h"

/* The Dk note (ABI.md section 5). It lives in the object that holds libos_main, which the
 * start code always pulls in, so every image linked with the libos carries it. The section
 * name starting with ".note" makes it SHT_NOTE; ld gives it a PT_NOTE segment. The explicit
 * alignment stops gcc from padding the object to 32 bytes, which note readers reject (a
 * note segment is aligned to 4 or 8). */
struct dk_note {
  uint32_t namesz, descsz, type;
  char name[4]; /* "Dk" and its NUL, padded to 4 */
  dk_image_note desc;
};
_Static_assert(__builtin_offsetof(struct dk_note, desc) == 16, "note descriptor offset");

__attribute__((used, section(".note.dk"), aligned(8))) static const struct dk_note libos_note = {
    .namesz = sizeof DK_NOTE_NAME,
    .descsz = sizeof(dk_image_note),
    .type = DK_NOTE_TYPE,
    .name = DK_NOTE_NAME,
    .desc = {.abi_major = DK_ABI_MAJOR,
             .abi_minor = DK_ABI_MINOR,
             .thread_start = (uintptr_t)&LibOsThreadStart,
             .exception_dispatch = (uintptr_t)&LibOsExceptionDispatch,
             .flags = 0},
};

extern int main(int argc, char** argv, char** envp);

char** environ;
static const dk_boot_info* libos_boot;

const dk_boot_info* dk_boot_info_get(void) {
  return libos_boot;
}

static __attribute__((noreturn)) void boot_fail(const char* msg) {
  DkDebugOutput(msg, strlen(msg));
  DkProcessExit(127);
  LIBOS_UNREACHABLE();
}

/* Splits a NUL-separated block ("a\0b\0", the last NUL optional) into a NULL-terminated
 * vector. The block is copied first: the boot page is read-only, and an unterminated last
 * string needs a NUL of its own. */
static char** split_block(uint64_t addr, uint64_t len, int* count) {
  const char* src = (const char*)(uintptr_t)addr;
  char* copy = malloc(len + 1);
  if (!copy) boot_fail("libos: out of memory copying the boot arguments\n");
  if (len) memcpy(copy, src, len);
  copy[len] = '\0';

  int n = 0;
  for (uint64_t i = 0; i < len; i++)
    if (copy[i] == '\0' || i + 1 == len) n++;
  char** vec = malloc(((size_t)n + 1) * sizeof *vec);
  if (!vec) boot_fail("libos: out of memory building argv\n");
  int k = 0;
  for (uint64_t i = 0; i < len; i += strlen(copy + i) + 1) vec[k++] = copy + i;
  vec[k] = NULL;
  if (count) *count = k;
  return vec;
}

void libos_main(const dk_boot_info* boot) {
  libos_boot = boot;
  if (boot->abi_major != DK_ABI_MAJOR)
    boot_fail("libos: the host speaks another major version of the Dk ABI\n");
  /* errno and the thread's own block must work before any other libos code runs. */
  libos_tls_init();
  libos_fd_init(boot);
  libos_stdio_init();

  int argc = 0;
  char** argv = split_block(boot->args, boot->args_len, &argc);
  environ = split_block(boot->env, boot->env_len, NULL);
  exit(main(argc, argv, environ));
}

char* getenv(const char* name) {
  size_t n = strlen(name);
  for (char** e = environ; e && *e; e++)
    if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
  return NULL;
}
