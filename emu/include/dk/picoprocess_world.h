// What a picoprocess needs from the world it lives in, and nothing more: the world clock,
// the world version (bumped when anything a parked thread waits on may have changed) and exit
// count, the tick bound, telling the scheduler which threads can run, park and are woken,
// adding a child, and reporting a refused downcall. `World` implements it; a picoprocess holds only this, so it can be built and
// tested with a stand-in world, and what it may ask of the scheduler is written down here.
//
// The clock and the version are read on every downcall, so they are plain data the world
// keeps in the interface (WorldClock), read inline; the rest are virtual calls.
#pragma once

#include <cstdint>
#include <memory>

#include "dk/abi.h"
#include "dk/engine.h"
#include "dk/host.h"

namespace dk {

class Picoprocess;

// now_ns = kNsPerTick x (ticks executed by every picoprocess of the world) + jumps.
struct WorldClock {
  static constexpr uint64_t kNsPerTick = 10;

  const Engine* engine = nullptr;  // the running picoprocess's engine while it has the vCPU
  uint64_t slice_base = 0;  // engine ticks when the running picoprocess got the engine
  uint64_t ticks_done = 0;  // ticks of every picoprocess, but the running one's slice
  uint64_t jump_ns = 0;     // jumps to the earliest deadline while every thread slept
  uint64_t version = 0;     // bumped after every completed downcall and every exit
  uint64_t exits = 0;       // bumped when a thread or a picoprocess ends

  uint64_t ticks() const { return ticks_done + (engine ? engine->ticks() - slice_base : 0); }
  uint64_t now_ns() const { return kNsPerTick * ticks() + jump_ns; }
};

class PicoprocessWorld {
 public:
  // The world clock, in virtual ns since the world started (CallContext::now_ns).
  uint64_t now_ns() const { return clock_.now_ns(); }
  // The world version; a thread parked in a WakeOn::Change wait records it and is retried
  // once it moves.
  uint64_t version() const { return clock_.version; }
  // Thread and picoprocess ends so far; a WakeOn::Exit wait is retried once it moves.
  uint64_t exits() const { return clock_.exits; }
  // A downcall completed: moves the version.
  void changed() { ++clock_.version; }
  // A thread or a picoprocess ended: moves the version and the exit count.
  void exited() {
    ++clock_.version;
    ++clock_.exits;
  }
  // Wait queues (the scheduler's side of dk/host.h's WakeOn). Thread `tid` of `pid` can run
  // (a new thread); it parked in a call (its Thread says until what); a change lets its
  // parked call go on (GuestControl::wake).
  virtual void ready(uint32_t /*pid*/, uint32_t /*tid*/) {}
  virtual void parked(uint32_t /*pid*/, uint32_t /*tid*/) {}
  virtual void wake(uint32_t /*pid*/, uint32_t /*tid*/) {}
  // A downcall returned `status` < 0 to the guest (dispatcher or host).
  virtual void refused(const CallContext& cx, uint32_t index, dk_status_t status) = 0;
  // The tick bound of `p` (the world's limit or its quota, whichever is lower; 0: none).
  virtual uint64_t max_ticks_of(const Picoprocess& p) const = 0;
  // DkThreadResume: wakes thread `tid` of picoprocess `pid`.
  virtual dk_status_t resume(uint32_t pid, uint32_t tid) = 0;
  // DkProcessCreate: a child of `parent` joins the world; `out` names it.
  virtual dk_status_t create_child(Picoprocess& parent, ChildSpec spec,
                                   std::shared_ptr<ProcessObject>& out) = 0;

 protected:
  PicoprocessWorld() = default;
  ~PicoprocessWorld() = default;
  PicoprocessWorld(const PicoprocessWorld&) = default;
  PicoprocessWorld& operator=(const PicoprocessWorld&) = default;

  WorldClock clock_;  // kept by the world
};

}  // namespace dk
