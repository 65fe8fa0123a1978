// The native runtime: a guest image run directly on the CPU, in a child process whose only
// way out is the Dk ABI, enforced by a seccomp filter. A supervisor (this process) forks one
// child per picoprocess; a small untrusted shim in the child turns every trap into a request
// on a channel; the supervisor checks it and serves it through the same Host the emulator
// uses (the native host, with its policy, quotas and audit decorators). docs/native-runtime.md
// has the design, the layout of a child and the differences a guest can observe.
#pragma once

#include <atomic>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dk/host.h"
#include "dk/run_events.h"
#include "dk/run_types.h"

namespace dk {

// Which layers of the sandbox a child got. The filter and NO_NEW_PRIVS are always there (a
// run fails without them); the rest are taken where the kernel allows.
struct SandboxLayers {
  bool seccomp = false;
  bool no_new_privs = false;
  bool spec_allow = false;  // the filter was installed leaving SSBD as the host set it
  bool user_ns = false, pid_ns = false, mount_ns = false, ipc_ns = false, net_ns = false,
       uts_ns = false;
  bool unprivileged = false;  // runs as an unprivileged identity (nobody in its namespace)
  bool rlimits = false;       // core 0, no file writes, few descriptors
  bool fds_closed = false;    // holds no descriptor but its channel
  std::string json() const;   // {"seccomp":true,...}
};

struct NativeRuntimeOptions {
  // Try the namespaces and the identity drop (the filter and the rest are always on).
  bool namespaces = true;
  // Set (by a signal handler, say) to interrupt: the first live picoprocess gets INTERRUPT.
  std::atomic<bool>* interrupt = nullptr;
  // CPU time a picoprocess may use, in ns (0: none); past it, it ends as for a tick limit.
  uint64_t cpu_time_ns = 0;
  // The host's wait descriptor (NativeHost::io_fd()): readable when an I/O a parked call
  // waits on may be ready. -1: parked calls are retried only when something else happens.
  int host_io_fd = -1;
  // Told of refused calls, exceptions, foreign traps and ends (an Auditor, say); it gets a
  // probe that reads the children's instructions.
  RunEvents* events = nullptr;
  // Told of each child started: its picoprocess id and its process id here (tests and tools
  // look at it from outside, through /proc).
  std::function<void(uint32_t pid, pid_t os_pid)> on_child{};
};

// Runs one picoprocess (and the children it creates) on `host` under the native runtime.
// Returns the first picoprocess's result; `layers` tells what sandbox the first child got;
// `audit` receives foreign traps. Throws ElfError for a bad image.
RunResult run_native_runtime(Host& host, const LaunchSpec& spec, const NativeRuntimeOptions& opts,
                             SandboxLayers* layers = nullptr,
                             std::vector<TrapRecord>* audit = nullptr);

// The user range of a native-runtime picoprocess ends lower than the emulator's: the top
// of it is the runtime's own (the shim, reply slots, per-thread signal stacks).
uint64_t native_runtime_user_high();

}  // namespace dk
