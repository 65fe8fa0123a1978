// Wake lists on the core host's side (dk/core/wake.h): a call that parks is entered on the
// lists of what it waits for and tells the emulator what wakes it (GuestControl::wake_on);
// the waiters a call's changes woke are named to GuestControl::wake when it ends; each retry
// is told to WakeStats by whether a change woke it. Nothing here changes what a call returns.
#include "dk/calls.h"
#include "dk/core/core_host.h"
#include "dk/core/pipe.h"
#include "dk/core/sync.h"

namespace dk {
namespace {

// The wake list a wait on `o` is entered on; nullptr when the host core cannot see `o`
// change (threads and processes change in the emulator, host streams outside the world).
WaitList* wait_list_of(HostObject& o) {
  switch (o.kind()) {
    case ObjectKind::Semaphore:
      return &static_cast<SemaphoreObject&>(o).waiters;
    case ObjectKind::NotificationEvent:
    case ObjectKind::SynchronizationEvent:
      return &static_cast<EventObject&>(o).waiters;
    case ObjectKind::Stream:
      if (auto* end = dynamic_cast<ConnEnd*>(&o)) return &end->in().readers;
      if (auto* l = dynamic_cast<Listener*>(&o)) return &l->waiters;
      return nullptr;
    case ObjectKind::Thread:
    case ObjectKind::Process:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

std::optional<WakeOn> CoreHost::enter_waits(CallContext& cx, const Call& call,
                                            const std::shared_ptr<Waiter>& w) {
  std::vector<WaitList*> lists;
  WakeOn on = WakeOn::Wake;
  bool on_ends = false;
  const auto key = std::make_pair(cx.pid, cx.thread);
  switch (call.index) {
    case calls::DkObjectsWaitAny: {
      auto it = waits_.find(key);
      if (it == waits_.end()) return std::nullopt;
      for (const auto& o : it->second) {
        // A thread or a process changes when it ends; so may a stream end whose peer ends
        // (its handles close outside any call): those waits also retry at every exit.
        if (o->kind() == ObjectKind::Thread || o->kind() == ObjectKind::Process) {
          on = WakeOn::Exit;
          on_ends = true;
          continue;
        }
        WaitList* l = wait_list_of(*o);
        if (!l) return std::nullopt;
        if (o->kind() == ObjectKind::Stream) on = WakeOn::Exit;
        lists.push_back(l);
      }
      break;
    }
    case calls::DkStreamRead:
    case calls::DkStreamWrite:
    case calls::DkReceiveHandle:
    case calls::DkStreamWaitForClient: {
      auto o = cx.handles.get(call.arg(0));
      auto* end = dynamic_cast<ConnEnd*>(o.get());
      auto* server = dynamic_cast<Listener*>(o.get());
      if (end && call.index == calls::DkStreamWrite) {
        lists.push_back(&end->out().writers);
      } else if (end && call.index != calls::DkStreamWaitForClient) {
        lists.push_back(&end->in().readers);
      } else if (server && call.index == calls::DkStreamWaitForClient) {
        lists.push_back(&server->waiters);
      } else {
        return std::nullopt;
      }
      on = WakeOn::Exit;
      break;
    }
    case calls::DkThreadDelayExecution:
      break;  // only its deadline or DkThreadResume ends it
    default:
      return std::nullopt;  // a call the host parks on its own resources
  }
  for (WaitList* l : lists) l->add(w);
  parked_[key] = Parked{w, cx.rip, call.index, on_ends};
  return on;
}

void CoreHost::note_wakes(CallContext& cx, const Call& call, dk_status_t st) {
  const auto key = std::make_pair(cx.pid, cx.thread);
  if (!parked_.empty()) {
    auto it = parked_.find(key);
    if (it != parked_.end()) {
      const Parked p = std::move(it->second);
      parked_.erase(it);
      // Only the parked call itself is its retry (an exception handler may run in between).
      if (p.rip == cx.rip && p.index == call.index) {
        ++wake_stats_.retries;
        const uint64_t deadline = cx.ctl.wait_deadline();
        // A wait on a thread or a process that goes on was woken by that one's end.
        if (p.waiter->woken || (p.on_ends && st != kBlocked)) {
          ++wake_stats_.woken;
        } else if (st == kBlocked) {
          ++wake_stats_.avoidable;
        } else if (st == -DK_E_TIMEOUT || st == -DK_E_INTERRUPTED ||
                   (deadline != kNoDeadline && clock_ns(cx) >= deadline)) {
          ++wake_stats_.timed;
        } else {
          ++wake_stats_.missed;
        }
      }
    }
  }
  if (st == kBlocked) {
    auto w = std::make_shared<Waiter>();
    w->pid = cx.pid;
    w->thread = cx.thread;
    w->sink = &woken_;
    if (const auto on = enter_waits(cx, call, w)) {
      ++wake_stats_.parked;
      cx.ctl.wake_on(*on);
    } else {
      ++wake_stats_.opaque;
    }
  }
  // The waiters this call's changes woke (and any woken since the last call ended), each
  // still parked in the call it was woken in, in the order they were woken.
  if (woken_.empty()) return;
  const auto woken = std::move(woken_);
  woken_.clear();
  for (const auto& w : woken) {
    auto it = parked_.find({w->pid, w->thread});
    if (it == parked_.end() || it->second.waiter != w) continue;
    ++wake_stats_.wakes;
    cx.ctl.wake(w->pid, w->thread);
  }
}

void CoreHost::wake_thread(uint32_t pid, uint32_t tid) {
  auto it = parked_.find({pid, tid});
  if (it != parked_.end()) it->second.waiter->woken = true;
}

}  // namespace dk
