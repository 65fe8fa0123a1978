/* The check helper shared by the self-test's source files. */
#ifndef DK_LIBOS_SELFTEST_H
#define DK_LIBOS_SELFTEST_H

void check(int ok, const char* what, const char* file, int line);
#define CHECK(e) check(!!(e), #e, __FILE__, __LINE__)

/* posix_selftest.c */
void test_posix(void);

#endif /* DK_LIBOS_SELFTEST_H */
