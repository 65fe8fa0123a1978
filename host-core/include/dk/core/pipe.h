// Pipes and their ends, in memory between the picoprocesses of one world: the two
// directions of a connection, with handles (DkSendHandle) queued in order with the bytes,
// and the servers clients connect to. The simulated host also carries its loopback TCP
// connections on them. Every buffer is bounded; a writer facing a full buffer and a reader
// facing an empty one block (or get AGAIN when nonblocking). An end is closed when its last
// reference goes (handles, queued cargo, waits in progress).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>

#include "dk/core/stream.h"
#include "dk/core/wake.h"

namespace dk {

// One direction of a connection.
struct Channel {
  static constexpr size_t kCapacity = 64 * 1024;
  static constexpr size_t kMaxCargo = 1024;  // handles queued at once
  struct Cargo {
    uint64_t at;  // bytes written to the channel before it was sent
    std::shared_ptr<HostObject> object;
  };
  std::deque<uint8_t> bytes;
  std::deque<Cargo> cargo;
  uint64_t read_total = 0, write_total = 0;
  bool write_closed = false;  // no more bytes will come: end of stream once drained
  bool read_closed = false;   // nobody will read: writes give PIPE
  // Calls parked on this direction (dk/core/wake.h): readers and waits wait for bytes, cargo
  // or a close (woken by writes, sends and closes); writers for room or a close (woken by
  // reads and closes).
  WaitList readers, writers;
};

struct Connection {
  Channel dir[2];  // dir[i]: written by end i, read by end 1 - i
};

// One end of a pipe (DK_STREAM_PIPE) or TCP connection (DK_STREAM_SOCKET).
class ConnEnd : public HostStream {
 public:
  ConnEnd(uint32_t type, std::string name, std::shared_ptr<Connection> c, int side, bool nb)
      : HostStream(type, std::move(name), true, true, nb), conn(std::move(c)), side(side) {}
  ~ConnEnd() override;
  // Two ends joined by a fresh connection.
  static void make_pair(uint32_t type, const std::string& name0, const std::string& name1,
                        std::shared_ptr<ConnEnd>& e0, std::shared_ptr<ConnEnd>& e1);

  std::shared_ptr<Connection> conn;
  int side;

  Channel& in() const { return conn->dir[1 - side]; }
  Channel& out() const { return conn->dir[side]; }

  dk_status_t read(StreamIo& io) override;
  dk_status_t write(StreamIo& io) override;
  bool wait_ready() const override;
  uint64_t size() const override { return in().bytes.size(); }
  dk_status_t shutdown(uint32_t which) override;
  // DkSendHandle / DkReceiveHandle (pipes only).
  dk_status_t send(std::shared_ptr<HostObject> cargo);
  dk_status_t receive(CallContext& cx, std::shared_ptr<HostObject>& cargo);
  // The end changed for its own callers (nonblocking set): everyone parked on it.
  void wake_all() {
    in().readers.wake();
    out().writers.wake();
  }
};

// pipe.server: and tcp.server: (DK_STREAM_SERVER). Clients that connected and were not yet
// taken by DkStreamWaitForClient wait in the backlog, already able to write.
class Listener : public HostStream {
 public:
  Listener(std::string name, uint32_t client_type, bool nb)
      : HostStream(DK_STREAM_SERVER, std::move(name), false, false, nb), client_type(client_type) {}
  uint32_t client_type;  // DK_STREAM_PIPE or DK_STREAM_SOCKET
  std::deque<std::shared_ptr<ConnEnd>> backlog;
  bool closed = false;  // DkStreamDelete: no more clients
  WaitList waiters;     // DkStreamWaitForClient and waits parked here
  // A client connected: it waits in the backlog, and parked servers are woken.
  void enqueue(std::shared_ptr<ConnEnd> client) {
    backlog.push_back(std::move(client));
    waiters.wake();
  }

  dk_status_t read(StreamIo&) override { return -DK_E_NOTCONN; }
  dk_status_t write(StreamIo&) override { return -DK_E_NOTCONN; }
  bool wait_ready() const override { return !backlog.empty(); }
  uint64_t size() const override { return backlog.size(); }
  dk_status_t shutdown(uint32_t which) override;
  // A client waiting is taken first in line, or stays there when the streams quota refuses.
  bool would_accept() const override { return !backlog.empty(); }
};

// The client end of a connect to `l` (a pipe or loopback TCP server), named `name` on both
// ends, opened as `f` asks; the server's end waits in the backlog.
std::shared_ptr<ConnEnd> connect_to(Listener& l, const std::string& name, const OpenFlags& f);

// The pipe names of one world: which pipe.server: names have a live server, for the pipe:
// connects that look them up. A name is free again once its server is closed or gone. The
// key is the name the host's namespace gives the pipe (the simulated host: the guest's name;
// the native host: the name the policy resolved it to); streams keep the guest's URI.
class PipeNames {
 public:
  // The live server listening on `key`, or nullptr (a dead or closed one is forgotten).
  std::shared_ptr<Listener> find(const std::string& key);
  // pipe.server: a server named `name` on `key`; EXIST while another one is live there.
  dk_status_t listen(const std::string& key, const std::string& name, const OpenFlags& f,
                     std::shared_ptr<HostStream>& out);
  // pipe: a client named `name` of the server on `key`; CONNREFUSED when none listens.
  dk_status_t connect(const std::string& key, const std::string& name, const OpenFlags& f,
                      std::shared_ptr<HostStream>& out);

 private:
  std::map<std::string, std::weak_ptr<Listener>> servers_;
};

// A stream changed for its own callers (DkStreamAttributesSetByHandle): every call parked on
// it is woken (pipe and socket ends, pipe servers; other kinds keep no wake list).
void wake_stream_waiters(HostStream& s);

}  // namespace dk
