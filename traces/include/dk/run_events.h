// What the emulator reports besides downcalls, so a run can be recorded and replayed:
// scheduling decisions, exceptions, foreign traps, upcalls and the end. The Recorder writes
// them; the Replayer checks them against the trace. rdtsc goes through Host::cycle_counter.
#pragma once

#include <cstdint>
#include <string_view>

namespace dk {

// Where an event happened.
struct EventSite {
  uint64_t tick = 0;
  uint32_t pid = 0;
  uint32_t thread = 0;
  uint64_t rip = 0;
};

class RunEvents {
 public:
  virtual ~RunEvents() = default;
  // The scheduler switches from site.thread to `next_thread` (reason: ScheduleReason).
  virtual void on_schedule(const EventSite& site, uint32_t next_thread, uint32_t reason) = 0;
  virtual void on_exception(const EventSite& site, uint32_t type, uint32_t detail, uint64_t address) = 0;
  virtual void on_foreign_trap(const EventSite& site, uint32_t detail, uint64_t number) = 0;
  // An upcall is entered (which: UpcallKind) at `entry` with rdi = `arg`.
  virtual void on_upcall(const EventSite& site, uint32_t which, uint64_t entry, uint64_t arg) = 0;
  // The picoprocess ended (reason: RunResult::End as a number).
  virtual void on_end(const EventSite& site, uint32_t reason, int64_t exit_code, std::string_view message) = 0;
};

}  // namespace dk
