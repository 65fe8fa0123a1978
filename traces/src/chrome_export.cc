// The JSON object format ({"traceEvents": [...]}) so metadata can name tracks; a downcall
// takes no virtual time, so its slice is one tick long, enough to see and click.
#include "dk/chrome_export.h"

#include <set>
#include <utility>

#include "dk/json.h"
#include "dk/trace_render.h"

namespace dk {
namespace {

// An event's fields every kind has; the caller adds its own and closes the object.
JsonWriter& common(JsonWriter& j, const char* ph, const std::string& name, const char* cat,
                   const TraceRecord& r) {
  return j.begin_object()
      .field("ph", ph)
      .field("name", name)
      .field("cat", cat)
      .field("pid", uint64_t{r.pid})
      .field("tid", uint64_t{r.thread})
      .field("ts", uint64_t{r.tick});
}

std::string instant(const std::string& name, const char* cat, const TraceRecord& r,
                    const char* scope = "t") {
  JsonWriter j;
  common(j, "i", name, cat, r).field("s", scope).key("args").begin_object();
  j.field("text", render_record(r)).end_object().end_object();
  return j.str();
}

// The metadata event that names a track (process_name, thread_name).
std::string track_name(const char* what, uint32_t pid, const uint32_t* tid,
                       const std::string& name) {
  JsonWriter j;
  j.begin_object().field("ph", "M").field("name", what).field("pid", uint64_t{pid});
  if (tid) j.field("tid", uint64_t{*tid});
  j.key("args").begin_object().field("name", name).end_object().end_object();
  return j.str();
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
  // The events stream out one by one: the object and its array stay open around them, and
  // are closed by hand at the end.
  JsonWriter head;
  head.begin_object().field("displayTimeUnit", "ns").key("otherData").begin_object();
  head.field("host", in.header().host_kind)
      .field("seed", uint64_t{in.header().seed})
      .field("time", "1 tick = 1 us")
      .end_object();
  head.key("traceEvents").begin_array();
  out << head.str();
  TraceRecord r;
  uint64_t n = 0;
  while (in.next(r)) {
    ++n;
    if (pids.insert(r.pid).second)
      emit(track_name("process_name", r.pid, nullptr, "picoprocess " + std::to_string(r.pid)));
    if (threads.insert({r.pid, r.thread}).second)
      emit(track_name("thread_name", r.pid, &r.thread, "thread " + std::to_string(r.thread)));
    switch (r.kind) {
      case RecordKind::Downcall: {
        const CallDesc* d = call_desc(r.call.index);
        JsonWriter j;
        common(j, "X", d ? std::string(d->name) : "?", "downcall", r).field("dur", 1);
        j.key("args").begin_object().field("call", render_call(r.call));
        j.field("status", status_name(r.call.status)).end_object().end_object();
        emit(j.str());
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
