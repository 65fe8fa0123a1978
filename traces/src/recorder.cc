// Recording: inputs are captured before the inner host runs (it may change the Call), the
// outputs after. A mapping's contents come from a file the replay will not have, so
// DkStreamMap also records the bytes it mapped.
#include "dk/recorder.h"

namespace dk {

namespace {
constexpr uint32_t kStreamMap = 24;
constexpr uint64_t kMapRecordMax = kChunkPayloadMax / 2;
}  // namespace

Recorder::Recorder(Host& inner, TraceWriter& out, RecorderOptions opts)
    : inner_(inner), out_(out), opts_(opts) {}

void Recorder::begin(RecordKind kind, const EventSite& site) {
  rec_.kind = kind;
  rec_.tick = site.tick;
  rec_.pid = site.pid;
  rec_.thread = site.thread;
  rec_.rip = site.rip;
}

void Recorder::write() {
  if (failed()) return;
  try {
    out_.append(rec_);
  } catch (const TraceError& e) {
    error_ = e.what();
  }
}

dk_status_t Recorder::serve(CallContext& cx, Call& call) {
  begin(RecordKind::Downcall, EventSite{cx.tick, cx.pid, cx.thread, cx.rip});
  set_downcall_inputs(rec_.call, call, opts_.hash_inputs);
  const dk_status_t status = inner_.serve(cx, call);
  set_downcall_outputs(rec_.call, call, status);
  if (call.index == kStreamMap && status == 0 && call.written[1]) {
    const uint64_t addr = call.val[1], size = call.arg(4);
    if (size > kMapRecordMax) {
      error_ = "trace: DkStreamMap of " + std::to_string(size) + " bytes is too large to record";
    } else {
      rec_.call.out_bytes.resize(size);
      if (cx.mem.read(addr, rec_.call.out_bytes.data(), size)) {
        rec_.call.fields |= kHasOutBytes;
      } else {
        // Not readable (mapped without READ): its contents cannot be seen, so replay maps zeros.
        rec_.call.out_bytes.clear();
      }
    }
  }
  ++downcalls_;
  write();
  return status;
}

uint64_t Recorder::cycle_counter(const CallContext& cx) {
  const uint64_t v = inner_.cycle_counter(cx);
  begin(RecordKind::Rdtsc, EventSite{cx.tick, cx.pid, cx.thread, cx.rip});
  rec_.rdtsc = v;
  write();
  return v;
}

void Recorder::on_schedule(const EventSite& site, uint32_t next_thread, uint32_t reason) {
  begin(RecordKind::Schedule, site);
  rec_.schedule = {next_thread, reason};
  write();
}

void Recorder::on_exception(const EventSite& site, uint32_t type, uint32_t detail, uint64_t address) {
  begin(RecordKind::Exception, site);
  rec_.exception = {type, detail, address};
  write();
}

void Recorder::on_foreign_trap(const EventSite& site, uint32_t detail, uint64_t number) {
  begin(RecordKind::ForeignTrap, site);
  rec_.trap = {detail, number};
  write();
}

void Recorder::on_upcall(const EventSite& site, uint32_t which, uint64_t entry, uint64_t arg) {
  begin(RecordKind::Upcall, site);
  rec_.upcall = {which, entry, arg};
  write();
}

void Recorder::on_end(const EventSite& site, uint32_t reason, int64_t exit_code, std::string_view message) {
  begin(RecordKind::End, site);
  rec_.end.reason = reason;
  rec_.end.exit_code = exit_code;
  rec_.end.message = std::string(message);
  write();
  if (failed()) return;
  try {
    out_.flush();
  } catch (const TraceError& e) {
    error_ = e.what();
  }
}

}  // namespace dk
