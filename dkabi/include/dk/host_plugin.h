/* The plug-in host C ABI: how a host built out of tree, as a shared library, serves a
 * picoprocess's downcalls. dk loads the library with dlopen, checks its ABI version, and
 * routes every downcall to it after dk's own dispatcher has decoded and checked the call
 * (pointer checks stay dk's). The plug-in never sees the CPU emulator: it gets guest memory,
 * memory and thread control, handles, blocking and the clock as the callbacks below.
 *
 * C11, no exceptions: errors are dk_status_t values (0 or -DK_E_*) both ways.
 *
 * A plug-in exports two symbols:
 *   const uint32_t dk_plugin_abi_version = DK_PLUGIN_ABI_VERSION;
 *   const dk_plugin_host* dk_plugin_entry(void);
 * DK_PLUGIN_DEFINE(table) defines both. */
#ifndef DK_HOST_PLUGIN_H
#define DK_HOST_PLUGIN_H

#include <stdint.h>

#include "dk/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Raised on any incompatible change to the structures below; dk refuses other versions. */
#define DK_PLUGIN_ABI_VERSION 1u

/* A call's answer that means "not yet": the plug-in called svc->block() first, and dk
 * parks the thread and runs the same call again later (see dk_plugin_services.block). */
#define DK_PLUGIN_BLOCKED (-1000)

/* Kinds of objects a handle names (as dk's handle table knows them). */
#define DK_PLUGIN_OBJ_SEMAPHORE 1u
#define DK_PLUGIN_OBJ_NOTIFICATION_EVENT 2u
#define DK_PLUGIN_OBJ_SYNCHRONIZATION_EVENT 3u
#define DK_PLUGIN_OBJ_THREAD 4u
#define DK_PLUGIN_OBJ_PROCESS 5u
#define DK_PLUGIN_OBJ_STREAM 6u

/* One downcall, decoded and checked by dk. Inputs are dk's copies: the plug-in may read
 * them during the call and must not keep pointers to them. */
typedef struct dk_plugin_call {
  uint32_t index;           /* 1..45, as in DK_CALL_LIST */
  uint32_t nargs;
  /* Per argument slot: scalars and handles as passed (U32 already cut to 32 bits); in/out
   * slots (U64_INOUT, ADDR_INOUT) the value read from the guest; output slots 0. */
  uint64_t arg[6];
  /* The DK_ARG_URI argument (NUL-terminated; uri_len bytes before the NUL), or NULL. */
  const char* uri;
  uint64_t uri_len;
  /* BUF_IN_* bytes (DkStreamWrite's buffer, DkDebugOutput's, DkProcessCreate's args). */
  const uint8_t* in;
  uint64_t in_len;
  /* HANDLES_IN (DkObjectsWaitAny). */
  const dk_handle_t* handles;
  uint32_t nhandles;
  uint32_t reserved0;
  const dk_context* ctx;          /* CONTEXT_IN, or NULL */
  const dk_stream_attr* attr_in;  /* ATTR_IN, or NULL */

  /* Results. out[]/out_set: a value for an output or in/out slot (bit i of out_set marks
   * slot i as set; dk copies it out per docs/abi.md section 3). */
  uint64_t out[6];
  uint32_t out_set;
  uint32_t reserved1;
  /* BUF_OUT_*: `buf` has `room` bytes; the plug-in writes up to room and sets buf_len. */
  uint8_t* buf;
  uint64_t room;
  uint64_t buf_len;
  dk_stream_attr* attr_out;    /* ATTR_OUT: fill it (copied out on status 0), or NULL */
  dk_system_info* sysinfo_out; /* SYSINFO_OUT: fill it, or NULL */

  /* About the caller. */
  uint32_t pid, thread;
  uint64_t tick;   /* ticks (basic blocks) the picoprocess has executed */
  uint64_t rip;    /* the trapping instruction */
  uint64_t now_ns; /* the world clock: virtual ns since the world started */
} dk_plugin_call;

/* Sets output slot i. */
static inline void dk_plugin_set_out(dk_plugin_call* c, int i, uint64_t v) {
  c->out[i] = v;
  c->out_set |= 1u << i;
}

/* What dk offers a plug-in during one call. `self` is dk's and goes back as the first
 * argument of every callback; it is valid for this call only. */
typedef struct dk_plugin_services {
  uint32_t version; /* DK_PLUGIN_ABI_VERSION */
  uint32_t size;    /* sizeof(dk_plugin_services) */
  void* self;

  /* Guest memory of the calling picoprocess, checked like dk's own accesses: 0, or
   * -DK_E_FAULT with nothing copied. */
  dk_status_t (*mem_read)(void* self, uint64_t addr, void* dst, uint64_t len);
  dk_status_t (*mem_write)(void* self, uint64_t addr, const void* src, uint64_t len);

  /* Memory and thread control (calls 1-8, 18, 42, 43 need them; semantics as those calls). */
  dk_status_t (*vm_allocate)(void* self, uint64_t* addr, uint64_t size, uint32_t alloc,
                             uint32_t prot);
  dk_status_t (*vm_free)(void* self, uint64_t addr, uint64_t size);
  dk_status_t (*vm_protect)(void* self, uint64_t addr, uint64_t size, uint32_t prot);
  dk_status_t (*set_segment)(void* self, uint32_t reg, uint64_t base);
  dk_status_t (*exception_return)(void* self, const dk_context* ctx);
  void (*thread_exit)(void* self);
  void (*process_exit)(void* self, int64_t code);
  /* A new thread: on success *thread is a handle to it in the caller's table. */
  dk_status_t (*thread_create)(void* self, uint64_t arg, uint64_t stack_top, dk_handle_t* thread);
  void (*yield)(void* self);
  dk_status_t (*thread_resume)(void* self, dk_handle_t thread);

  /* Handles of the calling picoprocess. A plug-in object is an opaque pointer with a kind;
   * `release` (may be NULL) runs when its last handle is gone. insert: the new handle, or 0
   * when the table is full (answer QUOTA). get: 0, -DK_E_BADHANDLE or -DK_E_WRONGTYPE
   * (kind 0 matches any kind); *object is NULL for objects dk made (threads, processes).
   * close: 0 or -DK_E_BADHANDLE. */
  dk_handle_t (*handle_insert)(void* self, uint32_t kind, void* object,
                               void (*release)(void* object));
  dk_status_t (*handle_get)(void* self, dk_handle_t h, uint32_t kind, void** object);
  dk_status_t (*handle_kind)(void* self, dk_handle_t h, uint32_t* kind);
  dk_status_t (*handle_close)(void* self, dk_handle_t h);
  /* Whether a thread or process object dk made has exited (and its exit code). */
  dk_status_t (*object_exited)(void* self, dk_handle_t h, int* exited, int64_t* code);

  /* Blocking: a call that cannot complete yet calls block(deadline) (world clock ns, or
   * DK_PLUGIN_NO_DEADLINE) and returns DK_PLUGIN_BLOCKED. dk runs the call again when the
   * world changed, the deadline passed or DkThreadResume woke the thread. On that retry
   * wait_deadline() is the deadline given (DK_PLUGIN_NO_DEADLINE on a fresh call) and
   * take_interrupt() consumes a pending wake-up (nonzero: answer INTERRUPTED). */
  void (*block)(void* self, uint64_t deadline_ns);
  uint64_t (*wait_deadline)(void* self);
  int (*take_interrupt)(void* self);
  uint64_t (*now_ns)(void* self); /* the world clock */

  /* The console dk gives the picoprocess: fd 1 stdout, 2 stderr. read: bytes read, 0 at end. */
  void (*console_write)(void* self, int fd, const void* data, uint64_t len);
  uint64_t (*console_read)(void* self, void* data, uint64_t len);
  /* The host's debug log (DkDebugOutput). */
  void (*debug_write)(void* self, const void* data, uint64_t len);
} dk_plugin_services;

#define DK_PLUGIN_NO_DEADLINE (~0ull)

/* One downcall: 0 or -DK_E_*, or DK_PLUGIN_BLOCKED. NULL in the table answers NOTSUP. */
typedef dk_status_t (*dk_plugin_call_fn)(void* host, dk_plugin_call* call,
                                         const dk_plugin_services* svc);

typedef struct dk_plugin_host {
  uint32_t abi_version; /* DK_PLUGIN_ABI_VERSION */
  uint32_t size;        /* sizeof(dk_plugin_host) */
  const char* name;     /* goes into dk_system_info.host_name (at most 31 bytes) */

  /* One host instance per world. open returns it (NULL: failed, with a message in
   * error[0..error_size)); `config` is the text after "plugin:PATH," or "". */
  void* (*open)(const char* config, char* error, uint64_t error_size);
  void (*close)(void* host);
  /* The launcher opened boot handle `h` as stdin (0), stdout (1) or stderr (2). May be NULL. */
  void (*bind_std_handle)(void* host, int which, dk_handle_t h, const dk_plugin_services* svc);
  /* rdtsc for a picoprocess that has executed `tick` ticks. NULL: 30 x tick. */
  uint64_t (*cycle_counter)(void* host, uint64_t tick);

  /* One slot per downcall, named as the call. */
#define DK_PLUGIN_X_SLOT(idx, name, kinds, names) dk_plugin_call_fn name;
  DK_CALL_LIST(DK_PLUGIN_X_SLOT)
#undef DK_PLUGIN_X_SLOT
} dk_plugin_host;

typedef const dk_plugin_host* (*dk_plugin_entry_fn)(void);

#define DK_PLUGIN_DEFINE(table)                                                  \
  __attribute__((visibility("default"))) const uint32_t dk_plugin_abi_version =  \
      DK_PLUGIN_ABI_VERSION;                                                     \
  __attribute__((visibility("default"))) const dk_plugin_host* dk_plugin_entry(void) { \
    return &(table);                                                             \
  }

#ifdef __cplusplus
}
#endif
#endif /* DK_HOST_PLUGIN_H */
