// Streams (calls 21-23, 26-33): opening by URI scheme, and the calls every stream kind
// shares. Kind-specific work lives with the kind (sim_fs, sim_datagram, sim_net, sim_files;
// pipes and connections in the host core).
#include "dk/sim_host.h"
#include "sim_device.h"
#include "sim_world.h"

namespace dk {
namespace {

dk_status_t get_stream(CallContext& cx, dk_handle_t h, std::shared_ptr<HostStream>& s) {
  auto o = cx.handles.get(h);
  if (!o) return -DK_E_BADHANDLE;
  s = std::dynamic_pointer_cast<HostStream>(o);
  return s ? 0 : -DK_E_WRONGTYPE;
}

template <class T>
dk_status_t get_stream_as(CallContext& cx, dk_handle_t h, std::shared_ptr<T>& out) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, h, s)) return st;
  out = std::dynamic_pointer_cast<T>(s);
  return out ? 0 : -DK_E_WRONGTYPE;
}

}  // namespace

dk_status_t SimHost::DkStreamOpen(CallContext& cx, Call& call) {
  const uint64_t access = call.arg(1), share = call.arg(2), create = call.arg(3),
                 options = call.arg(4);
  const uint64_t mode = access & ~uint64_t{DK_ACCESS_APPEND};
  if (mode > DK_ACCESS_RDWR || create > (DK_CREATE_ALWAYS | DK_CREATE_TRUNCATE) ||
      (create & DK_CREATE_TRY && create & DK_CREATE_ALWAYS) || options > DK_OPTION_NONBLOCK ||
      share > 0777)
    return -DK_E_INVAL;
  Uri uri;
  if (dk_status_t st = parse_uri(call.uri, UriRole::Guest, uri)) return st;
  if (uri.kind() != UriKind::Self)
    if (dk_status_t st = quotas_.stream(cx)) return st;
  OpenFlags f;
  f.mode = static_cast<uint32_t>(mode);
  f.append = access & DK_ACCESS_APPEND;
  f.share = static_cast<uint32_t>(share);
  f.create = static_cast<uint32_t>(create);
  f.nonblocking = options & DK_OPTION_NONBLOCK;

  std::shared_ptr<HostStream> s;
  switch (uri.kind()) {
    case UriKind::Device: {
      const Access a = f.writable() ? Access::Write : Access::Read;
      if (dk_status_t st = check_policy(cx, NamespaceOp::Open, uri, a)) return st;
      if (create & DK_CREATE_ALWAYS) return -DK_E_EXIST;  // devices always exist
      auto d = uri.path == "console" ? DeviceStream::Device::Console
               : uri.path == "null"  ? DeviceStream::Device::Null
                                     : DeviceStream::Device::Zero;
      s = std::make_shared<DeviceStream>(d, uri.str(), config_.console, f.readable(), f.writable(),
                                         f.nonblocking);
      break;
    }
    case UriKind::Path: {
      const Access a = f.writable() || f.append || create ? Access::Write : Access::Read;
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

dk_status_t SimHost::DkStreamRead(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  if (!s->positioned() && call.arg(1) != 0) return -DK_E_INVAL;
  if (s->type == DK_STREAM_SERVER) return -DK_E_NOTCONN;  // servers carry no data
  if (!s->readable) return -DK_E_ACCESS;
  StreamIo io{cx, call.arg(1), call.room, nullptr, &call.out_bytes};
  dk_status_t st = s->read(io);
  if (st == 0 || st == -DK_E_OVERFLOW) call.set_out(3, io.done);
  return st;
}

dk_status_t SimHost::DkStreamWrite(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  if (!s->positioned() && call.arg(1) != 0) return -DK_E_INVAL;
  if (s->type == DK_STREAM_SERVER) return -DK_E_NOTCONN;
  if (!s->writable) return -DK_E_ACCESS;
  // Output past the output_bytes quota is refused whole, before anything is written.
  const auto* dev = dynamic_cast<const DeviceStream*>(s.get());
  const bool console = dev && dev->device == DeviceStream::Device::Console;
  uint64_t charged = 0;
  if (dk_status_t st = quotas_.output(cx, s.get(), console, call.in_bytes.size(), charged))
    return st;
  StreamIo io{cx, call.arg(1), 0, &call.in_bytes, nullptr};
  dk_status_t st = s->write(io);
  const uint64_t done = st == 0 ? io.done : 0;
  if (charged > done) quotas_.output_unused(cx, charged - done);
  if (st == 0) call.set_out(3, io.done);
  return st;
}

dk_status_t SimHost::DkStreamSetLength(CallContext& cx, Call& call) {
  std::shared_ptr<FileStream> f;
  if (dk_status_t st = get_stream_as(cx, call.arg(0), f)) return st;
  if (!f->writable) return -DK_E_ACCESS;
  return f->set_length(call.arg(1));
}

dk_status_t SimHost::DkStreamFlush(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  if (auto f = std::dynamic_pointer_cast<FileStream>(s)) flush_mappings(*world_, cx, f->node.get());
  return 0;
}

dk_status_t SimHost::DkStreamDelete(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  const uint64_t which = call.arg(1);
  if (which > DK_DELETE_WRITE) return -DK_E_INVAL;
  auto p = std::dynamic_pointer_cast<PathStream>(s);
  if (!p) return s->shutdown(static_cast<uint32_t>(which));
  if (which != DK_DELETE_ALL) return -DK_E_INVAL;
  if (dk_status_t st = check_policy(cx, NamespaceOp::Delete, p->uri, Access::Write)) return st;
  return delete_path(*p);
}

dk_status_t SimHost::DkStreamWaitForClient(CallContext& cx, Call& call) {
  std::shared_ptr<Listener> l;
  if (dk_status_t st = get_stream_as(cx, call.arg(0), l)) return st;
  if (l->backlog.empty()) {
    if (l->closed) return -DK_E_NOTCONN;
    return block_or_again(cx, l->nonblocking);
  }
  if (dk_status_t st = quotas_.stream(cx)) return st;  // the client stays first in line
  dk_handle_t h = cx.handles.insert(l->backlog.front());
  if (!h) return -DK_E_QUOTA;
  l->backlog.pop_front();
  call.set_out(1, h);
  return 0;
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

dk_status_t SimHost::DkStreamAttributesQueryByHandle(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  dk_stream_attr& a = call.attr;
  a.type = s->type;
  a.share = s->mode();
  a.size = s->size();
  a.readable = s->readable;
  a.writable = s->writable;
  a.nonblocking = s->nonblocking;
  return 0;
}

dk_status_t SimHost::DkStreamAttributesSetByHandle(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  if (call.attr.share > 0777 || call.attr.nonblocking > 1) return -DK_E_INVAL;
  s->set_mode(call.attr.share);
  s->nonblocking = call.attr.nonblocking != 0;
  return 0;
}

dk_status_t SimHost::DkStreamGetName(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  const uint64_t need = s->name.size() + 1;
  call.set_out(2, need);
  if (need > call.room) return -DK_E_OVERFLOW;
  call.out_bytes.assign(s->name.begin(), s->name.end());
  call.out_bytes.push_back(0);
  return 0;
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
