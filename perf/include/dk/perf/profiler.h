// Exact counters of a run (dk profile): a Profiler stands in front of the host (every served
// call), hears the emulator's events (exceptions, foreign traps, ends) and takes each
// picoprocess's executed blocks as it ends (RunOptions::profile). On the simulated host every
// figure is a function of the image, the launch and the seed: the same on any machine, so a
// change of one instruction is a real change.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dk/host.h"
#include "dk/run_events.h"
#include "dk/run_types.h"

namespace dk::perf {

struct CallFigures {
  uint64_t calls = 0;    // calls that completed (a call that waited counts once)
  uint64_t refused = 0;  // of them, those that returned an error (dispatcher or host)
  uint64_t waits = 0;    // times a call of this kind parked its thread
};

struct StreamFigures {
  uint64_t reads = 0, read_bytes = 0;
  uint64_t writes = 0, written_bytes = 0;
};

struct FunctionFigures {
  std::string image;  // the picoprocess's name (boot info)
  std::string name;   // the symbol, or "[unknown]" for code no symbol covers
  uint64_t instructions = 0;
  uint64_t blocks = 0;  // block entries counted in it
};

struct Profile {
  uint64_t ticks = 0;         // every picoprocess's, added
  uint64_t instructions = 0;  // instructions of the blocks entered (a block is a tick)
  uint64_t downcalls = 0;     // completed calls
  uint64_t waits = 0;         // parks
  std::map<std::string, CallFigures> calls;      // by call name; "call N" past the table
  std::map<std::string, StreamFigures> streams;  // by kind: file, directory, pipe, ...
  uint64_t pages_committed = 0;  // private pages each picoprocess held at its last call, added
  uint64_t pages_peak = 0;       // most private pages the live picoprocesses held at once
  uint64_t picoprocesses = 0;    // that ended (all of them, once the run is over)
  uint64_t threads = 0;          // first threads and DkThreadCreate's
  std::map<std::string, uint64_t> exceptions;  // delivered or fatal, by type name
  uint64_t foreign_traps = 0;
  std::vector<FunctionFigures> functions;  // by instructions, most first; ties by name

  // One JSON object; `top` functions at most (0: all).
  std::string json(size_t top) const;
  // The report `dk profile` prints: a table per part, `top` functions at most (0: all).
  std::string text(size_t top) const;
};

class Profiler final : public HostDecorator, public RunEvents, public ProfileSink {
 public:
  explicit Profiler(Host& inner, RunEvents* next = nullptr);

  dk_status_t serve(CallContext& cx, Call& call) override;

  void on_schedule(const EventSite& site, uint32_t next_thread, uint32_t reason) override;
  void on_schedule_to(const EventSite& site, uint32_t next_pid, uint32_t next_thread,
                      uint32_t reason) override;
  void on_exception(const EventSite& site, uint32_t type, uint32_t detail, uint64_t address) override;
  void on_foreign_trap(const EventSite& site, uint32_t detail, uint64_t number) override;
  void on_upcall(const EventSite& site, uint32_t which, uint64_t entry, uint64_t arg) override;
  void on_end(const EventSite& site, uint32_t reason, int64_t exit_code, std::string_view message) override;
  void on_refused(const EventSite& site, uint32_t index, int64_t status) override;
  void set_probe(WorldProbe* probe) override;
  bool stop_requested() const override;
  std::string stop_reason() const override;

  void on_blocks(uint32_t pid, std::string_view name, const std::vector<uint8_t>& image,
                 uint64_t bias, const BlockProfiles& blocks) override;

  // The figures so far (all of them once the run has ended).
  Profile profile() const;

 private:
  void count_io(CallContext& cx, const Call& call, bool write);
  void note_pages(uint32_t pid, uint64_t bytes);

  RunEvents* next_;
  std::vector<CallFigures> calls_;  // by call index; 0 gathers numbers past the table
  std::map<uint32_t, CallFigures> unknown_;
  std::map<uint32_t, StreamFigures> streams_;  // by DK_STREAM_*; 0: not a stream
  std::map<uint32_t, uint64_t> exceptions_;
  std::map<uint32_t, uint64_t> live_pages_;  // pid -> private pages at its last call
  uint64_t live_total_ = 0, pages_peak_ = 0, pages_committed_ = 0;
  uint64_t ticks_ = 0, picoprocesses_ = 0, threads_created_ = 0, foreign_traps_ = 0;
  // The call served last: a refusal with its site is that call's, any other the dispatcher's.
  EventSite last_{};
  bool last_open_ = false;
  bool last_refused_ = false;
  // (image, symbol) -> figures, gathered as picoprocesses end.
  std::map<std::pair<std::string, std::string>, FunctionFigures> functions_;
  uint64_t instructions_ = 0;
};

}  // namespace dk::perf
