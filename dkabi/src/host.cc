// Host defaults: serve() routes by the call table; the calls the picoprocess's own state
// carries out (DK_CALL_CONTROL) go to GuestControl; every other call a host does not
// implement answers -DK_E_NOTSUP.
#include "dk/host.h"

namespace dk {

namespace {

// The whole of a DK_CALL_CONTROL call: its arguments handed to GuestControl, its one output
// (DkVirtualMemoryAllocate's address) set from what the control chose.
dk_status_t serve_through_control(uint32_t index, CallContext& cx, Call& call) {
  switch (index) {
    case calls::DkVirtualMemoryAllocate: {
      uint64_t addr = call.arg(0);
      const dk_status_t st = cx.ctl.vm_allocate(addr, call.arg(1), static_cast<uint32_t>(call.arg(2)),
                                                static_cast<uint32_t>(call.arg(3)));
      if (st == 0) call.set_out(0, addr);
      return st;
    }
    case calls::DkVirtualMemoryFree:
      return cx.ctl.vm_free(call.arg(0), call.arg(1));
    case calls::DkVirtualMemoryProtect:
      return cx.ctl.vm_protect(call.arg(0), call.arg(1), static_cast<uint32_t>(call.arg(2)));
    case calls::DkThreadExit:
      cx.ctl.thread_exit();
      return 0;
    case calls::DkProcessExit:
      cx.ctl.process_exit(static_cast<int64_t>(call.arg(0)));
      return 0;
    case calls::DkSegmentRegisterSet:
      return cx.ctl.set_segment(static_cast<uint32_t>(call.arg(0)), call.arg(1));
    case calls::DkExceptionReturn:
      return cx.ctl.exception_return(call.ctx);
    default:
      return -DK_E_NOTSUP;
  }
}

}  // namespace

#define DK_X_DEFAULT(idx, name, traits, kinds, names)                                     \
  dk_status_t Host::name(CallContext& cx, Call& call) {                                   \
    return ((traits) & DK_CALL_CONTROL) ? serve_through_control(idx, cx, call) : -DK_E_NOTSUP; \
  }
DK_CALL_TABLE(DK_X_DEFAULT)
#undef DK_X_DEFAULT

dk_status_t Host::serve(CallContext& cx, Call& call) {
  switch (call.index) {
#define DK_X_CASE(idx, name, kinds, names) \
  case idx:                                \
    return name(cx, call);
    DK_CALL_LIST(DK_X_CASE)
#undef DK_X_CASE
    default:
      return -DK_E_NOTSUP;
  }
}

}  // namespace dk
