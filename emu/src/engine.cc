// The engine: Unicorn set-up (GDT, CPL 3 entry, CR4.TSD), the hooks that trap every way out
// of the guest, and the workarounds Unicorn 2.1 needs to be correct (UNICORN-NOTES.md).
#include "dk/engine.h"

#include <sys/mman.h>
#include <unicorn/unicorn.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "dk/address_space.h"
#include "dk/calls.h"
#include "dk/disassembler.h"

namespace dk {
namespace {

constexpr uint64_t kTcgBuffer = 32ull << 20;
// Host page layout.
constexpr uint64_t kGdtOff = 0x000;
constexpr uint64_t kIretqOff = 0x100;   // iretq
constexpr uint64_t kHltOff = 0x110;     // hlt (start-up probe, run at CPL 3)
constexpr uint64_t kFrameOff = 0x800;   // iretq frame
constexpr uint32_t kGdtEntries = 5;

constexpr uint64_t kRflagsUser = 0x202;
// rflags bits a guest may set through DkExceptionReturn: CF PF AF ZF SF DF OF AC.
constexpr uint64_t kRflagsGuestMask = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x400 | 0x800 | 0x40000;

std::once_flag g_probe_once;
size_t g_old_exception = 0;  // 0: not found

void check(uc_err err, const char* what) {
  if (err != UC_ERR_OK) throw EngineError(std::string(what) + ": " + uc_strerror(err));
}

}  // namespace

size_t Engine::old_exception_offset() { return g_old_exception; }

Engine::Engine() {
  try {
    set_up();
  } catch (...) {
    release();
    throw;
  }
}

void Engine::release() {
  if (scratch_) uc_context_free(scratch_);
  if (precise_ctx_) uc_context_free(precise_ctx_);
  precise_ctx_ = nullptr;
  if (uc_) uc_close(uc_);
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
  check(uc_hook_add(uc_, &h, UC_HOOK_BLOCK, reinterpret_cast<void*>(&Engine::hook_block), this, 1,
                    0),
        "block hook");
  check(uc_context_alloc(uc_, &scratch_), "context");
  check(uc_context_alloc(uc_, &precise_ctx_), "context");

  enter_user_mode();
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
  // With no client bound, the interrupt hook only records the vector.
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
  // Scan results describe the previous picoprocess's code; a new generation drops them all
  // without touching the table.
  if (++scan_generation_ == 0) {
    for (auto& e : scan_) e = ScanEntry{};
    scan_generation_ = 1;
  }
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

bool Engine::is_software_int(uint64_t rip, uint32_t vector) {
  // int n ends its translated block and leaves rip after it; a fault leaves rip at an
  // instruction inside the running block. So: rip at the block's end, and cd xx (or cc for
  // vector 3) right before it.
  if (rip != block_end_) return false;
  uint8_t b[2];
  if (rip >= 2 && peek(rip - 2, b, 2) && b[0] == 0xcd && b[1] == vector) return true;
  if (vector == 3 && rip >= 1 && peek(rip - 1, b, 1) && b[0] == 0xcc) return true;
  return false;
}

void Engine::hook_intr(uc_struct* uc, uint32_t vector, void* p) {
  auto* self = static_cast<Engine*>(p);
  uint64_t rip = 0;
  uc_reg_read(uc, UC_X86_REG_RIP, &rip);
  if (self->client_ == nullptr) {  // start-up probe
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
  const bool int6_before = !int6_at && rip == self->block_end_ && rip >= 2 &&
                           self->peek(rip - 2, before, 2) && before[0] == 0xcd && before[1] == 0x06;
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

void Engine::hook_block(uc_struct* uc, uint64_t addr, uint32_t size, void* p) {
  auto* self = static_cast<Engine*>(p);
  if (self->precise_.active) {  // refused_access's re-run: not a block of the program
    if (self->precise_.blocks++ > 0) uc_emu_stop(uc);  // one instruction only, never more
    return;
  }
  const bool interrupt = self->interrupt_->load(std::memory_order_relaxed);
  if (self->ticks_ >= self->stop_at_ || interrupt) {
    self->stopped_ = true;
    self->stop_ = {};
    self->stop_.kind = self->max_ticks_ != 0 && self->ticks_ >= self->max_ticks_
                           ? EngineStop::Kind::TickLimit
                       : self->ticks_ >= self->stop_at_ ? EngineStop::Kind::Quantum
                                                        : EngineStop::Kind::Interrupt;
    self->stop_.rip = addr;
    uc_emu_stop(uc);
    return;
  }
  self->block_start_ = addr;
  self->block_end_ = addr + size;
  if (self->client_ != nullptr && addr != self->step_block_) {
    // The scan cache's hit path here; a miss (or a block on writable pages) scans.
    const ScanEntry& e = self->scan_[scan_slot(addr)];
    const bool hit = e.addr == addr && e.size == size && e.generation == self->scan_generation_;
    uint64_t io = hit ? e.io_at : self->scan_block(addr, size);
    if (io != 0) {
      self->io_pending_ = true;
      self->io_block_ = addr;
      self->io_at_ = io;
      self->stopped_ = true;
      uc_emu_stop(uc);
      return;
    }
  }
  ++self->ticks_;
}

// Port I/O executes silently at CPL 3 in Unicorn, so each block is scanned once for it.
// Blocks on writable pages may change under us and are scanned every time.
uint64_t Engine::scan_block(uint64_t addr, uint32_t size) {
  ScanEntry& e = scan_[scan_slot(addr)];
  if (e.addr == addr && e.size == size && e.generation == scan_generation_) return e.io_at;
  uint8_t code[4096];
  uint32_t n = size == 0 || size > sizeof code ? static_cast<uint32_t>(sizeof code) : size;
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
  if (io >= addr + (size ? size : n)) io = 0;
  int64_t prot = as_ ? as_->prot_at(addr) : -1;
  bool stable = prot >= 0 && (prot & DK_PROT_WRITE) == 0 && size != 0 &&
                (as_->prot_at(addr + size - 1) & DK_PROT_WRITE) == 0;
  if (stable) e = ScanEntry{addr, size, scan_generation_, io};
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
  for (auto& e : scan_) {
    if (e.addr != ~0ull && e.addr < addr + len && e.addr + e.size > addr) e = ScanEntry{};
  }
}

// ---- running ----

EngineStop Engine::run() {
  stopped_ = false;
  io_pending_ = false;
  stop_ = {};
  uint64_t rip = reg(UC_X86_REG_RIP);
  // until = 0: a fetch at address 0 ends the run, which is how upcall returns are seen.
  refused_ = {};
  const uc_err err = static_cast<uc_err>(emu_start(rip, 0));
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
    step_block_ = block;
    // The block was translated without an exit at `io`: translate it again.
    uc_ctl(uc_, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), block, io + 1);
    const uc_err err = static_cast<uc_err>(emu_start(block, io));
    // ...and drop that translation, whose exit at `io` must not outlive this step.
    uc_ctl(uc_, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), block, io + 1);
    step_block_ = ~0ull;
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
