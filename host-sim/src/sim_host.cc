// The simulated host's world state, its default policy, and the spine's calls: memory
// (through GuestControl), time, randomness, system info and debug output. The other calls
// live in one file per subsystem (threads, sync, streams, files, net, processes, handles).
#include "dk/sim_host.h"

#include <algorithm>
#include <cstring>

#include "sim_device.h"
#include "sim_world.h"

namespace dk {

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

dk_status_t default_namespace_policy(const NamespaceRequest& r) {
  switch (r.uri->scheme) {
    case UriScheme::Package:
    case UriScheme::Self:
      return r.access == Access::Read ? 0 : -DK_E_ACCESS;
    case UriScheme::Tmpfs:
      return -DK_E_ACCESS;
    default:
      return 0;
  }
}

SimHost::SimHost(SimConfig config)
    : config_(std::move(config)),
      random_(config_.seed),
      world_(std::make_unique<SimWorld>()),
      quotas_(config_.limits) {
  if (config_.packages) {
    world_->files = std::make_shared<FsTree>(config_.packages);
    world_->package = std::make_shared<FsTree>(config_.packages);
  } else {
    world_->files = std::make_shared<FsTree>(config_.root);
    world_->package = std::make_shared<FsTree>(config_.root);
  }
  // A mapped folder that cannot be opened is not shown (what lies beneath is NOENT).
  for (const auto& [vpath, host_dir] : config_.mounts) world_->files->mount(vpath, host_dir);
}

SimHost::~SimHost() = default;

void SimHost::set_image(uint32_t pid, std::vector<uint8_t> image, std::string name) {
  world_->images[pid] = {std::move(image), std::move(name)};
}

dk_status_t SimHost::check_policy(const CallContext& cx, NamespaceOp op, const Uri& uri,
                                  Access access) const {
  NamespaceRequest r{cx.pid, op, &uri, access};
  return config_.policy ? config_.policy(r) : default_namespace_policy(r);
}

void SimHost::bind_std_handle(CallContext& cx, int which, dk_handle_t h) {
  auto o = cx.handles.get(h);
  quotas_.bind_std(cx, which, o);
  auto d = std::dynamic_pointer_cast<DeviceStream>(o);
  if (d && which == 2) d->console_fd = 2;
}

dk_status_t SimHost::serve(CallContext& cx, Call& call) {
  quotas_.enter(cx);
  return Host::serve(cx, call);
}

dk_status_t SimHost::DkVirtualMemoryAllocate(CallContext& cx, Call& call) {
  if ((call.arg(2) & DK_ALLOC_COMMIT) && call.arg(1) <= DK_USER_HIGH)
    if (dk_status_t st = quotas_.memory(cx, (call.arg(1) + DK_PAGE_SIZE - 1) & ~(DK_PAGE_SIZE - 1)))
      return st;
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

dk_status_t SimHost::DkProcessExit(CallContext& cx, Call& call) {
  cx.ctl.process_exit(static_cast<int64_t>(call.arg(0)));
  return 0;
}

dk_status_t SimHost::DkProcessSnapshot(CallContext&, Call&) {
  return -DK_E_NOTSUP;  // snapshots come with their own work
}

dk_status_t SimHost::DkSystemTimeQuery(CallContext& cx, Call& call) {
  // The world clock; a launcher that does not keep one yet still sees the caller's ticks.
  const uint64_t own = cx.tick * VirtualClock::kNsPerTick;
  call.set_out(0, VirtualClock::kEpochNs + std::max(cx.now_ns, own));
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
    config_.debug_log->append(reinterpret_cast<const char*>(call.in_bytes.data()),
                              call.in_bytes.size());
  return 0;
}

}  // namespace dk
