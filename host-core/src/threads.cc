// Threads (calls 4, 6-8; DkThreadExit is the Host default): creation, yield and resume go to
// GuestControl; a delay is a block until its deadline on the host's clock (clock_ns: the
// world clock on the simulated host, CLOCK_MONOTONIC on a real one), retried by the emulator
// (see kBlocked), so the host keeps no state for it.
#include "dk/core/core_host.h"

namespace dk {

dk_status_t CoreHost::DkThreadCreate(CallContext& cx, Call& call) {
  std::shared_ptr<ThreadObject> t;
  if (dk_status_t st = cx.ctl.thread_create(call.arg(0), call.arg(1), t)) return st;
  dk_handle_t h = cx.handles.insert(std::move(t));
  if (!h) return -DK_E_QUOTA;
  call.set_out(2, h);
  return 0;
}

dk_status_t CoreHost::DkThreadDelayExecution(CallContext& cx, Call& call) {
  const uint64_t now = clock_ns(cx);
  const uint64_t retry_deadline = cx.ctl.wait_deadline();
  const bool retry = retry_deadline != kNoDeadline;
  // A deadline past the clock's range waits as long as one can; kNoDeadline itself would
  // make the retry look like a fresh call.
  const uint64_t ns = call.arg(0);
  const uint64_t deadline =
      retry ? retry_deadline : (ns >= kNoDeadline - 1 - now ? kNoDeadline - 1 : now + ns);
  if (cx.ctl.take_interrupt()) {
    call.set_out(0, deadline > now ? deadline - now : 0);
    return -DK_E_INTERRUPTED;
  }
  if (now >= deadline) {
    if (!retry) cx.ctl.yield();  // a zero delay still gives up the quantum
    return 0;
  }
  cx.ctl.block(deadline);
  return kBlocked;
}

dk_status_t CoreHost::DkThreadYieldExecution(CallContext& cx, Call&) {
  cx.ctl.yield();
  return 0;
}

dk_status_t CoreHost::DkThreadResume(CallContext& cx, Call& call) {
  std::shared_ptr<ThreadObject> t;
  if (dk_status_t st = cx.handles.get_as(call.arg(0), ObjectKind::Thread, t)) return st;
  const dk_status_t st = cx.ctl.thread_resume(*t);
  if (st == 0) wake_thread(t->pid, t->tid);
  return st;
}

}  // namespace dk
