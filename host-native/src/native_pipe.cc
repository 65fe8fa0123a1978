// Reads never cross a queued handle, so a reader that has read up to a DkSendHandle can
// receive that handle next; writes take what fits and block only when the buffer is full.
#include "native_pipe.h"

#include <algorithm>

namespace dk::native {
namespace {

constexpr size_t kMaxCargo = 1024;

// Drops what nobody will read; moved out first, since destroying cargo may close other ends.
void discard(Channel& c) {
  auto bytes = std::move(c.bytes);
  auto cargo = std::move(c.cargo);
  c.bytes.clear();
  c.cargo.clear();
  c.read_total += bytes.size();
}

}  // namespace

void PipeEnd::make_pair(const std::string& name0, const std::string& name1,
                        std::shared_ptr<PipeEnd>& e0, std::shared_ptr<PipeEnd>& e1) {
  auto c = std::make_shared<Connection>();
  e0 = std::make_shared<PipeEnd>(name0, c, 0, false);
  e1 = std::make_shared<PipeEnd>(name1, c, 1, false);
}

PipeEnd::~PipeEnd() {
  out().write_closed = true;
  in().read_closed = true;
  discard(in());
}

dk_status_t PipeEnd::read(StreamIo& io) {
  Channel& c = in();
  if (c.read_closed || io.room == 0) return 0;
  if (c.bytes.empty()) {
    if (c.write_closed) return 0;
    return block_or_again(io.cx, nonblocking);
  }
  uint64_t n = std::min<uint64_t>(io.room, c.bytes.size());
  for (const auto& k : c.cargo)
    if (k.at > c.read_total) {
      n = std::min(n, k.at - c.read_total);
      break;
    }
  io.out->assign(c.bytes.begin(), c.bytes.begin() + static_cast<ptrdiff_t>(n));
  c.bytes.erase(c.bytes.begin(), c.bytes.begin() + static_cast<ptrdiff_t>(n));
  c.read_total += n;
  io.done = n;
  return 0;
}

dk_status_t PipeEnd::write(StreamIo& io) {
  Channel& c = out();
  if (c.write_closed || c.read_closed) return -DK_E_PIPE;
  if (io.in->empty()) return 0;
  const size_t space = Channel::kCapacity - std::min(Channel::kCapacity, c.bytes.size());
  if (space == 0) return block_or_again(io.cx, nonblocking);
  const size_t n = std::min(space, io.in->size());
  c.bytes.insert(c.bytes.end(), io.in->begin(), io.in->begin() + static_cast<ptrdiff_t>(n));
  c.write_total += n;
  io.done = n;
  return 0;
}

bool PipeEnd::wait_ready() const {
  const Channel& c = in();
  return !c.bytes.empty() || !c.cargo.empty() || c.write_closed || c.read_closed;
}

dk_status_t PipeEnd::shutdown(uint32_t which) {
  if (which == DK_DELETE_ALL || which == DK_DELETE_READ) {
    in().read_closed = true;
    discard(in());
  }
  if (which == DK_DELETE_ALL || which == DK_DELETE_WRITE) out().write_closed = true;
  return 0;
}

dk_status_t PipeEnd::send(std::shared_ptr<HostObject> cargo) {
  Channel& c = out();
  if (c.write_closed || c.read_closed) return -DK_E_PIPE;
  if (c.cargo.size() >= kMaxCargo) return -DK_E_QUOTA;
  c.cargo.push_back({c.write_total, std::move(cargo)});
  return 0;
}

dk_status_t PipeEnd::receive(CallContext& cx, std::shared_ptr<HostObject>& cargo) {
  Channel& c = in();
  if (!c.cargo.empty()) {
    cargo = std::move(c.cargo.front().object);
    c.cargo.pop_front();
    return 0;
  }
  if (c.write_closed || c.read_closed) return -DK_E_PIPE;
  return block_or_again(cx, nonblocking);
}

dk_status_t PipeListener::shutdown(uint32_t) {
  closed = true;
  auto doomed = std::move(backlog);
  backlog.clear();
  return 0;
}

}  // namespace dk::native
