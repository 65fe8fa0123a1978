// Processes (calls 17, 19): a child picoprocess in the same world from self: or an image
// file the namespace lets the caller read, with a pipe to the child's `parent` stream.
#include "dk/native_host.h"
#include "native_world.h"

namespace dk {

using namespace native;
namespace {

std::vector<std::string> split_args(const std::vector<uint8_t>& block) {
  std::vector<std::string> args;
  std::string cur;
  for (uint8_t b : block) {
    if (b == 0) {
      args.push_back(std::move(cur));
      cur.clear();
    } else {
      cur.push_back(static_cast<char>(b));
    }
  }
  if (!cur.empty()) args.push_back(std::move(cur));
  return args;
}

}  // namespace

dk_status_t NativeHost::DkProcessCreate(CallContext& cx, Call& call) {
  NativeWorld& w = *world_;
  Resolved r;
  if (dk_status_t st = resolve(cx.pid, call.uri, Access::Read, r)) return st;
  ChildSpec spec;
  if (r.target == Resolved::Target::Self) {
    auto it = w.images.find(cx.pid);
    if (it != w.images.end()) {
      spec.image = it->second.bytes;
      spec.name = it->second.name;
    } else if (!config_.image.empty()) {
      spec.image = config_.image;
      spec.name = config_.name;
    } else {
      return -DK_E_NOENT;
    }
  } else if (r.uri.scheme == UriScheme::File || r.uri.scheme == UriScheme::Package) {
    if (dk_status_t st = read_whole(w, r, spec.image)) return st == -DK_E_NOTDIR ? -DK_E_NOENT : st;
    spec.name = r.uri.path.substr(r.uri.path.find_last_of('/') + 1);
  } else {
    return -DK_E_ACCESS;
  }
  spec.args = split_args(call.in_bytes);

  std::shared_ptr<ConnEnd> parent_end, child_end;
  ConnEnd::make_pair(DK_STREAM_PIPE, "pipe:child", "pipe:parent", parent_end, child_end);
  spec.parent_end = child_end;
  std::vector<uint8_t> image = spec.image;
  std::string name = spec.name;
  std::shared_ptr<ProcessObject> proc;
  quotas_.begin_child(cx.pid);
  dk_status_t created = cx.ctl.process_create(std::move(spec), proc);
  quotas_.end_child(created == 0 && proc ? proc->pid : 0);
  if (created) return created;
  if (!proc) return -DK_E_NOMEM;
  w.images[proc->pid] = {std::move(image), std::move(name)};
  w.processes[proc->pid] = proc;
  parent_end->name = "pipe:child." + std::to_string(proc->pid);

  dk_handle_t ph = cx.handles.insert(proc);
  if (!ph) return -DK_E_QUOTA;
  dk_handle_t sh = cx.handles.insert(parent_end);
  if (!sh) {
    cx.handles.erase(ph);
    return -DK_E_QUOTA;
  }
  call.set_out(3, ph);
  call.set_out(4, sh);
  return 0;
}

dk_status_t NativeHost::DkProcessExitCodeQuery(CallContext& cx, Call& call) {
  std::shared_ptr<ProcessObject> p;
  if (dk_status_t st = cx.handles.get_as(call.arg(0), ObjectKind::Process, p)) return st;
  if (!p->exited) return -DK_E_BUSY;
  call.set_out(1, static_cast<uint64_t>(p->exit_code));
  return 0;
}

}  // namespace dk
