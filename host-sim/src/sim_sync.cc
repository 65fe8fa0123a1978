// Synchronization (calls 9-16): semaphores, notification and synchronization events, and
// DkObjectsWaitAny over every waitable kind. A wait that cannot be satisfied yet blocks
// until its deadline and is retried by the emulator; the objects it waits on are kept in
// the world so that closing one of their handles meanwhile does not end the wait.
#include "sim_sync.h"

#include "dk/core/stream.h"
#include "dk/sim_host.h"
#include "sim_world.h"

namespace dk {

bool object_ready(const HostObject& o) {
  switch (o.kind()) {
    case ObjectKind::Semaphore:
      return static_cast<const SimSemaphore&>(o).count > 0;
    case ObjectKind::NotificationEvent:
    case ObjectKind::SynchronizationEvent:
      return static_cast<const SimEvent&>(o).signaled;
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
    --static_cast<SimSemaphore&>(o).count;
  } else if (o.kind() == ObjectKind::SynchronizationEvent) {
    static_cast<SimEvent&>(o).signaled = false;
  }
}

namespace {

bool waitable(const HostObject& o) {
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

dk_status_t insert_out(CallContext& cx, Call& call, int slot, std::shared_ptr<HostObject> o) {
  dk_handle_t h = cx.handles.insert(std::move(o));
  if (!h) return -DK_E_QUOTA;
  call.set_out(slot, h);
  return 0;
}

}  // namespace

dk_status_t SimHost::DkSemaphoreCreate(CallContext& cx, Call& call) {
  const uint64_t initial = call.arg(0), max = call.arg(1);
  if (max < 1 || initial > max) return -DK_E_INVAL;
  return insert_out(
      cx, call, 2,
      std::make_shared<SimSemaphore>(static_cast<uint32_t>(initial), static_cast<uint32_t>(max)));
}

dk_status_t SimHost::DkSemaphoreRelease(CallContext& cx, Call& call) {
  std::shared_ptr<SimSemaphore> sem;
  if (dk_status_t st = cx.handles.get_as(call.arg(0), ObjectKind::Semaphore, sem)) return st;
  const uint64_t count = call.arg(1);
  if (count > sem->max - sem->count) return -DK_E_RANGE;
  call.set_out(2, sem->count);
  sem->count += static_cast<uint32_t>(count);
  return 0;
}

dk_status_t SimHost::DkSemaphorePeek(CallContext& cx, Call& call) {
  SimSemaphore* sem = nullptr;
  if (dk_status_t st = cx.handles.peek_as(call.arg(0), ObjectKind::Semaphore, sem)) return st;
  call.set_out(1, sem->count);
  return 0;
}

dk_status_t SimHost::DkNotificationEventCreate(CallContext& cx, Call& call) {
  return insert_out(cx, call, 1,
                    std::make_shared<SimEvent>(ObjectKind::NotificationEvent, call.arg(0) != 0));
}

dk_status_t SimHost::DkSynchronizationEventCreate(CallContext& cx, Call& call) {
  return insert_out(cx, call, 1,
                    std::make_shared<SimEvent>(ObjectKind::SynchronizationEvent, call.arg(0) != 0));
}

namespace {

dk_status_t get_event(CallContext& cx, dk_handle_t h, std::shared_ptr<SimEvent>& ev) {
  auto o = cx.handles.get(h);
  if (!o) return -DK_E_BADHANDLE;
  if (o->kind() != ObjectKind::NotificationEvent && o->kind() != ObjectKind::SynchronizationEvent)
    return -DK_E_WRONGTYPE;
  ev = std::static_pointer_cast<SimEvent>(o);
  return 0;
}

}  // namespace

dk_status_t SimHost::DkEventSet(CallContext& cx, Call& call) {
  std::shared_ptr<SimEvent> ev;
  if (dk_status_t st = get_event(cx, call.arg(0), ev)) return st;
  ev->signaled = true;
  return 0;
}

dk_status_t SimHost::DkEventClear(CallContext& cx, Call& call) {
  std::shared_ptr<SimEvent> ev;
  if (dk_status_t st = get_event(cx, call.arg(0), ev)) return st;
  ev->signaled = false;
  return 0;
}

namespace {

// Wait records of threads that can never retry: their picoprocess has ended.
void prune_waits(SimWorld& w) {
  for (auto it = w.waits.begin(); it != w.waits.end();) {
    auto p = w.processes.find(it->first.first);
    auto proc = p == w.processes.end() ? nullptr : p->second.lock();
    const bool ended = proc && proc->exited;
    it = ended ? w.waits.erase(it) : std::next(it);
  }
}

}  // namespace

dk_status_t SimHost::DkObjectsWaitAny(CallContext& cx, Call& call) {
  prune_waits(*world_);
  const auto key = std::make_pair(cx.pid, cx.thread);
  auto parked = world_->waits.find(key);
  // A thread parked in a wait can only come back by retrying it: a record means a retry.
  const bool retry = parked != world_->waits.end() && parked->second.size() == call.handles.size();
  std::vector<std::shared_ptr<HostObject>> objects;
  if (retry) {
    objects = std::move(parked->second);
  } else {
    objects.reserve(call.handles.size());
    for (dk_handle_t h : call.handles) {
      auto o = cx.handles.get(h);
      if (!o) return -DK_E_BADHANDLE;
      if (!waitable(*o)) return -DK_E_WRONGTYPE;
      objects.push_back(std::move(o));
    }
  }
  if (parked != world_->waits.end()) world_->waits.erase(parked);

  const uint64_t timeout = call.arg(2);
  uint64_t deadline = kNoDeadline;
  if (retry) {
    deadline = cx.ctl.wait_deadline();
  } else if (timeout != DK_TIMEOUT_INFINITE) {
    deadline = timeout >= kNoDeadline - 1 - cx.now_ns ? kNoDeadline - 1 : cx.now_ns + timeout;
  }
  if (cx.ctl.take_interrupt()) return -DK_E_INTERRUPTED;
  for (size_t i = 0; i < objects.size(); ++i) {
    if (object_ready(*objects[i])) {
      object_take(*objects[i]);
      call.set_out(3, i);
      return 0;
    }
  }
  if (timeout == 0 || (deadline != kNoDeadline && cx.now_ns >= deadline)) return -DK_E_TIMEOUT;
  world_->waits[key] = std::move(objects);
  cx.ctl.block(deadline);
  return kBlocked;
}

}  // namespace dk
