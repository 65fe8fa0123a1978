// Streams of the native host (calls 21, 26, 30, 34, and the host core's hooks): opening by
// URI scheme after the namespace has resolved the URI; the calls every stream kind shares are
// the host core's. The policy (dk/monitor/policy.h) decides every open, attribute query,
// rename and delete; nothing here grants anything on its own.
#include "dk/native_host.h"
#include "native_device.h"
#include "native_socket.h"
#include "native_world.h"

namespace dk {

using namespace native;

dk_status_t NativeHost::DkStreamOpen(CallContext& cx, Call& call) {
  Uri uri;
  if (dk_status_t st = check_open_request(call, uri)) return st;
  const OpenFlags f = OpenFlags::of(call);

  NativeWorld& w = *world_;
  Resolved r;
  std::shared_ptr<HostStream> s;
  switch (uri.kind()) {
    case UriKind::Device: {
      const Access a = f.writable() ? Access::Write : Access::Read;
      if (dk_status_t st = resolve(cx.pid, NamespaceOp::Open, call.uri, a, r)) return st;
      if (f.create & DK_CREATE_ALWAYS) return -DK_E_EXIST;
      Uri phys;
      if (parse_uri(r.physical, UriRole::Policy, phys) != 0) return -DK_E_ACCESS;
      s = std::make_shared<NativeDevice>(DeviceStream::device_of(phys.path), uri.str(), w.env,
                                         config_.console_write, config_.console_read,
                                         f.readable(), f.writable(), f.nonblocking);
      break;
    }
    case UriKind::Path: {
      const Access a = f.changes() ? Access::Write : Access::Read;
      if (dk_status_t st = resolve(cx.pid, NamespaceOp::Open, call.uri, a, r)) return st;
      if (dk_status_t st = open_path(w, r, f, s)) return st;
      break;
    }
    case UriKind::Name:
    case UriKind::Net: {
      const bool server = uri.scheme == UriScheme::PipeServer ||
                          uri.scheme == UriScheme::TcpServer || uri.scheme == UriScheme::UdpServer;
      const NamespaceOp op = server ? NamespaceOp::Listen : NamespaceOp::Connect;
      if (dk_status_t st = resolve(cx.pid, op, call.uri, Access::Write, r)) return st;
      if (dk_status_t st = open_net(w, cx, r, f, s)) return st;
      break;
    }
    case UriKind::Self:
      return -DK_E_INVAL;
  }
  dk_handle_t h = cx.handles.insert(std::move(s));
  if (!h) return -DK_E_QUOTA;
  call.set_out(5, h);
  return 0;
}

dk_status_t NativeHost::DkStreamSetLength(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  if (s->type != DK_STREAM_FILE) return -DK_E_WRONGTYPE;
  if (!s->writable) return -DK_E_ACCESS;
  auto f = std::dynamic_pointer_cast<HostFileStream>(s);
  if (!f) return -DK_E_ACCESS;
  return f->set_length(call.arg(1));
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

dk_status_t NativeHost::DkStreamAttributesQuery(CallContext& cx, Call& call) {
  (void)cx;
  Uri uri;
  if (dk_status_t st = parse_uri(call.uri, UriRole::Guest, uri)) return st;
  Resolved r;
  if (dk_status_t st = resolve(cx.pid, NamespaceOp::Query, call.uri, Access::Read, r)) return st;
  dk_stream_attr& a = call.attr;
  switch (uri.kind()) {
    case UriKind::Path:
      return query_path(*world_, r, a);
    case UriKind::Name:
    case UriKind::Net:
      return query_net(*world_, r, a);
    case UriKind::Device:
      a.type = DK_STREAM_DEVICE;
      a.share = 0666;
      a.readable = a.writable = 1;
      return 0;
    case UriKind::Self:
      break;
  }
  return -DK_E_NOENT;
}

dk_status_t NativeHost::DkStreamChangeName(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  if (s->type != DK_STREAM_FILE && s->type != DK_STREAM_DIR) return -DK_E_WRONGTYPE;
  Uri to;
  if (dk_status_t st = parse_uri(call.uri, UriRole::Guest, to)) return st;
  Uri from;
  if (dk_status_t st = parse_uri(s->name, UriRole::Guest, from)) return st;
  if (to.scheme != from.scheme) return -DK_E_ACCESS;
  Resolved rf, rt;
  if (dk_status_t st = resolve(cx.pid, NamespaceOp::Rename, s->name, Access::Write, rf)) return st;
  if (dk_status_t st = resolve(cx.pid, NamespaceOp::Rename, call.uri, Access::Write, rt))
    return st;
  auto p = std::dynamic_pointer_cast<HostPathStream>(s);
  if (!p) return -DK_E_ACCESS;
  return rename_path(*p, rt);
}

}  // namespace dk
