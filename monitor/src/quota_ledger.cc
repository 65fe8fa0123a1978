#include "dk/monitor/quota_ledger.h"

namespace dk {

QuotaLedger::Entry& QuotaLedger::entry(uint32_t pid) {
  auto& e = entries_[pid];
  if (!e) {
    // A picoprocess first seen while a child is being created is that child.
    e = std::make_unique<Entry>(child_pending_ ? child_limits_ : defaults_);
    child_pending_ = false;
  }
  return *e;
}

void QuotaLedger::set_limits(uint32_t pid, const Limits& l) {
  entries_[pid] = std::make_unique<Entry>(l);
  last_ = nullptr;
}

void QuotaLedger::begin_child(uint32_t parent) {
  child_limits_ = entry(parent).limits;
  child_pending_ = true;
}

void QuotaLedger::end_child(uint32_t child) {
  if (child_pending_ && child && !entries_.count(child)) set_limits(child, child_limits_);
  child_pending_ = false;
}

const Limits& QuotaLedger::limits(uint32_t pid) {
  return entry(pid).limits;
}

const Quotas& QuotaLedger::quotas(uint32_t pid) {
  return entry(pid).q;
}

void QuotaLedger::look_up(CallContext& cx) {
  Entry& e = entry(cx.pid);
  if (!e.applied) {
    e.applied = true;
    cx.handles.set_limit(e.limits.handles);
    cx.ctl.set_tick_limit(e.limits.cpu_ticks);
  }
  last_pid_ = cx.pid;
  last_ = &e;
}

dk_status_t QuotaLedger::memory(CallContext& cx, uint64_t more) {
  enter(cx);
  QuotaCounter& c = last_->q.memory;
  if (c.unlimited()) return 0;
  c.set_used(cx.ctl.committed_bytes());
  if (dk_status_t st = c.charge(more)) return st;
  c.release(more);  // the address space keeps the count; this was the check
  return 0;
}

dk_status_t QuotaLedger::thread(CallContext& cx) {
  enter(cx);
  QuotaCounter& c = last_->q.threads;
  if (c.unlimited()) return 0;
  c.set_used(cx.ctl.live_threads());
  return c.charge(1);
}

dk_status_t QuotaLedger::stream(CallContext& cx) {
  enter(cx);
  QuotaCounter& c = last_->q.streams;
  if (c.unlimited()) return 0;
  uint64_t open = 0;
  for (const auto& [h, obj] : cx.handles.entries()) open += obj->kind() == ObjectKind::Stream;
  c.set_used(open);
  return c.charge(1);
}

dk_status_t QuotaLedger::output(CallContext& cx, const HostObject* target, bool console, uint64_t n,
                                uint64_t& charged) {
  enter(cx);
  charged = 0;
  Entry& e = *last_;
  const bool counted =
      console ||
      (target && (e.std_out[0].lock().get() == target || e.std_out[1].lock().get() == target));
  if (!counted) return 0;
  if (dk_status_t st = e.q.output_bytes.charge(n)) return st;
  charged = n;
  return 0;
}

void QuotaLedger::output_unused(CallContext& cx, uint64_t n) {
  enter(cx);
  last_->q.output_bytes.release(n);
}

void QuotaLedger::bind_std(CallContext& cx, int which, const std::shared_ptr<HostObject>& obj) {
  if (which != 1 && which != 2) return;
  enter(cx);
  last_->std_out[which - 1] = obj;
}

namespace {

// A picoprocess's counters, in the order of Limits' fields.
std::array<QuotaCounter*, 6> counters(Quotas& q) {
  return {&q.memory, &q.threads, &q.handles, &q.streams, &q.cpu_ticks, &q.output_bytes};
}

}  // namespace

QuotaLedger::State QuotaLedger::save() const {
  State s;
  s.defaults = defaults_;
  for (const auto& [pid, e] : entries_) {
    Picoprocess& p = s.entries[pid];
    p.limits = e->limits;
    const auto c = counters(e->q);
    for (size_t i = 0; i < c.size(); ++i) p.use[i] = Use{c[i]->used(), c[i]->peak()};
    p.applied = e->applied;
    p.std_out[0] = e->std_out[0].lock();
    p.std_out[1] = e->std_out[1].lock();
  }
  return s;
}

void QuotaLedger::restore(const State& s) {
  defaults_ = s.defaults;
  child_pending_ = false;
  entries_.clear();
  last_pid_ = 0;
  last_ = nullptr;
  for (const auto& [pid, p] : s.entries) {
    auto e = std::make_unique<Entry>(p.limits);
    const auto c = counters(e->q);
    for (size_t i = 0; i < c.size(); ++i) c[i]->restore(p.use[i].used, p.use[i].peak);
    e->applied = p.applied;
    e->std_out[0] = p.std_out[0];
    e->std_out[1] = p.std_out[1];
    entries_[pid] = std::move(e);
  }
}

}  // namespace dk
