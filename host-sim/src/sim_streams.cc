// Streams of the simulated host: the host core's hooks for the calls that name a URI (21,
// 26, 30, 34; the checks, the policy question, devices and pipes are the host core's,
// host-core/src/open.cc). Kind-specific work lives with the kind (sim_fs, sim_datagram,
// sim_net, sim_files).
#include "dk/sim_host.h"
#include "sim_world.h"

namespace dk {

dk_status_t SimHost::resolve(CallContext& cx, NamespaceOp op, const Uri& uri, Access access,
                             Resolved& out) {
  return policy_->resolve(NamespaceRequest{cx.pid, op, &uri, access}, out);
}

std::shared_ptr<HostStream> SimHost::open_device(DeviceStream::Device d, const Uri& uri,
                                                 const OpenFlags& f) {
  return std::make_shared<DeviceStream>(d, uri.str(), config_.console, f.readable(), f.writable(),
                                        f.nonblocking);
}

dk_status_t SimHost::open_path(CallContext&, const Uri& uri, const Resolved&, const OpenFlags& f,
                               std::shared_ptr<HostStream>& out) {
  return dk::open_path(*world_, uri, f, out);
}

dk_status_t SimHost::open_net(CallContext&, const Uri& uri, const Resolved&, const OpenFlags& f,
                              std::shared_ptr<HostStream>& out) {
  return dk::open_net(*world_, uri, f, out);
}

dk_status_t SimHost::query_path(const Uri& uri, const Resolved&, dk_stream_attr& attr) {
  return dk::query_path(*world_, uri, attr);
}

dk_status_t SimHost::query_net(const Uri& uri, const Resolved&, dk_stream_attr& attr) {
  return dk::query_net(*world_, uri, attr);
}

dk_status_t SimHost::rename_path(const std::shared_ptr<HostStream>& s, const Uri& to,
                                 const Resolved&) {
  auto p = std::dynamic_pointer_cast<PathStream>(s);
  if (!p) return -DK_E_WRONGTYPE;
  return dk::rename_path(*p, to);
}

dk_status_t SimHost::set_length(HostStream& s, uint64_t length) {
  auto* f = dynamic_cast<FileStream*>(&s);
  if (!f) return -DK_E_WRONGTYPE;
  return f->set_length(length);
}

dk_status_t SimHost::delete_named(CallContext& cx, const std::shared_ptr<HostStream>& s) {
  auto p = std::dynamic_pointer_cast<PathStream>(s);
  if (!p) return -DK_E_WRONGTYPE;
  if (dk_status_t st = check_policy(cx, NamespaceOp::Delete, p->uri, Access::Write)) return st;
  return delete_path(*p);
}

}  // namespace dk
