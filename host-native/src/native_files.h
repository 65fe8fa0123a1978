// file:, dir: and package: streams. A HostFolder target is a real descriptor opened beneath
// its mapping's folder; a Package target (package: and unmapped file: paths) is a read-only
// in-memory copy of the union's file, so the package is never written and a private
// DkStreamMap of it is a copy as well.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dk/monitor/namespace.h"
#include "native_stream.h"

namespace dk::native {

// A mapped host folder, opened once (O_PATH) and shared by every stream beneath it.
struct MountDir {
  explicit MountDir(int fd) : fd(fd) {}
  ~MountDir();
  MountDir(const MountDir&) = delete;
  MountDir& operator=(const MountDir&) = delete;
  int fd;
};

// Entries from index `offset` of a sorted name list, each NUL-terminated, as many whole
// ones as fit; OVERFLOW with io.done = the room the first one needs.
dk_status_t read_names(const std::vector<std::string>& names, StreamIo& io);

class HostPathStream : public HostStream {
 public:
  HostPathStream(uint32_t type, std::shared_ptr<StreamEnv> env, std::shared_ptr<MountDir> mount,
                 const Resolved& r, int fd, bool rd, bool wr, bool nb)
      : HostStream(type, r.uri.str(), rd, wr, nb),
        env(std::move(env)),
        mount(std::move(mount)),
        mount_key(r.mount),
        rel(r.rel),
        uri(r.uri),
        fd(fd) {}
  ~HostPathStream() override;

  std::shared_ptr<StreamEnv> env;
  std::shared_ptr<MountDir> mount;
  std::string mount_key;  // the virtual mapping (Resolved::mount): renames stay inside it
  std::string rel;        // where this handle last saw the file, beneath the mount
  Uri uri;                // the same, as the virtual URI (renames update both)
  int fd;

  bool positioned() const override { return true; }
  uint32_t mode() const override;
  void set_mode(uint32_t m) override;
};

class HostFileStream : public HostPathStream {
 public:
  static constexpr uint64_t kMaxFileSize = 1ull << 30;  // as on the simulated host
  HostFileStream(std::shared_ptr<StreamEnv> env, std::shared_ptr<MountDir> mount, const Resolved& r,
                 int fd, bool rd, bool wr, bool append, bool nb)
      : HostPathStream(DK_STREAM_FILE, std::move(env), std::move(mount), r, fd, rd, wr, nb),
        append(append) {}
  bool append;

  dk_status_t read(StreamIo& io) override;
  dk_status_t write(StreamIo& io) override;
  uint64_t size() const override;
  dk_status_t set_length(uint64_t length);
  dk_status_t flush() override;
};

class HostDirStream : public HostPathStream {
 public:
  HostDirStream(std::shared_ptr<StreamEnv> env, std::shared_ptr<MountDir> mount, const Resolved& r,
                int fd, std::vector<std::string> mounts, bool nb)
      : HostPathStream(DK_STREAM_DIR, std::move(env), std::move(mount), r, fd, true, false, nb),
        mounts(std::move(mounts)) {}
  std::vector<std::string> mounts;  // mapping points beneath this directory, listed too

  dk_status_t read(StreamIo& io) override;
  dk_status_t write(StreamIo&) override { return -DK_E_ACCESS; }
};

// A package file: the union's bytes, read-only.
class MemFileStream : public HostStream {
 public:
  MemFileStream(std::shared_ptr<const std::string> data, const Uri& uri, bool nb)
      : HostStream(DK_STREAM_FILE, uri.str(), true, false, nb), data(std::move(data)) {
    set_mode(0444);
  }
  std::shared_ptr<const std::string> data;
  bool positioned() const override { return true; }
  dk_status_t read(StreamIo& io) override;
  dk_status_t write(StreamIo&) override { return -DK_E_ACCESS; }
  uint64_t size() const override { return data->size(); }
};

// A package folder (or a folder that only holds mapping points): names fixed at open.
class MemDirStream : public HostStream {
 public:
  MemDirStream(std::vector<std::string> names, const Uri& uri, bool nb)
      : HostStream(DK_STREAM_DIR, uri.str(), true, false, nb), names(std::move(names)) {
    set_mode(0555);
  }
  std::vector<std::string> names;
  bool positioned() const override { return true; }
  dk_status_t read(StreamIo& io) override { return read_names(names, io); }
  dk_status_t write(StreamIo&) override { return -DK_E_ACCESS; }
};

// Entries of a host directory a guest sees: regular files and folders (symlinks, devices,
// sockets are not shown, as on the simulated host), plus `extra`, sorted and unique.
dk_status_t list_host_dir(const HostSys& sys, int dir_fd, std::vector<std::string> extra,
                          std::vector<std::string>& names);

}  // namespace dk::native
