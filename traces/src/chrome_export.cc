// The JSON object format ({"traceEvents": [...]}) so metadata can name tracks; a downcall
// takes no virtual time, so its slice is one tick long, enough to see and click.
#include "dk/chrome_export.h"

#include <set>
#include <utility>

#include "dk/trace_render.h"

namespace dk {
namespace {

std::string common(const char* ph, const std::string& name, const char* cat, const TraceRecord& r) {
  return "{\"ph\":\"" + std::string(ph) + "\",\"name\":" + json_string(name) + ",\"cat\":\"" + cat +
         "\",\"pid\":" + std::to_string(r.pid) + ",\"tid\":" + std::to_string(r.thread) +
         ",\"ts\":" + std::to_string(r.tick);
}

std::string instant(const std::string& name, const char* cat, const TraceRecord& r, const char* scope = "t") {
  return common("i", name, cat, r) + ",\"s\":\"" + scope + "\",\"args\":{\"text\":" +
         json_string(render_record(r)) + "}}";
}

}  // namespace

uint64_t export_chrome_trace(TraceReader& in, std::ostream& out) {
  std::set<uint32_t> pids;
  std::set<std::pair<uint32_t, uint32_t>> threads;
  bool first = true;
  auto emit = [&](const std::string& ev) {
    out << (first ? "\n" : ",\n") << ev;
    first = false;
  };
  out << "{\"displayTimeUnit\":\"ns\",\"otherData\":{\"host\":" << json_string(in.header().host_kind)
      << ",\"seed\":" << in.header().seed << ",\"time\":\"1 tick = 1 us\"},\"traceEvents\":[";
  TraceRecord r;
  uint64_t n = 0;
  while (in.next(r)) {
    ++n;
    if (pids.insert(r.pid).second)
      emit("{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":" + std::to_string(r.pid) +
           ",\"args\":{\"name\":\"picoprocess " + std::to_string(r.pid) + "\"}}");
    if (threads.insert({r.pid, r.thread}).second)
      emit("{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":" + std::to_string(r.pid) + ",\"tid\":" +
           std::to_string(r.thread) + ",\"args\":{\"name\":\"thread " + std::to_string(r.thread) + "\"}}");
    switch (r.kind) {
      case RecordKind::Downcall: {
        const CallDesc* d = call_desc(r.call.index);
        emit(common("X", d ? std::string(d->name) : "?", "downcall", r) + ",\"dur\":1,\"args\":{\"call\":" +
             json_string(render_call(r.call)) + ",\"status\":" + json_string(std::string(status_name(r.call.status))) +
             "}}");
        break;
      }
      case RecordKind::Exception: emit(instant("exception", "exception", r)); break;
      case RecordKind::ForeignTrap: emit(instant("foreign trap", "exception", r)); break;
      case RecordKind::Upcall: emit(instant("upcall", "upcall", r)); break;
      case RecordKind::Schedule: emit(instant("schedule", "schedule", r)); break;
      case RecordKind::End: emit(instant("end", "end", r, "p")); break;
      case RecordKind::Checksum: emit(instant("memory checksum", "checksum", r)); break;
      case RecordKind::Rdtsc:
      case RecordKind::Clock:
      case RecordKind::Idle:
        break;  // one per reading would drown the view
    }
  }
  out << "\n]}\n";
  return n;
}

}  // namespace dk
