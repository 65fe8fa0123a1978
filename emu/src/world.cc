// The world's run loop, in the manner of QEMU's cpu_loop: pick a thread, run the vCPU,
// switch on why it stopped, act, run again. Scheduling decisions read only ticks, wake-ups
// (told by the host during calls), the world version, exits and deadlines, so a run is a
// function of its inputs.
#include "dk/world.h"

#include <unicorn/unicorn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

#include "dk/calls.h"
#include "dk/disassembler.h"
#include "dk/elf_image.h"

namespace dk {
namespace {

using Thread = Picoprocess::Thread;

// An exception type's name for reports ("exception" for a number past the ABI's).
std::string type_name(uint32_t type) {
  const std::string_view n = exception_type_name(type);
  return n.empty() ? "exception" : std::string(n);
}

std::string hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

// Instruction bytes at addr (up to 15) and their disassembly.
std::string disassemble(const AddressSpace& mem, uint64_t addr, std::vector<uint8_t>* bytes) {
  uint8_t code[15];
  size_t n = sizeof code;
  while (n > 0 && !mem.peek(addr, code, n)) --n;
  if (n == 0) return "";
  Disassembler& d = Disassembler::for_this_thread();
  if (bytes) {
    size_t len = d.length(code, n, addr);
    bytes->assign(code, code + (len ? len : 1));
  }
  return d.text(code, n, addr);
}

uint64_t wall_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

World::World(Host& host, const RunOptions& opts, std::vector<TrapRecord>* audit)
    : host_(host), opts_(opts), audit_(audit), events_(opts.events) {
  if (opts_.quantum == 0) opts_.quantum = 1;
  if (events_) events_->set_probe(this);
}

World::~World() {
  if (running_) take_engine();
  for (Slot& s : procs_)
    if (s.proc) release_engine(*s.proc);
  if (events_) events_->set_probe(nullptr);
}

World::LoadedImage& World::loaded(const std::vector<uint8_t>& bytes) {
  // The key hashes the size and the first and last 4 KiB (ELF headers, section headers and
  // symbols: images that differ almost always differ there); a hit is compared whole, so the
  // key only decides how many candidates are compared.
  const std::string_view all(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  const size_t edge = std::min<size_t>(all.size(), 4096);
  const size_t key = std::hash<std::string_view>{}(all.substr(0, edge)) ^
                     (std::hash<std::string_view>{}(all.substr(all.size() - edge)) * 31) ^
                     (all.size() * 0x9e3779b97f4a7c15ull);
  for (auto [it, end] = images_.equal_range(key); it != end; ++it)
    if (it->second->elf.bytes == bytes) return *it->second;
  auto image = std::make_unique<LoadedImage>();
  image->elf = ElfImage::parse(bytes);
  return *images_.emplace(key, std::move(image))->second;
}

World::Slot World::make_slot(std::unique_ptr<Picoprocess> proc, const ElfImage& image) {
  Slot s{std::move(proc), {}, false, &image, nullptr};
  if (opts_.profile) s.blocks = std::make_unique<BlockProfiles>();
  return s;
}

uint32_t World::add(const LaunchSpec& spec) {
  LoadedImage& image = loaded(spec.image);
  const uint32_t pid = size() + 1;
  procs_.push_back(make_slot(std::make_unique<Picoprocess>(*this, host_, pid), image.elf));
  live_.insert(pid);
  try {
    procs_.back().proc->boot(image.elf, spec, nullptr, &image.shared);
    note_boot(*procs_.back().proc);
  } catch (const BootError& e) {
    Picoprocess::Ending end;
    end.end = RunResult::End::LoadError;
    end.reason = e.what();
    procs_.back().proc->end_with(end);
    finish(procs_.back());
  }
  return pid;
}

bool World::ended(uint32_t pid) const {
  return pid >= 1 && pid <= size() && procs_[pid - 1].ended;
}

const RunResult& World::result(uint32_t pid) const {
  if (!ended(pid)) throw std::out_of_range("no result for pid " + std::to_string(pid));
  return procs_[pid - 1].result;
}

// ---- the run loop ----

void World::run() {
  if (!start_engine()) return;
  for (;;) {
    if (slice_over_ && !schedule()) break;
    handle(engine_->run());
    finish_ended();
    if (events_ && events_->stop_requested()) {
      end_all(RunResult::End::HostError, events_->stop_reason());
      break;
    }
  }
  if (running_) take_engine();
}

bool World::start_engine() {
  if (!engines_.empty()) return true;
  // Ticks are counted (a block hook) wherever something depends on them: on a deterministic
  // host, in a recorded or replayed run (events are placed by tick), and under a tick bound
  // (max_ticks, max_world_ticks, or a picoprocess's cpu_ticks quota, which its children
  // inherit), so limits stay exact on every host. Otherwise, on a real host, engines may run
  // without a per-block callback, preempted by a watchdog (dk/engine.h, Engine::Timing):
  // only with DK_ENGINE_TIMING=watchdog in the environment for now, since a watchdog's
  // preemption of a multi-threaded guest can still end it with a bad context
  // (docs/performance.md, "what is left").
  bool bounded = opts_.max_ticks != 0 || opts_.max_world_ticks != 0;
  for (const Slot& s : procs_) bounded |= s.proc && s.proc->tick_limit() != 0;
  const char* want = std::getenv("DK_ENGINE_TIMING");
  const bool watchdog = want != nullptr && std::string_view(want) == "watchdog";
  timing_ = !watchdog || host_.deterministic() || events_ || bounded ? Engine::Timing::Ticks
                                                                     : Engine::Timing::Watchdog;
  try {
    engines_.push_back(EngineSlot{std::make_unique<Engine>(timing_, opts_.profile != nullptr), nullptr, 0});
    engine_ = engines_.front().engine.get();
    engine_->set_interrupt_flag(opts_.interrupt);
    ++stats_.engines;
    return true;
  } catch (const EngineError& e) {
    for (Slot& s : procs_) {
      if (s.ended) continue;
      Picoprocess::Ending end;
      end.end = RunResult::End::HostError;
      end.reason = e.what();
      s.proc->end_with(end);
      finish(s);
    }
    return false;
  }
}

// Why the engine stopped, and what the picoprocess makes of it.
void World::handle(const EngineStop& stop) {
  Picoprocess& p = *running_;
  Thread* const t0 = &p.current();
  const size_t frames0 = t0->frames.size();
  quantum_over_ = false;
  if (events_ && stop.kind == EngineStop::Kind::Exception) {
    // A fault's rip is the faulting instruction; a trap's is past it and its address is the
    // instruction itself.
    const EventSite at = site(p, stop.type == DK_EXCEPTION_MEMFAULT ? stop.rip : stop.address);
    if (stop.type == DK_EXCEPTION_FOREIGN_TRAP) events_->on_foreign_trap(at, stop.detail, stop.number);
    events_->on_exception(at, stop.type, stop.detail, stop.address);
  }
  switch (stop.kind) {
    case EngineStop::Kind::Exception:
      if (stop.type == DK_EXCEPTION_FOREIGN_TRAP && audit_) {
        TrapRecord r;
        r.pid = p.pid();
        r.tick = p.ticks();
        r.rip = stop.address;
        r.detail = stop.detail;
        r.number = stop.number;
        r.disasm = disassemble(p.memory(), stop.address, &r.bytes);
        audit_->push_back(std::move(r));
      }
      // A guest touch of a guard page: the page keeps its other bits from now on.
      // An access straddling into a guard page may report the address of its first byte.
      if (stop.type == DK_EXCEPTION_MEMFAULT && !p.memory().take_guard(stop.address) &&
          stop.size > 1)
        p.memory().take_guard(stop.address + stop.size - 1);
      p.raise(stop.type, stop.detail, stop.address, stop.rip);
      break;
    case EngineStop::Kind::FetchZero:
      p.fetch_at_zero();
      break;
    case EngineStop::Kind::Requested:
      p.after_request();
      if (p.take_yield()) slice_over_ = true;
      break;
    case EngineStop::Kind::Quantum:
      slice_over_ = true;
      quantum_over_ = true;
      if (opts_.max_world_ticks && ticks() >= opts_.max_world_ticks) {
        end_all_at_tick_limit();
        return;  // every picoprocess, `p` included, has been released
      }
      break;
    case EngineStop::Kind::TickLimit: {
      Picoprocess::Ending e;
      e.end = RunResult::End::TickLimit;
      e.rip = stop.rip;
      e.reason = "tick limit (" + std::to_string(opts_.max_ticks) + ") reached";
      if (p.tick_limit() && max_ticks_of(p) == p.tick_limit()) {
        e.exit_code = -DK_E_QUOTA;
        e.reason = "cpu_ticks quota (" + std::to_string(p.tick_limit()) + ") reached";
      }
      p.end_with(e);
      break;
    }
    case EngineStop::Kind::Interrupt:
      slice_over_ = true;  // schedule() delivers it
      break;
    case EngineStop::Kind::Error: {
      Picoprocess::Ending e;
      e.end = RunResult::End::HostError;
      e.rip = stop.rip;
      e.reason = stop.reason;
      p.end_with(e);
      break;
    }
  }
  // An exception handler was entered (a fault above, or one raised by a NULL call or a bad
  // context from DkExceptionReturn).
  if (events_ && !p.ending() && &p.current() == t0 && t0->frames.size() > frames0 &&
      t0->frames.back().kind == Picoprocess::Upcall::Exception) {
    const Picoprocess::Frame& f = t0->frames.back();
    if (stop.kind != EngineStop::Kind::Exception) events_->on_exception(site(p, f.rip), f.type, f.detail, f.address);
    note_handler_entry(p);
  }
  if (p.current().state != Thread::State::Ready) slice_over_ = true;
}

// ---- events ----

// The running thread has just entered its exception handler: the upcall, at the entry.
void World::note_handler_entry(Picoprocess& p) {
  const uint64_t entry = engine_rip();
  events_->on_upcall(site(p, entry), kUpcallException, entry, engine_->reg(UC_X86_REG_RDI));
}

uint64_t World::engine_rip() {
  return engine_->reg(UC_X86_REG_RIP);
}

EventSite World::site(Picoprocess& p, uint64_t rip) {
  return EventSite{p.ticks(), p.pid(), p.current().id, rip};
}

// LibOsInitialize is entered when the picoprocess first runs, as booted.
void World::note_boot(Picoprocess& p) {
  if (!events_) return;
  const Thread& t = p.current();
  started_.insert({p.pid(), t.id});
  events_->on_upcall(EventSite{p.ticks(), p.pid(), t.id, t.ctx.rip}, kUpcallInit, t.ctx.rip, t.ctx.rdi);
}

// Called before the engine goes to `next_t`: the reason is why the running thread stops.
void World::note_switch(Picoprocess* next_p, Thread& next_t) {
  EventSite from;
  uint32_t reason = any_ran_ ? kScheduleExit : kScheduleStart;
  if (running_) {
    const Thread& cur = running_->current();
    from = EventSite{running_->ticks(), running_->pid(), cur.id, running_->attached() ? engine_rip() : cur.ctx.rip};
    switch (cur.state) {
      case Thread::State::Exited: reason = kScheduleExit; break;
      case Thread::State::Parked: reason = kScheduleBlock; break;
      case Thread::State::Ready: reason = quantum_over_ ? kScheduleQuantum : kScheduleYield; break;
    }
  }
  if (next_t.state == Thread::State::Parked && reason == kScheduleYield) reason = kScheduleWake;
  events_->on_schedule_to(from, next_p->pid(), next_t.id, reason);
  if (started_.insert({next_p->pid(), next_t.id}).second)
    events_->on_upcall(EventSite{next_p->ticks(), next_p->pid(), next_t.id, next_t.ctx.rip}, kUpcallThreadStart,
                       next_t.ctx.rip, next_t.ctx.rdi);
}

void World::read_memory(uint32_t pid, const std::function<void(uint64_t, const uint8_t*, size_t)>& fn) {
  if (pid < 1 || pid > size() || !procs_[pid - 1].proc) return;
  AddressSpace& mem = procs_[pid - 1].proc->memory();
  std::vector<uint8_t> buf(64u << 10);
  for (const AddressSpace::RegionInfo& r : mem.regions()) {
    if (!r.committed) continue;
    for (uint64_t at = r.start; at < r.end;) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), r.end - at));
      if (!mem.peek(at, buf.data(), n)) break;
      fn(at, buf.data(), n);
      at += n;
    }
  }
}

std::string World::instruction_at(uint32_t pid, uint64_t rip) {
  if (pid < 1 || pid > size() || !procs_[pid - 1].proc) return "";
  return disassemble(procs_[pid - 1].proc->memory(), rip, nullptr);
}

// ---- wait queues ----

Thread* World::find(uint32_t pid, uint32_t tid, Picoprocess** out) {
  if (pid < 1 || pid > size()) return nullptr;
  Slot& s = procs_[pid - 1];
  if (!s.proc || s.ended) return nullptr;
  for (const auto& t : s.proc->threads()) {
    if (t->id != tid) continue;
    if (out) *out = s.proc.get();
    return t.get();
  }
  return nullptr;
}

void World::make_runnable(uint32_t pid, Thread& t) {
  t.woken = true;
  runnable_.insert({pid, t.id});
}

void World::ready(uint32_t pid, uint32_t tid) {
  runnable_.insert({pid, tid});
}

// The thread has just parked in its call: it waits on what its WakeOn says, and its deadline.
void World::parked(uint32_t pid, uint32_t tid) {
  Thread* t = find(pid, tid);
  if (!t || t->state != Thread::State::Parked) return;
  if (t->wake_pending) {  // a DkThreadResume came first
    make_runnable(pid, *t);
    return;
  }
  if (t->deadline != kNoDeadline) deadlines_.insert({t->deadline, pid, tid, t->parks});
  switch (t->wake_on) {
    case WakeOn::Change:
      on_change_[{pid, tid}] = t->parks;
      break;
    case WakeOn::Exit:
      on_exit_[{pid, tid}] = t->parks;
      break;
    case WakeOn::Wake:
      break;
  }
}

void World::unqueue(uint32_t pid, const Thread& t) {
  if (t.deadline != kNoDeadline) deadlines_.erase({t.deadline, pid, t.id, t.parks});
  const Key k{pid, t.id};
  if (t.wake_on == WakeOn::Change) on_change_.erase(k);
  if (t.wake_on == WakeOn::Exit) on_exit_.erase(k);
}

void World::wake(uint32_t pid, uint32_t tid) {
  Thread* t = find(pid, tid);
  if (!t || t->state != Thread::State::Parked || t->woken) return;
  ++stats_.wakes;
  make_runnable(pid, *t);
}

void World::collect(uint64_t host_now) {
  while (!deadlines_.empty() && std::get<0>(*deadlines_.begin()) <= host_now) {
    const auto [d, pid, tid, parks] = *deadlines_.begin();
    deadlines_.erase(deadlines_.begin());
    Thread* t = find(pid, tid);
    if (t && t->state == Thread::State::Parked && t->parks == parks && !t->woken) make_runnable(pid, *t);
  }
  // A wait is woken by a move of the world after it parked; a stale entry is dropped.
  const auto sweep = [&](std::map<Key, uint64_t>& list, bool exits) {
    std::erase_if(list, [&](const std::pair<const Key, uint64_t>& w) {
      Thread* t = find(w.first.first, w.first.second);
      if (!t || t->state != Thread::State::Parked || t->parks != w.second || t->woken) return true;
      if (exits ? t->parked_exits == clock_.exits : t->parked_version == clock_.version) return false;
      make_runnable(w.first.first, *t);
      return true;
    });
  };
  if (seen_version_ != clock_.version) {
    seen_version_ = clock_.version;
    sweep(on_change_, false);
  }
  if (seen_exits_ != clock_.exits) {
    seen_exits_ = clock_.exits;
    sweep(on_exit_, true);
  }
}

Picoprocess* World::host_proc() {
  return live_.empty() ? nullptr : procs_[*live_.begin() - 1].proc.get();
}

bool World::any_live_thread() const {
  for (uint32_t pid : live_)
    if (procs_[pid - 1].proc->live_threads() > 0) return true;
  return false;
}

uint64_t World::earliest_deadline() {
  while (!deadlines_.empty()) {
    const auto [d, pid, tid, parks] = *deadlines_.begin();
    Thread* t = find(pid, tid);
    if (t && t->state == Thread::State::Parked && t->parks == parks && !t->woken) return d;
    deadlines_.erase(deadlines_.begin());
  }
  return kNoDeadline;
}

// The next runnable thread after the running one in (pid, tid) order, wrapping around; the
// running thread itself comes last (it keeps the engine only when no one else may run).
bool World::pick() {
  Key cur{0, 0};
  if (running_) cur = {running_->pid(), running_->current().id};
  Picoprocess* hp = host_proc();
  collect(hp ? hp->host_clock_ns() : now_ns());
  Picoprocess* next_p = nullptr;
  Thread* next_t = nullptr;
  const auto take = [&](std::set<Key>::iterator it) {
    while (it != runnable_.end()) {
      Picoprocess* p = nullptr;
      Thread* t = find(it->first, it->second, &p);
      if (t && (t->state == Thread::State::Ready || (t->state == Thread::State::Parked && t->woken))) {
        next_p = p, next_t = t;
        return;
      }
      it = runnable_.erase(it);
    }
  };
  take(runnable_.upper_bound(cur));
  if (!next_t) take(runnable_.begin());
  if (!next_t) return false;

  if (events_ && (next_p != running_ || next_t != &running_->current())) note_switch(next_p, *next_t);
  any_ran_ = true;
  if (next_t->state == Thread::State::Parked) {  // a parked thread retries its call
    ++stats_.retries;
    ++stats_.thread_retries[{next_p->pid(), next_t->id}];
    unqueue(next_p->pid(), *next_t);
  }
  next_t->state = Thread::State::Ready;
  next_t->woken = false;
  if (next_p != running_) {
    const uint64_t t0 = wall_ns();
    if (running_) take_engine();
    next_p->switch_to(*next_t);
    give_engine(*next_p);
    stats_.process_switch_ns += wall_ns() - t0;
    ++stats_.process_switches;
  } else if (next_t != &running_->current()) {
    running_->switch_to(*next_t);
    ++stats_.thread_switches;
  } else {
    running_->switch_to(*next_t);  // drops exited threads
  }
  return true;
}

// Picks what runs next. Jumps the clock when every thread sleeps; ends the world when
// nothing is left or nothing can ever run again.
bool World::schedule() {
  for (;;) {
    if (opts_.interrupt && opts_.interrupt->exchange(false)) deliver_interrupt();
    if (pick()) {
      begin_slice();
      return true;
    }
    if (!any_live_thread()) return false;
    const uint64_t d = earliest_deadline();
    // A real host waits in the kernel for I/O or the deadline; something outside the world
    // may have happened, so every thread parked in a wait the host cannot see retries.
    if (host_proc() && host_.idle(d)) {
      changed();
      continue;
    }
    if (d == kNoDeadline) {
      deadlock();
      return false;
    }
    // Every thread is parked: nothing runs until the earliest deadline, so time goes there.
    const uint64_t now = now_ns();
    if (d > now) clock_.jump_ns += d - now;
    ++stats_.clock_jumps;
  }
}

// INTERRUPT goes to the first live picoprocess, on its current thread (or its first live
// one). A thread parked in a call is made ready with rip still on its syscall, so once the
// handler returns through DkExceptionReturn the call runs again.
void World::deliver_interrupt() {
  Picoprocess* p = nullptr;
  for (uint32_t pid : live_) {
    if (procs_[pid - 1].proc->live_threads() > 0) {
      p = procs_[pid - 1].proc.get();
      break;
    }
  }
  if (!p) return;
  Thread* t = &p->current();
  if (t->state == Thread::State::Exited) {
    for (const auto& x : p->threads()) {
      if (x->state != Thread::State::Exited) {
        t = x.get();
        break;
      }
    }
  }
  if (running_ && running_ != p) take_engine();
  if (t->state == Thread::State::Parked) unqueue(p->pid(), *t);
  t->state = Thread::State::Ready;
  t->woken = false;
  runnable_.insert({p->pid(), t->id});
  p->switch_to(*t);
  if (running_ != p) give_engine(*p);
  ++stats_.interrupts;
  const size_t frames0 = t->frames.size();
  const uint64_t rip = engine_rip();
  p->raise(DK_EXCEPTION_INTERRUPT, 0, rip, rip);
  if (events_) {
    events_->on_exception(site(*p, rip), DK_EXCEPTION_INTERRUPT, 0, rip);
    if (!p->ending() && t->frames.size() > frames0) note_handler_entry(*p);
  }
  finish_ended();
}

// A slice ends after `quantum` ticks, or earlier when the clock reaches a parked thread's
// deadline (so timeouts fire on time while others compute).
void World::begin_slice() {
  slice_over_ = false;
  ++stats_.slices;
  uint64_t len = opts_.quantum;
  if (opts_.max_world_ticks) {
    const uint64_t left = opts_.max_world_ticks > ticks() ? opts_.max_world_ticks - ticks() : 1;
    if (left < len) len = left;
  }
  const uint64_t d = earliest_deadline();
  if (d != kNoDeadline) {
    const uint64_t now = now_ns();
    const uint64_t until = d > now ? (d - now + kNsPerTick - 1) / kNsPerTick : 1;
    if (until < len) len = until;
  }
  engine_->set_slice_end(engine_->ticks() + len);
}

// p's own engine if it still has one; else a free one, a new one while the pool has room,
// or the least recently used one, whose picoprocess gives it up.
Engine& World::engine_for(Picoprocess& p) {
  EngineSlot* pick = nullptr;
  for (EngineSlot& e : engines_) {
    if (e.owner == &p) {
      pick = &e;
      break;
    }
    if (!pick || (pick->owner && (!e.owner || e.last_used < pick->last_used))) pick = &e;
  }
  if (pick->owner != &p && pick->owner && engines_.size() < kMaxEngines) {
    try {
      engines_.push_back(EngineSlot{std::make_unique<Engine>(timing_, opts_.profile != nullptr), nullptr, 0});
      pick = &engines_.back();
      pick->engine->set_interrupt_flag(opts_.interrupt);
      ++stats_.engines;
    } catch (const EngineError&) {
      // No room for another vCPU: share the ones there are.
    }
  }
  if (pick->owner != &p) {
    if (pick->owner) pick->owner->detach();
    pick->owner = &p;
    p.attach(*pick->engine);
    ++stats_.engine_attaches;
  } else {
    p.resume_on_engine();
  }
  pick->last_used = ++engine_uses_;
  return *pick->engine;
}

uint64_t World::translation_flushes() const {
  uint64_t n = 0;
  for (const EngineSlot& e : engines_) n += e.engine->translation_flushes();
  return n;
}

uint64_t World::translations() const {
  uint64_t n = 0;
  for (const EngineSlot& e : engines_) n += e.engine->translations();
  return n;
}

// p is about to be released: its engine goes back to the pool.
void World::release_engine(Picoprocess& p) {
  for (EngineSlot& e : engines_) {
    if (e.owner == &p) {
      p.detach();
      e.owner = nullptr;
    }
  }
}

void World::give_engine(Picoprocess& p) {
  running_ = &p;
  engine_ = &engine_for(p);
  engine_->set_max_ticks(max_ticks_of(p));
  engine_->set_block_counts(procs_[p.pid() - 1].blocks.get());
  clock_.slice_base = engine_->ticks();
  clock_.engine = engine_;
}

void World::take_engine() {
  clock_.ticks_done += engine_->ticks() - clock_.slice_base;
  engine_->set_block_counts(nullptr);
  clock_.engine = nullptr;
  running_ = nullptr;  // stays attached to its engine until another needs it
}

// ---- endings ----

void World::finish_ended() {
  if (running_ && running_->ending()) {
    Slot& s = procs_[running_->pid() - 1];
    take_engine();
    finish(s);
    slice_over_ = true;
  }
}

// Records the result, signals the ProcessObject and releases the picoprocess (memory,
// handles: peers see its streams close).
void World::finish(Slot& s) {
  Picoprocess& p = *s.proc;
  release_engine(p);  // saves the current thread's context, which the report reads
  const Picoprocess::Ending& e = *p.ending();
  RunResult& res = s.result;
  res.end = e.end;
  res.exit_code = e.exit_code;
  res.reason = e.reason;
  res.ticks = p.ticks();
  res.downcalls = p.downcalls();
  res.pid = p.pid();
  res.clock_ns = now_ns();
  if (e.end == RunResult::End::UnhandledException) {
    res.exception_type = e.type;
    res.exception_detail = e.detail;
    res.address = e.address;
    res.rip = e.rip;
    // Traps leave rip after the instruction; report the instruction itself.
    const uint64_t at = e.type == DK_EXCEPTION_MEMFAULT ? e.rip : e.address;
    res.instruction = disassemble(p.memory(), at, nullptr);
    // MEMFAULT: the data address and the instruction at rip; traps: the instruction's address.
    res.reason = std::string("unhandled ") + type_name(e.type) + " at " + hex(e.address) +
                 (e.type == DK_EXCEPTION_MEMFAULT ? " by the instruction at " + hex(e.rip) : "") +
                 (res.instruction.empty() ? "" : ": " + res.instruction) + " (" + e.reason + ")";
  } else {
    res.rip = e.rip ? e.rip : p.current().ctx.rip;
    res.instruction = disassemble(p.memory(), res.rip, nullptr);
  }
  if (events_)
    events_->on_end(EventSite{res.ticks, p.pid(), p.current().id, res.rip}, static_cast<uint32_t>(e.end), e.exit_code,
                    res.reason);
  if (opts_.profile && s.blocks) {
    opts_.profile->on_blocks(p.pid(), p.boot_info().name, s.image->bytes, p.image_bias(), *s.blocks);
    s.blocks->clear();  // kept: an engine may still point at it
  }
  p.object()->exit_code = e.exit_code;
  p.object()->exited = true;
  s.ended = true;
  live_.erase(p.pid());
  for (const auto& t : p.threads()) unqueue(p.pid(), *t);  // its waits, if any are left
  exited();
  s.proc.reset();
}

// Every thread waits and none has a deadline: nothing can ever wake one. Each picoprocess
// ends with a report naming every waiting thread and its call.
void World::deadlock() {
  // Every picoprocess gets the reason, so it names the first kNamed waiting threads only:
  // a world of 10,000 idle copies would otherwise hold 10,000 copies of a 10,000-line list.
  constexpr size_t kNamed = 32;
  size_t threads = 0, procs = 0;
  std::string where;
  for (const Slot& s : procs_) {
    if (!s.proc || s.ended) continue;
    ++procs;
    for (const auto& t : s.proc->threads()) {
      if (t->state != Thread::State::Parked) continue;
      if (++threads > kNamed) continue;
      const CallDesc* d = call_desc(t->call_index);
      where += "; pid " + std::to_string(s.proc->pid()) + " tid " + std::to_string(t->id) + " in " +
               (d ? std::string(d->name) : "call " + std::to_string(t->call_index)) + " at " +
               hex(t->call_rip);
    }
  }
  const std::string reason = "deadlock: all " + std::to_string(threads) + " thread" +
                             (threads == 1 ? "" : "s") + " of " + std::to_string(procs) +
                             " picoprocess" + (procs == 1 ? "" : "es") + " wait" + where +
                             (threads > kNamed
                                  ? "; and " + std::to_string(threads - kNamed) + " more"
                                  : "");
  if (running_) take_engine();
  for (Slot& s : procs_) {
    if (!s.proc || s.ended) continue;
    Picoprocess::Ending e;
    e.end = RunResult::End::Deadlock;
    e.exit_code = -1;
    e.rip = s.proc->current().call_rip;
    e.reason = reason;
    s.proc->end_with(e);
    finish(s);
  }
}

void World::end_all_at_tick_limit() {
  end_all(RunResult::End::TickLimit,
          "world tick limit (" + std::to_string(opts_.max_world_ticks) + ") reached");
}

void World::end_all(RunResult::End end, const std::string& reason) {
  if (running_) take_engine();
  for (Slot& s : procs_) {
    if (!s.proc || s.ended) continue;
    release_engine(*s.proc);  // its context, for the rip below
    Picoprocess::Ending e;
    e.end = end;
    e.rip = s.proc->current().ctx.rip;
    e.reason = reason;
    s.proc->end_with(e);
    finish(s);
  }
}

// ---- what picoprocesses ask of the world ----

dk_status_t World::resume(uint32_t pid, uint32_t tid) {
  Thread* t = find(pid, tid);  // ended: nothing to wake
  if (!t || t->state == Thread::State::Exited) return 0;
  t->wake_pending = true;
  if (t->state == Thread::State::Parked && !t->woken) make_runnable(pid, *t);
  return 0;
}

uint64_t World::max_ticks_of(const Picoprocess& p) const {
  const uint64_t q = p.tick_limit(), w = opts_.max_ticks;
  return !q ? w : !w ? q : std::min(q, w);
}

dk_status_t World::create_child(Picoprocess& parent, ChildSpec spec,
                                std::shared_ptr<ProcessObject>& out) {
  LoadedImage* image = nullptr;
  try {
    image = &loaded(spec.image);
  } catch (const ElfError&) {
    return -DK_E_INVAL;
  }
  LaunchSpec launch;
  launch.name = std::move(spec.name);
  launch.args = std::move(spec.args);
  launch.stdin_uri = parent.std_uri(0);
  launch.stdout_uri = parent.std_uri(1);
  launch.stderr_uri = parent.std_uri(2);
  auto child = std::make_unique<Picoprocess>(*this, host_, size() + 1);
  try {
    child->boot(image->elf, launch, std::move(spec.parent_end), &image->shared);
  } catch (const BootError&) {
    return -DK_E_NOMEM;
  }
  out = child->object();
  procs_.push_back(make_slot(std::move(child), image->elf));
  live_.insert(size());
  note_boot(*procs_.back().proc);
  return 0;
}

}  // namespace dk
