// The image of a child picoprocess (DkProcessCreate; the host core creates it): self: from
// the process table, file: and package: from the file trees.
#include "dk/sim_host.h"
#include "sim_world.h"

namespace dk {

dk_status_t SimHost::child_image(CallContext& cx, const std::string& uri_text, ChildSpec& spec) {
  Uri uri;
  if (dk_status_t st = parse_uri(uri_text, UriRole::Guest, uri)) return st;
  if (dk_status_t st = check_policy(cx, NamespaceOp::Spawn, uri, Access::Read)) return st;
  if (uri.scheme == UriScheme::Self) return self_image(cx.pid, spec);
  if (uri.scheme != UriScheme::File && uri.scheme != UriScheme::Package)
    return -DK_E_ACCESS;  // not an image URI
  auto tree = uri.scheme == UriScheme::Package ? world_->package : world_->files;
  std::shared_ptr<FsNode> node;
  if (dk_status_t st = tree->lookup(uri.path, node)) return st == -DK_E_NOTDIR ? -DK_E_NOENT : st;
  if (node->dir) return -DK_E_NOENT;
  if (dk_status_t st = tree->load(*node)) return st;
  spec.image = node->data;
  spec.name = uri.path.substr(uri.path.find_last_of('/') + 1);
  return 0;
}

}  // namespace dk
