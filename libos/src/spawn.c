/* Child picoprocesses: dk_spawn / posix_spawn on DkProcessCreate, waitpid on the process
 * handle and DkProcessExitCodeQuery. Dk has no process ids, so the libos numbers its own
 * children (2, 3, ... in the order they were made) and keeps their handles in a table. */
#include <dk/dkcalls.h>
#include <dk/libos.h>
#include <dk/posix.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "libos_internal.h"

#define LIBOS_CHILDREN ((int)DK_WAIT_MAX) /* so one DkObjectsWaitAny can wait for any of them */

static libos_lock_t children_lock = LIBOS_LOCK_INIT;
static struct {
  pid_t pid; /* 0: free slot */
  dk_handle_t handle;
} children[LIBOS_CHILDREN];
static pid_t next_pid = 2;

int dk_spawn(const char* image, char* const argv[], pid_t* pid, int* stream_fd) {
  char uri[DK_URI_MAX + 1];
  if (libos_path_uri("file:", image, uri, sizeof uri) < 0) return -1;

  size_t len = 0;
  for (size_t i = 0; argv && argv[i]; i++) len += strlen(argv[i]) + 1;
  char* block = malloc(len ? len : 1);
  if (!block) {
    errno = ENOMEM;
    return -1;
  }
  size_t at = 0;
  for (size_t i = 0; argv && argv[i]; i++) {
    size_t n = strlen(argv[i]) + 1;
    memcpy(block + at, argv[i], n);
    at += n;
  }

  libos_lock(&children_lock);
  int slot = -1;
  for (int i = 0; i < LIBOS_CHILDREN && slot < 0; i++)
    if (children[i].pid == 0) slot = i;
  if (slot < 0) {
    libos_unlock(&children_lock);
    free(block);
    errno = EAGAIN;
    return -1;
  }
  children[slot].pid = -1; /* claimed while the call runs */
  libos_unlock(&children_lock);

  dk_handle_t process = 0, stream = 0;
  dk_status_t st = DkProcessCreate(uri, block, len, &process, &stream);
  free(block);
  if (st < 0) {
    children[slot].pid = 0;
    return libos_fail(st == -DK_E_QUOTA ? -DK_E_AGAIN : st);
  }

  int fd = -1;
  if (stream_fd) {
    struct libos_ofd* o = libos_ofd_new(LIBOS_FD_STREAM, stream, O_RDWR);
    fd = o ? libos_fd_install(o, 0) : -1;
    if (fd < 0) {
      if (o)
        libos_ofd_put(o); /* closes the stream */
      else
        DkObjectClose(stream);
      /* The child runs on; it stays in the table so it can still be waited for. */
    }
    *stream_fd = fd;
  } else {
    DkObjectClose(stream);
  }

  libos_lock(&children_lock);
  pid_t p = next_pid++;
  children[slot].pid = p;
  children[slot].handle = process;
  libos_unlock(&children_lock);
  if (pid) *pid = p;
  return stream_fd && fd < 0 ? -1 : 0;
}

int posix_spawn(pid_t* restrict pid, const char* restrict path,
                const posix_spawn_file_actions_t* file_actions,
                const posix_spawnattr_t* restrict attr, char* const argv[restrict],
                char* const envp[restrict]) {
  (void)envp; /* Dk passes a child its arguments only */
  if (file_actions || attr) return ENOSYS;
  int saved = errno;
  int r = dk_spawn(path, argv, pid, NULL) < 0 ? errno : 0;
  errno = saved;
  return r;
}

dk_handle_t dk_child_handle(pid_t pid) {
  dk_handle_t h = 0;
  libos_lock(&children_lock);
  for (int i = 0; i < LIBOS_CHILDREN; i++)
    if (pid > 0 && children[i].pid == pid) h = children[i].handle;
  libos_unlock(&children_lock);
  return h;
}

/* A wait status as POSIX shapes it from a Dk exit code; an unhandled exception
 * (-(128 + type)) reads as death by the signal a Unix kernel would have sent. */
static int wait_status(int64_t code) {
  static const int signal_of[] = {0, SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGINT};
  if (code <= -129 && code >= -134) return signal_of[-code - 128];
  return (int)((code & 0xff) << 8);
}

pid_t waitpid(pid_t pid, int* status, int options) {
  if (pid < -1 || (options & ~WNOHANG)) {
    errno = EINVAL;
    return -1;
  }
  dk_handle_t handles[LIBOS_CHILDREN];
  int slots[LIBOS_CHILDREN];
  uint32_t n = 0;
  libos_lock(&children_lock);
  for (int i = 0; i < LIBOS_CHILDREN; i++) {
    if (children[i].pid > 0 && (pid <= 0 || children[i].pid == pid)) {
      handles[n] = children[i].handle;
      slots[n++] = i;
    }
  }
  libos_unlock(&children_lock);
  if (n == 0) {
    errno = ECHILD;
    return -1;
  }
  uint32_t index = 0;
  dk_status_t st =
      DkObjectsWaitAny(n, handles, (options & WNOHANG) ? 0 : DK_TIMEOUT_INFINITE, &index);
  if (st == -DK_E_TIMEOUT) return 0;
  if (st < 0) return libos_fail(st);
  if (index >= n) {
    errno = EIO;
    return -1;
  }
  int64_t code = 0;
  st = DkProcessExitCodeQuery(handles[index], &code);
  if (st < 0) return libos_fail(st);

  libos_lock(&children_lock);
  int slot = slots[index];
  pid_t done = children[slot].pid;
  int mine = done > 0 && children[slot].handle == handles[index];
  if (mine) children[slot].pid = 0;
  libos_unlock(&children_lock);
  if (!mine) { /* another thread reaped it while this one waited */
    errno = ECHILD;
    return -1;
  }
  DkObjectClose(handles[index]);
  if (status) *status = wait_status(code);
  return done;
}

pid_t wait(int* status) {
  return waitpid(-1, status, 0);
}

int dk_parent_fd(void) {
  static libos_lock_t lock = LIBOS_LOCK_INIT;
  static int parent_fd = -2; /* -2: not asked yet */
  libos_lock(&lock);
  if (parent_fd == -2) {
    dk_handle_t h = dk_boot_info_get()->parent;
    parent_fd = -1;
    if (h) {
      struct libos_ofd* o = libos_ofd_new(LIBOS_FD_STREAM, h, O_RDWR);
      if (o) {
        parent_fd = libos_fd_install(o, 0);
        if (parent_fd < 0) {
          o->handle = 0; /* keep the boot handle for a later try */
          libos_ofd_put(o);
          parent_fd = -2;
        }
      }
    }
  }
  int fd = parent_fd;
  libos_unlock(&lock);
  if (fd < 0) errno = fd == -1 ? EBADF : EMFILE;
  return fd < 0 ? -1 : fd;
}
