// Loopback UDP sockets of the simulated host: bounded in-memory datagram queues between the
// picoprocesses of one world. Pipes and TCP connections are the host core's (dk/core/pipe.h).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "dk/core/pipe.h"

namespace dk {

// The receive queue of a UDP socket.
struct DatagramQueue {
  static constexpr size_t kCapacity = 64 * 1024;
  struct Datagram {
    std::vector<uint8_t> data;
    std::weak_ptr<DatagramQueue> reply_to;
  };
  std::deque<Datagram> queue;
  size_t bytes = 0;
  bool closed = false;  // its socket shut down reading or went away
};

// udp.server: (bound; answers the sender of the datagram it read last) and udp: (sends to
// one server). Both are DK_STREAM_SOCKET and keep datagram boundaries: a read returns one
// datagram, cut to the room given.
class DatagramSocket : public HostStream {
 public:
  DatagramSocket(std::string name, bool server, bool nb)
      : HostStream(DK_STREAM_SOCKET, std::move(name), true, true, nb),
        server(server),
        inbox(std::make_shared<DatagramQueue>()) {}
  ~DatagramSocket() override { inbox->closed = true; }
  bool server;
  std::shared_ptr<DatagramQueue> inbox;
  std::weak_ptr<DatagramQueue> peer;  // client: the server; server: the last sender
  bool has_peer = false;
  bool write_shut = false;

  dk_status_t read(StreamIo& io) override;
  dk_status_t write(StreamIo& io) override;
  bool wait_ready() const override { return !inbox->queue.empty() || inbox->closed; }
  uint64_t size() const override {
    return inbox->queue.empty() ? 0 : inbox->queue.front().data.size();
  }
  dk_status_t shutdown(uint32_t which) override;
};

}  // namespace dk
