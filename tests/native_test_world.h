// The native implementation of the test world (host_test_world.h): a NativeHost made from a
// NativeConfig on a temporary host folder tree (removed afterwards) and a Namespace that maps
// parts of it, with the console and debug output captured and host errors injectable; and
// NativeTest, the fixture of the tests that only mean something on the native host (real
// files beneath the namespace, real sockets, the monotonic clock, getrandom, idle()).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

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
  std::string debug, console_out, console_err;
  std::optional<HostOp> fail_op;
  int fail_errno = 0;
};

class NativeWorldHost : public WorldHost, public NativeTestState {
 public:
  explicit NativeWorldHost(const std::function<void(NativeConfig&)>& tweak = {})
      : native(config(tweak)) {}
  HostKind kind() const override { return HostKind::Native; }
  Host& host() override { return native; }
  bool idle_a_moment() override { return native.idle(NativeHost::monotonic_ns() + 10'000'000); }
  std::string scratch_file(const std::string& name) const override { return "file:/data/" + name; }
  TempTree* folder() override { return &tree; }

  NativeConfig config(const std::function<void(NativeConfig&)>& tweak) {
    NativeConfig c;
    c.ns = test_namespace(tree);
    c.debug_log = &debug;
    c.console_write = [this](int fd, const uint8_t* d, size_t n) {
      (fd == 2 ? console_err : console_out).append(reinterpret_cast<const char*>(d), n);
    };
    c.inject = [this](HostOp op) { return fail_op && *fail_op == op ? fail_errno : 0; };
    if (tweak) tweak(c);
    return c;
  }
  NativeHost native;
};

// The native world for tests both hosts share: the tree and namespace above; the first
// picoprocess's image and package name, for self:.
inline void shared_native_config(NativeConfig& c) {
  c.image = {0x7f, 'E', 'L', 'F', 1, 2, 3};
  c.name = "parent-pkg";
}

// A native world; a test that needs a second host of its own configuration makes one.
class NativeWorld : public HostWorld {
 public:
  explicit NativeWorld(const std::function<void(NativeConfig&)>& tweak = {})
      : HostWorld(std::make_unique<NativeWorldHost>(tweak)),
        state(static_cast<NativeWorldHost&>(world_host())),
        host(state.native),
        tree(state.tree),
        debug(state.debug),
        console_out(state.console_out) {}

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
  explicit NativeTest(const std::function<void(NativeConfig&)>& tweak = {}) : NativeWorld(tweak) {}
};

}  // namespace dk::hosttest
