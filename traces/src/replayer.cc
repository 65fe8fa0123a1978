// Replay: match, then answer from the trace, then perform the effects that live in the
// picoprocess (memory, segment registers, exits) exactly as a host would, at the addresses
// the recording got, so later calls see the same address space. Records come from the reader
// in one shape: a 1.0 trace's downcalls carry the effects they implied (trace_upgrade.cc).
#include "dk/replayer.h"

#include <cstring>

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
  if (end_of_trace && cut_short) {
    s = "replay: the trace was cut short after record " + std::to_string(record) +
        " (every record before matched); the guest went on at tick " + std::to_string(tick) +
        ", thread " + std::to_string(thread) + ", rip " + hex(rip) + "\n";
  } else if (end_of_trace) {
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
        read_error_ = e;
        return nullptr;
      }
      have_next_ = true;
    }
    if (keep_events || !informational(next_.kind)) return &next_;
    consume();
  }
}

void Replayer::add_notes(Divergence& d) const {
  auto note = [&](const std::string& n) { d.note += (d.note.empty() ? "" : "; ") + n; };
  const std::string& recorded = in_.header().unicorn_version;
  if (!opts_.unicorn_version.empty() && !recorded.empty() && recorded != opts_.unicorn_version)
    note("the trace was recorded with Unicorn " + recorded + " and this dk has " + opts_.unicorn_version +
         ": a replay on another version may diverge");
  if (!opts_.cpuid.empty() && !in_.header().cpuid.empty() && opts_.cpuid != in_.header().cpuid)
    note("the trace's CPUID answers differ from this dk's");
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
    if (read_error_)
      d.note = read_error_->what();
    else if (in_.cut_short()) {
      d.cut_short = true;
      d.note = in_.cut_short_reason();
    } else
      d.note = "the trace ends here";
  }
  if (probe_ && actual.rip) d.instruction = probe_->instruction_at(actual.pid, actual.rip);
  add_notes(d);
  divergence_ = std::move(d);
}

dk_status_t Replayer::serve(CallContext& cx, Call& call) {
  if (diverged()) {
    cx.ctl.yield();  // stop the engine: the emulator then sees stop_requested()
    return kDiverged;
  }
  actual_.kind = RecordKind::Downcall;
  actual_.tick = cx.tick;
  actual_.pid = cx.pid;
  actual_.thread = cx.thread;
  actual_.rip = cx.rip;
  set_downcall_inputs(actual_.call, call, false);
  const TraceRecord* e = peek(false);
  if (!e) {
    diverge(actual_, nullptr, "");
    cx.ctl.yield();
    return kDiverged;
  }
  std::string field = e->kind != RecordKind::Downcall ? "kind" : first_input_difference(e->call, actual_.call);
  if (field.empty()) field = site_difference(*e, actual_);
  if (!field.empty()) {
    diverge(actual_, e, field);
    cx.ctl.yield();
    return kDiverged;
  }
  // Taken out of the reader's slot before the effects: a child booting inside
  // DkProcessCreate makes downcalls of its own, recorded right after this one.
  if (served_.size() <= depth_) served_.emplace_back();
  TraceRecord& cur = served_[depth_];  // swapped, so buffers are reused
  std::swap(cur, next_);
  consume();
  const DowncallRecord& rec = cur.call;
  for (int i = 0; i < 6; ++i) {
    if (rec.written >> i & 1) call.set_out(i, rec.out_val[i]);
  }
  if (rec.fields & kHasOutBytes) call.out_bytes = rec.out_bytes;
  if (rec.fields & kHasAttrOut) call.attr = rec.attr_out;
  if (rec.fields & kHasSysinfo) call.sysinfo = rec.sysinfo;
  const dk_status_t status = rec.status;
  ++depth_;
  perform(cx, cur, index_ - 1);
  --depth_;
  if (diverged()) {
    cx.ctl.yield();
    return kDiverged;
  }
  if (status == 0) mirror_handles(cx, rec);
  echo_console(cx, rec);
  ++downcalls_;
  check_checksum(cx);
  if (diverged()) {
    cx.ctl.yield();
    return kDiverged;
  }
  return status;
}

// Handle values come from the picoprocess's table, which allocates them in order and never
// reuses one; the host fills it, and the picoprocess too (a child's parent stream at boot).
// The replay keeps the table's count in step: a placeholder at every handle the recording
// got, and closed handles erased.
void Replayer::mirror_handles(CallContext& cx, const DowncallRecord& rec) {
  const CallDesc* d = call_desc(rec.index);
  if (!d) return;
  if (d->index == calls::DkObjectClose) {
    cx.handles.erase(static_cast<dk_handle_t>(rec.in_val[0]));
    return;
  }
  for (int i = 0; i < d->nargs; ++i) {
    if (d->kinds[i] != DK_ARG_HANDLE_OUT || !(rec.written >> i & 1)) continue;
    const dk_handle_t want = static_cast<dk_handle_t>(rec.out_val[i]);
    if (cx.handles.get(want)) continue;
    for (;;) {
      const dk_handle_t h = cx.handles.insert(std::make_shared<HostObject>(ObjectKind::Stream));
      if (h == 0 || h >= want) break;
      cx.handles.erase(h);  // allocated and closed in the recording, between two calls
    }
  }
}

void Replayer::echo_console(const CallContext& cx, const DowncallRecord& rec) {
  if (!opts_.console || rec.index != calls::DkStreamWrite || rec.status != 0 || (rec.fields & kInHashed)) return;
  const auto it = console_.find({cx.pid, static_cast<dk_handle_t>(rec.in_val[0])});
  if (it == console_.end()) return;
  uint64_t n = rec.written >> 3 & 1 ? rec.out_val[3] : rec.in_bytes.size();
  if (n > rec.in_bytes.size()) n = rec.in_bytes.size();
  if (n) opts_.console(it->second, rec.in_bytes.data(), n);
}

void Replayer::bind_std_handle(CallContext& cx, int which, dk_handle_t h) {
  // Only what went to the console in the recording comes out on replay.
  const TraceLaunch& l = in_.header().launch;
  const std::string& uri = which == 1 ? l.stdout_uri : which == 2 ? l.stderr_uri : l.stdin_uri;
  if ((which == 1 || which == 2) && uri == "dev:console") console_[{cx.pid, h}] = which;
}

void Replayer::check_checksum(const CallContext& cx) {
  const uint64_t every = in_.header().launch.checksum_every;
  if (!every || downcalls_ % every != 0) return;
  TraceRecord a;
  a.kind = RecordKind::Checksum;
  a.tick = cx.tick;
  a.pid = cx.pid;
  a.thread = cx.thread;
  a.rip = cx.rip;
  a.checksum.downcalls = downcalls_;
  a.checksum.hash = probe_ ? memory_hash(*probe_, cx.pid) : 0;
  const TraceRecord* e = peek(false);
  if (!e) {
    diverge(a, nullptr, "");
    return;
  }
  if (!probe_ && e->kind == RecordKind::Checksum) a.checksum.hash = e->checksum.hash;  // nothing to compare with
  std::string field = first_difference(*e, a);
  if (!field.empty()) {
    diverge(a, e, field);
    if (field == "memory")
      divergence_->note = "the picoprocess's memory differs from the recording's although every downcall so far "
                          "matched" + (divergence_->note.empty() ? "" : "; " + divergence_->note);
    return;
  }
  consume();
}

bool Replayer::perform(CallContext& cx, const TraceRecord& cur, uint64_t record) {
  const DowncallRecord& rec = cur.call;
  size_t k = 0;
  auto fail = [&](const Effect& e, const std::string& what) {
    diverge(cur, &cur, "effect");
    divergence_->record = record;
    divergence_->note = "effect " + std::to_string(k) + " (" + effect_name(e.op) + ") " + what +
                        (divergence_->note.empty() ? "" : "; " + divergence_->note);
    return false;
  };
  auto status = [&](const Effect& e, int64_t got) {
    if (got == e.result) return true;
    return fail(e, "gave " + std::to_string(got) + " on replay, " + std::to_string(e.result) + " when recorded");
  };
  for (; k < rec.effects.size(); ++k) {
    const Effect& e = rec.effects[k];
    const uint64_t* v = e.v;
    switch (e.op) {
      case EffectOp::Allocate: {
        uint64_t addr = v[0];
        if (!status(e, cx.ctl.vm_allocate(addr, v[1], static_cast<uint32_t>(v[2]), static_cast<uint32_t>(v[3]))))
          return false;
        if (e.result == 0 && addr != v[4]) return fail(e, "placed the range elsewhere");
        break;
      }
      case EffectOp::Free:
        if (!status(e, cx.ctl.vm_free(v[0], v[1]))) return false;
        break;
      case EffectOp::Protect:
        if (!status(e, cx.ctl.vm_protect(v[0], v[1], static_cast<uint32_t>(v[2])))) return false;
        break;
      case EffectOp::Segment:
        if (!status(e, cx.ctl.set_segment(static_cast<uint32_t>(v[0]), v[1]))) return false;
        break;
      case EffectOp::ExceptionReturn: {
        dk_context ctx{};
        if (e.bytes.size() != sizeof ctx) return fail(e, "has a context of the wrong size");
        memcpy(&ctx, e.bytes.data(), sizeof ctx);
        if (!status(e, cx.ctl.exception_return(ctx))) return false;
        break;
      }
      case EffectOp::ThreadExit:
        cx.ctl.thread_exit();
        break;
      case EffectOp::ProcessExit:
        cx.ctl.process_exit(static_cast<int64_t>(v[0]));
        break;
      case EffectOp::ThreadCreate: {
        std::shared_ptr<ThreadObject> t;
        if (!status(e, cx.ctl.thread_create(v[0], v[1], t))) return false;
        if (e.result == 0 && (!t || t->tid != v[2])) return fail(e, "created another thread id");
        break;
      }
      case EffectOp::Yield:
        cx.ctl.yield();
        break;
      case EffectOp::Resume: {
        ThreadObject t;
        t.pid = static_cast<uint32_t>(v[0]);
        t.tid = static_cast<uint32_t>(v[1]);
        if (!status(e, cx.ctl.thread_resume(t))) return false;
        break;
      }
      case EffectOp::Block:
        cx.ctl.block(v[0]);
        break;
      case EffectOp::WakeOn:
        if (v[0] > static_cast<uint64_t>(WakeOn::Wake)) return fail(e, "names no wait");
        cx.ctl.wake_on(static_cast<WakeOn>(v[0]));
        break;
      case EffectOp::Wake:
        cx.ctl.wake(static_cast<uint32_t>(v[0]), static_cast<uint32_t>(v[1]));
        break;
      case EffectOp::TakeInterrupt:
        if (!status(e, cx.ctl.take_interrupt() ? 1 : 0)) return false;
        break;
      case EffectOp::ProcessCreate: {
        if (e.strs.empty()) return fail(e, "has no name");
        ChildSpec spec;
        spec.image = e.bytes;
        spec.name = e.strs[0];
        spec.args.assign(e.strs.begin() + 1, e.strs.end());
        // The child's boot info names its end of the parent stream: same handle, no host object.
        spec.parent_end = std::make_shared<HostObject>(ObjectKind::Stream);
        std::shared_ptr<ProcessObject> p;
        if (!status(e, cx.ctl.process_create(std::move(spec), p))) return false;
        if (e.result == 0 && (!p || p->pid != v[0])) return fail(e, "created another picoprocess id");
        break;
      }
      case EffectOp::TickLimit:
        cx.ctl.set_tick_limit(v[0]);
        break;
      case EffectOp::MemoryWrite: {
        const bool ok = e.result ? cx.mem.write(v[0], e.bytes.data(), e.bytes.size()) : !cx.mem.check(v[0], v[1], DK_PROT_WRITE);
        if (!ok) return fail(e, e.result ? "could not write the recorded bytes" : "could write where the recording could not");
        break;
      }
    }
  }
  return true;
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

uint64_t Replayer::clock_ns(const CallContext& cx) {
  if (diverged()) return cx.now_ns;
  TraceRecord a;
  a.kind = RecordKind::Clock;
  a.tick = cx.tick;
  a.pid = cx.pid;
  a.thread = cx.thread;
  a.rip = cx.rip;
  const TraceRecord* e = peek(false);
  if (!e) {
    diverge(a, nullptr, "");
    return cx.now_ns;
  }
  if (e->kind != RecordKind::Clock) {
    diverge(a, e, "kind");
    return cx.now_ns;
  }
  const uint64_t v = e->clock;
  consume();
  return v;
}

bool Replayer::idle(uint64_t deadline) {
  if (diverged()) return false;
  TraceRecord a;
  a.kind = RecordKind::Idle;
  a.idle.deadline = deadline;
  const TraceRecord* e = peek(false);
  if (!e) {
    diverge(a, nullptr, "");
    return false;
  }
  std::string field = e->kind != RecordKind::Idle ? "kind" : e->idle.deadline != deadline ? "deadline" : "";
  if (!field.empty()) {
    diverge(a, e, field);
    return false;
  }
  const bool woke = e->idle.woke != 0;
  consume();
  return woke;
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
  on_schedule_to(site, 0, next_thread, reason);
}

void Replayer::on_schedule_to(const EventSite& site, uint32_t next_pid, uint32_t next_thread, uint32_t reason) {
  TraceRecord r = event(RecordKind::Schedule, site);
  r.schedule = {next_thread, reason, next_pid};
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
  finished_ = peek(true) == nullptr && !read_error_;
}

}  // namespace dk
