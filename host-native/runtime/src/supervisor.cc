// The supervisor: one world of native-runtime children. It reads requests off their
// channels, serves downcalls through the Host (the dispatcher checks every pointer against
// the supervisor's books of the child's memory), turns faults and traps into exception
// upcalls, and answers in each thread's reply slot. Blocking follows the emulator's retry
// protocol (dk/host.h): a parked call runs again when the world changed, its deadline
// passed, the host's I/O may be ready, or DkThreadResume woke it.
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <deque>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>

#include <capstone/capstone.h>

#include "dk/address_space.h"
#include "dk/calls.h"
#include "dk/disassembler.h"
#include "dk/dispatcher.h"
#include "dk/elf_image.h"
#include "dk/engine.h"  // sanitize_rflags: the rule DkExceptionReturn applies
#include "dk/native_runtime.h"
#include "dk/runtime/protocol.h"
#include "remote_memory.h"
#include "spawn.h"

namespace dk {

uint64_t native_runtime_user_high() { return DKRT_USER_HIGH; }

std::string SandboxLayers::json() const {
  std::string s = "{";
  auto add = [&](const char* k, bool v) {
    if (s.size() > 1) s += ",";
    s += "\"";
    s += k;
    s += "\":";
    s += v ? "true" : "false";
  };
  add("seccomp", seccomp);
  add("no_new_privs", no_new_privs);
  add("spec_allow", spec_allow);
  add("user_ns", user_ns);
  add("pid_ns", pid_ns);
  add("mount_ns", mount_ns);
  add("ipc_ns", ipc_ns);
  add("net_ns", net_ns);
  add("uts_ns", uts_ns);
  add("unprivileged", unprivileged);
  add("rlimits", rlimits);
  add("fds_closed", fds_closed);
  return s + "}";
}

namespace rt {
namespace {

constexpr uint64_t kPage = DK_PAGE_SIZE;
constexpr uint64_t kRflagsUser = 0x202;
constexpr uint64_t kPieBase = 0x555555554000ull;
constexpr uint64_t kVsyscall = 0xffffffffff600000ull;

uint64_t page_down(uint64_t v) { return v & ~(kPage - 1); }
uint64_t page_up(uint64_t v) { return (v + kPage - 1) & ~(kPage - 1); }
bool canonical(uint64_t v) { return v < 0x0000800000000000ull || v >= 0xffff800000000000ull; }

uint64_t monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string exception_name(uint32_t type) {
  const std::string_view n = exception_type_name(type);
  return n.empty() ? "exception" : std::string(n);
}

void set_fpu_defaults(dk_context& c) {
  std::memset(c.fxsave, 0, sizeof c.fxsave);
  const uint16_t fcw = 0x037f;
  const uint32_t mxcsr = 0x1f80;
  std::memcpy(c.fxsave + 0, &fcw, 2);
  std::memcpy(c.fxsave + 24, &mxcsr, 4);
}


// Dk protections are Linux's, except a guard page, which has no access until touched.
uint32_t linux_prot(uint32_t dk) {
  return (dk & DK_PROT_GUARD) ? 0 : (dk & (DK_PROT_READ | DK_PROT_WRITE | DK_PROT_EXEC));
}

// The value of a 64-bit general register (or rip) in `c`; false for any other register.
bool reg_value(const dk_context& c, unsigned reg, uint64_t& v) {
  switch (reg) {
    case X86_REG_RAX: v = c.rax; return true;
    case X86_REG_RBX: v = c.rbx; return true;
    case X86_REG_RCX: v = c.rcx; return true;
    case X86_REG_RDX: v = c.rdx; return true;
    case X86_REG_RSI: v = c.rsi; return true;
    case X86_REG_RDI: v = c.rdi; return true;
    case X86_REG_RBP: v = c.rbp; return true;
    case X86_REG_RSP: v = c.rsp; return true;
    case X86_REG_R8: v = c.r8; return true;
    case X86_REG_R9: v = c.r9; return true;
    case X86_REG_R10: v = c.r10; return true;
    case X86_REG_R11: v = c.r11; return true;
    case X86_REG_R12: v = c.r12; return true;
    case X86_REG_R13: v = c.r13; return true;
    case X86_REG_R14: v = c.r14; return true;
    case X86_REG_R15: v = c.r15; return true;
    case X86_REG_RIP: v = c.rip; return true;
    case X86_REG_INVALID: v = 0; return true;
  }
  return false;
}

// A general-protection fault is what the CPU raises for an access to a non-canonical
// address, and the kernel reports it like any other (SIGSEGV, SI_KERNEL, no address). The
// emulator calls that a MEMFAULT: find the address the instruction at c.rip used. Returns
// false when the instruction touches no non-canonical address (a privileged instruction).
bool noncanonical_access(const std::function<bool(uint64_t, void*, size_t)>& peek,
                         const dk_context& c, uint64_t& address, uint32_t& detail) {
  uint8_t code[16];
  size_t n = 0;
  while (n < sizeof code && peek(c.rip + n, code + n, 1)) ++n;
  if (n == 0) return false;
  csh cs;
  if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK) return false;
  cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
  cs_insn* insn = nullptr;
  bool found = false;
  if (cs_disasm(cs, code, n, c.rip, 1, &insn) == 1) {
    const cs_x86& x = insn->detail->x86;
    bool branch = false;
    for (uint8_t g = 0; g < insn->detail->groups_count; ++g) {
      const uint8_t grp = insn->detail->groups[g];
      branch |= grp == CS_GRP_JUMP || grp == CS_GRP_CALL || grp == CS_GRP_RET;
    }
    for (uint8_t i = 0; i < x.op_count && !found; ++i) {
      const cs_x86_op& op = x.operands[i];
      uint64_t v = 0;
      if (op.type == X86_OP_MEM) {
        uint64_t base = 0, index = 0;
        if (!reg_value(c, op.mem.base, base) || !reg_value(c, op.mem.index, index)) continue;
        if (op.mem.base == X86_REG_RIP) base = c.rip + insn->size;
        v = base + index * static_cast<uint64_t>(op.mem.scale) + static_cast<uint64_t>(op.mem.disp);
        if (op.mem.segment == X86_REG_FS) v += c.fs_base;
        if (op.mem.segment == X86_REG_GS) v += c.gs_base;
        if (!canonical(v)) {
          address = v;
          detail = (op.access & CS_AC_WRITE) ? DK_MEMFAULT_WRITE : DK_MEMFAULT_READ;
          found = true;
        } else if (branch && peek(v, &v, 8) && !canonical(v)) {
          address = v;  // an indirect branch through memory to a non-canonical target
          detail = DK_MEMFAULT_EXEC;
          found = true;
        }
      } else if (op.type == X86_OP_REG && branch && reg_value(c, op.reg, v) && !canonical(v)) {
        address = v;
        detail = DK_MEMFAULT_EXEC;
        found = true;
      }
    }
    if (!found && insn->id == X86_INS_RET) {  // ret to a non-canonical address
      uint64_t v = 0;
      if (peek(c.rsp, &v, 8) && !canonical(v)) {
        address = v;
        detail = DK_MEMFAULT_EXEC;
        found = true;
      }
    }
    cs_free(insn, 1);
  }
  cs_close(&cs);
  return found;
}

struct Frame {
  enum Kind { Initialize, ThreadStart, Exception } kind;
  uint64_t entry_rsp;
  uint32_t type = 0, detail = 0;
  uint64_t address = 0, rip = 0;
};

struct RThread {
  uint32_t tid = 0;
  uint32_t slot = 0;
  std::shared_ptr<ThreadObject> object;
  std::vector<Frame> frames;
  uint32_t depth = 0;
  bool exited = false;
  bool busy = false;    // a request of it is being served or parked
  bool parked = false;  // its call returned kBlocked
  dkrt_request req{};
  uint64_t deadline = kNoDeadline;
  bool retrying = false;
  bool wake_pending = false;
};

struct RProcess {
  uint32_t pid = 0;
  Spawned sp;
  AddressSpace books;
  RemoteMemory mem{books};
  HandleTable handles;
  std::optional<dk_image_note> note;
  std::vector<std::unique_ptr<RThread>> threads;
  std::shared_ptr<ProcessObject> object = std::make_shared<ProcessObject>();
  std::array<bool, DKRT_MAX_THREADS> slot_used{};
  uint32_t next_tid = 1;
  bool ended = false;   // its end is decided (the child may still be going)
  bool reaped = false;  // the child is gone
  RunResult result;
  // Requests that arrived while a thread's mappings were being settled, in order.
  std::deque<std::pair<dkrt_request, ssize_t>> backlog;
  std::string std_uris[3];
  uint64_t started_ns = 0;
  uint64_t tick_limit = 0;  // 0: none; else CPU time of ticks x 10 ns

  RThread* by_slot(uint32_t slot) {
    for (auto& t : threads)
      if (t->slot == slot && !t->exited) return t.get();
    return nullptr;
  }
  size_t live_threads() const {
    size_t n = 0;
    for (const auto& t : threads) n += !t->exited;
    return n;
  }
};

// Slots are DKRT_SLOT_SIZE apart, whatever sizeof(dkrt_slot) is.
dkrt_slot& slot_at(const RProcess& p, uint32_t i) {
  return *reinterpret_cast<dkrt_slot*>(reinterpret_cast<uint8_t*>(p.sp.slots) +
                                       static_cast<size_t>(i) * DKRT_SLOT_SIZE);
}

class Supervisor;

// What the host may do to the calling picoprocess while it serves one request; the reply
// says what the shim must do about it.
class Control final : public GuestControl, public PendingMaps {
 public:
  enum class Then { Status, Context, ExitThread, ExitGroup };
  Control(Supervisor& s, RProcess& p, RThread& t) : s_(s), p_(p), t_(t) {}

  dk_status_t vm_allocate(uint64_t& addr, uint64_t size, uint32_t alloc, uint32_t prot) override;
  dk_status_t vm_free(uint64_t addr, uint64_t size) override;
  dk_status_t vm_protect(uint64_t addr, uint64_t size, uint32_t prot) override;
  uint64_t committed_bytes() const override {  // private pages, as the emulator counts them
    return p_.books.committed_bytes() - p_.books.shared_bytes();
  }
  size_t live_threads() const override { return p_.live_threads(); }
  // The manifest's cpu_ticks: CPU time here, a tick being 10 ns of the emulator's clock.
  void set_tick_limit(uint64_t ticks) override { p_.tick_limit = ticks; }
  dk_status_t set_segment(uint32_t reg, uint64_t base) override;
  dk_status_t exception_return(const dk_context& ctx) override;
  void thread_exit() override;
  void process_exit(int64_t code) override;
  dk_status_t thread_create(uint64_t arg, uint64_t stack_top,
                            std::shared_ptr<ThreadObject>& out) override;
  dk_status_t thread_resume(ThreadObject& t) override;
  void block(uint64_t deadline_ns) override { block_deadline_ = deadline_ns; }
  uint64_t wait_deadline() const override { return t_.retrying ? t_.deadline : kNoDeadline; }
  bool take_interrupt() override {
    if (!t_.wake_pending) return false;
    t_.wake_pending = false;
    return true;
  }
  dk_status_t process_create(ChildSpec spec, std::shared_ptr<ProcessObject>& out) override;

  bool settle(uint64_t addr, uint64_t len) override;

  bool add(uint32_t op, uint64_t addr, uint64_t len, uint32_t prot = 0) {
    if (actions_.size() >= DKRT_MAX_ACTIONS) return false;
    actions_.push_back({op, prot, addr, len});
    return true;
  }

  Then then = Then::Status;
  dk_context ctx{};
  bool fault_after = false;  // DkExceptionReturn to a non-canonical rip
  uint64_t block_deadline_ = kNoDeadline;
  std::vector<dkrt_action> actions_;

 private:
  static bool in_runtime_block(uint64_t addr, uint64_t len) {
    return addr + len > DKRT_BLOCK && addr < DK_USER_HIGH;
  }
  Supervisor& s_;
  RProcess& p_;
  RThread& t_;
};

// The host the dispatcher serves through: the launch's host, and the native runtime's own
// answer to what DkSystemInfoQuery says about the machine.
class RuntimeInfo final : public HostDecorator {
 public:
  using HostDecorator::HostDecorator;
  dk_status_t serve(CallContext& cx, Call& call) override {
    const dk_status_t st = HostDecorator::serve(cx, call);
    if (st == 0 && call.index == calls::DkSystemInfoQuery) {
      dk_system_info& i = call.sysinfo;
      i.user_high = DKRT_USER_HIGH;
      const long n = sysconf(_SC_NPROCESSORS_ONLN);
      i.cpu_count = n > 0 ? static_cast<uint32_t>(n) : 1;
      std::memset(i.host_name, 0, sizeof i.host_name);
      std::memcpy(i.host_name, "native-runtime", 14);
    }
    return st;
  }
};

class Supervisor final : public WorldProbe {
 public:
  Supervisor(Host& host, const NativeRuntimeOptions& opts, std::vector<TrapRecord>* audit)
      : info_(host), dispatcher_(info_), host_(host), opts_(opts), audit_(audit) {
    if (opts_.events) opts_.events->set_probe(this);
  }
  ~Supervisor() override {
    if (opts_.events) opts_.events->set_probe(nullptr);
    for (auto& p : procs_) {
      if (!p->reaped && p->sp.pid > 0) {
        kill(p->sp.pid, SIGKILL);
        waitpid(p->sp.pid, nullptr, 0);
      }
      close_process(*p);
    }
  }

  RProcess& launch(ElfImage image, const LaunchSpec& spec, std::shared_ptr<HostObject> parent_end);
  RunResult run();
  RProcess* find(uint32_t pid) {
    return pid >= 1 && pid <= procs_.size() ? procs_[pid - 1].get() : nullptr;
  }
  void changed() { changed_ = true; }
  bool flush(RProcess& p, RThread& t, std::vector<dkrt_action>& actions);
  uint32_t free_slot(RProcess& p) const;
  Host& host() { return host_; }

  // WorldProbe.
  void read_memory(uint32_t pid,
                   const std::function<void(uint64_t, const uint8_t*, size_t)>& fn) override {
    RProcess* p = find(pid);
    if (!p || p->reaped) return;
    std::vector<uint8_t> buf;
    for (const auto& r : p->books.regions()) {
      if (!r.committed) continue;
      buf.resize(r.end - r.start);
      if (p->mem.peek(r.start, buf.data(), buf.size())) fn(r.start, buf.data(), buf.size());
    }
  }
  std::string instruction_at(uint32_t pid, uint64_t rip) override {
    RProcess* p = find(pid);
    return p && !p->reaped ? instruction_at(*p, rip) : "";
  }

 private:
  void read_channel(RProcess& p);
  void deliver(RProcess& p, const dkrt_request& req, ssize_t n);
  void handle(RProcess& p, RThread& t);
  void serve_call(RProcess& p, RThread& t);
  void on_signal(RProcess& p, RThread& t);
  void send(RProcess& p, RThread& t, uint32_t kind, int64_t status, const dk_context* ctx,
            const std::vector<dkrt_action>& actions);
  void raise(RProcess& p, RThread& t, uint32_t type, uint32_t detail, uint64_t address,
             dk_context at);
  void fetch_at_zero(RProcess& p, RThread& t);
  void end(RProcess& p, RunResult r);
  void reap(RProcess& p);
  void close_process(RProcess& p);
  void retry_parked(bool all);
  void interrupt();
  void audit_trap(RProcess& p, uint64_t rip, uint32_t detail, uint64_t number);
  std::string instruction_at(RProcess& p, uint64_t rip);
  EventSite site(const RProcess& p, const RThread& t, uint64_t rip) const {
    EventSite e;
    e.pid = p.pid;
    e.thread = t.tid;
    e.rip = rip;
    return e;
  }
 public:
  void note_end(const RProcess& p) {
    if (!opts_.events) return;
    EventSite e;
    e.pid = p.pid;
    e.rip = p.result.rip;
    opts_.events->on_end(e, static_cast<uint32_t>(p.result.end), p.result.exit_code, p.result.reason);
  }
 private:
  RunResult ending(RunResult::End end, int64_t code, std::string reason) {
    RunResult r;
    r.end = end;
    r.exit_code = code;
    r.reason = std::move(reason);
    return r;
  }

  RuntimeInfo info_;
  Dispatcher dispatcher_;
  Host& host_;
  NativeRuntimeOptions opts_;
  std::vector<TrapRecord>* audit_;
  std::vector<std::unique_ptr<RProcess>> procs_;
  Call call_;
  bool changed_ = false;
  std::vector<dkrt_action> pending_actions_;  // carried by the next raise()'s reply

 public:
  SandboxLayers first_layers;
};

// ---- Control ----

dk_status_t Control::vm_allocate(uint64_t& addr, uint64_t size, uint32_t alloc, uint32_t prot) {
  // The runtime's block is not the guest's to take, with or without REPLACE; a request the
  // ABI refuses anyway (bad flags, unaligned, leaving the user range) gets INVAL from the
  // books first, as on the emulator.
  const bool valid = (alloc & ~(DK_ALLOC_RESERVE | DK_ALLOC_COMMIT | DK_ALLOC_REPLACE)) == 0 &&
                     (alloc & (DK_ALLOC_RESERVE | DK_ALLOC_COMMIT)) != 0 && (prot & ~0xfu) == 0 &&
                     (addr & (kPage - 1)) == 0 && size != 0 && size <= DK_USER_HIGH &&
                     addr >= DK_USER_LOW && addr < DK_USER_HIGH &&
                     page_up(size) <= DK_USER_HIGH - addr;
  if (addr != 0 && valid && in_runtime_block(addr, page_up(size))) return -DK_E_EXIST;
  if (actions_.size() >= DKRT_MAX_ACTIONS) return -DK_E_NOMEM;
  const dk_status_t st = p_.books.allocate(addr, size, alloc, prot);
  if (st != 0) return st;
  const uint64_t len = page_up(size);
  if (alloc & DK_ALLOC_COMMIT) add(DKRT_ACT_MAP, addr, len, linux_prot(prot));
  else add(DKRT_ACT_RESERVE, addr, len);
  return 0;
}

dk_status_t Control::vm_free(uint64_t addr, uint64_t size) {
  if (size != 0 && size <= DK_USER_HIGH && in_runtime_block(addr, page_up(size)))
    return -DK_E_INVAL;
  if (actions_.size() >= DKRT_MAX_ACTIONS) return -DK_E_NOMEM;
  const dk_status_t st = p_.books.free(addr, size);
  if (st == 0) add(DKRT_ACT_UNMAP, addr, page_up(size));
  return st;
}

dk_status_t Control::vm_protect(uint64_t addr, uint64_t size, uint32_t prot) {
  if (actions_.size() >= DKRT_MAX_ACTIONS) return -DK_E_NOMEM;
  const dk_status_t st = p_.books.protect(addr, size, prot);
  if (st == 0) add(DKRT_ACT_PROTECT, addr, page_up(size), linux_prot(prot));
  return st;
}

bool Control::settle(uint64_t addr, uint64_t len) {
  bool touches = false;
  for (const dkrt_action& a : actions_) {
    const bool mapping = a.op == DKRT_ACT_MAP || a.op == DKRT_ACT_RESERVE ||
                         a.op == DKRT_ACT_UNMAP || a.op == DKRT_ACT_PROTECT;
    touches |= mapping && addr < a.addr + a.len && a.addr < addr + len;
  }
  return !touches || s_.flush(p_, t_, actions_);
}

dk_status_t Control::set_segment(uint32_t reg, uint64_t base) {
  // The shim answers this call itself; a shim that forwards it anyway is served the same.
  if (reg != DK_SEGMENT_FS && reg != DK_SEGMENT_GS) return -DK_E_INVAL;
  if (!canonical(base)) return -DK_E_INVAL;
  if (!add(reg == DK_SEGMENT_FS ? DKRT_ACT_SET_FS : DKRT_ACT_SET_GS, base, 0)) return -DK_E_NOMEM;
  return 0;
}

dk_status_t Control::exception_return(const dk_context& c) {
  // The innermost exception handler is done.
  for (size_t i = t_.frames.size(); i-- > 0;) {
    if (t_.frames[i].kind == Frame::Exception) {
      t_.frames.erase(t_.frames.begin() + static_cast<long>(i), t_.frames.end());
      break;
    }
  }
  if (t_.depth > 0) --t_.depth;
  ctx = c;
  ctx.rflags = dk::sanitize_rflags(c.rflags);
  uint32_t mxcsr;
  std::memcpy(&mxcsr, ctx.fxsave + 24, 4);
  mxcsr &= 0xffff;
  std::memcpy(ctx.fxsave + 24, &mxcsr, 4);
  then = Then::Context;
  if (!canonical(ctx.fs_base) || !canonical(ctx.gs_base)) {
    // A base the CPU cannot hold: the thread faults where it would resume.
    ctx.fs_base = canonical(ctx.fs_base) ? ctx.fs_base : 0;
    ctx.gs_base = canonical(ctx.gs_base) ? ctx.gs_base : 0;
  }
  add(DKRT_ACT_SET_FS, ctx.fs_base, 0);
  add(DKRT_ACT_SET_GS, ctx.gs_base, 0);
  if (!canonical(ctx.rip)) fault_after = true;
  return 0;
}

void Control::thread_exit() {
  t_.exited = true;
  t_.object->exited = true;
  t_.frames.clear();
  s_.changed();
  if (p_.live_threads() == 0) {
    process_exit(0);
    return;
  }
  then = Then::ExitThread;
}

void Control::process_exit(int64_t code) {
  then = Then::ExitGroup;
  if (!p_.ended) {
    p_.ended = true;
    p_.result.end = RunResult::End::Exited;
    p_.result.exit_code = code;
    p_.result.reason = "exited with code " + std::to_string(code);
    s_.note_end(p_);
  }
  for (auto& t : p_.threads) {
    t->exited = true;
    t->object->exited = true;
  }
  s_.changed();
}

dk_status_t Control::thread_create(uint64_t arg, uint64_t stack_top,
                                   std::shared_ptr<ThreadObject>& out) {
  if (!p_.note || p_.note->thread_start == 0) return -DK_E_NOTSUP;
  const uint64_t rsp = (stack_top & ~15ull) - 8;
  const uint64_t zero = 0;
  if (stack_top < 16 || !p_.mem.check(rsp, 8, DK_PROT_WRITE) || !p_.mem.write(rsp, &zero, 8))
    return -DK_E_FAULT;
  const uint32_t slot = s_.free_slot(p_);
  if (slot == DKRT_MAX_THREADS) return -DK_E_NOMEM;
  if (actions_.size() + 2 > DKRT_MAX_ACTIONS) return -DK_E_NOMEM;
  auto t = std::make_unique<RThread>();
  t->tid = ++p_.next_tid;
  t->slot = slot;
  t->object = std::make_shared<ThreadObject>();
  t->object->pid = p_.pid;
  t->object->tid = t->tid;
  t->frames = {Frame{Frame::ThreadStart, rsp}};
  // The new thread finds its first context in its slot.
  dkrt_slot& sl = slot_at(p_, slot);
  std::memset(&sl.reply, 0, sizeof sl.reply);
  sl.reply.kind = DKRT_REPLY_CONTEXT;
  dk_context& c = sl.reply.ctx;
  c.rip = p_.note->thread_start;
  c.rsp = rsp;
  c.rdi = arg;
  c.rflags = kRflagsUser;
  set_fpu_defaults(c);
  __atomic_store_n(&sl.ready, DKRT_READY_START, __ATOMIC_RELEASE);
  p_.slot_used[slot] = true;
  add(DKRT_ACT_MAP, DKRT_THREADS + slot * DKRT_THREAD_BLOCK, DKRT_THREAD_BLOCK,
      PROT_READ | PROT_WRITE);
  add(DKRT_ACT_CLONE, 0, slot);
  out = t->object;
  p_.threads.push_back(std::move(t));
  return 0;
}

dk_status_t Control::thread_resume(ThreadObject& to) {
  RProcess* p = s_.find(to.pid);
  if (!p || p->ended) return 0;
  for (auto& t : p->threads)
    if (t->tid == to.tid && !t->exited) t->wake_pending = true;
  return 0;
}

dk_status_t Control::process_create(ChildSpec spec, std::shared_ptr<ProcessObject>& out) {
  ElfImage image;
  try {
    image = ElfImage::parse(std::move(spec.image));
  } catch (const ElfError&) {
    return -DK_E_INVAL;
  }
  LaunchSpec launch;
  launch.name = std::move(spec.name);
  launch.args = std::move(spec.args);
  launch.stdin_uri = p_.std_uris[0];
  launch.stdout_uri = p_.std_uris[1];
  launch.stderr_uri = p_.std_uris[2];
  try {
    RProcess& child = s_.launch(std::move(image), launch, std::move(spec.parent_end));
    out = child.object;
  } catch (const std::exception&) {
    return -DK_E_NOMEM;
  }
  return 0;
}

// ---- Supervisor ----

uint32_t Supervisor::free_slot(RProcess& p) const {
  for (uint32_t s = 1; s < p.sp.slots_len / DKRT_SLOT_SIZE && s < DKRT_MAX_THREADS; ++s) {
    if (p.slot_used[s]) {
      // Free again once its thread has exited and the kernel cleared the tid word.
      bool live = false;
      for (auto& t : p.threads) live |= t->slot == s && !t->exited;
      if (live || __atomic_load_n(&slot_at(p, s).tid, __ATOMIC_ACQUIRE) != 0) continue;
      p.slot_used[s] = false;
    }
    return s;
  }
  return DKRT_MAX_THREADS;
}

RProcess& Supervisor::launch(ElfImage img, const LaunchSpec& spec,
                             std::shared_ptr<HostObject> parent_end) {
  auto owned = std::make_unique<RProcess>();
  RProcess& p = *owned;
  p.pid = static_cast<uint32_t>(procs_.size() + 1);
  p.object->pid = p.pid;
  uint64_t bias = 0;
  if (img.pie) {
    if (img.min_vaddr > kPieBase) throw SpawnError("PIE image linked above the load base");
    bias = kPieBase - img.min_vaddr;
  }
  if (img.note) {
    if (img.note->abi_major != DK_ABI_MAJOR)
      throw SpawnError("image needs Dk ABI " + std::to_string(img.note->abi_major) + ".x; host has " +
                       std::to_string(DK_ABI_MAJOR) + ".x");
    p.note = *img.note;
    if (p.note->thread_start) p.note->thread_start += bias;
    if (p.note->exception_dispatch) p.note->exception_dispatch += bias;
  }
  SpawnPlan plan;
  plan.namespaces = opts_.namespaces;
  for (const ElfSegment& s : img.segments) {
    const uint64_t lo = page_down(s.vaddr + bias), hi = page_up(s.vaddr + bias + s.memsz);
    if (hi > DKRT_USER_HIGH) throw SpawnError("segment at " + hex(s.vaddr + bias) + " cannot be placed");
    uint64_t at = lo;
    // Read-only segments are booked as shared pages, as the emulator maps them: the memory
    // quota charges neither (the books hold no bytes of them; the child's mapping does).
    const dk_status_t booked =
        s.prot & DK_PROT_WRITE
            ? p.books.allocate(at, hi - lo, DK_ALLOC_COMMIT, s.prot)
            : p.books.commit_shared(lo, hi - lo, s.prot,
                                    AddressSpace::shared_pages(nullptr, 0, 0, hi - lo));
    if (booked != 0)
      throw SpawnError("segment at " + hex(s.vaddr + bias) + " cannot be placed");
    InitialRegion r;
    r.addr = lo;
    r.len = hi - lo;
    r.prot = linux_prot(s.prot);
    r.bytes.assign(s.vaddr + bias - lo + s.filesz, 0);
    if (s.filesz)  // a segment of bss alone has no bytes (and maybe no buffer) to copy
      std::memcpy(r.bytes.data() + (s.vaddr + bias - lo), img.bytes.data() + s.offset, s.filesz);
    plan.regions.push_back(std::move(r));
  }
  const uint64_t stack_size = page_up(std::max<uint64_t>(spec.stack_size, kPage));
  if (stack_size > DKRT_STACK_TOP - (1ull << 32)) throw SpawnError("stack size too large");
  uint64_t stack_low = DKRT_STACK_TOP - stack_size;
  if (p.books.allocate(stack_low, stack_size, DK_ALLOC_COMMIT, DK_PROT_READ | DK_PROT_WRITE) != 0)
    throw SpawnError("initial stack cannot be placed");
  plan.regions.push_back({stack_low, stack_size, PROT_READ | PROT_WRITE, {}});

  // Boot page: as the emulator writes it.
  std::string args, env;
  for (const auto& a : spec.args) args.append(a).push_back('\0');
  for (const auto& e : spec.env) env.append(e).push_back('\0');
  const uint64_t block = sizeof(dk_boot_info) + args.size() + env.size();
  uint64_t at = 0;
  if (p.books.allocate(at, page_up(block), DK_ALLOC_COMMIT, DK_PROT_READ) != 0)
    throw SpawnError("boot page cannot be placed");
  dk_boot_info boot{};
  boot.abi_major = DK_ABI_MAJOR;
  boot.abi_minor = DK_ABI_MINOR;
  boot.args = at + sizeof(dk_boot_info);
  boot.args_len = args.size();
  boot.env = boot.args + args.size();
  boot.env_len = env.size();
  boot.image_base = bias;
  boot.stack_low = stack_low;
  boot.stack_high = DKRT_STACK_TOP;
  std::strncpy(boot.name, spec.name.c_str(), sizeof boot.name - 1);

  // Standard handles, opened through the host as the emulator does.
  Control boot_ctl(*this, p, *[&]() -> RThread* {
    auto t = std::make_unique<RThread>();
    t->tid = 1;
    t->slot = 0;
    t->object = std::make_shared<ThreadObject>();
    t->object->pid = p.pid;
    t->object->tid = 1;
    t->frames = {Frame{Frame::Initialize, DKRT_STACK_TOP - 8}};
    p.threads.push_back(std::move(t));
    return p.threads.back().get();
  }());
  p.slot_used[0] = true;
  CallContext cx{p.mem, boot_ctl, p.handles, p.pid, 1, 0, 0, monotonic_ns()};
  auto open_std = [&](const std::string& uri, uint32_t access) -> dk_handle_t {
    if (uri.empty()) return 0;
    Call call;
    call.desc = call_desc(calls::DkStreamOpen);
    call.index = calls::DkStreamOpen;
    call.uri = uri;
    call.val[1] = access;
    if (host_.serve(cx, call) != 0 || !call.written[5]) return 0;
    return call.val[5];
  };
  const std::string* uris[3] = {&spec.stdin_uri, &spec.stdout_uri, &spec.stderr_uri};
  for (int which = 0; which < 3; ++which)
    if (uris[which]->rfind("dev:", 0) == 0) p.std_uris[which] = *uris[which];
  boot.stdin_h = open_std(spec.stdin_uri, DK_ACCESS_RDONLY);
  boot.stdout_h = open_std(spec.stdout_uri, DK_ACCESS_WRONLY);
  boot.stderr_h = open_std(spec.stderr_uri, DK_ACCESS_WRONLY);
  const dk_handle_t std_handles[3] = {boot.stdin_h, boot.stdout_h, boot.stderr_h};
  for (int which = 0; which < 3; ++which)
    if (std_handles[which]) host_.bind_std_handle(cx, which, std_handles[which]);
  if (parent_end) {
    boot.parent = p.handles.insert(std::move(parent_end));
    if (boot.parent == 0) throw SpawnError("no handle for the parent stream");
  }
  InitialRegion bp{at, page_up(block), PROT_READ, {}};
  bp.bytes.resize(block);
  std::memcpy(bp.bytes.data(), &boot, sizeof boot);
  std::memcpy(bp.bytes.data() + sizeof boot, args.data(), args.size());
  std::memcpy(bp.bytes.data() + sizeof boot + args.size(), env.data(), env.size());
  plan.regions.push_back(std::move(bp));

  plan.entry_rip = img.entry + bias;
  plan.entry_rsp = DKRT_STACK_TOP - 8;
  plan.entry_rdi = at;
  p.started_ns = monotonic_ns();
  p.sp = spawn_child(plan);
  p.mem.set_pid(p.sp.pid);
  if (procs_.empty()) first_layers = p.sp.layers;
  procs_.push_back(std::move(owned));
  if (opts_.on_child) opts_.on_child(p.pid, p.sp.pid);
  changed();
  return p;
}

void Supervisor::send(RProcess& p, RThread& t, uint32_t kind, int64_t status,
                      const dk_context* ctx, const std::vector<dkrt_action>& actions) {
  dkrt_slot& s = slot_at(p, t.slot);
  dkrt_reply& r = s.reply;
  r.kind = kind;
  r.status = status;
  r.seq = t.req.seq;
  r.nactions = static_cast<uint32_t>(std::min<size_t>(actions.size(), DKRT_MAX_ACTIONS));
  for (uint32_t i = 0; i < r.nactions; ++i) r.actions[i] = actions[i];
  if (ctx) r.ctx = *ctx;
  __atomic_store_n(&s.ready, DKRT_READY(t.req.seq), __ATOMIC_RELEASE);
  syscall(SYS_futex, &s.ready, FUTEX_WAKE, 1, nullptr, nullptr, 0);
  t.busy = false;
  t.parked = false;
  t.retrying = false;
}

void Supervisor::end(RProcess& p, RunResult r) {
  if (!p.ended) {
    p.ended = true;
    p.result = std::move(r);
    note_end(p);
  }
  for (auto& t : p.threads) {
    t->exited = true;
    t->object->exited = true;
  }
  if (!p.reaped && p.sp.pid > 0) kill(p.sp.pid, SIGKILL);
  changed();
}

void Supervisor::close_process(RProcess& p) {
  if (p.sp.channel >= 0) close(p.sp.channel);
  p.sp.channel = -1;
  if (p.sp.slots) munmap(p.sp.slots, p.sp.slots_len);
  p.sp.slots = nullptr;
}

void Supervisor::reap(RProcess& p) {
  int status = 0;
  pid_t r;
  do {
    r = waitpid(p.sp.pid, &status, 0);
  } while (r < 0 && errno == EINTR);
  p.reaped = true;
  if (!p.ended) {
    RunResult res;
    res.end = RunResult::End::HostError;
    res.exit_code = -1;
    if (r == p.sp.pid && WIFSIGNALED(status)) {
      const int sig = WTERMSIG(status);
      res.reason = "the child was killed by signal " + std::to_string(sig) +
                   (sig == SIGSYS ? " (SIGSYS: a system call the filter forbids, or one it traps "
                                    "while the shim has SIGSYS blocked)"
                                  : "");
    } else if (r == p.sp.pid && WIFEXITED(status)) {
      res.reason = "the runtime shim ended the picoprocess (status " +
                   std::to_string(WEXITSTATUS(status)) + ")";
    } else {
      res.reason = "the child is gone";
    }
    end(p, std::move(res));
  }
  p.object->exited = true;
  p.object->exit_code = p.result.exit_code;
  // Its handles go: peers see its streams close.
  p.handles = HandleTable{};
  close_process(p);
  changed();
}

std::string Supervisor::instruction_at(RProcess& p, uint64_t rip) {
  uint8_t code[16];
  if (!p.mem.peek(rip, code, sizeof code)) {
    size_t n = 0;
    while (n < sizeof code && p.mem.peek(rip + n, code + n, 1)) ++n;
    if (n == 0) return "";
    return Disassembler::for_this_thread().text(code, n, rip);
  }
  return Disassembler::for_this_thread().text(code, sizeof code, rip);
}

void Supervisor::audit_trap(RProcess& p, uint64_t rip, uint32_t detail, uint64_t number) {
  if (!audit_) return;
  TrapRecord rec;
  rec.pid = p.pid;
  rec.rip = rip;
  rec.detail = detail;
  rec.number = number;
  uint8_t code[16];
  size_t n = 0;
  while (n < sizeof code && p.mem.peek(rip + n, code + n, 1)) ++n;
  rec.bytes.assign(code, code + n);
  rec.disasm = n ? Disassembler::for_this_thread().text(code, n, rip) : "";
  audit_->push_back(std::move(rec));
}

bool Supervisor::flush(RProcess& p, RThread& t, std::vector<dkrt_action>& actions) {
  if (p.ended || p.reaped) return false;
  dkrt_slot& s = slot_at(p, t.slot);
  s.reply.kind = DKRT_REPLY_ACTIONS;
  s.reply.seq = t.req.seq;
  s.reply.nactions = static_cast<uint32_t>(std::min<size_t>(actions.size(), DKRT_MAX_ACTIONS));
  for (uint32_t i = 0; i < s.reply.nactions; ++i) s.reply.actions[i] = actions[i];
  actions.clear();
  __atomic_store_n(&s.ready, DKRT_READY(t.req.seq), __ATOMIC_RELEASE);
  syscall(SYS_futex, &s.ready, FUTEX_WAKE, 1, nullptr, nullptr, 0);
  // The thread answers DONE on its slot; anything else that comes meanwhile waits its turn.
  const uint64_t give_up = monotonic_ns() + 5'000'000'000ull;
  for (;;) {
    const uint64_t now = monotonic_ns();
    pollfd pf{p.sp.channel, POLLIN, 0};
    const int n = now < give_up ? poll(&pf, 1, static_cast<int>((give_up - now) / 1000000 + 1)) : 0;
    if (n < 0 && errno == EINTR) continue;
    dkrt_request req;
    const ssize_t k = n > 0 ? recv(p.sp.channel, &req, sizeof req, MSG_DONTWAIT | MSG_TRUNC) : -1;
    if (k < 0 && n > 0 && errno == EAGAIN) continue;
    if (k <= 0) {
      end(p, ending(RunResult::End::HostError, -1,
                    "runtime channel: the child did not make the mappings it was given"));
      return false;
    }
    if (k == static_cast<ssize_t>(sizeof req) && req.magic == DKRT_MAGIC && req.slot == t.slot &&
        req.kind == DKRT_REQ_DONE) {
      t.req.seq = req.seq;
      return true;
    }
    p.backlog.emplace_back(req, k);
  }
}

void Supervisor::read_channel(RProcess& p) {
  while (!p.backlog.empty() && !p.reaped) {
    auto [req, n] = p.backlog.front();
    p.backlog.pop_front();
    deliver(p, req, n);
  }
  while (!p.reaped) {
    dkrt_request req;
    const ssize_t n = recv(p.sp.channel, &req, sizeof req, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;  // nothing more now
    if (n <= 0) {  // the child is gone
      reap(p);
      return;
    }
    deliver(p, req, n);
  }
}

void Supervisor::deliver(RProcess& p, const dkrt_request& req, ssize_t n) {
  {
    // Copied once; from here on only the copy counts.
    RThread* t = nullptr;
    std::string bad;
    if (n != static_cast<ssize_t>(sizeof req)) bad = "a request of " + std::to_string(n) + " bytes";
    else if (req.magic != DKRT_MAGIC) bad = "a request without the magic";
    else if (req.slot >= DKRT_MAX_THREADS || !(t = p.by_slot(req.slot))) bad = "a request on a slot no thread holds";
    else if (t->busy) bad = "a second request from a thread that is waiting";
    else if (req.kind != DKRT_REQ_CALL && req.kind != DKRT_REQ_SIGNAL) bad = "a request of unknown kind";
    if (!bad.empty()) {
      if (!p.ended) end(p, ending(RunResult::End::HostError, -1, "runtime channel: " + bad));
      return;
    }
    t->req = req;
    t->busy = true;
    handle(p, *t);
  }
}

void Supervisor::handle(RProcess& p, RThread& t) {
  if (p.ended) return;
  if (t.req.kind == DKRT_REQ_CALL) serve_call(p, t);
  else on_signal(p, t);
}

void Supervisor::serve_call(RProcess& p, RThread& t) {
  const dk_context& c = t.req.ctx;
  Control ctl(*this, p, t);
  TrapRegs regs{c.rax, c.rdi, c.rsi, c.rdx, c.r10, c.r8, c.r9};
  CallContext cx{p.mem, ctl, p.handles, p.pid, t.tid, 0, c.rip - 2, monotonic_ns()};
  p.mem.set_pending(&ctl);
  const dk_status_t st = dispatcher_.dispatch(cx, regs, call_);
  p.mem.set_pending(nullptr);
  if (st == kBlocked) {
    if (!t.retrying) t.deadline = ctl.block_deadline_;
    t.parked = true;
    t.retrying = true;
    return;
  }
  ++p.result.downcalls;
  if (st < 0 && opts_.events) opts_.events->on_refused(site(p, t, c.rip - 2), call_.index, st);
  changed();
  switch (ctl.then) {
    case Control::Then::Status:
      send(p, t, DKRT_REPLY_STATUS, st, nullptr, ctl.actions_);
      return;
    case Control::Then::Context:
      if (ctl.fault_after) {
        raise(p, t, DK_EXCEPTION_MEMFAULT, DK_MEMFAULT_EXEC, ctl.ctx.rip, ctl.ctx);
        return;
      }
      send(p, t, DKRT_REPLY_CONTEXT, 0, &ctl.ctx, ctl.actions_);
      return;
    case Control::Then::ExitThread:
      send(p, t, DKRT_REPLY_EXIT_THREAD, 0, nullptr, {});
      return;
    case Control::Then::ExitGroup:
      send(p, t, DKRT_REPLY_EXIT_GROUP, p.result.exit_code & 0xff, nullptr, {});
      return;
  }
}

void Supervisor::on_signal(RProcess& p, RThread& t) {
  dk_context c = t.req.ctx;
  c.fs_base = t.req.fs_base;
  c.gs_base = t.req.gs_base;
  const uint64_t rip = c.rip;
  uint8_t b[2] = {};
  auto bytes_at = [&](uint64_t a) { return p.mem.peek(a, b, 2); };
  switch (t.req.signo) {
    case SIGSYS: {
      // A call into the vsyscall page: the kernel emulates it as a system call (which the
      // filter traps) and pops the return address. No such page is the guest's: as on the
      // emulator, the fetch there faults, with the state of that moment.
      if (t.req.addr >= kVsyscall && t.req.addr < kVsyscall + kPage) {
        c.rip = t.req.addr;
        c.rsp -= 8;
        raise(p, t, DK_EXCEPTION_MEMFAULT, DK_MEMFAULT_EXEC, t.req.addr, c);
        return;
      }
      if (t.req.arch == 0xc000003e /* AUDIT_ARCH_X86_64 */) {
        audit_trap(p, rip - 2, DK_TRAP_SYSCALL, c.rax);
        raise(p, t, DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_SYSCALL, rip - 2, c);
        return;
      }
      // Another architecture's call: int 0x80, or sysenter.
      if (bytes_at(rip - 2) && b[0] == 0x0f && b[1] == 0x34) {
        audit_trap(p, rip - 2, DK_TRAP_SYSENTER, c.rax);
        raise(p, t, DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_SYSENTER, rip - 2, c);
        return;
      }
      audit_trap(p, rip - 2, DK_TRAP_INT | (0x80u << 8), c.rax);
      raise(p, t, DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_INT | (0x80u << 8), rip - 2, c);
      return;
    }
    case SIGSEGV: {
      if (rip == 0 && (t.req.err & 0x10)) {
        fetch_at_zero(p, t);
        return;
      }
      if (t.req.code == 0x80 /* SI_KERNEL: a general protection fault */) {
        if (bytes_at(rip) && b[0] == 0xcd) {
          const uint32_t detail = DK_TRAP_INT | (static_cast<uint32_t>(b[1]) << 8);
          audit_trap(p, rip, detail, 0);
          c.rip = rip + 2;
          raise(p, t, DK_EXCEPTION_FOREIGN_TRAP, detail, rip, c);
          return;
        }
        // Vectors that trap after the instruction (int $4; some vectors a paravirtualized
        // kernel keeps for itself) leave rip after it.
        if (bytes_at(rip - 2) && b[0] == 0xcd) {
          const uint32_t detail = DK_TRAP_INT | (static_cast<uint32_t>(b[1]) << 8);
          audit_trap(p, rip - 2, detail, 0);
          raise(p, t, DK_EXCEPTION_FOREIGN_TRAP, detail, rip - 2, c);
          return;
        }
        if (!canonical(rip)) {
          raise(p, t, DK_EXCEPTION_MEMFAULT, DK_MEMFAULT_EXEC, rip, c);
          return;
        }
        uint64_t where = 0;
        uint32_t how = 0;
        auto peek = [&p](uint64_t a, void* d, size_t n) { return p.mem.peek(a, d, n); };
        if (noncanonical_access(peek, c, where, how)) {
          raise(p, t, DK_EXCEPTION_MEMFAULT, how, where, c);
          return;
        }
        raise(p, t, DK_EXCEPTION_ILLEGAL, 0, rip, c);
        return;
      }
      const uint64_t addr = t.req.addr;
      uint32_t detail = (t.req.err & 0x10) ? DK_MEMFAULT_EXEC
                        : (t.req.err & 0x2) ? DK_MEMFAULT_WRITE
                                            : DK_MEMFAULT_READ;
      // A guard page: the first touch raises MEMFAULT, then the page has its other bits.
      const int64_t prot = p.books.prot_at(addr);
      if (prot >= 0 && (prot & DK_PROT_GUARD) && p.books.take_guard(addr)) {
        const uint32_t now = linux_prot(static_cast<uint32_t>(p.books.prot_at(addr)));
        pending_actions_ = {{DKRT_ACT_PROTECT, now, page_down(addr), kPage}};
      }
      raise(p, t, DK_EXCEPTION_MEMFAULT, detail, addr, c);
      return;
    }
    case SIGBUS:
      raise(p, t, DK_EXCEPTION_MEMFAULT, DK_MEMFAULT_READ, t.req.addr, c);
      return;
    case SIGILL:
      if (bytes_at(rip) && b[0] == 0x0f && b[1] == 0x34) {
        audit_trap(p, rip, DK_TRAP_SYSENTER, c.rax);
        c.rip = rip + 2;
        raise(p, t, DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_SYSENTER, rip, c);
        return;
      }
      if (bytes_at(rip) && b[0] == 0xcd) {  // `int n` is never an invalid opcode
        const uint32_t detail = DK_TRAP_INT | (static_cast<uint32_t>(b[1]) << 8);
        audit_trap(p, rip, detail, 0);
        c.rip = rip + 2;
        raise(p, t, DK_EXCEPTION_FOREIGN_TRAP, detail, rip, c);
        return;
      }
      // The kernel's own SIGILL after a `syscall`: uretprobe (335) runs without the filter
      // and answers a call from anywhere but its trampoline this way.
      if (t.req.code == 0x80 /* SI_KERNEL */ && bytes_at(rip - 2) && b[0] == 0x0f && b[1] == 0x05) {
        audit_trap(p, rip - 2, DK_TRAP_SYSCALL, 335);
        raise(p, t, DK_EXCEPTION_FOREIGN_TRAP, DK_TRAP_SYSCALL, rip - 2, c);
        return;
      }
      raise(p, t, DK_EXCEPTION_ILLEGAL, 0, rip, c);
      return;
    case SIGFPE:
      raise(p, t, DK_EXCEPTION_ARITHMETIC, 0, rip, c);
      return;
    case SIGTRAP: {
      uint64_t at = rip;
      uint8_t one = 0;
      if (p.mem.peek(rip - 1, &one, 1) && one == 0xcc) at = rip - 1;
      else if (bytes_at(rip - 2) && b[0] == 0xcd && b[1] == 0x03) at = rip - 2;
      raise(p, t, DK_EXCEPTION_BREAKPOINT, 0, at, c);
      return;
    }
    case SIGUSR1:
      raise(p, t, DK_EXCEPTION_INTERRUPT, 0, rip, c);
      return;
    default:
      end(p, ending(RunResult::End::HostError, -1,
                    "runtime channel: a signal the shim does not forward (" +
                        std::to_string(t.req.signo) + ")"));
  }
}

void Supervisor::raise(RProcess& p, RThread& t, uint32_t type, uint32_t detail, uint64_t address,
                       dk_context at) {
  std::vector<dkrt_action> actions = std::move(pending_actions_);
  pending_actions_.clear();
  if (opts_.events) {
    if (type == DK_EXCEPTION_FOREIGN_TRAP)
      opts_.events->on_foreign_trap(site(p, t, address), detail,
                                    (detail & 0xff) == DK_TRAP_SYSCALL ? at.rax : 0);
    else
      opts_.events->on_exception(site(p, t, at.rip), type, detail, address);
  }
  RunResult end_r;
  end_r.end = RunResult::End::UnhandledException;
  end_r.exit_code = -(128 + static_cast<int64_t>(type));
  end_r.exception_type = type;
  end_r.exception_detail = detail;
  end_r.address = address;
  end_r.rip = at.rip;
  auto fail = [&](const std::string& why) {
    // As the emulator says it: MEMFAULT names the data address and the instruction at rip.
    const bool memfault = type == DK_EXCEPTION_MEMFAULT;
    end_r.instruction = instruction_at(p, memfault ? at.rip : address);
    end_r.reason = std::string("unhandled ") + exception_name(type) + " at " + hex(address) +
                   (memfault ? " by the instruction at " + hex(at.rip) : "") +
                   (end_r.instruction.empty() ? "" : ": " + end_r.instruction) + " (" + why + ")";
    end(p, std::move(end_r));
  };
  if (!p.note || p.note->exception_dispatch == 0) return fail("no exception handler");
  if (t.depth >= DK_EXCEPTION_DEPTH_MAX) return fail("exception at depth " + std::to_string(t.depth));
  dk_exception_info info{};
  info.type = type;
  info.detail = detail;
  info.address = address;
  info.context = at;
  const uint64_t sp = at.rsp;
  const uint64_t need = DK_RED_ZONE + sizeof info + 16 + 8;
  if (sp < DK_USER_LOW + need) return fail("exception info does not fit on the stack");
  const uint64_t where = (sp - DK_RED_ZONE - sizeof info) & ~15ull;
  const uint64_t ret = where - 8;
  const uint64_t zero = 0;
  if (!p.mem.check(ret, 8 + sizeof info, DK_PROT_WRITE) || !p.mem.write(where, &info, sizeof info) ||
      !p.mem.write(ret, &zero, 8))
    return fail("exception info does not fit on the stack");
  dk_context c{};
  c.rip = p.note->exception_dispatch;
  c.rsp = ret;
  c.rdi = where;
  c.rflags = kRflagsUser;
  set_fpu_defaults(c);
  t.frames.push_back(Frame{Frame::Exception, ret, type, detail, address, at.rip});
  ++t.depth;
  send(p, t, DKRT_REPLY_CONTEXT, 0, &c, actions);
}

void Supervisor::fetch_at_zero(RProcess& p, RThread& t) {
  const uint64_t rsp = t.req.ctx.rsp;
  Control ctl(*this, p, t);
  for (size_t i = t.frames.size(); i-- > 0;) {
    const Frame f = t.frames[i];
    if (f.entry_rsp + 8 != rsp) continue;
    switch (f.kind) {
      case Frame::Initialize:
        ctl.process_exit(static_cast<int64_t>(t.req.ctx.rax));
        send(p, t, DKRT_REPLY_EXIT_GROUP, p.result.exit_code & 0xff, nullptr, {});
        return;
      case Frame::ThreadStart:
        ctl.thread_exit();
        if (ctl.then == Control::Then::ExitGroup)
          send(p, t, DKRT_REPLY_EXIT_GROUP, p.result.exit_code & 0xff, nullptr, {});
        else
          send(p, t, DKRT_REPLY_EXIT_THREAD, 0, nullptr, {});
        return;
      case Frame::Exception: {
        RunResult r;
        r.end = RunResult::End::UnhandledException;
        r.exit_code = -(128 + static_cast<int64_t>(f.type));
        r.exception_type = f.type;
        r.exception_detail = f.detail;
        r.address = f.address;
        r.rip = f.rip;
        r.reason = "exception handler returned";
        end(p, std::move(r));
        return;
      }
    }
  }
  dk_context c = t.req.ctx;
  c.fs_base = t.req.fs_base;
  c.gs_base = t.req.gs_base;
  raise(p, t, DK_EXCEPTION_MEMFAULT, DK_MEMFAULT_EXEC, 0, c);
}

void Supervisor::retry_parked(bool all) {
  // Retried in (pid, tid) order, as the emulator picks threads; a retry that completes
  // changes the world again, so go round until nothing moves.
  for (int round = 0; round < 64; ++round) {
    changed_ = false;
    const uint64_t now = monotonic_ns();
    for (size_t i = 0; i < procs_.size(); ++i) {
      RProcess& p = *procs_[i];
      if (p.ended) continue;
      for (size_t k = 0; k < p.threads.size(); ++k) {
        RThread& t = *p.threads[k];
        if (!t.parked || t.exited) continue;
        if (all || t.wake_pending || (t.deadline != kNoDeadline && now >= t.deadline))
          serve_call(p, t);
      }
    }
    if (!changed_) return;
    all = true;
  }
}

void Supervisor::interrupt() {
  for (auto& pp : procs_) {
    RProcess& p = *pp;
    if (p.ended) continue;
    // A thread waiting in a call takes the exception there, and retries the call after it.
    for (auto& t : p.threads) {
      if (t->parked && !t->exited) {
        dk_context c = t->req.ctx;
        c.rip -= 2;
        c.fs_base = t->req.fs_base;
        c.gs_base = t->req.gs_base;
        raise(p, *t, DK_EXCEPTION_INTERRUPT, 0, c.rip, c);
        return;
      }
    }
    kill(p.sp.pid, SIGUSR1);
    return;
  }
}

RunResult Supervisor::run() {
  std::vector<pollfd> fds;
  std::vector<RProcess*> owners;
  for (;;) {
    if (opts_.interrupt && opts_.interrupt->exchange(false)) interrupt();
    if (changed_) retry_parked(true);
    bool alive = false;
    for (auto& p : procs_) alive |= !p->reaped;
    if (!alive) break;

    // CPU time limits: the run's, and each picoprocess's cpu_ticks.
    const uint64_t now = monotonic_ns();
    bool limited = false;
    for (auto& p : procs_) {
      if (p->ended || p->reaped) continue;
      uint64_t ticks = opts_.cpu_time_ns / 10;
      if (p->tick_limit && (ticks == 0 || p->tick_limit < ticks)) ticks = p->tick_limit;
      if (ticks == 0) continue;
      limited = true;
      clockid_t cid;
      timespec ts{};
      if (clock_getcpuclockid(p->sp.pid, &cid) == 0 && clock_gettime(cid, &ts) == 0 &&
          static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec) >=
              (ticks > UINT64_MAX / 10 ? UINT64_MAX : ticks * 10)) {
        RunResult r = ending(RunResult::End::TickLimit, -1,
                             "tick limit (" + std::to_string(ticks) + "): " +
                                 std::to_string(ticks * 10) + " ns of CPU time");
        end(*p, std::move(r));
      }
    }

    // Every live thread parked and nothing that could wake one: a deadlock.
    uint64_t earliest = kNoDeadline;
    bool any_running = false, any_parked = false;
    for (auto& p : procs_) {
      if (p->ended) {
        any_running |= !p->reaped;  // its end is on the way: the channel will say so
        continue;
      }
      for (auto& t : p->threads) {
        if (t->exited) continue;
        if (t->parked) {
          any_parked = true;
          earliest = std::min(earliest, t->deadline);
        } else {
          any_running = true;
        }
      }
    }
    if (any_parked && !any_running) {
      if (!host_.idle(earliest)) {
        for (auto& p : procs_)
          if (!p->ended) {
            RunResult r = ending(RunResult::End::Deadlock, -1,
                                 "deadlock: every thread waits and nothing can wake one");
            end(*p, std::move(r));
          }
        continue;
      }
      retry_parked(true);
      continue;
    }

    fds.clear();
    owners.clear();
    for (auto& p : procs_) {
      if (p->reaped) continue;
      fds.push_back({p->sp.channel, POLLIN, 0});
      owners.push_back(p.get());
    }
    if (opts_.host_io_fd >= 0 && any_parked) {
      fds.push_back({opts_.host_io_fd, POLLIN, 0});
      owners.push_back(nullptr);
    }
    timespec ts{}, *tsp = nullptr;
    uint64_t wait_until = earliest;
    if (limited) wait_until = std::min<uint64_t>(wait_until, now + 50000000ull);
    if (wait_until != kNoDeadline) {
      const uint64_t d = wait_until > now ? wait_until - now : 0;
      ts.tv_sec = static_cast<time_t>(d / 1000000000ull);
      ts.tv_nsec = static_cast<long>(d % 1000000000ull);
      tsp = &ts;
    }
    const int n = ppoll(fds.data(), fds.size(), tsp, nullptr);
    if (n < 0) continue;  // a signal: the interrupt flag, maybe
    for (size_t i = 0; i < fds.size(); ++i) {
      if (!fds[i].revents) continue;
      RProcess* p = owners[i];
      if (!p) {
        host_.idle(monotonic_ns());  // take what is ready; parked calls retry below
        changed();
        continue;
      }
      if (fds[i].revents & POLLIN) read_channel(*p);
      if (!p->reaped && (fds[i].revents & (POLLHUP | POLLERR)) && !(fds[i].revents & POLLIN))
        reap(*p);
    }
    if (n == 0) retry_parked(false);  // a deadline passed
  }
  RProcess& first = *procs_.front();
  RunResult r = first.result;
  r.pid = first.pid;
  r.clock_ns = monotonic_ns() - first.started_ns;
  return r;
}

}  // namespace
}  // namespace rt

RunResult run_native_runtime(Host& host, const LaunchSpec& spec, const NativeRuntimeOptions& opts,
                             SandboxLayers* layers, std::vector<TrapRecord>* audit) {
  ElfImage image = ElfImage::parse(spec.image);
  rt::Supervisor s(host, opts, audit);
  try {
    s.launch(std::move(image), spec, nullptr);
  } catch (const rt::SpawnError& e) {
    RunResult r;
    r.end = RunResult::End::LoadError;
    r.exit_code = -1;
    r.reason = e.what();
    return r;
  }
  if (layers) *layers = s.first_layers;
  return s.run();
}

}  // namespace dk
