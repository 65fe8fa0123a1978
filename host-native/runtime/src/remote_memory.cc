// Guest memory of a native-runtime child, through the books and the kernel.
#include "remote_memory.h"

#include <dirent.h>
#include <errno.h>
#include <sys/uio.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace dk::rt {

bool RemoteMemory::check(uint64_t addr, uint64_t len, uint32_t access) const {
  return books_.check(addr, len, access);
}

bool RemoteMemory::next_thread() const {
  char path[48];
  std::snprintf(path, sizeof path, "/proc/%d/task", static_cast<int>(pid_));
  DIR* d = opendir(path);
  if (!d) return false;
  pid_t found = -1;
  while (dirent* e = readdir(d)) {
    const long tid = std::strtol(e->d_name, nullptr, 10);
    if (tid > 0 && tid != io_pid_ && tid != pid_) {
      found = static_cast<pid_t>(tid);
      break;
    }
  }
  closedir(d);
  if (found < 0) return false;
  io_pid_ = found;
  return true;
}

bool RemoteMemory::copy_in(uint64_t addr, void* dst, uint64_t len) const {
  if (len == 0) return true;
  if (pid_ <= 0) return false;
  for (int tries = 0; tries < 4; ++tries) {
    iovec local{dst, len}, remote{reinterpret_cast<void*>(addr), len};
    const ssize_t n = process_vm_readv(io_pid_, &local, 1, &remote, 1, 0);
    if (n == static_cast<ssize_t>(len)) return true;
    if (n >= 0 || errno != ESRCH || !next_thread()) return false;
  }
  return false;
}

bool RemoteMemory::copy_out(uint64_t addr, const void* src, uint64_t len) const {
  for (int tries = 0; tries < 4; ++tries) {
    iovec local{const_cast<void*>(src), len}, remote{reinterpret_cast<void*>(addr), len};
    const ssize_t n = process_vm_writev(io_pid_, &local, 1, &remote, 1, 0);
    if (n == static_cast<ssize_t>(len)) return true;
    if (n >= 0 || errno != ESRCH || !next_thread()) return false;
  }
  return false;
}

bool RemoteMemory::read(uint64_t addr, void* dst, uint64_t len) const {
  if (!books_.check(addr, len, DK_PROT_READ)) return false;
  return settled(addr, len) && copy_in(addr, dst, len);
}

bool RemoteMemory::write(uint64_t addr, const void* src, uint64_t len) {
  if (!books_.check(addr, len, DK_PROT_WRITE)) return false;
  if (len == 0) return true;
  if (pid_ <= 0 || !settled(addr, len)) return false;
  return copy_out(addr, src, len);
}

dk_status_t RemoteMemory::read_cstr(uint64_t addr, uint64_t max, std::string& out) const {
  out.clear();
  uint64_t limit = max + 1;  // bytes we may look at, NUL included
  uint64_t a = addr;
  char buf[4096];
  while (limit > 0) {
    // Up to the end of the page: a string may end just before unreadable memory.
    uint64_t n = DK_PAGE_SIZE - (a & (DK_PAGE_SIZE - 1));
    if (n > limit) n = limit;
    if (!books_.check(a, n, DK_PROT_READ) || !settled(a, n) || !copy_in(a, buf, n))
      return -DK_E_FAULT;
    const void* nul = std::memchr(buf, 0, n);
    if (nul) {
      out.append(buf, static_cast<const char*>(nul) - buf);
      return 0;
    }
    out.append(buf, n);
    a += n;
    limit -= n;
  }
  out.clear();
  return -DK_E_NAMETOOLONG;
}

bool RemoteMemory::peek(uint64_t addr, void* dst, uint64_t len) const {
  return copy_in(addr, dst, len);
}

}  // namespace dk::rt
