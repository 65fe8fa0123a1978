/* Memory attempts that need more than an instruction stream: writes to the image's own
 * read-only (package) pages watched by a second picoprocess of the same image, and
 * self-modifying code without DkInstructionCacheFlush (ABI.md section 1: x86 code is
 * coherent, guest stores into code take effect at once; the flush is only a hint). */
#include "esc.h"

__attribute__((aligned(4096))) static const char esc_rodata[4096] =
    "dk-escape package page: unchanged";
static const char esc_original[] = "dk-escape package page: unchanged";

__attribute__((noinline, aligned(64))) static int esc_text_probe(void) {
  __asm__ volatile("");
  return 0x1234;
}

static int rodata_intact(void) {
  const volatile char* p = esc_rodata;
  for (uint64_t i = 0; i < sizeof esc_original; ++i)
    if (p[i] != esc_original[i]) return 0;
  return 1;
}

static uint64_t page_of(const void* p) { return (uint64_t)p & ~(DK_PAGE_SIZE - 1); }

/* The attacker: a plain store into its read-only image page faults; then it makes its own
 * copy writable (its own pages, so that may be allowed) and changes data and code. */
CASE(pkgwrite) {
  conf_on_exception = conf_record_and_resume;
  volatile char* target = (volatile char*)esc_rodata;
  CONF_TRY("movb $0x58, (%0)", "r"(target));
  conf_expect_exception(DK_EXCEPTION_MEMFAULT);
  CHECK_EQ(conf_last_exception.detail & DK_MEMFAULT_WRITE, DK_MEMFAULT_WRITE);
  CHECK(rodata_intact());
  dk_status_t st = DkVirtualMemoryProtect((void*)page_of(esc_rodata), DK_PAGE_SIZE,
                                          DK_PROT_READ | DK_PROT_WRITE);
  if (st == 0) {
    target[0] = 'X';
    CHECK_EQ(target[0], 'X');
  }
  int (*volatile fn)(void) = esc_text_probe;
  st = DkVirtualMemoryProtect((void*)page_of((const void*)esc_text_probe), DK_PAGE_SIZE,
                              DK_PROT_READ | DK_PROT_WRITE | DK_PROT_EXEC);
  if (st == 0) {
    /* mov eax, 0x6666; ret */
    static const uint8_t patch[] = {0xb8, 0x66, 0x66, 0x00, 0x00, 0xc3};
    conf_memcpy((void*)esc_text_probe, patch, sizeof patch);
    CHECK_EQ(fn(), 0x6666);
  }
  /* Stay alive while the sibling of the same image looks. */
  uint64_t ns = 3000000;
  CHECK_OK(DkThreadDelayExecution(&ns));
  return 0;
}

/* The observer of the same image: its pages must be its own. */
CASE(pkgcheck) {
  uint64_t ns = 1000000;
  if (DkThreadDelayExecution(&ns)) return 52;
  int (*volatile fn)(void) = esc_text_probe;
  if (!rodata_intact()) return 50;
  if (fn() != 0x1234) return 51;
  return ESC_SIBLING_OK;
}

static uint8_t* rwx_page(void) {
  return conf_pages(1, DK_PROT_READ | DK_PROT_WRITE | DK_PROT_EXEC);
}

/* Code written, run, rewritten and run again with no flush: the second run sees the new code. */
CASE(smc_call) {
  uint8_t* code = rwx_page();
  static const uint8_t one[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3}; /* mov eax, 1; ret */
  conf_memcpy(code, one, sizeof one);
  int (*volatile fn)(void) = (int (*)(void))code;
  CHECK_EQ(fn(), 1);
  code[1] = 0x02;
  CHECK_EQ(fn(), 2);
  code[1] = 0x03;
  CHECK_OK(DkInstructionCacheFlush(code, 16));
  CHECK_EQ(fn(), 3);
  return 0;
}

/* A store that rewrites the next instruction of the same basic block takes effect before it
 * runs. */
CASE(smc_block) {
  uint8_t* code = rwx_page();
  static const uint8_t body[] = {
      0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x02, /* movb $2, 1(%rip): the imm8 below */
      0xb8, 0x01, 0x00, 0x00, 0x00,             /* mov eax, 1 (becomes 2) */
      0xc3,                                     /* ret */
  };
  conf_memcpy(code, body, sizeof body);
  int (*volatile fn)(void) = (int (*)(void))code;
  CHECK_EQ(fn(), 2);
  /* Run it again: already 2, and the translation must not bring back the old bytes. */
  CHECK_EQ(fn(), 2);
  return 0;
}

/* Code in a page that was executable, then made non-executable: the old translation must not
 * keep running it. */
CASE(smc_nx) {
  uint8_t* code = rwx_page();
  static const uint8_t one[] = {0xb8, 0x01, 0x00, 0x00, 0x00, 0xc3};
  conf_memcpy(code, one, sizeof one);
  int (*volatile fn)(void) = (int (*)(void))code;
  CHECK_EQ(fn(), 1);
  CHECK_OK(DkVirtualMemoryProtect(code, DK_PAGE_SIZE, DK_PROT_READ | DK_PROT_WRITE));
  fn(); /* must fault: MEMFAULT EXEC, unhandled, ends the picoprocess */
  return 3;
}
