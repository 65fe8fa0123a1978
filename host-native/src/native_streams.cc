// Streams of the native host: the host core's hooks for the calls that name a URI (21, 26,
// 30, 34; the checks, the policy question, devices and pipes are the host core's,
// host-core/src/open.cc), over what the namespace resolved the URI to. The policy
// (dk/monitor/policy.h) decides every open, attribute query, rename and delete; nothing here
// grants anything on its own.
#include "dk/native_host.h"
#include "native_device.h"
#include "native_socket.h"
#include "native_world.h"

namespace dk {

using namespace native;

dk_status_t NativeHost::resolve(CallContext& cx, NamespaceOp op, const Uri& uri, Access access,
                                Resolved& out) {
  out = Resolved{};
  return resolve_uri(cx.pid, op, uri, access, out);
}

dk_status_t NativeHost::physical(const Uri&, const Resolved& r, Uri& out) const {
  return parse_uri(r.physical, UriRole::Policy, out);
}

std::shared_ptr<HostStream> NativeHost::open_device(DeviceStream::Device d, const Uri& uri,
                                                    const OpenFlags& f) {
  return std::make_shared<NativeDevice>(d, uri.str(), world_->env, config_.console,
                                        config_.console_stdin, f.readable(), f.writable(),
                                        f.nonblocking);
}

dk_status_t NativeHost::open_path(CallContext&, const Uri&, const Resolved& r, const OpenFlags& f,
                                  std::shared_ptr<HostStream>& out) {
  return native::open_path(*world_, r, f, out);
}

dk_status_t NativeHost::open_net(CallContext& cx, const Uri&, const Resolved& r,
                                 const OpenFlags& f, std::shared_ptr<HostStream>& out) {
  return native::open_net(*world_, cx, r, f, out);
}

dk_status_t NativeHost::query_path(const Uri&, const Resolved& r, dk_stream_attr& attr) {
  return native::query_path(*world_, r, attr);
}

dk_status_t NativeHost::query_net(const Uri&, const Resolved& r, dk_stream_attr& attr) {
  return native::query_net(r, attr);
}

dk_status_t NativeHost::rename_path(const std::shared_ptr<HostStream>& s, const Uri&,
                                    const Resolved& rt) {
  auto p = std::dynamic_pointer_cast<HostPathStream>(s);
  if (!p) return -DK_E_ACCESS;  // package files are read-only
  return native::rename_path(*p, rt);
}

dk_status_t NativeHost::set_length(HostStream& s, uint64_t length) {
  auto* f = dynamic_cast<HostFileStream*>(&s);
  if (!f) return -DK_E_ACCESS;
  return f->set_length(length);
}

dk_status_t NativeHost::delete_named(CallContext& cx, const std::shared_ptr<HostStream>& s) {
  Resolved r;
  if (dk_status_t st = resolve(cx.pid, NamespaceOp::Delete, s->name, Access::Write, r)) return st;
  auto p = std::dynamic_pointer_cast<HostPathStream>(s);
  if (!p) return -DK_E_ACCESS;  // package files are read-only
  return delete_path(*p);
}

dk_status_t NativeHost::wait_for_client(CallContext& cx, Call& call,
                                        const std::shared_ptr<HostStream>& s) {
  auto t = std::dynamic_pointer_cast<TcpListener>(s);
  if (!t) return -DK_E_WRONGTYPE;
  std::shared_ptr<TcpStream> c;
  if (dk_status_t st = t->accept(cx, c)) return st;
  dk_handle_t h = cx.handles.insert(std::move(c));
  if (!h) return -DK_E_QUOTA;  // the connection is closed: its client sees end of stream
  call.set_out(1, h);
  return 0;
}

}  // namespace dk
