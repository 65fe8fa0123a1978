#include "native_socket.h"

#include <poll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace dk::native {

short poll_now(int fd, short events) {
  pollfd p{fd, events, 0};
  const int n = ::poll(&p, 1, 0);
  if (n < 0) return POLLERR;
  return n == 0 ? 0 : p.revents;
}

SocketStream::~SocketStream() {
  if (fd >= 0) {
    env->poller.forget(fd);
    ::close(fd);
  }
}

dk_status_t TcpStream::read(StreamIo& io) {
  if (read_shut || io.room == 0) return 0;
  const size_t room = std::min<uint64_t>(io.room, 1u << 20);
  io.out->resize(room);
  for (;;) {
    const ssize_t n = env->sys.recv(fd, io.out->data(), room, 0);
    if (n >= 0) {
      io.out->resize(static_cast<size_t>(n));
      io.done = static_cast<uint64_t>(n);
      return 0;
    }
    const int err = errno;
    if (err == EINTR) continue;
    io.out->clear();
    if (err == EAGAIN || err == EWOULDBLOCK)
      return block_or_again(io.cx, nonblocking, &env->poller, fd, EPOLLIN);
    return native_status(err);
  }
}

dk_status_t TcpStream::write(StreamIo& io) {
  if (write_shut) return -DK_E_PIPE;
  if (io.in->empty()) return 0;
  // Whatever the kernel took is reported (a short count, as a full pipe gives on the
  // simulated host); nothing taken and no room: park until the socket is writable.
  for (;;) {
    const ssize_t n = env->sys.send(fd, io.in->data(), io.in->size(), 0);
    if (n >= 0) {
      io.done = static_cast<uint64_t>(n);
      return 0;
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK)
      return block_or_again(io.cx, nonblocking, &env->poller, fd, EPOLLOUT);
    return native_status(err);
  }
}

bool TcpStream::wait_ready() const {
  return read_shut || poll_now(fd, POLLIN | POLLRDHUP) != 0;
}

uint64_t TcpStream::size() const {
  int n = 0;
  if (read_shut || ::ioctl(fd, FIONREAD, &n) != 0 || n < 0) return 0;
  return static_cast<uint64_t>(n);
}

dk_status_t TcpStream::shutdown(uint32_t which) {
  // Shutting reading down discards what is buffered and makes reads give end of stream. A
  // real peer's later writes are not refused (TCP has no such signal); they are dropped.
  if (which == DK_DELETE_ALL || which == DK_DELETE_READ) {
    read_shut = true;
    ::shutdown(fd, SHUT_RD);
  }
  if (which == DK_DELETE_ALL || which == DK_DELETE_WRITE) {
    write_shut = true;
    ::shutdown(fd, SHUT_WR);
  }
  return 0;
}

bool TcpListener::wait_ready() const {
  return !closed && (poll_now(fd, POLLIN) & POLLIN) != 0;
}

dk_status_t TcpListener::shutdown(uint32_t) {
  if (!closed) {
    closed = true;
    env->poller.forget(fd);
    ::close(fd);  // no more clients; unaccepted ones are refused by the kernel
    fd = -1;
  }
  return 0;
}

dk_status_t TcpListener::accept(CallContext& cx, std::shared_ptr<TcpStream>& out) {
  if (closed) return -DK_E_NOTCONN;
  for (;;) {
    if (env->sys.injected(HostOp::Accept)) return native_status(errno);
    const int c = ::accept4(fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c >= 0) {
      out = std::make_shared<TcpStream>(DK_STREAM_SOCKET, client_name, env, c, true, true, false);
      return 0;
    }
    const int err = errno;
    if (err == EINTR || err == ECONNABORTED) continue;
    if (err == EAGAIN || err == EWOULDBLOCK)
      return block_or_again(cx, nonblocking, &env->poller, fd, EPOLLIN);
    return native_status(err);
  }
}

dk_status_t UdpStream::read(StreamIo& io) {
  if (read_shut) return 0;
  const size_t room = std::min<uint64_t>(io.room, 65536);
  io.out->resize(room);
  for (;;) {
    sockaddr_storage from{};
    socklen_t from_len = sizeof from;
    ssize_t n;
    if (env->sys.injected(HostOp::Recv)) {
      n = -1;
    } else {
      // Zero room still takes the datagram off the queue (cut to nothing), as on the sim host.
      uint8_t dummy;
      n = ::recvfrom(fd, room ? io.out->data() : &dummy, room, 0,
                     reinterpret_cast<sockaddr*>(&from), &from_len);
    }
    if (n >= 0) {
      const size_t got = std::min<size_t>(static_cast<size_t>(n), room);
      io.out->resize(got);
      io.done = got;
      if (server) {
        peer = from;
        peer_len = from_len;
      }
      return 0;
    }
    const int err = errno;
    if (err == EINTR) continue;
    io.out->clear();
    if (err == EAGAIN || err == EWOULDBLOCK)
      return block_or_again(io.cx, nonblocking, &env->poller, fd, EPOLLIN);
    return native_status(err);
  }
}

dk_status_t UdpStream::write(StreamIo& io) {
  if (write_shut) return -DK_E_PIPE;
  if (server && peer_len == 0) return -DK_E_NOTCONN;
  if (io.in->size() > 65507) return -DK_E_INVAL;  // larger than one IPv4 datagram
  for (;;) {
    ssize_t n;
    if (env->sys.injected(HostOp::Send)) {
      n = -1;
    } else if (server) {
      n = ::sendto(fd, io.in->data(), io.in->size(), MSG_NOSIGNAL,
                   reinterpret_cast<const sockaddr*>(&peer), peer_len);
    } else {
      n = ::send(fd, io.in->data(), io.in->size(), MSG_NOSIGNAL);
    }
    if (n >= 0) {
      io.done = static_cast<uint64_t>(n);
      return 0;
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK)
      return block_or_again(io.cx, nonblocking, &env->poller, fd, EPOLLOUT);
    // The server went away: an ICMP refusal comes back to a connected UDP socket.
    if (err == ECONNREFUSED) return -DK_E_PIPE;
    return native_status(err);
  }
}

bool UdpStream::wait_ready() const {
  return read_shut || (poll_now(fd, POLLIN) & POLLIN) != 0;
}

uint64_t UdpStream::size() const {
  int n = 0;
  if (read_shut || ::ioctl(fd, FIONREAD, &n) != 0 || n < 0) return 0;
  return static_cast<uint64_t>(n);  // the next datagram's size
}

dk_status_t UdpStream::shutdown(uint32_t which) {
  if (which == DK_DELETE_ALL || which == DK_DELETE_READ) read_shut = true;
  if (which == DK_DELETE_ALL || which == DK_DELETE_WRITE) write_shut = true;
  return 0;
}

}  // namespace dk::native
