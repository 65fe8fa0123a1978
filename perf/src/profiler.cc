// The Profiler (dk/perf/profiler.h): counts as calls pass, names code as picoprocesses end.
#include "dk/perf/profiler.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "dk/calls.h"
#include "dk/core/stream.h"
#include "dk/json.h"
#include "dk/perf/symbols.h"

namespace dk::perf {
namespace {

std::string stream_kind(uint32_t type) {
  switch (type) {
    case DK_STREAM_FILE:
      return "file";
    case DK_STREAM_DIR:
      return "directory";
    case DK_STREAM_PIPE:
      return "pipe";
    case DK_STREAM_SOCKET:
      return "socket";
    case DK_STREAM_DEVICE:
      return "device";
    case DK_STREAM_SERVER:
      return "server";
  }
  return "other";
}

std::string exception_name(uint32_t type) {
  const std::string_view n = exception_type_name(type);
  return n.empty() ? "type " + std::to_string(type) : std::string(n);
}

bool same_site(const EventSite& a, const EventSite& b) {
  return a.pid == b.pid && a.thread == b.thread && a.tick == b.tick && a.rip == b.rip;
}

}  // namespace

Profiler::Profiler(Host& inner, RunEvents* next)
    : HostDecorator(inner), next_(next), calls_(DK_CALL_COUNT + 1) {}

dk_status_t Profiler::serve(CallContext& cx, Call& call) {
  const dk_status_t st = inner().serve(cx, call);
  // The launcher's own calls (the std handles it opens before the first instruction) are
  // not the guest's: they have no rip.
  if (cx.rip == 0) return st;
  const uint32_t i = call.index;
  CallFigures& f = i >= 1 && i <= DK_CALL_COUNT ? calls_[i] : unknown_[i];
  if (st == kBlocked) {
    ++f.waits;
    return st;
  }
  ++f.calls;
  if (st < 0) ++f.refused;
  last_ = EventSite{cx.tick, cx.pid, cx.thread, cx.rip};
  last_open_ = true;
  last_refused_ = st < 0;
  if (st >= 0) {
    switch (i) {
      case calls::DkStreamRead:
        count_io(cx, call, false);
        break;
      case calls::DkStreamWrite:
        count_io(cx, call, true);
        break;
      case calls::DkThreadCreate:
        ++threads_created_;
        break;
      default:
        break;
    }
  }
  note_pages(cx.pid, cx.ctl.committed_bytes() / DK_PAGE_SIZE);
  return st;
}

// The stream's kind is asked of its object: handles reach a picoprocess in many ways (opened,
// accepted, inherited, passed), and the object knows what it is.
void Profiler::count_io(CallContext& cx, const Call& call, bool write) {
  const std::shared_ptr<HostObject> obj = cx.handles.get(static_cast<dk_handle_t>(call.val[0]));
  const auto* stream = dynamic_cast<const HostStream*>(obj.get());
  StreamFigures& s = streams_[stream ? stream->type : 0];
  const uint64_t bytes = call.val[3];
  if (write) {
    ++s.writes;
    s.written_bytes += bytes;
  } else {
    ++s.reads;
    s.read_bytes += bytes;
  }
}

void Profiler::note_pages(uint32_t pid, uint64_t pages) {
  uint64_t& held = live_pages_[pid];
  live_total_ = live_total_ - held + pages;
  held = pages;
  pages_peak_ = std::max(pages_peak_, live_total_);
}

void Profiler::on_refused(const EventSite& site, uint32_t index, int64_t status) {
  if (last_open_ && same_site(site, last_)) {
    // The call served last: refused by the host (counted), or by the dispatcher after the
    // host answered (its results could not be copied out).
    if (!last_refused_) ++(index >= 1 && index <= DK_CALL_COUNT ? calls_[index] : unknown_[index]).refused;
  } else {
    // Refused by the dispatcher's checks before any host saw it.
    CallFigures& f = index >= 1 && index <= DK_CALL_COUNT ? calls_[index] : unknown_[index];
    ++f.calls;
    ++f.refused;
  }
  last_open_ = false;
  if (next_) next_->on_refused(site, index, status);
}

void Profiler::on_schedule(const EventSite& site, uint32_t next_thread, uint32_t reason) {
  if (next_) next_->on_schedule(site, next_thread, reason);
}

void Profiler::on_schedule_to(const EventSite& site, uint32_t next_pid, uint32_t next_thread,
                              uint32_t reason) {
  if (next_) next_->on_schedule_to(site, next_pid, next_thread, reason);
}

void Profiler::on_exception(const EventSite& site, uint32_t type, uint32_t detail, uint64_t address) {
  ++exceptions_[type];
  if (next_) next_->on_exception(site, type, detail, address);
}

void Profiler::on_foreign_trap(const EventSite& site, uint32_t detail, uint64_t number) {
  ++foreign_traps_;
  if (next_) next_->on_foreign_trap(site, detail, number);
}

void Profiler::on_upcall(const EventSite& site, uint32_t which, uint64_t entry, uint64_t arg) {
  if (next_) next_->on_upcall(site, which, entry, arg);
}

void Profiler::on_end(const EventSite& site, uint32_t reason, int64_t exit_code,
                      std::string_view message) {
  ++picoprocesses_;
  ticks_ += site.tick;
  const auto it = live_pages_.find(site.pid);
  if (it != live_pages_.end()) {
    pages_committed_ += it->second;
    live_total_ -= it->second;
    live_pages_.erase(it);
  }
  if (next_) next_->on_end(site, reason, exit_code, message);
}

void Profiler::set_probe(WorldProbe* probe) {
  if (next_) next_->set_probe(probe);
}

bool Profiler::stop_requested() const { return next_ && next_->stop_requested(); }

std::string Profiler::stop_reason() const { return next_ ? next_->stop_reason() : ""; }

void Profiler::on_blocks(uint32_t /*pid*/, std::string_view name, const std::vector<uint8_t>& image,
                         uint64_t bias, const BlockProfiles& blocks) {
  const SymbolTable symbols = SymbolTable::from_elf(image);
  for (const auto& [key, b] : blocks) {
    const uint64_t addr = block_addr(key);
    const Symbol* sym = addr >= bias ? symbols.find(addr - bias) : nullptr;
    FunctionFigures& f = functions_[{std::string(name), sym ? sym->name : "[unknown]"}];
    const uint64_t n = b.entries * b.insns;
    f.instructions += n;
    f.blocks += b.entries;
    instructions_ += n;
  }
}

Profile Profiler::profile() const {
  Profile p;
  p.ticks = ticks_;
  p.instructions = instructions_;
  for (uint32_t i = 1; i <= DK_CALL_COUNT; ++i) {
    const CallFigures& f = calls_[i];
    if (f.calls == 0 && f.waits == 0) continue;
    p.calls[std::string(call_desc(i)->name)] = f;
  }
  for (const auto& [i, f] : unknown_) p.calls["call " + std::to_string(i)] = f;
  for (const auto& [name, f] : p.calls) {
    p.downcalls += f.calls;
    p.waits += f.waits;
  }
  for (const auto& [type, s] : streams_) p.streams[stream_kind(type)] = s;
  p.pages_committed = pages_committed_;
  for (const auto& [pid, pages] : live_pages_) p.pages_committed += pages;  // not ended yet
  p.pages_peak = pages_peak_;
  p.picoprocesses = picoprocesses_;
  p.threads = picoprocesses_ + threads_created_;
  for (const auto& [type, n] : exceptions_) p.exceptions[exception_name(type)] = n;
  p.foreign_traps = foreign_traps_;
  for (const auto& [key, f] : functions_) {
    FunctionFigures g = f;
    g.image = key.first;
    g.name = key.second;
    p.functions.push_back(std::move(g));
  }
  std::sort(p.functions.begin(), p.functions.end(),
            [](const FunctionFigures& a, const FunctionFigures& b) {
              if (a.instructions != b.instructions) return a.instructions > b.instructions;
              if (a.image != b.image) return a.image < b.image;
              return a.name < b.name;
            });
  return p;
}

std::string Profile::json(size_t top) const {
  JsonWriter o;
  o.begin_object();
  o.field("ticks", ticks).field("instructions", instructions);
  o.field("downcalls", downcalls).field("waits", waits);
  o.key("calls").begin_object();
  for (const auto& [name, f] : calls) {
    o.key(name).begin_object().field("calls", f.calls).field("refused", f.refused);
    o.field("waits", f.waits).end_object();
  }
  o.end_object();
  o.key("streams").begin_object();
  for (const auto& [kind, s] : streams) {
    o.key(kind).begin_object().field("reads", s.reads).field("read_bytes", s.read_bytes);
    o.field("writes", s.writes).field("written_bytes", s.written_bytes).end_object();
  }
  o.end_object();
  o.field("pages_committed", pages_committed).field("pages_peak", pages_peak);
  o.field("picoprocesses", picoprocesses).field("threads", threads);
  o.key("exceptions").begin_object();
  for (const auto& [type, n] : exceptions) o.field(type, n);
  o.end_object();
  o.field("foreign_traps", foreign_traps);
  o.key("functions").begin_array();
  const size_t n = top == 0 ? functions.size() : std::min(top, functions.size());
  for (size_t i = 0; i < n; ++i) {
    const FunctionFigures& f = functions[i];
    o.begin_object().field("image", f.image).field("function", f.name);
    o.field("instructions", f.instructions).field("blocks", f.blocks).end_object();
  }
  o.end_array();
  o.end_object();
  return o.str();
}

std::string Profile::text(size_t top) const {
  std::string out;
  char line[256];
  auto row = [&](const char* label, uint64_t v) {
    snprintf(line, sizeof line, "  %-18s %" PRIu64 "\n", label, v);
    out += line;
  };
  row("ticks", ticks);
  row("instructions", instructions);
  row("downcalls", downcalls);
  row("waits", waits);
  row("picoprocesses", picoprocesses);
  row("threads", threads);
  row("pages committed", pages_committed);
  row("pages peak", pages_peak);
  uint64_t exc = 0;
  for (const auto& [type, k] : exceptions) exc += k;
  row("exceptions", exc);
  for (const auto& [type, k] : exceptions) {
    snprintf(line, sizeof line, "    %-16s %" PRIu64 "\n", type.c_str(), k);
    out += line;
  }
  row("foreign traps", foreign_traps);
  if (!calls.empty()) {
    snprintf(line, sizeof line, "\n  %-32s %10s %8s %8s\n", "call", "calls", "refused", "waits");
    out += line;
    for (const auto& [name, f] : calls) {
      snprintf(line, sizeof line, "  %-32s %10" PRIu64 " %8" PRIu64 " %8" PRIu64 "\n", name.c_str(),
               f.calls, f.refused, f.waits);
      out += line;
    }
  }
  if (!streams.empty()) {
    snprintf(line, sizeof line, "\n  %-10s %10s %12s %10s %14s\n", "stream", "reads", "bytes read",
             "writes", "bytes written");
    out += line;
    for (const auto& [kind, s] : streams) {
      snprintf(line, sizeof line,
               "  %-10s %10" PRIu64 " %12" PRIu64 " %10" PRIu64 " %14" PRIu64 "\n", kind.c_str(),
               s.reads, s.read_bytes, s.writes, s.written_bytes);
      out += line;
    }
  }
  if (!functions.empty()) {
    const size_t n = top == 0 ? functions.size() : std::min(top, functions.size());
    snprintf(line, sizeof line, "\n  %14s %7s  %s (top %zu of %zu)\n", "instructions", "share",
             "function", n, functions.size());
    out += line;
    for (size_t i = 0; i < n; ++i) {
      const FunctionFigures& f = functions[i];
      const double share = instructions ? 100.0 * static_cast<double>(f.instructions) /
                                              static_cast<double>(instructions)
                                        : 0.0;
      const std::string who = f.image + ":" + f.name;
      snprintf(line, sizeof line, "  %14" PRIu64 " %6.2f%%  %.180s\n", f.instructions, share,
               who.c_str());
      out += line;
    }
  }
  return out;
}

}  // namespace dk::perf
