/* Exhaustion: each case takes one resource until the host says no, and exits with the code of
 * the refusal (13 for QUOTA, the status a manifest limit gives), or 100 when it reached its own
 * cap without any refusal. The sibling beside it must finish its own work meanwhile. */
#include "esc.h"

#define ESC_CAP_REACHED 100

static int refusal(dk_status_t st) {
  conf_print("refused with status ");
  conf_print_dec(st);
  conf_print("\n");
  return (int)-st;
}

CASE(memory) {
  const uint64_t chunk = 1ull << 20;
  for (uint64_t i = 0; i < 8192; ++i) { /* at most 8 GiB */
    void* p = 0;
    dk_status_t st =
        DkVirtualMemoryAllocate(&p, chunk, DK_ALLOC_COMMIT, DK_PROT_READ | DK_PROT_WRITE);
    if (st) return refusal(st);
    ((volatile uint8_t*)p)[i % chunk] = 1;
  }
  return ESC_CAP_REACHED;
}

static void sleeper(uint64_t arg) {
  (void)arg;
  uint64_t ns = ~0ull;
  DkThreadDelayExecution(&ns);
}

CASE(threads) {
  uint8_t* stacks = conf_pages(4096, DK_PROT_READ | DK_PROT_WRITE);
  conf_thread_fn = sleeper;
  for (uint64_t i = 0; i < 4096; ++i) {
    dk_handle_t t = 0;
    dk_status_t st = DkThreadCreate(i, stacks + (i + 1) * DK_PAGE_SIZE, &t);
    if (st) return refusal(st);
  }
  return ESC_CAP_REACHED;
}

CASE(handles) {
  for (uint64_t i = 0; i < 200000; ++i) {
    dk_handle_t h = 0;
    dk_status_t st = DkSemaphoreCreate(0, 1, &h);
    if (st) return refusal(st);
  }
  return ESC_CAP_REACHED;
}

CASE(streams) {
  for (uint64_t i = 0; i < 200000; ++i) {
    dk_handle_t h = 0;
    dk_status_t st = DkStreamOpen("dev:null", DK_ACCESS_RDWR, 0, 0, 0, &h);
    if (st) return refusal(st);
  }
  return ESC_CAP_REACHED;
}

/* A pipe nobody reads: non-blocking writes stop with AGAIN once its buffer is full (exit 8),
 * however much the writer offers. */
CASE(pipe_buffer) {
  dk_handle_t server = 0, client = 0, conn = 0;
  CHECK_OK(DkStreamOpen("pipe.server:esc-fill", DK_ACCESS_RDWR, 0, 0, 0, &server));
  CHECK_OK(DkStreamOpen("pipe:esc-fill", DK_ACCESS_RDWR, 0, 0, DK_OPTION_NONBLOCK, &client));
  CHECK_OK(DkStreamWaitForClient(server, &conn));
  uint8_t* buf = conf_pages(16, DK_PROT_READ | DK_PROT_WRITE);
  for (uint64_t i = 0; i < 16384; ++i) { /* at most 1 GiB */
    uint64_t n = 16 * DK_PAGE_SIZE;
    dk_status_t st = DkStreamWrite(client, 0, buf, &n);
    if (st) return refusal(st);
  }
  return ESC_CAP_REACHED;
}

/* Console output without end: stopped by the output limit. */
CASE(output) {
  uint8_t* buf = conf_pages(16, DK_PROT_READ | DK_PROT_WRITE);
  conf_memset(buf, '.', 16 * DK_PAGE_SIZE);
  const dk_handle_t out = conf_boot->stdout_h;
  if (!out) return 2;
  for (uint64_t i = 0; i < 4096; ++i) { /* at most 256 MiB */
    uint64_t n = 16 * DK_PAGE_SIZE;
    dk_status_t st = DkStreamWrite(out, 0, buf, &n);
    if (st) return refusal(st);
  }
  return ESC_CAP_REACHED;
}

/* An endless loop: the tick limit ends it. */
CASE(cpu) {
  volatile uint64_t x = 0;
  for (;;) ++x;
  return 0;
}

/* Children that make children: the world's limits end them, the sibling keeps working. */
CASE(children) {
  for (uint64_t i = 0; i < 8; ++i) {
    dk_handle_t p = 0, s = 0;
    dk_status_t st = DkProcessCreate("self:", "esc_exhaust\0cpu", 16, &p, &s);
    if (st) return refusal(st);
  }
  return ESC_CAP_REACHED;
}
