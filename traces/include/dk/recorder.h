// The Recorder: a Host decorator that serves every downcall through the host it wraps and
// writes each one (inputs, status, outputs) to a trace, with the emulator's other events and
// every cycle-counter value, so that a Replayer can play the run back without any host.
#pragma once

#include <string_view>

#include "dk/host.h"
#include "dk/run_events.h"
#include "dk/trace_file.h"

namespace dk {

struct RecorderOptions {
  bool hash_inputs = false;  // keep only the XXH3 of downcall input bytes (smaller traces)
};

class Recorder : public Host, public RunEvents {
 public:
  // The writer's header should say kTraceInputsHashed when hash_inputs is set.
  Recorder(Host& inner, TraceWriter& out, RecorderOptions opts = {});

  std::string_view name() const override { return inner_.name(); }
  dk_status_t serve(CallContext& cx, Call& call) override;
  uint64_t cycle_counter(const CallContext& cx) override;
  void bind_std_handle(CallContext& cx, int which, dk_handle_t h) override {
    inner_.bind_std_handle(cx, which, h);
  }

  void on_schedule(const EventSite& site, uint32_t next_thread, uint32_t reason) override;
  void on_exception(const EventSite& site, uint32_t type, uint32_t detail, uint64_t address) override;
  void on_foreign_trap(const EventSite& site, uint32_t detail, uint64_t number) override;
  void on_upcall(const EventSite& site, uint32_t which, uint64_t entry, uint64_t arg) override;
  // Also writes the pending chunk, so a finished run's trace is complete on disk.
  void on_end(const EventSite& site, uint32_t reason, int64_t exit_code, std::string_view message) override;

  // A write failure does not stop the run (hosts return values, not exceptions, to the
  // emulator); it is kept here and recording stops.
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  uint64_t downcalls() const { return downcalls_; }

 private:
  void begin(RecordKind kind, const EventSite& site);
  void write();

  Host& inner_;
  TraceWriter& out_;
  RecorderOptions opts_;
  TraceRecord rec_;  // reused: recording allocates nothing per call once warm
  std::string error_;
  uint64_t downcalls_ = 0;
};

}  // namespace dk
