// Wake lists: who waits on an object, and whom a change to it wakes.
//
// A thread whose call parked (kBlocked) on a host-core object is entered, as a Waiter, on the
// wake list of what it waits for: a semaphore, an event, one direction of a pipe (readers
// wait for bytes, cargo or a close; writers for room or a close), a pipe server's backlog.
// Every change that could let a parked call go on wakes the list: the waiters are marked
// woken and the list empties. A change that cannot help anyone (taking a semaphore,
// clearing an event) wakes nobody.
//
// The emulator's scheduler does not read these lists: a parked thread retries whenever any
// downcall of the world completed (dk/host.h), and each retry is part of the observable run
// (it costs ticks and is a record of a trace), so skipping one would change the schedule.
// CoreHost uses the lists to say, for each retry, whether a change woke it (WakeStats): a
// retry nobody woke is one a scheduler driven by wake lists would not have made.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace dk {

// One parked call of thread (pid, thread). Shared by the wake lists it is entered on.
struct Waiter {
  uint32_t pid = 0, thread = 0;
  bool woken = false;
};

class WaitList {
 public:
  // Enters a parked call (waiters that are gone are dropped on the way).
  void add(const std::shared_ptr<Waiter>& w) {
    std::erase_if(list_, [](const std::weak_ptr<Waiter>& x) { return x.expired(); });
    list_.push_back(w);
  }
  // The (pid, thread) of every call parked here, in the order they parked.
  std::vector<std::pair<uint32_t, uint32_t>> waiters() const {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for (const auto& x : list_)
      if (auto w = x.lock()) out.emplace_back(w->pid, w->thread);
    return out;
  }
  // A change that may let them go on: every waiter is woken and the list empties. Returns
  // the (pid, thread) woken, in the order they parked.
  std::vector<std::pair<uint32_t, uint32_t>> wake() {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    if (list_.empty()) return out;
    auto list = std::move(list_);
    list_.clear();
    for (const auto& x : list)
      if (auto w = x.lock()) {
        w->woken = true;
        out.emplace_back(w->pid, w->thread);
      }
    return out;
  }
  bool empty() const { return list_.empty(); }

 private:
  std::vector<std::weak_ptr<Waiter>> list_;
};

// What CoreHost learned about the retries of parked calls. Only calls parked on host-core
// objects (and delays) are followed; a call parked on a thread, a process or a stream whose
// readiness the host core does not see is `opaque`.
struct WakeStats {
  uint64_t parked = 0;     // calls that parked on host-core objects, or in a delay
  uint64_t opaque = 0;     // calls that parked on anything else (not followed)
  uint64_t retries = 0;    // retries of the followed calls
  uint64_t woken = 0;      // retries after a change woke the call
  uint64_t avoidable = 0;  // retries nobody woke, that parked again: skippable
  uint64_t timed = 0;      // retries nobody woke, ended by their deadline or DkThreadResume
  uint64_t missed = 0;     // retries nobody woke that went on anyway: a wake list is short
};

}  // namespace dk
