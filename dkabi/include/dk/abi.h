/* The Dk ABI 1.0: every number, flag, status code and structure of the contract between a
 * picoprocess and its host. C, freestanding-safe: shared by guest code (libos, conformance
 * cases, plug-in hosts) and the harness. docs/abi.md is the reference for the semantics. */
#ifndef DK_ABI_H
#define DK_ABI_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

#ifdef __cplusplus
extern "C" {
#define DK_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define DK_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

#define DK_ABI_MAJOR 1u
#define DK_ABI_MINOR 0u

#ifndef __ASSEMBLER__
typedef uint64_t dk_handle_t;
typedef int64_t dk_status_t;
#endif

/* ---- Machine model (ABI.md section 1) ---- */
#define DK_PAGE_SIZE 4096ull
#define DK_USER_LOW 0x10000ull
#define DK_USER_HIGH 0x7fffffff0000ull
#define DK_URI_MAX 4095u          /* bytes, without the terminating NUL */
#define DK_WAIT_MAX 64u           /* handles in one DkObjectsWaitAny */
#define DK_RANDOM_MAX (1ull << 20) /* bytes in one DkRandomBitsRead */
#define DK_TIMEOUT_INFINITE (~0ull)
#define DK_DEFAULT_STACK (256ull * 1024)
#define DK_EXCEPTION_DEPTH_MAX 4u
#define DK_RED_ZONE 128u

/* ---- Downcall numbers (section 3): 0xD000 + index ---- */
#define DK_CALL_BASE 0xD000u
#define DK_CALL_COUNT 45u

/* ---- Status codes (section 4), returned negated ---- */
#define DK_SUCCESS 0
#define DK_E_INVAL 1
#define DK_E_FAULT 2
#define DK_E_BADHANDLE 3
#define DK_E_NOMEM 4
#define DK_E_ACCESS 5
#define DK_E_NOENT 6
#define DK_E_EXIST 7
#define DK_E_AGAIN 8
#define DK_E_TIMEOUT 9
#define DK_E_INTERRUPTED 10
#define DK_E_PIPE 11
#define DK_E_NOTSUP 12
#define DK_E_QUOTA 13
#define DK_E_RANGE 14
#define DK_E_BUSY 15
#define DK_E_NOTCONN 16
#define DK_E_CONNREFUSED 17
#define DK_E_ISDIR 18
#define DK_E_NOTDIR 19
#define DK_E_WRONGTYPE 20
#define DK_E_NAMETOOLONG 21
#define DK_E_OVERFLOW 22
#define DK_E_MAX 22

/* ---- DkVirtualMemoryAllocate / Protect ---- */
#define DK_ALLOC_RESERVE 1u
#define DK_ALLOC_COMMIT 2u
#define DK_ALLOC_REPLACE 4u
#define DK_PROT_NONE 0u
#define DK_PROT_READ 1u
#define DK_PROT_WRITE 2u
#define DK_PROT_EXEC 4u
#define DK_PROT_GUARD 8u
#define DK_MAP_SHARED 0x80000000u /* DkStreamMap: high bit of prot */

/* ---- DkStreamOpen ---- */
#define DK_ACCESS_RDONLY 0u
#define DK_ACCESS_WRONLY 1u
#define DK_ACCESS_RDWR 2u
#define DK_ACCESS_APPEND 8u
#define DK_CREATE_NEVER 0u
#define DK_CREATE_TRY 1u
#define DK_CREATE_ALWAYS 2u
#define DK_CREATE_TRUNCATE 4u
#define DK_OPTION_NONBLOCK 1u

/* ---- DkStreamDelete ---- */
#define DK_DELETE_ALL 0u
#define DK_DELETE_READ 1u
#define DK_DELETE_WRITE 2u

/* ---- DkSegmentRegisterSet ---- */
#define DK_SEGMENT_FS 1u
#define DK_SEGMENT_GS 2u

/* ---- Exceptions (section 5) ---- */
#define DK_EXCEPTION_MEMFAULT 1u
#define DK_EXCEPTION_ILLEGAL 2u
#define DK_EXCEPTION_ARITHMETIC 3u
#define DK_EXCEPTION_BREAKPOINT 4u
#define DK_EXCEPTION_FOREIGN_TRAP 5u
#define DK_EXCEPTION_INTERRUPT 6u
#define DK_MEMFAULT_READ 1u
#define DK_MEMFAULT_WRITE 2u
#define DK_MEMFAULT_EXEC 4u
#define DK_TRAP_SYSCALL 1u
#define DK_TRAP_SYSENTER 2u
#define DK_TRAP_INT 3u /* vector in bits 8..15 of detail */

/* ---- Stream attributes ---- */
#define DK_STREAM_FILE 1u
#define DK_STREAM_DIR 2u
#define DK_STREAM_PIPE 3u
#define DK_STREAM_SOCKET 4u
#define DK_STREAM_DEVICE 5u
#define DK_STREAM_SERVER 6u

/* ---- Boot info flags, image note ---- */
#define DK_BOOT_FROM_SNAPSHOT 1ull
#define DK_NOTE_NAME "Dk"
#define DK_NOTE_TYPE 1u

/* Structures: C only, so assembly sources can include this header for the numbers. */
#ifndef __ASSEMBLER__
typedef struct {
  uint32_t abi_major, abi_minor;
  uint64_t args, args_len;  /* NUL-separated argument block */
  uint64_t env, env_len;    /* NUL-separated KEY=VALUE block */
  dk_handle_t stdin_h, stdout_h, stderr_h;
  dk_handle_t parent;       /* stream to the parent, 0 for the first picoprocess */
  uint64_t image_base;      /* load bias of the image */
  uint64_t stack_low, stack_high;
  uint64_t flags;           /* DK_BOOT_FROM_SNAPSHOT */
  char name[64];            /* package name, NUL-terminated */
} dk_boot_info;

typedef struct {
  uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
  uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
  uint64_t rip, rflags, fs_base, gs_base;
  uint8_t fxsave[512] __attribute__((aligned(16)));
} dk_context;

typedef struct {
  uint32_t type;
  uint32_t detail;
  uint64_t address;
  dk_context context;
} dk_exception_info;

typedef struct {
  uint32_t type;
  uint32_t share;
  uint64_t size;
  uint32_t readable, writable, nonblocking, reserved;
} dk_stream_attr;

typedef struct {
  uint32_t abi_major, abi_minor;
  uint64_t page_size, alloc_granularity;
  uint64_t user_low, user_high;
  uint32_t cpu_count, reserved;
  char host_name[32];
} dk_system_info;

/* The image note descriptor (PT_NOTE, name "Dk", type 1). */
typedef struct {
  uint32_t abi_major, abi_minor;
  uint64_t thread_start;
  uint64_t exception_dispatch;
  uint64_t flags;
} dk_image_note;

DK_STATIC_ASSERT(sizeof(dk_boot_info) == 168, "dk_boot_info layout");
DK_STATIC_ASSERT(__builtin_offsetof(dk_boot_info, stdin_h) == 40, "dk_boot_info.stdin_h");
DK_STATIC_ASSERT(__builtin_offsetof(dk_boot_info, image_base) == 72, "dk_boot_info.image_base");
DK_STATIC_ASSERT(__builtin_offsetof(dk_boot_info, name) == 104, "dk_boot_info.name");
DK_STATIC_ASSERT(sizeof(dk_context) == 672, "dk_context layout");
DK_STATIC_ASSERT(__builtin_offsetof(dk_context, rip) == 128, "dk_context.rip");
DK_STATIC_ASSERT(__builtin_offsetof(dk_context, fxsave) == 160, "dk_context.fxsave");
DK_STATIC_ASSERT(sizeof(dk_exception_info) == 688, "dk_exception_info layout");
DK_STATIC_ASSERT(__builtin_offsetof(dk_exception_info, context) == 16, "dk_exception_info.context");
DK_STATIC_ASSERT(sizeof(dk_stream_attr) == 32, "dk_stream_attr layout");
DK_STATIC_ASSERT(sizeof(dk_system_info) == 80, "dk_system_info layout");
DK_STATIC_ASSERT(__builtin_offsetof(dk_system_info, host_name) == 48, "dk_system_info.host_name");
DK_STATIC_ASSERT(sizeof(dk_image_note) == 32, "dk_image_note layout");
#endif /* !__ASSEMBLER__ */

/* ---- The one table of calls ----
 * X(index, Name, (argument kinds), ("argument names"))
 * Argument kinds say how the dispatcher checks and copies each register, and how traces and
 * reports print it. A buffer's length comes from the argument right after it: a value
 * (..._LEN_NEXT) or a u64 in/out pointer (..._COUNT_NEXT). Every other table in the project
 * (dispatch, the Host interface, tracing, printing, conformance coverage, libos stubs) is
 * generated from this list. */
#define DK_ARG_NONE 0          /* unused slot */
#define DK_ARG_U32 1           /* scalar, low 32 bits */
#define DK_ARG_U64 2           /* scalar */
#define DK_ARG_I64 3           /* signed scalar */
#define DK_ARG_HANDLE 4        /* dk_handle_t by value */
#define DK_ARG_ADDR 5          /* guest address, not dereferenced by the dispatcher */
#define DK_ARG_URI 6           /* NUL-terminated string, at most DK_URI_MAX bytes */
#define DK_ARG_BUF_IN_LEN_NEXT 7    /* input bytes, length = next argument */
#define DK_ARG_BUF_IN_COUNT_NEXT 8  /* input bytes, length = *next argument (u64 in/out) */
#define DK_ARG_BUF_OUT_LEN_NEXT 9   /* output bytes, room = next argument */
#define DK_ARG_BUF_OUT_COUNT_NEXT 10 /* output bytes, room = *next argument (u64 in/out) */
#define DK_ARG_U64_INOUT 11    /* u64* read and written */
#define DK_ARG_ADDR_INOUT 12   /* void** read and written */
#define DK_ARG_HANDLE_OUT 13   /* dk_handle_t* written */
#define DK_ARG_U32_OUT 14      /* uint32_t* written */
#define DK_ARG_U32_OUT_OPT 15  /* uint32_t* written, may be NULL */
#define DK_ARG_I64_OUT 16      /* int64_t* written */
#define DK_ARG_HANDLES_IN 17   /* const dk_handle_t[n], n = first argument */
#define DK_ARG_CONTEXT_IN 18   /* const dk_context* */
#define DK_ARG_ATTR_IN 19      /* const dk_stream_attr* */
#define DK_ARG_ATTR_OUT 20     /* dk_stream_attr* written */
#define DK_ARG_SYSINFO_OUT 21  /* dk_system_info*, room = next argument */
#define DK_ARG_U64_OUT 22      /* uint64_t* written */
#define DK_ARG_KIND_COUNT 23

/* Traits of a call, or-ed in its row (0: returns, never blocks, a host resource, required):
 *   DK_CALL_NORETURN     does not return to the caller when it succeeds
 *   DK_CALL_CONTROL      served by the picoprocess's own state (GuestControl in the harness):
 *                        memory, exit, segment bases, exception return; no host resource
 *   DK_CALL_BLOCKS       may park the calling thread until the world changes
 *   support level, in two bits: DK_CALL_REQUIRED (every host serves it), DK_CALL_CONDITIONAL
 *   (NOTSUP under a condition the ABI names), DK_CALL_OPTIONAL (a host may answer NOTSUP) */
#define DK_CALL_NORETURN 0x1u
#define DK_CALL_CONTROL 0x2u
#define DK_CALL_BLOCKS 0x4u
#define DK_CALL_SUPPORT_MASK 0x30u
#define DK_CALL_REQUIRED 0x00u
#define DK_CALL_CONDITIONAL 0x10u
#define DK_CALL_OPTIONAL 0x20u

/* DK_CALL_ROWS(R, X) expands R(X, index, Name, traits, (argument kinds), ("argument names"))
 * per call. DK_CALL_TABLE(X) hands X all five columns; DK_CALL_LIST(X) the four without the
 * traits, as X(index, Name, (kinds), (names)). */
#define DK_CALL_ROWS(R, X)                                                                       \
  R(X, 1, DkVirtualMemoryAllocate, DK_CALL_CONTROL,                                               \
    (DK_ARG_ADDR_INOUT, DK_ARG_U64, DK_ARG_U32, DK_ARG_U32), ("addr", "size", "alloc", "prot"))   \
  R(X, 2, DkVirtualMemoryFree, DK_CALL_CONTROL, (DK_ARG_ADDR, DK_ARG_U64), ("addr", "size"))      \
  R(X, 3, DkVirtualMemoryProtect, DK_CALL_CONTROL,                                                \
    (DK_ARG_ADDR, DK_ARG_U64, DK_ARG_U32), ("addr", "size", "prot"))                              \
  R(X, 4, DkThreadCreate, DK_CALL_CONDITIONAL,                                                    \
    (DK_ARG_U64, DK_ARG_ADDR, DK_ARG_HANDLE_OUT), ("arg", "stack_top", "thread"))                 \
  R(X, 5, DkThreadExit, DK_CALL_CONTROL | DK_CALL_NORETURN, (), ())                               \
  R(X, 6, DkThreadDelayExecution, DK_CALL_BLOCKS, (DK_ARG_U64_INOUT), ("ns"))                     \
  R(X, 7, DkThreadYieldExecution, 0, (), ())                                                      \
  R(X, 8, DkThreadResume, 0, (DK_ARG_HANDLE), ("thread"))                                         \
  R(X, 9, DkSemaphoreCreate, 0,                                                                   \
    (DK_ARG_U32, DK_ARG_U32, DK_ARG_HANDLE_OUT), ("initial", "max", "sem"))                       \
  R(X, 10, DkSemaphoreRelease, 0,                                                                 \
    (DK_ARG_HANDLE, DK_ARG_U32, DK_ARG_U32_OUT_OPT), ("sem", "count", "previous"))                \
  R(X, 11, DkSemaphorePeek, 0, (DK_ARG_HANDLE, DK_ARG_U32_OUT), ("sem", "count"))                 \
  R(X, 12, DkNotificationEventCreate, 0, (DK_ARG_U32, DK_ARG_HANDLE_OUT), ("signaled", "ev"))     \
  R(X, 13, DkSynchronizationEventCreate, 0, (DK_ARG_U32, DK_ARG_HANDLE_OUT), ("signaled", "ev"))  \
  R(X, 14, DkEventSet, 0, (DK_ARG_HANDLE), ("ev"))                                                \
  R(X, 15, DkEventClear, 0, (DK_ARG_HANDLE), ("ev"))                                              \
  R(X, 16, DkObjectsWaitAny, DK_CALL_BLOCKS,                                                      \
    (DK_ARG_U32, DK_ARG_HANDLES_IN, DK_ARG_U64, DK_ARG_U32_OUT),                                  \
    ("n", "handles", "timeout_ns", "index"))                                                      \
  R(X, 17, DkProcessCreate, 0,                                                                    \
    (DK_ARG_URI, DK_ARG_BUF_IN_LEN_NEXT, DK_ARG_U64, DK_ARG_HANDLE_OUT, DK_ARG_HANDLE_OUT),       \
    ("uri", "args", "args_len", "process", "stream"))                                             \
  R(X, 18, DkProcessExit, DK_CALL_CONTROL | DK_CALL_NORETURN, (DK_ARG_I64), ("code"))             \
  R(X, 19, DkProcessExitCodeQuery, 0, (DK_ARG_HANDLE, DK_ARG_I64_OUT), ("process", "code"))       \
  R(X, 20, DkProcessSnapshot, DK_CALL_OPTIONAL,                                                   \
    (DK_ARG_HANDLE, DK_ARG_U64, DK_ARG_U32_OUT), ("stream", "flags", "restored"))                 \
  R(X, 21, DkStreamOpen, DK_CALL_BLOCKS,                                                          \
    (DK_ARG_URI, DK_ARG_U32, DK_ARG_U32, DK_ARG_U32, DK_ARG_U32, DK_ARG_HANDLE_OUT),              \
    ("uri", "access", "share", "create", "options", "stream"))                                    \
  R(X, 22, DkStreamRead, DK_CALL_BLOCKS,                                                          \
    (DK_ARG_HANDLE, DK_ARG_U64, DK_ARG_BUF_OUT_COUNT_NEXT, DK_ARG_U64_INOUT),                     \
    ("stream", "offset", "buf", "count"))                                                         \
  R(X, 23, DkStreamWrite, DK_CALL_BLOCKS,                                                         \
    (DK_ARG_HANDLE, DK_ARG_U64, DK_ARG_BUF_IN_COUNT_NEXT, DK_ARG_U64_INOUT),                      \
    ("stream", "offset", "buf", "count"))                                                         \
  R(X, 24, DkStreamMap, 0,                                                                        \
    (DK_ARG_HANDLE, DK_ARG_ADDR_INOUT, DK_ARG_U32, DK_ARG_U64, DK_ARG_U64),                       \
    ("stream", "addr", "prot", "offset", "size"))                                                 \
  R(X, 25, DkStreamUnmap, 0, (DK_ARG_ADDR, DK_ARG_U64), ("addr", "size"))                         \
  R(X, 26, DkStreamSetLength, 0, (DK_ARG_HANDLE, DK_ARG_U64), ("stream", "length"))               \
  R(X, 27, DkStreamFlush, 0, (DK_ARG_HANDLE), ("stream"))                                         \
  R(X, 28, DkStreamDelete, 0, (DK_ARG_HANDLE, DK_ARG_U32), ("stream", "which"))                   \
  R(X, 29, DkStreamWaitForClient, DK_CALL_BLOCKS,                                                 \
    (DK_ARG_HANDLE, DK_ARG_HANDLE_OUT), ("server", "client"))                                     \
  R(X, 30, DkStreamAttributesQuery, 0, (DK_ARG_URI, DK_ARG_ATTR_OUT), ("uri", "attr"))            \
  R(X, 31, DkStreamAttributesQueryByHandle, 0,                                                    \
    (DK_ARG_HANDLE, DK_ARG_ATTR_OUT), ("stream", "attr"))                                         \
  R(X, 32, DkStreamAttributesSetByHandle, 0, (DK_ARG_HANDLE, DK_ARG_ATTR_IN), ("stream", "attr")) \
  R(X, 33, DkStreamGetName, 0,                                                                    \
    (DK_ARG_HANDLE, DK_ARG_BUF_OUT_COUNT_NEXT, DK_ARG_U64_INOUT), ("stream", "buf", "size"))      \
  R(X, 34, DkStreamChangeName, 0, (DK_ARG_HANDLE, DK_ARG_URI), ("stream", "new_uri"))             \
  R(X, 35, DkObjectReference, 0, (DK_ARG_HANDLE, DK_ARG_HANDLE_OUT), ("object", "copy"))          \
  R(X, 36, DkObjectClose, 0, (DK_ARG_HANDLE), ("object"))                                         \
  R(X, 37, DkSendHandle, 0, (DK_ARG_HANDLE, DK_ARG_HANDLE), ("pipe", "cargo"))                    \
  R(X, 38, DkReceiveHandle, DK_CALL_BLOCKS,                                                       \
    (DK_ARG_HANDLE, DK_ARG_HANDLE_OUT), ("pipe", "cargo"))                                        \
  R(X, 39, DkSystemTimeQuery, 0, (DK_ARG_U64_OUT), ("ns"))                                        \
  R(X, 40, DkRandomBitsRead, 0, (DK_ARG_BUF_OUT_LEN_NEXT, DK_ARG_U64), ("buf", "size"))           \
  R(X, 41, DkInstructionCacheFlush, 0, (DK_ARG_ADDR, DK_ARG_U64), ("addr", "size"))               \
  R(X, 42, DkSegmentRegisterSet, DK_CALL_CONTROL, (DK_ARG_U32, DK_ARG_U64), ("reg", "base"))      \
  R(X, 43, DkExceptionReturn, DK_CALL_CONTROL | DK_CALL_NORETURN, (DK_ARG_CONTEXT_IN), ("ctx"))   \
  R(X, 44, DkSystemInfoQuery, 0, (DK_ARG_SYSINFO_OUT, DK_ARG_U64), ("info", "size"))              \
  R(X, 45, DkDebugOutput, 0, (DK_ARG_BUF_IN_LEN_NEXT, DK_ARG_U64), ("buf", "size"))

#define DK_CALL_ROW_WITH_TRAITS(X, idx, name, traits, kinds, names) X(idx, name, traits, kinds, names)
#define DK_CALL_ROW_WITHOUT_TRAITS(X, idx, name, traits, kinds, names) X(idx, name, kinds, names)
#define DK_CALL_TABLE(X) DK_CALL_ROWS(DK_CALL_ROW_WITH_TRAITS, X)
#define DK_CALL_LIST(X) DK_CALL_ROWS(DK_CALL_ROW_WITHOUT_TRAITS, X)

/* Call numbers as constants: DK_CALL_DkStreamOpen == 0xD015. */
#ifndef __ASSEMBLER__
enum {
#define DK_X_NUMBER(idx, name, kinds, names) DK_CALL_##name = DK_CALL_BASE + idx,
  DK_CALL_LIST(DK_X_NUMBER)
#undef DK_X_NUMBER
};
#endif

#ifdef __cplusplus
}
#endif
#endif /* DK_ABI_H */
