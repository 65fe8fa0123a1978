// The Recorder: a Host decorator that serves every downcall through the host it wraps and
// writes each one (inputs, status, outputs, and every effect the host had on the picoprocess
// through GuestControl and GuestMemory) to a trace, with the emulator's other events, every
// cycle-counter and host-clock value and idle answer, so that a Replayer can play the run
// back without any host.
#pragma once

#include <deque>
#include <string_view>
#include <vector>

#include "dk/host.h"
#include "dk/run_events.h"
#include "dk/trace_file.h"

namespace dk {

struct RecorderOptions {
  bool hash_inputs = false;  // keep only the XXH3 of downcall input bytes (smaller traces)
  // A Checksum record (memory hash of the calling picoprocess) after every N-th downcall of
  // the world; 0: none. Needs the emulator's probe (set_probe).
  uint64_t checksum_every = 0;
};

class Recorder : public HostDecorator, public RunEvents {
 public:
  // The writer's header should say kTraceInputsHashed when hash_inputs is set.
  Recorder(Host& inner, TraceWriter& out, RecorderOptions opts = {});

  dk_status_t serve(CallContext& cx, Call& call) override;
  uint64_t cycle_counter(const CallContext& cx) override;
  // The host's clock and idle waits decide which parked thread runs: both are recorded.
  uint64_t clock_ns(const CallContext& cx) override;
  bool idle(uint64_t deadline) override;

  void on_schedule(const EventSite& site, uint32_t next_thread, uint32_t reason) override;
  void on_schedule_to(const EventSite& site, uint32_t next_pid, uint32_t next_thread, uint32_t reason) override;
  void on_exception(const EventSite& site, uint32_t type, uint32_t detail, uint64_t address) override;
  void on_foreign_trap(const EventSite& site, uint32_t detail, uint64_t number) override;
  void on_upcall(const EventSite& site, uint32_t which, uint64_t entry, uint64_t arg) override;
  // Also writes the pending chunk, so a finished run's trace is complete on disk.
  void on_end(const EventSite& site, uint32_t reason, int64_t exit_code, std::string_view message) override;
  void set_probe(WorldProbe* probe) override { probe_ = probe; }

  // A write failure does not stop the run (hosts return values, not exceptions, to the
  // emulator); it is kept here and recording stops.
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  uint64_t downcalls() const { return downcalls_; }

 private:
  void begin(RecordKind kind, const EventSite& site);
  void write() { emit(rec_); }
  // Appends `r`, or while a downcall is being served (a child booting inside DkProcessCreate
  // makes downcalls of its own) keeps it until that downcall's record is written: replay
  // performs the call's effects, and so meets the nested records, after matching it.
  void emit(const TraceRecord& r);

  TraceWriter& out_;
  RecorderOptions opts_;
  TraceRecord rec_;                // events; reused: recording allocates nothing per call once warm
  std::deque<TraceRecord> calls_;  // downcalls being served, by nesting depth (stable addresses)
  std::vector<TraceRecord> pending_;
  uint32_t depth_ = 0;
  std::string error_;
  uint64_t downcalls_ = 0;
  WorldProbe* probe_ = nullptr;
};

}  // namespace dk
