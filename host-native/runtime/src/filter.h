// The seccomp filter of a native-runtime child. Every Dk downcall and every other system
// call made anywhere but the shim's one `syscall` instruction traps to the shim (SIGSYS);
// from that instruction, only the few calls the shim needs pass, with their arguments
// checked, and anything else kills the child.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <vector>

namespace dk::rt {

// The clone flags the shim starts threads with: the only clone the filter lets through.
uint64_t thread_clone_flags();

// `gadget_end` is the address just after the shim's `syscall` instruction; `channel_fd` the
// child's channel.
std::vector<sock_filter> build_filter(uint64_t gadget_end, int channel_fd);

}  // namespace dk::rt
