// Real sockets: TCP connections and listeners and UDP sockets, every descriptor nonblocking.
// Reads and writes that find nothing to do park the thread with the descriptor armed in the
// epoll set (or give AGAIN on a nonblocking stream).
#pragma once

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>

#include "native_stream.h"

namespace dk::native {

class SocketStream : public HostStream {
 public:
  SocketStream(uint32_t type, std::string name, std::shared_ptr<StreamEnv> env, int fd, bool rd,
               bool wr, bool nb)
      : HostStream(type, std::move(name), rd, wr, nb), env(std::move(env)), fd(fd) {}
  ~SocketStream() override;
  std::shared_ptr<StreamEnv> env;
  int fd;
  void arm_wait(IoWatch& p) const override { p.arm(fd, EPOLLIN); }
};

// A TCP connection (DK_STREAM_SOCKET).
class TcpStream : public SocketStream {
 public:
  using SocketStream::SocketStream;
  bool read_shut = false, write_shut = false;

  dk_status_t read(StreamIo& io) override;
  dk_status_t write(StreamIo& io) override;
  bool wait_ready() const override;
  uint64_t size() const override;
  dk_status_t shutdown(uint32_t which) override;
};

// tcp.server: (DK_STREAM_SERVER). Accepted connections are named `client_name`.
class TcpListener : public SocketStream {
 public:
  TcpListener(std::string name, std::string client_name, std::shared_ptr<StreamEnv> env, int fd,
              bool nb)
      : SocketStream(DK_STREAM_SERVER, std::move(name), std::move(env), fd, false, false, nb),
        client_name(std::move(client_name)) {}
  std::string client_name;
  bool closed = false;

  dk_status_t read(StreamIo&) override { return -DK_E_NOTCONN; }
  dk_status_t write(StreamIo&) override { return -DK_E_NOTCONN; }
  bool wait_ready() const override;
  uint64_t size() const override { return wait_ready() && !closed ? 1 : 0; }
  dk_status_t shutdown(uint32_t which) override;
  // DkStreamWaitForClient: a new connection, or kBlocked / AGAIN / NOTCONN.
  dk_status_t accept(CallContext& cx, std::shared_ptr<TcpStream>& out);
  // Whether a connection waits is known only by accepting: the streams quota is asked
  // before every try, and a refused connection waits in the kernel's backlog.
  bool would_accept() const override { return true; }
};

// udp.server: (bound; answers the sender of the datagram it read last) and udp: (connected
// to one server). Datagram boundaries are kept: a read returns one datagram cut to the room.
class UdpStream : public SocketStream {
 public:
  UdpStream(std::string name, std::shared_ptr<StreamEnv> env, int fd, bool server, bool rd, bool wr,
            bool nb)
      : SocketStream(DK_STREAM_SOCKET, std::move(name), std::move(env), fd, rd, wr, nb),
        server(server) {}
  bool server;
  sockaddr_storage peer{};
  socklen_t peer_len = 0;
  bool read_shut = false, write_shut = false;

  dk_status_t read(StreamIo& io) override;
  dk_status_t write(StreamIo& io) override;
  bool wait_ready() const override;
  uint64_t size() const override;
  dk_status_t shutdown(uint32_t which) override;
};

}  // namespace dk::native
