/* Handle kinds: every call that takes a handle answers BADHANDLE for one that is not live
 * and WRONGTYPE for a live handle to the wrong kind of object (ABI.md section 3), and the
 * handle calls themselves (#35-#38). */
#include "case.h"

static uint8_t buf[64];

static dk_handle_t sem(void) { return conf_semaphore(0, 1); }
static dk_handle_t stream(void) {
  dk_handle_t h = 0;
  CHECK_OK(DkStreamOpen("dev:null", DK_ACCESS_RDWR, 0, DK_CREATE_NEVER, 0, &h));
  return h;
}

#define HANDLE_CASES(name, expr_with_h, wrong_maker)          \
  CASE(bad_##name) {                                          \
    dk_handle_t h = CONF_BAD_HANDLE;                          \
    CHECK_ST(expr_with_h, DK_E_BADHANDLE);                    \
    h = 0;                                                    \
    CHECK_ST(expr_with_h, DK_E_BADHANDLE);                    \
    return 0;                                                 \
  }                                                           \
  CASE(wrong_##name) {                                        \
    dk_handle_t h = wrong_maker();                            \
    CHECK_ST(expr_with_h, DK_E_WRONGTYPE);                    \
    return 0;                                                 \
  }

static uint32_t u32;
static int64_t i64;
static uint64_t count;
static dk_handle_t out_h;
static dk_stream_attr attr;
static void* map_addr;

HANDLE_CASES(ThreadResume, DkThreadResume(h), sem)
HANDLE_CASES(SemaphoreRelease, DkSemaphoreRelease(h, 1, &u32), stream)
HANDLE_CASES(SemaphorePeek, DkSemaphorePeek(h, &u32), stream)
HANDLE_CASES(EventSet, DkEventSet(h), sem)
HANDLE_CASES(EventClear, DkEventClear(h), sem)
HANDLE_CASES(ProcessExitCodeQuery, DkProcessExitCodeQuery(h, &i64), sem)
HANDLE_CASES(StreamRead, (count = 8, DkStreamRead(h, 0, buf, &count)), sem)
HANDLE_CASES(StreamWrite, (count = 8, DkStreamWrite(h, 0, buf, &count)), sem)
HANDLE_CASES(StreamMap, (map_addr = 0, DkStreamMap(h, &map_addr, DK_PROT_READ, 0, DK_PAGE_SIZE)), sem)
HANDLE_CASES(StreamSetLength, DkStreamSetLength(h, 0), sem)
HANDLE_CASES(StreamFlush, DkStreamFlush(h), sem)
HANDLE_CASES(StreamDelete, DkStreamDelete(h, DK_DELETE_ALL), sem)
HANDLE_CASES(StreamWaitForClient, DkStreamWaitForClient(h, &out_h), sem)
HANDLE_CASES(StreamAttributesQueryByHandle, DkStreamAttributesQueryByHandle(h, &attr), sem)
HANDLE_CASES(StreamAttributesSetByHandle, DkStreamAttributesSetByHandle(h, &attr), sem)
HANDLE_CASES(StreamGetName, (count = sizeof buf, DkStreamGetName(h, (char*)buf, &count)), sem)
HANDLE_CASES(StreamChangeName, DkStreamChangeName(h, "file:/tmp/renamed"), sem)
HANDLE_CASES(SendHandle, DkSendHandle(h, sem()), sem)
HANDLE_CASES(ReceiveHandle, DkReceiveHandle(h, &out_h), sem)

CASE(bad_ObjectsWaitAny) {
  dk_handle_t h = CONF_BAD_HANDLE;
  CHECK_ST(DkObjectsWaitAny(1, &h, 0, &u32), DK_E_BADHANDLE);
  return 0;
}

CASE(bad_ObjectReference) {
  CHECK_ST(DkObjectReference(CONF_BAD_HANDLE, &out_h), DK_E_BADHANDLE);
  CHECK_ST(DkObjectReference(0, &out_h), DK_E_BADHANDLE);
  return 0;
}

CASE(bad_ObjectClose) {
  CHECK_ST(DkObjectClose(CONF_BAD_HANDLE), DK_E_BADHANDLE);
  CHECK_ST(DkObjectClose(0), DK_E_BADHANDLE);
  return 0;
}

CASE(close_twice) {
  dk_handle_t s = sem();
  CHECK_OK(DkObjectClose(s));
  CHECK_ST(DkObjectClose(s), DK_E_BADHANDLE);
  CHECK_ST(DkSemaphorePeek(s, &u32), DK_E_BADHANDLE);
  return 0;
}

CASE(close_not_reused) {
  dk_handle_t s = sem();
  CHECK_OK(DkObjectClose(s));
  dk_handle_t t = sem();
  CHECK(t != s); /* a closed value does not name the new object */
  CHECK_ST(DkSemaphorePeek(s, &u32), DK_E_BADHANDLE);
  return 0;
}

CASE(reference_same_object) {
  dk_handle_t s = conf_semaphore(0, 5), copy = 0;
  CHECK_OK(DkObjectReference(s, &copy));
  CHECK(copy != 0 && copy != s);
  CHECK_OK(DkSemaphoreRelease(copy, 2, 0));
  uint32_t c = 0;
  CHECK_OK(DkSemaphorePeek(s, &c));
  CHECK_EQ(c, 2);
  return 0;
}

CASE(reference_outlives_original) {
  dk_handle_t s = conf_semaphore(3, 5), copy = 0;
  CHECK_OK(DkObjectReference(s, &copy));
  CHECK_OK(DkObjectClose(s));
  uint32_t c = 0;
  CHECK_OK(DkSemaphorePeek(copy, &c));
  CHECK_EQ(c, 3);
  return 0;
}

CASE(reference_stream) {
  dk_handle_t s = stream(), copy = 0;
  CHECK_OK(DkObjectReference(s, &copy));
  uint64_t n = 4;
  CHECK_OK(DkStreamWrite(copy, 0, "data", &n));
  CHECK_EQ(n, 4);
  return 0;
}

CASE(reference_fault) {
  dk_handle_t s = sem();
  CHECK_ST(DkObjectReference(s, (dk_handle_t*)0), DK_E_FAULT);
  dk_handle_t* ro = conf_pages(1, DK_PROT_READ);
  CHECK_ST(DkObjectReference(s, ro), DK_E_FAULT);
  return 0;
}

CASE(kinds_distinct) {
  /* A semaphore is not an event and an event is not a semaphore. */
  dk_handle_t e = conf_event(0, 0), s = sem();
  CHECK_ST(DkSemaphorePeek(e, &u32), DK_E_WRONGTYPE);
  CHECK_ST(DkEventSet(s), DK_E_WRONGTYPE);
  CHECK_ST(DkSemaphoreRelease(conf_event(1, 0), 1, 0), DK_E_WRONGTYPE);
  return 0;
}
