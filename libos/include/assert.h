/* assert() for the libos C library: prints the failed expression to stderr and aborts
 * (exit status 134). Like the standard header, it may be included again after changing
 * NDEBUG. */
#undef assert
#ifdef NDEBUG
#define assert(e) ((void)0)
#else
#define assert(e) ((e) ? (void)0 : __assert_fail(#e, __FILE__, __LINE__, __func__))
#endif

#ifndef DK_LIBC_ASSERT_H
#define DK_LIBC_ASSERT_H
#ifdef __cplusplus
extern "C" {
#endif
__attribute__((noreturn)) void __assert_fail(const char* expr, const char* file, unsigned line,
                                             const char* func);
#ifdef __cplusplus
}
#endif
#endif /* DK_LIBC_ASSERT_H */
