// Streams (calls 22, 23, 27-29, 31-33): the calls every stream kind shares, whichever host
// owns the stream, and the checks every host's DkStreamOpen starts with. Opening, attribute
// queries by URI, renames and lengths depend on what backs a path and stay with the host; so
// does what a host-specific server accepts.
#include "dk/core/core_host.h"
#include "dk/core/pipe.h"

namespace dk {

dk_status_t check_open_request(const Call& call, Uri& uri) {
  const uint64_t access = call.arg(1), share = call.arg(2), create = call.arg(3),
                 options = call.arg(4);
  const uint64_t mode = access & ~uint64_t{DK_ACCESS_APPEND};
  if (mode > DK_ACCESS_RDWR || create > (DK_CREATE_ALWAYS | DK_CREATE_TRUNCATE) ||
      (create & DK_CREATE_TRY && create & DK_CREATE_ALWAYS) || options > DK_OPTION_NONBLOCK ||
      share > 0777)
    return -DK_E_INVAL;
  return parse_uri(call.uri, UriRole::Guest, uri);
}

dk_status_t CoreHost::DkStreamRead(CallContext& cx, Call& call) {
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

dk_status_t CoreHost::DkStreamWrite(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  if (dk_status_t st = write_refusal(*s, call.arg(1))) return st;
  StreamIo io{cx, call.arg(1), 0, &call.in_bytes, nullptr};
  dk_status_t st = s->write(io);
  if (st == 0) call.set_out(3, io.done);
  return st;
}

dk_status_t CoreHost::DkStreamFlush(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  if (s->type == DK_STREAM_FILE) flush_mappings(cx, *s);
  return s->flush();
}

dk_status_t CoreHost::DkStreamDelete(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  const uint64_t which = call.arg(1);
  if (which > DK_DELETE_WRITE) return -DK_E_INVAL;
  if (s->type != DK_STREAM_FILE && s->type != DK_STREAM_DIR)
    return s->shutdown(static_cast<uint32_t>(which));
  if (which != DK_DELETE_ALL) return -DK_E_INVAL;
  return delete_named(cx, s);
}

dk_status_t CoreHost::DkStreamWaitForClient(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  auto l = std::dynamic_pointer_cast<Listener>(s);
  if (!l) return wait_for_client(cx, call, s);
  if (l->backlog.empty()) {
    if (l->closed) return -DK_E_NOTCONN;
    return block_or_again(cx, l->nonblocking);
  }
  dk_handle_t h = cx.handles.insert(l->backlog.front());
  if (!h) return -DK_E_QUOTA;
  l->backlog.pop_front();
  call.set_out(1, h);
  return 0;
}

dk_status_t CoreHost::DkStreamAttributesQueryByHandle(CallContext& cx, Call& call) {
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

dk_status_t CoreHost::DkStreamAttributesSetByHandle(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  if (call.attr.share > 0777 || call.attr.nonblocking > 1) return -DK_E_INVAL;
  s->set_mode(call.attr.share);
  s->nonblocking = call.attr.nonblocking != 0;
  wake_stream_waiters(*s);
  return 0;
}

dk_status_t CoreHost::DkStreamGetName(CallContext& cx, Call& call) {
  std::shared_ptr<HostStream> s;
  if (dk_status_t st = get_stream(cx, call.arg(0), s)) return st;
  const uint64_t need = s->name.size() + 1;
  call.set_out(2, need);
  if (need > call.room) return -DK_E_OVERFLOW;
  call.out_bytes.assign(s->name.begin(), s->name.end());
  call.out_bytes.push_back(0);
  return 0;
}

}  // namespace dk
