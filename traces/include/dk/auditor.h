// The Auditor: a Host decorator (and RunEvents listener) that writes one JSON line for every
// foreign trap, every refused downcall (a negative status from the host or its policy, or
// from the dispatcher's checks) and every quota hit, with tick, pid, thread, rip and the
// disassembled instruction. `dk run --audit FILE` uses it; docs/formats.md has the lines.
// It forwards every call and event, so it can sit in front of a Recorder.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

#include "dk/host.h"
#include "dk/run_events.h"

namespace dk {

class JsonWriter;

class Auditor : public HostDecorator, public RunEvents {
 public:
  // `next`: events are passed on to it (a Recorder), or nullptr.
  Auditor(Host& inner, std::ostream& out, RunEvents* next = nullptr);

  dk_status_t serve(CallContext& cx, Call& call) override;

  void on_schedule(const EventSite& site, uint32_t next_thread, uint32_t reason) override;
  void on_schedule_to(const EventSite& site, uint32_t next_pid, uint32_t next_thread,
                      uint32_t reason) override;
  void on_exception(const EventSite& site, uint32_t type, uint32_t detail,
                    uint64_t address) override;
  void on_foreign_trap(const EventSite& site, uint32_t detail, uint64_t number) override;
  void on_upcall(const EventSite& site, uint32_t which, uint64_t entry, uint64_t arg) override;
  void on_end(const EventSite& site, uint32_t reason, int64_t exit_code,
              std::string_view message) override;
  void on_refused(const EventSite& site, uint32_t index, int64_t status) override;
  void set_probe(WorldProbe* probe) override;
  bool stop_requested() const override { return next_ && next_->stop_requested(); }
  std::string stop_reason() const override { return next_ ? next_->stop_reason() : ""; }

  uint64_t lines() const { return lines_; }

 private:
  // One line: kind and site, then the fields `rest` adds.
  void line(const char* kind, const EventSite& site, const std::function<void(JsonWriter&)>& rest);

  std::ostream& out_;
  RunEvents* next_;
  WorldProbe* probe_ = nullptr;
  uint64_t lines_ = 0;
  // The last refusal the host made: the emulator reports it again as a refused downcall.
  bool host_refused_ = false;
  EventSite last_{};
};

}  // namespace dk
