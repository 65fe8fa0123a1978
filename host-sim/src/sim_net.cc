// The loopback network of one world (named pipes are the host core's PipeNames). Every host
// name is this machine: listeners are keyed by port (TCP and UDP apart), so
// tcp.server:0.0.0.0:80 and tcp:localhost:80 meet. A listener on port 0 gets the next free
// port from 49152 up. Connecting where nobody listens gives CONNREFUSED; a second listener on
// a taken port gives EXIST.
#include "sim_world.h"

namespace dk {
namespace {

std::shared_ptr<Listener> live_listener(std::shared_ptr<Listener> l) {
  return l && !l->closed ? l : nullptr;
}

template <class K>
std::shared_ptr<Listener> find_listener(std::map<K, std::weak_ptr<Listener>>& m, const K& k) {
  auto it = m.find(k);
  if (it == m.end()) return nullptr;
  auto l = live_listener(it->second.lock());
  if (!l) m.erase(it);
  return l;
}

std::shared_ptr<DatagramSocket> find_udp(SimWorld& w, uint16_t port) {
  auto it = w.udp_servers.find(port);
  if (it == w.udp_servers.end()) return nullptr;
  auto s = it->second.lock();
  if (!s || s->inbox->closed) {
    w.udp_servers.erase(it);
    return nullptr;
  }
  return s;
}

bool port_taken(SimWorld& w, bool udp, uint16_t port) {
  return udp ? find_udp(w, port) != nullptr : find_listener(w.tcp_servers, port) != nullptr;
}

// A port for a listener: the one asked for, or the next free one from 49152 up for port 0.
dk_status_t pick_port(SimWorld& w, bool udp, uint16_t asked, uint16_t& port) {
  if (asked != 0) {
    if (port_taken(w, udp, asked)) return -DK_E_EXIST;
    port = asked;
    return 0;
  }
  for (int tries = 0; tries < 16384; ++tries) {
    uint16_t p = w.next_port;
    w.next_port = w.next_port == 65535 ? 49152 : static_cast<uint16_t>(w.next_port + 1);
    if (!port_taken(w, udp, p)) {
      port = p;
      return 0;
    }
  }
  return -DK_E_QUOTA;
}

std::string net_name(std::string_view scheme, const std::string& host, uint16_t port) {
  return std::string(scheme) + ":" + host + ":" + std::to_string(port);
}

}  // namespace

dk_status_t open_net(SimWorld& w, const Uri& uri, const OpenFlags& f,
                     std::shared_ptr<HostStream>& out) {
  switch (uri.scheme) {
    case UriScheme::TcpServer: {
      uint16_t port = 0;
      if (dk_status_t st = pick_port(w, false, uri.port, port)) return st;
      auto l = std::make_shared<Listener>(net_name("tcp.server", uri.host, port), DK_STREAM_SOCKET,
                                          f.nonblocking);
      w.tcp_servers[port] = l;
      out = l;
      return 0;
    }
    case UriScheme::Tcp: {
      auto l = find_listener(w.tcp_servers, uri.port);
      if (!l) return -DK_E_CONNREFUSED;
      out = connect_to(*l, uri.str(), f);
      return 0;
    }
    case UriScheme::UdpServer: {
      uint16_t port = 0;
      if (dk_status_t st = pick_port(w, true, uri.port, port)) return st;
      auto s = std::make_shared<DatagramSocket>(net_name("udp.server", uri.host, port), true,
                                                f.nonblocking);
      w.udp_servers[port] = s;
      out = s;
      return 0;
    }
    case UriScheme::Udp: {
      auto server = find_udp(w, uri.port);
      if (!server) return -DK_E_CONNREFUSED;
      auto s = std::make_shared<DatagramSocket>(uri.str(), false, f.nonblocking);
      s->readable = f.readable();
      s->writable = f.writable();
      s->peer = server->inbox;
      s->has_peer = true;
      out = s;
      return 0;
    }
    default:
      return -DK_E_INVAL;
  }
}

dk_status_t query_net(SimWorld& w, const Uri& uri, dk_stream_attr& a) {
  bool found = false;
  switch (uri.scheme) {
    case UriScheme::Tcp:
    case UriScheme::TcpServer:
      found = find_listener(w.tcp_servers, uri.port) != nullptr;
      break;
    case UriScheme::Udp:
    case UriScheme::UdpServer:
      found = find_udp(w, uri.port) != nullptr;
      break;
    default:
      break;
  }
  if (!found) return -DK_E_NOENT;
  const bool server = uri.scheme == UriScheme::PipeServer || uri.scheme == UriScheme::TcpServer;
  a.type = server                          ? DK_STREAM_SERVER
           : uri.scheme == UriScheme::Pipe ? DK_STREAM_PIPE
                                           : DK_STREAM_SOCKET;
  a.share = 0666;
  a.readable = a.writable = server ? 0 : 1;
  return 0;
}

}  // namespace dk
