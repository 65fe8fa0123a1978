/* Semaphores, events and DkObjectsWaitAny without threads (ABI.md section 3 #9-#16). */
#include "case.h"

#define POLL 0ull

static uint32_t peek(dk_handle_t s) {
  uint32_t c = 0xdead;
  CHECK_OK(DkSemaphorePeek(s, &c));
  return c;
}

static dk_status_t poll1(dk_handle_t h) {
  uint32_t index = 99;
  dk_status_t st = DkObjectsWaitAny(1, &h, POLL, &index);
  if (st == 0) CHECK_EQ(index, 0);
  return st;
}

/* ---- Semaphores ---- */
CASE(sem_create_initial) {
  dk_handle_t s = conf_semaphore(3, 5);
  CHECK_EQ(peek(s), 3);
  return 0;
}

CASE(sem_create_full) {
  dk_handle_t s = conf_semaphore(4, 4);
  CHECK_EQ(peek(s), 4);
  return 0;
}

CASE(sem_create_max_zero) {
  dk_handle_t h = 0x1234;
  CHECK_ST(DkSemaphoreCreate(0, 0, &h), DK_E_INVAL);
  CHECK_EQ(h, 0x1234); /* a failing call never writes a handle */
  return 0;
}

CASE(sem_create_initial_over_max) {
  dk_handle_t h = 0x1234;
  CHECK_ST(DkSemaphoreCreate(3, 2, &h), DK_E_INVAL);
  CHECK_EQ(h, 0x1234);
  return 0;
}

CASE(sem_create_fault) {
  CHECK_ST(DkSemaphoreCreate(0, 1, (dk_handle_t*)0), DK_E_FAULT);
  CHECK_ST(DkSemaphoreCreate(0, 1, (dk_handle_t*)CONF_KERNEL_ADDR), DK_E_FAULT);
  return 0;
}

CASE(sem_handles_distinct) {
  dk_handle_t a = conf_semaphore(0, 1), b = conf_semaphore(0, 1);
  CHECK(a != b);
  CHECK(a != 0 && b != 0);
  return 0;
}

CASE(sem_release_previous) {
  dk_handle_t s = conf_semaphore(1, 10);
  uint32_t prev = 99;
  CHECK_OK(DkSemaphoreRelease(s, 4, &prev));
  CHECK_EQ(prev, 1);
  CHECK_EQ(peek(s), 5);
  return 0;
}

CASE(sem_release_null_previous) {
  dk_handle_t s = conf_semaphore(0, 2);
  CHECK_OK(DkSemaphoreRelease(s, 2, 0));
  CHECK_EQ(peek(s), 2);
  return 0;
}

CASE(sem_release_range) {
  dk_handle_t s = conf_semaphore(2, 3);
  uint32_t prev = 99;
  CHECK_ST(DkSemaphoreRelease(s, 2, &prev), DK_E_RANGE);
  CHECK_EQ(prev, 99);
  CHECK_EQ(peek(s), 2); /* count unchanged */
  return 0;
}

CASE(sem_release_range_wrap) {
  dk_handle_t s = conf_semaphore(1, 0xffffffffu);
  CHECK_ST(DkSemaphoreRelease(s, 0xffffffffu, 0), DK_E_RANGE);
  CHECK_EQ(peek(s), 1);
  return 0;
}

CASE(sem_release_to_max) {
  dk_handle_t s = conf_semaphore(0, 3);
  CHECK_OK(DkSemaphoreRelease(s, 3, 0));
  CHECK_EQ(peek(s), 3);
  CHECK_ST(DkSemaphoreRelease(s, 1, 0), DK_E_RANGE);
  return 0;
}

CASE(sem_release_previous_fault) {
  dk_handle_t s = conf_semaphore(0, 3);
  CHECK_ST(DkSemaphoreRelease(s, 1, (uint32_t*)CONF_KERNEL_ADDR), DK_E_FAULT);
  CHECK_EQ(peek(s), 0); /* nothing half done */
  return 0;
}

CASE(sem_peek_fault) {
  dk_handle_t s = conf_semaphore(0, 3);
  CHECK_ST(DkSemaphorePeek(s, (uint32_t*)0), DK_E_FAULT);
  uint32_t* ro = conf_pages(1, DK_PROT_READ);
  CHECK_ST(DkSemaphorePeek(s, ro), DK_E_FAULT);
  return 0;
}

CASE(sem_u32_high_bits_ignored) {
  /* U32 arguments use the low 32 bits of their register. */
  dk_handle_t h = 0;
  CHECK_OK(dk_raw_call(DK_CALL_DkSemaphoreCreate, 0xffffffff00000001ull, 0x100000002ull,
                    (uint64_t)&h, 0, 0, 0));
  CHECK_EQ(peek(h), 1);
  CHECK_ST(DkSemaphoreRelease(h, 2, 0), DK_E_RANGE); /* max is 2, not 0x100000002 */
  return 0;
}

/* ---- Events ---- */
CASE(notification_initial_signaled) {
  dk_handle_t e = conf_event(0, 1);
  CHECK_OK(poll1(e));
  CHECK_OK(poll1(e)); /* manual reset: stays signaled */
  return 0;
}

CASE(notification_initial_clear) {
  dk_handle_t e = conf_event(0, 0);
  CHECK_ST(poll1(e), DK_E_TIMEOUT);
  return 0;
}

CASE(notification_set_clear) {
  dk_handle_t e = conf_event(0, 0);
  CHECK_OK(DkEventSet(e));
  CHECK_OK(poll1(e));
  CHECK_OK(DkEventClear(e));
  CHECK_ST(poll1(e), DK_E_TIMEOUT);
  return 0;
}

CASE(notification_set_twice) {
  dk_handle_t e = conf_event(0, 0);
  CHECK_OK(DkEventSet(e));
  CHECK_OK(DkEventSet(e));
  CHECK_OK(poll1(e));
  CHECK_OK(DkEventClear(e));
  CHECK_ST(poll1(e), DK_E_TIMEOUT); /* no count kept */
  return 0;
}

CASE(sync_auto_reset) {
  dk_handle_t e = conf_event(1, 1);
  CHECK_OK(poll1(e));
  CHECK_ST(poll1(e), DK_E_TIMEOUT); /* one satisfied wait cleared it */
  CHECK_OK(DkEventSet(e));
  CHECK_OK(poll1(e));
  CHECK_ST(poll1(e), DK_E_TIMEOUT);
  return 0;
}

CASE(sync_initial_clear) {
  dk_handle_t e = conf_event(1, 0);
  CHECK_ST(poll1(e), DK_E_TIMEOUT);
  return 0;
}

CASE(sync_clear) {
  dk_handle_t e = conf_event(1, 1);
  CHECK_OK(DkEventClear(e));
  CHECK_ST(poll1(e), DK_E_TIMEOUT);
  return 0;
}

CASE(event_create_fault) {
  CHECK_ST(DkNotificationEventCreate(0, (dk_handle_t*)0), DK_E_FAULT);
  CHECK_ST(DkSynchronizationEventCreate(0, (dk_handle_t*)CONF_KERNEL_ADDR), DK_E_FAULT);
  return 0;
}

/* ---- DkObjectsWaitAny ---- */
CASE(wait_n_zero) {
  dk_handle_t s = conf_semaphore(1, 1);
  uint32_t i = 0;
  CHECK_ST(DkObjectsWaitAny(0, &s, POLL, &i), DK_E_INVAL);
  return 0;
}

CASE(wait_n_over_max) {
  dk_handle_t hs[65];
  for (int k = 0; k < 65; ++k) hs[k] = conf_semaphore(1, 1);
  uint32_t i = 0;
  CHECK_ST(DkObjectsWaitAny(65, hs, POLL, &i), DK_E_INVAL);
  CHECK_EQ(peek(hs[0]), 1);
  return 0;
}

CASE(wait_n_checked_before_pointer) {
  uint32_t i = 0;
  CHECK_ST(DkObjectsWaitAny(0, (dk_handle_t*)0, POLL, &i), DK_E_INVAL);
  CHECK_ST(DkObjectsWaitAny(65, (dk_handle_t*)CONF_KERNEL_ADDR, POLL, &i), DK_E_INVAL);
  return 0;
}

CASE(wait_max_handles) {
  dk_handle_t hs[64];
  dk_handle_t empty = conf_semaphore(0, 1);
  for (int k = 0; k < 63; ++k) hs[k] = empty;
  hs[63] = conf_semaphore(1, 1);
  uint32_t i = 0;
  CHECK_OK(DkObjectsWaitAny(64, hs, POLL, &i));
  CHECK_EQ(i, 63);
  return 0;
}

CASE(wait_poll_timeout) {
  dk_handle_t s = conf_semaphore(0, 1);
  uint32_t i = 77;
  CHECK_ST(DkObjectsWaitAny(1, &s, POLL, &i), DK_E_TIMEOUT);
  CHECK_EQ(i, 77); /* outputs are written on success only */
  return 0;
}

CASE(wait_takes_one) {
  dk_handle_t s = conf_semaphore(2, 2);
  CHECK_OK(poll1(s));
  CHECK_EQ(peek(s), 1);
  CHECK_OK(poll1(s));
  CHECK_EQ(peek(s), 0);
  CHECK_ST(poll1(s), DK_E_TIMEOUT);
  return 0;
}

CASE(wait_lowest_index) {
  dk_handle_t hs[3] = {conf_semaphore(0, 1), conf_semaphore(1, 1), conf_event(0, 1)};
  uint32_t i = 0;
  CHECK_OK(DkObjectsWaitAny(3, hs, POLL, &i));
  CHECK_EQ(i, 1);
  CHECK_EQ(peek(hs[1]), 0); /* only the winner was satisfied */
  return 0;
}

CASE(wait_only_winner_taken) {
  dk_handle_t hs[2] = {conf_semaphore(1, 1), conf_semaphore(1, 1)};
  uint32_t i = 5;
  CHECK_OK(DkObjectsWaitAny(2, hs, POLL, &i));
  CHECK_EQ(i, 0);
  CHECK_EQ(peek(hs[1]), 1);
  return 0;
}

CASE(wait_timeout_elapses) {
  dk_handle_t s = conf_semaphore(0, 1);
  uint64_t t0 = 0, t1 = 0;
  uint32_t i = 0;
  CHECK_OK(DkSystemTimeQuery(&t0));
  CHECK_ST(DkObjectsWaitAny(1, &s, 2000000ull, &i), DK_E_TIMEOUT);
  CHECK_OK(DkSystemTimeQuery(&t1));
  CHECK(t1 - t0 >= 2000000ull);
  return 0;
}

CASE(wait_badhandle) {
  dk_handle_t hs[2] = {conf_semaphore(1, 1), CONF_BAD_HANDLE};
  uint32_t i = 0;
  CHECK_ST(DkObjectsWaitAny(2, hs, POLL, &i), DK_E_BADHANDLE);
  return 0;
}

CASE(wait_closed_handle) {
  dk_handle_t s = conf_semaphore(1, 1);
  CHECK_OK(DkObjectClose(s));
  uint32_t i = 0;
  CHECK_ST(DkObjectsWaitAny(1, &s, POLL, &i), DK_E_BADHANDLE);
  return 0;
}

CASE(wait_handles_fault) {
  uint32_t i = 0;
  CHECK_ST(DkObjectsWaitAny(1, (dk_handle_t*)0, POLL, &i), DK_E_FAULT);
  dk_handle_t* edge = conf_edge(8);
  edge[0] = conf_semaphore(1, 1);
  CHECK_ST(DkObjectsWaitAny(2, edge, POLL, &i), DK_E_FAULT); /* straddles into the hole */
  CHECK_EQ(peek(edge[0]), 1);
  return 0;
}

CASE(wait_index_fault) {
  dk_handle_t s = conf_semaphore(1, 1);
  CHECK_ST(DkObjectsWaitAny(1, &s, POLL, (uint32_t*)0), DK_E_FAULT);
  CHECK_EQ(peek(s), 1); /* refused before the host saw it */
  return 0;
}
