// Host errno to ABI status (the table in docs/abi.md, "Host status mapping"), and the host
// system calls the native host makes, each passed through the error-injection seam first.
// Every wrapper returns what the system call returns, with errno set on failure.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <string_view>

#include "dk/abi.h"
#include "dk/native_host.h"

namespace dk::native {

// errno -> -DK_E_*. EAGAIN gives AGAIN; callers that block handle it before asking.
dk_status_t native_status(int err);

class HostSys {
 public:
  explicit HostSys(FaultInjector inject) : inject_(std::move(inject)) {}
  // True (errno set) when the seam fails `op`.
  bool injected(HostOp op) const;

  dk_status_t open_beneath(int root_fd, std::string_view rel, int flags, mode_t mode,
                           int& fd) const;
  ssize_t pread(int fd, void* buf, size_t n, off_t at) const;
  ssize_t pwrite(int fd, const void* buf, size_t n, off_t at) const;
  ssize_t read(int fd, void* buf, size_t n) const;
  ssize_t write(int fd, const void* buf, size_t n) const;
  int fsync(int fd) const;
  int ftruncate(int fd, off_t len) const;
  int renameat2(int from_dir, const char* from, int to_dir, const char* to, unsigned flags) const;
  int unlinkat(int dir, const char* name, int flags) const;
  int mkdirat(int dir, const char* name, mode_t mode) const;
  int fstat(int fd, struct stat* st) const;
  ssize_t send(int fd, const void* buf, size_t n, int flags) const;
  ssize_t recv(int fd, void* buf, size_t n, int flags) const;

 private:
  FaultInjector inject_;
};

}  // namespace dk::native
