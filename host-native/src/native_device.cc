#include "native_device.h"

#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace dk::native {

dk_status_t NativeDevice::read_console(StreamIo& io) {
  if (!stdin_input) return DeviceStream::read_console(io);
  io.out->resize(io.room);
  if (io.room != 0) {
    if (poll_now(0, POLLIN) == 0)
      return block_or_again(io.cx, nonblocking, &env->poller, 0, EPOLLIN);
    const ssize_t n = env->sys.read(0, io.out->data(), io.room);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR)
        return block_or_again(io.cx, nonblocking, &env->poller, 0, EPOLLIN);
      io.out->clear();
      return native_status(errno);
    }
    io.done = static_cast<uint64_t>(n);
  }
  io.out->resize(io.done);
  return 0;
}

dk_status_t NativeDevice::write_console(StreamIo& io) {
  if (console) return DeviceStream::write_console(io);
  // dk's own stdio buffers go first, so output keeps its order with dk's messages.
  fflush(console_fd == 2 ? stderr : stdout);
  uint64_t put = 0;
  while (put < io.in->size()) {
    const ssize_t n = env->sys.write(console_fd, io.in->data() + put, io.in->size() - put);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (put > 0) break;
      if (errno == EAGAIN)  // a nonblocking terminal or pipe that is full
        return block_or_again(io.cx, nonblocking, &env->poller, console_fd, EPOLLOUT);
      return native_status(errno);
    }
    put += static_cast<uint64_t>(n);
  }
  io.done = put;
  return 0;
}

bool NativeDevice::wait_ready() const {
  if (device != Device::Console || !stdin_input) return true;
  return poll_now(0, POLLIN) != 0;
}

void NativeDevice::arm_wait(IoWatch& p) const {
  if (device == Device::Console && stdin_input) p.arm(0, EPOLLIN);
}

}  // namespace dk::native
