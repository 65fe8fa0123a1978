// The JSON lines of `dk trace show --json`: every field a record kind carries, with the same
// names as trace_format.h, so a tool reads values instead of parsing the text rendering.
// Numbers stay numbers as long as a double holds them exactly (2^53); larger u64 values are
// decimal strings. Buffers are whole, in lowercase hex.
#include <cstring>

#include "dk/json.h"
#include "dk/trace_render.h"

namespace dk {
namespace {

constexpr uint64_t kExactInDouble = 1ull << 53;

// A u64 as a number while a double holds it exactly, else as a decimal string.
void u64(JsonWriter& j, uint64_t v) {
  if (v <= kExactInDouble)
    j.value(v);
  else
    j.value(std::to_string(v));
}
void i64(JsonWriter& j, int64_t v) {
  if (v >= -static_cast<int64_t>(kExactInDouble) && v <= static_cast<int64_t>(kExactInDouble))
    j.value(v);
  else
    j.value(std::to_string(v));
}
void u64(JsonWriter& j, std::string_view k, uint64_t v) {
  u64(j.key(k), v);
}

std::string hex(const uint8_t* p, size_t n) {
  static const char digits[] = "0123456789abcdef";
  std::string s;
  s.reserve(2 * n);
  for (size_t i = 0; i < n; ++i) {
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s;
}
std::string hex(const std::vector<uint8_t>& v) {
  return hex(v.data(), v.size());
}

void u64_array(JsonWriter& j, const char* k, const uint64_t* v, size_t n) {
  j.key(k).begin_array();
  for (size_t i = 0; i < n; ++i) u64(j, v[i]);
  j.end_array();
}

void str_array(JsonWriter& j, const char* k, const std::vector<std::string>& v) {
  j.key(k).begin_array();
  for (const auto& s : v) j.value(s);
  j.end_array();
}

void attr_json(JsonWriter& j, const char* k, const dk_stream_attr& a) {
  j.key(k).begin_object();
  u64(j, "type", a.type);
  u64(j, "share", a.share);
  u64(j, "size", a.size);
  u64(j, "readable", a.readable);
  u64(j, "writable", a.writable);
  u64(j, "nonblocking", a.nonblocking);
  u64(j, "reserved", a.reserved);
  j.end_object();
}

void sysinfo_json(JsonWriter& j, const dk_system_info& s) {
  j.key("sysinfo").begin_object();
  u64(j, "abi_major", s.abi_major);
  u64(j, "abi_minor", s.abi_minor);
  u64(j, "page_size", s.page_size);
  u64(j, "alloc_granularity", s.alloc_granularity);
  u64(j, "user_low", s.user_low);
  u64(j, "user_high", s.user_high);
  u64(j, "cpu_count", s.cpu_count);
  u64(j, "reserved", s.reserved);
  j.field("host_name", std::string(s.host_name, strnlen(s.host_name, sizeof s.host_name)));
  j.end_object();
}

void context_json(JsonWriter& j, const dk_context& c) {
  j.key("context").begin_object();
  u64(j, "rax", c.rax);
  u64(j, "rbx", c.rbx);
  u64(j, "rcx", c.rcx);
  u64(j, "rdx", c.rdx);
  u64(j, "rsi", c.rsi);
  u64(j, "rdi", c.rdi);
  u64(j, "rbp", c.rbp);
  u64(j, "rsp", c.rsp);
  u64(j, "r8", c.r8);
  u64(j, "r9", c.r9);
  u64(j, "r10", c.r10);
  u64(j, "r11", c.r11);
  u64(j, "r12", c.r12);
  u64(j, "r13", c.r13);
  u64(j, "r14", c.r14);
  u64(j, "r15", c.r15);
  u64(j, "rip", c.rip);
  u64(j, "rflags", c.rflags);
  u64(j, "fs_base", c.fs_base);
  u64(j, "gs_base", c.gs_base);
  j.field("fxsave", hex(c.fxsave, sizeof c.fxsave));
  j.end_object();
}

void effects_json(JsonWriter& j, const std::vector<Effect>& effects) {
  j.key("effects").begin_array();
  for (const Effect& e : effects) {
    j.begin_object().field("op", effect_name(e.op));
    u64_array(j, "v", e.v, 5);
    i64(j.key("result"), e.result);
    j.field("bytes", hex(e.bytes));
    str_array(j, "strs", e.strs);
    j.end_object();
  }
  j.end_array();
}

void downcall_json(JsonWriter& j, const DowncallRecord& c) {
  const CallDesc* d = call_desc(c.index);
  j.field("call", d ? std::string(d->name) : "?");
  u64(j, "index", c.index);
  j.key("args").begin_object();
  for (int i = 0; d && i < d->nargs; ++i) j.field(d->arg_names[i], render_arg(c, i));
  j.end_object();
  u64(j, "fields", c.fields);
  u64_array(j, "reg", c.reg, 6);
  u64_array(j, "in_val", c.in_val, 6);
  u64(j, "room", c.room);
  if (c.fields & kHasUri) j.field("uri", c.uri);
  if (c.fields & kHasInBytes) {
    u64(j, "in_len", c.in_len);
    u64(j, "in_hash", c.in_hash);
    j.field("in_hashed", (c.fields & kInHashed) != 0);
    if (!(c.fields & kInHashed)) j.field("in_bytes", hex(c.in_bytes));
  }
  if (c.fields & kHasHandles) {
    j.key("handles").begin_array();
    for (const auto h : c.handles) u64(j, h);
    j.end_array();
  }
  if (c.fields & kHasContext) context_json(j, c.ctx);
  if (c.fields & kHasAttrIn) attr_json(j, "attr_in", c.attr_in);
  i64(j.key("status"), c.status);
  j.field("status_name", std::string(status_name(c.status)));
  u64(j, "written", c.written);
  u64_array(j, "out_val", c.out_val, 6);
  if (c.fields & kHasOutBytes) j.field("out_bytes", hex(c.out_bytes));
  if (c.fields & kHasAttrOut) attr_json(j, "attr_out", c.attr_out);
  if (c.fields & kHasSysinfo) sysinfo_json(j, c.sysinfo);
  if (c.fields & kHasEffects) effects_json(j, c.effects);
}

}  // namespace

std::string record_json(const TraceRecord& r) {
  JsonWriter j;
  j.begin_object().field("kind", record_kind_name(r.kind));
  u64(j, "tick", r.tick);
  u64(j, "pid", r.pid);
  u64(j, "thread", r.thread);
  u64(j, "rip", r.rip);
  switch (r.kind) {
    case RecordKind::Downcall:
      downcall_json(j, r.call);
      break;
    case RecordKind::Schedule:
      u64(j, "next_pid", r.schedule.next_pid);
      u64(j, "next_thread", r.schedule.next_thread);
      u64(j, "reason", r.schedule.reason);
      break;
    case RecordKind::Exception:
      u64(j, "type", r.exception.type);
      u64(j, "detail", r.exception.detail);
      u64(j, "address", r.exception.address);
      break;
    case RecordKind::ForeignTrap:
      u64(j, "detail", r.trap.detail);
      u64(j, "number", r.trap.number);
      break;
    case RecordKind::Upcall:
      u64(j, "which", r.upcall.which);
      u64(j, "entry", r.upcall.entry);
      u64(j, "arg", r.upcall.arg);
      break;
    case RecordKind::Rdtsc:
      u64(j, "value", r.rdtsc);
      break;
    case RecordKind::End:
      u64(j, "reason", r.end.reason);
      i64(j.key("exit_code"), r.end.exit_code);
      j.field("message", r.end.message);
      break;
    case RecordKind::Clock:
      u64(j, "value", r.clock);
      break;
    case RecordKind::Idle:
      u64(j, "deadline", r.idle.deadline);
      j.field("woke", r.idle.woke != 0);
      break;
    case RecordKind::Checksum:
      u64(j, "hash", r.checksum.hash);
      u64(j, "downcalls", r.checksum.downcalls);
      break;
  }
  j.field("text", render_event(r)).end_object();
  return j.str();
}

std::string header_json(const TraceHeader& h) {
  JsonWriter j;
  j.begin_object().field("kind", "header");
  j.field("format", std::to_string(h.format_major) + "." + std::to_string(h.format_minor));
  j.field("abi", std::to_string(h.abi_major) + "." + std::to_string(h.abi_minor));
  u64(j, "flags", h.flags);
  j.field("inputs_hashed", (h.flags & kTraceInputsHashed) != 0);
  u64(j, "seed", h.seed);
  j.field("host", h.host_kind).field("unicorn", h.unicorn_version).field("image", h.image_name);
  u64(j, "image_hash", h.image_hash);
  j.key("files").begin_object();
  for (const auto& f : h.files) u64(j, f.name, f.hash);
  j.end_object();
  j.field("cpuid", hex(h.cpuid));
  str_array(j, "command_line", h.command_line);
  const TraceLaunch& l = h.launch;
  j.key("launch").begin_object();
  u64(j, "image_size", l.image.size());
  u64(j, "image_hash", trace_hash(l.image.data(), l.image.size()));
  j.field("name", l.name);
  str_array(j, "args", l.args);
  str_array(j, "env", l.env);
  u64(j, "stack_size", l.stack_size);
  j.field("stdin", l.stdin_uri).field("stdout", l.stdout_uri).field("stderr", l.stderr_uri);
  u64(j, "quantum", l.quantum);
  u64(j, "max_ticks", l.max_ticks);
  u64(j, "max_world_ticks", l.max_world_ticks);
  u64(j, "checksum_every", l.checksum_every);
  j.end_object().end_object();
  return j.str();
}

}  // namespace dk
