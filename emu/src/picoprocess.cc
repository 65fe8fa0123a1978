// Boot, GuestControl, and upcall/exception delivery (ABI.md section 5).
#include "dk/picoprocess.h"

#include <unicorn/unicorn.h>

#include <algorithm>
#include <cstring>

namespace dk {
namespace {

constexpr uint64_t kPage = DK_PAGE_SIZE;
constexpr uint64_t kRflagsUser = 0x202;

uint64_t page_down(uint64_t v) {
  return v & ~(kPage - 1);
}
uint64_t page_up(uint64_t v) {
  return (v + kPage - 1) & ~(kPage - 1);
}
bool canonical(uint64_t v) {
  return v < 0x0000800000000000ull || v >= 0xffff800000000000ull;
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

void set_fpu_defaults(dk_context& c) {
  std::memset(c.fxsave, 0, sizeof c.fxsave);
  const uint16_t fcw = 0x037f;
  const uint32_t mxcsr = 0x1f80, mask = 0xffff;
  std::memcpy(c.fxsave + 0, &fcw, 2);
  std::memcpy(c.fxsave + 24, &mxcsr, 4);
  std::memcpy(c.fxsave + 28, &mask, 4);
}

}  // namespace

Picoprocess::Picoprocess(PicoprocessWorld& world, Host& host, uint32_t pid)
    : world_(world), host_(host), dispatcher_(host), cx_{mem_, *this, handles_, pid} {
  object_ = std::make_shared<ProcessObject>();
  object_->pid = pid;
  current_ = &new_thread();
}

Picoprocess::Thread& Picoprocess::new_thread() {
  auto t = std::make_unique<Thread>();
  t->id = next_tid_++;
  t->object = std::make_shared<ThreadObject>();
  t->object->pid = pid();
  t->object->tid = t->id;
  threads_.push_back(std::move(t));
  world_.ready(pid(), threads_.back()->id);
  return *threads_.back();
}

Picoprocess::~Picoprocess() {
  if (engine_) detach();
}

// ---- boot ----

void Picoprocess::boot(const ElfImage& img, const LaunchSpec& spec,
                       std::shared_ptr<HostObject> parent_end, SharedSegments* shared) {
  if (shared && shared->size() != img.segments.size()) shared->assign(img.segments.size(), nullptr);
  if (img.pie) {
    if (img.min_vaddr > kPieBase) throw BootError("PIE image linked above the load base");
    bias_ = kPieBase - img.min_vaddr;
  }
  if (img.note) {
    if (img.note->abi_major != DK_ABI_MAJOR)
      throw BootError("image needs Dk ABI " + std::to_string(img.note->abi_major) +
                      ".x; host has " + std::to_string(DK_ABI_MAJOR) + ".x");
    note_ = *img.note;
    if (note_->thread_start) note_->thread_start += bias_;
    if (note_->exception_dispatch) note_->exception_dispatch += bias_;
  }
  for (size_t i = 0; i < img.segments.size(); ++i) {
    const ElfSegment& s = img.segments[i];
    const uint64_t lo = page_down(s.vaddr + bias_), hi = page_up(s.vaddr + bias_ + s.memsz);
    if (shared && !(s.prot & DK_PROT_WRITE)) {
      std::shared_ptr<AddressSpace::Backing>& pages = (*shared)[i];
      if (!pages)
        pages = AddressSpace::shared_pages(img.bytes.data() + s.offset, s.vaddr + bias_ - lo,
                                           s.filesz, hi - lo);
      const dk_status_t st = pages ? mem_.commit_shared(lo, hi - lo, s.prot, pages) : -DK_E_NOMEM;
      if (st != 0)
        throw BootError("segment at " + hex(s.vaddr + bias_) + " cannot be placed (" +
                        std::string(status_name(st)) + ")");
      continue;
    }
    uint64_t at = lo;
    dk_status_t st = mem_.allocate(at, hi - lo, DK_ALLOC_COMMIT, s.prot);
    if (st != 0)
      throw BootError("segment at " + hex(s.vaddr + bias_) + " cannot be placed (" +
                      std::string(status_name(st)) + ")");
    if (s.filesz && !mem_.poke(s.vaddr + bias_, img.bytes.data() + s.offset, s.filesz))
      throw BootError("segment at " + hex(s.vaddr + bias_) + " cannot be written");
  }

  // Initial stack, just below kStackTop.
  const uint64_t stack_size = page_up(std::max<uint64_t>(spec.stack_size, kPage));
  if (stack_size > kStackTop - (1ull << 32)) throw BootError("stack size too large");
  uint64_t stack_low = kStackTop - stack_size;
  if (mem_.allocate(stack_low, stack_size, DK_ALLOC_COMMIT, DK_PROT_READ | DK_PROT_WRITE) != 0)
    throw BootError("initial stack cannot be placed");

  // Boot page: dk_boot_info, then the argument and environment blocks. Read-only.
  std::string args, env;
  for (const auto& a : spec.args) args.append(a).push_back('\0');
  for (const auto& e : spec.env) env.append(e).push_back('\0');
  const uint64_t block = sizeof(dk_boot_info) + args.size() + env.size();
  uint64_t at = 0;
  if (mem_.allocate(at, page_up(block), DK_ALLOC_COMMIT, DK_PROT_READ) != 0)
    throw BootError("boot page cannot be placed");
  boot_addr_ = at;
  boot_ = {};
  boot_.abi_major = DK_ABI_MAJOR;
  boot_.abi_minor = DK_ABI_MINOR;
  boot_.args = at + sizeof(dk_boot_info);
  boot_.args_len = args.size();
  boot_.env = boot_.args + args.size();
  boot_.env_len = env.size();
  boot_.image_base = bias_;
  boot_.stack_low = stack_low;
  boot_.stack_high = kStackTop;
  std::strncpy(boot_.name, spec.name.c_str(), sizeof boot_.name - 1);
  for (int which = 0; which < 3; ++which) {
    const std::string& u = which == 0 ? spec.stdin_uri : which == 1 ? spec.stdout_uri
                                                                   : spec.stderr_uri;
    if (u.rfind("dev:", 0) == 0) std_uris_[which] = u;
  }
  boot_.stdin_h = open_std(spec.stdin_uri, DK_ACCESS_RDONLY);
  boot_.stdout_h = open_std(spec.stdout_uri, DK_ACCESS_WRONLY);
  boot_.stderr_h = open_std(spec.stderr_uri, DK_ACCESS_WRONLY);
  const dk_handle_t std_handles[3] = {boot_.stdin_h, boot_.stdout_h, boot_.stderr_h};
  for (int which = 0; which < 3; ++which)
    if (std_handles[which]) host_.bind_std_handle(cx_, which, std_handles[which]);
  if (parent_end) {
    boot_.parent = handles_.insert(std::move(parent_end));
    if (boot_.parent == 0) throw BootError("no handle for the parent stream");
  }
  mem_.poke(at, &boot_, sizeof boot_);
  mem_.poke(boot_.args, args.data(), args.size());
  mem_.poke(boot_.env, env.data(), env.size());

  // LibOsInitialize(boot info), as if called: rsp % 16 == 8 and [rsp] == 0.
  Thread& t = *current_;
  t.ctx = {};
  t.ctx.rip = img.entry + bias_;
  t.ctx.rsp = kStackTop - 8;
  t.ctx.rdi = boot_addr_;
  t.ctx.rflags = kRflagsUser;
  set_fpu_defaults(t.ctx);
  t.frames = {Frame{Upcall::Initialize, t.ctx.rsp, 0, 0, 0}};
  t.depth = 0;
}

// The std handles come from the host like any DkStreamOpen, so decorators see them.
dk_handle_t Picoprocess::open_std(const std::string& uri, uint32_t access) {
  if (uri.empty()) return 0;
  cx_.now_ns = world_.now_ns();
  Call call;
  call.desc = call_desc(DK_CALL_DkStreamOpen - DK_CALL_BASE);
  call.index = DK_CALL_DkStreamOpen - DK_CALL_BASE;
  call.uri = uri;
  call.val[1] = access;
  if (host_.serve(cx_, call) != 0 || !call.written[5]) return 0;
  return call.val[5];
}

// ---- engines ----

void Picoprocess::attach(Engine& engine) {
  engine_ = &engine;
  mem_.attach(engine.uc(), &engine.residents());
  mem_.set_code_listener([&engine](uint64_t a, uint64_t n) { engine.invalidate_code(a, n); });
  engine.bind(&mem_, this);
  engine.set_ticks(saved_ticks_);
  engine.write_context(current_->ctx);
  stop_wanted_ = false;
}

void Picoprocess::detach() {
  engine_->read_context(current_->ctx);  // an exited thread's too: reports read its rip
  saved_ticks_ = engine_->ticks();
  engine_->bind(nullptr, nullptr);
  mem_.set_code_listener(nullptr);
  mem_.attach(nullptr);
  engine_ = nullptr;
}

uint64_t Picoprocess::host_clock_ns() {
  cx_.now_ns = world_.now_ns();
  return host_.clock_ns(cx_);
}

uint64_t Picoprocess::ticks() const {
  return engine_ ? engine_->ticks() : saved_ticks_;
}

void Picoprocess::switch_to(Thread& t) {
  if (&t != current_) {
    if (engine_) {
      if (current_->state != Thread::State::Exited) engine_->read_context(current_->ctx);
      engine_->write_context(t.ctx);
    }
    current_ = &t;
  }
  stop_wanted_ = false;
  // Exited threads are gone for good once off the engine; their ThreadObjects live on in
  // whatever handles name them.
  std::erase_if(threads_, [&](const std::unique_ptr<Thread>& p) {
    return p.get() != current_ && p->state == Thread::State::Exited;
  });
}

size_t Picoprocess::live_threads() const {
  size_t n = 0;
  for (const auto& t : threads_) n += t->state != Thread::State::Exited;
  return n;
}

// ---- downcalls ----

// The hot path: no allocation, a few stores, one dispatch.
dk_status_t Picoprocess::on_downcall(const TrapRegs& regs, uint64_t rip) {
  ++downcalls_;
  Thread& t = *current_;
  cx_.tick = engine_->ticks();
  cx_.rip = rip;
  cx_.thread = t.id;
  cx_.now_ns = world_.now_ns();
  // Only the parked call itself is a retry (an exception handler may run in between).
  if (t.retrying && rip != t.call_rip) t.retrying = false;
  block_deadline_ = kNoDeadline;
  block_wake_on_ = WakeOn::Change;
  const dk_status_t st = dispatcher_.dispatch(cx_, regs, call_);
  if (st == kBlocked) {
    park(t, rip);
    return st;
  }
  t.retrying = false;
  if (st < 0) world_.refused(cx_, call_.index, st);
  world_.changed();
  if (stop_wanted_) engine_->request_stop();
  return st;
}

uint64_t Picoprocess::on_rdtsc() {
  cx_.tick = engine_->ticks();
  cx_.thread = current_->id;
  cx_.now_ns = world_.now_ns();
  return host_.cycle_counter(cx_);
}

// The call could not complete: the thread waits with rip on the syscall (the engine rewinds
// it) and its registers untouched, so waking it runs the same call again.
void Picoprocess::park(Thread& t, uint64_t rip) {
  t.state = Thread::State::Parked;
  t.deadline = block_deadline_;
  t.parked_version = world_.version();
  t.parked_exits = world_.exits();
  t.wake_on = block_wake_on_;
  t.woken = false;
  ++t.parks;
  t.call_rip = rip;
  t.call_index = call_.index;
  t.retrying = true;
  stop_wanted_ = true;
  engine_->request_stop();
  world_.parked(pid(), t.id);
}

dk_status_t Picoprocess::vm_allocate(uint64_t& addr, uint64_t size, uint32_t alloc, uint32_t prot) {
  return mem_.allocate(addr, size, alloc, prot);
}

dk_status_t Picoprocess::vm_free(uint64_t addr, uint64_t size) {
  return mem_.free(addr, size);
}

dk_status_t Picoprocess::vm_protect(uint64_t addr, uint64_t size, uint32_t prot) {
  return mem_.protect(addr, size, prot);
}

void Picoprocess::set_tick_limit(uint64_t ticks) {
  tick_limit_ = ticks;
  if (engine_) engine_->set_max_ticks(world_.max_ticks_of(*this));
}

dk_status_t Picoprocess::set_segment(uint32_t reg, uint64_t base) {
  if (reg != DK_SEGMENT_FS && reg != DK_SEGMENT_GS) return -DK_E_INVAL;
  if (!canonical(base)) return -DK_E_INVAL;
  if (engine_) {
    engine_->set_reg(reg == DK_SEGMENT_FS ? UC_X86_REG_FS_BASE : UC_X86_REG_GS_BASE, base);
  } else {
    (reg == DK_SEGMENT_FS ? current_->ctx.fs_base : current_->ctx.gs_base) = base;
  }
  return 0;
}

dk_status_t Picoprocess::exception_return(const dk_context& ctx) {
  current_->pending = ctx;
  stop_wanted_ = true;
  return 0;
}

// ---- threads ----

dk_status_t Picoprocess::thread_create(uint64_t arg, uint64_t stack_top,
                                       std::shared_ptr<ThreadObject>& out) {
  if (!note_ || note_->thread_start == 0) return -DK_E_NOTSUP;
  // As if called: rsp % 16 == 8 and [rsp] == 0, the return address that means DkThreadExit.
  const uint64_t rsp = (stack_top & ~15ull) - 8;
  const uint64_t zero = 0;
  if (stack_top < 16 || !mem_.check(rsp, 8, DK_PROT_WRITE) || !mem_.write(rsp, &zero, 8))
    return -DK_E_FAULT;
  Thread& t = new_thread();
  t.ctx.rip = note_->thread_start;
  t.ctx.rsp = rsp;
  t.ctx.rdi = arg;
  t.ctx.rflags = kRflagsUser;
  set_fpu_defaults(t.ctx);
  t.frames = {Frame{Upcall::ThreadStart, rsp, 0, 0, 0}};
  out = t.object;
  return 0;
}

void Picoprocess::yield() {
  yield_ = true;
  stop_wanted_ = true;
}

dk_status_t Picoprocess::thread_resume(ThreadObject& t) {
  return world_.resume(t.pid, t.tid);
}

bool Picoprocess::take_interrupt() {
  if (!current_->wake_pending) return false;
  current_->wake_pending = false;
  return true;
}

void Picoprocess::exit_thread(Thread& t) {
  if (t.state == Thread::State::Exited) return;
  t.state = Thread::State::Exited;
  t.object->exited = true;
  t.frames.clear();
  t.frames.shrink_to_fit();
  world_.exited();
}

void Picoprocess::thread_exit() {
  exit_thread(*current_);
  stop_wanted_ = true;
  if (live_threads() == 0) process_exit(0);
}

void Picoprocess::process_exit(int64_t code) {
  Ending e;
  e.end = RunResult::End::Exited;
  e.exit_code = code;
  e.reason = "exited with code " + std::to_string(code);
  end_with(std::move(e));
}

void Picoprocess::end_with(Ending e) {
  stop_wanted_ = true;
  if (ending_) return;
  ending_ = std::move(e);
  for (auto& t : threads_) exit_thread(*t);
}

dk_status_t Picoprocess::process_create(ChildSpec spec, std::shared_ptr<ProcessObject>& out) {
  return world_.create_child(*this, std::move(spec), out);
}

// ---- upcalls and exceptions ----

void Picoprocess::after_request() {
  stop_wanted_ = false;
  Thread& t = *current_;
  if (ending_ || !t.pending) return;
  dk_context c = *t.pending;
  t.pending.reset();
  // The innermost exception handler is done.
  for (size_t i = t.frames.size(); i-- > 0;) {
    if (t.frames[i].kind == Upcall::Exception) {
      t.frames.erase(t.frames.begin() + static_cast<long>(i), t.frames.end());
      break;
    }
  }
  if (t.depth > 0) --t.depth;
  c.rflags = sanitize_rflags(c.rflags);
  uint32_t mxcsr;
  std::memcpy(&mxcsr, c.fxsave + 24, 4);
  mxcsr &= 0xffff;  // reserved MXCSR bits
  std::memcpy(c.fxsave + 24, &mxcsr, 4);
  engine_->write_context(c);
  // A non-canonical rip faults like a jump there; an unmapped one faults on the fetch.
  if (!canonical(c.rip)) raise(DK_EXCEPTION_MEMFAULT, DK_MEMFAULT_EXEC, c.rip, c.rip);
}

void Picoprocess::enter_upcall(Thread& t, uint64_t rip, uint64_t rsp, uint64_t rdi, Upcall kind,
                               uint32_t type) {
  dk_context c{};
  c.fs_base = engine_->reg(UC_X86_REG_FS_BASE);
  c.gs_base = engine_->reg(UC_X86_REG_GS_BASE);
  c.rip = rip;
  c.rsp = rsp;
  c.rdi = rdi;
  c.rflags = kRflagsUser;
  set_fpu_defaults(c);
  engine_->write_context(c);
  t.frames.push_back(Frame{kind, rsp, type, 0, 0});
}

void Picoprocess::raise(uint32_t type, uint32_t detail, uint64_t address, uint64_t rip) {
  Thread& t = *current_;
  Ending end;
  end.end = RunResult::End::UnhandledException;
  end.exit_code = -(128 + static_cast<int64_t>(type));
  end.type = type;
  end.detail = detail;
  end.address = address;
  end.rip = rip;

  if (!note_ || note_->exception_dispatch == 0) {
    end.reason = "no exception handler";
    end_with(end);
    return;
  }
  if (t.depth >= DK_EXCEPTION_DEPTH_MAX) {
    end.reason = "exception at depth " + std::to_string(t.depth);
    end_with(end);
    return;
  }
  static_assert(sizeof(dk_exception_info) % 16 == 0);
  dk_exception_info info{};
  info.type = type;
  info.detail = detail;
  info.address = address;
  engine_->read_context(info.context);
  info.context.rip = rip;
  const uint64_t sp = info.context.rsp;
  const uint64_t need = DK_RED_ZONE + sizeof info + 16 + 8;
  if (sp < DK_USER_LOW + need) {
    end.reason = "exception info does not fit on the stack";
    end_with(end);
    return;
  }
  const uint64_t at = (sp - DK_RED_ZONE - sizeof info) & ~15ull;
  const uint64_t ret = at - 8;
  const uint64_t zero = 0;
  if (!mem_.check(ret, 8 + sizeof info, DK_PROT_WRITE) || !mem_.write(at, &info, sizeof info) ||
      !mem_.write(ret, &zero, 8)) {
    end.reason = "exception info does not fit on the stack";
    end_with(end);
    return;
  }
  enter_upcall(t, note_->exception_dispatch, ret, at, Upcall::Exception, type);
  t.frames.back().detail = detail;
  t.frames.back().address = address;
  t.frames.back().rip = rip;
  ++t.depth;
}

void Picoprocess::fetch_at_zero() {
  Thread& t = *current_;
  const uint64_t rsp = engine_->reg(UC_X86_REG_RSP);
  for (size_t i = t.frames.size(); i-- > 0;) {
    const Frame f = t.frames[i];
    if (f.entry_rsp + 8 != rsp) continue;
    switch (f.kind) {
      case Upcall::Initialize:
        process_exit(static_cast<int64_t>(engine_->reg(UC_X86_REG_RAX)));
        return;
      case Upcall::ThreadStart:
        thread_exit();
        return;
      case Upcall::Exception: {
        Ending end;
        end.end = RunResult::End::UnhandledException;
        end.exit_code = -(128 + static_cast<int64_t>(f.type));
        end.type = f.type;
        end.detail = f.detail;
        end.address = f.address;
        end.rip = f.rip;
        end.reason = "exception handler returned";
        end_with(end);
        return;
      }
    }
  }
  // A call or jump through NULL.
  raise(DK_EXCEPTION_MEMFAULT, DK_MEMFAULT_EXEC, 0, 0);
}

}  // namespace dk
