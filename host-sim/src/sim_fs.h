// The simulated file system: an in-memory copy-on-write overlay over a host folder or over
// a package union (the app package and its dependencies' files, as the monitor resolved
// them). Backing entries are listed when a directory is first walked and a file's bytes are
// read when it is first opened or written; every change (writes, creates, deletes, renames)
// lives only in memory. Host folders the namespace maps are mounted at their virtual paths
// the same way. Symbolic links under a host folder are not shown. Paths are the
// normalised absolute virtual paths the URI parser produces.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dk/core/stream.h"
#include "dk/monitor/package_union.h"
#include "dk/monitor/uri.h"

namespace dk {

struct FsNode {
  bool dir = false;
  uint32_t mode = 0644;
  // Files: the bytes, once loaded; host_size until then.
  std::vector<uint8_t> data;
  bool loaded = true;
  uint64_t host_size = 0;
  // Directories: entries by name (byte order), once listed.
  std::map<std::string, std::shared_ptr<FsNode>> children;
  bool listed = true;
  // Where the node's original content lives, relative to the host folder; "" when the node
  // was made in the overlay or there is no host folder.
  std::string host_rel;
  bool host_backed = false;
  // The host folder host_rel is relative to (the tree's root folder or a mounted one); -1
  // for package files and nodes made in the overlay.
  int mount_fd = -1;

  uint64_t size() const { return loaded ? data.size() : host_size; }
};

class FsTree {
 public:
  // Files never grow past this (a write or set-length beyond it gives NOMEM).
  static constexpr uint64_t kMaxFileSize = 1ull << 30;

  explicit FsTree(const std::string& host_root);
  // Over the files of a package closure (read lazily, never written).
  explicit FsTree(std::shared_ptr<const PackageUnion> packages);
  ~FsTree();
  FsTree(const FsTree&) = delete;
  FsTree& operator=(const FsTree&) = delete;

  // Shows the host folder `host_dir` at the virtual directory `path` (a namespace mapping),
  // read lazily like the root, writes kept in the overlay. Directories on the way are made
  // in the overlay. NOENT when the host folder cannot be opened, NOTDIR when a component of
  // `path` is a file.
  dk_status_t mount(std::string_view path, const std::string& host_dir);

  // The node at `path`: NOENT, or NOTDIR when a component is a file.
  dk_status_t lookup(std::string_view path, std::shared_ptr<FsNode>& out);
  // The directory holding `path` and the last component: NOENT / NOTDIR as above; INVAL
  // for the root itself.
  dk_status_t lookup_parent(std::string_view path, std::shared_ptr<FsNode>& dir, std::string& leaf);
  // Makes sure a directory's host entries, or a file's host bytes, are in memory.
  dk_status_t list(FsNode& dir);
  dk_status_t load(FsNode& file);

 private:
  std::shared_ptr<FsNode> root_;
  int root_fd_ = -1;
  std::vector<int> mount_fds_;
  std::shared_ptr<const PackageUnion> packages_;
};

// A stream on a node of a tree: a file or a directory.
class PathStream : public HostStream {
 public:
  PathStream(uint32_t type, std::shared_ptr<FsNode> node, std::shared_ptr<FsTree> tree, Uri uri,
             bool r, bool w, bool nb)
      : HostStream(type, uri.str(), r, w, nb),
        node(std::move(node)),
        tree(std::move(tree)),
        uri(std::move(uri)) {}
  std::shared_ptr<FsNode> node;
  std::shared_ptr<FsTree> tree;  // kept alive: handles may outlive the host
  Uri uri;                       // where this handle last saw the node (renames update it)

  bool positioned() const override { return true; }
  uint32_t mode() const override { return node->mode; }
  void set_mode(uint32_t m) override { node->mode = m; }
};

class FileStream : public PathStream {
 public:
  FileStream(std::shared_ptr<FsNode> node, std::shared_ptr<FsTree> tree, Uri uri, bool r, bool w,
             bool append, bool nb)
      : PathStream(DK_STREAM_FILE, std::move(node), std::move(tree), std::move(uri), r, w, nb),
        append(append) {}
  bool append;

  dk_status_t read(StreamIo& io) override;
  dk_status_t write(StreamIo& io) override;
  uint64_t size() const override { return node->size(); }
  dk_status_t set_length(uint64_t length);
};

class DirStream : public PathStream {
 public:
  DirStream(std::shared_ptr<FsNode> node, std::shared_ptr<FsTree> tree, Uri uri, bool nb)
      : PathStream(DK_STREAM_DIR, std::move(node), std::move(tree), std::move(uri), true, false,
                   nb) {}
  // Entries from index `offset`, each NUL-terminated, as many whole ones as fit.
  dk_status_t read(StreamIo& io) override;
  dk_status_t write(StreamIo&) override { return -DK_E_ACCESS; }
};

}  // namespace dk
