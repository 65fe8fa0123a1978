// The stream calls that name a URI (21, 26, 30, 34), written once: DkStreamOpen's flag checks
// and URI syntax, the choice of namespace operation and access, the policy question, and the
// objects the host core owns (devices, named pipes, self:). Files and sockets are the
// backend's, through the hooks open_path, open_net, query_path, query_net, rename_path and
// set_length (dk/core/core_host.h).
#include "dk/core/core_host.h"

namespace dk {
namespace {

bool is_pipe(const Uri& u) {
  return u.scheme == UriScheme::Pipe || u.scheme == UriScheme::PipeServer;
}

}  // namespace

dk_status_t CoreHost::DkStreamOpen(CallContext& cx, Call& call) {
  Uri uri;
  if (dk_status_t st = check_open_request(call, uri)) return st;
  const OpenFlags f = OpenFlags::of(call);
  Resolved r;
  std::shared_ptr<HostStream> s;
  switch (uri.kind()) {
    case UriKind::Device: {
      const Access a = f.writable() ? Access::Write : Access::Read;
      if (dk_status_t st = resolve(cx, NamespaceOp::Open, uri, a, r)) return st;
      if (f.create & DK_CREATE_ALWAYS) return -DK_E_EXIST;  // devices always exist
      Uri phys;
      if (physical(uri, r, phys) != 0) return -DK_E_ACCESS;
      s = open_device(DeviceStream::device_of(phys.path), uri, f);
      break;
    }
    case UriKind::Path: {
      const Access a = f.changes() ? Access::Write : Access::Read;
      if (dk_status_t st = resolve(cx, NamespaceOp::Open, uri, a, r)) return st;
      if (dk_status_t st = open_path(cx, uri, r, f, s)) return st;
      break;
    }
    case UriKind::Name:
    case UriKind::Net: {
      const bool server = uri.scheme == UriScheme::PipeServer ||
                          uri.scheme == UriScheme::TcpServer || uri.scheme == UriScheme::UdpServer;
      const NamespaceOp op = server ? NamespaceOp::Listen : NamespaceOp::Connect;
      if (dk_status_t st = resolve(cx, op, uri, Access::Write, r)) return st;
      if (is_pipe(uri)) {
        Uri phys;
        if (dk_status_t st = physical(uri, r, phys)) return st;
        dk_status_t st = uri.scheme == UriScheme::PipeServer
                             ? pipes_.listen(phys.path, uri.str(), f, s)
                             : pipes_.connect(phys.path, uri.str(), f, s);
        if (st) return st;
      } else if (dk_status_t st = open_net(cx, uri, r, f, s)) {
        return st;
      }
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

dk_status_t CoreHost::DkStreamSetLength(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  if (s->type != DK_STREAM_FILE) return -DK_E_WRONGTYPE;
  if (!s->writable) return -DK_E_ACCESS;
  return set_length(*s, call.arg(1));
}

dk_status_t CoreHost::DkStreamAttributesQuery(CallContext& cx, Call& call) {
  Uri uri;
  if (dk_status_t st = parse_uri(call.uri, UriRole::Guest, uri)) return st;
  Resolved r;
  if (dk_status_t st = resolve(cx, NamespaceOp::Query, uri, Access::Read, r)) return st;
  dk_stream_attr& a = call.attr;
  switch (uri.kind()) {
    case UriKind::Path:
      return query_path(uri, r, a);
    case UriKind::Name:
    case UriKind::Net: {
      if (!is_pipe(uri)) return query_net(uri, r, a);
      Uri phys;
      if (dk_status_t st = physical(uri, r, phys)) return st;
      if (!pipes_.find(phys.path)) return -DK_E_NOENT;
      const bool server = uri.scheme == UriScheme::PipeServer;
      a.type = server ? DK_STREAM_SERVER : DK_STREAM_PIPE;
      a.share = 0666;
      a.readable = a.writable = server ? 0 : 1;
      return 0;
    }
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

dk_status_t CoreHost::DkStreamChangeName(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  if (s->type != DK_STREAM_FILE && s->type != DK_STREAM_DIR) return -DK_E_WRONGTYPE;
  Uri to;
  if (dk_status_t st = parse_uri(call.uri, UriRole::Guest, to)) return st;
  Uri from;
  if (dk_status_t st = parse_uri(s->name, UriRole::Guest, from)) return st;
  if (to.scheme != from.scheme) return -DK_E_ACCESS;  // another tree is another mapping
  Resolved rf, rt;
  if (dk_status_t st = resolve(cx, NamespaceOp::Rename, from, Access::Write, rf)) return st;
  if (dk_status_t st = resolve(cx, NamespaceOp::Rename, to, Access::Write, rt)) return st;
  return rename_path(s, to, rt);
}

}  // namespace dk
