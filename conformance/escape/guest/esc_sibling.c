/* The picoprocesses that watch an attempt: `work` runs beside the attacker in the same world
 * and must finish its own work (compute, sync objects, a file of its own, sleeps that let the
 * attacker run in between) and exit ESC_SIBLING_OK; `probe` runs after the attempt on a fresh
 * host in the same harness process and must find every call it makes served. */
#include "esc.h"

static uint64_t mix(uint64_t rounds) {
  uint64_t h = 1469598103934665603ull;
  for (uint64_t i = 0; i < rounds; ++i) {
    h ^= i;
    h *= 1099511628211ull;
    if (i % 4096 == 0) DkThreadYieldExecution();
  }
  return h;
}

/* A file of its own in file:/tmp: what it writes, it reads back. */
static int file_roundtrip(const char* uri) {
  dk_handle_t f = 0;
  if (DkStreamOpen(uri, DK_ACCESS_RDWR, 0600, DK_CREATE_TRY | DK_CREATE_TRUNCATE, 0, &f))
    return 10;
  uint8_t out[256], in[256];
  for (int i = 0; i < 256; ++i) out[i] = (uint8_t)(i * 7 + 3);
  uint64_t n = sizeof out;
  if (DkStreamWrite(f, 0, out, &n) || n != sizeof out) return 11;
  n = sizeof in;
  if (DkStreamRead(f, 0, in, &n) || n != sizeof in) return 12;
  if (conf_memcmp(in, out, sizeof in)) return 13;
  if (DkStreamDelete(f, DK_DELETE_ALL)) return 14;
  if (DkObjectClose(f)) return 15;
  return 0;
}

static int sync_objects(void) {
  dk_handle_t s = 0, e = 0;
  if (DkSemaphoreCreate(0, 4, &s)) return 20;
  uint32_t prev = 9, count = 0;
  if (DkSemaphoreRelease(s, 2, &prev) || prev != 0) return 21;
  if (DkSemaphorePeek(s, &count) || count != 2) return 22;
  if (DkNotificationEventCreate(0, &e)) return 23;
  if (DkEventSet(e)) return 24;
  dk_handle_t both[2] = {e, s};
  uint32_t index = 9;
  if (DkObjectsWaitAny(2, both, 0, &index) || index != 0) return 25;
  /* Held across a sleep, so an attacker scanning handle values meets live handles. */
  uint64_t ns = 2000000;
  if (DkThreadDelayExecution(&ns)) return 26;
  if (DkSemaphorePeek(s, &count) || count != 2) return 27;
  if (DkObjectClose(s) || DkObjectClose(e)) return 28;
  return 0;
}

CASE(work) {
  uint64_t a = mix(20000);
  int r = sync_objects();
  if (r) return r;
  r = file_roundtrip("file:/tmp/sibling.dat");
  if (r) return r;
  uint64_t b = mix(20000);
  if (a != b) return 30; /* its own registers or memory changed under it */
  uint64_t t0 = 0, t1 = 0;
  if (DkSystemTimeQuery(&t0)) return 31;
  uint64_t ns = 1000000;
  if (DkThreadDelayExecution(&ns)) return 32;
  if (DkSystemTimeQuery(&t1) || t1 <= t0) return 33;
  return ESC_SIBLING_OK;
}

CASE(probe) {
  dk_system_info info;
  if (DkSystemInfoQuery(&info, sizeof info) || info.abi_major != DK_ABI_MAJOR) return 40;
  void* p = 0;
  if (DkVirtualMemoryAllocate(&p, 3 * DK_PAGE_SIZE, DK_ALLOC_COMMIT, DK_PROT_READ | DK_PROT_WRITE))
    return 41;
  ((volatile uint8_t*)p)[5000] = 7;
  if (DkVirtualMemoryFree(p, 3 * DK_PAGE_SIZE)) return 42;
  uint8_t bits[32];
  if (DkRandomBitsRead(bits, sizeof bits)) return 43;
  int r = sync_objects();
  if (r) return r;
  r = file_roundtrip("file:/tmp/probe.dat");
  if (r) return r;
  dk_handle_t z = 0;
  if (DkStreamOpen("dev:zero", DK_ACCESS_RDONLY, 0, 0, 0, &z)) return 44;
  uint64_t n = sizeof bits;
  if (DkStreamRead(z, 0, bits, &n) || n != sizeof bits || bits[3] != 0) return 45;
  if (DkObjectClose(z) || DkObjectClose(z) != -DK_E_BADHANDLE) return 46;
  return ESC_PROBE_OK;
}
