// Semaphores and events, and what "ready" means for every waitable object (ABI.md #16):
// the rules DkObjectsWaitAny follows, written once for every host.
#pragma once

#include <cstdint>

#include "dk/core/wake.h"
#include "dk/handle_table.h"

namespace dk {

struct SemaphoreObject : HostObject {
  SemaphoreObject(uint32_t c, uint32_t m) : HostObject(ObjectKind::Semaphore), count(c), max(m) {}
  uint32_t count, max;
  WaitList waiters;  // woken by a release
};

// A notification event stays signaled until cleared; a synchronization event clears when a
// wait takes it.
struct EventObject : HostObject {
  EventObject(ObjectKind kind, bool s) : HostObject(kind), signaled(s) {}
  bool auto_reset() const { return kind() == ObjectKind::SynchronizationEvent; }
  bool signaled;
  WaitList waiters;  // woken by DkEventSet
};

// True when a wait on `o` would be satisfied now (a stream asks its kind).
bool object_ready(const HostObject& o);
// What a satisfied wait does to `o`: a semaphore gives one, a synchronization event clears.
void object_take(HostObject& o);
// DkObjectsWaitAny accepts `o`: the sync objects, threads, processes and the host's streams.
bool object_waitable(const HostObject& o);

}  // namespace dk
