// The native host's spine: construction, the real clocks, idle() over the epoll set, and
// the calls that need no stream: memory (through GuestControl), time, random bits, system
// info and debug output. The other calls live in one file per subsystem.
#include "dk/native_host.h"

#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include <cerrno>
#include <cstring>

#include "native_device.h"
#include "native_world.h"

namespace dk {

using namespace native;

NativeHost::NativeHost(NativeConfig config)
    : config_(std::move(config)),
      world_(std::make_unique<NativeWorld>(config_)),
      quotas_(config_.limits) {}

NativeHost::~NativeHost() = default;

std::unique_ptr<NativeHost> make_native_host(NativeConfig config) {
  return std::make_unique<NativeHost>(std::move(config));
}

uint64_t NativeHost::monotonic_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

uint64_t NativeHost::cycle_counter(const CallContext&) {
  return __rdtsc();
}

uint64_t NativeHost::clock_ns(const CallContext&) {
  return monotonic_ns();
}

bool NativeHost::idle(uint64_t deadline) {
  return world_->env->poller.wait(deadline, monotonic_ns());
}

dk_status_t NativeHost::resolve(uint32_t pid, std::string_view uri, Access access,
                                Resolved& out) const {
  if (dk_status_t st = config_.ns.resolve(uri, access, out)) return st;
  if (config_.narrow)
    if (dk_status_t st = config_.narrow(out.uri, access)) return st;
  if (out.target == Resolved::Target::Tmpfs) {
    std::string folder;
    if (dk_status_t st = world_->private_folder(pid, out.base, folder)) return st;
    out.target = Resolved::Target::HostFolder;
    out.base = folder;
  }
  return 0;
}

void NativeHost::set_image(uint32_t pid, std::vector<uint8_t> image, std::string name) {
  world_->images[pid] = {std::move(image), std::move(name)};
}

void NativeHost::bind_std_handle(CallContext& cx, int which, dk_handle_t h) {
  auto o = cx.handles.get(h);
  quotas_.bind_std(cx, which, o);
  auto d = std::dynamic_pointer_cast<DeviceStream>(o);
  if (d && which == 2) d->console_fd = 2;
}

dk_status_t NativeHost::serve(CallContext& cx, Call& call) {
  quotas_.enter(cx);
  return Host::serve(cx, call);
}

dk_status_t NativeHost::DkVirtualMemoryAllocate(CallContext& cx, Call& call) {
  if ((call.arg(2) & DK_ALLOC_COMMIT) && call.arg(1) <= DK_USER_HIGH)
    if (dk_status_t st = quotas_.memory(cx, (call.arg(1) + DK_PAGE_SIZE - 1) & ~(DK_PAGE_SIZE - 1)))
      return st;
  uint64_t addr = call.arg(0);
  dk_status_t st = cx.ctl.vm_allocate(addr, call.arg(1), static_cast<uint32_t>(call.arg(2)),
                                      static_cast<uint32_t>(call.arg(3)));
  if (st == 0) call.set_out(0, addr);
  return st;
}

dk_status_t NativeHost::DkVirtualMemoryFree(CallContext& cx, Call& call) {
  return cx.ctl.vm_free(call.arg(0), call.arg(1));
}

dk_status_t NativeHost::DkVirtualMemoryProtect(CallContext& cx, Call& call) {
  return cx.ctl.vm_protect(call.arg(0), call.arg(1), static_cast<uint32_t>(call.arg(2)));
}

dk_status_t NativeHost::DkProcessExit(CallContext& cx, Call& call) {
  cx.ctl.process_exit(static_cast<int64_t>(call.arg(0)));
  return 0;
}

dk_status_t NativeHost::DkProcessSnapshot(CallContext&, Call&) {
  return -DK_E_NOTSUP;  // snapshots come with their own work
}

dk_status_t NativeHost::DkSystemTimeQuery(CallContext&, Call& call) {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  call.set_out(
      0, static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec));
  return 0;
}

dk_status_t NativeHost::DkRandomBitsRead(CallContext&, Call& call) {
  call.out_bytes.resize(call.room);
  size_t got = 0;
  while (got < call.room) {
    const ssize_t n = getrandom(call.out_bytes.data() + got, call.room - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      call.out_bytes.clear();
      return -DK_E_BUSY;  // no entropy source: nothing is reported as random
    }
    got += static_cast<size_t>(n);
  }
  return 0;
}

dk_status_t NativeHost::DkInstructionCacheFlush(CallContext&, Call&) {
  return 0;
}

dk_status_t NativeHost::DkSegmentRegisterSet(CallContext& cx, Call& call) {
  return cx.ctl.set_segment(static_cast<uint32_t>(call.arg(0)), call.arg(1));
}

dk_status_t NativeHost::DkExceptionReturn(CallContext& cx, Call& call) {
  return cx.ctl.exception_return(call.ctx);
}

dk_status_t NativeHost::DkSystemInfoQuery(CallContext&, Call& call) {
  dk_system_info& i = call.sysinfo;
  i.abi_major = DK_ABI_MAJOR;
  i.abi_minor = DK_ABI_MINOR;
  i.page_size = DK_PAGE_SIZE;
  i.alloc_granularity = DK_PAGE_SIZE;
  i.user_low = DK_USER_LOW;
  i.user_high = DK_USER_HIGH;
  // The emulator runs one guest thread at a time, whatever the machine has.
  i.cpu_count = 1;
  memcpy(i.host_name, "native", 7);
  return 0;
}

dk_status_t NativeHost::DkDebugOutput(CallContext&, Call& call) {
  if (config_.debug_log)
    config_.debug_log->append(reinterpret_cast<const char*>(call.in_bytes.data()),
                              call.in_bytes.size());
  return 0;
}

}  // namespace dk
