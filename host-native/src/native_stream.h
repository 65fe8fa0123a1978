// The native host's streams: the base every stream object derives from (host files and
// directories, in-memory package files, devices, pipe ends, sockets, servers) and the request
// one read or write carries. Kinds override what they support; the rest answers as the ABI
// says for a stream of the wrong kind.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dk/host.h"
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

struct StreamIo {
  CallContext& cx;
  uint64_t offset = 0;
  uint64_t room = 0;                         // read: bytes the guest offered
  const std::vector<uint8_t>* in = nullptr;  // write: the bytes
  std::vector<uint8_t>* out = nullptr;       // read: the bytes produced
  uint64_t done = 0;                         // bytes read or written
};

class NativeStream : public HostObject {
 public:
  NativeStream(uint32_t type, std::string name, bool readable, bool writable, bool nonblocking)
      : HostObject(ObjectKind::Stream),
        type(type),
        name(std::move(name)),
        readable(readable),
        writable(writable),
        nonblocking(nonblocking) {}

  uint32_t type;     // DK_STREAM_*
  std::string name;  // the virtual URI, canonical spelling; never a host path
  bool readable, writable, nonblocking;

  virtual bool positioned() const { return false; }
  virtual dk_status_t read(StreamIo& io) = 0;
  virtual dk_status_t write(StreamIo& io) = 0;
  // DkObjectsWaitAny: data or end of stream readable, a client waiting, the peer closed.
  virtual bool wait_ready() const { return true; }
  // A wait that parks on this stream: register the descriptor that would make it ready.
  virtual void arm_wait(Poller&) const {}
  virtual uint64_t size() const { return 0; }
  virtual uint32_t mode() const { return share_; }
  virtual void set_mode(uint32_t m) { share_ = m; }
  virtual dk_status_t shutdown(uint32_t /*which*/) { return -DK_E_WRONGTYPE; }
  virtual dk_status_t flush() { return 0; }

 private:
  uint32_t share_ = 0666;
};

// A call that cannot go on yet: AGAIN for a nonblocking stream, else arm `fd` for `events`
// (none for in-process objects: the world changes when a peer calls) and park the thread.
inline dk_status_t block_or_again(CallContext& cx, bool nonblocking, Poller* poller = nullptr,
                                  int fd = -1, uint32_t events = 0) {
  if (nonblocking) return -DK_E_AGAIN;
  if (poller && fd >= 0) poller->arm(fd, events);
  cx.ctl.block(kNoDeadline);
  return kBlocked;
}

// Readiness of a descriptor now (poll with timeout 0): the revents, or POLLERR on failure.
short poll_now(int fd, short events);

}  // namespace dk::native
