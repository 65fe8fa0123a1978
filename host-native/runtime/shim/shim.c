/* The native runtime's shim: the only code of its own a native-runtime child holds. It lays
 * the child out (stage 1, from a staging copy), installs its signal handlers and the seccomp
 * filter (stage 2, from its final place), enters the guest, and then turns every trap into
 * a request to the supervisor and applies the reply. It answers two calls itself, which
 * touch only the calling thread: DkSegmentRegisterSet and DkInstructionCacheFlush.
 *
 * The shim is untrusted: the guest can overwrite it. Nothing here is a security boundary
 * (the filter and the supervisor are); a shim in a bad state ends its own picoprocess.
 * Freestanding and position-independent: no libc, no absolute addresses in data. */
#include <stddef.h>
#include <stdint.h>

#include <asm/sigcontext.h>
#include <asm/unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>

#include "dk/abi.h"
#include "dk/runtime/protocol.h"

#define HIDDEN __attribute__((visibility("hidden")))

HIDDEN long dkrt_sys6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);
HIDDEN void dkrt_restorer(void);
HIDDEN void dkrt_sigreturn_at(void* frame) __attribute__((noreturn));
HIDDEN void dkrt_switch(void* arg, void (*fn)(void*), void* stack) __attribute__((noreturn));
extern char dkrt_shim_base[] HIDDEN;
extern char dkrt_text_end[] HIDDEN;
extern char dkrt_data_end[] HIDDEN;

#define sys0(n) dkrt_sys6((n), 0, 0, 0, 0, 0, 0)
#define sys1(n, a) dkrt_sys6((n), (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) dkrt_sys6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) dkrt_sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) dkrt_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sys6(n, a, b, c, d, e, f) \
  dkrt_sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* Linux constants the shim needs (kept here: no libc headers in a freestanding blob). */
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_NORESERVE 0x4000
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define SA_SIGINFO 0x4
#define SA_ONSTACK 0x08000000
#define SA_RESTORER 0x04000000
#define SIG_SETMASK 2
#define SIGILL 4
#define SIGTRAP 5
#define SIGBUS 7
#define SIGFPE 8
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGSYS 31
#define MSG_NOSIGNAL 0x4000
#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_THREAD 0x10000
#define CLONE_SYSVSEM 0x40000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID 0x01000000
#define SECCOMP_SET_MODE_FILTER_ 1
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW_ (1ul << 2)
#define TASK_TOP 0x7ffffffff000ull
#define USER_CS 0x33

/* The thread flags every clone uses: the filter allows exactly these. */
#define DKRT_CLONE_FLAGS \
  (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | \
   CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)

/* The kernel's view of a signal frame (x86-64). */
typedef struct {
  void* ss_sp;
  int ss_flags;
  int pad;
  uint64_t ss_size;
} kstack;

typedef struct {
  uint64_t uc_flags;
  void* uc_link;
  kstack uc_stack;
  struct sigcontext uc_mcontext;
  uint64_t uc_sigmask;
} kucontext;

typedef struct {
  int si_signo, si_errno, si_code, pad;
  uint64_t addr; /* SIGSEGV/SIGBUS: si_addr; SIGSYS: si_call_addr */
  int syscall_nr;
  uint32_t arch;
} ksiginfo;

typedef struct {
  void* handler;
  uint64_t flags;
  void* restorer;
  uint64_t mask;
} ksigaction;

/* The first page of a thread's block. */
typedef struct {
  uint32_t slot;
  uint32_t pad;
  uint64_t seq;
  uint64_t fs_base, gs_base;
} thread_info;

#define START_STACK_LO 4096u
#define ALT_STACK_LO (16u << 10)

/* Stage 2's copy of the boot description. */
static dkrt_boot g_boot;

/* Freestanding: the compiler may call these for struct copies. */
HIDDEN void* memcpy(void* d, const void* s, size_t n) {
  uint8_t* dp = d;
  const uint8_t* sp = s;
  while (n--) *dp++ = *sp++;
  return d;
}
HIDDEN void* memset(void* d, int c, size_t n) {
  uint8_t* dp = d;
  while (n--) *dp++ = (uint8_t)c;
  return d;
}

static void die(int code) __attribute__((noreturn));
static void die(int code) {
  for (;;) sys1(__NR_exit_group, code);
}

static thread_info* me(void) {
  /* From the register, not from a local's address: a pointer derived from a local may only
   * point into that local, and the compiler would drop stores through it. */
  uintptr_t sp;
  __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
  return (thread_info*)(sp & ~(uintptr_t)(DKRT_THREAD_BLOCK - 1));
}

static dkrt_slot* slot_of(uint32_t slot) {
  return (dkrt_slot*)(uintptr_t)(DKRT_SLOTS + (uint64_t)slot * DKRT_SLOT_SIZE);
}

static uint64_t handled_mask(void) {
  return (1ull << (SIGSYS - 1)) | (1ull << (SIGSEGV - 1)) | (1ull << (SIGBUS - 1)) |
         (1ull << (SIGILL - 1)) | (1ull << (SIGFPE - 1)) | (1ull << (SIGTRAP - 1)) |
         (1ull << (SIGUSR1 - 1));
}

static int canonical(uint64_t v) {
  return v < 0x0000800000000000ull || v >= 0xffff800000000000ull;
}

/* ---- registers ---- */

static void ctx_from(dk_context* c, const struct sigcontext* m) {
  c->rax = m->rax, c->rbx = m->rbx, c->rcx = m->rcx, c->rdx = m->rdx;
  c->rsi = m->rsi, c->rdi = m->rdi, c->rbp = m->rbp, c->rsp = m->rsp;
  c->r8 = m->r8, c->r9 = m->r9, c->r10 = m->r10, c->r11 = m->r11;
  c->r12 = m->r12, c->r13 = m->r13, c->r14 = m->r14, c->r15 = m->r15;
  c->rip = m->rip, c->rflags = m->eflags;
  if (m->fpstate) memcpy(c->fxsave, (const void*)(uintptr_t)m->fpstate, 512);
  else memset(c->fxsave, 0, 512);
}

static void ctx_to(struct sigcontext* m, const dk_context* c) {
  m->rax = c->rax, m->rbx = c->rbx, m->rcx = c->rcx, m->rdx = c->rdx;
  m->rsi = c->rsi, m->rdi = c->rdi, m->rbp = c->rbp, m->rsp = c->rsp;
  m->r8 = c->r8, m->r9 = c->r9, m->r10 = c->r10, m->r11 = c->r11;
  m->r12 = c->r12, m->r13 = c->r13, m->r14 = c->r14, m->r15 = c->r15;
  m->rip = c->rip, m->eflags = c->rflags;
  /* The kernel's own bytes (416..511: its XSAVE marker) stay as it wrote them. */
  if (m->fpstate) memcpy((void*)(uintptr_t)m->fpstate, c->fxsave, 416);
}

static void set_base(thread_info* ti, int fs, uint64_t base) {
  if (sys2(__NR_arch_prctl, fs ? ARCH_SET_FS : ARCH_SET_GS, base) != 0) die(125);
  if (fs) ti->fs_base = base;
  else ti->gs_base = base;
}

/* ---- threads ---- */

static void enter_context(thread_info* ti, const dk_context* c) __attribute__((noreturn));

/* A new thread starts here (the gadget's `ret` on its fresh stack), in its own block. */
static void thread_entry(void) {
  thread_info* ti = me();
  kstack alt = {(void*)((uintptr_t)ti + ALT_STACK_LO), 0, 0, DKRT_THREAD_BLOCK - ALT_STACK_LO};
  if (sys2(__NR_sigaltstack, &alt, 0) != 0) die(125);
  ti->seq = 0;
  set_base(ti, 1, 0);
  set_base(ti, 0, 0);
  dkrt_slot* s = slot_of(ti->slot);
  /* The supervisor filled the slot with the thread's first context before the clone. */
  if (s->ready != DKRT_READY_START || s->reply.kind != DKRT_REPLY_CONTEXT) die(125);
  dk_context c = s->reply.ctx;
  enter_context(ti, &c);
}

static long start_thread(uint32_t slot) {
  uint64_t block = DKRT_THREADS + (uint64_t)slot * DKRT_THREAD_BLOCK;
  thread_info* ti = (thread_info*)(uintptr_t)block;
  ti->slot = slot;
  ti->seq = 0;
  /* The clone returns through the gadget's `ret`, which pops the entry: at the entry
   * rsp % 16 == 8, as after a call. */
  uint64_t top = block + ALT_STACK_LO - 16;
  *(uint64_t*)(uintptr_t)top = (uint64_t)(uintptr_t)&thread_entry;
  /* The kernel clears the slot's tid word when the thread is gone: the supervisor reuses
   * a slot only then. */
  return sys6(__NR_clone, DKRT_CLONE_FLAGS, top, 0, &slot_of(slot)->tid, 0, 0);
}

/* ---- requests ---- */

static void apply_actions(thread_info* ti, const dkrt_reply* r) {
  uint32_t n = r->nactions > DKRT_MAX_ACTIONS ? DKRT_MAX_ACTIONS : r->nactions;
  for (uint32_t i = 0; i < n; ++i) {
    const dkrt_action* a = &r->actions[i];
    long rc = 0;
    switch (a->op) {
      case DKRT_ACT_MAP:
        rc = sys6(__NR_mmap, a->addr, a->len, a->prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
        rc = rc == (long)a->addr ? 0 : -1;
        break;
      case DKRT_ACT_RESERVE:
        rc = sys6(__NR_mmap, a->addr, a->len, 0,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
        rc = rc == (long)a->addr ? 0 : -1;
        break;
      case DKRT_ACT_UNMAP:
        rc = sys2(__NR_munmap, a->addr, a->len);
        break;
      case DKRT_ACT_PROTECT:
        rc = sys3(__NR_mprotect, a->addr, a->len, a->prot);
        break;
      case DKRT_ACT_SET_FS:
        set_base(ti, 1, a->addr);
        break;
      case DKRT_ACT_SET_GS:
        set_base(ti, 0, a->addr);
        break;
      case DKRT_ACT_CLONE:
        rc = a->len < DKRT_MAX_THREADS ? start_thread((uint32_t)a->len) : -1;
        rc = rc > 0 ? 0 : -1;
        break;
      default:
        rc = -1;
    }
    /* The supervisor's view of this child no longer holds: end it. */
    if (rc != 0) die(125);
  }
}

/* Sends the request and waits for this slot's reply. */
static const dkrt_reply* ask(thread_info* ti, dkrt_request* q) {
  dkrt_slot* s = slot_of(ti->slot);
  q->magic = DKRT_MAGIC;
  q->slot = ti->slot;
  q->seq = ++ti->seq;
  q->fs_base = ti->fs_base;
  q->gs_base = ti->gs_base;
  const uint32_t want = DKRT_READY(q->seq);
  s->ready = 0;
  if (sys6(__NR_sendto, DKRT_CHANNEL_FD, q, sizeof *q, MSG_NOSIGNAL, 0, 0) != (long)sizeof *q)
    die(125);
  for (;;) {
    const uint32_t v = __atomic_load_n(&s->ready, __ATOMIC_ACQUIRE);
    if (v == want) break;
    sys4(__NR_futex, &s->ready, FUTEX_WAIT, v, 0);
  }
  if (s->reply.seq != q->seq) die(125);
  return &s->reply;
}

static void on_signal(int sig, ksiginfo* si, kucontext* uc) {
  thread_info* ti = me();
  struct sigcontext* m = &uc->uc_mcontext;
  if (sig == SIGSYS && si->arch == AUDIT_ARCH_X86_64) {
    /* The two calls that touch only this thread, answered here. */
    if (m->rax == DK_CALL_BASE + 42) { /* DkSegmentRegisterSet */
      const uint64_t reg = m->rdi & 0xffffffffu, base = m->rsi;
      if ((reg != DK_SEGMENT_FS && reg != DK_SEGMENT_GS) || !canonical(base)) {
        m->rax = (uint64_t)-DK_E_INVAL;
      } else {
        set_base(ti, reg == DK_SEGMENT_FS, base);
        m->rax = 0;
      }
      return;
    }
    if (m->rax == DK_CALL_BASE + 41) { /* DkInstructionCacheFlush: x86 code is coherent */
      m->rax = 0;
      return;
    }
  }
  dkrt_request q;
  memset(&q, 0, sizeof q);
  const int call = sig == SIGSYS && si->arch == AUDIT_ARCH_X86_64 &&
                   m->rax > DK_CALL_BASE && m->rax <= DK_CALL_BASE + DK_CALL_COUNT;
  q.kind = call ? DKRT_REQ_CALL : DKRT_REQ_SIGNAL;
  q.signo = (uint32_t)sig;
  q.code = si->si_code;
  q.addr = si->addr;
  q.arch = sig == SIGSYS ? si->arch : 0;
  q.err = m->err;
  ctx_from(&q.ctx, m);
  const dkrt_reply* r = ask(ti, &q);
  apply_actions(ti, r);
  /* The supervisor needs the mappings in place before it goes on (it is about to copy into
   * them): say when they are. */
  while (r->kind == DKRT_REPLY_ACTIONS) {
    q.kind = DKRT_REQ_DONE;
    r = ask(ti, &q);
    apply_actions(ti, r);
  }
  switch (r->kind) {
    case DKRT_REPLY_STATUS:
      m->rax = (uint64_t)r->status;
      return;
    case DKRT_REPLY_CONTEXT:
      ctx_to(m, &r->ctx);
      return;
    case DKRT_REPLY_EXIT_THREAD:
      for (;;) sys1(__NR_exit, 0);
      __builtin_unreachable();
    case DKRT_REPLY_EXIT_GROUP:
      die((int)(r->status & 0xff));
    default:
      die(125);
  }
}

/* Loads a whole context through rt_sigreturn: a frame built on this stack. */
static void enter_context(thread_info* ti, const dk_context* c) {
  struct {
    uint8_t fx[512] __attribute__((aligned(64)));
    kucontext uc;
  } f __attribute__((aligned(64)));
  memset(&f, 0, sizeof f);
  /* rt_sigreturn also sets the signal stack from the frame: keep the thread's. */
  f.uc.uc_stack.ss_sp = (void*)((uintptr_t)ti + ALT_STACK_LO);
  f.uc.uc_stack.ss_size = DKRT_THREAD_BLOCK - ALT_STACK_LO;
  memcpy(f.fx, c->fxsave, 416);
  f.uc.uc_mcontext.fpstate = (void*)f.fx;
  ctx_to(&f.uc.uc_mcontext, c);
  f.uc.uc_mcontext.cs = USER_CS;
  f.uc.uc_sigmask = 0; /* every signal open in the guest */
  dkrt_sigreturn_at(&f.uc);
}

/* ---- boot ---- */

static void stage2(void* unused);

/* Stage 1 runs from the staging area (wherever the kernel put it): it removes everything
 * but the staging area, places the shim, the slot pages and the guest's memory, and goes
 * on in the final copy. */
HIDDEN void dkrt_stage1(dkrt_boot* b, uint64_t blob_now) {
  const uint64_t lo = b->staging, hi = b->staging + b->staging_len;
  /* Everything else goes: the loader, libc, the harness, its heap and stack, vDSO, vvar. */
  sys2(__NR_munmap, 0, lo);
  sys2(__NR_munmap, hi, TASK_TOP - hi);

  /* The shim at its final place: code read-only and executable, data writable. */
  if (sys6(__NR_mmap, DKRT_SHIM, b->shim_len, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != (long)DKRT_SHIM)
    die(125);
  memcpy((void*)(uintptr_t)DKRT_SHIM, (const void*)(uintptr_t)blob_now, b->shim_len);
  dkrt_boot* final_boot = (dkrt_boot*)((uintptr_t)&g_boot - blob_now + DKRT_SHIM);
  memcpy(final_boot, b, sizeof *b);
  if (sys3(__NR_mprotect, DKRT_SHIM, b->shim_text_len, PROT_READ | PROT_EXEC) != 0) die(125);

  /* Reply slots, shared with the supervisor. */
  if (sys6(__NR_mmap, DKRT_SLOTS, (uint64_t)b->nslots * DKRT_SLOT_SIZE, PROT_READ | PROT_WRITE,
           MAP_SHARED | MAP_FIXED, b->slots_fd, 0) != (long)DKRT_SLOTS)
    die(125);
  sys1(__NR_close, b->slots_fd);

  /* The guest: image segments, stack, boot page. */
  for (uint32_t i = 0; i < b->nsegments && i < DKRT_MAX_SEGMENTS; ++i) {
    const dkrt_segment* s = &b->segments[i];
    if (sys6(__NR_mmap, s->addr, s->len, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != (long)s->addr)
      die(125);
    if (s->srclen) memcpy((void*)(uintptr_t)s->addr, (const void*)(uintptr_t)(lo + s->src), s->srclen);
    if (s->prot != (PROT_READ | PROT_WRITE) && sys3(__NR_mprotect, s->addr, s->len, s->prot) != 0)
      die(125);
  }

  /* Thread 0's block; stage 2 runs on its start stack. */
  if (sys6(__NR_mmap, DKRT_THREADS, DKRT_THREAD_BLOCK, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != (long)DKRT_THREADS)
    die(125);
  void (*next)(void*) = (void (*)(void*))((uintptr_t)&stage2 - blob_now + DKRT_SHIM);
  void (*sw)(void*, void (*)(void*), void*) =
      (void (*)(void*, void (*)(void*), void*))((uintptr_t)&dkrt_switch - blob_now + DKRT_SHIM);
  sw(0, next, (void*)(uintptr_t)(DKRT_THREADS + ALT_STACK_LO));
}

/* Stage 2 runs from the final copy on thread 0's start stack. */
static void stage2(void* unused) {
  (void)unused;
  dkrt_boot* b = &g_boot;
  sys2(__NR_munmap, b->staging, b->staging_len);
  thread_info* ti = (thread_info*)(uintptr_t)DKRT_THREADS;
  ti->slot = 0;
  ti->seq = 0;
  kstack alt = {(void*)(uintptr_t)(DKRT_THREADS + ALT_STACK_LO), 0, 0,
                DKRT_THREAD_BLOCK - ALT_STACK_LO};
  if (sys2(__NR_sigaltstack, &alt, 0) != 0) die(125);
  ksigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.handler = (void*)&on_signal;
  sa.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER;
  sa.restorer = (void*)&dkrt_restorer;
  sa.mask = handled_mask(); /* a fault inside a handler ends the picoprocess */
  const int sigs[] = {SIGSYS, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGUSR1};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; ++i)
    if (sys4(__NR_rt_sigaction, sigs[i], &sa, 0, 8) != 0) die(125);
  set_base(ti, 1, 0);
  set_base(ti, 0, 0);

  struct sock_fprog prog = {(unsigned short)b->filter_len, (struct sock_filter*)b->sock_filter};
  long rc = sys3(__NR_seccomp, SECCOMP_SET_MODE_FILTER_,
                 b->spec_allow ? SECCOMP_FILTER_FLAG_SPEC_ALLOW_ : 0, &prog);
  if (rc != 0) die(125);

  dk_context c;
  memset(&c, 0, sizeof c);
  c.rip = b->entry_rip;
  c.rdi = b->entry_rdi;
  c.rsp = b->entry_rsp;
  c.rflags = 0x202;
  const uint16_t fcw = 0x037f;
  const uint32_t mxcsr = 0x1f80;
  memcpy(c.fxsave + 0, &fcw, 2);
  memcpy(c.fxsave + 24, &mxcsr, 4);
  enter_context(ti, &c);
}
