// The image of a child picoprocess (DkProcessCreate; the host core creates it): self: from
// the process table, or an image file the namespace lets the caller read.
#include "dk/native_host.h"
#include "native_world.h"

namespace dk {

using namespace native;

dk_status_t NativeHost::child_image(CallContext& cx, const std::string& uri, ChildSpec& spec) {
  Resolved r;
  if (dk_status_t st = resolve(cx.pid, NamespaceOp::Spawn, uri, Access::Read, r)) return st;
  if (r.target == Resolved::Target::Self) return self_image(cx.pid, spec);
  if (r.uri.scheme != UriScheme::File && r.uri.scheme != UriScheme::Package) return -DK_E_ACCESS;
  if (dk_status_t st = read_whole(*world_, r, spec.image))
    return st == -DK_E_NOTDIR ? -DK_E_NOENT : st;
  spec.name = r.uri.path.substr(r.uri.path.find_last_of('/') + 1);
  return 0;
}

}  // namespace dk
