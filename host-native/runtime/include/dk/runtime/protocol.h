/* The native runtime's channel between the in-child shim and the supervisor (C, shared by
 * the freestanding shim and the harness). docs/native-runtime.md describes the protocol.
 *
 * The child's only ways out: a SOCK_SEQPACKET socket (the channel; one request per
 * message, child to supervisor) and one reply slot per thread in a page shared with the
 * supervisor (written by the supervisor only, read by the shim after a futex wake). The
 * supervisor copies each request once, out of the socket, and trusts none of it. */
#ifndef DK_RUNTIME_PROTOCOL_H
#define DK_RUNTIME_PROTOCOL_H

#include <stdint.h>

#include "dk/abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Where things live in a child (all fixed; docs/abi.md, "The native runtime") ---- */
/* The runtime's block: the top of the user range. A native-runtime picoprocess's user
 * range ends at DKRT_USER_HIGH; DkSystemInfoQuery says so. */
#define DKRT_BLOCK 0x7ffff0000000ull
#define DKRT_USER_HIGH DKRT_BLOCK
#define DKRT_BLOCK_END DK_USER_HIGH
#define DKRT_SHIM DKRT_BLOCK                   /* shim text, then its data */
#define DKRT_SHIM_MAX (1ull << 20)
#define DKRT_SLOTS (DKRT_BLOCK + (1ull << 20))  /* reply slots, shared with the supervisor */
#define DKRT_SLOT_SIZE 4096ull
#define DKRT_MAX_THREADS 256u                  /* live threads of one picoprocess */
#define DKRT_THREADS (DKRT_BLOCK + (16ull << 20)) /* one block per thread slot */
#define DKRT_THREAD_BLOCK (64ull << 10)         /* aligned: rsp & ~(size-1) finds it */
/* The initial stack ends here (the emulator's distance below the user range's end). */
#define DKRT_STACK_TOP (DKRT_USER_HIGH - 0x12000ull)
/* The child's descriptor for the channel. */
#define DKRT_CHANNEL_FD 3

#define DKRT_MAGIC 0x444b5254u /* "DKRT" */

/* ---- Requests (child -> supervisor), one per SOCK_SEQPACKET message ---- */
#define DKRT_REQ_CALL 1   /* a Dk downcall: ctx.rax is the number, ctx.rip is after the syscall */
#define DKRT_REQ_SIGNAL 2 /* a fault, trap or foreign syscall: signo, code, addr, err */
#define DKRT_REQ_DONE 3   /* the actions of a DKRT_REPLY_ACTIONS are carried out */

typedef struct {
  uint32_t magic;
  uint32_t kind;
  uint32_t slot;    /* the thread's reply slot */
  uint32_t signo;   /* SIGNAL: the signal */
  int32_t code;     /* SIGNAL: si_code */
  uint32_t arch;    /* SIGSYS: si_arch */
  uint64_t addr;    /* SIGSEGV/SIGBUS: si_addr; SIGSYS: si_call_addr */
  uint64_t err;     /* SIGSEGV: the page fault's error code */
  uint64_t seq;     /* echoed in the reply */
  uint64_t fs_base; /* as the shim last set them */
  uint64_t gs_base;
  dk_context ctx;   /* registers at the trap */
} dkrt_request;

/* ---- Replies (supervisor -> the thread's slot) ---- */
#define DKRT_REPLY_STATUS 1  /* rax = status; every other register as it was */
#define DKRT_REPLY_CONTEXT 2 /* load ctx (general registers, rip, rflags, fxsave 0..415) */
#define DKRT_REPLY_EXIT_THREAD 3
#define DKRT_REPLY_EXIT_GROUP 4 /* status & 0xff is the wait status; the supervisor knows the code */
#define DKRT_REPLY_ACTIONS 5    /* carry out the actions, answer DKRT_REQ_DONE, wait again */

/* Actions the shim carries out before it applies the reply. */
#define DKRT_ACT_MAP 1      /* anonymous private fixed mapping, zero-filled, prot */
#define DKRT_ACT_RESERVE 2  /* PROT_NONE, MAP_NORESERVE */
#define DKRT_ACT_UNMAP 3
#define DKRT_ACT_PROTECT 4
#define DKRT_ACT_SET_FS 5   /* addr = base */
#define DKRT_ACT_SET_GS 6
#define DKRT_ACT_CLONE 7    /* start a thread on slot `len` (its context waits in that slot) */
#define DKRT_ACT_SHARE 8    /* map `len` bytes of the slot file at addr (boot only) */
#define DKRT_MAX_ACTIONS 8

/* Linux protections (PROT_*) for MAP/PROTECT. */
typedef struct {
  uint32_t op;
  uint32_t prot;
  uint64_t addr;
  uint64_t len;
} dkrt_action;

typedef struct {
  uint32_t kind;
  uint32_t nactions;
  int64_t status;
  uint64_t seq;
  dkrt_action actions[DKRT_MAX_ACTIONS];
  dk_context ctx;
} dkrt_reply;

/* One per thread slot, in the shared page run. `ready` is the futex word: the shim sets it
 * to 0 before it sends a request and waits until it holds DKRT_READY(seq) of that request;
 * the supervisor writes the reply, then stores that tag and wakes it. A reply to any other
 * request (one a guest forged on its own slot) carries another tag, and the shim waits on.
 * DKRT_READY_START marks a new thread's first context. A thread's slot is reused once the
 * kernel has cleared `tid` (the thread is gone). */
#define DKRT_READY(seq) ((uint32_t)((seq) & 0x7fffffffu) | 0x80000000u)
#define DKRT_READY_START 1u
typedef struct {
  volatile uint32_t ready;
  volatile uint32_t tid; /* the thread's kernel id while it lives (CLONE_CHILD_CLEARTID) */
  dkrt_reply reply;
} dkrt_slot;
#ifdef __cplusplus
static_assert(sizeof(dkrt_slot) <= DKRT_SLOT_SIZE, "a reply slot fits its page");
#else
_Static_assert(sizeof(dkrt_slot) <= DKRT_SLOT_SIZE, "a reply slot fits its page");
#endif

/* ---- Boot: what the supervisor hands the shim's first stage ---- */
typedef struct {
  uint64_t addr;    /* where it goes in the child */
  uint64_t len;     /* page-aligned */
  uint64_t src;     /* offset of its bytes in the staging area (0: zero-filled) */
  uint64_t srclen;  /* bytes to copy */
  uint32_t prot;    /* PROT_* once loaded */
  uint32_t pad;
} dkrt_segment;

#define DKRT_MAX_SEGMENTS 64u
#define DKRT_MAX_FILTER 256u

typedef struct {
  uint64_t sock_filter[DKRT_MAX_FILTER]; /* struct sock_filter, 8 bytes each */
  uint32_t filter_len;
  uint32_t nsegments;
  dkrt_segment segments[DKRT_MAX_SEGMENTS];
  uint64_t staging;       /* where the staging area is in the child before the sweep */
  uint64_t staging_len;
  uint64_t shim_text_len; /* bytes of the blob that are code (page-aligned), then data */
  uint64_t shim_len;      /* the whole blob with its zero-filled tail, page-aligned */
  int32_t slots_fd;       /* memfd of the slot pages; closed after it is mapped */
  uint32_t nslots;
  uint64_t entry_rip;     /* the first thread's start */
  uint64_t entry_rdi;
  uint64_t entry_rsp;
  uint32_t spec_allow;    /* SECCOMP_FILTER_FLAG_SPEC_ALLOW works here */
  uint32_t pad;
} dkrt_boot;

/* The blob's first bytes: offsets of its entry points from its start. */
typedef struct {
  uint64_t magic;
  uint64_t stage1;      /* void stage1(dkrt_boot*, uint64_t blob_now) on the staging stack */
  uint64_t gadget;      /* the shim's one `syscall` instruction */
  uint64_t text_end;    /* end of code and read-only data */
  uint64_t data_end;    /* end of data and bss */
} dkrt_shim_header;

#define DKRT_SHIM_MAGIC 0x31314d4948534b44ull /* "DKSHIM11" */

#ifdef __cplusplus
}
#endif

#endif
