/* The native runtime benchmarks' guest (bench/runtime_bench.cc), on the conformance case
 * runtime: argv[1] names the kind of call, argv[2] how many to make, back to back.
 *
 *   shim N        DkSegmentRegisterSet(GS, base) N times: answered in the shim on the
 *                 native runtime, without the supervisor (it sets the GS base: a syscall)
 *   flush N       DkInstructionCacheFlush of one page N times: answered in the shim, a hint
 *                 that needs no syscall of its own (the trap alone)
 *   supervisor N  DkSemaphorePeek on a live semaphore N times: a round trip to the supervisor
 *
 * The benchmark runs each at N and at 0 and counts the difference, so start-up and exit are
 * not in the figure. Failures print one FAIL line and exit 1 (CHECK). */
#include "case.h"

static uint64_t arg_count(void) {
  CHECK(conf_argc >= 3);
  uint64_t n = 0;
  for (const char* p = conf_argv[2]; *p; ++p) {
    CHECK(*p >= '0' && *p <= '9');
    n = n * 10 + (uint64_t)(*p - '0');
  }
  return n;
}

CASE(shim) {
  const uint64_t n = arg_count();
  for (uint64_t i = 0; i < n; i++) CHECK_OK(DkSegmentRegisterSet(DK_SEGMENT_GS, 0x10000 + i));
  return 0;
}

static uint8_t flushed[64];

CASE(flush) {
  const uint64_t n = arg_count();
  for (uint64_t i = 0; i < n; i++) CHECK_OK(DkInstructionCacheFlush(flushed, sizeof flushed));
  return 0;
}

CASE(supervisor) {
  const uint64_t n = arg_count();
  dk_handle_t s = conf_semaphore(1, 1);
  uint32_t count = 0;
  for (uint64_t i = 0; i < n; i++) CHECK_OK(DkSemaphorePeek(s, &count));
  if (n > 0) CHECK_EQ(count, 1);
  return 0;
}
