/* The native runtime tests' guest (tests/native_runtime_test.cc): a well-behaved probe and
 * a hostile one. The hostile cases use what a guest under the native runtime can reach: the
 * shim's `syscall` instruction (its address is in the shim's header, readable at the
 * runtime's block), the channel descriptor, its own reply slot and thread block. args[1]
 * names the case, args[2] a number where one is needed. */
#include <stdint.h>

#include "dk/abi.h"
#include "dk/dkcalls.h"
#include "dk/runtime/protocol.h"

static inline long dk6(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
  return dk_raw_call((uint64_t)nr, (uint64_t)a1, (uint64_t)a2, (uint64_t)a3, (uint64_t)a4,
                     (uint64_t)a5, (uint64_t)a6);
}

void* memcpy(void* d, const void* s, unsigned long n) {
  char* dd = d;
  const char* ss = s;
  while (n--) *dd++ = *ss++;
  return d;
}
void* memset(void* d, int c, unsigned long n) {
  char* dd = d;
  while (n--) *dd++ = (char)c;
  return d;
}
static int streq(const char* a, const char* b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}
static uint64_t number(const char* s) {
  uint64_t v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (uint64_t)(*s++ - '0');
  return v;
}
static void say(const char* s) {
  uint64_t n = 0;
  while (s[n]) ++n;
  dk6(DK_CALL_DkDebugOutput, (long)s, (long)n, 0, 0, 0, 0);
}

/* A system call made from the shim's own `syscall` instruction: the one place the filter
 * lets a few calls through. Returns what the kernel answered, if the process survives. */
static long gadget(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
  const dkrt_shim_header* h = (const dkrt_shim_header*)(uintptr_t)DKRT_SHIM;
  uint64_t at = DKRT_SHIM + h->gadget - 2; /* the syscall; a `ret` follows it */
  register long r10 __asm__("r10") = a4;
  register long r8 __asm__("r8") = a5;
  register long r9 __asm__("r9") = a6;
  long ret;
  __asm__ volatile("call *%[at]"
                   : "=a"(ret), "+r"(r10), "+r"(r8), "+r"(r9)
                   : "a"(nr), "D"(a1), "S"(a2), "d"(a3), [at] "r"(at)
                   : "rcx", "r11", "memory");
  return ret;
}

static dkrt_request request;

static long send_request(uint64_t len) {
  return gadget(44 /* sendto */, DKRT_CHANNEL_FD, (long)&request, (long)len, 0x4000, 0, 0);
}

long runtime_thread(uint64_t arg) {
  (void)arg;
  return 0;
}

long runtime_main(dk_boot_info* boot) {
  const char* args = (const char*)(uintptr_t)boot->args;
  const char* end = args + boot->args_len;
  const char* what = args;
  while (what < end && *what) ++what;
  ++what;
  const char* arg = what < end ? what : "";
  while (arg < end && *arg) ++arg;
  ++arg;
  if (arg >= end) arg = "";

  if (streq(what, "inspect")) {
    say("inspect");
    return 0;
  }
  if (streq(what, "sleep")) {
    uint64_t ns = 20000000000ull; /* 20 s: the test interrupts it long before */
    dk6(DK_CALL_DkThreadDelayExecution, (long)&ns, 0, 0, 0, 0, 0);
    return 0;
  }
  if (streq(what, "spin")) {
    for (volatile uint64_t i = 0;; ++i) {
    }
  }
  if (streq(what, "raw")) {
    /* A raw Linux system call from guest code: a foreign trap, which (with no handler) ends
     * the picoprocess. Reaching the line after it means the kernel ran it. */
    long nr = (long)number(arg), ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr) : "rcx", "r11", "memory");
    say("kernel answered");
    return 0;
  }
  if (streq(what, "int")) {
    /* int N, for any N: written into a fresh page and called. */
    void* page = 0;
    if (DkVirtualMemoryAllocate(&page, 4096, DK_ALLOC_COMMIT,
                                DK_PROT_READ | DK_PROT_WRITE | DK_PROT_EXEC) != 0)
      return 7;
    uint8_t* code = page;
    code[0] = 0xcd;
    code[1] = (uint8_t)number(arg);
    code[2] = 0xc3;
    ((void (*)(void))page)();
    say("came back");
    return 0;
  }
  if (streq(what, "exit_wide")) {
    dk6(DK_CALL_DkProcessExit, (long)0x123456789abll, 0, 0, 0, 0, 0);
    return 1;
  }
  if (streq(what, "gadget")) {
    /* A call the filter does not let through even from the shim: the child is killed. */
    const long nr = (long)number(arg);
    if (nr == 9) /* mmap, shared */
      gadget(9, 0, 4096, 3, 0x21 /* MAP_SHARED | MAP_ANONYMOUS */, -1, 0);
    else if (nr == 1) /* write to stdout */
      gadget(1, 1, (long)"x", 1, 0, 0, 0);
    else
      gadget(nr, 0, 0, 0, 0, 0, 0);
    say("survived");
    return 0;
  }
  if (streq(what, "overwrite_shim")) {
    /* The shim is the guest's to wreck: make its code writable through its own syscall and
     * fill it with int3. The next trap runs that inside the signal handler, where every
     * trap signal is blocked: the kernel ends the child. */
    if (gadget(10 /* mprotect */, (long)DKRT_SHIM, 4096, 7, 0, 0, 0) != 0) return 6;
    const dkrt_shim_header* h = (const dkrt_shim_header*)(uintptr_t)DKRT_SHIM;
    uint8_t* code = (uint8_t*)(uintptr_t)(DKRT_SHIM + sizeof *h);
    for (uint64_t i = 0; i + sizeof *h < 4096 && i < h->text_end; ++i) code[i] = 0xcc;
    dk6(DK_CALL_DkThreadYieldExecution, 0, 0, 0, 0, 0, 0);
    say("still here");
    return 0;
  }
  if (streq(what, "mask_sigsys")) {
    /* SIGSYS blocked: the next trap cannot be delivered, and the kernel ends the child. */
    uint64_t set = 1ull << (31 - 1);
    gadget(14 /* rt_sigprocmask */, 0 /* SIG_BLOCK */, (long)&set, 0, 8, 0, 0);
    dk6(DK_CALL_DkThreadYieldExecution, 0, 0, 0, 0, 0, 0);
    say("still here");
    return 0;
  }
  if (streq(what, "torn")) {
    request.magic = DKRT_MAGIC;
    send_request(100);
  } else if (streq(what, "garbage")) {
    memset(&request, 0x5a, sizeof request);
    send_request(sizeof request);
  } else if (streq(what, "forged_slot")) {
    request.magic = DKRT_MAGIC;
    request.kind = DKRT_REQ_CALL;
    request.slot = 200;
    send_request(sizeof request);
  } else if (streq(what, "bad_kind")) {
    request.magic = DKRT_MAGIC;
    request.kind = 99;
    send_request(sizeof request);
  } else if (streq(what, "stray_done")) {
    request.magic = DKRT_MAGIC;
    request.kind = DKRT_REQ_DONE;
    send_request(sizeof request);
  } else if (streq(what, "replay")) {
    /* Two well-formed calls (DkSemaphorePeek of a bad handle) the thread does not wait for:
     * each is served, and the thread goes on. */
    request.magic = DKRT_MAGIC;
    request.kind = DKRT_REQ_CALL;
    request.ctx.rax = DK_CALL_BASE + 11;
    request.ctx.rdi = 0x7fff1234;
    request.ctx.rsi = 0;
    send_request(sizeof request);
    send_request(sizeof request);
    for (int i = 0; i < 3; ++i) dk6(DK_CALL_DkThreadYieldExecution, 0, 0, 0, 0, 0, 0);
    say("after replay");
    return 0;
  } else if (streq(what, "scribble_slot")) {
    /* The reply slot is the supervisor's to write; scribbling on it changes nothing. */
    memset((void*)(uintptr_t)DKRT_SLOTS, 0xa5, 256);
    dk_handle_t sem = 0;
    if (DkSemaphoreCreate(1, 1, &sem) != 0) return 2;
    uint32_t count = 0;
    if (DkSemaphorePeek(sem, &count) != 0 || count != 1) return 3;
    say("slot ok");
    return 0;
  } else if (streq(what, "forge_thread_block")) {
    /* The shim takes its slot from the thread block; a forged one names a slot no thread
     * holds, and the supervisor ends the picoprocess. */
    *(volatile uint32_t*)(uintptr_t)DKRT_THREADS = 77;
  } else if (streq(what, "runtime_block")) {
    /* The runtime's block is not the guest's. */
    void* at = (void*)(uintptr_t)DKRT_BLOCK;
    long st = DkVirtualMemoryAllocate(&at, 4096, DK_ALLOC_COMMIT | DK_ALLOC_REPLACE,
                                      DK_PROT_READ | DK_PROT_WRITE);
    if (st != -DK_E_EXIST) return 4;
    st = DkVirtualMemoryFree((void*)(uintptr_t)DKRT_SLOTS, 4096);
    if (st != -DK_E_INVAL) return 5;
    say("block kept");
    return 0;
  } else {
    return 99;
  }
  /* The supervisor ends the picoprocess at the next message; this call never returns. */
  dk6(DK_CALL_DkThreadYieldExecution, 0, 0, 0, 0, 0, 0);
  say("still here");
  return 0;
}
