#include "dk/monitor/open_beneath.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace dk {
namespace {

dk_status_t walk(int root_fd, std::string_view rel, int flags, mode_t mode, int& fd) {
  int dir = root_fd;
  bool own = false;
  auto close_dir = [&] {
    if (own) ::close(dir);
  };
  size_t i = 0;
  while (true) {
    size_t slash = rel.find('/', i);
    std::string comp(
        rel.substr(i, slash == std::string_view::npos ? std::string_view::npos : slash - i));
    if (comp.empty() || comp == "." || comp == "..") {
      close_dir();
      return -DK_E_ACCESS;
    }
    if (slash == std::string_view::npos) {
      int f = ::openat(dir, comp.c_str(), flags | O_NOFOLLOW | O_CLOEXEC, mode);
      int err = errno;
      close_dir();
      if (f < 0) return err == ELOOP ? -DK_E_ACCESS : status_from_errno(err);
      fd = f;
      return 0;
    }
    int next = ::openat(dir, comp.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int err = errno;
    close_dir();
    if (next < 0) {
      // A symlink where a directory should be: O_NOFOLLOW|O_DIRECTORY gives ENOTDIR or ELOOP.
      if (err == ELOOP) return -DK_E_ACCESS;
      if (err == ENOTDIR) {
        struct stat st;
        if (::fstatat(root_fd, std::string(rel.substr(0, slash)).c_str(), &st,
                      AT_SYMLINK_NOFOLLOW) == 0 &&
            S_ISLNK(st.st_mode))
          return -DK_E_ACCESS;
      }
      return status_from_errno(err);
    }
    dir = next;
    own = true;
    i = slash + 1;
  }
}

}  // namespace

dk_status_t status_from_errno(int err) {
  switch (err) {
    case 0:
      return 0;
    case ENOENT:
      return -DK_E_NOENT;
    case EEXIST:
      return -DK_E_EXIST;
    case EACCES:
    case EPERM:
    case EXDEV:
    case ELOOP:
    case EROFS:
      return -DK_E_ACCESS;
    case ENOTDIR:
      return -DK_E_NOTDIR;
    case EISDIR:
      return -DK_E_ISDIR;
    case ENAMETOOLONG:
      return -DK_E_NAMETOOLONG;
    case ENOMEM:
      return -DK_E_NOMEM;
    case EMFILE:
    case ENFILE:
    case ENOSPC:
    case EDQUOT:
      return -DK_E_QUOTA;
    case EAGAIN:
      return -DK_E_AGAIN;
    case EINTR:
      return -DK_E_INTERRUPTED;
    case EBUSY:
    case ETXTBSY:
      return -DK_E_BUSY;
    case EFBIG:
    case EOVERFLOW:
      return -DK_E_OVERFLOW;
    default:
      return -DK_E_INVAL;
  }
}

dk_status_t open_beneath(int root_fd, std::string_view rel, int flags, mode_t mode, int& fd,
                         BeneathMethod method) {
  fd = -1;
  if (rel.find('\0') != std::string_view::npos) return -DK_E_INVAL;
  if (!rel.empty() && rel.front() == '/') return -DK_E_ACCESS;
  if (rel.empty()) {
    int f = ::openat(root_fd, ".", flags | O_CLOEXEC, mode);
    if (f < 0) return status_from_errno(errno);
    fd = f;
    return 0;
  }
  if (method == BeneathMethod::Auto) {
    struct open_how how = {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    std::string path(rel);
    long f = ::syscall(SYS_openat2, root_fd, path.c_str(), &how, sizeof how);
    if (f >= 0) {
      fd = static_cast<int>(f);
      return 0;
    }
    int err = errno;
    if (err != ENOSYS && err != EPERM)
      return err == EXDEV || err == ELOOP ? -DK_E_ACCESS : status_from_errno(err);
    // No openat2 here (old kernel, or a seccomp filter that forbids it): walk instead.
  }
  return walk(root_fd, rel, flags, mode, fd);
}

}  // namespace dk
