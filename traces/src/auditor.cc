// Audit lines: {"kind":...,"tick":...,"pid":...,"thread":...,"rip":...,"instruction":...,...}.
#include "dk/auditor.h"

#include "dk/calls.h"
#include "dk/json.h"
#include "dk/trace_render.h"

namespace dk {
namespace {

std::string call_name(uint32_t index) {
  const CallDesc* d = call_desc(index);
  return d ? std::string(d->name) : "call " + std::to_string(index);
}

void refusal_fields(JsonWriter& j, uint32_t index, dk_status_t status, const char* by) {
  j.field("call", call_name(index))
      .field("index", uint64_t{index})
      .field("status", int64_t{status})
      .field("status_name", status_name(status))
      .field("by", by);
}

}  // namespace

Auditor::Auditor(Host& inner, std::ostream& out, RunEvents* next)
    : HostDecorator(inner), out_(out), next_(next) {}

void Auditor::line(const char* kind, const EventSite& site, const std::function<void(JsonWriter&)>& rest) {
  const std::string insn = probe_ && site.rip ? probe_->instruction_at(site.pid, site.rip) : "";
  JsonWriter j;
  j.begin_object()
      .field("kind", kind)
      .field("tick", uint64_t{site.tick})
      .field("pid", uint64_t{site.pid})
      .field("thread", uint64_t{site.thread})
      .field("rip", uint64_t{site.rip})
      .field("instruction", insn);
  rest(j);
  j.end_object();
  out_ << j.str() << "\n";
  out_.flush();
  ++lines_;
}

dk_status_t Auditor::serve(CallContext& cx, Call& call) {
  const dk_status_t st = inner().serve(cx, call);
  if (st < 0 && st != kBlocked) {
    const EventSite at{cx.tick, cx.pid, cx.thread, cx.rip};
    line(st == -DK_E_QUOTA ? "quota" : "refused", at,
         [&](JsonWriter& j) { refusal_fields(j, call.index, st, "host"); });
    host_refused_ = true;
    last_ = at;
  }
  return st;
}

void Auditor::on_refused(const EventSite& site, uint32_t index, int64_t status) {
  const bool seen = host_refused_ && last_.tick == site.tick && last_.pid == site.pid &&
                    last_.thread == site.thread && last_.rip == site.rip;
  host_refused_ = false;
  if (!seen)
    line(status == -DK_E_QUOTA ? "quota" : "refused", site,
         [&](JsonWriter& j) { refusal_fields(j, index, status, "dispatcher"); });
  if (next_) next_->on_refused(site, index, status);
}

void Auditor::on_foreign_trap(const EventSite& site, uint32_t detail, uint64_t number) {
  line("foreign_trap", site,
       [&](JsonWriter& j) { j.field("detail", uint64_t{detail}).field("number", uint64_t{number}); });
  if (next_) next_->on_foreign_trap(site, detail, number);
}

void Auditor::on_end(const EventSite& site, uint32_t reason, int64_t exit_code,
                     std::string_view message) {
  // A tick quota ends the picoprocess with -DK_E_QUOTA (the world's End::TickLimit).
  if (exit_code == -DK_E_QUOTA)
    line("quota", site,
         [&](JsonWriter& j) { j.field("end", uint64_t{reason}).field("message", message); });
  if (next_) next_->on_end(site, reason, exit_code, message);
}

void Auditor::on_schedule(const EventSite& site, uint32_t next_thread, uint32_t reason) {
  if (next_) next_->on_schedule(site, next_thread, reason);
}
void Auditor::on_schedule_to(const EventSite& site, uint32_t next_pid, uint32_t next_thread,
                             uint32_t reason) {
  if (next_) next_->on_schedule_to(site, next_pid, next_thread, reason);
}
void Auditor::on_exception(const EventSite& site, uint32_t type, uint32_t detail,
                           uint64_t address) {
  if (next_) next_->on_exception(site, type, detail, address);
}
void Auditor::on_upcall(const EventSite& site, uint32_t which, uint64_t entry, uint64_t arg) {
  if (next_) next_->on_upcall(site, which, entry, arg);
}
void Auditor::set_probe(WorldProbe* probe) {
  probe_ = probe;
  if (next_) next_->set_probe(probe);
}

}  // namespace dk
