// Wake lists on the core host's side (dk/core/wake.h): a call that parks is entered on the
// lists of what it waits for, and each retry is told to WakeStats by whether a change woke it.
// Nothing here changes what a call returns or when a thread runs.
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

bool CoreHost::enter_waits(CallContext& cx, const Call& call, const std::shared_ptr<Waiter>& w) {
  std::vector<WaitList*> lists;
  bool seen = true;
  const auto key = std::make_pair(cx.pid, cx.thread);
  switch (call.index) {
    case calls::DkObjectsWaitAny: {
      auto it = waits_.find(key);
      if (it == waits_.end()) return false;
      for (const auto& o : it->second) {
        WaitList* l = wait_list_of(*o);
        seen &= l != nullptr;
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
        seen = false;
      }
      break;
    }
    case calls::DkThreadDelayExecution:
      break;  // only its deadline or DkThreadResume ends it
    default:
      seen = false;  // a call the host parks on its own resources
  }
  if (!seen) return false;
  for (WaitList* l : lists) l->add(w);
  parked_[key] = Parked{w, cx.rip, call.index};
  return true;
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
        if (p.waiter->woken) {
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
  if (st != kBlocked) return;
  auto w = std::make_shared<Waiter>();
  w->pid = cx.pid;
  w->thread = cx.thread;
  if (enter_waits(cx, call, w))
    ++wake_stats_.parked;
  else
    ++wake_stats_.opaque;
}

void CoreHost::wake_thread(uint32_t pid, uint32_t tid) {
  auto it = parked_.find({pid, tid});
  if (it != parked_.end()) it->second.waiter->woken = true;
}

}  // namespace dk
