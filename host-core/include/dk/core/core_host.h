// The core of every host: the calls whose meaning does not depend on the backend, served
// once over the host core's objects (threads, semaphores and events with DkObjectsWaitAny,
// child processes and their records, handles and handle passing, the calls every stream kind
// shares, stream mappings). Memory, exit, segment base and exception return are the Host
// interface's defaults (GuestControl); quotas are a decorator's (QuotaEnforcer,
// dk/core/quota_enforcer.h), so a CoreHost on its own enforces none. SimHost and NativeHost
// derive from it and add only the resources they own. Errors are dk_status_t values; nothing
// throws across the Host interface.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dk/core/device.h"
#include "dk/core/pipe.h"
#include "dk/core/process_table.h"
#include "dk/core/stream.h"
#include "dk/core/wake.h"
#include "dk/host.h"
#include "dk/monitor/namespace.h"
#include "dk/monitor/policy.h"

namespace dk {

struct CoreState;

class CoreHost : public Host {
 public:
  // `debug_log`: where DkDebugOutput lands (nullptr: dropped).
  // `first`: the first picoprocess's image, for self: (empty: none).
  CoreHost(std::string* debug_log, ProcessTable::Image first);
  ~CoreHost() override;

  // The image (and package name) of picoprocess `pid`, for its DkProcessCreate("self:").
  void set_image(uint32_t pid, std::vector<uint8_t> image, std::string name);
  // The host core's share of a snapshot (dk/core/state.h): the process table, the objects
  // each parked DkObjectsWaitAny waits on, and every picoprocess's stream mappings go into
  // `s` (its other fields are left as they are). Wake lists and WakeStats are not state: a
  // restored parked call enters the lists again when it retries.
  void save_core(CoreState& s) const;
  // Puts them back from `s` (a loaded state), in place of the host core's own: the process
  // table when `s` has one, the waits and the mappings always.
  void load_core(const CoreState& s);
  // What the wake lists said about the retries of parked calls (dk/core/wake.h).
  const WakeStats& wake_stats() const { return wake_stats_; }
  // A dev: stream bound as the boot info's stderr (which == 2) writes to the console's error
  // side (dk/core/device.h).
  void bind_std_handle(CallContext& cx, int which, dk_handle_t h) override;

  // Every call, then the wake lists learn what it did.
  dk_status_t serve(CallContext& cx, Call& call) override;

  // Snapshots, cache flushes, system info and debug output.
  dk_status_t DkProcessSnapshot(CallContext& cx, Call& call) override;
  dk_status_t DkInstructionCacheFlush(CallContext& cx, Call& call) override;
  dk_status_t DkSystemInfoQuery(CallContext& cx, Call& call) override;
  dk_status_t DkDebugOutput(CallContext& cx, Call& call) override;
  // Threads (4, 6-8; exit is the Host default): a delay blocks until its deadline on
  // clock_ns().
  dk_status_t DkThreadCreate(CallContext& cx, Call& call) override;
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
  // Streams by URI (21, 26, 30, 34, open.cc): flag checks, URI syntax, the namespace
  // operation and access, the policy question (resolve), devices, named pipes and self:
  // here; files and sockets through the backend hooks below.
  dk_status_t DkStreamOpen(CallContext& cx, Call& call) override;
  dk_status_t DkStreamSetLength(CallContext& cx, Call& call) override;
  dk_status_t DkStreamAttributesQuery(CallContext& cx, Call& call) override;
  dk_status_t DkStreamChangeName(CallContext& cx, Call& call) override;
  // Streams (22-25, 27-29, 31-33): what every stream kind shares.
  dk_status_t DkStreamRead(CallContext& cx, Call& call) override;
  dk_status_t DkStreamWrite(CallContext& cx, Call& call) override;
  dk_status_t DkStreamMap(CallContext& cx, Call& call) override;
  dk_status_t DkStreamUnmap(CallContext& cx, Call& call) override;
  dk_status_t DkStreamFlush(CallContext& cx, Call& call) override;
  dk_status_t DkStreamDelete(CallContext& cx, Call& call) override;
  dk_status_t DkStreamWaitForClient(CallContext& cx, Call& call) override;
  dk_status_t DkStreamAttributesQueryByHandle(CallContext& cx, Call& call) override;
  dk_status_t DkStreamAttributesSetByHandle(CallContext& cx, Call& call) override;
  dk_status_t DkStreamGetName(CallContext& cx, Call& call) override;
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

  // Streams by URI. The host's policy answer for `uri` (dk/monitor/policy.h), asked once per
  // open, attribute query and rename (old and new URI), after the URI's syntax.
  virtual dk_status_t resolve(CallContext& cx, NamespaceOp op, const Uri& uri, Access access,
                              Resolved& out) = 0;
  // Where a dev: or pipe: URI leads once resolved (the device and the pipe name): the
  // default is the URI itself; a host that maps names parses what the policy resolved.
  virtual dk_status_t physical(const Uri& uri, const Resolved& r, Uri& out) const {
    (void)r;
    out = uri;
    return 0;
  }
  // The dev: stream for `d`, named `uri`, opened as `f` asks.
  virtual std::shared_ptr<HostStream> open_device(DeviceStream::Device d, const Uri& uri,
                                                  const OpenFlags& f) = 0;
  // file:, dir:, package: (and the other path schemes), and tcp:, tcp.server:, udp:,
  // udp.server:, once the policy let the caller.
  virtual dk_status_t open_path(CallContext& cx, const Uri& uri, const Resolved& r,
                                const OpenFlags& f, std::shared_ptr<HostStream>& out) = 0;
  virtual dk_status_t open_net(CallContext& cx, const Uri& uri, const Resolved& r,
                               const OpenFlags& f, std::shared_ptr<HostStream>& out) = 0;
  // DkStreamAttributesQuery of a path or a socket URI.
  virtual dk_status_t query_path(const Uri& uri, const Resolved& r, dk_stream_attr& attr) = 0;
  virtual dk_status_t query_net(const Uri& uri, const Resolved& r, dk_stream_attr& attr) = 0;
  // DkStreamChangeName of a file or directory stream to `to` (same scheme, both URIs let).
  virtual dk_status_t rename_path(const std::shared_ptr<HostStream>& s, const Uri& to,
                                  const Resolved& rt) = 0;
  // DkStreamSetLength of a file stream open for writing.
  virtual dk_status_t set_length(HostStream& s, uint64_t length) = 0;
  // DkStreamDelete of a file or directory stream: the host asks its policy and deletes.
  virtual dk_status_t delete_named(CallContext& cx, const std::shared_ptr<HostStream>& s) = 0;
  // DkStreamWaitForClient on a server that is not a pipe server (the native host's TCP).
  virtual dk_status_t wait_for_client(CallContext&, Call&, const std::shared_ptr<HostStream>&) {
    return -DK_E_WRONGTYPE;
  }

  // A DkStreamMap region of one picoprocess (dk/core/stream.h).
  using StreamMapping = dk::StreamMapping;
  // What DkStreamMap accepts (a file stream).
  virtual bool mappable(const HostStream& s) const { return s.type == DK_STREAM_FILE; }
  // The bytes of `s` from `offset`, at most `pages` of them, read before any memory is
  // touched. The default reads the stream.
  virtual dk_status_t read_mapped(CallContext& cx, HostStream& s, uint64_t offset, uint64_t pages,
                                  std::vector<uint8_t>& data);
  // Write-back of a shared mapping: the file's length now (false: nothing to write back),
  // and the bytes to store at m.offset.
  virtual bool mapped_length(const StreamMapping& m, uint64_t& length) = 0;
  virtual void store_mapped(const StreamMapping& m, const std::vector<uint8_t>& bytes) = 0;
  // True when `mapped` and `s` are the same file (through the same handle or another).
  virtual bool same_file(const HostStream& mapped, const HostStream& s) const = 0;
  // Writes the caller's shared mappings of `file` back to it.
  void flush_mappings(CallContext& cx, const HostStream& file);

  ProcessTable processes_;
  PipeNames pipes_;  // the world's pipe.server: names

 private:
  void write_back(CallContext& cx, const StreamMapping& m);
  // Wake lists (wake.cc): a call of (cx.pid, cx.thread) returned `st`; a retry is told to
  // wake_stats_, a call that parked is entered on the wake lists of what it waits for.
  void note_wakes(CallContext& cx, const Call& call, dk_status_t st);
  // What wakes the call: nullopt when it waits for what the host core cannot see change.
  std::optional<WakeOn> enter_waits(CallContext& cx, const Call& call, const std::shared_ptr<Waiter>& w);
  // DkThreadResume woke thread (pid, tid) out of whatever it is parked in.
  void wake_thread(uint32_t pid, uint32_t tid);

  std::string* debug_log_;
  // DkObjectsWaitAny calls parked on a (pid, thread): the objects they wait on, kept alive
  // even when their handles are closed meanwhile.
  std::map<std::pair<uint32_t, uint32_t>, std::vector<std::shared_ptr<HostObject>>> waits_;
  std::pair<uint32_t, uint32_t> sweep_from_{0, 0};  // where the next partial sweep starts
  std::map<uint32_t, std::vector<StreamMapping>> mappings_;  // by pid
  // The call each thread is parked in, as its wake lists know it.
  struct Parked {
    std::shared_ptr<Waiter> waiter;
    uint64_t rip = 0;
    uint32_t index = 0;
    bool on_ends = false;  // waits on a thread or a process too: an end wakes it (no list)
  };
  std::map<std::pair<uint32_t, uint32_t>, Parked> parked_;
  // Waiters woken since the last call ended (outside a call too: a picoprocess's handles
  // closing as it ends), in the order they were woken.
  std::vector<std::shared_ptr<Waiter>> woken_;
  WakeStats wake_stats_;
};

}  // namespace dk
