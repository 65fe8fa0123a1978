// Streams of the simulated host (calls 21, 26, 30, 34, and the host core's hooks): opening
// by URI scheme, lengths, queries by URI and renames. The calls every stream kind shares are
// the host core's; kind-specific work lives with the kind (sim_fs, sim_datagram, sim_net,
// sim_files; pipes and connections in the host core).
#include "dk/sim_host.h"
#include "dk/core/device.h"
#include "sim_world.h"

namespace dk {

dk_status_t SimHost::DkStreamOpen(CallContext& cx, Call& call) {
  Uri uri;
  if (dk_status_t st = check_open_request(call, uri)) return st;
  const OpenFlags f = OpenFlags::of(call);

  std::shared_ptr<HostStream> s;
  switch (uri.kind()) {
    case UriKind::Device: {
      const Access a = f.writable() ? Access::Write : Access::Read;
      if (dk_status_t st = check_policy(cx, NamespaceOp::Open, uri, a)) return st;
      if (f.create & DK_CREATE_ALWAYS) return -DK_E_EXIST;  // devices always exist
      s = std::make_shared<DeviceStream>(DeviceStream::device_of(uri.path), uri.str(),
                                         config_.console, f.readable(), f.writable(),
                                         f.nonblocking);
      break;
    }
    case UriKind::Path: {
      const Access a = f.changes() ? Access::Write : Access::Read;
      if (dk_status_t st = check_policy(cx, NamespaceOp::Open, uri, a)) return st;
      if (dk_status_t st = open_path(*world_, uri, f, s)) return st;
      break;
    }
    case UriKind::Name:
    case UriKind::Net: {
      const bool server = uri.scheme == UriScheme::PipeServer ||
                          uri.scheme == UriScheme::TcpServer || uri.scheme == UriScheme::UdpServer;
      const NamespaceOp op = server ? NamespaceOp::Listen : NamespaceOp::Connect;
      if (dk_status_t st = check_policy(cx, op, uri, Access::Write)) return st;
      if (dk_status_t st = open_net(*world_, uri, f, s)) return st;
      break;
    }
    case UriKind::Self:
      return -DK_E_INVAL;  // an image to start, not a stream
  }
  dk_handle_t h = cx.handles.insert(std::move(s));
  if (!h) return -DK_E_QUOTA;
  call.set_out(5, h);
  return 0;
}

dk_status_t SimHost::DkStreamSetLength(CallContext& cx, Call& call) {
  std::shared_ptr<FileStream> f;
  if (dk_status_t st = get_stream_as(cx, call.arg(0), f)) return st;
  if (!f->writable) return -DK_E_ACCESS;
  return f->set_length(call.arg(1));
}

dk_status_t SimHost::delete_named(CallContext& cx, const std::shared_ptr<HostStream>& s) {
  auto p = std::dynamic_pointer_cast<PathStream>(s);
  if (!p) return -DK_E_WRONGTYPE;
  if (dk_status_t st = check_policy(cx, NamespaceOp::Delete, p->uri, Access::Write)) return st;
  return delete_path(*p);
}

dk_status_t SimHost::DkStreamAttributesQuery(CallContext& cx, Call& call) {
  Uri uri;
  if (dk_status_t st = parse_uri(call.uri, UriRole::Guest, uri)) return st;
  if (dk_status_t st = check_policy(cx, NamespaceOp::Query, uri, Access::Read)) return st;
  dk_stream_attr& a = call.attr;
  switch (uri.kind()) {
    case UriKind::Path:
      return query_path(*world_, uri, a);
    case UriKind::Name:
    case UriKind::Net:
      return query_net(*world_, uri, a);
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

dk_status_t SimHost::DkStreamChangeName(CallContext& cx, Call& call) {
  std::shared_ptr<PathStream> s;
  if (dk_status_t st = get_stream_as(cx, call.arg(0), s)) return st;
  Uri to;
  if (dk_status_t st = parse_uri(call.uri, UriRole::Guest, to)) return st;
  if (to.scheme != s->uri.scheme) return -DK_E_ACCESS;  // another tree is another mapping
  if (dk_status_t st = check_policy(cx, NamespaceOp::Rename, s->uri, Access::Write)) return st;
  if (dk_status_t st = check_policy(cx, NamespaceOp::Rename, to, Access::Write)) return st;
  return rename_path(*s, to);
}

}  // namespace dk
