/* Declarations shared between the libos's own source files, never seen by applications:
 * the upcall entries (start.S) and the hooks the start code and exit path call. */
#ifndef DK_LIBOS_INTERNAL_H
#define DK_LIBOS_INTERNAL_H

#include <dk/abi.h>

/* Upcall entries, in start.S. Their addresses go into the image note. */
void LibOsInitialize(const dk_boot_info* boot);
void LibOsThreadStart(uint64_t arg);
void LibOsExceptionDispatch(dk_exception_info* info);

/* Called by the entries on an ABI-aligned stack. */
__attribute__((noreturn)) void libos_main(const dk_boot_info* boot);
__attribute__((noreturn)) void libos_thread_main(uint64_t arg);
void libos_exception_main(dk_exception_info* info);

void libos_stdio_init(void);
void libos_stdio_flush_all(void);

/* ---- Threads (pthread.c) ----
 * Every thread has a control block at its FS base; its first word points to itself, as the
 * x86-64 TLS ABI has it, so one load of %fs:0 finds it. A new thread's block sits at the top
 * of its stack mapping, which the joiner frees. */
struct libos_tcb {
  struct libos_tcb* self;
  int errno_value;
  int detached, finished;
  dk_handle_t handle; /* the thread's own handle for pthread_join; 0 if none */
  void (*fn)(void*);  /* entry, with arg */
  void* arg;
  void* (*start)(void*); /* pthread entry, with start_arg; result is its value */
  void* start_arg;
  void* result;
  void* region; /* guard page + stack + this block */
  uint64_t region_size;
  struct libos_tcb* next_zombie;
  dk_handle_t cond_event; /* what this thread sleeps on in pthread_cond_wait */
  void* keys[32];
};

extern struct libos_tcb libos_main_tcb;
void libos_tls_init(void);
struct libos_tcb* libos_tcb_self(void);

/* A block and stack for a new thread that will run fn(arg); nothing runs until start. */
dk_status_t libos_tcb_alloc(size_t stack_size, struct libos_tcb** out);
dk_status_t libos_tcb_start(struct libos_tcb* t, dk_handle_t* handle);
void libos_tcb_free(struct libos_tcb* t);

/* ---- Locks (sync.c): a pthread mutex of the normal type, for the libos's own state ---- */
#include <pthread.h>
typedef pthread_mutex_t libos_lock_t;
#define LIBOS_LOCK_INIT PTHREAD_MUTEX_INITIALIZER
void libos_lock(libos_lock_t* l);
void libos_unlock(libos_lock_t* l);
/* Waits for one handle; 0, or the status (TIMEOUT, INTERRUPTED, ...). */
dk_status_t libos_wait_one(dk_handle_t h, uint64_t timeout_ns);

/* ---- Descriptors (fd.c) ---- */
enum libos_fd_kind {
  LIBOS_FD_NULL,   /* a standard descriptor without a handle: writes vanish, reads see EOF */
  LIBOS_FD_PROBE,  /* a handle whose kind is asked for on first use */
  LIBOS_FD_FILE,   /* positioned: reads and writes at the description's offset */
  LIBOS_FD_STREAM, /* pipes, devices, connected sockets: offset 0 always */
  LIBOS_FD_DIR,    /* a "dir:" stream opened with open(O_DIRECTORY) */
  LIBOS_FD_SOCKET, /* a socket with no stream yet, a UDP socket, or a listener */
};

struct libos_socket;

/* An open file description; dup'ed descriptors share one. */
struct libos_ofd {
  int refs;
  int kind;
  int flags; /* O_ACCMODE, O_APPEND, O_NONBLOCK */
  dk_handle_t handle;
  uint64_t offset;
  libos_lock_t lock; /* keeps read-modify-write of the offset whole */
  struct libos_socket* sock;
};

#define LIBOS_FD_MAX 1024

void libos_fd_init(const dk_boot_info* boot);
struct libos_ofd* libos_ofd_new(int kind, dk_handle_t handle, int flags);
/* Puts ofd (one reference, handed over) at the lowest free descriptor >= min. -1: EMFILE. */
int libos_fd_install(struct libos_ofd* ofd, int min);
/* A referenced description, or NULL with errno EBADF; libos_ofd_put drops it. */
struct libos_ofd* libos_fd_get(int fd);
void libos_ofd_put(struct libos_ofd* ofd);
/* Settles a LIBOS_FD_PROBE description to FILE or STREAM. */
void libos_ofd_probe(struct libos_ofd* ofd);
/* Frees socket state (socket.c). */
void libos_socket_release(struct libos_socket* s);

/* ---- Paths (path.c) ---- */
/* scheme + the absolute, normalised path into out; -1 with errno if it does not fit. */
int libos_path_uri(const char* scheme, const char* path, char* out, size_t size);
int libos_has_scheme(const char* path);

/* Sets errno from a Dk status and returns -1. */
int libos_fail(dk_status_t st);

/* Stops the thread for good when a call that must not return did. ud2 raises ILLEGAL, which
 * the host reports; nothing after it runs. */
#define LIBOS_UNREACHABLE() __builtin_trap()

#endif /* DK_LIBOS_INTERNAL_H */
