// The quotas of every picoprocess of one world. One ledger sits in the quota decorator in
// front of a host (QuotaEnforcer, host-core's dk/core/quota_enforcer.h), which asks it before
// anything that takes a limited resource, so the limits are enforced by one piece of code and
// no host charges anything itself. Host-facing: checks return 0 or -DK_E_QUOTA and never
// throw.
//
// What each limit counts (docs/monitor.md):
//   memory        committed bytes of the address space (image, stack, boot page, allocations,
//                 stream maps), checked before DkVirtualMemoryAllocate commits and DkStreamMap
//   threads       live threads, the first one included, checked by DkThreadCreate
//   handles       entries of the handle table: the table itself refuses past the limit
//   streams       stream handles in the table, checked by DkStreamOpen and
//                 DkStreamWaitForClient
//   cpu_ticks     ticks the picoprocess executes: past them it ends as at a tick limit
//   output_bytes  bytes written to dev:console streams and to the stdout/stderr streams
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>

#include "dk/host.h"
#include "dk/monitor/quota.h"

namespace dk {

class QuotaLedger {
 public:
  // `defaults`: the limits of a picoprocess nobody set limits for (Limits{}: none).
  explicit QuotaLedger(Limits defaults = {}) : defaults_(defaults) {}

  // The limits of `pid`, given before it runs (a launcher); counters start afresh.
  void set_limits(uint32_t pid, const Limits& l);
  // DkProcessCreate: the child runs under its parent's limits, with counters of its own.
  // The child boots (and may open its std handles) inside GuestControl::process_create,
  // before its pid is known: the decorator calls begin_child before it and end_child after
  // it (child 0 when the create failed).
  void begin_child(uint32_t parent);
  void end_child(uint32_t child);
  const Limits& limits(uint32_t pid);

  // Before the host serves any call of a picoprocess: the first time it sees the picoprocess,
  // the handle limit goes into its handle table and the tick budget to its GuestControl.
  // Cheap when the caller is the one seen last.
  void enter(CallContext& cx) {
    if (cx.pid != last_pid_ || !last_) look_up(cx);
  }

  // Committing `more` bytes on top of what the caller has committed now.
  dk_status_t memory(CallContext& cx, uint64_t more);
  // One more thread.
  dk_status_t thread(CallContext& cx);
  // One more stream handle.
  dk_status_t stream(CallContext& cx);
  // Writing `n` bytes to `target`; `console` when it is a dev:console stream. On 0,
  // `charged` bytes were taken (n, or 0 for a stream the limit does not count); give back
  // what was charged but not written with output_unused.
  dk_status_t output(CallContext& cx, const HostObject* target, bool console, uint64_t n,
                     uint64_t& charged);
  void output_unused(CallContext& cx, uint64_t n);
  // The launcher bound `obj` as stdout (1) or stderr (2) of the caller.
  void bind_std(CallContext& cx, int which, const std::shared_ptr<HostObject>& obj);

  // The counters of `pid` (tests, reports).
  const Quotas& quotas(uint32_t pid);

  // A snapshot of the ledger (written to the host core's state stream, dk/core/state.h): the
  // default limits and, for each picoprocess seen, its limits, each counter's use and peak,
  // whether its limits reached its handle table and GuestControl yet, and the objects bound
  // as its stdout and stderr (null: none, or gone). A child being created (between
  // begin_child and end_child, inside one call) is not part of it.
  struct Use {
    uint64_t used = 0, peak = 0;
    friend bool operator==(const Use&, const Use&) = default;
  };
  struct Picoprocess {
    Limits limits;
    // In the order of Limits' fields: memory, threads, handles, streams, cpu_ticks,
    // output_bytes.
    std::array<Use, 6> use{};
    bool applied = false;
    std::shared_ptr<HostObject> std_out[2];  // stdout, stderr
  };
  struct State {
    Limits defaults;
    std::map<uint32_t, Picoprocess> entries;  // by pid
  };
  State save() const;
  // Replaces the ledger's defaults and entries with `s`'s.
  void restore(const State& s);

 private:
  struct Entry {
    explicit Entry(const Limits& l) : limits(l), q(l) {}
    Limits limits;
    Quotas q;
    bool applied = false;
    std::weak_ptr<HostObject> std_out[2];  // stdout, stderr
  };
  Entry& entry(uint32_t pid);
  void look_up(CallContext& cx);

  Limits defaults_;
  bool child_pending_ = false;
  Limits child_limits_;
  std::map<uint32_t, std::unique_ptr<Entry>> entries_;
  uint32_t last_pid_ = 0;
  Entry* last_ = nullptr;
};

}  // namespace dk
