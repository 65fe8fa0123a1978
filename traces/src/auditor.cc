// Audit lines: {"kind":...,"tick":...,"pid":...,"thread":...,"rip":...,"instruction":...,...}.
#include "dk/auditor.h"

#include "dk/calls.h"
#include "dk/trace_render.h"

namespace dk {
namespace {

std::string call_name(uint32_t index) {
  const CallDesc* d = call_desc(index);
  return d ? std::string(d->name) : "call " + std::to_string(index);
}

std::string refusal_fields(uint32_t index, dk_status_t status, const char* by) {
  return ",\"call\":" + json_string(call_name(index)) + ",\"index\":" + std::to_string(index) +
         ",\"status\":" + std::to_string(status) +
         ",\"status_name\":" + json_string(std::string(status_name(status))) + ",\"by\":\"" + by +
         "\"";
}

}  // namespace

Auditor::Auditor(Host& inner, std::ostream& out, RunEvents* next)
    : HostDecorator(inner), out_(out), next_(next) {}

void Auditor::line(const char* kind, const EventSite& site, const std::string& rest) {
  const std::string insn = probe_ && site.rip ? probe_->instruction_at(site.pid, site.rip) : "";
  out_ << "{\"kind\":\"" << kind << "\",\"tick\":" << site.tick << ",\"pid\":" << site.pid
       << ",\"thread\":" << site.thread << ",\"rip\":" << site.rip
       << ",\"instruction\":" << json_string(insn) << rest << "}\n";
  out_.flush();
  ++lines_;
}

dk_status_t Auditor::serve(CallContext& cx, Call& call) {
  const dk_status_t st = inner().serve(cx, call);
  if (st < 0 && st != kBlocked) {
    const EventSite at{cx.tick, cx.pid, cx.thread, cx.rip};
    line(st == -DK_E_QUOTA ? "quota" : "refused", at, refusal_fields(call.index, st, "host"));
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
         refusal_fields(index, status, "dispatcher"));
  if (next_) next_->on_refused(site, index, status);
}

void Auditor::on_foreign_trap(const EventSite& site, uint32_t detail, uint64_t number) {
  line("foreign_trap", site,
       ",\"detail\":" + std::to_string(detail) + ",\"number\":" + std::to_string(number));
  if (next_) next_->on_foreign_trap(site, detail, number);
}

void Auditor::on_end(const EventSite& site, uint32_t reason, int64_t exit_code,
                     std::string_view message) {
  // A tick quota ends the picoprocess with -DK_E_QUOTA (the world's End::TickLimit).
  if (exit_code == -DK_E_QUOTA)
    line(
        "quota", site,
        ",\"end\":" + std::to_string(reason) + ",\"message\":" + json_string(std::string(message)));
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
