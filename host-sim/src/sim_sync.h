// Semaphores and events of the simulated host, and what "ready" means for every waitable
// object (ABI.md #16), shared by DkObjectsWaitAny and the tests.
#pragma once

#include <cstdint>

#include "dk/handle_table.h"

namespace dk {

struct SimSemaphore : HostObject {
  SimSemaphore(uint32_t c, uint32_t m) : HostObject(ObjectKind::Semaphore), count(c), max(m) {}
  uint32_t count, max;
};

struct SimEvent : HostObject {
  SimEvent(ObjectKind kind, bool s) : HostObject(kind), signaled(s) {}
  bool auto_reset() const { return kind() == ObjectKind::SynchronizationEvent; }
  bool signaled;
};

// True when a wait on `o` would be satisfied now.
bool object_ready(const HostObject& o);
// What a satisfied wait does to `o`: a semaphore gives one, a synchronization event clears.
void object_take(HostObject& o);

}  // namespace dk
