// Wake lists: who waits on an object, and whom a change to it wakes.
//
// A thread whose call parked (kBlocked) on a host-core object is entered, as a Waiter, on the
// wake list of what it waits for: a semaphore, an event, one direction of a pipe (readers
// wait for bytes, cargo or a close; writers for room or a close), a pipe server's backlog.
// Every change that could let a parked call go on wakes the list: the waiters are marked
// woken, in the order they parked, and the list empties. A change that cannot help anyone
// (taking a semaphore, clearing an event) wakes nobody.
//
// The emulator's scheduler runs a parked thread again only when it is woken (dk/host.h,
// WakeOn): CoreHost collects the waiters a call woke (Waiter::sink) and, at the end of that
// call, names each one still parked to the caller's GuestControl::wake, in the order they
// were woken. It also tells each retry apart in WakeStats.
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
  // Where a wake-up is told (the core host's list of waiters woken since its last call).
  std::vector<std::shared_ptr<Waiter>>* sink = nullptr;
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
        if (!w->woken && w->sink) w->sink->push_back(w);
        w->woken = true;
        out.emplace_back(w->pid, w->thread);
      }
    return out;
  }
  bool empty() const { return list_.empty(); }

 private:
  std::vector<std::weak_ptr<Waiter>> list_;
};

// What CoreHost learned about the retries of parked calls. Calls parked on host-core
// objects, threads, processes and delays are followed (WakeOn::Wake or WakeOn::Exit); a call
// parked on a stream whose readiness the host core does not see (a file, a native socket) is
// `opaque` and retries on every change (WakeOn::Change).
struct WakeStats {
  uint64_t parked = 0;     // followed calls that parked
  uint64_t opaque = 0;     // calls that parked on anything else (not followed)
  uint64_t retries = 0;    // retries of the followed calls
  uint64_t woken = 0;      // retries after a change woke the call (or, for a wait on a
                           // thread or a process, that went on: its end woke it)
  uint64_t avoidable = 0;  // retries nobody woke, that parked again: in the emulator only
                           // a WakeOn::Exit wait retried at an exit that did not concern it
  uint64_t wakes = 0;      // parked calls named to GuestControl::wake
  uint64_t timed = 0;      // retries nobody woke, ended by their deadline or DkThreadResume
  uint64_t missed = 0;     // retries nobody woke that went on anyway: a wake list is short
};

}  // namespace dk
