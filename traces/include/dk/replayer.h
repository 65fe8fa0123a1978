// The Replayer: a Host decorator that never calls a real host. It serves each downcall from
// a trace after checking that the guest asked for the same call, arguments and input bytes
// at the same tick and thread, and performs the memory and thread effects through
// GuestControl. The first mismatch stops replay with a Divergence. Errors are values here.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "dk/host.h"
#include "dk/run_events.h"
#include "dk/trace_file.h"

namespace dk {

struct Divergence {
  uint64_t tick = 0;
  uint32_t pid = 0;
  uint32_t thread = 0;
  uint64_t rip = 0;
  uint64_t record = 0;       // index of the trace record that did not match (0-based)
  std::string field;         // what differs: "call", an argument name, "tick", "thread", ...
  std::string expected;      // the recorded record, rendered ("" past the end of the trace)
  std::string actual;        // what the guest did, rendered
  std::string instruction;   // disassembly at rip, filled in by the emulator if it has one
  std::string note;          // e.g. the trace was cut short, or recorded on another Unicorn
  bool end_of_trace = false; // the guest went on after the last record
  bool cut_short = false;    // ... of a trace that was cut short (the recorder stopped early)

  // Several lines for a person: where, what differed, expected and actual.
  std::string report() const;
};

struct ReplayOptions {
  // The Unicorn version of this build; when the trace names another, reports say so.
  std::string unicorn_version;
  // The CPUID answers of this build; when the trace's differ, reports say so.
  std::vector<uint8_t> cpuid;
  // Where the guest's console output goes: bytes of every replayed DkStreamWrite on a
  // handle bound as stdout (fd 1) or stderr (fd 2) by the launcher. Empty: dropped.
  std::function<void(int fd, const uint8_t* data, size_t len)> console;
};

class Replayer : public Host, public RunEvents {
 public:
  // The status every downcall gets once replay has diverged: outside the ABI's codes, so no
  // guest mistakes it for a host's answer; the emulator checks diverged() and stops.
  static constexpr dk_status_t kDiverged = -0x7d1;

  explicit Replayer(TraceReader& in, ReplayOptions opts = {});

  std::string_view name() const override { return "replay"; }
  dk_status_t serve(CallContext& cx, Call& call) override;
  uint64_t cycle_counter(const CallContext& cx) override;
  uint64_t clock_ns(const CallContext& cx) override;
  bool idle(uint64_t deadline) override;
  void bind_std_handle(CallContext& cx, int which, dk_handle_t h) override;

  void on_schedule(const EventSite& site, uint32_t next_thread, uint32_t reason) override;
  void on_schedule_to(const EventSite& site, uint32_t next_pid, uint32_t next_thread, uint32_t reason) override;
  void on_exception(const EventSite& site, uint32_t type, uint32_t detail, uint64_t address) override;
  void on_foreign_trap(const EventSite& site, uint32_t detail, uint64_t number) override;
  void on_upcall(const EventSite& site, uint32_t which, uint64_t entry, uint64_t arg) override;
  void on_end(const EventSite& site, uint32_t reason, int64_t exit_code, std::string_view message) override;
  void set_probe(WorldProbe* probe) override { probe_ = probe; }
  bool stop_requested() const override { return diverged(); }
  std::string stop_reason() const override { return diverged() ? "replay diverged" : ""; }

  bool diverged() const { return divergence_.has_value(); }
  const Divergence& divergence() const { return *divergence_; }
  // True once the run ended where the trace's End record says, with nothing left over.
  bool finished() const { return finished_; }
  uint64_t downcalls_replayed() const { return downcalls_; }
  // The error that stopped reading the trace (a damaged chunk), or nullptr. Replay ends there
  // as at the end of the trace; callers report it as damage, not as a divergence.
  const TraceError* read_error() const { return read_error_ ? &*read_error_ : nullptr; }
  const TraceHeader& header() const { return in_.header(); }

 private:
  // The next record the guest must match, skipping informational events (schedule,
  // upcall, exception, foreign trap) unless `keep_events`. nullptr at the end of the trace.
  const TraceRecord* peek(bool keep_events);
  void consume() { have_next_ = false; ++index_; }
  void diverge(const TraceRecord& actual, const TraceRecord* expected, std::string field);
  void check_event(const TraceRecord& actual);
  // Performs the recorded effects in order; false (and diverged) when one turns out otherwise.
  bool perform(CallContext& cx, const TraceRecord& cur, uint64_t record);
  void check_checksum(const CallContext& cx);
  void echo_console(const CallContext& cx, const DowncallRecord& rec);
  void mirror_handles(CallContext& cx, const DowncallRecord& rec);
  void add_notes(Divergence& d) const;

  TraceReader& in_;
  ReplayOptions opts_;
  TraceRecord next_;
  bool have_next_ = false;
  bool at_end_ = false;
  uint64_t index_ = 0;  // records consumed
  TraceRecord actual_;  // scratch for what the guest did
  std::optional<Divergence> divergence_;
  std::optional<TraceError> read_error_;  // a damaged trace ends replay like its end
  bool finished_ = false;
  uint64_t downcalls_ = 0;
  WorldProbe* probe_ = nullptr;
  std::deque<TraceRecord> served_;  // downcalls being replayed, by nesting depth
  uint32_t depth_ = 0;
  std::map<std::pair<uint32_t, dk_handle_t>, int> console_;  // (pid, handle) -> fd
};

}  // namespace dk
