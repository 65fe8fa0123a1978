// The state one NativeHost keeps for its whole world: the policy, the mapped folders it has
// opened, named pipes, connects in progress, and the epoll set (images, process records,
// waits and stream mappings are the host core's). Stream kinds open
// through the functions below, one file per subsystem.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dk/core/pipe.h"
#include "dk/native_host.h"
#include "native_files.h"

namespace dk::native {

struct NativeWorld {
  NativeWorld(const NativeConfig& c, const Policy& policy, const ProcessTable& processes)
      : policy(policy),
        processes(processes),
        packages(c.packages),
        env(std::make_shared<StreamEnv>(c.inject)) {}

  const Policy& policy;  // the host's: listings show its mapping points
  const ProcessTable& processes;  // the host core's: tmpfs: folders go with their process
  std::shared_ptr<const PackageUnion> packages;
  std::shared_ptr<StreamEnv> env;
  std::map<std::string, std::shared_ptr<MountDir>> mounts;  // by host folder

  // TCP connects in progress, by (pid, thread): the socket and the URI it was opened with.
  struct Connecting {
    int fd = -1;
    std::string uri;
  };
  std::map<std::pair<uint32_t, uint32_t>, Connecting> connecting;

  // The mapped host folder `base`, opened on first use: 0 or -DK_E_NOENT.
  dk_status_t mount(const std::string& base, std::shared_ptr<MountDir>& out);

  // tmpfs: each picoprocess's private folder, a fresh temporary folder made on its first use
  // and removed with everything in it once the picoprocess is known to have ended (a child
  // created through this host), or when the world ends.
  struct PrivateFolder {
    std::string path;
    ~PrivateFolder();
  };
  std::map<uint32_t, std::unique_ptr<PrivateFolder>> private_folders;
  // The host folder behind tmpfs path `base` ("/" or "/a/b", made if missing) of `pid`.
  dk_status_t private_folder(uint32_t pid, const std::string& base, std::string& out);
};

// file:, dir:, package: (r is what the namespace resolved).
dk_status_t open_path(NativeWorld& w, const Resolved& r, const OpenFlags& f,
                      std::shared_ptr<HostStream>& out);
dk_status_t query_path(NativeWorld& w, const Resolved& r, dk_stream_attr& attr);
// Whole contents of a file, for process images.
dk_status_t read_whole(NativeWorld& w, const Resolved& r, std::vector<uint8_t>& out);
dk_status_t delete_path(HostPathStream& s);
dk_status_t rename_path(HostPathStream& s, const Resolved& to);
// tcp:, tcp.server:, udp:, udp.server: (real sockets; named pipes are the host core's).
dk_status_t open_net(NativeWorld& w, CallContext& cx, const Resolved& r, const OpenFlags& f,
                     std::shared_ptr<HostStream>& out);
dk_status_t query_net(const Resolved& r, dk_stream_attr& attr);

}  // namespace dk::native
