/* The Dk side of the libos's POSIX layer: descriptors to and from Dk handles, child
 * picoprocesses with their parent/child stream, and the Dk status to errno table
 * (libos/README.md). Guest code only. */
#ifndef DK_POSIX_H
#define DK_POSIX_H

#include <dk/abi.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The errno value for a Dk status (negative, as calls return it); 0 for success. */
int dk_errno_from_status(dk_status_t st);
/* Sets errno from a failed status and returns -1, the shape of most POSIX failures. */
int dk_fail(dk_status_t st);

/* The Dk stream handle behind a descriptor (0 for a socket not yet connected or a standard
 * descriptor without a handle), or 0 with errno EBADF. The descriptor keeps owning it. */
dk_handle_t dk_fd_handle(int fd);
/* A new descriptor that owns `handle` (a stream of any kind). -1 with errno on failure. */
int dk_fd_adopt(dk_handle_t handle);

/* Starts a child picoprocess from `image` (a URI such as "self:" or "package:/bin/x", or a
 * path read as "file:" + path) with argv as its arguments. *pid (may be NULL) gets a number
 * for waitpid; *stream_fd (may be NULL: the stream is closed) gets a descriptor on the
 * stream to the child's `parent` handle. Returns 0, or -1 with errno. */
int dk_spawn(const char* image, char* const argv[], pid_t* pid, int* stream_fd);
/* The Dk process handle behind a child's pid, 0 if none. */
dk_handle_t dk_child_handle(pid_t pid);
/* In a child: a descriptor on the stream to the parent (boot info `parent`), made on the
 * first call; -1 with errno EBADF in the first picoprocess. */
int dk_parent_fd(void);

/* Builds the URI a path names: a name with a scheme ("dev:null") unchanged, otherwise
 * scheme + absolute path (relative paths from the working directory). Returns the length,
 * or -1 with errno ENAMETOOLONG if it does not fit in size bytes. */
int dk_path_uri(const char* scheme, const char* path, char* out, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* DK_POSIX_H */
