// file:, dir: and package: URIs on the overlay: open with the create flags, attributes by
// path, unlink and rename. package: is the host folder as it is, read-only; file: and dir:
// are the writable overlay on top of the same folder.
#include "dk/monitor/uri.h"
#include "sim_world.h"

namespace dk {
namespace {

std::shared_ptr<FsTree> tree_for(SimWorld& w, const Uri& uri) {
  return uri.scheme == UriScheme::Package ? w.package : w.files;
}

}  // namespace

dk_status_t open_path(SimWorld& w, const Uri& uri, const OpenFlags& f,
                      std::shared_ptr<HostStream>& out) {
  const bool want_dir = uri.scheme == UriScheme::Dir;
  const bool changes = f.writable() || f.append || f.create != DK_CREATE_NEVER;
  if (uri.scheme == UriScheme::Package && changes) return -DK_E_ACCESS;
  if ((f.create & DK_CREATE_TRUNCATE) && (want_dir || !f.writable())) return -DK_E_INVAL;
  if (f.append && !f.writable()) return -DK_E_INVAL;
  if (want_dir && (f.writable() || f.append)) return -DK_E_ISDIR;

  auto tree = tree_for(w, uri);
  std::shared_ptr<FsNode> node;
  dk_status_t st = tree->lookup(uri.path, node);
  if (st == -DK_E_NOENT) {
    if (!(f.create & (DK_CREATE_TRY | DK_CREATE_ALWAYS))) return st;
    std::shared_ptr<FsNode> dir;
    std::string leaf;
    if (dk_status_t pst = tree->lookup_parent(uri.path, dir, leaf)) return pst;
    node = std::make_shared<FsNode>();
    node->dir = want_dir;
    node->mode = f.share;
    dir->children.emplace(leaf, node);
  } else if (st != 0) {
    return st;
  } else {
    if (f.create & DK_CREATE_ALWAYS) return -DK_E_EXIST;
    if (!want_dir && node->dir) return -DK_E_ISDIR;
    if (want_dir && !node->dir) return -DK_E_NOTDIR;
    if (f.create & DK_CREATE_TRUNCATE) {
      node->data.clear();
      node->loaded = true;
    }
  }
  if (want_dir) {
    out = std::make_shared<DirStream>(node, tree, uri, f.nonblocking);
  } else {
    out = std::make_shared<FileStream>(node, tree, uri, f.readable(), f.writable(), f.append,
                                       f.nonblocking);
  }
  return 0;
}

dk_status_t query_path(SimWorld& w, const Uri& uri, dk_stream_attr& a) {
  std::shared_ptr<FsNode> node;
  if (dk_status_t st = tree_for(w, uri)->lookup(uri.path, node)) return st;
  a.type = node->dir ? DK_STREAM_DIR : DK_STREAM_FILE;
  a.share = node->mode;
  a.size = node->dir ? 0 : node->size();
  a.readable = 1;
  a.writable = uri.scheme != UriScheme::Package && !node->dir;
  a.nonblocking = 0;
  return 0;
}

dk_status_t delete_path(PathStream& s) {
  if (s.uri.path == "/") return -DK_E_ACCESS;
  std::shared_ptr<FsNode> dir;
  std::string leaf;
  if (dk_status_t st = s.tree->lookup_parent(s.uri.path, dir, leaf)) return st;
  auto it = dir->children.find(leaf);
  if (it == dir->children.end() || it->second != s.node) return -DK_E_NOENT;  // already gone
  if (s.node->dir) {
    s.tree->list(*s.node);
    if (!s.node->children.empty()) return -DK_E_EXIST;
  }
  dir->children.erase(it);  // open handles keep the node, as an unlinked file
  return 0;
}

dk_status_t rename_path(PathStream& s, const Uri& to) {
  if (to.path == s.uri.path) return 0;
  if (s.uri.path == "/" || to.path == "/") return -DK_E_ACCESS;
  if (s.node->dir && path_within(to.path, s.uri.path)) return -DK_E_INVAL;  // into itself
  std::shared_ptr<FsNode> from_dir, to_dir;
  std::string from_leaf, to_leaf;
  if (dk_status_t st = s.tree->lookup_parent(s.uri.path, from_dir, from_leaf)) return st;
  auto it = from_dir->children.find(from_leaf);
  if (it == from_dir->children.end() || it->second != s.node) return -DK_E_NOENT;
  if (dk_status_t st = s.tree->lookup_parent(to.path, to_dir, to_leaf)) return st;
  auto existing = to_dir->children.find(to_leaf);
  if (existing != to_dir->children.end() && (existing->second->dir || s.node->dir))
    return -DK_E_EXIST;
  auto node = s.node;
  from_dir->children.erase(it);
  to_dir->children[to_leaf] = node;
  s.uri = to;
  s.name = to.str();
  return 0;
}

}  // namespace dk
