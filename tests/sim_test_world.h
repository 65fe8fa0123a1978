// The simulated implementation of the test world (host_test_world.h): a SimHost made from a
// SimConfig, on the virtual clock the test sets through `now`, with SimTest, the fixture of
// the tests that only mean something on the simulated host (overlay files, the virtual
// clock, seeded randomness, the loopback network).
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "dk/sim_host.h"
#include "host_test_world.h"

namespace dk::hosttest {

class SimWorldHost : public WorldHost {
 public:
  explicit SimWorldHost(SimConfig cfg = {}) : sim(std::move(cfg)) {}
  HostKind kind() const override { return HostKind::Sim; }
  Host& host() override { return sim; }
  bool idle_a_moment() override { return false; }
  std::string scratch_file(const std::string& name) const override { return "file:/" + name; }
  SimHost sim;
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
  SharedSimWorldHost() : SimWorldHost(config(tree)) {}
  std::string scratch_file(const std::string& name) const override { return "file:/data/" + name; }
  TempTree* folder() override { return &tree; }
  static SimConfig config(const TempTree& t) {
    SimConfig c;
    c.image = {0x7f, 'E', 'L', 'F', 1, 2, 3};
    c.name = "parent-pkg";
    c.mounts = {{"/data", (t.root / "rw").string()}};
    return c;
  }
};

// A simulated world; a test that needs a second host of its own configuration makes one.
class SimWorld : public HostWorld {
 public:
  explicit SimWorld(SimConfig cfg = {})
      : HostWorld(std::make_unique<SimWorldHost>(std::move(cfg))),
        host(static_cast<SimWorldHost&>(world_host()).sim) {}
  SimHost& host;
};

class SimTest : public ::testing::Test, public SimWorld {
 public:
  explicit SimTest(SimConfig cfg = {}) : SimWorld(std::move(cfg)) {}
};

}  // namespace dk::hosttest
