// Rendering by argument kind: each kind says whether it prints a number, a handle, a string,
// bytes or a structure, and whether it is an input or a result.
#include "dk/trace_render.h"

#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "dk/host.h"

namespace dk {
namespace {

std::string hex(uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "0x%" PRIx64, v);
  return b;
}

// Small numbers read better in decimal, addresses and masks in hex.
std::string num(uint64_t v) { return v < 0x10000 ? std::to_string(v) : hex(v); }

std::string addr(uint64_t v) { return v == 0 ? "NULL" : hex(v); }

std::string attr_text(const dk_stream_attr& a) {
  char b[160];
  snprintf(b, sizeof b, "{type=%u, share=0%o, size=%" PRIu64 ", readable=%u, writable=%u, nonblocking=%u}",
           a.type, a.share, a.size, a.readable, a.writable, a.nonblocking);
  return b;
}

std::string sysinfo_text(const dk_system_info& s, size_t max) {
  const size_t n = strnlen(s.host_name, sizeof s.host_name);
  char b[160];
  snprintf(b, sizeof b, "{abi=%u.%u, page_size=%" PRIu64 ", cpu_count=%u, host_name=", s.abi_major,
           s.abi_minor, s.page_size, s.cpu_count);
  return b + quote_bytes(reinterpret_cast<const uint8_t*>(s.host_name), n, max < 32 ? max : 32) +
         "}";
}

std::string ctx_text(const dk_context& c) {
  return "{rip=" + hex(c.rip) + ", rsp=" + hex(c.rsp) + ", rax=" + hex(c.rax) + "}";
}

std::string arg_text(const DowncallRecord& c, const CallDesc& d, int i, bool with_result,
                     size_t max) {
  const bool ok = with_result && c.status == 0;
  const bool written = with_result && (c.written >> i & 1);
  switch (d.kinds[i]) {
    case DK_ARG_U32:
    case DK_ARG_U64:
      return num(c.in_val[i]);
    case DK_ARG_I64:
      return std::to_string(static_cast<int64_t>(c.in_val[i]));
    case DK_ARG_HANDLE:
      return hex(c.in_val[i]);
    case DK_ARG_ADDR:
      return addr(c.in_val[i]);
    case DK_ARG_URI:
      return quote_bytes(reinterpret_cast<const uint8_t*>(c.uri.data()), c.uri.size(),
                         max > 256 ? max : 256);
    case DK_ARG_BUF_IN_LEN_NEXT:
    case DK_ARG_BUF_IN_COUNT_NEXT:
      if (c.fields & kInHashed) return "<" + std::to_string(c.in_len) + " bytes, xxh3 " + hex(c.in_hash) + ">";
      return quote_bytes(c.in_bytes.data(), c.in_bytes.size(), max);
    case DK_ARG_BUF_OUT_LEN_NEXT:
    case DK_ARG_BUF_OUT_COUNT_NEXT:
      if (ok && (c.fields & kHasOutBytes))
        return quote_bytes(c.out_bytes.data(), c.out_bytes.size(), max);
      return addr(c.reg[i]);
    case DK_ARG_U64_INOUT:
    case DK_ARG_ADDR_INOUT: {
      auto f = d.kinds[i] == DK_ARG_ADDR_INOUT ? hex : num;
      std::string s = f(c.in_val[i]);
      if (written && c.out_val[i] != c.in_val[i]) s += "->" + f(c.out_val[i]);
      return s;
    }
    case DK_ARG_HANDLE_OUT:
      return written ? hex(c.out_val[i]) : addr(c.reg[i]);
    case DK_ARG_U32_OUT:
    case DK_ARG_U64_OUT:
      return written ? num(c.out_val[i]) : addr(c.reg[i]);
    case DK_ARG_U32_OUT_OPT:
      return written && c.reg[i] != 0 ? num(c.out_val[i]) : addr(c.reg[i]);
    case DK_ARG_I64_OUT:
      return written ? std::to_string(static_cast<int64_t>(c.out_val[i])) : addr(c.reg[i]);
    case DK_ARG_HANDLES_IN: {
      std::string s = "[";
      for (size_t k = 0; k < c.handles.size(); ++k) s += (k ? ", " : "") + hex(c.handles[k]);
      return s + "]";
    }
    case DK_ARG_CONTEXT_IN:
      return ctx_text(c.ctx);
    case DK_ARG_ATTR_IN:
      return attr_text(c.attr_in);
    case DK_ARG_ATTR_OUT:
      return ok && (c.fields & kHasAttrOut) ? attr_text(c.attr_out) : addr(c.reg[i]);
    case DK_ARG_SYSINFO_OUT:
      return ok && (c.fields & kHasSysinfo) ? sysinfo_text(c.sysinfo, max) : addr(c.reg[i]);
    default:
      return hex(c.reg[i]);
  }
}

const char* exception_name(uint32_t type) {
  static const char* const names[] = {"?", "MEMFAULT", "ILLEGAL", "ARITHMETIC", "BREAKPOINT", "FOREIGN_TRAP", "INTERRUPT"};
  return type < 7 ? names[type] : "?";
}

const char* schedule_reason(uint32_t r) {
  static const char* const names[] = {"?", "quantum", "yield", "block", "exit", "wake", "start"};
  return r < 7 ? names[r] : "?";
}

const char* upcall_name(uint32_t w) {
  static const char* const names[] = {"?", "LibOsInitialize", "LibOsThreadStart", "LibOsExceptionDispatch"};
  return w < 4 ? names[w] : "?";
}

}  // namespace

std::string render_event(const TraceRecord& r, size_t max_bytes) {
  switch (r.kind) {
    case RecordKind::Downcall:
      return render_call(r.call, true, max_bytes);
    case RecordKind::Schedule:
      return std::string("-- schedule: ") +
             (r.schedule.next_pid && r.schedule.next_pid != r.pid
                  ? "picoprocess " + std::to_string(r.schedule.next_pid) + " thread "
                  : std::string("thread ")) +
             std::to_string(r.schedule.next_thread) + " (" + schedule_reason(r.schedule.reason) + ")";
    case RecordKind::Exception:
      return std::string("-- exception ") + exception_name(r.exception.type) + " detail=" +
             hex(r.exception.detail) + " address=" + hex(r.exception.address) + " rip=" + hex(r.rip);
    case RecordKind::ForeignTrap:
      return "-- foreign trap detail=" + hex(r.trap.detail) + " number=" + hex(r.trap.number) + " rip=" + hex(r.rip);
    case RecordKind::Upcall:
      return std::string("-- upcall ") + upcall_name(r.upcall.which) + " entry=" + hex(r.upcall.entry) +
             " arg=" + hex(r.upcall.arg);
    case RecordKind::Rdtsc:
      return "-- rdtsc = " + std::to_string(r.rdtsc) + " rip=" + hex(r.rip);
    case RecordKind::End:
      return "-- end: reason " + std::to_string(r.end.reason) + ", exit code " + std::to_string(r.end.exit_code) +
             (r.end.message.empty() ? "" : ", " + r.end.message);
    case RecordKind::Clock:
      return "-- clock = " + std::to_string(r.clock);
    case RecordKind::Idle:
      return "-- idle until " + (r.idle.deadline == ~0ull ? std::string("no deadline") : std::to_string(r.idle.deadline)) +
             (r.idle.woke ? ": woke" : ": nothing happened");
    case RecordKind::Checksum:
      return "-- memory checksum " + hex(r.checksum.hash) + " after " + std::to_string(r.checksum.downcalls) +
             " downcalls";
  }
  return "?";
}

std::string quote_bytes(const uint8_t* data, size_t len, size_t max) {
  std::string s = "\"";
  const size_t n = len < max ? len : max;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t c = data[i];
    switch (c) {
      case '\n': s += "\\n"; break;
      case '\t': s += "\\t"; break;
      case '\r': s += "\\r"; break;
      case '\0': s += "\\0"; break;
      case '"': s += "\\\""; break;
      case '\\': s += "\\\\"; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          s += static_cast<char>(c);
        } else {
          char b[8];
          snprintf(b, sizeof b, "\\x%02x", c);
          s += b;
        }
    }
  }
  s += "\"";
  if (len > max) s += "...";
  return s;
}

std::string status_text(dk_status_t status) {
  if (status == 0) return "0";
  if (status == kBlocked) return "BLOCKED (parked, retried later)";
  return std::to_string(status) + " " + std::string(status_name(status));
}

std::string render_arg(const DowncallRecord& c, int i, bool with_result, size_t max_bytes) {
  const CallDesc* d = call_desc(c.index);
  return d && i < d->nargs ? arg_text(c, *d, i, with_result, max_bytes) : hex(c.reg[i]);
}

std::string render_call(const DowncallRecord& c, bool with_result, size_t max_bytes) {
  const CallDesc* d = call_desc(c.index);
  if (!d) return "<call " + std::to_string(c.index) + ">";
  std::string s(d->name);
  s += "(";
  for (int i = 0; i < d->nargs; ++i) {
    if (i) s += ", ";
    s += d->arg_names[i];
    s += "=";
    s += arg_text(c, *d, i, with_result, max_bytes);
  }
  s += ")";
  if (with_result) s += " = " + status_text(c.status);
  return s;
}

std::string render_site(const TraceRecord& r) {
  std::string s = "[" + std::to_string(r.tick) + " ";
  if (r.pid > 1) s += std::to_string(r.pid) + ":";
  return s + std::to_string(r.thread) + "] ";
}

std::string render_record(const TraceRecord& r, size_t max_bytes) {
  return render_site(r) + render_event(r, max_bytes);
}

}  // namespace dk
