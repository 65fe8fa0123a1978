// Quotas as a decorator: the monitor's QuotaLedger applied around a host, so that no host
// charges anything itself. A host without a QuotaEnforcer in front enforces no limit at all.
//
// Every check keeps its place in a call's flow, so that when several refusals apply the
// guest sees the same one as if the host checked inline:
//   every call      the ledger learns the caller first (its handle limit goes into its
//                   handle table, its tick budget to its GuestControl); bind_std_handle
//                   tells it which streams are the caller's stdout and stderr
//   memory          at the commit itself: the host's GuestControl::vm_allocate with
//                   DK_ALLOC_COMMIT (DkVirtualMemoryAllocate, DkStreamMap after the host
//                   validated the mapping and read the file), through a GuestControl the
//                   decorator hands the host in the call's context
//   threads         at GuestControl::thread_create (DkThreadCreate), the same way
//   children        around GuestControl::process_create: a child runs under its parent's
//                   limits with counters of its own
//   streams         DkStreamOpen after the request's flags and URI syntax (check_open_request,
//                   which every host's open starts with), before the host's policy; not for
//                   self:. DkStreamWaitForClient when the server would hand out a client
//                   (HostStream::would_accept), after the handle's checks
//   output_bytes    DkStreamWrite after the write's own refusals (write_refusal), on streams
//                   the host marked console_device and the bound stdout/stderr; refused whole
//                   before a byte moves, and what the host did not write (its status, the
//                   count it returned) is given back
// The stream checks read the host core's stream objects (dk/core/stream.h); a host whose
// streams are of another kind gets the other checks only.
//
// Order with the other decorators: a Recorder goes outside (Recorder(QuotaEnforcer(host))),
// so that a refusal is a recorded result and the tick budget a recorded effect, and a
// replay, which serves from the trace, needs no ledger.
#pragma once

#include <cstdint>

#include "dk/core/state.h"
#include "dk/host.h"
#include "dk/monitor/quota_ledger.h"

namespace dk {

class QuotaEnforcer : public HostDecorator {
 public:
  // `defaults`: the limits of every picoprocess nobody set limits for (Limits{}: none).
  // Launchers pass the manifest's (PackageLaunch::limits), or default_limits() for a bare
  // image.
  explicit QuotaEnforcer(Host& inner, Limits defaults = {});

  // The limits of picoprocess `pid`, before it runs (a child gets its parent's); and its
  // counters.
  void set_limits(uint32_t pid, const Limits& l) { ledger_.set_limits(pid, l); }
  const Quotas& quotas(uint32_t pid) { return ledger_.quotas(pid); }
  // The ledger's share of a snapshot (dk/core/state.h): CoreState::quotas; and back from a
  // loaded state (nothing changes when it has no ledger).
  void save_quotas(CoreState& s) const { s.quotas = ledger_.save(); }
  void load_quotas(const CoreState& s) {
    if (s.quotas) ledger_.restore(*s.quotas);
  }

  dk_status_t serve(CallContext& cx, Call& call) override;
  void bind_std_handle(CallContext& cx, int which, dk_handle_t h) override;

 private:
  dk_status_t stream_write(CallContext& cx, Call& call);
  // The inner host's serve, with a GuestControl that charges commits, threads and children.
  dk_status_t forward(CallContext& cx, Call& call);

  QuotaLedger ledger_;
};

}  // namespace dk
