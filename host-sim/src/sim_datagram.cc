// Loopback datagram sockets: a read takes one datagram whole (cut to the room given); a
// write that does not fit the receiver's queue blocks until it does.
#include "sim_datagram.h"

#include <algorithm>

namespace dk {

dk_status_t DatagramSocket::read(StreamIo& io) {
  DatagramQueue& q = *inbox;
  if (q.queue.empty()) {
    if (q.closed) return 0;
    return block_or_again(io.cx, nonblocking);
  }
  DatagramQueue::Datagram d = std::move(q.queue.front());
  q.queue.pop_front();
  q.bytes -= d.data.size();
  const uint64_t n = std::min<uint64_t>(io.room, d.data.size());
  io.out->assign(d.data.begin(), d.data.begin() + static_cast<ptrdiff_t>(n));
  io.done = n;
  if (server) {
    peer = d.reply_to;
    has_peer = true;
  }
  return 0;
}

dk_status_t DatagramSocket::write(StreamIo& io) {
  if (write_shut) return -DK_E_PIPE;
  if (!has_peer) return -DK_E_NOTCONN;
  auto target = peer.lock();
  if (!target || target->closed) return -DK_E_PIPE;
  const size_t n = io.in->size();
  if (n > DatagramQueue::kCapacity) return -DK_E_INVAL;
  if (target->bytes + n > DatagramQueue::kCapacity) return block_or_again(io.cx, nonblocking);
  target->queue.push_back({*io.in, inbox});
  target->bytes += n;
  io.done = n;
  return 0;
}

dk_status_t DatagramSocket::shutdown(uint32_t which) {
  if (which == DK_DELETE_ALL || which == DK_DELETE_READ) {
    inbox->closed = true;
    inbox->queue.clear();
    inbox->bytes = 0;
  }
  if (which == DK_DELETE_ALL || which == DK_DELETE_WRITE) write_shut = true;
  return 0;
}

}  // namespace dk
