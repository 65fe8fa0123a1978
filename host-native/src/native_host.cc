// The native host's spine: construction, the real clocks, idle() over the epoll set, time
// and random bits. The calls the host core serves live there; the streams, files and
// sockets of this host in one file per subsystem.
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
    : CoreHost(config.debug_log, {config.image, config.name}),
      config_(std::move(config)),
      policy_(config_.namespace_policy ? config_.namespace_policy
                                       : std::make_shared<NamespacePolicy>(Namespace{})),
      world_(std::make_unique<NativeWorld>(config_, *policy_, processes_)) {}

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

IoWatch* NativeHost::io_watch() {
  return &world_->env->poller;
}

int NativeHost::io_fd() const {
  return world_->env->poller.fd();
}

dk_status_t NativeHost::resolve(uint32_t pid, NamespaceOp op, std::string_view uri,
                                Access access, Resolved& out) const {
  out = Resolved{};
  Uri u;
  if (dk_status_t st = parse_uri(uri, UriRole::Guest, u, &out.reason)) return st;
  return resolve_uri(pid, op, u, access, out);
}

dk_status_t NativeHost::resolve_uri(uint32_t pid, NamespaceOp op, const Uri& u, Access access,
                                    Resolved& out) const {
  if (dk_status_t st = policy_->resolve(NamespaceRequest{pid, op, &u, access}, out)) return st;
  if (out.target == Resolved::Target::Tmpfs) {
    std::string folder;
    if (dk_status_t st = world_->private_folder(pid, out.base, folder)) return st;
    out.target = Resolved::Target::HostFolder;
    out.base = folder;
  }
  return 0;
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

}  // namespace dk
