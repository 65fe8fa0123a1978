/* tiny_host: a small Dk host as a plug-in (dk/host_plugin.h), written against the installed
 * headers only. It serves memory (through dk's callbacks), exceptions, segment bases, system
 * info, debug output, the console and null devices, semaphores, waits on semaphores and
 * threads, time and random bits. Every other call is left NULL, so dk answers NOTSUP and the
 * conformance suite reports those cases as failures: that is the honest answer.
 *
 * Built with -DBROKEN_TIMEOUTS it is deliberately wrong in two ways the suite must catch:
 * DkObjectsWaitAny ignores its timeout (a poll of an unready object waits forever), and
 * DkSemaphoreRelease lets the count pass its maximum instead of answering RANGE. */
#include <dk/host_plugin.h>
#include <stdlib.h>
#include <string.h>

#define EPOCH_2012_NS (1341964800ull * 1000000000ull)

typedef struct {
  uint64_t random_state;
  dk_handle_t stderr_h;
} tiny_host;

typedef struct {
  uint32_t count, max;
} tiny_semaphore;

enum { DEV_CONSOLE, DEV_NULL };
typedef struct {
  int device;
  int readable, writable, nonblocking;
} tiny_stream;

static void* tiny_open(const char* config, char* error, uint64_t error_size) {
  (void)config;
  tiny_host* h = calloc(1, sizeof *h);
  if (!h) {
    strncpy(error, "out of memory", error_size);
    return NULL;
  }
  h->random_state = 0x2545f4914f6cdd1dull;
  return h;
}

static void tiny_close(void* host) {
  free(host);
}

static void tiny_bind_std(void* host, int which, dk_handle_t h, const dk_plugin_services* svc) {
  (void)svc;
  if (which == 2) ((tiny_host*)host)->stderr_h = h;
}

/* ---- Memory, registers, exit: dk's callbacks do the work ---- */
static dk_status_t vm_allocate(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  uint64_t addr = c->arg[0];
  dk_status_t st =
      s->vm_allocate(s->self, &addr, c->arg[1], (uint32_t)c->arg[2], (uint32_t)c->arg[3]);
  if (st == 0) dk_plugin_set_out(c, 0, addr);
  return st;
}
static dk_status_t vm_free(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  return s->vm_free(s->self, c->arg[0], c->arg[1]);
}
static dk_status_t vm_protect(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  return s->vm_protect(s->self, c->arg[0], c->arg[1], (uint32_t)c->arg[2]);
}
static dk_status_t segment_set(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  return s->set_segment(s->self, (uint32_t)c->arg[0], c->arg[1]);
}
static dk_status_t exception_return(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  return s->exception_return(s->self, c->ctx);
}
static dk_status_t process_exit(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  s->process_exit(s->self, (int64_t)c->arg[0]);
  return 0;
}
static dk_status_t thread_exit(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  (void)c;
  s->thread_exit(s->self);
  return 0;
}

/* ---- Information, time, randomness, debug output ---- */
static dk_status_t system_info(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  (void)s;
  dk_system_info* i = c->sysinfo_out;
  memset(i, 0, sizeof *i);
  i->abi_major = DK_ABI_MAJOR;
  i->abi_minor = DK_ABI_MINOR;
  i->page_size = DK_PAGE_SIZE;
  i->alloc_granularity = DK_PAGE_SIZE;
  i->user_low = DK_USER_LOW;
  i->user_high = DK_USER_HIGH;
  i->cpu_count = 1;
  strcpy(i->host_name, "tiny");
  return 0;
}
static dk_status_t time_query(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  dk_plugin_set_out(c, 0, EPOCH_2012_NS + s->now_ns(s->self));
  return 0;
}
static dk_status_t random_bits(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)s;
  tiny_host* h = host;
  for (uint64_t i = 0; i < c->room; ++i) {
    h->random_state ^= h->random_state << 13;
    h->random_state ^= h->random_state >> 7;
    h->random_state ^= h->random_state << 17;
    c->buf[i] = (uint8_t)h->random_state;
  }
  c->buf_len = c->room;
  return 0;
}
static dk_status_t icache_flush(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  (void)c;
  (void)s;
  return 0;
}
static dk_status_t debug_output(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  s->debug_write(s->self, c->in, c->in_len);
  return 0;
}

/* ---- Devices ---- */
static dk_status_t stream_open(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  const uint64_t access = c->arg[1], create = c->arg[3], options = c->arg[4];
  const uint64_t mode = access & ~(uint64_t)DK_ACCESS_APPEND;
  if (mode > DK_ACCESS_RDWR || create > (DK_CREATE_ALWAYS | DK_CREATE_TRUNCATE) ||
      ((create & DK_CREATE_TRY) && (create & DK_CREATE_ALWAYS)) || options > DK_OPTION_NONBLOCK ||
      c->arg[2] > 0777)
    return -DK_E_INVAL;
  int device;
  if (strcmp(c->uri, "dev:console") == 0 || strcmp(c->uri, "dev:///console") == 0)
    device = DEV_CONSOLE;
  else if (strcmp(c->uri, "dev:null") == 0 || strcmp(c->uri, "dev:///null") == 0)
    device = DEV_NULL;
  else
    return -DK_E_ACCESS; /* nothing else is granted here */
  if (create & DK_CREATE_ALWAYS) return -DK_E_EXIST;
  tiny_stream* st = calloc(1, sizeof *st);
  if (!st) return -DK_E_NOMEM;
  st->device = device;
  st->readable = mode != DK_ACCESS_WRONLY;
  st->writable = mode != DK_ACCESS_RDONLY;
  st->nonblocking = (options & DK_OPTION_NONBLOCK) != 0;
  dk_handle_t h = s->handle_insert(s->self, DK_PLUGIN_OBJ_STREAM, st, free);
  if (!h) return -DK_E_QUOTA;
  dk_plugin_set_out(c, 5, h);
  return 0;
}

static dk_status_t stream_get(const dk_plugin_services* s, dk_handle_t h, tiny_stream** out) {
  void* obj = NULL;
  dk_status_t st = s->handle_get(s->self, h, DK_PLUGIN_OBJ_STREAM, &obj);
  if (st) return st;
  if (!obj) return -DK_E_WRONGTYPE;
  *out = obj;
  return 0;
}

static dk_status_t stream_write(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  tiny_stream* st;
  dk_status_t e = stream_get(s, c->arg[0], &st);
  if (e) return e;
  if (c->arg[1] != 0) return -DK_E_INVAL;
  if (!st->writable) return -DK_E_ACCESS;
  if (st->device == DEV_CONSOLE)
    s->console_write(s->self, c->arg[0] == ((tiny_host*)host)->stderr_h ? 2 : 1, c->in, c->in_len);
  dk_plugin_set_out(c, 3, c->in_len);
  return 0;
}

static dk_status_t stream_read(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  tiny_stream* st;
  dk_status_t e = stream_get(s, c->arg[0], &st);
  if (e) return e;
  if (c->arg[1] != 0) return -DK_E_INVAL;
  if (!st->readable) return -DK_E_ACCESS;
  c->buf_len = st->device == DEV_CONSOLE ? s->console_read(s->self, c->buf, c->room) : 0;
  dk_plugin_set_out(c, 3, c->buf_len);
  return 0;
}

static dk_status_t stream_attr(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  tiny_stream* st;
  dk_status_t e = stream_get(s, c->arg[0], &st);
  if (e) return e;
  memset(c->attr_out, 0, sizeof *c->attr_out);
  c->attr_out->type = DK_STREAM_DEVICE;
  c->attr_out->share = 0666;
  c->attr_out->readable = (uint32_t)st->readable;
  c->attr_out->writable = (uint32_t)st->writable;
  c->attr_out->nonblocking = (uint32_t)st->nonblocking;
  return 0;
}

static dk_status_t object_close(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  return s->handle_close(s->self, c->arg[0]);
}

/* ---- Semaphores and waits ---- */
static dk_status_t sem_create(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  const uint32_t initial = (uint32_t)c->arg[0], max = (uint32_t)c->arg[1];
  if (max < 1 || initial > max) return -DK_E_INVAL;
  tiny_semaphore* sem = malloc(sizeof *sem);
  if (!sem) return -DK_E_NOMEM;
  sem->count = initial;
  sem->max = max;
  dk_handle_t h = s->handle_insert(s->self, DK_PLUGIN_OBJ_SEMAPHORE, sem, free);
  if (!h) return -DK_E_QUOTA;
  dk_plugin_set_out(c, 2, h);
  return 0;
}

static dk_status_t sem_get(const dk_plugin_services* s, dk_handle_t h, tiny_semaphore** out) {
  void* obj = NULL;
  dk_status_t st = s->handle_get(s->self, h, DK_PLUGIN_OBJ_SEMAPHORE, &obj);
  if (st) return st;
  *out = obj;
  return 0;
}

static dk_status_t sem_release(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  tiny_semaphore* sem;
  dk_status_t e = sem_get(s, c->arg[0], &sem);
  if (e) return e;
  const uint32_t count = (uint32_t)c->arg[1];
#ifndef BROKEN_TIMEOUTS
  if (count > sem->max - sem->count) return -DK_E_RANGE;
#endif
  dk_plugin_set_out(c, 2, sem->count);
  sem->count += count;
  return 0;
}

static dk_status_t sem_peek(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  tiny_semaphore* sem;
  dk_status_t e = sem_get(s, c->arg[0], &sem);
  if (e) return e;
  dk_plugin_set_out(c, 1, sem->count);
  return 0;
}

/* Whether handle h is ready; takes one from a ready semaphore when `take`. */
static dk_status_t ready(const dk_plugin_services* s, dk_handle_t h, int take, int* is_ready) {
  uint32_t kind = 0;
  dk_status_t st = s->handle_kind(s->self, h, &kind);
  if (st) return st;
  if (kind == DK_PLUGIN_OBJ_SEMAPHORE) {
    tiny_semaphore* sem;
    if ((st = sem_get(s, h, &sem))) return st;
    *is_ready = sem->count > 0;
    if (*is_ready && take) --sem->count;
    return 0;
  }
  if (kind == DK_PLUGIN_OBJ_THREAD || kind == DK_PLUGIN_OBJ_PROCESS) {
    int exited = 0;
    if ((st = s->object_exited(s->self, h, &exited, NULL))) return st;
    *is_ready = exited;
    return 0;
  }
  return -DK_E_NOTSUP; /* events and streams are not served here */
}

static dk_status_t wait_any(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  for (uint32_t i = 0; i < c->nhandles; ++i) {
    int r = 0;
    dk_status_t st = ready(s, c->handles[i], 0, &r);
    if (st) return st;
  }
  if (s->take_interrupt(s->self)) return -DK_E_INTERRUPTED;
  for (uint32_t i = 0; i < c->nhandles; ++i) {
    int r = 0;
    ready(s, c->handles[i], 1, &r);
    if (r) {
      dk_plugin_set_out(c, 3, i);
      return 0;
    }
  }
  const uint64_t timeout = c->arg[2];
#ifdef BROKEN_TIMEOUTS
  (void)timeout;
  s->block(s->self, DK_PLUGIN_NO_DEADLINE); /* the bug: waits as if the timeout were infinite */
  return DK_PLUGIN_BLOCKED;
#else
  if (timeout == 0) return -DK_E_TIMEOUT;
  uint64_t deadline = s->wait_deadline(s->self);
  if (deadline == DK_PLUGIN_NO_DEADLINE && timeout != DK_TIMEOUT_INFINITE)
    deadline = s->now_ns(s->self) + timeout;
  if (deadline != DK_PLUGIN_NO_DEADLINE && s->now_ns(s->self) >= deadline) return -DK_E_TIMEOUT;
  s->block(s->self, deadline);
  return DK_PLUGIN_BLOCKED;
#endif
}

static dk_status_t yield(void* host, dk_plugin_call* c, const dk_plugin_services* s) {
  (void)host;
  (void)c;
  s->yield(s->self);
  return 0;
}

static const dk_plugin_host tiny_table = {
    .abi_version = DK_PLUGIN_ABI_VERSION,
    .size = sizeof(dk_plugin_host),
    .name = "tiny",
    .open = tiny_open,
    .close = tiny_close,
    .bind_std_handle = tiny_bind_std,
    .DkVirtualMemoryAllocate = vm_allocate,
    .DkVirtualMemoryFree = vm_free,
    .DkVirtualMemoryProtect = vm_protect,
    .DkThreadExit = thread_exit,
    .DkThreadYieldExecution = yield,
    .DkSemaphoreCreate = sem_create,
    .DkSemaphoreRelease = sem_release,
    .DkSemaphorePeek = sem_peek,
    .DkObjectsWaitAny = wait_any,
    .DkProcessExit = process_exit,
    .DkStreamOpen = stream_open,
    .DkStreamRead = stream_read,
    .DkStreamWrite = stream_write,
    .DkStreamAttributesQueryByHandle = stream_attr,
    .DkObjectClose = object_close,
    .DkSystemTimeQuery = time_query,
    .DkRandomBitsRead = random_bits,
    .DkInstructionCacheFlush = icache_flush,
    .DkSegmentRegisterSet = segment_set,
    .DkExceptionReturn = exception_return,
    .DkSystemInfoQuery = system_info,
    .DkDebugOutput = debug_output,
};

DK_PLUGIN_DEFINE(tiny_table)
