// The simulated implementation of the test world (host_test_world.h): a SimHost the host
// factory (dk/host_factory.h) builds from a HostLaunch, on the virtual clock the test sets
// through `now`, with SimTest, the fixture of the tests that only mean something on the
// simulated host (overlay files, the virtual clock, seeded randomness, the loopback network).
// The world calls the bare host; the factory's quota decorator is not in front of it.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "dk/host_factory.h"
#include "dk/sim_host.h"
#include "host_test_world.h"

namespace dk::hosttest {

// `launch` with the simulated host named.
inline HostLaunch sim_launch(HostLaunch launch = {}) {
  launch.kind = HostKind::Sim;
  return launch;
}

class SimWorldHost : public WorldHost {
 public:
  explicit SimWorldHost(HostLaunch launch = {})
      : built(make_host(sim_launch(std::move(launch)))), sim(static_cast<SimHost&>(*built)) {}
  HostKind kind() const override { return HostKind::Sim; }
  Host& host() override { return sim; }
  bool idle_a_moment() override { return false; }
  std::string scratch_file(const std::string& name) const override { return "file:/" + name; }
  LaunchedHost built;
  SimHost& sim;
};

// The simulated world for tests both hosts share: the folder tree of the native world
// (TempTree), its rw/ mapped at /data over an empty file system (read when first listed or
// opened; writes stay in the overlay, the host folder is never written); the first
// picoprocess's image and package name, for self:.
struct SimTreeHolder {
  TempTree tree;
};
class SharedSimWorldHost : private SimTreeHolder, public SimWorldHost {
 public:
  SharedSimWorldHost() : SimWorldHost(launch(tree)) {}
  std::string scratch_file(const std::string& name) const override { return "file:/data/" + name; }
  TempTree* folder() override { return &tree; }
  static HostLaunch launch(const TempTree& t) {
    HostLaunch l;
    l.image = {0x7f, 'E', 'L', 'F', 1, 2, 3};
    l.name = "parent-pkg";
    l.mappings = {Mapping{"file:/data", "file:" + (t.root / "rw").string(), true, 0}};
    return l;
  }
};

// A simulated world; a test that needs a second host of its own launch makes one.
class SimWorld : public HostWorld {
 public:
  explicit SimWorld(HostLaunch launch = {})
      : HostWorld(std::make_unique<SimWorldHost>(std::move(launch))),
        host(static_cast<SimWorldHost&>(world_host()).sim) {}
  SimHost& host;
};

class SimTest : public ::testing::Test, public SimWorld {
 public:
  explicit SimTest(HostLaunch launch = {}) : SimWorld(std::move(launch)) {}
};

}  // namespace dk::hosttest
