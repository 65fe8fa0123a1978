// The core host's spine: the quota ledger on every call, and the calls that need no object
// of the host: memory, exit, segment base and exception return (through GuestControl),
// system info and debug output. Threads, sync, processes and handles live in one file each.
#include "dk/core/core_host.h"

#include <algorithm>
#include <cstring>

namespace dk {

CoreHost::CoreHost(Limits limits, std::string* debug_log, ProcessTable::Image first)
    : quotas_(limits), processes_(std::move(first)), debug_log_(debug_log) {}

CoreHost::~CoreHost() = default;

dk_status_t CoreHost::serve(CallContext& cx, Call& call) {
  quotas_.enter(cx);
  const dk_status_t st = Host::serve(cx, call);
  note_wakes(cx, call, st);
  return st;
}

void CoreHost::bind_std_handle(CallContext& cx, int which, dk_handle_t h) {
  quotas_.bind_std(cx, which, cx.handles.get(h));
}

dk_status_t CoreHost::DkVirtualMemoryAllocate(CallContext& cx, Call& call) {
  if ((call.arg(2) & DK_ALLOC_COMMIT) && call.arg(1) <= DK_USER_HIGH)
    if (dk_status_t st = quotas_.memory(cx, (call.arg(1) + DK_PAGE_SIZE - 1) & ~(DK_PAGE_SIZE - 1)))
      return st;
  uint64_t addr = call.arg(0);
  dk_status_t st = cx.ctl.vm_allocate(addr, call.arg(1), static_cast<uint32_t>(call.arg(2)),
                                      static_cast<uint32_t>(call.arg(3)));
  if (st == 0) call.set_out(0, addr);
  return st;
}

dk_status_t CoreHost::DkVirtualMemoryFree(CallContext& cx, Call& call) {
  return cx.ctl.vm_free(call.arg(0), call.arg(1));
}

dk_status_t CoreHost::DkVirtualMemoryProtect(CallContext& cx, Call& call) {
  return cx.ctl.vm_protect(call.arg(0), call.arg(1), static_cast<uint32_t>(call.arg(2)));
}

dk_status_t CoreHost::DkProcessExit(CallContext& cx, Call& call) {
  cx.ctl.process_exit(static_cast<int64_t>(call.arg(0)));
  return 0;
}

dk_status_t CoreHost::DkProcessSnapshot(CallContext&, Call&) {
  return -DK_E_NOTSUP;  // snapshots come with their own work
}

dk_status_t CoreHost::DkInstructionCacheFlush(CallContext&, Call&) {
  // Code stays coherent without it (ABI.md section 1); the call is a hint.
  return 0;
}

dk_status_t CoreHost::DkSegmentRegisterSet(CallContext& cx, Call& call) {
  return cx.ctl.set_segment(static_cast<uint32_t>(call.arg(0)), call.arg(1));
}

dk_status_t CoreHost::DkExceptionReturn(CallContext& cx, Call& call) {
  return cx.ctl.exception_return(call.ctx);
}

dk_status_t CoreHost::DkSystemInfoQuery(CallContext&, Call& call) {
  dk_system_info& i = call.sysinfo;
  i.abi_major = DK_ABI_MAJOR;
  i.abi_minor = DK_ABI_MINOR;
  i.page_size = DK_PAGE_SIZE;
  i.alloc_granularity = DK_PAGE_SIZE;
  i.user_low = DK_USER_LOW;
  i.user_high = DK_USER_HIGH;
  // The emulator runs one guest thread at a time, whatever the machine has.
  i.cpu_count = 1;
  const std::string_view host = name();
  const size_t n = std::min(host.size(), sizeof i.host_name - 1);
  memcpy(i.host_name, host.data(), n);
  i.host_name[n] = 0;
  return 0;
}

dk_status_t CoreHost::DkDebugOutput(CallContext&, Call& call) {
  if (debug_log_)
    debug_log_->append(reinterpret_cast<const char*>(call.in_bytes.data()), call.in_bytes.size());
  return 0;
}

}  // namespace dk
