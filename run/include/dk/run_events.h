// What the emulator reports besides downcalls, so a run can be recorded and replayed:
// scheduling decisions, exceptions, foreign traps, upcalls and the end. The Recorder writes
// them; the Replayer checks them against the trace. rdtsc goes through Host::cycle_counter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace dk {

// Why the scheduler switched threads (Schedule records).
enum ScheduleReason : uint32_t {
  kScheduleQuantum = 1,
  kScheduleYield = 2,
  kScheduleBlock = 3,
  kScheduleExit = 4,
  kScheduleWake = 5,
  kScheduleStart = 6,  // the first thread of the world gets the engine
};

// Which upcall was entered (Upcall records).
enum UpcallKind : uint32_t { kUpcallInit = 1, kUpcallThreadStart = 2, kUpcallException = 3 };

// Where an event happened.
struct EventSite {
  uint64_t tick = 0;
  uint32_t pid = 0;
  uint32_t thread = 0;
  uint64_t rip = 0;
};

// What the emulator lets a recorder or replayer look at while a picoprocess is alive.
class WorldProbe {
 public:
  virtual ~WorldProbe() = default;
  // Calls `fn` with the bytes of every committed region of picoprocess `pid`, in address
  // order, in pieces (addr, bytes, len); nothing for a pid that is not alive.
  virtual void read_memory(uint32_t pid, const std::function<void(uint64_t, const uint8_t*, size_t)>& fn) = 0;
  // The disassembled instruction at `rip` in picoprocess `pid` ("" if unreadable).
  virtual std::string instruction_at(uint32_t pid, uint64_t rip) = 0;
};

class RunEvents {
 public:
  virtual ~RunEvents() = default;
  // The scheduler switches from site.thread to `next_thread` (reason: ScheduleReason).
  virtual void on_schedule(const EventSite& site, uint32_t next_thread, uint32_t reason) = 0;
  // The same, naming the next thread's picoprocess (the emulator calls this one).
  virtual void on_schedule_to(const EventSite& site, uint32_t next_pid, uint32_t next_thread, uint32_t reason) {
    (void)next_pid;
    on_schedule(site, next_thread, reason);
  }
  virtual void on_exception(const EventSite& site, uint32_t type, uint32_t detail, uint64_t address) = 0;
  virtual void on_foreign_trap(const EventSite& site, uint32_t detail, uint64_t number) = 0;
  // An upcall is entered (which: UpcallKind) at `entry` with rdi = `arg`.
  virtual void on_upcall(const EventSite& site, uint32_t which, uint64_t entry, uint64_t arg) = 0;
  // The picoprocess ended (reason: RunResult::End as a number).
  virtual void on_end(const EventSite& site, uint32_t reason, int64_t exit_code, std::string_view message) = 0;

  // A downcall returned a negative status (not kBlocked) to the guest, whether the
  // dispatcher's checks or the host refused it.
  virtual void on_refused(const EventSite& /*site*/, uint32_t /*index*/, int64_t /*status*/) {}

  // The emulator hands over its probe before the first event (nullptr when it goes away).
  virtual void set_probe(WorldProbe* /*probe*/) {}
  // True when the run must stop now (a replay diverged); the emulator ends every
  // picoprocess with a host error naming stop_reason().
  virtual bool stop_requested() const { return false; }
  virtual std::string stop_reason() const { return ""; }
};

}  // namespace dk
