// The JSON lines of `dk trace show --json`: every field a record kind carries, with the same
// names as trace_format.h, so a tool reads values instead of parsing the text rendering.
// Numbers stay numbers as long as a double holds them exactly (2^53); larger u64 values are
// decimal strings. Buffers are whole, in lowercase hex.
#include <cstring>

#include "dk/trace_render.h"

namespace dk {
namespace {

constexpr uint64_t kExactInDouble = 1ull << 53;

class Obj {
 public:
  Obj& u(const char* k, uint64_t v) {
    return raw(k, v <= kExactInDouble ? std::to_string(v) : "\"" + std::to_string(v) + "\"");
  }
  Obj& i(const char* k, int64_t v) {
    const bool exact =
        v >= -static_cast<int64_t>(kExactInDouble) && v <= static_cast<int64_t>(kExactInDouble);
    return raw(k, exact ? std::to_string(v) : "\"" + std::to_string(v) + "\"");
  }
  Obj& s(const char* k, const std::string& v) { return raw(k, json_string(v)); }
  Obj& b(const char* k, bool v) { return raw(k, v ? "true" : "false"); }
  Obj& raw(const char* k, const std::string& v) {
    o_ += (o_.empty() ? "{" : ",") + json_string(k) + ":" + v;
    return *this;
  }
  std::string str() const { return o_.empty() ? "{}" : o_ + "}"; }

 private:
  std::string o_;
};

std::string u64_value(uint64_t v) {
  return v <= kExactInDouble ? std::to_string(v) : "\"" + std::to_string(v) + "\"";
}

std::string hex_bytes(const uint8_t* p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string s = "\"";
  s.reserve(2 * n + 2);
  for (size_t i = 0; i < n; ++i) {
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s + "\"";
}
std::string hex_bytes(const std::vector<uint8_t>& v) {
  return hex_bytes(v.data(), v.size());
}

std::string u64_array(const uint64_t* v, size_t n) {
  std::string s = "[";
  for (size_t i = 0; i < n; ++i) s += (i ? "," : "") + u64_value(v[i]);
  return s + "]";
}

std::string str_array(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + json_string(v[i]);
  return s + "]";
}

std::string attr_json(const dk_stream_attr& a) {
  return Obj()
      .u("type", a.type)
      .u("share", a.share)
      .u("size", a.size)
      .u("readable", a.readable)
      .u("writable", a.writable)
      .u("nonblocking", a.nonblocking)
      .u("reserved", a.reserved)
      .str();
}

std::string sysinfo_json(const dk_system_info& s) {
  return Obj()
      .u("abi_major", s.abi_major)
      .u("abi_minor", s.abi_minor)
      .u("page_size", s.page_size)
      .u("alloc_granularity", s.alloc_granularity)
      .u("user_low", s.user_low)
      .u("user_high", s.user_high)
      .u("cpu_count", s.cpu_count)
      .u("reserved", s.reserved)
      .s("host_name", std::string(s.host_name, strnlen(s.host_name, sizeof s.host_name)))
      .str();
}

std::string context_json(const dk_context& c) {
  return Obj()
      .u("rax", c.rax)
      .u("rbx", c.rbx)
      .u("rcx", c.rcx)
      .u("rdx", c.rdx)
      .u("rsi", c.rsi)
      .u("rdi", c.rdi)
      .u("rbp", c.rbp)
      .u("rsp", c.rsp)
      .u("r8", c.r8)
      .u("r9", c.r9)
      .u("r10", c.r10)
      .u("r11", c.r11)
      .u("r12", c.r12)
      .u("r13", c.r13)
      .u("r14", c.r14)
      .u("r15", c.r15)
      .u("rip", c.rip)
      .u("rflags", c.rflags)
      .u("fs_base", c.fs_base)
      .u("gs_base", c.gs_base)
      .raw("fxsave", hex_bytes(c.fxsave, sizeof c.fxsave))
      .str();
}

std::string effects_json(const std::vector<Effect>& effects) {
  std::string s = "[";
  for (size_t k = 0; k < effects.size(); ++k) {
    const Effect& e = effects[k];
    s += (k ? "," : "") + Obj()
                              .s("op", effect_name(e.op))
                              .raw("v", u64_array(e.v, 5))
                              .i("result", e.result)
                              .raw("bytes", hex_bytes(e.bytes))
                              .raw("strs", str_array(e.strs))
                              .str();
  }
  return s + "]";
}

void downcall_json(const DowncallRecord& c, Obj& o) {
  const CallDesc* d = call_desc(c.index);
  o.s("call", d ? std::string(d->name) : "?").u("index", c.index);
  std::string args = "{";
  for (int i = 0; d && i < d->nargs; ++i)
    args += (i ? "," : "") + json_string(std::string(d->arg_names[i])) + ":" +
            json_string(render_arg(c, i));
  o.raw("args", args + "}");
  o.u("fields", c.fields)
      .raw("reg", u64_array(c.reg, 6))
      .raw("in_val", u64_array(c.in_val, 6))
      .u("room", c.room);
  if (c.fields & kHasUri) o.s("uri", c.uri);
  if (c.fields & kHasInBytes) {
    o.u("in_len", c.in_len).u("in_hash", c.in_hash).b("in_hashed", (c.fields & kInHashed) != 0);
    if (!(c.fields & kInHashed)) o.raw("in_bytes", hex_bytes(c.in_bytes));
  }
  if (c.fields & kHasHandles) {
    std::string h = "[";
    for (size_t k = 0; k < c.handles.size(); ++k) h += (k ? "," : "") + u64_value(c.handles[k]);
    o.raw("handles", h + "]");
  }
  if (c.fields & kHasContext) o.raw("context", context_json(c.ctx));
  if (c.fields & kHasAttrIn) o.raw("attr_in", attr_json(c.attr_in));
  o.i("status", c.status).s("status_name", std::string(status_name(c.status)));
  o.u("written", c.written).raw("out_val", u64_array(c.out_val, 6));
  if (c.fields & kHasOutBytes) o.raw("out_bytes", hex_bytes(c.out_bytes));
  if (c.fields & kHasAttrOut) o.raw("attr_out", attr_json(c.attr_out));
  if (c.fields & kHasSysinfo) o.raw("sysinfo", sysinfo_json(c.sysinfo));
  if (c.fields & kHasEffects) o.raw("effects", effects_json(c.effects));
}

}  // namespace

std::string record_json(const TraceRecord& r) {
  Obj o;
  o.s("kind", record_kind_name(r.kind))
      .u("tick", r.tick)
      .u("pid", r.pid)
      .u("thread", r.thread)
      .u("rip", r.rip);
  switch (r.kind) {
    case RecordKind::Downcall:
      downcall_json(r.call, o);
      break;
    case RecordKind::Schedule:
      o.u("next_pid", r.schedule.next_pid)
          .u("next_thread", r.schedule.next_thread)
          .u("reason", r.schedule.reason);
      break;
    case RecordKind::Exception:
      o.u("type", r.exception.type)
          .u("detail", r.exception.detail)
          .u("address", r.exception.address);
      break;
    case RecordKind::ForeignTrap:
      o.u("detail", r.trap.detail).u("number", r.trap.number);
      break;
    case RecordKind::Upcall:
      o.u("which", r.upcall.which).u("entry", r.upcall.entry).u("arg", r.upcall.arg);
      break;
    case RecordKind::Rdtsc:
      o.u("value", r.rdtsc);
      break;
    case RecordKind::End:
      o.u("reason", r.end.reason).i("exit_code", r.end.exit_code).s("message", r.end.message);
      break;
    case RecordKind::Clock:
      o.u("value", r.clock);
      break;
    case RecordKind::Idle:
      o.u("deadline", r.idle.deadline).b("woke", r.idle.woke != 0);
      break;
    case RecordKind::Checksum:
      o.u("hash", r.checksum.hash).u("downcalls", r.checksum.downcalls);
      break;
  }
  return o.s("text", render_event(r)).str();
}

std::string header_json(const TraceHeader& h) {
  std::string files = "{";
  for (size_t i = 0; i < h.files.size(); ++i)
    files += (i ? "," : "") + json_string(h.files[i].name) + ":" + u64_value(h.files[i].hash);
  const TraceLaunch& l = h.launch;
  const std::string launch = Obj()
                                 .u("image_size", l.image.size())
                                 .u("image_hash", trace_hash(l.image.data(), l.image.size()))
                                 .s("name", l.name)
                                 .raw("args", str_array(l.args))
                                 .raw("env", str_array(l.env))
                                 .u("stack_size", l.stack_size)
                                 .s("stdin", l.stdin_uri)
                                 .s("stdout", l.stdout_uri)
                                 .s("stderr", l.stderr_uri)
                                 .u("quantum", l.quantum)
                                 .u("max_ticks", l.max_ticks)
                                 .u("max_world_ticks", l.max_world_ticks)
                                 .u("checksum_every", l.checksum_every)
                                 .str();
  return Obj()
      .s("kind", "header")
      .s("format", std::to_string(h.format_major) + "." + std::to_string(h.format_minor))
      .s("abi", std::to_string(h.abi_major) + "." + std::to_string(h.abi_minor))
      .u("flags", h.flags)
      .b("inputs_hashed", (h.flags & kTraceInputsHashed) != 0)
      .u("seed", h.seed)
      .s("host", h.host_kind)
      .s("unicorn", h.unicorn_version)
      .s("image", h.image_name)
      .u("image_hash", h.image_hash)
      .raw("files", files + "}")
      .raw("cpuid", hex_bytes(h.cpuid))
      .raw("command_line", str_array(h.command_line))
      .raw("launch", launch)
      .str();
}

}  // namespace dk
