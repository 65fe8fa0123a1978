// The engine: Unicorn set-up (GDT, CPL 3 entry, CR4.TSD), the hooks that trap every way out
// of the guest, and the workarounds Unicorn 2.1 needs to be correct (UNICORN-NOTES.md).
#include "dk/engine.h"

#include <sys/mman.h>
#include <time.h>
#include <unicorn/unicorn.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "dk/address_space.h"
#include "dk/calls.h"
#include "dk/disassembler.h"

namespace dk {
namespace {

constexpr uint64_t kTcgBuffer = 32ull << 20;
// What a translation takes of that buffer, over-estimated: ~290 translations of hello (4.2 KB
// of guest code) fill ~150 KiB of it. Unicorn 2.1.1 crashes when the buffer fills in the
// middle of a run (its own flush leaves the block being chained pointing at freed code:
// tb_set_jmp_target), so the engine empties it between runs once it is half full.
constexpr uint64_t kTbCostFixed = 512;
constexpr uint64_t kTbCostPerByte = 16;
std::atomic<uint64_t> tb_flush_at{kTcgBuffer / 2};  // Engine::set_translation_flush_at
// Host page layout.
constexpr uint64_t kGdtOff = 0x000;
constexpr uint64_t kIretqOff = 0x100;   // iretq
constexpr uint64_t kHltOff = 0x110;     // hlt (start-up probe, run at CPL 3)
constexpr uint64_t kIntOff = 0x120;     // int $0x0d (start-up probe, run at CPL 3)
constexpr uint64_t kFrameOff = 0x800;   // iretq frame
constexpr uint32_t kGdtEntries = 5;

constexpr uint64_t kRflagsUser = 0x202;
// rflags bits a guest may set through DkExceptionReturn: CF PF AF ZF SF DF OF AC.
constexpr uint64_t kRflagsGuestMask = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x400 | 0x800 | 0x40000;

std::once_flag g_probe_once;
size_t g_old_exception = 0;  // 0: not found
std::once_flag g_is_int_once;
size_t g_is_int = 0;  // 0: not found

void check(uc_err err, const char* what) {
  if (err != UC_ERR_OK) throw EngineError(std::string(what) + ": " + uc_strerror(err));
}

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace

// A Watchdog engine's timer: one long-lived thread that calls uc_emu_stop when the armed
// deadline (monotonic ns) passes, or when the interrupt flag is seen set while armed. It acts
// only while armed, and arming and disarming take its lock, so it never stops the engine
// outside the run that armed it (Unicorn ignores a stop once emulation is done).
class Engine::Watchdog {
 public:
  explicit Watchdog(uc_struct* uc) : uc_(uc), thread_([this] { loop(); }) {}
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> l(m_);
      quit_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }
  void arm(uint64_t deadline, const std::atomic<bool>* interrupt) {
    std::lock_guard<std::mutex> l(m_);
    armed_ = true;
    fired_ = false;
    deadline_ = deadline;
    interrupt_ = interrupt;
    // It sleeps until its old wake-up time; only an earlier one needs waking it.
    if (deadline < wake_at_) cv_.notify_one();
  }
  // True when it stopped the engine during the run.
  bool disarm() {
    std::lock_guard<std::mutex> l(m_);
    armed_ = false;
    return fired_;
  }

 private:
  void loop() {
    std::unique_lock<std::mutex> l(m_);
    while (!quit_) {
      if (!armed_) {
        wake_at_ = ~0ull;
        cv_.wait(l);
        continue;
      }
      const uint64_t now = monotonic_ns();
      if (now >= deadline_ || interrupt_->load(std::memory_order_relaxed)) {
        // A stop that lands before uc_emu_start has begun is lost (it clears the request
        // when it starts): stay armed and stop again every kRetryNs until disarmed.
        fired_ = true;
        deadline_ = now + kRetryNs;
        uc_emu_stop(uc_);
        continue;
      }
      uint64_t wait = deadline_ - now;
      if (wait > kWatchdogPollNs) wait = kWatchdogPollNs;
      wake_at_ = now + wait;
      cv_.wait_for(l, std::chrono::nanoseconds(wait));
    }
  }

  static constexpr uint64_t kRetryNs = 200'000;
  uc_struct* uc_;
  std::mutex m_;
  std::condition_variable cv_;
  bool quit_ = false;
  bool armed_ = false;
  bool fired_ = false;
  uint64_t deadline_ = 0;
  uint64_t wake_at_ = ~0ull;
  const std::atomic<bool>* interrupt_ = nullptr;
  std::thread thread_;  // last: starts once the rest is set
};

size_t Engine::old_exception_offset() { return g_old_exception; }
size_t Engine::exception_is_int_offset() { return g_is_int; }

Engine::Engine(Timing timing, bool count_blocks) : timing_(timing), count_blocks_(count_blocks) {
  try {
    set_up();
  } catch (...) {
    release();
    throw;
  }
}

void Engine::release() {
  watchdog_.reset();  // before uc_close: it may call uc_emu_stop
  if (scratch_) uc_context_free(scratch_);
  if (precise_ctx_) uc_context_free(precise_ctx_);
  precise_ctx_ = nullptr;
  if (uc_) uc_close(uc_);
  residents_.clear();  // Unicorn no longer maps them
  if (host_page_) munmap(host_page_, DK_PAGE_SIZE);
  scratch_ = nullptr;
  uc_ = nullptr;
  host_page_ = nullptr;
}

void Engine::set_up() {
  check(uc_open(UC_ARCH_X86, UC_MODE_64, &uc_), "uc_open");
  check(uc_ctl(uc_, UC_CTL_WRITE(UC_CTL_TCG_BUFFER_SIZE, 1), static_cast<uint32_t>(kTcgBuffer)),
        "TCG buffer size");
  // Guest pages reach the CPU through hook_tlb_fill (identity, with the address space's
  // protections), so a refused access stops with rip restored to its instruction.
  check(uc_ctl(uc_, UC_CTL_WRITE(UC_CTL_TLB_TYPE, 1), UC_TLB_VIRTUAL), "virtual TLB");

  void* page = mmap(nullptr, DK_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                    -1, 0);
  if (page == MAP_FAILED) throw EngineError("host page: mmap failed");
  host_page_ = static_cast<uint8_t*>(page);
  // Accessed bits are preset: the page is read-only to the CPU.
  uint64_t gdt[kGdtEntries] = {
      0,
      0x00209b0000000000ull,  // 0x08: 64-bit code, DPL 0
      0x0000930000000000ull,  // 0x10: data, DPL 0
      0x00cff3000000ffffull,  // 0x18 | 3: data, DPL 3
      0x0020fb0000000000ull,  // 0x20 | 3: 64-bit code, DPL 3
  };
  std::memcpy(host_page_ + kGdtOff, gdt, sizeof gdt);
  host_page_[kIretqOff] = 0x48;
  host_page_[kIretqOff + 1] = 0xcf;
  host_page_[kHltOff] = 0xf4;
  host_page_[kIntOff] = 0xcd;
  host_page_[kIntOff + 1] = 0x0d;
  check(uc_mem_map_ptr(uc_, kHostPage, DK_PAGE_SIZE, UC_PROT_READ | UC_PROT_EXEC, host_page_),
        "map host page");
  uc_x86_mmr gdtr{};
  gdtr.base = kHostPage + kGdtOff;
  gdtr.limit = kGdtEntries * 8 - 1;
  check(uc_reg_write(uc_, UC_X86_REG_GDTR, &gdtr), "GDTR");
  uint64_t cr4 = 0;
  check(uc_reg_read(uc_, UC_X86_REG_CR4, &cr4), "CR4");
  cr4 |= 1ull << 2;  // TSD: rdtsc at CPL 3 raises #GP, answered from the virtual clock
  cr4 |= 3ull << 9;  // OSFXSR, OSXMMEXCPT: SSE works (it raises #UD otherwise)
  check(uc_reg_write(uc_, UC_X86_REG_CR4, &cr4), "CR4");
  uint64_t cr0 = 0;
  check(uc_reg_read(uc_, UC_X86_REG_CR0, &cr0), "CR0");
  cr0 = (cr0 & ~((1ull << 2) | (1ull << 3))) | (1ull << 1) | (1ull << 5);  // -EM -TS +MP +NE
  check(uc_reg_write(uc_, UC_X86_REG_CR0, &cr0), "CR0");

  // Every hook before the first translation.
  uc_hook h;
  check(uc_hook_add(uc_, &h, UC_HOOK_INSN, reinterpret_cast<void*>(&Engine::hook_syscall), this,
                    1, 0, UC_X86_INS_SYSCALL),
        "syscall hook");
  check(uc_hook_add(uc_, &h, UC_HOOK_INTR, reinterpret_cast<void*>(&Engine::hook_intr), this, 1, 0),
        "interrupt hook");
  check(uc_hook_add(uc_, &h, UC_HOOK_INSN_INVALID, reinterpret_cast<void*>(&Engine::hook_invalid),
                    this, 1, 0),
        "invalid instruction hook");
  check(uc_hook_add(uc_, &h, UC_HOOK_MEM_UNMAPPED | UC_HOOK_MEM_PROT,
                    reinterpret_cast<void*>(&Engine::hook_mem_fault), this, 1, 0),
        "memory fault hook");
  check(uc_hook_add(uc_, &h, UC_HOOK_TLB_FILL, reinterpret_cast<void*>(&Engine::hook_tlb_fill),
                    this, 1, 0),
        "TLB fill hook");
  check(uc_hook_add(uc_, &h, UC_HOOK_EDGE_GENERATED,
                    reinterpret_cast<void*>(&Engine::hook_translated), this, 1, 0),
        "translation hook");
  if (timing_ == Timing::Ticks) {
    check(uc_hook_add(uc_, &h, UC_HOOK_BLOCK,
                      count_blocks_ ? reinterpret_cast<void*>(&Engine::hook_block_counted)
                                    : reinterpret_cast<void*>(&Engine::hook_block),
                      this, 1, 0),
          "block hook");
  }
  check(uc_context_alloc(uc_, &scratch_), "context");
  check(uc_context_alloc(uc_, &precise_ctx_), "context");

  enter_user_mode();
  if (timing_ == Timing::Watchdog) watchdog_ = std::make_unique<Watchdog>(uc_);
  const char* regs = std::getenv("DK_ENGINE_REGISTERS");
  if (regs == nullptr || std::strcmp(regs, "api") != 0) direct_.attach(uc_);
}

Engine::~Engine() { release(); }

// Drops to CPL 3 through iretq onto a hlt on the host page, which raises #GP. The first
// engine of the process diffs the saved context around that #GP to find old_exception (the
// field Unicorn never resets, which turns the second fault into a double fault); every engine
// then checks that resetting it works by taking the #GP a second time.
void Engine::enter_user_mode() {
  uint64_t frame[5] = {kHostPage + kHltOff, kUserCode, kRflagsUser, kHostPage + kFrameOff,
                       kUserData};
  std::memcpy(host_page_ + kFrameOff, frame, sizeof frame);
  uint64_t rsp = kHostPage + kFrameOff;
  check(uc_reg_write(uc_, UC_X86_REG_RSP, &rsp), "rsp");

  uc_context* before = nullptr;
  check(uc_context_alloc(uc_, &before), "context");
  uc_context_save(uc_, before);
  // With no client bound, the interrupt hook only records the vector (and, while
  // probe_is_int_, saves the context in scratch_).
  stopped_ = false;
  stop_ = {};
  uc_err err = uc_emu_start(uc_, kHostPage + kIretqOff, 0, 0, 0);
  bool ok = err == UC_ERR_OK && stopped_ && stop_.number == 13;
  if (ok) {
    std::call_once(g_probe_once, [&] {
      uc_context_save(uc_, scratch_);
      const size_t n = uc_context_size(uc_);
      const auto* a = reinterpret_cast<const uint8_t*>(before);
      const auto* b = reinterpret_cast<const uint8_t*>(scratch_);
      size_t found = 0, count = 0;
      for (size_t i = 0; i + 4 <= n; i += 4) {
        int32_t x, y;
        std::memcpy(&x, a + i, 4);
        std::memcpy(&y, b + i, 4);
        if (x == -1 && y == 13) found = i, ++count;
      }
      if (count == 1) g_old_exception = found;
    });
  }
  uc_context_free(before);
  if (!ok) throw EngineError("entering CPL 3 failed: " + std::string(uc_strerror(err)));
  if (g_old_exception == 0)
    throw EngineError("Unicorn double-fault workaround: old_exception not found; refusing to run");
  clear_old_exception();
  // The check: a second #GP must arrive as 13, not as a double fault (8).
  stopped_ = false;
  stop_ = {};
  err = uc_emu_start(uc_, kHostPage + kHltOff, 0, 0, 0);
  if (err != UC_ERR_OK || !stopped_ || stop_.number != 13)
    throw EngineError("Unicorn double-fault workaround check failed; refusing to run");
  clear_old_exception();
  // exception_is_int: 0 after a #GP, 1 after `int $0x0d` (the same vector). The first engine
  // of the process finds the one field that says so in saved contexts: after hlt (#GP), int,
  // hlt again, int again. Every engine then checks it on its own int and #GP.
  // The translation hook must have seen the blocks translated so far (hlt, after iretq): it
  // is what finds port I/O, so an engine where it never fires is refused.
  if (translations_ == 0)
    throw EngineError("Unicorn's hook on new translations did not fire; refusing to run");
  auto probe = [&](uint64_t at, uint32_t vector) {
    stopped_ = false;
    stop_ = {};
    probe_is_int_ = true;
    const uc_err e = uc_emu_start(uc_, kHostPage + at, 0, 0, 0);
    probe_is_int_ = false;
    if (e != UC_ERR_OK || !stopped_ || stop_.number != vector)
      throw EngineError("Unicorn exception probe failed; refusing to run");
    std::vector<uint8_t> ctx(reinterpret_cast<const uint8_t*>(scratch_),
                             reinterpret_cast<const uint8_t*>(scratch_) + uc_context_size(uc_));
    clear_old_exception();
    return ctx;
  };
  const std::vector<uint8_t> gp1 = probe(kHltOff, 13), int1 = probe(kIntOff, 13),
                             gp2 = probe(kHltOff, 13), int2 = probe(kIntOff, 13);
  std::call_once(g_is_int_once, [&] {
    size_t found = 0, count = 0;
    for (size_t i = 0; i + 4 <= gp1.size(); i += 4) {
      int32_t v[4];
      std::memcpy(&v[0], gp1.data() + i, 4);
      std::memcpy(&v[1], int1.data() + i, 4);
      std::memcpy(&v[2], gp2.data() + i, 4);
      std::memcpy(&v[3], int2.data() + i, 4);
      if (v[0] == 0 && v[1] == 1 && v[2] == 0 && v[3] == 1) found = i, ++count;
    }
    if (count == 1) g_is_int = found;
  });
  auto field = [](const std::vector<uint8_t>& c) {
    int32_t v = -1;
    if (g_is_int + 4 <= c.size()) std::memcpy(&v, c.data() + g_is_int, 4);
    return v;
  };
  if (g_is_int == 0 || field(gp2) != 0 || field(int2) != 1)
    throw EngineError("Unicorn exception_is_int not found; refusing to run");
  // From here on the host page is data only.
  check(uc_mem_protect(uc_, kHostPage, DK_PAGE_SIZE, UC_PROT_READ), "protect host page");
  host_page_exec_ = false;
  uc_ctl(uc_, UC_CTL_WRITE(UC_CTL_TLB_FLUSH, 0));
  ticks_ = 0;
  stopped_ = false;
  stop_ = {};
}

void Engine::clear_old_exception() {
  uc_context_save(uc_, scratch_);
  int32_t none = -1;
  std::memcpy(reinterpret_cast<uint8_t*>(scratch_) + g_old_exception, &none, 4);
  uc_context_restore(uc_, scratch_);
}

void Engine::bind(AddressSpace* as, EngineClient* client) {
  as_ = as;
  client_ = client;
}

uint64_t Engine::reg(int r) {
  uint64_t v = 0;
  uc_reg_read(uc_, r, &v);
  return v;
}

void Engine::set_reg(int r, uint64_t v) { uc_reg_write(uc_, r, &v); }

void Engine::request_stop() {
  if (!stopped_) {
    stopped_ = true;
    stop_ = {};
    stop_.kind = EngineStop::Kind::Requested;
  }
  uc_emu_stop(uc_);
}

void Engine::stop_exception(uint32_t type, uint32_t detail, uint64_t address, uint64_t rip) {
  stopped_ = true;
  stop_ = {};
  stop_.kind = EngineStop::Kind::Exception;
  stop_.type = type;
  stop_.detail = detail;
  stop_.address = address;
  stop_.rip = rip;
  uc_emu_stop(uc_);
}

bool Engine::peek(uint64_t addr, void* dst, uint64_t len) {
  return as_ != nullptr && as_->peek(addr, dst, len);
}

// ---- hooks ----

void Engine::hook_syscall(uc_struct* uc, void* p) {
  auto* self = static_cast<Engine*>(p);
  if (self->direct_.ok()) {
    self->syscall_direct();
    return;
  }
  // Register reads dominate a downcall's cost: read rax, rip and rflags, then only the
  // argument registers the call's table entry says it has.
  static int head_ids[] = {UC_X86_REG_RAX, UC_X86_REG_RIP, UC_X86_REG_EFLAGS};
  uint64_t head[3] = {};  // EFLAGS is read as 32 bits: the upper half must start at 0
  void* head_ptrs[3] = {&head[0], &head[1], &head[2]};
  uc_reg_read_batch(uc, head_ids, head_ptrs, 3);
  const uint64_t rip = head[1];
  // What the instruction itself puts in rcx and r11, for Dk calls and foreign ones alike.
  uint64_t after = rip + 2;
  uint64_t rflags = head[2];
  const CallDesc* desc = self->client_ ? call_desc_for_number(head[0]) : nullptr;
  if (desc != nullptr) {
    static int arg_ids[] = {UC_X86_REG_RDI, UC_X86_REG_RSI, UC_X86_REG_RDX,
                            UC_X86_REG_R10, UC_X86_REG_R8,  UC_X86_REG_R9};
    uint64_t a[6] = {};
    void* arg_ptrs[6] = {&a[0], &a[1], &a[2], &a[3], &a[4], &a[5]};
    if (desc->nargs) uc_reg_read_batch(uc, arg_ids, arg_ptrs, desc->nargs);
    TrapRegs regs{head[0], a[0], a[1], a[2], a[3], a[4], a[5]};
    const dk_status_t st = self->host_call(regs, rip);
    if (st == kBlocked) {
      // Parked: execution resumes at rip + 2 after the hook, so rewind to the syscall itself.
      uint64_t again = rip - 2;
      uc_reg_write(uc, UC_X86_REG_RIP, &again);
      return;
    }
    uint64_t rax = static_cast<uint64_t>(st);
    static int out_ids[] = {UC_X86_REG_RAX, UC_X86_REG_RCX, UC_X86_REG_R11};
    void* out[3] = {&rax, &after, &rflags};
    uc_reg_write_batch(uc, out_ids, out, 3);
    return;
  }
  static int out_ids[] = {UC_X86_REG_RCX, UC_X86_REG_R11};
  void* out[2] = {&after, &rflags};
  uc_reg_write_batch(uc, out_ids, out, 2);
  self->stop_exception(DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_SYSCALL, rip, after);
  self->stop_.number = head[0];
}

// The client serves a downcall: what Unicorn looks up meanwhile is not the guest's doing.
dk_status_t Engine::host_call(const TrapRegs& regs, uint64_t rip) {
  guest_running_ = false;
  const dk_status_t st = client_->on_downcall(regs, rip);
  guest_running_ = true;
  if (granted_) {
    uc_ctl(uc_, UC_CTL_WRITE(UC_CTL_TLB_FLUSH, 0));
    granted_ = false;
  }
  return st;
}

// The same as hook_syscall's API path, with the registers read and written in place.
void Engine::syscall_direct() {
  DirectRegs& d = direct_;
  const uint64_t nr = d.get(DirectRegs::kRax);
  const uint64_t rip = d.get(DirectRegs::kRip);
  const uint64_t after = rip + 2;
  const uint64_t rflags = d.rflags();
  const CallDesc* desc = client_ ? call_desc_for_number(nr) : nullptr;
  if (desc != nullptr) {
    TrapRegs regs{nr,
                  d.get(DirectRegs::kRdi),
                  d.get(DirectRegs::kRsi),
                  d.get(DirectRegs::kRdx),
                  d.get(DirectRegs::kR10),
                  d.get(DirectRegs::kR8),
                  d.get(DirectRegs::kR9)};
    const dk_status_t st = host_call(regs, rip);
    if (st == kBlocked) {
      // Through the API: a new rip must also make Unicorn leave the translated block.
      set_reg(UC_X86_REG_RIP, rip - 2);
      return;
    }
    d.set(DirectRegs::kRax, static_cast<uint64_t>(st));
    d.set(DirectRegs::kRcx, after);
    d.set(DirectRegs::kR11, rflags);
    return;
  }
  d.set(DirectRegs::kRcx, after);
  d.set(DirectRegs::kR11, rflags);
  stop_exception(DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_SYSCALL, rip, after);
  stop_.number = nr;
}

// The CPU records whether the exception it raised last came from an instruction (int n,
// int3: exception_is_int, after which Unicorn puts rip after it) or is a fault (rip on the
// faulting instruction). Read from a saved context: only on exceptions.
bool Engine::exception_was_int() {
  uc_context_save(uc_, scratch_);
  int32_t v = 0;
  std::memcpy(&v, reinterpret_cast<const uint8_t*>(scratch_) + g_is_int, 4);
  return v != 0;
}

bool Engine::is_software_int(uint64_t rip, uint32_t vector) {
  // int n leaves rip after it; a fault leaves rip at the faulting instruction, which may
  // follow bytes that read as cd xx. So: cd xx (or cc for vector 3) right before rip, and
  // the CPU's own record that the exception came from an instruction.
  uint8_t b[2];
  const bool bytes = (rip >= 2 && peek(rip - 2, b, 2) && b[0] == 0xcd && b[1] == vector) ||
                     (vector == 3 && rip >= 1 && peek(rip - 1, b, 1) && b[0] == 0xcc);
  return bytes && exception_was_int();
}

void Engine::hook_intr(uc_struct* uc, uint32_t vector, void* p) {
  auto* self = static_cast<Engine*>(p);
  uint64_t rip = 0;
  uc_reg_read(uc, UC_X86_REG_RIP, &rip);
  if (self->client_ == nullptr) {  // start-up probe
    if (self->probe_is_int_) uc_context_save(uc, self->scratch_);
    self->stopped_ = true;
    self->stop_.number = vector;
    uc_emu_stop(uc);
    return;
  }
  if (self->is_software_int(rip, vector)) {
    if (vector == 3) {
      uint8_t b = 0;
      self->peek(rip - 1, &b, 1);
      self->stop_exception(DK_EXCEPTION_BREAKPOINT, 0, b == 0xcc ? rip - 1 : rip - 2, rip);
    } else {
      self->stop_exception(DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_INT | (vector << 8), rip - 2, rip);
    }
    return;
  }
  self->clear_old_exception();
  switch (vector) {
    case 0:   // #DE
    case 16:  // #MF
    case 19:  // #XM
      self->stop_exception(DK_EXCEPTION_ARITHMETIC, 0, rip, rip);
      return;
    case 1:  // #DB
      self->stop_exception(DK_EXCEPTION_BREAKPOINT, 0, rip, rip);
      return;
    case 8: {
      self->stopped_ = true;
      self->stop_ = {};
      self->stop_.kind = EngineStop::Kind::Error;
      self->stop_.rip = rip;
      self->stop_.reason = "double fault inside the engine";
      uc_emu_stop(uc);
      return;
    }
    case 13: {
      uint8_t b[3] = {};
      self->peek(rip, b, 3);
      bool rdtsc = b[0] == 0x0f && b[1] == 0x31;
      bool rdtscp = b[0] == 0x0f && b[1] == 0x01 && b[2] == 0xf9;
      if (rdtsc || rdtscp) {
        uint64_t tsc = self->client_->on_rdtsc();
        self->set_reg(UC_X86_REG_RAX, tsc & 0xffffffffull);
        self->set_reg(UC_X86_REG_RDX, tsc >> 32);
        if (rdtscp) self->set_reg(UC_X86_REG_RCX, 0);
        self->set_reg(UC_X86_REG_RIP, rip + (rdtsc ? 2 : 3));
        return;
      }
      self->stop_exception(DK_EXCEPTION_ILLEGAL, 0, rip, rip);
      return;
    }
    default:
      self->stop_exception(DK_EXCEPTION_ILLEGAL, 0, rip, rip);
      return;
  }
}

bool Engine::hook_invalid(uc_struct* uc, void* p) {
  auto* self = static_cast<Engine*>(p);
  uint64_t rip = 0;
  uc_reg_read(uc, UC_X86_REG_RIP, &rip);
  uint8_t b[2] = {};
  self->peek(rip, b, 2);
  // `int $6` raises vector 6 like an invalid opcode, and Unicorn sends every vector 6 here
  // rather than to the interrupt hook: tell it apart by its bytes (cd 06 is a valid
  // instruction, so no true #UD sits on them), with rip on the instruction or after it.
  uint8_t before[2] = {};
  const bool int6_at = b[0] == 0xcd && b[1] == 0x06;
  const bool int6_before = !int6_at && rip >= 2 && self->peek(rip - 2, before, 2) &&
                           before[0] == 0xcd && before[1] == 0x06 && self->exception_was_int();
  if (b[0] == 0x0f && b[1] == 0x34)
    self->stop_exception(DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_SYSENTER, rip, rip + 2);
  else if (int6_at)
    self->stop_exception(DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_INT | (6u << 8), rip, rip + 2);
  else if (int6_before)
    self->stop_exception(DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_INT | (6u << 8), rip - 2, rip);
  else
    self->stop_exception(DK_EXCEPTION_ILLEGAL, 0, rip, rip);
  return false;
}

bool Engine::hook_mem_fault(uc_struct* uc, int type, uint64_t addr, int size, int64_t, void* p) {
  auto* self = static_cast<Engine*>(p);
  if (self->precise_.active) {
    // The re-run of a refused access: the page is backed by nothing at kScratchPhys, so
    // this names the access's exact address and size.
    if (addr >= kScratchPhys && addr - kScratchPhys < DK_PAGE_SIZE && !self->precise_.hit) {
      self->precise_.hit = true;
      self->precise_.offset = addr - kScratchPhys;
      self->precise_.size = size > 0 ? static_cast<uint32_t>(size) : 1;
    }
    return false;
  }
  uint64_t rip = 0;
  uc_reg_read(uc, UC_X86_REG_RIP, &rip);
  uint32_t detail = DK_MEMFAULT_READ;
  switch (type) {
    case UC_MEM_WRITE_UNMAPPED:
    case UC_MEM_WRITE_PROT:
      detail = DK_MEMFAULT_WRITE;
      break;
    case UC_MEM_FETCH_UNMAPPED:
    case UC_MEM_FETCH_PROT:
      detail = DK_MEMFAULT_EXEC;
      break;
    default:
      break;
  }
  self->stop_exception(DK_EXCEPTION_MEMFAULT, detail, addr, rip);
  self->stop_.size = size > 0 ? static_cast<uint32_t>(size) : 1;
  return false;
}

// Every guest page the CPU touches passes here once per TLB fill: identity-mapped, with the
// protections of the address space (the host page: readable, and executable only while the
// engine starts). A refusal is remembered; Unicorn then stops with rip on the instruction.
bool Engine::hook_tlb_fill(uc_struct*, uint64_t page, int type, uc_tlb_entry* e, void* p) {
  auto* self = static_cast<Engine*>(p);
  uint32_t perms = 0;
  if (!self->guest_running_) {
    // Not the guest: Unicorn looking up a page's physical address for its own upkeep
    // (dropping translations when memory is unmapped or code changes). Grant it, and drop
    // the TLB before the guest runs again.
    e->paddr = page;
    e->perms = static_cast<uc_prot>(UC_PROT_ALL);
    self->granted_ = true;
    return true;
  }
  if (self->precise_.active && page == self->precise_.page &&
      type == (self->precise_.need == UC_PROT_WRITE ? UC_MEM_WRITE : UC_MEM_READ)) {
    // Only the refused kind of access: the instruction itself may be fetched from this page.
    e->paddr = kScratchPhys;
    e->perms = static_cast<uc_prot>(UC_PROT_ALL);
    return true;
  }
  if (page == kHostPage) {
    perms = UC_PROT_READ | (self->host_page_exec_ ? UC_PROT_EXEC : 0);
  } else if (self->as_ != nullptr) {
    const int64_t prot = self->as_->prot_at(page);
    if (prot >= 0 && !(prot & DK_PROT_GUARD)) {
      if (prot & DK_PROT_READ) perms |= UC_PROT_READ;
      if (prot & DK_PROT_WRITE) perms |= UC_PROT_WRITE;
      if (prot & DK_PROT_EXEC) perms |= UC_PROT_EXEC;
    }
  }
  const uint32_t need = type == UC_MEM_WRITE ? UC_PROT_WRITE
                        : type == UC_MEM_FETCH ? UC_PROT_EXEC
                                               : UC_PROT_READ;
  if (!(perms & need)) {
    self->refused_ = {true, page, need};
    return false;
  }
  e->paddr = page;
  e->perms = static_cast<uc_prot>(perms);
  return true;
}

// Runs guest code: only inside this does hook_tlb_fill apply the address space's protections.
int Engine::emu_start(uint64_t begin, uint64_t until) {
  if (granted_) {
    uc_ctl(uc_, UC_CTL_WRITE(UC_CTL_TLB_FLUSH, 0));
    granted_ = false;
  }
  guest_running_ = true;
  const uc_err err = uc_emu_start(uc_, begin, until, 0, 0);
  guest_running_ = false;
  return err;
}

// Unicorn stopped on a refused access with rip on its instruction. A fetch is reported at
// the instruction's first byte in the refused page. For data, the TLB names only the page,
// so the instruction runs once more with that page backed by nothing: Unicorn's
// unmapped-memory hook then gives the exact address and size. Every register is put back
// after, and the re-run counts no ticks.
EngineStop Engine::refused_access() {
  const Refused r = refused_;
  refused_ = {};
  EngineStop s;
  s.kind = EngineStop::Kind::Exception;
  s.type = DK_EXCEPTION_MEMFAULT;
  const uint64_t rip = reg(UC_X86_REG_RIP);
  s.rip = rip;
  if (r.need == UC_PROT_EXEC && rip == 0) {
    // A fetch at 0 ends the run (an upcall returning, or a NULL call), as `until` = 0 does.
    s.kind = EngineStop::Kind::FetchZero;
    s.type = 0;
    return s;
  }
  if (r.need == UC_PROT_EXEC) {
    s.detail = DK_MEMFAULT_EXEC;
    s.address = (rip & ~(DK_PAGE_SIZE - 1)) == r.page ? rip : r.page;
    s.size = 1;
    return s;
  }
  s.detail = r.need == UC_PROT_WRITE ? DK_MEMFAULT_WRITE : DK_MEMFAULT_READ;
  s.address = r.page;
  s.size = 1;
  uc_context_save(uc_, precise_ctx_);
  const uint64_t ticks = ticks_;
  precise_ = {};
  precise_.active = true;
  precise_.page = r.page;
  precise_.need = r.need;
  uc_ctl(uc_, UC_CTL_WRITE(UC_CTL_TLB_FLUSH, 0));
  // Exactly this instruction: a translation ending after it, dropped again afterwards (as
  // step_to_io does), so nothing past it can run even if the access were not repeated.
  uint8_t code[15] = {};
  size_t n = sizeof code;
  while (n > 0 && !peek(rip, code, n)) --n;
  const size_t len = n ? Disassembler::for_this_thread().length(code, n, rip) : 0;
  if (len) uc_ctl(uc_, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), rip, rip + 1);
  emu_start(rip, len ? rip + len : 0);
  if (len) uc_ctl(uc_, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), rip, rip + 1);
  precise_.active = false;
  uc_ctl(uc_, UC_CTL_WRITE(UC_CTL_TLB_FLUSH, 0));
  uc_context_restore(uc_, precise_ctx_);
  ticks_ = ticks;
  refused_ = {};
  stopped_ = false;
  stop_ = {};
  io_pending_ = false;
  if (precise_.hit) {
    s.address = r.page + precise_.offset;
    s.size = precise_.size;
  }
  return s;
}

bool Engine::at_boundary() const {
  return ticks_ >= stop_at_ || interrupt_->load(std::memory_order_relaxed);
}

void Engine::boundary_stop(uint64_t addr) {
  stopped_ = true;
  stop_ = {};
  stop_.kind = max_ticks_ != 0 && ticks_ >= max_ticks_ ? EngineStop::Kind::TickLimit
               : ticks_ >= stop_at_                    ? EngineStop::Kind::Quantum
                                                       : EngineStop::Kind::Interrupt;
  stop_.rip = addr;
  uc_emu_stop(uc_);
}

// Ticks engines only: every block entered is a tick, and the boundary where the engine stops
// for the slice end, the tick limit or the interrupt flag.
void Engine::hook_block(uc_struct* uc, uint64_t addr, uint32_t, void* p) {
  auto* self = static_cast<Engine*>(p);
  if (self->precise_.active) {  // refused_access's re-run: not a block of the program
    if (self->precise_.blocks++ > 0) uc_emu_stop(uc);  // one instruction only, never more
    return;
  }
  if (self->at_boundary()) {
    self->boundary_stop(addr);
    return;
  }
  ++self->ticks_;
}

// The same, counting each block for a profile (Engine(timing, true)): a hook of its own, so
// that engines that do not count pay nothing for it (a test and a call in hook_block made
// every block of a compute loop ~15% dearer).
void Engine::hook_block_counted(uc_struct* uc, uint64_t addr, uint32_t size, void* p) {
  auto* self = static_cast<Engine*>(p);
  const uint64_t before = self->ticks_;
  hook_block(uc, addr, size, p);
  if (self->ticks_ != before && self->blocks_) self->count_block(addr, size);
}

void Engine::count_block(uint64_t addr, uint32_t size) {
  BlockProfile& b = (*blocks_)[block_key(addr, size)];
  if (b.entries++ > 0) return;
  std::vector<uint8_t> code(size);
  uint32_t n = size;
  while (n > 0 && !peek(addr, code.data(), n)) n = n > 16 ? n / 2 : n - 1;
  b.insns = static_cast<uint32_t>(Disassembler::for_this_thread().count(code.data(), n, addr));
}

// Every new translation, before it first runs (Unicorn 2.1 calls UC_HOOK_EDGE_GENERATED from
// tb_find for each block it translates once a block has run on the engine; the start-up probe
// checks that it fires). Port I/O executes silently at CPL 3 in Unicorn, so each translated
// block is scanned once here. A block holding an I/O instruction is stopped before it runs
// and its translation dropped (drop_tb_), so it is translated, and scanned, again whenever
// it is reached: no translation holding port I/O ever runs. Guest code that changes is
// translated again (Unicorn's self-modifying-code checks, invalidate_code for the host's
// writes), and scanned again with it.
void Engine::hook_translated(uc_struct* uc, uc_tb* cur, uc_tb*, void* p) {
  auto* self = static_cast<Engine*>(p);
  ++self->translations_;
  self->tb_estimate_ += kTbCostFixed + kTbCostPerByte * cur->size;
  if (self->client_ == nullptr || self->precise_.active || self->stepping_) return;
  const uint64_t io = self->scan_block(cur->pc, cur->size);
  if (io == 0) return;
  self->drop_tb_ = cur->pc;
  if (self->timing_ == Timing::Ticks && self->at_boundary()) {
    // The block hook would stop here before the block runs: the same stop, at the same tick.
    self->boundary_stop(cur->pc);
    return;
  }
  self->io_pending_ = true;
  self->io_block_ = cur->pc;
  self->io_at_ = io;
  self->stopped_ = true;
  uc_emu_stop(uc);
}

// The address of the first port I/O instruction in the block, or 0.
uint64_t Engine::scan_block(uint64_t addr, uint32_t size) {
  if (size == 0) return 0;
  uint8_t code[4096];
  uint32_t n = size > sizeof code ? static_cast<uint32_t>(sizeof code) : size;
  // A block may end at a mapping boundary: shrink until the bytes are readable.
  while (n > 0 && !peek(addr, code, n)) n = n > 16 ? n / 2 : n - 1;
  // Port I/O opcodes are 6c-6f (ins/outs) and e4-e7, ec-ef (in/out); a block holding none
  // of these bytes anywhere cannot contain them, which spares Capstone for almost every block.
  // Capstone decodes only as far as the instruction holding the last such byte.
  bool maybe_io = false;
  uint32_t last = 0;
  for (uint32_t i = 0; i < n; ++i) {
    const uint8_t b = code[i];
    if ((b & 0xfc) == 0x6c || (b & 0xfc) == 0xe4 || (b & 0xfc) == 0xec) {
      maybe_io = true;
      last = i;
    }
  }
  uint64_t io = maybe_io ? Disassembler::for_this_thread().scan_block(code, n, addr, last).io_at : 0;
  if (io >= addr + size) io = 0;
  return io;
}

void Engine::invalidate_code(uint64_t addr, uint64_t len) {
  if (len == 0) return;
  // Unicorn finds the range's physical pages through the TLB, as code fetches: that lookup
  // is upkeep, granted by hook_tlb_fill and flushed before the guest runs again.
  const bool guest = guest_running_;
  guest_running_ = false;
  uc_ctl(uc_, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), addr, addr + len);
  guest_running_ = guest;
}

void Engine::set_translation_flush_at(uint64_t bytes) {
  tb_flush_at.store(bytes ? std::min(bytes, kTcgBuffer / 2) : kTcgBuffer / 2,
                    std::memory_order_relaxed);
}

// ---- running ----

EngineStop Engine::run() {
  if (tb_estimate_ >= tb_flush_at.load(std::memory_order_relaxed)) {
    // Between runs no translation is being chained: Unicorn's flush is safe here.
    uc_ctl(uc_, UC_CTL_WRITE(UC_CTL_TB_FLUSH, 0));
    tb_estimate_ = 0;
    ++tb_flushes_;
  }
  stopped_ = false;
  io_pending_ = false;
  stop_ = {};
  uint64_t rip = reg(UC_X86_REG_RIP);
  // until = 0: a fetch at address 0 ends the run, which is how upcall returns are seen.
  refused_ = {};
  bool fired = false;
  uc_err err;
  if (watchdog_) {
    if (at_boundary()) {  // due already: the stop the watchdog would make, without a run
      stop_.kind = max_ticks_ != 0 && ticks_ >= max_ticks_ ? EngineStop::Kind::TickLimit
                   : ticks_ >= stop_at_                    ? EngineStop::Kind::Quantum
                                                           : EngineStop::Kind::Interrupt;
      stop_.rip = rip;
      return stop_;
    }
    // The run's CPU time becomes ticks; the watchdog stops it when the bound is due.
    const uint64_t t0 = thread_cpu_ns();
    const bool bounded = stop_at_ != ~0ull || interrupt_ != &kNoInterrupt;
    if (bounded) {
      const uint64_t left = stop_at_ - ticks_;
      const uint64_t now = monotonic_ns();
      const uint64_t deadline =
          left >= (~0ull - now) / kWatchdogNsPerTick ? ~0ull : now + left * kWatchdogNsPerTick;
      watchdog_->arm(deadline, interrupt_);
    }
    err = static_cast<uc_err>(emu_start(rip, 0));
    if (bounded) fired = watchdog_->disarm();
    ticks_ += (thread_cpu_ns() - t0) / kWatchdogNsPerTick;
  } else {
    err = static_cast<uc_err>(emu_start(rip, 0));
  }
  if (drop_tb_ != ~0ull) {  // a translation holding port I/O: never run it
    invalidate_code(drop_tb_, 1);
    drop_tb_ = ~0ull;
  }
  if (fired && (io_pending_ || (err == UC_ERR_EXCEPTION && refused_.valid &&
                                refused_.need != UC_PROT_EXEC))) {
    // The watchdog's stop may have come just after the run ended, too late to end it, and
    // would then end the next emu_start at once: never one of the exact re-runs below
    // (step_to_io, refused_access for data). The preemption wins; nothing of the I/O block
    // or the refused instruction has run, so the next run meets them again. A refused fetch
    // needs no re-run and is reported as it is (a fetch at 0 is an upcall's return).
    io_pending_ = false;
    refused_ = {};
    stopped_ = false;
  }
  if (io_pending_) return step_to_io(io_block_, io_at_);
  if (stopped_) return stop_;
  if (err == UC_ERR_EXCEPTION && refused_.valid) return refused_access();
  EngineStop s;
  uint64_t now = reg(UC_X86_REG_RIP);
  s.rip = now;
  if (err == UC_ERR_OK && now == 0) {
    s.kind = EngineStop::Kind::FetchZero;
    return s;
  }
  if (watchdog_ && (err == UC_ERR_OK || fired)) {
    // The watchdog's stop (or one that came too late for an earlier run and ended this one
    // at once, which is as good as a preemption): what is due now decides its kind.
    s.kind = interrupt_->load(std::memory_order_relaxed)   ? EngineStop::Kind::Interrupt
             : max_ticks_ != 0 && ticks_ >= max_ticks_ ? EngineStop::Kind::TickLimit
                                                       : EngineStop::Kind::Quantum;
    return s;
  }
  s.kind = EngineStop::Kind::Error;
  s.reason = err == UC_ERR_OK ? "engine stopped for no reason"
                              : std::string("engine error: ") + uc_strerror(err);
  return s;
}

// The block holding an in/out was stopped before it ran: run exactly the instructions
// before the I/O instruction, then report ILLEGAL at it.
EngineStop Engine::step_to_io(uint64_t block, uint64_t io) {
  if (io != block) {
    stopped_ = false;
    io_pending_ = false;
    stop_ = {};
    stepping_ = true;
    // The block was translated without an exit at `io`: translate it again.
    uc_ctl(uc_, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), block, io + 1);
    const uc_err err = static_cast<uc_err>(emu_start(block, io));
    // ...and drop that translation, whose exit at `io` must not outlive this step.
    uc_ctl(uc_, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), block, io + 1);
    stepping_ = false;
    if (stopped_) return stop_;
    // An instruction before the I/O one made a refused access: that fault comes first.
    if (err == UC_ERR_EXCEPTION && refused_.valid) return refused_access();
    uint64_t now = reg(UC_X86_REG_RIP);
    if (err != UC_ERR_OK || now != io) {
      EngineStop s;
      s.kind = EngineStop::Kind::Error;
      s.rip = now;
      s.reason = "stepping to an I/O instruction ended at the wrong place";
      return s;
    }
  } else {
    set_reg(UC_X86_REG_RIP, io);
  }
  EngineStop s;
  s.kind = EngineStop::Kind::Exception;
  s.type = DK_EXCEPTION_ILLEGAL;
  s.address = io;
  s.rip = io;
  return s;
}

// ---- contexts ----

namespace {
constexpr int kGprIds[] = {
    UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI,
    UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP, UC_X86_REG_R8,  UC_X86_REG_R9,
    UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
    UC_X86_REG_R15, UC_X86_REG_RIP, UC_X86_REG_EFLAGS, UC_X86_REG_FS_BASE, UC_X86_REG_GS_BASE};
constexpr int kGprCount = 20;
static_assert(sizeof(kGprIds) / sizeof(int) == kGprCount);
}  // namespace

void Engine::read_context(dk_context& ctx) {
  uint64_t* slots = &ctx.rax;  // rax..gs_base are 20 consecutive u64
  void* ptrs[kGprCount];
  for (int i = 0; i < kGprCount; ++i) ptrs[i] = slots + i;
  uc_reg_read_batch(uc_, const_cast<int*>(kGprIds), ptrs, kGprCount);

  uint8_t* fx = ctx.fxsave;
  std::memset(fx, 0, sizeof ctx.fxsave);
  uint64_t fcw = reg(UC_X86_REG_FPCW), fsw = reg(UC_X86_REG_FPSW), ftag = reg(UC_X86_REG_FPTAG);
  uint64_t fop = reg(UC_X86_REG_FOP), fip = reg(UC_X86_REG_FIP), fdp = reg(UC_X86_REG_FDP);
  uint32_t mxcsr = static_cast<uint32_t>(reg(UC_X86_REG_MXCSR));
  uint16_t w16 = static_cast<uint16_t>(fcw);
  std::memcpy(fx + 0, &w16, 2);
  w16 = static_cast<uint16_t>(fsw);
  std::memcpy(fx + 2, &w16, 2);
  uint8_t abridged = 0;  // FXSAVE keeps one bit per register: 1 = not empty
  for (int i = 0; i < 8; ++i)
    if (((ftag >> (2 * i)) & 3) != 3) abridged |= static_cast<uint8_t>(1u << i);
  fx[4] = abridged;
  w16 = static_cast<uint16_t>(fop);
  std::memcpy(fx + 6, &w16, 2);
  std::memcpy(fx + 8, &fip, 8);
  std::memcpy(fx + 16, &fdp, 8);
  std::memcpy(fx + 24, &mxcsr, 4);
  uint32_t mask = 0xffff;
  std::memcpy(fx + 28, &mask, 4);
  for (int i = 0; i < 8; ++i) {
    uint8_t st[16] = {};  // 64-bit mantissa, then 16-bit sign and exponent
    uc_reg_read(uc_, UC_X86_REG_ST0 + i, st);
    std::memcpy(fx + 32 + 16 * i, st, 10);
  }
  for (int i = 0; i < 16; ++i) uc_reg_read(uc_, UC_X86_REG_XMM0 + i, fx + 160 + 16 * i);
}

void Engine::write_context(const dk_context& ctx) {
  const uint64_t* slots = &ctx.rax;
  void* ptrs[kGprCount];
  for (int i = 0; i < kGprCount; ++i) ptrs[i] = const_cast<uint64_t*>(slots + i);
  uc_reg_write_batch(uc_, const_cast<int*>(kGprIds), ptrs, kGprCount);

  const uint8_t* fx = ctx.fxsave;
  uint16_t fcw, fsw, fop;
  uint64_t fip, fdp;
  uint32_t mxcsr;
  std::memcpy(&fcw, fx + 0, 2);
  std::memcpy(&fsw, fx + 2, 2);
  std::memcpy(&fop, fx + 6, 2);
  std::memcpy(&fip, fx + 8, 8);
  std::memcpy(&fdp, fx + 16, 8);
  std::memcpy(&mxcsr, fx + 24, 4);
  uint64_t ftag = 0;
  for (int i = 0; i < 8; ++i)
    if (!(fx[4] & (1u << i))) ftag |= 3ull << (2 * i);
  set_reg(UC_X86_REG_FPCW, fcw);
  set_reg(UC_X86_REG_FPSW, fsw);
  set_reg(UC_X86_REG_FOP, fop);
  set_reg(UC_X86_REG_FIP, fip);
  set_reg(UC_X86_REG_FDP, fdp);
  for (int i = 0; i < 8; ++i) {
    uint8_t st[16] = {};
    std::memcpy(st, fx + 32 + 16 * i, 10);
    uc_reg_write(uc_, UC_X86_REG_ST0 + i, st);
  }
  set_reg(UC_X86_REG_FPTAG, ftag);
  set_reg(UC_X86_REG_MXCSR, mxcsr);
  for (int i = 0; i < 16; ++i) uc_reg_write(uc_, UC_X86_REG_XMM0 + i, fx + 160 + 16 * i);
}

void Engine::reset_fpu() {
  dk_context ctx{};
  read_context(ctx);
  std::memset(ctx.fxsave, 0, sizeof ctx.fxsave);
  uint16_t fcw = 0x037f;
  uint32_t mxcsr = 0x1f80;
  std::memcpy(ctx.fxsave + 0, &fcw, 2);
  std::memcpy(ctx.fxsave + 24, &mxcsr, 4);
  write_context(ctx);
}

uint64_t sanitize_rflags(uint64_t guest) { return (guest & kRflagsGuestMask) | kRflagsUser; }

}  // namespace dk
