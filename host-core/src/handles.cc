// Handles (calls 35-38): references, close, and passing handles over pipes. A handle sent
// with DkSendHandle is queued in order with the pipe's bytes; the receiver gets a new handle
// to the same object in its own table.
#include "dk/core/core_host.h"
#include "dk/core/pipe.h"

namespace dk {
namespace {

dk_status_t get_pipe(CallContext& cx, dk_handle_t h, std::shared_ptr<ConnEnd>& out) {
  auto o = cx.handles.get(h);
  if (!o) return -DK_E_BADHANDLE;
  out = std::dynamic_pointer_cast<ConnEnd>(o);
  return out && out->type == DK_STREAM_PIPE ? 0 : -DK_E_WRONGTYPE;
}

}  // namespace

dk_status_t CoreHost::DkObjectReference(CallContext& cx, Call& call) {
  auto o = cx.handles.get(call.arg(0));
  if (!o) return -DK_E_BADHANDLE;
  dk_handle_t h = cx.handles.insert(std::move(o));
  if (!h) return -DK_E_QUOTA;
  call.set_out(1, h);
  return 0;
}

dk_status_t CoreHost::DkObjectClose(CallContext& cx, Call& call) {
  return cx.handles.erase(call.arg(0)) ? 0 : -DK_E_BADHANDLE;
}

dk_status_t CoreHost::DkSendHandle(CallContext& cx, Call& call) {
  std::shared_ptr<ConnEnd> pipe;
  if (dk_status_t st = get_pipe(cx, call.arg(0), pipe)) return st;
  auto cargo = cx.handles.get(call.arg(1));
  if (!cargo) return -DK_E_BADHANDLE;
  return pipe->send(std::move(cargo));
}

dk_status_t CoreHost::DkReceiveHandle(CallContext& cx, Call& call) {
  std::shared_ptr<ConnEnd> pipe;
  if (dk_status_t st = get_pipe(cx, call.arg(0), pipe)) return st;
  std::shared_ptr<HostObject> cargo;
  if (dk_status_t st = pipe->receive(cx, cargo)) return st;
  dk_handle_t h = cx.handles.insert(cargo);
  if (!h) {
    pipe->in().cargo.push_front({pipe->in().read_total, std::move(cargo)});  // stays first
    return -DK_E_QUOTA;
  }
  call.set_out(1, h);
  return 0;
}

}  // namespace dk
