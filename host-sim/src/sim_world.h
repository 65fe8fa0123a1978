// The state one SimHost keeps for its whole world: the file trees and the names pipes and
// sockets listen on (images, process records, waits and stream mappings are the host
// core's). Stream kinds open through the functions below, one file per
// subsystem.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dk/monitor/uri.h"
#include "sim_datagram.h"
#include "sim_fs.h"

namespace dk {

struct SimWorld {
  std::shared_ptr<FsTree> files;    // file:/ and dir:/ (the writable overlay)
  std::shared_ptr<FsTree> package;  // package:/ (the host folder as it is)

  std::map<uint16_t, std::weak_ptr<Listener>> tcp_servers;      // by port
  std::map<uint16_t, std::weak_ptr<DatagramSocket>> udp_servers;
  uint16_t next_port = 49152;  // ports for listeners opened on port 0
};

// file:, dir:, package:
dk_status_t open_path(SimWorld& w, const Uri& uri, const OpenFlags& f,
                      std::shared_ptr<HostStream>& out);
dk_status_t query_path(SimWorld& w, const Uri& uri, dk_stream_attr& attr);
// pipe:, pipe.server:, tcp:, tcp.server:, udp:, udp.server:
dk_status_t open_net(SimWorld& w, const Uri& uri, const OpenFlags& f,
                     std::shared_ptr<HostStream>& out);
dk_status_t query_net(SimWorld& w, const Uri& uri, dk_stream_attr& attr);
// DkStreamDelete and DkStreamChangeName on a file or directory stream (`s` is one).
dk_status_t delete_path(PathStream& s);
dk_status_t rename_path(PathStream& s, const Uri& to);

}  // namespace dk
