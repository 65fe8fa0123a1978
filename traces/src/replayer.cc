// Replay: match, then answer from the trace, then perform the effects that live in the
// picoprocess (memory, segment registers, exits) exactly as a host would, at the addresses
// the recording got, so later calls see the same address space.
#include "dk/replayer.h"

#include "dk/trace_render.h"

namespace dk {
namespace {

bool informational(RecordKind k) {
  return k == RecordKind::Schedule || k == RecordKind::Upcall || k == RecordKind::Exception ||
         k == RecordKind::ForeignTrap;
}

std::string site_difference(const TraceRecord& e, const TraceRecord& a) {
  if (e.pid != a.pid) return "pid";
  if (e.thread != a.thread) return "thread";
  if (e.tick != a.tick) return "tick";
  if (e.rip != a.rip) return "rip";
  return "";
}

std::string hex(uint64_t v) {
  char b[24];
  snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

}  // namespace

std::string Divergence::report() const {
  std::string s;
  if (end_of_trace) {
    s = "replay: the guest went on past the end of the trace (record " + std::to_string(record) + ") at tick " +
        std::to_string(tick) + ", thread " + std::to_string(thread) + ", rip " + hex(rip) + "\n";
  } else {
    s = "replay diverged at record " + std::to_string(record) + ", tick " + std::to_string(tick) + ", pid " +
        std::to_string(pid) + ", thread " + std::to_string(thread) + ", rip " + hex(rip) + ": " + field +
        " differs\n";
  }
  if (!instruction.empty()) s += "  instruction: " + instruction + "\n";
  if (!expected.empty()) s += "  expected: " + expected + "\n";
  if (!actual.empty()) s += "  actual:   " + actual + "\n";
  if (!note.empty()) s += "  note: " + note + "\n";
  return s;
}

Replayer::Replayer(TraceReader& in, ReplayOptions opts) : in_(in), opts_(std::move(opts)) {}

const TraceRecord* Replayer::peek(bool keep_events) {
  for (;;) {
    if (!have_next_) {
      if (at_end_) return nullptr;
      try {
        if (!in_.next(next_)) {
          at_end_ = true;
          return nullptr;
        }
      } catch (const TraceError& e) {
        at_end_ = true;
        read_error_ = e.what();
        return nullptr;
      }
      have_next_ = true;
    }
    if (keep_events || !informational(next_.kind)) return &next_;
    consume();
  }
}

void Replayer::diverge(const TraceRecord& actual, const TraceRecord* expected, std::string field) {
  Divergence d;
  d.tick = actual.tick;
  d.pid = actual.pid;
  d.thread = actual.thread;
  d.rip = actual.rip;
  d.record = index_;
  // A downcall the guest asked for has no result yet.
  d.actual = actual.kind == RecordKind::Downcall ? render_site(actual) + render_call(actual.call, false)
                                                 : render_record(actual);
  if (expected) {
    d.expected = render_record(*expected);
    d.field = std::move(field);
  } else {
    d.end_of_trace = true;
    d.field = "end of trace";
    if (!read_error_.empty()) d.note = read_error_;
    else if (in_.cut_short()) d.note = in_.cut_short_reason();
    else d.note = "the trace ends here";
  }
  const std::string& recorded = in_.header().unicorn_version;
  if (!opts_.unicorn_version.empty() && !recorded.empty() && recorded != opts_.unicorn_version) {
    if (!d.note.empty()) d.note += "; ";
    d.note += "the trace was recorded with Unicorn " + recorded + " and this dk has " + opts_.unicorn_version +
              ": a replay on another version may diverge";
  }
  divergence_ = std::move(d);
}

dk_status_t Replayer::serve(CallContext& cx, Call& call) {
  if (diverged()) return kDiverged;
  actual_.kind = RecordKind::Downcall;
  actual_.tick = cx.tick;
  actual_.pid = cx.pid;
  actual_.thread = cx.thread;
  actual_.rip = cx.rip;
  set_downcall_inputs(actual_.call, call, false);
  const TraceRecord* e = peek(false);
  if (!e) {
    diverge(actual_, nullptr, "");
    return kDiverged;
  }
  std::string field = e->kind != RecordKind::Downcall ? "kind" : first_input_difference(e->call, actual_.call);
  if (field.empty()) field = site_difference(*e, actual_);
  if (!field.empty()) {
    diverge(actual_, e, field);
    return kDiverged;
  }
  const DowncallRecord& rec = e->call;
  for (int i = 0; i < 6; ++i) {
    if (rec.written >> i & 1) call.set_out(i, rec.out_val[i]);
  }
  if ((rec.fields & kHasOutBytes) && rec.index != 24) call.out_bytes = rec.out_bytes;
  if (rec.fields & kHasAttrOut) call.attr = rec.attr_out;
  if (rec.fields & kHasSysinfo) call.sysinfo = rec.sysinfo;
  const dk_status_t status = rec.status;
  if (status == 0) apply_effects(cx, rec, call);
  if (diverged()) return kDiverged;
  consume();
  ++downcalls_;
  return status;
}

void Replayer::apply_effects(CallContext& cx, const DowncallRecord& rec, Call& call) {
  auto check = [&](dk_status_t st, const char* what) {
    if (st == 0) return true;
    diverge(actual_, &next_, "effect");
    divergence_->note = std::string(what) + " failed on replay with " + status_text(st) +
                        (divergence_->note.empty() ? "" : "; " + divergence_->note);
    return false;
  };
  const uint64_t* v = rec.in_val;
  switch (rec.index) {
    case 1: {  // DkVirtualMemoryAllocate: at the address the recording got, fixed
      const uint64_t want = rec.out_val[0];
      uint64_t addr = want;
      if (!check(cx.ctl.vm_allocate(addr, v[1], static_cast<uint32_t>(v[2]), static_cast<uint32_t>(v[3])),
                 "DkVirtualMemoryAllocate"))
        return;
      if (addr != want) check(-DK_E_EXIST, "DkVirtualMemoryAllocate at the recorded address");
      return;
    }
    case 2:
    case 25:  // DkVirtualMemoryFree, DkStreamUnmap
      check(cx.ctl.vm_free(v[0], v[1]), rec.index == 2 ? "DkVirtualMemoryFree" : "DkStreamUnmap");
      return;
    case 3:
      check(cx.ctl.vm_protect(v[0], v[1], static_cast<uint32_t>(v[2])), "DkVirtualMemoryProtect");
      return;
    case 24: {  // DkStreamMap: the file is gone; its recorded bytes are mapped instead
      const uint64_t want = rec.out_val[1], size = v[4];
      const uint32_t prot = static_cast<uint32_t>(v[2]) & ~DK_MAP_SHARED;
      uint64_t addr = want;
      if (!check(cx.ctl.vm_allocate(addr, size, DK_ALLOC_COMMIT | DK_ALLOC_REPLACE, DK_PROT_READ | DK_PROT_WRITE),
                 "DkStreamMap"))
        return;
      if (addr != want && !check(-DK_E_EXIST, "DkStreamMap at the recorded address")) return;
      if (!rec.out_bytes.empty() && !cx.mem.write(addr, rec.out_bytes.data(), rec.out_bytes.size()) &&
          !check(-DK_E_FAULT, "DkStreamMap contents"))
        return;
      check(cx.ctl.vm_protect(addr, size, prot), "DkStreamMap protection");
      return;
    }
    case 42:
      check(cx.ctl.set_segment(static_cast<uint32_t>(v[0]), v[1]), "DkSegmentRegisterSet");
      return;
    case 43:
      check(cx.ctl.exception_return(call.ctx), "DkExceptionReturn");
      return;
    case 18:
      cx.ctl.process_exit(static_cast<int64_t>(v[0]));
      return;
    case 5:
      cx.ctl.thread_exit();
      return;
    default:
      return;
  }
}

uint64_t Replayer::cycle_counter(const CallContext& cx) {
  if (diverged()) return 0;
  actual_.kind = RecordKind::Rdtsc;
  actual_.tick = cx.tick;
  actual_.pid = cx.pid;
  actual_.thread = cx.thread;
  actual_.rip = cx.rip;
  actual_.rdtsc = 0;
  const TraceRecord* e = peek(false);
  if (!e) {
    diverge(actual_, nullptr, "");
    return 0;
  }
  std::string field = e->kind != RecordKind::Rdtsc ? "kind" : site_difference(*e, actual_);
  if (!field.empty()) {
    diverge(actual_, e, field);
    return 0;
  }
  const uint64_t v = e->rdtsc;
  consume();
  return v;
}

void Replayer::check_event(const TraceRecord& actual) {
  if (diverged()) return;
  const TraceRecord* e = peek(actual.kind != RecordKind::End);
  if (!e) {
    diverge(actual, nullptr, "");
    return;
  }
  std::string field = first_difference(*e, actual);
  if (!field.empty()) {
    diverge(actual, e, field);
    return;
  }
  consume();
}

namespace {
TraceRecord event(RecordKind kind, const EventSite& s) {
  TraceRecord r;
  r.kind = kind;
  r.tick = s.tick;
  r.pid = s.pid;
  r.thread = s.thread;
  r.rip = s.rip;
  return r;
}
}  // namespace

void Replayer::on_schedule(const EventSite& site, uint32_t next_thread, uint32_t reason) {
  TraceRecord r = event(RecordKind::Schedule, site);
  r.schedule = {next_thread, reason};
  check_event(r);
}

void Replayer::on_exception(const EventSite& site, uint32_t type, uint32_t detail, uint64_t address) {
  TraceRecord r = event(RecordKind::Exception, site);
  r.exception = {type, detail, address};
  check_event(r);
}

void Replayer::on_foreign_trap(const EventSite& site, uint32_t detail, uint64_t number) {
  TraceRecord r = event(RecordKind::ForeignTrap, site);
  r.trap = {detail, number};
  check_event(r);
}

void Replayer::on_upcall(const EventSite& site, uint32_t which, uint64_t entry, uint64_t arg) {
  TraceRecord r = event(RecordKind::Upcall, site);
  r.upcall = {which, entry, arg};
  check_event(r);
}

void Replayer::on_end(const EventSite& site, uint32_t reason, int64_t exit_code, std::string_view message) {
  TraceRecord r = event(RecordKind::End, site);
  r.end.reason = reason;
  r.end.exit_code = exit_code;
  r.end.message = std::string(message);
  check_event(r);
  if (diverged()) return;
  // Anything after the End record would be a trace that disagrees with itself.
  finished_ = peek(true) == nullptr && read_error_.empty();
}

}  // namespace dk
