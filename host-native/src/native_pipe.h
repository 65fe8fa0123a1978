// Named pipes between the picoprocesses of one world: in-process byte channels, with handles
// (DkSendHandle) queued in order with the bytes. The same semantics as the simulated host's
// pipes (host-sim/src/sim_channel.*, copied here in the part pipes need: the two hosts keep
// separate stream bases). An end is closed when its last reference goes.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "native_stream.h"

namespace dk::native {

struct Channel {
  static constexpr size_t kCapacity = 64 * 1024;
  struct Cargo {
    uint64_t at;  // bytes written to the channel before it was sent
    std::shared_ptr<HostObject> object;
  };
  std::deque<uint8_t> bytes;
  std::deque<Cargo> cargo;
  uint64_t read_total = 0, write_total = 0;
  bool write_closed = false;
  bool read_closed = false;
};

struct Connection {
  Channel dir[2];  // dir[i]: written by end i, read by end 1 - i
};

class PipeEnd : public HostStream {
 public:
  PipeEnd(std::string name, std::shared_ptr<Connection> c, int side, bool nb)
      : HostStream(DK_STREAM_PIPE, std::move(name), true, true, nb),
        conn(std::move(c)),
        side(side) {}
  ~PipeEnd() override;
  static void make_pair(const std::string& name0, const std::string& name1,
                        std::shared_ptr<PipeEnd>& e0, std::shared_ptr<PipeEnd>& e1);

  std::shared_ptr<Connection> conn;
  int side;
  Channel& in() const { return conn->dir[1 - side]; }
  Channel& out() const { return conn->dir[side]; }

  dk_status_t read(StreamIo& io) override;
  dk_status_t write(StreamIo& io) override;
  bool wait_ready() const override;
  uint64_t size() const override { return in().bytes.size(); }
  dk_status_t shutdown(uint32_t which) override;
  dk_status_t send(std::shared_ptr<HostObject> cargo);
  dk_status_t receive(CallContext& cx, std::shared_ptr<HostObject>& cargo);
};

class PipeListener : public HostStream {
 public:
  PipeListener(std::string name, bool nb)
      : HostStream(DK_STREAM_SERVER, std::move(name), false, false, nb) {}
  std::deque<std::shared_ptr<PipeEnd>> backlog;
  bool closed = false;

  dk_status_t read(StreamIo&) override { return -DK_E_NOTCONN; }
  dk_status_t write(StreamIo&) override { return -DK_E_NOTCONN; }
  bool wait_ready() const override { return !backlog.empty(); }
  uint64_t size() const override { return backlog.size(); }
  dk_status_t shutdown(uint32_t which) override;
};

}  // namespace dk::native
