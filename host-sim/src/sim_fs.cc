// The overlay file system and its file and directory streams. The host folder is opened once
// and every host access goes beneath it (open_beneath refuses symlinks and '..'), read-only.
#include "sim_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "dk/monitor/open_beneath.h"

namespace dk {
namespace {

std::string join_rel(const std::string& dir, const std::string& name) {
  return dir.empty() ? name : dir + "/" + name;
}

// The components of a normalised absolute path, repeated slashes skipped.
std::vector<std::string> components(std::string_view path) {
  std::vector<std::string> out;
  for (size_t i = 0; i < path.size();) {
    while (i < path.size() && path[i] == '/') ++i;
    if (i >= path.size()) break;
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

FsTree::FsTree(const std::string& host_root) : root_(std::make_shared<FsNode>()) {
  root_->dir = true;
  root_->mode = 0755;
  if (!host_root.empty()) {
    root_fd_ = ::open(host_root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd_ >= 0) {
      root_->listed = false;
      root_->host_backed = true;
      root_->mount_fd = root_fd_;
    }
  }
}

FsTree::FsTree(std::shared_ptr<const PackageUnion> packages)
    : root_(std::make_shared<FsNode>()), packages_(std::move(packages)) {
  root_->dir = true;
  root_->mode = 0755;
  if (packages_) {
    root_->listed = false;
    root_->host_backed = true;
  }
}

FsTree::~FsTree() {
  if (root_fd_ >= 0) ::close(root_fd_);
  for (int fd : mount_fds_) ::close(fd);
}

dk_status_t FsTree::mount(std::string_view path, const std::string& host_dir) {
  const int fd = ::open(host_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return -DK_E_NOENT;
  mount_fds_.push_back(fd);
  const std::vector<std::string> comps = components(path);
  auto mounted = [fd](FsNode& n) {
    n.dir = true;
    n.mode = 0755;
    n.children.clear();
    n.listed = false;
    n.host_backed = true;
    n.host_rel.clear();
    n.mount_fd = fd;
  };
  if (comps.empty()) {
    mounted(*root_);
    return 0;
  }
  std::shared_ptr<FsNode> cur = root_;
  for (size_t k = 0; k + 1 < comps.size(); ++k) {
    list(*cur);
    auto& child = cur->children[comps[k]];
    if (!child) {
      child = std::make_shared<FsNode>();
      child->dir = true;
      child->mode = 0755;
    } else if (!child->dir) {
      return -DK_E_NOTDIR;
    }
    cur = child;
  }
  list(*cur);  // first, so the listing never replaces the mount point
  auto n = std::make_shared<FsNode>();
  mounted(*n);
  cur->children[comps.back()] = std::move(n);
  return 0;
}

dk_status_t FsTree::list(FsNode& dir) {
  if (dir.listed) return 0;
  dir.listed = true;
  if (!dir.host_backed) return 0;
  if (packages_ && dir.mount_fd < 0) {
    std::vector<std::string> names;
    if (packages_->list(dir.host_rel, names) != 0) return 0;
    for (std::string& name : names) {
      if (dir.children.count(name)) continue;
      auto n = std::make_shared<FsNode>();
      n->host_rel = join_rel(dir.host_rel, name);
      n->host_backed = true;
      if (const UnionEntry* e = packages_->find(n->host_rel)) {
        n->mode = e->file->executable ? 0755 : 0644;
        n->loaded = false;
        n->host_size = e->file->size;
      } else {
        n->dir = true;
        n->mode = 0755;
        n->listed = false;
      }
      dir.children.emplace(std::move(name), std::move(n));
    }
    return 0;
  }
  if (dir.mount_fd < 0) return 0;
  int fd = -1;
  if (open_beneath(dir.mount_fd, dir.host_rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, fd,
                   BeneathMethod::Walk) != 0)
    return 0;  // gone or unreadable on the host: an empty directory
  DIR* d = fdopendir(fd);
  if (!d) {
    ::close(fd);
    return 0;
  }
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == ".." || dir.children.count(name)) continue;
    struct stat st;
    if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) continue;  // symlinks, devices: hidden
    auto n = std::make_shared<FsNode>();
    n->dir = S_ISDIR(st.st_mode);
    n->mode = st.st_mode & 0777;
    n->host_rel = join_rel(dir.host_rel, name);
    n->host_backed = true;
    n->mount_fd = dir.mount_fd;
    if (n->dir) {
      n->listed = false;
    } else {
      n->loaded = false;
      n->host_size = static_cast<uint64_t>(st.st_size);
    }
    dir.children.emplace(std::move(name), std::move(n));
  }
  closedir(d);
  return 0;
}

dk_status_t FsTree::load(FsNode& file) {
  if (file.loaded) return 0;
  if (packages_ && file.mount_fd < 0) {
    std::string bytes;
    if (packages_->read(file.host_rel, bytes) != 0) return -DK_E_NOENT;
    file.data.assign(bytes.begin(), bytes.end());
    file.loaded = true;
    return 0;
  }
  int fd = -1;
  if (file.mount_fd < 0) return -DK_E_NOENT;
  if (dk_status_t st =
          open_beneath(file.mount_fd, file.host_rel, O_RDONLY | O_CLOEXEC, 0, fd, BeneathMethod::Walk))
    return st == -DK_E_ACCESS ? st : -DK_E_NOENT;
  std::vector<uint8_t> bytes;
  uint8_t buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      ::close(fd);
      return -DK_E_NOENT;
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), buf, buf + n);
  }
  ::close(fd);
  file.data = std::move(bytes);
  file.loaded = true;
  return 0;
}

dk_status_t FsTree::lookup(std::string_view path, std::shared_ptr<FsNode>& out) {
  std::shared_ptr<FsNode> cur = root_;
  for (const std::string& comp : components(path)) {
    if (!cur->dir) return -DK_E_NOTDIR;
    list(*cur);
    auto it = cur->children.find(comp);
    if (it == cur->children.end()) return -DK_E_NOENT;
    cur = it->second;
  }
  out = cur;
  return 0;
}

dk_status_t FsTree::lookup_parent(std::string_view path, std::shared_ptr<FsNode>& dir,
                                  std::string& leaf) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string_view::npos || slash + 1 >= path.size()) return -DK_E_INVAL;
  std::string_view parent = path.substr(0, slash);
  if (dk_status_t st = lookup(parent.empty() ? "/" : parent, dir)) return st;
  if (!dir->dir) return -DK_E_NOTDIR;
  if (dk_status_t st = list(*dir)) return st;
  leaf = std::string(path.substr(slash + 1));
  return 0;
}

dk_status_t FileStream::read(StreamIo& io) {
  if (dk_status_t st = tree->load(*node)) return st;
  const auto& d = node->data;
  if (io.offset >= d.size() || io.room == 0) return 0;
  const uint64_t n = std::min<uint64_t>(io.room, d.size() - io.offset);
  io.out->assign(d.begin() + static_cast<ptrdiff_t>(io.offset),
                 d.begin() + static_cast<ptrdiff_t>(io.offset + n));
  io.done = n;
  return 0;
}

dk_status_t FileStream::write(StreamIo& io) {
  if (dk_status_t st = tree->load(*node)) return st;
  auto& d = node->data;
  const uint64_t at = append ? d.size() : io.offset;
  const uint64_t n = io.in->size();
  if (at > FsTree::kMaxFileSize || n > FsTree::kMaxFileSize - at) return -DK_E_NOMEM;
  if (n == 0) return 0;
  if (d.size() < at + n) d.resize(at + n);
  std::copy(io.in->begin(), io.in->end(), d.begin() + static_cast<ptrdiff_t>(at));
  io.done = n;
  return 0;
}

dk_status_t FileStream::set_length(uint64_t length) {
  if (length > FsTree::kMaxFileSize) return -DK_E_NOMEM;
  if (dk_status_t st = tree->load(*node)) return st;
  node->data.resize(length);
  return 0;
}

dk_status_t DirStream::read(StreamIo& io) {
  if (dk_status_t st = tree->list(*node)) return st;
  return read_dir_entries(node->children.begin(), node->children.end(),
                          [](const auto& child) -> const std::string& { return child.first; }, io);
}

}  // namespace dk
