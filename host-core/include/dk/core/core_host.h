// The core of every host: the calls whose meaning does not depend on the backend, served
// once over the host core's objects (memory and exit through GuestControl, threads,
// semaphores and events with DkObjectsWaitAny, child processes and their records, handles
// and handle passing), with the quota ledger every call passes first. SimHost and NativeHost derive
// from it and add only the resources they own. Errors are dk_status_t values; nothing throws across
// the Host interface.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dk/core/process_table.h"
#include "dk/core/stream.h"
#include "dk/host.h"
#include "dk/monitor/quota_ledger.h"

namespace dk {

class CoreHost : public Host {
 public:
  // `limits`: those of every picoprocess nobody set limits for (Limits{}: none);
  // `debug_log`: where DkDebugOutput lands (nullptr: dropped).
  // `first`: the first picoprocess's image, for self: (empty: none).
  CoreHost(Limits limits, std::string* debug_log, ProcessTable::Image first);
  ~CoreHost() override;

  // Every call passes the quota ledger first (it learns each picoprocess's limits there).
  dk_status_t serve(CallContext& cx, Call& call) override;
  // The ledger learns which stream is the caller's stdout or stderr.
  void bind_std_handle(CallContext& cx, int which, dk_handle_t h) override;

  // Limits of picoprocess `pid`, before it runs; and its counters.
  void set_limits(uint32_t pid, const Limits& l) { quotas_.set_limits(pid, l); }
  const Quotas& quotas(uint32_t pid) { return quotas_.quotas(pid); }
  // The image (and package name) of picoprocess `pid`, for its DkProcessCreate("self:").
  void set_image(uint32_t pid, std::vector<uint8_t> image, std::string name);

  // Memory, exit, segment base and exception return (through GuestControl), system info
  // and debug output.
  dk_status_t DkVirtualMemoryAllocate(CallContext& cx, Call& call) override;
  dk_status_t DkVirtualMemoryFree(CallContext& cx, Call& call) override;
  dk_status_t DkVirtualMemoryProtect(CallContext& cx, Call& call) override;
  dk_status_t DkProcessExit(CallContext& cx, Call& call) override;
  dk_status_t DkProcessSnapshot(CallContext& cx, Call& call) override;
  dk_status_t DkInstructionCacheFlush(CallContext& cx, Call& call) override;
  dk_status_t DkSegmentRegisterSet(CallContext& cx, Call& call) override;
  dk_status_t DkExceptionReturn(CallContext& cx, Call& call) override;
  dk_status_t DkSystemInfoQuery(CallContext& cx, Call& call) override;
  dk_status_t DkDebugOutput(CallContext& cx, Call& call) override;
  // Threads (4-8): a delay blocks until its deadline on clock_ns().
  dk_status_t DkThreadCreate(CallContext& cx, Call& call) override;
  dk_status_t DkThreadExit(CallContext& cx, Call& call) override;
  dk_status_t DkThreadDelayExecution(CallContext& cx, Call& call) override;
  dk_status_t DkThreadYieldExecution(CallContext& cx, Call& call) override;
  dk_status_t DkThreadResume(CallContext& cx, Call& call) override;
  // Semaphores, events and waits (9-16).
  dk_status_t DkSemaphoreCreate(CallContext& cx, Call& call) override;
  dk_status_t DkSemaphoreRelease(CallContext& cx, Call& call) override;
  dk_status_t DkSemaphorePeek(CallContext& cx, Call& call) override;
  dk_status_t DkNotificationEventCreate(CallContext& cx, Call& call) override;
  dk_status_t DkSynchronizationEventCreate(CallContext& cx, Call& call) override;
  dk_status_t DkEventSet(CallContext& cx, Call& call) override;
  dk_status_t DkEventClear(CallContext& cx, Call& call) override;
  dk_status_t DkObjectsWaitAny(CallContext& cx, Call& call) override;
  // Processes (17, 19): the host finds the image (child_image).
  dk_status_t DkProcessCreate(CallContext& cx, Call& call) override;
  dk_status_t DkProcessExitCodeQuery(CallContext& cx, Call& call) override;
  // Handles (35-38): references, close, and passing handles over pipes.
  dk_status_t DkObjectReference(CallContext& cx, Call& call) override;
  dk_status_t DkObjectClose(CallContext& cx, Call& call) override;
  dk_status_t DkSendHandle(CallContext& cx, Call& call) override;
  dk_status_t DkReceiveHandle(CallContext& cx, Call& call) override;

 protected:
  // What a parked DkObjectsWaitAny arms its streams on: the host's descriptor watch, or
  // nullptr when nothing outside the world can make an object ready.
  virtual IoWatch* io_watch() { return nullptr; }
  // The image DkProcessCreate starts for `uri` (spec.image and spec.name), once the host's
  // policy let the caller read it; self: through self_image().
  virtual dk_status_t child_image(CallContext& cx, const std::string& uri, ChildSpec& spec) = 0;
  // self: of `pid`: its recorded image, else the first picoprocess's; NOENT when neither.
  dk_status_t self_image(uint32_t pid, ChildSpec& spec) const;

  QuotaLedger quotas_;
  ProcessTable processes_;

 private:
  std::string* debug_log_;
  // DkObjectsWaitAny calls parked on a (pid, thread): the objects they wait on, kept alive
  // even when their handles are closed meanwhile.
  std::map<std::pair<uint32_t, uint32_t>, std::vector<std::shared_ptr<HostObject>>> waits_;
};

}  // namespace dk
