// The quota decorator: the ledger's checks around the inner host, each where the host's flow
// would have met it (dk/core/quota_enforcer.h).
#include "dk/core/quota_enforcer.h"

#include <memory>
#include <utility>

#include "dk/core/stream.h"

namespace dk {
namespace {

// The caller's GuestControl as the inner host sees it: a commit, a new thread and a child are
// charged right where the host asks for them; everything else passes through.
class ChargingControl final : public GuestControl {
 public:
  ChargingControl(CallContext& cx, QuotaLedger& ledger) : cx_(cx), ctl_(cx.ctl), ledger_(ledger) {}

  dk_status_t vm_allocate(uint64_t& addr, uint64_t size, uint32_t alloc, uint32_t prot) override {
    // The size rounded up to pages is counted whole (a range past the user half is the
    // control's to refuse).
    if ((alloc & DK_ALLOC_COMMIT) && size <= DK_USER_HIGH)
      if (dk_status_t st = ledger_.memory(cx_, (size + DK_PAGE_SIZE - 1) & ~(DK_PAGE_SIZE - 1)))
        return st;
    return ctl_.vm_allocate(addr, size, alloc, prot);
  }
  dk_status_t thread_create(uint64_t arg, uint64_t stack_top,
                            std::shared_ptr<ThreadObject>& out) override {
    if (dk_status_t st = ledger_.thread(cx_)) return st;
    return ctl_.thread_create(arg, stack_top, out);
  }
  dk_status_t process_create(ChildSpec spec, std::shared_ptr<ProcessObject>& out) override {
    // The child boots (and opens its std handles) inside process_create, before its pid is
    // known: the ledger takes the first new picoprocess it meets meanwhile as the child.
    ledger_.begin_child(cx_.pid);
    const dk_status_t st = ctl_.process_create(std::move(spec), out);
    ledger_.end_child(st == 0 && out ? out->pid : 0);
    return st;
  }

  dk_status_t vm_free(uint64_t addr, uint64_t size) override { return ctl_.vm_free(addr, size); }
  dk_status_t vm_protect(uint64_t addr, uint64_t size, uint32_t prot) override {
    return ctl_.vm_protect(addr, size, prot);
  }
  uint64_t committed_bytes() const override { return ctl_.committed_bytes(); }
  size_t live_threads() const override { return ctl_.live_threads(); }
  void set_tick_limit(uint64_t ticks) override { ctl_.set_tick_limit(ticks); }
  dk_status_t set_segment(uint32_t reg, uint64_t base) override { return ctl_.set_segment(reg, base); }
  dk_status_t exception_return(const dk_context& ctx) override { return ctl_.exception_return(ctx); }
  void thread_exit() override { ctl_.thread_exit(); }
  void process_exit(int64_t code) override { ctl_.process_exit(code); }
  void yield() override { ctl_.yield(); }
  dk_status_t thread_resume(ThreadObject& t) override { return ctl_.thread_resume(t); }
  void block(uint64_t deadline_ns) override { ctl_.block(deadline_ns); }
  uint64_t wait_deadline() const override { return ctl_.wait_deadline(); }
  bool take_interrupt() override { return ctl_.take_interrupt(); }
  void wake_on(WakeOn on) override { ctl_.wake_on(on); }
  void wake(uint32_t pid, uint32_t tid) override { ctl_.wake(pid, tid); }

 private:
  CallContext& cx_;  // the caller as the decorator was given it (the ledger measures there)
  GuestControl& ctl_;
  QuotaLedger& ledger_;
};

}  // namespace

QuotaEnforcer::QuotaEnforcer(Host& inner, Limits defaults)
    : HostDecorator(inner), ledger_(defaults) {}

dk_status_t QuotaEnforcer::serve(CallContext& cx, Call& call) {
  ledger_.enter(cx);
  switch (call.index) {
    case calls::DkStreamOpen: {
      // After the request's own refusals, before the host's policy and the open.
      Uri uri;
      if (check_open_request(call, uri) == 0 && uri.kind() != UriKind::Self)
        if (dk_status_t st = ledger_.stream(cx)) return st;
      break;
    }
    case calls::DkStreamWaitForClient: {
      // A client waiting to be taken stays first in line when refused.
      std::shared_ptr<HostStream> s;
      if (get_stream(cx, call.arg(0), s) == 0 && s->would_accept())
        if (dk_status_t st = ledger_.stream(cx)) return st;
      break;
    }
    case calls::DkStreamWrite:
      return stream_write(cx, call);
    default:
      break;
  }
  return forward(cx, call);
}

dk_status_t QuotaEnforcer::stream_write(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (get_stream(cx, call.arg(0), s) != 0 || write_refusal(*s, call.arg(1)) != 0)
    return forward(cx, call);  // the host refuses it, as it would have before any quota
  // Output past the output_bytes quota is refused whole, before anything is written.
  uint64_t charged = 0;
  if (dk_status_t st = ledger_.output(cx, s.get(), s->console_device, call.in_bytes.size(), charged))
    return st;
  const dk_status_t st = forward(cx, call);
  // What the host wrote: the count it returned on success, nothing otherwise (a refusal, a
  // blocked write that will be retried and charged again).
  const uint64_t done = st == 0 && call.written.test(3) ? call.arg(3) : 0;
  if (charged > done) ledger_.output_unused(cx, charged - done);
  return st;
}

dk_status_t QuotaEnforcer::forward(CallContext& cx, Call& call) {
  ChargingControl ctl(cx, ledger_);
  CallContext inner_cx{cx.mem, ctl, cx.handles, cx.pid, cx.thread, cx.tick, cx.rip, cx.now_ns};
  return inner().serve(inner_cx, call);
}

void QuotaEnforcer::bind_std_handle(CallContext& cx, int which, dk_handle_t h) {
  ledger_.bind_std(cx, which, cx.handles.get(h));
  inner().bind_std_handle(cx, which, h);
}

}  // namespace dk
