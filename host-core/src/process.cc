// Processes (calls 17, 19): a child picoprocess in the same world from an image the host
// found for the URI (child_image), with a pipe between the parent and the child's boot-info
// `parent` stream.
#include "dk/core/core_host.h"
#include "dk/core/pipe.h"

namespace dk {
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
  if (!cur.empty()) args.push_back(std::move(cur));  // a last argument without its NUL
  return args;
}

}  // namespace

void CoreHost::set_image(uint32_t pid, std::vector<uint8_t> image, std::string name) {
  processes_.set_image(pid, {std::move(image), std::move(name)});
}

dk_status_t CoreHost::self_image(uint32_t pid, ChildSpec& spec) const {
  const ProcessTable::Image* image = processes_.self_image(pid);
  if (!image) return -DK_E_NOENT;
  spec.image = image->bytes;
  spec.name = image->name;
  return 0;
}

dk_status_t CoreHost::DkProcessCreate(CallContext& cx, Call& call) {
  ChildSpec spec;
  if (dk_status_t st = child_image(cx, call.uri, spec)) return st;
  spec.args = split_args(call.in_bytes);

  std::shared_ptr<ConnEnd> parent_end, child_end;
  ConnEnd::make_pair(DK_STREAM_PIPE, "pipe:child", "pipe:parent", parent_end, child_end);
  spec.parent_end = child_end;
  ProcessTable::Image image{spec.image, spec.name};
  std::shared_ptr<ProcessObject> proc;
  dk_status_t created = cx.ctl.process_create(std::move(spec), proc);
  if (created) return created;
  if (!proc) return -DK_E_NOMEM;
  processes_.add_child(proc, std::move(image));
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

dk_status_t CoreHost::DkProcessExitCodeQuery(CallContext& cx, Call& call) {
  std::shared_ptr<ProcessObject> p;
  if (dk_status_t st = cx.handles.get_as(call.arg(0), ObjectKind::Process, p)) return st;
  if (!p->exited) return -DK_E_BUSY;
  call.set_out(1, static_cast<uint64_t>(p->exit_code));
  return 0;
}

}  // namespace dk
