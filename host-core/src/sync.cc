// Readiness of every waitable object, and the synchronization calls (9-16).
#include "dk/core/sync.h"

#include "dk/core/core_host.h"
#include "dk/core/stream.h"

namespace dk {

bool object_ready(const HostObject& o) {
  switch (o.kind()) {
    case ObjectKind::Semaphore:
      return static_cast<const SemaphoreObject&>(o).count > 0;
    case ObjectKind::NotificationEvent:
    case ObjectKind::SynchronizationEvent:
      return static_cast<const EventObject&>(o).signaled;
    case ObjectKind::Thread:
      return static_cast<const ThreadObject&>(o).exited;
    case ObjectKind::Process:
      return static_cast<const ProcessObject&>(o).exited;
    case ObjectKind::Stream: {
      auto* s = dynamic_cast<const HostStream*>(&o);
      return s ? s->wait_ready() : false;
    }
  }
  return false;
}

void object_take(HostObject& o) {
  if (o.kind() == ObjectKind::Semaphore) {
    --static_cast<SemaphoreObject&>(o).count;
  } else if (o.kind() == ObjectKind::SynchronizationEvent) {
    static_cast<EventObject&>(o).signaled = false;
  }
}

bool object_waitable(const HostObject& o) {
  switch (o.kind()) {
    case ObjectKind::Semaphore:
    case ObjectKind::NotificationEvent:
    case ObjectKind::SynchronizationEvent:
    case ObjectKind::Thread:
    case ObjectKind::Process:
      return true;
    case ObjectKind::Stream:
      return dynamic_cast<const HostStream*>(&o) != nullptr;
  }
  return false;
}

// Synchronization (calls 9-16). A wait that cannot be satisfied yet arms what may make its
// streams ready (on a host with descriptors) and blocks until its deadline on clock_ns(); the
// emulator retries it. The objects it waits on are kept here so that closing one of their
// handles meanwhile does not end the wait.
namespace {

dk_status_t insert_out(CallContext& cx, Call& call, int slot, std::shared_ptr<HostObject> o) {
  dk_handle_t h = cx.handles.insert(std::move(o));
  if (!h) return -DK_E_QUOTA;
  call.set_out(slot, h);
  return 0;
}

dk_status_t get_event(CallContext& cx, dk_handle_t h, std::shared_ptr<EventObject>& ev) {
  auto o = cx.handles.get(h);
  if (!o) return -DK_E_BADHANDLE;
  if (o->kind() != ObjectKind::NotificationEvent && o->kind() != ObjectKind::SynchronizationEvent)
    return -DK_E_WRONGTYPE;
  ev = std::static_pointer_cast<EventObject>(o);
  return 0;
}

}  // namespace

dk_status_t CoreHost::DkSemaphoreCreate(CallContext& cx, Call& call) {
  const uint64_t initial = call.arg(0), max = call.arg(1);
  if (max < 1 || initial > max) return -DK_E_INVAL;
  return insert_out(cx, call, 2,
                    std::make_shared<SemaphoreObject>(static_cast<uint32_t>(initial),
                                                      static_cast<uint32_t>(max)));
}

dk_status_t CoreHost::DkSemaphoreRelease(CallContext& cx, Call& call) {
  std::shared_ptr<SemaphoreObject> sem;
  if (dk_status_t st = cx.handles.get_as(call.arg(0), ObjectKind::Semaphore, sem)) return st;
  const uint64_t count = call.arg(1);
  if (count > sem->max - sem->count) return -DK_E_RANGE;
  call.set_out(2, sem->count);
  sem->count += static_cast<uint32_t>(count);
  if (count) sem->waiters.wake();
  return 0;
}

dk_status_t CoreHost::DkSemaphorePeek(CallContext& cx, Call& call) {
  SemaphoreObject* sem = nullptr;
  if (dk_status_t st = cx.handles.peek_as(call.arg(0), ObjectKind::Semaphore, sem)) return st;
  call.set_out(1, sem->count);
  return 0;
}

dk_status_t CoreHost::DkNotificationEventCreate(CallContext& cx, Call& call) {
  return insert_out(cx, call, 1,
                    std::make_shared<EventObject>(ObjectKind::NotificationEvent, call.arg(0) != 0));
}

dk_status_t CoreHost::DkSynchronizationEventCreate(CallContext& cx, Call& call) {
  return insert_out(
      cx, call, 1,
      std::make_shared<EventObject>(ObjectKind::SynchronizationEvent, call.arg(0) != 0));
}

dk_status_t CoreHost::DkEventSet(CallContext& cx, Call& call) {
  std::shared_ptr<EventObject> ev;
  if (dk_status_t st = get_event(cx, call.arg(0), ev)) return st;
  ev->signaled = true;
  ev->waiters.wake();
  return 0;
}

dk_status_t CoreHost::DkEventClear(CallContext& cx, Call& call) {
  std::shared_ptr<EventObject> ev;
  if (dk_status_t st = get_event(cx, call.arg(0), ev)) return st;
  ev->signaled = false;
  return 0;
}

dk_status_t CoreHost::DkObjectsWaitAny(CallContext& cx, Call& call) {
  // Wait records of threads that can never retry: their picoprocess has ended (dropping
  // them releases the objects they hold). All of them are looked at on every call while
  // there are few; past that, the next kSweepStep in turn, so a world of thousands of idle
  // waiters pays a bounded cost per call and a record is still dropped within size /
  // kSweepStep calls.
  constexpr size_t kSweepAll = 64, kSweepStep = 16;
  const auto ended = [&](const auto& it) {
    auto proc = processes_.child(it->first.first);
    return proc && proc->exited;
  };
  if (waits_.size() < kSweepAll) {
    for (auto it = waits_.begin(); it != waits_.end();) it = ended(it) ? waits_.erase(it) : std::next(it);
  } else {
    auto it = waits_.lower_bound(sweep_from_);
    for (size_t i = 0; i < kSweepStep && !waits_.empty(); ++i) {
      if (it == waits_.end()) it = waits_.begin();
      it = ended(it) ? waits_.erase(it) : std::next(it);
    }
    sweep_from_ = it == waits_.end() ? std::make_pair(0u, 0u) : it->first;
  }
  const auto key = std::make_pair(cx.pid, cx.thread);
  auto parked = waits_.find(key);
  // A thread parked in a wait can only come back by retrying it: a record means a retry.
  const bool retry = parked != waits_.end() && parked->second.size() == call.handles.size();
  std::vector<std::shared_ptr<HostObject>> objects;
  if (retry) {
    objects = std::move(parked->second);
  } else {
    objects.reserve(call.handles.size());
    for (dk_handle_t h : call.handles) {
      auto o = cx.handles.get(h);
      if (!o) return -DK_E_BADHANDLE;
      if (!object_waitable(*o)) return -DK_E_WRONGTYPE;
      objects.push_back(std::move(o));
    }
  }
  if (parked != waits_.end()) waits_.erase(parked);

  const uint64_t now = clock_ns(cx);
  const uint64_t timeout = call.arg(2);
  uint64_t deadline = kNoDeadline;
  if (retry) {
    deadline = cx.ctl.wait_deadline();
  } else if (timeout != DK_TIMEOUT_INFINITE) {
    deadline = timeout >= kNoDeadline - 1 - now ? kNoDeadline - 1 : now + timeout;
  }
  if (cx.ctl.take_interrupt()) return -DK_E_INTERRUPTED;
  for (size_t i = 0; i < objects.size(); ++i) {
    if (object_ready(*objects[i])) {
      object_take(*objects[i]);
      call.set_out(3, i);
      return 0;
    }
  }
  if (timeout == 0 || (deadline != kNoDeadline && now >= deadline)) return -DK_E_TIMEOUT;
  if (IoWatch* watch = io_watch())
    for (const auto& o : objects)
      if (auto* s = dynamic_cast<const HostStream*>(o.get())) s->arm_wait(*watch);
  waits_[key] = std::move(objects);
  cx.ctl.block(deadline);
  return kBlocked;
}

}  // namespace dk
