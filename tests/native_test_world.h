// The native implementation of the test world (host_test_world.h): a NativeHost the host
// factory (dk/host_factory.h) builds on a temporary host folder tree (removed afterwards) and
// a Namespace that maps parts of it, with the console and debug output captured and host
// errors injectable (HostLaunch::inject); and
// NativeTest, the fixture of the tests that only mean something on the native host (real
// files beneath the namespace, real sockets, the monotonic clock, getrandom, idle()).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "dk/console.h"
#include "dk/host_factory.h"
#include "dk/native_host.h"
#include "host_test_world.h"

namespace dk::hosttest {

// The namespace the tests run in: the two folders, loopback TCP and UDP, pipes, devices.
inline Namespace test_namespace(const TempTree& t) {
  Namespace ns;
  ns.add(Mapping{"file:/data", "file:" + (t.root / "rw").string(), true, 0});
  ns.add(Mapping{"file:/ro", "file:" + (t.root / "ro").string(), false, 0});
  ns.add(Mapping{"tcp.server:", "tcp.server:", true, 0});
  ns.add(Mapping{"tcp.client:", "tcp.client:", true, 0});
  ns.add(Mapping{"udp.server:", "udp.server:", true, 0});
  ns.add(Mapping{"udp.client:", "udp.client:", true, 0});
  ns.add(Mapping{"pipe.server:", "pipe.server:", true, 0});
  ns.add(Mapping{"pipe:", "pipe:", true, 0});
  ns.add(Mapping{"dev:console", "dev:console", true, 0});
  return ns;
}

// What the native host is made from; constructed before the host.
struct NativeTestState {
  TempTree tree;
  std::string debug;
  CapturedConsole console;  // reads as end of input
  std::optional<HostOp> fail_op;
  int fail_errno = 0;
};

// The launch of a native test world: the namespace above on `state`'s tree, the debug log and
// console captured, host operations failing as `state` says; then `tweak`.
inline HostLaunch native_launch(NativeTestState& state,
                                const std::function<void(HostLaunch&)>& tweak = {}) {
  HostLaunch l;
  l.kind = HostKind::Native;
  l.ns = test_namespace(state.tree);
  l.debug_log = &state.debug;
  l.console = &state.console;
  l.inject = [&state](HostOp op) {
    return state.fail_op && *state.fail_op == op ? state.fail_errno : 0;
  };
  if (tweak) tweak(l);
  return l;
}

class NativeWorldHost : public WorldHost, public NativeTestState {
 public:
  explicit NativeWorldHost(const std::function<void(HostLaunch&)>& tweak = {})
      : built(make_host(native_launch(*this, tweak))), native(static_cast<NativeHost&>(*built)) {}
  HostKind kind() const override { return HostKind::Native; }
  Host& host() override { return native; }
  bool idle_a_moment() override { return native.idle(NativeHost::monotonic_ns() + 10'000'000); }
  std::string scratch_file(const std::string& name) const override { return "file:/data/" + name; }
  TempTree* folder() override { return &tree; }
  LaunchedHost built;
  NativeHost& native;
};

// The native world for tests both hosts share: the tree and namespace above; the first
// picoprocess's image and package name, for self:.
inline void shared_native_launch(HostLaunch& l) {
  l.image = {0x7f, 'E', 'L', 'F', 1, 2, 3};
  l.name = "parent-pkg";
}

// A native world; a test that needs a second host of its own configuration makes one.
class NativeWorld : public HostWorld {
 public:
  explicit NativeWorld(const std::function<void(HostLaunch&)>& tweak = {})
      : HostWorld(std::make_unique<NativeWorldHost>(tweak)),
        state(static_cast<NativeWorldHost&>(world_host())),
        host(state.native),
        tree(state.tree),
        debug(state.debug),
        console_out(state.console.out) {}

  // Injects `err` into every host operation `op` from now on.
  void inject(HostOp op, int err) {
    state.fail_op = op;
    state.fail_errno = err;
  }
  void stop_injecting() { state.fail_op.reset(); }

  NativeWorldHost& state;
  NativeHost& host;
  TempTree& tree;
  std::string& debug;
  std::string& console_out;
};

class NativeTest : public ::testing::Test, public NativeWorld {
 protected:
  explicit NativeTest(const std::function<void(HostLaunch&)>& tweak = {}) : NativeWorld(tweak) {}
};

}  // namespace dk::hosttest
