// What the native host's streams need beyond the stream base (dk/core/stream.h): the system
// calls and epoll set they work with, and blocking that arms a descriptor before it parks.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dk/core/stream.h"
#include "host_errors.h"
#include "poller.h"

namespace dk::native {

// What a stream needs from the host while it works: the system calls (with the injection
// seam) and the epoll set its blocking registers in.
struct StreamEnv {
  HostSys sys;
  Poller poller;
  explicit StreamEnv(FaultInjector inject) : sys(std::move(inject)) {}
};

using dk::block_or_again;
// A call on a descriptor that cannot go on yet: AGAIN for a nonblocking stream, else arm
// `fd` for `events` and park the thread.
inline dk_status_t block_or_again(CallContext& cx, bool nonblocking, Poller* poller, int fd,
                                  uint32_t events) {
  if (!nonblocking && poller && fd >= 0) poller->arm(fd, events);
  return dk::block_or_again(cx, nonblocking);
}

// Readiness of a descriptor now (poll with timeout 0): the revents, or POLLERR on failure.
short poll_now(int fd, short events);

}  // namespace dk::native
