// The plug-in adapter. Each call gets a dk_plugin_call filled from the checked Call and a
// dk_plugin_services whose callbacks close over this call's CallContext; results come back
// into the Call for the dispatcher to copy out. Objects the plug-in puts in handle tables
// are PluginObjects: an opaque pointer and a release function, run with the last handle.
#include "dk/plugin_host.h"

#include <dlfcn.h>

#include <cstring>

namespace dk {
namespace {

struct PluginObject : HostObject {
  PluginObject(ObjectKind k, void* o, void (*r)(void*)) : HostObject(k), object(o), release(r) {}
  ~PluginObject() override {
    if (release) release(object);
  }
  void* object;
  void (*release)(void*);
};

// Per call: what the callbacks reach through `self`.
struct CallScope {
  CallContext& cx;
  const PluginIo& io;
};

CallScope& scope(void* self) {
  return *static_cast<CallScope*>(self);
}

bool valid_kind(uint32_t kind) {
  return kind >= DK_PLUGIN_OBJ_SEMAPHORE && kind <= DK_PLUGIN_OBJ_STREAM;
}

dk_status_t svc_mem_read(void* self, uint64_t addr, void* dst, uint64_t len) {
  return scope(self).cx.mem.read(addr, dst, len) ? 0 : -DK_E_FAULT;
}
dk_status_t svc_mem_write(void* self, uint64_t addr, const void* src, uint64_t len) {
  return scope(self).cx.mem.write(addr, src, len) ? 0 : -DK_E_FAULT;
}
dk_status_t svc_vm_allocate(void* self, uint64_t* addr, uint64_t size, uint32_t alloc,
                            uint32_t prot) {
  if (!addr) return -DK_E_INVAL;
  return scope(self).cx.ctl.vm_allocate(*addr, size, alloc, prot);
}
dk_status_t svc_vm_free(void* self, uint64_t addr, uint64_t size) {
  return scope(self).cx.ctl.vm_free(addr, size);
}
dk_status_t svc_vm_protect(void* self, uint64_t addr, uint64_t size, uint32_t prot) {
  return scope(self).cx.ctl.vm_protect(addr, size, prot);
}
dk_status_t svc_set_segment(void* self, uint32_t reg, uint64_t base) {
  return scope(self).cx.ctl.set_segment(reg, base);
}
dk_status_t svc_exception_return(void* self, const dk_context* ctx) {
  if (!ctx) return -DK_E_FAULT;
  return scope(self).cx.ctl.exception_return(*ctx);
}
void svc_thread_exit(void* self) {
  scope(self).cx.ctl.thread_exit();
}
void svc_process_exit(void* self, int64_t code) {
  scope(self).cx.ctl.process_exit(code);
}
dk_status_t svc_thread_create(void* self, uint64_t arg, uint64_t stack_top, dk_handle_t* out) {
  if (!out) return -DK_E_INVAL;
  std::shared_ptr<ThreadObject> t;
  dk_status_t st = scope(self).cx.ctl.thread_create(arg, stack_top, t);
  if (st) return st;
  dk_handle_t h = scope(self).cx.handles.insert(t);
  if (!h) return -DK_E_QUOTA;
  *out = h;
  return 0;
}
void svc_yield(void* self) {
  scope(self).cx.ctl.yield();
}
dk_status_t svc_thread_resume(void* self, dk_handle_t h) {
  std::shared_ptr<ThreadObject> t;
  if (dk_status_t st = scope(self).cx.handles.get_as(h, ObjectKind::Thread, t)) return st;
  return scope(self).cx.ctl.thread_resume(*t);
}
dk_handle_t svc_handle_insert(void* self, uint32_t kind, void* object, void (*release)(void*)) {
  if (!valid_kind(kind)) return 0;
  return scope(self).cx.handles.insert(
      std::make_shared<PluginObject>(static_cast<ObjectKind>(kind), object, release));
}
dk_status_t svc_handle_get(void* self, dk_handle_t h, uint32_t kind, void** object) {
  auto obj = scope(self).cx.handles.get(h);
  if (!obj) return -DK_E_BADHANDLE;
  if (kind != 0 && static_cast<uint32_t>(obj->kind()) != kind) return -DK_E_WRONGTYPE;
  if (object) {
    auto* p = dynamic_cast<PluginObject*>(obj.get());
    *object = p ? p->object : nullptr;
  }
  return 0;
}
dk_status_t svc_handle_kind(void* self, dk_handle_t h, uint32_t* kind) {
  auto obj = scope(self).cx.handles.get(h);
  if (!obj) return -DK_E_BADHANDLE;
  if (kind) *kind = static_cast<uint32_t>(obj->kind());
  return 0;
}
dk_status_t svc_handle_close(void* self, dk_handle_t h) {
  return scope(self).cx.handles.erase(h) ? 0 : -DK_E_BADHANDLE;
}
dk_status_t svc_object_exited(void* self, dk_handle_t h, int* exited, int64_t* code) {
  auto obj = scope(self).cx.handles.get(h);
  if (!obj) return -DK_E_BADHANDLE;
  if (auto* t = dynamic_cast<ThreadObject*>(obj.get())) {
    if (exited) *exited = t->exited;
    if (code) *code = 0;
    return 0;
  }
  if (auto* p = dynamic_cast<ProcessObject*>(obj.get())) {
    if (exited) *exited = p->exited;
    if (code) *code = p->exit_code;
    return 0;
  }
  return -DK_E_WRONGTYPE;
}
void svc_block(void* self, uint64_t deadline) {
  scope(self).cx.ctl.block(deadline);
}
uint64_t svc_wait_deadline(void* self) {
  return scope(self).cx.ctl.wait_deadline();
}
int svc_take_interrupt(void* self) {
  return scope(self).cx.ctl.take_interrupt() ? 1 : 0;
}
uint64_t svc_now_ns(void* self) {
  return scope(self).cx.now_ns;
}
void svc_console_write(void* self, int fd, const void* data, uint64_t len) {
  if (scope(self).io.console && data)
    scope(self).io.console->write(fd == 2 ? 2 : 1, static_cast<const uint8_t*>(data), len);
}
uint64_t svc_console_read(void* self, void* data, uint64_t len) {
  if (!scope(self).io.console || !data) return 0;
  return scope(self).io.console->read(static_cast<uint8_t*>(data), len);
}
void svc_debug_write(void* self, const void* data, uint64_t len) {
  if (scope(self).io.debug_log && data)
    scope(self).io.debug_log->append(static_cast<const char*>(data), len);
}

dk_plugin_services make_services(CallScope& s) {
  dk_plugin_services v{};
  v.version = DK_PLUGIN_ABI_VERSION;
  v.size = sizeof v;
  v.self = &s;
  v.mem_read = svc_mem_read;
  v.mem_write = svc_mem_write;
  v.vm_allocate = svc_vm_allocate;
  v.vm_free = svc_vm_free;
  v.vm_protect = svc_vm_protect;
  v.set_segment = svc_set_segment;
  v.exception_return = svc_exception_return;
  v.thread_exit = svc_thread_exit;
  v.process_exit = svc_process_exit;
  v.thread_create = svc_thread_create;
  v.yield = svc_yield;
  v.thread_resume = svc_thread_resume;
  v.handle_insert = svc_handle_insert;
  v.handle_get = svc_handle_get;
  v.handle_kind = svc_handle_kind;
  v.handle_close = svc_handle_close;
  v.object_exited = svc_object_exited;
  v.block = svc_block;
  v.wait_deadline = svc_wait_deadline;
  v.take_interrupt = svc_take_interrupt;
  v.now_ns = svc_now_ns;
  v.console_write = svc_console_write;
  v.console_read = svc_console_read;
  v.debug_write = svc_debug_write;
  return v;
}

// The slot for call `index`, or NULL.
dk_plugin_call_fn slot(const dk_plugin_host& t, uint32_t index) {
  switch (index) {
#define DK_X_SLOT(idx, name, kinds, names) \
  case idx:                                \
    return t.name;
    DK_CALL_LIST(DK_X_SLOT)
#undef DK_X_SLOT
    default:
      return nullptr;
  }
}

}  // namespace

std::unique_ptr<PluginHost> PluginHost::load(const std::string& spec, PluginIo io,
                                             std::string& error) {
  const size_t comma = spec.find(',');
  const std::string path = spec.substr(0, comma);
  const std::string config = comma == std::string::npos ? "" : spec.substr(comma + 1);
  void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    const char* e = dlerror();
    error = "cannot load plug-in " + path + ": " + (e ? e : "dlopen failed");
    return nullptr;
  }
  auto fail = [&](const std::string& msg) -> std::unique_ptr<PluginHost> {
    error = "plug-in " + path + ": " + msg;
    dlclose(lib);
    return nullptr;
  };
  auto* version = static_cast<const uint32_t*>(dlsym(lib, "dk_plugin_abi_version"));
  if (!version) return fail("no dk_plugin_abi_version symbol");
  if (*version != DK_PLUGIN_ABI_VERSION)
    return fail("plug-in ABI version " + std::to_string(*version) + ", dk needs " +
                std::to_string(DK_PLUGIN_ABI_VERSION));
  auto entry = reinterpret_cast<dk_plugin_entry_fn>(dlsym(lib, "dk_plugin_entry"));
  if (!entry) return fail("no dk_plugin_entry symbol");
  const dk_plugin_host* table = entry();
  if (!table) return fail("dk_plugin_entry returned NULL");
  if (table->abi_version != DK_PLUGIN_ABI_VERSION || table->size < sizeof(dk_plugin_host))
    return fail("its host table has another ABI version or size");
  if (!table->open) return fail("its host table has no open()");

  char msg[256] = {0};
  void* host = table->open(config.c_str(), msg, sizeof msg);
  msg[sizeof msg - 1] = 0;
  if (!host) return fail(std::string("open failed: ") + (msg[0] ? msg : "no reason given"));

  std::unique_ptr<PluginHost> p(new PluginHost());
  p->lib_ = lib;
  p->table_ = table;
  p->host_ = host;
  p->name_ = table->name ? std::string(table->name).substr(0, 31) : "plugin";
  p->io_ = std::move(io);
  return p;
}

PluginHost::~PluginHost() {
  if (table_ && table_->close) table_->close(host_);
  // The library stays loaded: objects it released may still be referenced by handle tables
  // that outlive the host (their release functions live in it).
}

uint64_t PluginHost::cycle_counter(const CallContext& cx) {
  if (table_->cycle_counter) return table_->cycle_counter(host_, cx.tick);
  return cx.tick * 30;
}

void PluginHost::bind_std_handle(CallContext& cx, int which, dk_handle_t h) {
  if (!table_->bind_std_handle) return;
  CallScope s{cx, io_};
  const dk_plugin_services svc = make_services(s);
  table_->bind_std_handle(host_, which, h, &svc);
}

dk_status_t PluginHost::serve(CallContext& cx, Call& call) {
  const dk_plugin_call_fn fn = slot(*table_, call.index);
  if (!fn) return -DK_E_NOTSUP;

  dk_plugin_call pc{};
  pc.index = call.index;
  pc.nargs = call.desc ? call.desc->nargs : 0;
  for (int i = 0; i < 6; ++i) pc.arg[i] = call.val[i];
  bool has_uri = false, has_attr_in = false, has_ctx = false, has_attr_out = false,
       has_sysinfo = false, has_buf_out = false;
  for (uint32_t i = 0; i < pc.nargs; ++i) {
    switch (call.desc->kinds[i]) {
      case DK_ARG_URI:
        has_uri = true;
        break;
      case DK_ARG_ATTR_IN:
        has_attr_in = true;
        break;
      case DK_ARG_CONTEXT_IN:
        has_ctx = true;
        break;
      case DK_ARG_ATTR_OUT:
        has_attr_out = true;
        break;
      case DK_ARG_SYSINFO_OUT:
        has_sysinfo = true;
        break;
      case DK_ARG_BUF_OUT_LEN_NEXT:
      case DK_ARG_BUF_OUT_COUNT_NEXT:
        has_buf_out = true;
        break;
      default:
        break;
    }
  }
  if (has_uri) {
    pc.uri = call.uri.c_str();
    pc.uri_len = call.uri.size();
  }
  pc.in = call.in_bytes.data();
  pc.in_len = call.in_bytes.size();
  pc.handles = call.handles.data();
  pc.nhandles = static_cast<uint32_t>(call.handles.size());
  if (has_ctx) pc.ctx = &call.ctx;
  if (has_attr_in) pc.attr_in = &call.attr;
  dk_stream_attr attr_out{};
  if (has_attr_out) pc.attr_out = &attr_out;
  dk_system_info sysinfo{};
  if (has_sysinfo) pc.sysinfo_out = &sysinfo;
  if (has_buf_out) {
    call.out_bytes.assign(call.room, 0);
    pc.buf = call.out_bytes.data();
    pc.room = call.room;
  }
  pc.pid = cx.pid;
  pc.thread = cx.thread;
  pc.tick = cx.tick;
  pc.rip = cx.rip;
  pc.now_ns = cx.now_ns;

  CallScope s{cx, io_};
  const dk_plugin_services svc = make_services(s);
  dk_status_t st = fn(host_, &pc, &svc);
  if (st == DK_PLUGIN_BLOCKED) return kBlocked;

  for (int i = 0; i < 6; ++i)
    if (pc.out_set & (1u << i)) call.set_out(i, pc.out[i]);
  if (has_buf_out) call.out_bytes.resize(pc.buf_len < call.room ? pc.buf_len : call.room);
  if (has_attr_out) call.attr = attr_out;
  if (has_sysinfo) call.sysinfo = sysinfo;
  return st;
}

}  // namespace dk
