// Opening sockets (named pipes are the host core's PipeNames, between the picoprocesses of
// this world). TCP and UDP are real sockets on the physical address the namespace resolved (the
// virtual URI stays the stream's name); "localhost" is 127.0.0.1. A connect is waited for
// (the thread parks, nothing else stops) so the open reports CONNREFUSED as on the
// simulated host.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "native_socket.h"
#include "native_world.h"

namespace dk::native {
namespace {

// HOST:PORT of a physical network URI as a socket address.
dk_status_t address_of(const Uri& u, sockaddr_storage& ss, socklen_t& len) {
  memset(&ss, 0, sizeof ss);
  std::string host = u.host;
  if (host == "localhost") host = "127.0.0.1";
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(u.port);
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a6->sin6_addr) != 1)
      return -DK_E_INVAL;
    len = sizeof *a6;
    return 0;
  }
  auto* a4 = reinterpret_cast<sockaddr_in*>(&ss);
  a4->sin_family = AF_INET;
  a4->sin_port = htons(u.port);
  if (inet_pton(AF_INET, host.c_str(), &a4->sin_addr) == 1) {
    len = sizeof *a4;
    return 0;
  }
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res) return -DK_E_NOENT;
  a4->sin_addr = reinterpret_cast<sockaddr_in*>(res->ai_addr)->sin_addr;
  freeaddrinfo(res);
  len = sizeof *a4;
  return 0;
}

dk_status_t physical_uri(const Resolved& r, Uri& out) {
  return parse_uri(r.physical, UriRole::Policy, out);
}

uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  return ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                  : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

std::string with_port(const Uri& virt, uint16_t port) {
  Uri u = virt;
  u.port = port;
  return u.str();
}

dk_status_t listen_socket(NativeWorld& w, const Uri& phys, int type, int& fd) {
  sockaddr_storage ss;
  socklen_t len = 0;
  if (dk_status_t st = address_of(phys, ss, len)) return st;
  if (w.env->sys.injected(HostOp::Listen)) return native_status(errno);
  fd = ::socket(ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return native_status(errno);
  const int one = 1;
  if (type == SOCK_STREAM) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      (type == SOCK_STREAM && ::listen(fd, 128) != 0)) {
    const int err = errno;
    ::close(fd);
    fd = -1;
    return native_status(err);
  }
  return 0;
}

// A TCP connect, waited for across retries of the same open by the same thread.
dk_status_t connect_tcp(NativeWorld& w, CallContext& cx, const Uri& phys, const Resolved& r,
                        const OpenFlags& f, std::shared_ptr<HostStream>& out) {
  const auto key = std::make_pair(cx.pid, cx.thread);
  const std::string virt = r.uri.str();
  int fd = -1;
  auto it = w.connecting.find(key);
  if (it != w.connecting.end() && it->second.uri == virt) {
    fd = it->second.fd;
    w.connecting.erase(it);
    const short ev = poll_now(fd, POLLOUT);
    if (ev == 0) {
      w.connecting[key] = {fd, virt};
      w.env->poller.arm(fd, EPOLLOUT);
      cx.ctl.block(kNoDeadline);
      return kBlocked;
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
    if (err != 0) {
      w.env->poller.forget(fd);
      ::close(fd);
      return native_status(err);
    }
  } else {
    if (it != w.connecting.end()) {  // an open this thread gave up on (another URI now)
      w.env->poller.forget(it->second.fd);
      ::close(it->second.fd);
      w.connecting.erase(it);
    }
    sockaddr_storage ss;
    socklen_t len = 0;
    if (dk_status_t st = address_of(phys, ss, len)) return st;
    if (w.env->sys.injected(HostOp::Connect)) return native_status(errno);
    fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return native_status(errno);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
      const int err = errno;
      if (err == EINPROGRESS) {
        w.connecting[key] = {fd, virt};
        w.env->poller.arm(fd, EPOLLOUT);
        cx.ctl.block(kNoDeadline);
        return kBlocked;
      }
      ::close(fd);
      return native_status(err);
    }
  }
  out = std::make_shared<TcpStream>(DK_STREAM_SOCKET, virt, w.env, fd, f.readable(), f.writable(),
                                    f.nonblocking);
  return 0;
}

}  // namespace

dk_status_t open_net(NativeWorld& w, CallContext& cx, const Resolved& r, const OpenFlags& f,
                     std::shared_ptr<HostStream>& out) {
  Uri phys;
  if (dk_status_t st = physical_uri(r, phys)) return st;
  switch (r.uri.scheme) {
    case UriScheme::TcpServer: {
      int fd = -1;
      if (dk_status_t st = listen_socket(w, phys, SOCK_STREAM, fd)) return st;
      const uint16_t port = bound_port(fd);
      Uri client = r.uri;
      client.scheme = UriScheme::Tcp;
      out = std::make_shared<TcpListener>(with_port(r.uri, r.uri.port ? r.uri.port : port),
                                          with_port(client, r.uri.port ? r.uri.port : port), w.env,
                                          fd, f.nonblocking);
      return 0;
    }
    case UriScheme::Tcp:
      return connect_tcp(w, cx, phys, r, f, out);
    case UriScheme::UdpServer: {
      int fd = -1;
      if (dk_status_t st = listen_socket(w, phys, SOCK_DGRAM, fd)) return st;
      const uint16_t port = bound_port(fd);
      out = std::make_shared<UdpStream>(with_port(r.uri, r.uri.port ? r.uri.port : port), w.env, fd,
                                        true, true, true, f.nonblocking);
      return 0;
    }
    case UriScheme::Udp: {
      sockaddr_storage ss;
      socklen_t len = 0;
      if (dk_status_t st = address_of(phys, ss, len)) return st;
      if (w.env->sys.injected(HostOp::Connect)) return native_status(errno);
      const int fd = ::socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) return native_status(errno);
      if (::connect(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
        const int err = errno;
        ::close(fd);
        return native_status(err);
      }
      out = std::make_shared<UdpStream>(r.uri.str(), w.env, fd, false, f.readable(), f.writable(),
                                        f.nonblocking);
      return 0;
    }
    default:
      return -DK_E_INVAL;
  }
}

dk_status_t query_net(const Resolved& r, dk_stream_attr& a) {
  Uri phys;
  if (dk_status_t st = physical_uri(r, phys)) return st;
  bool found = false;
  switch (r.uri.scheme) {
    case UriScheme::Tcp:
    case UriScheme::TcpServer:
    case UriScheme::Udp:
    case UriScheme::UdpServer: {
      // A port is in use when binding it fails with EADDRINUSE (SO_REUSEADDR lets a TCP
      // probe past connections in TIME_WAIT, never past a listener). Connecting to probe
      // would hand the listener a client.
      const bool tcp = r.uri.scheme == UriScheme::Tcp || r.uri.scheme == UriScheme::TcpServer;
      sockaddr_storage ss;
      socklen_t len = 0;
      if (address_of(phys, ss, len) != 0) break;
      const int fd = ::socket(ss.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
      if (fd < 0) break;
      const int one = 1;
      if (tcp) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      found = ::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 && errno == EADDRINUSE;
      ::close(fd);
      break;
    }
    default:
      break;
  }
  if (!found) return -DK_E_NOENT;
  const bool server = r.uri.scheme == UriScheme::PipeServer || r.uri.scheme == UriScheme::TcpServer;
  a.type = server                            ? DK_STREAM_SERVER
           : r.uri.scheme == UriScheme::Pipe ? DK_STREAM_PIPE
                                             : DK_STREAM_SOCKET;
  a.share = 0666;
  a.readable = a.writable = server ? 0 : 1;
  return 0;
}

}  // namespace dk::native
