// The quota side of GuestControl (live threads, a tick budget) as the decorators reach it:
// forwarded where the control has it, the neutral answer where it does not.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dk::trace_detail {

template <class Control>
size_t live_threads(const Control& c) {
  if constexpr (requires { c.live_threads(); })
    return c.live_threads();
  else
    return 1;
}

template <class Control>
void set_tick_limit(Control& c, uint64_t ticks) {
  if constexpr (requires { c.set_tick_limit(ticks); }) c.set_tick_limit(ticks);
}

}  // namespace dk::trace_detail
