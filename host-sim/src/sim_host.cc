// The simulated host's calls for the spine: memory (through GuestControl), semaphores,
// devices, time, randomness, system info and debug output.
#include "dk/sim_host.h"

#include <cstring>
#include <string_view>

namespace dk {
namespace {

enum class Device { Console, Null, Zero };

struct SimStream : HostObject {
  SimStream(Device d, std::string n, bool r, bool w, bool nb)
      : HostObject(ObjectKind::Stream), device(d), name(std::move(n)), readable(r), writable(w),
        nonblocking(nb) {}
  Device device;
  std::string name;  // the virtual URI as opened
  bool readable, writable, nonblocking;
  int console_fd = 1;  // where console writes go: 1 stdout, 2 stderr
};

struct SimSemaphore : HostObject {
  SimSemaphore(uint32_t c, uint32_t m) : HostObject(ObjectKind::Semaphore), count(c), max(m) {}
  uint32_t count, max;
};

// dev:NAME or dev:///NAME (ABI.md section 7 spellings).
bool parse_device(std::string_view uri, Device& d) {
  std::string_view name;
  if (uri.starts_with("dev:///")) name = uri.substr(7);
  else if (uri.starts_with("dev:")) name = uri.substr(4);
  else return false;
  if (name == "console") d = Device::Console;
  else if (name == "null") d = Device::Null;
  else if (name == "zero") d = Device::Zero;
  else return false;
  return true;
}

}  // namespace

SeededRandom::SeededRandom(uint64_t seed) {
  for (auto& s : s_) {  // splitmix64
    seed += 0x9e3779b97f4a7c15ull;
    uint64_t z = seed;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    s = z ^ (z >> 31);
  }
}

uint64_t SeededRandom::next() {
  auto rotl = [](uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

void SeededRandom::fill(uint8_t* out, size_t n) {
  while (n > 0) {
    uint64_t v = next();
    size_t take = n < 8 ? n : 8;
    memcpy(out, &v, take);
    out += take;
    n -= take;
  }
}

SimHost::SimHost(SimConfig config) : config_(config), random_(config.seed) {}

void SimHost::bind_std_handle(CallContext& cx, int which, dk_handle_t h) {
  std::shared_ptr<SimStream> s;
  if (cx.handles.get_as(h, ObjectKind::Stream, s) == 0 && which == 2) s->console_fd = 2;
}

dk_status_t SimHost::DkVirtualMemoryAllocate(CallContext& cx, Call& call) {
  uint64_t addr = call.arg(0);
  dk_status_t st = cx.ctl.vm_allocate(addr, call.arg(1), static_cast<uint32_t>(call.arg(2)),
                                      static_cast<uint32_t>(call.arg(3)));
  if (st == 0) call.set_out(0, addr);
  return st;
}

dk_status_t SimHost::DkVirtualMemoryFree(CallContext& cx, Call& call) {
  return cx.ctl.vm_free(call.arg(0), call.arg(1));
}

dk_status_t SimHost::DkVirtualMemoryProtect(CallContext& cx, Call& call) {
  return cx.ctl.vm_protect(call.arg(0), call.arg(1), static_cast<uint32_t>(call.arg(2)));
}

dk_status_t SimHost::DkSemaphoreCreate(CallContext& cx, Call& call) {
  const uint64_t initial = call.arg(0), max = call.arg(1);
  if (max < 1 || initial > max) return -DK_E_INVAL;
  dk_handle_t h = cx.handles.insert(std::make_shared<SimSemaphore>(initial, max));
  if (!h) return -DK_E_QUOTA;
  call.set_out(2, h);
  return 0;
}

dk_status_t SimHost::DkSemaphoreRelease(CallContext& cx, Call& call) {
  std::shared_ptr<SimSemaphore> sem;
  if (dk_status_t st = cx.handles.get_as(call.arg(0), ObjectKind::Semaphore, sem)) return st;
  const uint64_t count = call.arg(1);
  if (count > sem->max - sem->count) return -DK_E_RANGE;
  call.set_out(2, sem->count);
  sem->count += static_cast<uint32_t>(count);
  return 0;
}

dk_status_t SimHost::DkSemaphorePeek(CallContext& cx, Call& call) {
  std::shared_ptr<SimSemaphore> sem;
  if (dk_status_t st = cx.handles.get_as(call.arg(0), ObjectKind::Semaphore, sem)) return st;
  call.set_out(1, sem->count);
  return 0;
}

dk_status_t SimHost::DkProcessExit(CallContext& cx, Call& call) {
  cx.ctl.process_exit(static_cast<int64_t>(call.arg(0)));
  return 0;
}

dk_status_t SimHost::DkStreamOpen(CallContext& cx, Call& call) {
  const uint64_t access = call.arg(1), create = call.arg(3), options = call.arg(4);
  const uint64_t mode = access & ~uint64_t{DK_ACCESS_APPEND};
  if (mode > DK_ACCESS_RDWR || create > (DK_CREATE_ALWAYS | DK_CREATE_TRUNCATE) ||
      (create & DK_CREATE_TRY && create & DK_CREATE_ALWAYS) || options > DK_OPTION_NONBLOCK ||
      call.arg(2) > 0777)
    return -DK_E_INVAL;
  Device device;
  if (!parse_device(call.uri, device)) {
    // Files, pipes and sockets arrive with the streams work; until then, and under the
    // default policy of a bare image, nothing else is granted.
    return -DK_E_ACCESS;
  }
  if (create & DK_CREATE_ALWAYS) return -DK_E_EXIST;  // devices always exist
  auto s = std::make_shared<SimStream>(device, call.uri, mode != DK_ACCESS_WRONLY,
                                       mode != DK_ACCESS_RDONLY, options & DK_OPTION_NONBLOCK);
  dk_handle_t h = cx.handles.insert(std::move(s));
  if (!h) return -DK_E_QUOTA;
  call.set_out(5, h);
  return 0;
}

dk_status_t SimHost::DkStreamRead(CallContext& cx, Call& call) {
  std::shared_ptr<SimStream> s;
  if (dk_status_t st = cx.handles.get_as(call.arg(0), ObjectKind::Stream, s)) return st;
  if (call.arg(1) != 0) return -DK_E_INVAL;  // devices have no offsets
  if (!s->readable) return -DK_E_ACCESS;
  uint64_t n = 0;
  switch (s->device) {
    case Device::Console:
      call.out_bytes.resize(call.room);
      n = config_.console ? config_.console->read(call.out_bytes.data(), call.room) : 0;
      call.out_bytes.resize(n);
      break;
    case Device::Null:
      break;
    case Device::Zero:
      call.out_bytes.assign(call.room, 0);
      n = call.room;
      break;
  }
  call.set_out(3, n);
  return 0;
}

dk_status_t SimHost::DkStreamWrite(CallContext& cx, Call& call) {
  std::shared_ptr<SimStream> s;
  if (dk_status_t st = cx.handles.get_as(call.arg(0), ObjectKind::Stream, s)) return st;
  if (call.arg(1) != 0) return -DK_E_INVAL;
  if (!s->writable) return -DK_E_ACCESS;
  if (s->device == Device::Console && config_.console)
    config_.console->write(s->console_fd, call.in_bytes.data(), call.in_bytes.size());
  call.set_out(3, call.in_bytes.size());
  return 0;
}

dk_status_t SimHost::DkStreamAttributesQueryByHandle(CallContext& cx, Call& call) {
  std::shared_ptr<SimStream> s;
  if (dk_status_t st = cx.handles.get_as(call.arg(0), ObjectKind::Stream, s)) return st;
  call.attr.type = DK_STREAM_DEVICE;
  call.attr.share = 0666;
  call.attr.size = 0;
  call.attr.readable = s->readable;
  call.attr.writable = s->writable;
  call.attr.nonblocking = s->nonblocking;
  return 0;
}

dk_status_t SimHost::DkObjectClose(CallContext& cx, Call& call) {
  return cx.handles.erase(call.arg(0)) ? 0 : -DK_E_BADHANDLE;
}

dk_status_t SimHost::DkSystemTimeQuery(CallContext& cx, Call& call) {
  call.set_out(0, VirtualClock::ns_at(cx.tick));
  return 0;
}

dk_status_t SimHost::DkRandomBitsRead(CallContext&, Call& call) {
  call.out_bytes.resize(call.room);
  random_.fill(call.out_bytes.data(), call.room);
  return 0;
}

dk_status_t SimHost::DkInstructionCacheFlush(CallContext&, Call&) {
  // Code stays coherent without it (ABI.md section 1); the call is a hint.
  return 0;
}

dk_status_t SimHost::DkSegmentRegisterSet(CallContext& cx, Call& call) {
  return cx.ctl.set_segment(static_cast<uint32_t>(call.arg(0)), call.arg(1));
}

dk_status_t SimHost::DkExceptionReturn(CallContext& cx, Call& call) {
  return cx.ctl.exception_return(call.ctx);
}

dk_status_t SimHost::DkSystemInfoQuery(CallContext&, Call& call) {
  dk_system_info& i = call.sysinfo;
  i.abi_major = DK_ABI_MAJOR;
  i.abi_minor = DK_ABI_MINOR;
  i.page_size = DK_PAGE_SIZE;
  i.alloc_granularity = DK_PAGE_SIZE;
  i.user_low = DK_USER_LOW;
  i.user_high = DK_USER_HIGH;
  i.cpu_count = 1;
  memcpy(i.host_name, "sim", 4);
  return 0;
}

dk_status_t SimHost::DkDebugOutput(CallContext&, Call& call) {
  if (config_.debug_log)
    config_.debug_log->append(reinterpret_cast<const char*>(call.in_bytes.data()), call.in_bytes.size());
  return 0;
}

}  // namespace dk
