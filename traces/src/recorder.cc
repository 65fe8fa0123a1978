// Recording: inputs are captured before the inner host runs (it may change the Call), the
// outputs after. The inner host sees the picoprocess through a logging GuestControl and
// GuestMemory, so everything it did there (allocations, writes such as a mapping's file
// contents, threads and children created, blocking deadlines) is in the record, in order.
#include "dk/recorder.h"

#include <cstring>

namespace dk {

namespace {

constexpr uint64_t kEffectBytesMax = kChunkPayloadMax / 4;

// Forwards to the picoprocess and appends one Effect per action to `log`. Bytes too large
// to record set `too_large` (the Recorder then fails rather than write an unreplayable trace).
class LoggingGuest final : public GuestControl, public GuestMemory {
 public:
  LoggingGuest(GuestControl& ctl, GuestMemory& mem, std::vector<Effect>& log)
      : ctl_(ctl), mem_(mem), log_(log) {}
  bool too_large = false;

  // GuestMemory: reads are not effects.
  bool check(uint64_t addr, uint64_t len, uint32_t access) const override { return mem_.check(addr, len, access); }
  bool read(uint64_t addr, void* dst, uint64_t len) const override { return mem_.read(addr, dst, len); }
  dk_status_t read_cstr(uint64_t addr, uint64_t max, std::string& out) const override {
    return mem_.read_cstr(addr, max, out);
  }
  bool write(uint64_t addr, const void* src, uint64_t len) override {
    const bool ok = mem_.write(addr, src, len);
    Effect& e = add(EffectOp::MemoryWrite);
    e.v[0] = addr;
    e.v[1] = len;
    e.result = ok;
    if (ok) bytes(e, src, len);
    return ok;
  }

  // GuestControl.
  dk_status_t vm_allocate(uint64_t& addr, uint64_t size, uint32_t alloc, uint32_t prot) override {
    const uint64_t asked = addr;
    const dk_status_t st = ctl_.vm_allocate(addr, size, alloc, prot);
    Effect& e = add(EffectOp::Allocate);
    e.v[0] = asked, e.v[1] = size, e.v[2] = alloc, e.v[3] = prot, e.v[4] = addr;
    e.result = st;
    return st;
  }
  dk_status_t vm_free(uint64_t addr, uint64_t size) override {
    const dk_status_t st = ctl_.vm_free(addr, size);
    Effect& e = add(EffectOp::Free);
    e.v[0] = addr, e.v[1] = size;
    e.result = st;
    return st;
  }
  dk_status_t vm_protect(uint64_t addr, uint64_t size, uint32_t prot) override {
    const dk_status_t st = ctl_.vm_protect(addr, size, prot);
    Effect& e = add(EffectOp::Protect);
    e.v[0] = addr, e.v[1] = size, e.v[2] = prot;
    e.result = st;
    return st;
  }
  uint64_t committed_bytes() const override { return ctl_.committed_bytes(); }
  // Quotas: a query, and a budget the picoprocess keeps.
  size_t live_threads() const override { return ctl_.live_threads(); }
  void set_tick_limit(uint64_t ticks) override {
    ctl_.set_tick_limit(ticks);
    add(EffectOp::TickLimit).v[0] = ticks;
  }
  dk_status_t set_segment(uint32_t reg, uint64_t base) override {
    const dk_status_t st = ctl_.set_segment(reg, base);
    Effect& e = add(EffectOp::Segment);
    e.v[0] = reg, e.v[1] = base;
    e.result = st;
    return st;
  }
  dk_status_t exception_return(const dk_context& ctx) override {
    const dk_status_t st = ctl_.exception_return(ctx);
    Effect& e = add(EffectOp::ExceptionReturn);
    bytes(e, &ctx, sizeof ctx);
    e.result = st;
    return st;
  }
  void thread_exit() override {
    ctl_.thread_exit();
    add(EffectOp::ThreadExit);
  }
  void process_exit(int64_t code) override {
    ctl_.process_exit(code);
    add(EffectOp::ProcessExit).v[0] = static_cast<uint64_t>(code);
  }
  dk_status_t thread_create(uint64_t arg, uint64_t stack_top, std::shared_ptr<ThreadObject>& out) override {
    const dk_status_t st = ctl_.thread_create(arg, stack_top, out);
    Effect& e = add(EffectOp::ThreadCreate);
    e.v[0] = arg, e.v[1] = stack_top, e.v[2] = st == 0 && out ? out->tid : 0;
    e.result = st;
    return st;
  }
  void yield() override {
    ctl_.yield();
    add(EffectOp::Yield);
  }
  dk_status_t thread_resume(ThreadObject& t) override {
    const dk_status_t st = ctl_.thread_resume(t);
    Effect& e = add(EffectOp::Resume);
    e.v[0] = t.pid, e.v[1] = t.tid;
    e.result = st;
    return st;
  }
  void block(uint64_t deadline_ns) override {
    ctl_.block(deadline_ns);
    add(EffectOp::Block).v[0] = deadline_ns;
  }
  uint64_t wait_deadline() const override { return ctl_.wait_deadline(); }
  bool take_interrupt() override {
    const bool taken = ctl_.take_interrupt();
    add(EffectOp::TakeInterrupt).result = taken;
    return taken;
  }
  void wake_on(WakeOn on) override {
    ctl_.wake_on(on);
    add(EffectOp::WakeOn).v[0] = static_cast<uint64_t>(on);
  }
  void wake(uint32_t pid, uint32_t tid) override {
    ctl_.wake(pid, tid);
    Effect& e = add(EffectOp::Wake);
    e.v[0] = pid, e.v[1] = tid;
  }
  dk_status_t process_create(ChildSpec spec, std::shared_ptr<ProcessObject>& out) override {
    // The child's image came from a file the replay will not have: it goes into the trace.
    std::vector<uint8_t> image = spec.image;
    std::vector<std::string> strs;
    strs.push_back(spec.name);
    strs.insert(strs.end(), spec.args.begin(), spec.args.end());
    const dk_status_t st = ctl_.process_create(std::move(spec), out);
    Effect& e = add(EffectOp::ProcessCreate);
    if (image.size() > kEffectBytesMax) too_large = true;
    else e.bytes = std::move(image);
    e.strs = std::move(strs);
    e.v[0] = st == 0 && out ? out->pid : 0;
    e.result = st;
    return st;
  }

 private:
  Effect& add(EffectOp op) {
    Effect& e = log_.emplace_back();
    e.op = op;
    return e;
  }
  void bytes(Effect& e, const void* p, uint64_t n) {
    if (n > kEffectBytesMax) {
      too_large = true;
      return;
    }
    const auto* b = static_cast<const uint8_t*>(p);
    e.bytes.assign(b, b + n);
  }

  GuestControl& ctl_;
  GuestMemory& mem_;
  std::vector<Effect>& log_;
};

}  // namespace

Recorder::Recorder(Host& inner, TraceWriter& out, RecorderOptions opts)
    : HostDecorator(inner), out_(out), opts_(opts) {}

void Recorder::begin(RecordKind kind, const EventSite& site) {
  rec_.kind = kind;
  rec_.tick = site.tick;
  rec_.pid = site.pid;
  rec_.thread = site.thread;
  rec_.rip = site.rip;
}

void Recorder::emit(const TraceRecord& r) {
  if (failed()) return;
  if (depth_ > 0) {
    pending_.push_back(r);
    return;
  }
  try {
    out_.append(r);
  } catch (const TraceError& e) {
    error_ = e.what();
  }
}

dk_status_t Recorder::serve(CallContext& cx, Call& call) {
  if (calls_.size() <= depth_) calls_.emplace_back();
  TraceRecord& rec = calls_[depth_];
  rec.kind = RecordKind::Downcall;
  rec.tick = cx.tick;
  rec.pid = cx.pid;
  rec.thread = cx.thread;
  rec.rip = cx.rip;
  set_downcall_inputs(rec.call, call, opts_.hash_inputs);
  LoggingGuest guest(cx.ctl, cx.mem, rec.call.effects);
  CallContext inner_cx{guest, guest, cx.handles, cx.pid, cx.thread, cx.tick, cx.rip, cx.now_ns};
  ++depth_;
  const dk_status_t status = inner().serve(inner_cx, call);
  --depth_;
  set_downcall_outputs(rec.call, call, status);
  if (!rec.call.effects.empty()) rec.call.fields |= kHasEffects;
  if (guest.too_large && !failed())
    error_ = "trace: a host effect of call " + std::to_string(call.index) + " is too large to record";
  ++downcalls_;
  emit(rec);
  if (depth_ == 0) {
    for (const TraceRecord& r : pending_) emit(r);
    pending_.clear();
  }
  if (opts_.checksum_every && probe_ && downcalls_ % opts_.checksum_every == 0) {
    begin(RecordKind::Checksum, EventSite{cx.tick, cx.pid, cx.thread, cx.rip});
    rec_.checksum.hash = memory_hash(*probe_, cx.pid);
    rec_.checksum.downcalls = downcalls_;
    write();
  }
  return status;
}

uint64_t Recorder::cycle_counter(const CallContext& cx) {
  const uint64_t v = inner().cycle_counter(cx);
  begin(RecordKind::Rdtsc, EventSite{cx.tick, cx.pid, cx.thread, cx.rip});
  rec_.rdtsc = v;
  write();
  return v;
}

uint64_t Recorder::clock_ns(const CallContext& cx) {
  const uint64_t v = inner().clock_ns(cx);
  begin(RecordKind::Clock, EventSite{cx.tick, cx.pid, cx.thread, cx.rip});
  rec_.clock = v;
  write();
  return v;
}

bool Recorder::idle(uint64_t deadline) {
  const bool woke = inner().idle(deadline);
  begin(RecordKind::Idle, EventSite{});
  rec_.idle.deadline = deadline;
  rec_.idle.woke = woke;
  write();
  return woke;
}

void Recorder::on_schedule(const EventSite& site, uint32_t next_thread, uint32_t reason) {
  on_schedule_to(site, 0, next_thread, reason);
}

void Recorder::on_schedule_to(const EventSite& site, uint32_t next_pid, uint32_t next_thread, uint32_t reason) {
  begin(RecordKind::Schedule, site);
  rec_.schedule = {next_thread, reason, next_pid};
  write();
}

void Recorder::on_exception(const EventSite& site, uint32_t type, uint32_t detail, uint64_t address) {
  begin(RecordKind::Exception, site);
  rec_.exception = {type, detail, address};
  write();
}

void Recorder::on_foreign_trap(const EventSite& site, uint32_t detail, uint64_t number) {
  begin(RecordKind::ForeignTrap, site);
  rec_.trap = {detail, number};
  write();
}

void Recorder::on_upcall(const EventSite& site, uint32_t which, uint64_t entry, uint64_t arg) {
  begin(RecordKind::Upcall, site);
  rec_.upcall = {which, entry, arg};
  write();
}

void Recorder::on_end(const EventSite& site, uint32_t reason, int64_t exit_code, std::string_view message) {
  begin(RecordKind::End, site);
  rec_.end.reason = reason;
  rec_.end.exit_code = exit_code;
  rec_.end.message = std::string(message);
  write();
  if (failed()) return;
  try {
    out_.flush();
  } catch (const TraceError& e) {
    error_ = e.what();
  }
}

}  // namespace dk
