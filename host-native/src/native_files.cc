// file:, dir: and package: on the native host. Host folders are touched only through
// descriptors opened beneath the mapping's folder (openat2 with RESOLVE_BENEATH |
// RESOLVE_NO_MAGICLINKS), so a symlink or '..' never leads out of it; a read-only mapping is
// never opened for writing (the namespace refuses Write before anything is opened).
#include "native_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <iterator>

#include "native_world.h"

namespace dk::native {
namespace {

dk_status_t errno_status() {
  return native_status(errno);
}

// "a/b/c" -> ("a/b", "c"); "c" -> ("", "c").
void split_rel(const std::string& rel, std::string& parent, std::string& leaf) {
  const size_t slash = rel.find_last_of('/');
  parent = slash == std::string::npos ? "" : rel.substr(0, slash);
  leaf = slash == std::string::npos ? rel : rel.substr(slash + 1);
}

dk_status_t open_parent(const HostSys& sys, int root, const std::string& rel, int& pfd,
                        std::string& leaf) {
  std::string parent;
  split_rel(rel, parent, leaf);
  return sys.open_beneath(root, parent, O_PATH | O_DIRECTORY, 0, pfd);
}

// The mapping points directly beneath a virtual directory.
std::vector<std::string> mounts_in(const NativeWorld& w, const Uri& dir) {
  Uri d = dir;
  d.scheme = UriScheme::File;
  return w.policy.mounts_beneath(d.str());
}

std::vector<std::string> sorted_unique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

}  // namespace

MountDir::~MountDir() {
  if (fd >= 0) ::close(fd);
}

dk_status_t NativeWorld::mount(const std::string& base, std::shared_ptr<MountDir>& out) {
  auto it = mounts.find(base);
  if (it != mounts.end()) {
    out = it->second;
    return 0;
  }
  const int fd = ::open(base.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -DK_E_NOENT;  // the mapped folder is not there: nothing beneath it is
  out = std::make_shared<MountDir>(fd);
  mounts.emplace(base, out);
  return 0;
}

NativeWorld::PrivateFolder::~PrivateFolder() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);  // never follows a symlink out of the folder
}

dk_status_t NativeWorld::private_folder(uint32_t pid, const std::string& base, std::string& out) {
  // The folders of children that have ended go first (and the mounts opened in them).
  for (auto it = private_folders.begin(); it != private_folders.end();) {
    auto child = processes.child(it->first);
    const bool ended = processes.child_forgotten(it->first) || (child && child->exited);
    if (!ended || it->first == pid) {
      ++it;
      continue;
    }
    const std::string gone = it->second->path;
    for (auto m = mounts.begin(); m != mounts.end();)
      m = m->first.rfind(gone, 0) == 0 ? mounts.erase(m) : std::next(m);
    it = private_folders.erase(it);
  }
  auto& f = private_folders[pid];
  if (!f) {
    std::error_code ec;
    std::string tmpl = (std::filesystem::temp_directory_path(ec) / "dk-tmpfs-XXXXXX").string();
    if (ec || !mkdtemp(tmpl.data())) {
      private_folders.erase(pid);
      return -DK_E_NOMEM;
    }
    f = std::make_unique<PrivateFolder>();
    f->path = tmpl;
  }
  out = base == "/" ? f->path : f->path + base;  // `base` is normalised: no '..'
  if (base != "/") {
    std::error_code ec;
    std::filesystem::create_directories(out, ec);
    if (ec) return -DK_E_NOMEM;
  }
  return 0;
}

HostPathStream::~HostPathStream() {
  if (fd >= 0) ::close(fd);
}

uint32_t HostPathStream::mode() const {
  struct stat st;
  return ::fstat(fd, &st) == 0 ? st.st_mode & 0777 : 0;
}

void HostPathStream::set_mode(uint32_t m) {
  // Modes are reported, not enforced, for the guest; the host file keeps owner access so the
  // host can go on serving it.
  ::fchmod(fd, m | (type == DK_STREAM_DIR ? 0700 : 0600));
}

dk_status_t read_names(const std::vector<std::string>& names, StreamIo& io) {
  return read_dir_entries(names.begin(), names.end(),
                          [](const std::string& n) -> const std::string& { return n; }, io);
}

dk_status_t list_host_dir(const HostSys& sys, int dir_fd, std::vector<std::string> extra,
                          std::vector<std::string>& names) {
  if (sys.injected(HostOp::List)) return errno_status();
  const int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_status();
  DIR* d = fdopendir(fd);
  if (!d) {
    ::close(fd);
    return errno_status();
  }
  names = std::move(extra);
  while (dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) continue;
    names.push_back(name);
  }
  closedir(d);
  names = sorted_unique(std::move(names));
  return 0;
}

dk_status_t HostFileStream::read(StreamIo& io) {
  if (io.room == 0) return 0;
  const uint64_t room = std::min<uint64_t>(io.room, kMaxFileSize);
  io.out->resize(room);
  uint64_t got = 0;
  // Short reads of a regular file mean end of file; loop only over interruptions.
  for (;;) {
    const ssize_t n =
        env->sys.pread(fd, io.out->data() + got, room - got, static_cast<off_t>(io.offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      if (got > 0) break;  // what was read stands; the error comes with the next read
      io.out->clear();
      return errno_status();
    }
    got += static_cast<uint64_t>(n);
    if (n == 0 || got == room) break;
  }
  io.out->resize(got);
  io.done = got;
  return 0;
}

dk_status_t HostFileStream::write(StreamIo& io) {
  const uint64_t n = io.in->size();
  const uint64_t at = append ? size() : io.offset;
  if (at > kMaxFileSize || n > kMaxFileSize - at) return -DK_E_NOMEM;
  if (n == 0) return 0;
  uint64_t put = 0;
  // Everything reported written is in the file: a failure after some progress reports the
  // bytes written so far (a short count); a failure before any reports the error.
  while (put < n) {
    const ssize_t k =
        append ? env->sys.write(fd, io.in->data() + put, n - put)
               : env->sys.pwrite(fd, io.in->data() + put, n - put, static_cast<off_t>(at + put));
    if (k < 0) {
      if (errno == EINTR) continue;
      if (put > 0) break;
      return errno_status();
    }
    if (k == 0) break;
    put += static_cast<uint64_t>(k);
  }
  io.done = put;
  return 0;
}

uint64_t HostFileStream::size() const {
  struct stat st;
  return ::fstat(fd, &st) == 0 ? static_cast<uint64_t>(st.st_size) : 0;
}

dk_status_t HostFileStream::set_length(uint64_t length) {
  if (length > kMaxFileSize) return -DK_E_NOMEM;
  return env->sys.ftruncate(fd, static_cast<off_t>(length)) == 0 ? 0 : errno_status();
}

dk_status_t HostFileStream::flush() {
  return env->sys.fsync(fd) == 0 ? 0 : errno_status();
}

dk_status_t HostDirStream::read(StreamIo& io) {
  std::vector<std::string> names;
  if (dk_status_t st = list_host_dir(env->sys, fd, mounts, names)) return st;
  return read_names(names, io);
}

dk_status_t MemFileStream::read(StreamIo& io) {
  const std::string& d = *data;
  if (io.offset >= d.size() || io.room == 0) return 0;
  const uint64_t n = std::min<uint64_t>(io.room, d.size() - io.offset);
  io.out->assign(d.begin() + static_cast<ptrdiff_t>(io.offset),
                 d.begin() + static_cast<ptrdiff_t>(io.offset + n));
  io.done = n;
  return 0;
}

namespace {

// Package targets: the union, read-only. A folder that only holds mapping points exists too.
dk_status_t open_package(NativeWorld& w, const Resolved& r, const OpenFlags& f,
                         std::shared_ptr<HostStream>& out) {
  if (f.changes()) return -DK_E_ACCESS;
  const bool want_dir = r.uri.scheme == UriScheme::Dir;
  const std::vector<std::string> mounts = mounts_in(w, r.uri);
  const bool is_dir = r.rel.empty() || !mounts.empty() || (w.packages && w.packages->is_dir(r.rel));
  if (is_dir) {
    if (f.create & DK_CREATE_ALWAYS) return -DK_E_EXIST;
    if (!want_dir) return -DK_E_ISDIR;
    std::vector<std::string> names = mounts;
    std::vector<std::string> files;
    if (w.packages && w.packages->list(r.rel, files) == 0)
      names.insert(names.end(), files.begin(), files.end());
    out = std::make_shared<MemDirStream>(sorted_unique(std::move(names)), r.uri, f.nonblocking);
    return 0;
  }
  if (!w.packages || !w.packages->find(r.rel)) return -DK_E_NOENT;
  if (f.create & DK_CREATE_ALWAYS) return -DK_E_EXIST;
  if (want_dir) return -DK_E_NOTDIR;
  auto data = std::make_shared<std::string>();
  if (dk_status_t st = w.packages->read(r.rel, *data)) return st;
  out = std::make_shared<MemFileStream>(std::move(data), r.uri, f.nonblocking);
  return 0;
}

dk_status_t open_host(NativeWorld& w, const Resolved& r, const OpenFlags& f,
                      std::shared_ptr<HostStream>& out) {
  std::shared_ptr<MountDir> m;
  if (dk_status_t st = w.mount(r.base, m)) return st;
  const HostSys& sys = w.env->sys;
  const bool want_dir = r.uri.scheme == UriScheme::Dir;
  int fd = -1;
  if (want_dir) {
    if (f.create & (DK_CREATE_TRY | DK_CREATE_ALWAYS)) {
      if (r.rel.empty()) {
        if (f.create & DK_CREATE_ALWAYS) return -DK_E_EXIST;
      } else {
        int pfd = -1;
        std::string leaf;
        if (dk_status_t st = open_parent(sys, m->fd, r.rel, pfd, leaf)) return st;
        const int rc = sys.mkdirat(pfd, leaf.c_str(), f.share);
        const int err = errno;
        ::close(pfd);
        if (rc != 0 && (err != EEXIST || (f.create & DK_CREATE_ALWAYS))) return native_status(err);
      }
    }
    if (dk_status_t st = sys.open_beneath(m->fd, r.rel, O_RDONLY | O_DIRECTORY, 0, fd)) return st;
    out = std::make_shared<HostDirStream>(w.env, m, r, fd, mounts_in(w, r.uri), f.nonblocking);
    return 0;
  }
  int flags = f.mode == DK_ACCESS_WRONLY ? O_WRONLY : f.mode == DK_ACCESS_RDWR ? O_RDWR : O_RDONLY;
  if (f.append) flags |= O_APPEND;
  if (f.create & DK_CREATE_TRY) flags |= O_CREAT;
  if (f.create & DK_CREATE_ALWAYS) flags |= O_CREAT | O_EXCL;
  if (f.create & DK_CREATE_TRUNCATE) flags |= O_TRUNC;
  if (r.rel.empty()) return f.create & DK_CREATE_ALWAYS ? -DK_E_EXIST : -DK_E_ISDIR;
  if (dk_status_t st = sys.open_beneath(m->fd, r.rel, flags, f.share, fd)) return st;
  struct stat st;
  if (sys.fstat(fd, &st) != 0) {
    const dk_status_t s = errno_status();
    ::close(fd);
    return s;
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return -DK_E_ISDIR;
  }
  if (!S_ISREG(st.st_mode)) {  // a FIFO or device in the folder is not a file of the ABI
    ::close(fd);
    return -DK_E_ACCESS;
  }
  out = std::make_shared<HostFileStream>(w.env, m, r, fd, f.readable(), f.writable(), f.append,
                                         f.nonblocking);
  return 0;
}

}  // namespace

dk_status_t open_path(NativeWorld& w, const Resolved& r, const OpenFlags& f,
                      std::shared_ptr<HostStream>& out) {
  const bool want_dir = r.uri.scheme == UriScheme::Dir;
  if (r.uri.scheme == UriScheme::Package && f.changes()) return -DK_E_ACCESS;
  if ((f.create & DK_CREATE_TRUNCATE) && (want_dir || !f.writable())) return -DK_E_INVAL;
  if (f.append && !f.writable()) return -DK_E_INVAL;
  if (want_dir && (f.writable() || f.append)) return -DK_E_ISDIR;
  switch (r.target) {
    case Resolved::Target::Package:
      return open_package(w, r, f, out);
    case Resolved::Target::HostFolder:
      return open_host(w, r, f, out);
    case Resolved::Target::Tmpfs:
      return -DK_E_NOTSUP;  // NativeHost::resolve gives a tmpfs path its private folder
    default:
      return -DK_E_INVAL;
  }
}

dk_status_t query_path(NativeWorld& w, const Resolved& r, dk_stream_attr& a) {
  a.readable = 1;
  a.nonblocking = 0;
  if (r.target == Resolved::Target::Package) {
    const bool dir =
        r.rel.empty() || !mounts_in(w, r.uri).empty() || (w.packages && w.packages->is_dir(r.rel));
    const UnionEntry* e = dir || !w.packages ? nullptr : w.packages->find(r.rel);
    if (!dir && !e) return -DK_E_NOENT;
    a.type = dir ? DK_STREAM_DIR : DK_STREAM_FILE;
    a.share = dir ? 0555 : 0444;
    std::string bytes;
    a.size = dir ? 0 : (w.packages->read(r.rel, bytes) == 0 ? bytes.size() : 0);
    a.writable = 0;
    return 0;
  }
  if (r.target != Resolved::Target::HostFolder) return -DK_E_NOTSUP;
  std::shared_ptr<MountDir> m;
  if (dk_status_t st = w.mount(r.base, m)) return st;
  int fd = -1;
  if (dk_status_t st = w.env->sys.open_beneath(m->fd, r.rel, O_PATH, 0, fd)) return st;
  struct stat st;
  const int rc = w.env->sys.fstat(fd, &st);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return native_status(err);
  if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) return -DK_E_ACCESS;
  const bool dir = S_ISDIR(st.st_mode);
  a.type = dir ? DK_STREAM_DIR : DK_STREAM_FILE;
  a.share = st.st_mode & 0777;
  a.size = dir ? 0 : static_cast<uint64_t>(st.st_size);
  a.writable = r.writable && !dir;
  return 0;
}

dk_status_t read_whole(NativeWorld& w, const Resolved& r, std::vector<uint8_t>& out) {
  OpenFlags f;
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = open_path(w, r, f, s)) return st == -DK_E_ISDIR ? -DK_E_NOENT : st;
  if (auto m = std::dynamic_pointer_cast<MemFileStream>(s)) {
    out.assign(m->data->begin(), m->data->end());
    return 0;
  }
  auto h = std::dynamic_pointer_cast<HostFileStream>(s);
  if (!h) return -DK_E_NOENT;
  out.clear();
  uint8_t buf[65536];
  for (;;) {
    const ssize_t n = w.env->sys.pread(h->fd, buf, sizeof buf, static_cast<off_t>(out.size()));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_status();
    }
    if (n == 0) return 0;
    if (out.size() + static_cast<size_t>(n) > HostFileStream::kMaxFileSize) return -DK_E_NOMEM;
    out.insert(out.end(), buf, buf + n);
  }
}

namespace {

// The file a handle names must still be the one at its path (else it was replaced or is gone).
dk_status_t same_file(const HostPathStream& s, int pfd, const std::string& leaf) {
  struct stat mine, there;
  if (::fstat(s.fd, &mine) != 0) return native_status(errno);
  if (::fstatat(pfd, leaf.c_str(), &there, AT_SYMLINK_NOFOLLOW) != 0) return -DK_E_NOENT;
  return mine.st_dev == there.st_dev && mine.st_ino == there.st_ino ? 0 : -DK_E_NOENT;
}

}  // namespace

dk_status_t delete_path(HostPathStream& s) {
  if (s.rel.empty()) return -DK_E_ACCESS;  // a mapping's own folder
  const HostSys& sys = s.env->sys;
  int pfd = -1;
  std::string leaf;
  if (dk_status_t st = open_parent(sys, s.mount->fd, s.rel, pfd, leaf)) return st;
  dk_status_t st = same_file(s, pfd, leaf);
  if (st == 0 && sys.unlinkat(pfd, leaf.c_str(), s.type == DK_STREAM_DIR ? AT_REMOVEDIR : 0) != 0)
    st = errno_status();
  ::close(pfd);
  return st;
}

dk_status_t rename_path(HostPathStream& s, const Resolved& to) {
  if (to.target != Resolved::Target::HostFolder || to.mount != s.mount_key) return -DK_E_ACCESS;
  if (to.rel == s.rel) return 0;
  if (s.rel.empty() || to.rel.empty()) return -DK_E_ACCESS;
  const bool dir = s.type == DK_STREAM_DIR;
  if (dir && path_within(to.uri.path, s.uri.path)) return -DK_E_INVAL;  // into itself
  const HostSys& sys = s.env->sys;
  int from_dir = -1, to_dir = -1;
  std::string from_leaf, to_leaf;
  if (dk_status_t st = open_parent(sys, s.mount->fd, s.rel, from_dir, from_leaf)) return st;
  dk_status_t st = same_file(s, from_dir, from_leaf);
  if (st == 0) st = open_parent(sys, s.mount->fd, to.rel, to_dir, to_leaf);
  if (st == 0) {
    struct stat there;
    const bool exists = ::fstatat(to_dir, to_leaf.c_str(), &there, AT_SYMLINK_NOFOLLOW) == 0;
    // A directory never replaces anything, and nothing replaces a directory.
    if (exists && (dir || S_ISDIR(there.st_mode))) st = -DK_E_EXIST;
  }
  if (st == 0 && sys.renameat2(from_dir, from_leaf.c_str(), to_dir, to_leaf.c_str(),
                               dir ? RENAME_NOREPLACE : 0) != 0)
    st = errno_status();
  if (from_dir >= 0) ::close(from_dir);
  if (to_dir >= 0) ::close(to_dir);
  if (st != 0) return st;
  s.rel = to.rel;
  s.uri = to.uri;
  s.uri.scheme = s.type == DK_STREAM_DIR ? UriScheme::Dir : UriScheme::File;
  s.name = s.uri.str();
  return 0;
}

}  // namespace dk::native
