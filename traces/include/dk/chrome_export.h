// A trace as Chrome trace-event JSON (opens in Perfetto and chrome://tracing): one track per
// picoprocess and thread, a slice per downcall, instants for exceptions, traps and upcalls.
// Time is virtual: one tick is shown as one microsecond.
#pragma once

#include <cstdint>
#include <ostream>

#include "dk/trace_file.h"

namespace dk {

// Writes every readable record of `in` to `out`; returns the number of records exported.
// Throws TraceError (from the reader) on a damaged trace.
uint64_t export_chrome_trace(TraceReader& in, std::ostream& out);

}  // namespace dk
