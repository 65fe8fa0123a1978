// Semaphores and events, and what "ready" means for every waitable object (ABI.md #16).
// The same objects and rules as the simulated host's (host-sim/src/sim_sync.*, copied: the
// readiness of a stream is the native stream's own).
#pragma once

#include <cstdint>

#include "dk/handle_table.h"

namespace dk::native {

struct NativeSemaphore : HostObject {
  NativeSemaphore(uint32_t c, uint32_t m) : HostObject(ObjectKind::Semaphore), count(c), max(m) {}
  uint32_t count, max;
};

struct NativeEvent : HostObject {
  NativeEvent(ObjectKind kind, bool s) : HostObject(kind), signaled(s) {}
  bool signaled;
};

bool object_ready(const HostObject& o);
void object_take(HostObject& o);

}  // namespace dk::native
