// A world: the picoprocesses of one dk process (pid 1, 2, ...) on one host, sharing a pool of
// engines, a deterministic scheduler and one clock. A world is built with its host; tools and
// tests add picoprocesses (each runs on that host), run the world, and read each
// picoprocess's result; picoprocesses add their children through DkProcessCreate. A
// picoprocess sees its world only through PicoprocessWorld (dk/picoprocess_world.h), which
// World implements. Nothing here reads wall-clock time to decide anything.
//
// Scheduling: round-robin over runnable threads in (pid, tid) order. A thread keeps the
// engine until it parks (a downcall returned kBlocked), yields, exits, or has run
// RunOptions::quantum ticks. Wait queues: a parked thread is runnable again (and retries its
// call) only when it is woken: by a change its host names (GuestControl::wake), its deadline
// (kept in order), DkThreadResume, or, as its call's WakeOn says, any exit or any change of
// the world. Runnable threads are kept in an ordered set, so a pick looks at no waiting
// thread but those whose WakeOn a downcall or an exit just satisfied. The clock: now_ns = kNsPerTick x (ticks executed by every picoprocess of the world)
// + jumps; when every thread is parked the clock jumps to the earliest deadline, and with no
// deadline the world is deadlocked: every picoprocess ends with End::Deadlock and a report.
//
// Children (DkProcessCreate) run on the world's host, with the ChildSpec's args, no env,
// and the default stack. A child inherits no handle (ABI.md), but it runs under the same
// policy: its stdin/stdout/stderr are opened afresh from the dev: URIs (the console) its
// parent's were opened from, and are 0 where the parent's binding was not a device. A
// picoprocess whose host set a tick budget (GuestControl::set_tick_limit, the cpu_ticks
// quota) ends with End::TickLimit and exit code -DK_E_QUOTA past it. A picoprocess that ends (exit, fault, tick limit) never ends another; its handles
// are released then (so peers see the streams close) and its ProcessObject becomes exited.
//
// Events: with RunOptions::events set, the world reports each switch to another thread, each
// exception and foreign trap, each upcall entered (LibOsInitialize when a picoprocess boots,
// LibOsThreadStart when a new thread first runs, LibOsExceptionDispatch) and each end, and
// lends the listener a WorldProbe (memory and disassembly of live picoprocesses). When the
// listener asks to stop (a replay diverged), every picoprocess ends with End::HostError.
//
// Errors: add() throws ElfError for a bad image; everything after is a RunResult.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "dk/engine.h"
#include "dk/host.h"
#include "dk/picoprocess.h"
#include "dk/picoprocess_world.h"
#include "dk/run.h"
#include "dk/run_events.h"

namespace dk {

class World final : public PicoprocessWorld, private WorldProbe {
 public:
  static constexpr uint64_t kNsPerTick = WorldClock::kNsPerTick;  // the world clock's rate

  // Every picoprocess of the world runs on `host`, which outlives the world.
  explicit World(Host& host, const RunOptions& opts = {}, std::vector<TrapRecord>* audit = nullptr);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // Loads and boots a picoprocess on the world's host; returns its pid. A boot failure gives
  // a picoprocess that has already ended with End::LoadError. Throws ElfError.
  uint32_t add(const LaunchSpec& spec);
  // Runs until every picoprocess has ended (or the world is deadlocked).
  void run();

  // Picoprocesses ever added (children included): pids 1..size().
  uint32_t size() const { return static_cast<uint32_t>(procs_.size()); }
  bool ended(uint32_t pid) const;
  // The result of an ended picoprocess (throws std::out_of_range for an unknown pid).
  const RunResult& result(uint32_t pid) const;

  Host& host() { return host_; }

  // The world clock (now_ns(), in virtual ns since the world started), version() (bumped
  // after every completed downcall and every exit: WakeOn::Change waits retry when it moves)
  // and exits() are PicoprocessWorld's. Ticks executed by every picoprocess of the world:
  uint64_t ticks() const { return clock_.ticks(); }

  struct Stats {
    uint64_t slices = 0;             // engine runs started for a (possibly) new slice
    uint64_t thread_switches = 0;    // another thread of the same picoprocess
    uint64_t process_switches = 0;   // another picoprocess takes the vCPU
    uint64_t process_switch_ns = 0;  // wall time spent in those (measurement only)
    uint64_t clock_jumps = 0;
    uint64_t interrupts = 0;      // INTERRUPT exceptions delivered (RunOptions::interrupt)
    uint64_t engines = 0;         // engines brought up (at most kMaxEngines)
    uint64_t engine_attaches = 0; // a picoprocess's memory mapped into an engine
    uint64_t retries = 0;         // parked calls run again
    uint64_t wakes = 0;           // parked threads woken by GuestControl::wake
    std::map<std::pair<uint32_t, uint32_t>, uint64_t> thread_retries;  // by (pid, tid)
  };
  const Stats& stats() const { return stats_; }
  // Retries of thread `tid` of `pid` so far.
  uint64_t retries(uint32_t pid, uint32_t tid) const {
    const auto it = stats_.thread_retries.find({pid, tid});
    return it == stats_.thread_retries.end() ? 0 : it->second;
  }
  // How often the world's engines emptied their translation buffers before they could fill
  // (Engine::translation_flushes): a world running many picoprocesses translates their code
  // again for each one that takes an engine over.
  uint64_t translation_flushes() const;
  // Blocks the world's engines translated (Engine::translations).
  uint64_t translations() const;
  // Engines kept warm, each holding one picoprocess's memory while it is off the vCPU.
  static constexpr size_t kMaxEngines = 4;

  // PicoprocessWorld: called by picoprocesses (their GuestControl). `resume` finds the
  // thread by pid and tid.
  dk_status_t resume(uint32_t pid, uint32_t tid) override;
  void ready(uint32_t pid, uint32_t tid) override;
  void parked(uint32_t pid, uint32_t tid) override;
  void wake(uint32_t pid, uint32_t tid) override;
  // The tick bound of `p`: RunOptions::max_ticks or its quota, whichever is lower (0: none).
  uint64_t max_ticks_of(const Picoprocess& p) const override;
  dk_status_t create_child(Picoprocess& parent, ChildSpec spec,
                           std::shared_ptr<ProcessObject>& out) override;
  // A downcall returned `status` < 0 to the guest (dispatcher or host): told to the events.
  void refused(const CallContext& cx, uint32_t index, dk_status_t status) override {
    if (events_) events_->on_refused(EventSite{cx.tick, cx.pid, cx.thread, cx.rip}, index, status);
  }

 private:
  struct Slot {
    std::unique_ptr<Picoprocess> proc;  // null once ended and released
    RunResult result;
    bool ended = false;
    const ElfImage* image = nullptr;        // in images_, for the profile
    std::unique_ptr<BlockProfiles> blocks;  // RunOptions::profile: what its engine counted
  };
  Slot make_slot(std::unique_ptr<Picoprocess> proc, const ElfImage& image);
  bool start_engine();
  bool schedule();
  bool pick();
  void give_engine(Picoprocess& p);
  void take_engine();
  void begin_slice();
  void handle(const EngineStop& stop);
  void finish_ended();
  void finish(Slot& s);
  void deadlock();
  void end_all_at_tick_limit();
  void end_all(RunResult::End end, const std::string& reason);
  // Events (no-ops without RunOptions::events).
  void note_boot(Picoprocess& p);
  void note_switch(Picoprocess* next_p, Picoprocess::Thread& next_t);
  EventSite site(Picoprocess& p, uint64_t rip);
  void note_handler_entry(Picoprocess& p);
  uint64_t engine_rip();
  // WorldProbe.
  void read_memory(uint32_t pid, const std::function<void(uint64_t, const uint8_t*, size_t)>& fn) override;
  std::string instruction_at(uint32_t pid, uint64_t rip) override;
  // Wait queues.
  Picoprocess::Thread* find(uint32_t pid, uint32_t tid, Picoprocess** p = nullptr);
  // A parked thread is made runnable (it retries its call when picked).
  void make_runnable(uint32_t pid, Picoprocess::Thread& t);
  // Deadlines passed, and WakeOn::Change / WakeOn::Exit waits whose world moved.
  void collect(uint64_t host_now);
  // The first live picoprocess: the host's clock is read in its call context.
  Picoprocess* host_proc();
  bool any_live_thread() const;
  uint64_t earliest_deadline();
  Picoprocess* running() const { return running_; }

  Host& host_;
  RunOptions opts_;
  std::vector<TrapRecord>* audit_;
  // A few warm engines, each keeping one picoprocess's memory mapped while it is off the
  // vCPU, so switching back to it costs no re-mapping and no re-translation. Past
  // kMaxEngines the least recently run picoprocess gives its engine up (idle picoprocesses
  // beyond the pool hold none). Declared first: outlives every picoprocess.
  struct EngineSlot {
    std::unique_ptr<Engine> engine;
    Picoprocess* owner = nullptr;  // attached to it, running or not
    uint64_t last_used = 0;
  };
  Engine& engine_for(Picoprocess& p);
  void deliver_interrupt();
  void release_engine(Picoprocess& p);
  std::vector<EngineSlot> engines_;
  // Images this world has started a picoprocess of: parsed once, their read-only segments
  // on pages every picoprocess of the image shares (Picoprocess::boot's `shared`), which
  // engines keep mapped, translated code and all, from one picoprocess to the next
  // (AddressSpace::Residents). A hit compares the bytes whole.
  struct LoadedImage {
    ElfImage elf;
    Picoprocess::SharedSegments shared;
  };
  LoadedImage& loaded(const std::vector<uint8_t>& bytes);  // throws ElfError
  std::multimap<size_t, std::unique_ptr<LoadedImage>> images_;
  Engine::Timing timing_ = Engine::Timing::Ticks;  // of every engine the world makes
  uint64_t engine_uses_ = 0;
  Engine* engine_ = nullptr;  // the running picoprocess's engine
  std::vector<Slot> procs_;         // index pid - 1
  Picoprocess* running_ = nullptr;  // holds the engine
  bool slice_over_ = true;
  Stats stats_;
  RunEvents* events_ = nullptr;
  std::set<std::pair<uint32_t, uint32_t>> started_;  // (pid, tid) that have run, with events
  bool quantum_over_ = false;  // the last slice ended on the quantum
  bool any_ran_ = false;
  // Wait queues. A thread's entries go when it runs again or its picoprocess ends; an entry
  // that is stale all the same (the thread exited) is checked against its thread when met,
  // and dropped.
  using Key = std::pair<uint32_t, uint32_t>;  // (pid, tid)
  std::set<Key> runnable_;                     // ready, or parked and woken
  std::set<std::tuple<uint64_t, uint32_t, uint32_t, uint64_t>> deadlines_;  // (ns, pid, tid, parks)
  std::map<Key, uint64_t> on_change_;  // parked in WakeOn::Change waits: the park's number
  std::map<Key, uint64_t> on_exit_;    // parked in WakeOn::Exit waits
  // A parked thread runs again (or its picoprocess ends): its entries go.
  void unqueue(uint32_t pid, const Picoprocess::Thread& t);
  uint64_t seen_version_ = 0, seen_exits_ = 0;
  std::set<uint32_t> live_;  // pids not yet ended
};

}  // namespace dk
