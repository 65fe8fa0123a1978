// Pipe ends over in-memory channels. Reads never cross a queued handle, so a
// reader that has read up to a DkSendHandle can receive that handle next; writes go in as
// far as the buffer has room (a short count) and block only when it is full.
#include "dk/core/pipe.h"

#include <algorithm>

namespace dk {
namespace {

// Drops what nobody will read (the caller wakes the writers). The deques are moved out first: destroying queued cargo may
// close other ends, which must never touch a container being cleared.
void discard(Channel& c) {
  auto bytes = std::move(c.bytes);
  auto cargo = std::move(c.cargo);
  c.bytes.clear();
  c.cargo.clear();
  c.read_total += bytes.size();
}

}  // namespace

void ConnEnd::make_pair(uint32_t type, const std::string& name0, const std::string& name1,
                        std::shared_ptr<ConnEnd>& e0, std::shared_ptr<ConnEnd>& e1) {
  auto c = std::make_shared<Connection>();
  e0 = std::make_shared<ConnEnd>(type, name0, c, 0, false);
  e1 = std::make_shared<ConnEnd>(type, name1, c, 1, false);
}

ConnEnd::~ConnEnd() {
  out().write_closed = true;
  in().read_closed = true;
  discard(in());
  out().readers.wake();
  in().writers.wake();
}

dk_status_t ConnEnd::read(StreamIo& io) {
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
  c.writers.wake();
  return 0;
}

dk_status_t ConnEnd::write(StreamIo& io) {
  Channel& c = out();
  if (c.write_closed || c.read_closed) return -DK_E_PIPE;
  if (io.in->empty()) return 0;
  const size_t space = Channel::kCapacity - std::min(Channel::kCapacity, c.bytes.size());
  if (space == 0) return block_or_again(io.cx, nonblocking);
  const size_t n = std::min(space, io.in->size());
  c.bytes.insert(c.bytes.end(), io.in->begin(), io.in->begin() + static_cast<ptrdiff_t>(n));
  c.write_total += n;
  io.done = n;
  c.readers.wake();
  return 0;
}

bool ConnEnd::wait_ready() const {
  const Channel& c = in();
  return !c.bytes.empty() || !c.cargo.empty() || c.write_closed || c.read_closed;
}

dk_status_t ConnEnd::shutdown(uint32_t which) {
  if (which == DK_DELETE_ALL || which == DK_DELETE_READ) {
    in().read_closed = true;
    discard(in());
    in().readers.wake();
    in().writers.wake();
  }
  if (which == DK_DELETE_ALL || which == DK_DELETE_WRITE) {
    out().write_closed = true;
    out().readers.wake();
    out().writers.wake();
  }
  return 0;
}

dk_status_t ConnEnd::send(std::shared_ptr<HostObject> cargo) {
  Channel& c = out();
  if (c.write_closed || c.read_closed) return -DK_E_PIPE;
  if (c.cargo.size() >= Channel::kMaxCargo) return -DK_E_QUOTA;
  c.cargo.push_back({c.write_total, std::move(cargo)});
  c.readers.wake();
  return 0;
}

dk_status_t ConnEnd::receive(CallContext& cx, std::shared_ptr<HostObject>& cargo) {
  Channel& c = in();
  if (!c.cargo.empty()) {
    cargo = std::move(c.cargo.front().object);
    c.cargo.pop_front();
    return 0;
  }
  // Nothing queued and nothing ever will be: waiting would never end.
  if (c.write_closed || c.read_closed) return -DK_E_PIPE;
  return block_or_again(cx, nonblocking);
}

void wake_stream_waiters(HostStream& s) {
  if (auto* end = dynamic_cast<ConnEnd*>(&s)) end->wake_all();
  if (auto* l = dynamic_cast<Listener*>(&s)) l->waiters.wake();
}

dk_status_t Listener::shutdown(uint32_t) {
  closed = true;
  waiters.wake();
  auto doomed = std::move(backlog);
  backlog.clear();
  return 0;
}

std::shared_ptr<ConnEnd> connect_to(Listener& l, const std::string& name, const OpenFlags& f) {
  std::shared_ptr<ConnEnd> client, server_end;
  ConnEnd::make_pair(l.client_type, name, name, client, server_end);
  client->readable = f.readable();
  client->writable = f.writable();
  client->nonblocking = f.nonblocking;
  l.enqueue(std::move(server_end));
  return client;
}

std::shared_ptr<Listener> PipeNames::find(const std::string& key) {
  auto it = servers_.find(key);
  if (it == servers_.end()) return nullptr;
  auto l = it->second.lock();
  if (!l || l->closed) {
    servers_.erase(it);
    return nullptr;
  }
  return l;
}

dk_status_t PipeNames::listen(const std::string& key, const std::string& name, const OpenFlags& f,
                              std::shared_ptr<HostStream>& out) {
  if (find(key)) return -DK_E_EXIST;
  auto l = std::make_shared<Listener>(name, DK_STREAM_PIPE, f.nonblocking);
  servers_[key] = l;
  out = l;
  return 0;
}

dk_status_t PipeNames::connect(const std::string& key, const std::string& name, const OpenFlags& f,
                               std::shared_ptr<HostStream>& out) {
  auto l = find(key);
  if (!l) return -DK_E_CONNREFUSED;
  out = connect_to(*l, name, f);
  return 0;
}

}  // namespace dk
