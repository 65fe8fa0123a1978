// The core host's spine: the calls that need no object of the host: snapshots, cache
// flushes, system info and debug output. Memory, exit, segment base and exception return are
// the Host interface's defaults (GuestControl). Threads, sync, processes and handles live in
// one file each.
#include "dk/core/core_host.h"

#include <algorithm>
#include <cstring>

#include "dk/core/device.h"
#include "dk/core/state.h"

namespace dk {

CoreHost::CoreHost(std::string* debug_log, ProcessTable::Image first)
    : processes_(std::move(first)), debug_log_(debug_log) {}

CoreHost::~CoreHost() = default;

void CoreHost::save_core(CoreState& s) const {
  s.processes = processes_;
  s.waits = waits_;
  s.mappings = mappings_;
}

void CoreHost::load_core(const CoreState& s) {
  if (s.processes) processes_ = *s.processes;
  waits_ = s.waits;
  mappings_ = s.mappings;
}

// Every call, then the wake lists learn what it did (wake.cc).
dk_status_t CoreHost::serve(CallContext& cx, Call& call) {
  const dk_status_t st = Host::serve(cx, call);
  note_wakes(cx, call, st);
  return st;
}

dk_status_t CoreHost::DkProcessSnapshot(CallContext&, Call&) {
  return -DK_E_NOTSUP;  // snapshots come with their own work
}

dk_status_t CoreHost::DkInstructionCacheFlush(CallContext&, Call&) {
  // Code stays coherent without it (ABI.md section 1); the call is a hint.
  return 0;
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

void CoreHost::bind_std_handle(CallContext& cx, int which, dk_handle_t h) {
  auto d = std::dynamic_pointer_cast<DeviceStream>(cx.handles.get(h));
  if (d && which == 2) d->console_fd = 2;
}

}  // namespace dk
