/* Child picoprocesses (DkProcessCreate). posix_spawn takes no file actions or attributes
 * (they must be NULL) and cannot pass an environment: Dk gives a child its arguments only.
 * A child inherits nothing; the Dk way to talk to it is the stream to its `parent` boot
 * handle, which dk_spawn hands back as a descriptor (see dk/posix.h). */
#ifndef DK_LIBC_SPAWN_H
#define DK_LIBC_SPAWN_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int unused;
} posix_spawn_file_actions_t;
typedef struct {
  int unused;
} posix_spawnattr_t;

/* path: a URI ("self:", "package:/bin/x", "file:/x") or a path, opened as "file:" + path.
 * Returns 0 or an errno value, as POSIX says; errno is left alone. */
int posix_spawn(pid_t* restrict pid, const char* restrict path,
                const posix_spawn_file_actions_t* file_actions,
                const posix_spawnattr_t* restrict attr, char* const argv[restrict],
                char* const envp[restrict]);

#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_SPAWN_H */
