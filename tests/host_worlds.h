// Suites that run on both hosts: a fixture HostsTest whose world is the simulated or the
// native one, chosen by the test's parameter, each made by its own implementation
// (sim_test_world.h, native_test_world.h). A suite declared with
//
//   class FooTest : public HostsTest {};
//   TEST_P(FooTest, Something) { ... }
//   DK_ON_BOTH_HOSTS(FooTest);
//
// runs every test as FooTest.Something/sim and FooTest.Something/native.
#pragma once

#include <memory>

#include "native_test_world.h"
#include "sim_test_world.h"

namespace dk::hosttest {

inline std::unique_ptr<WorldHost> make_world_host(HostKind kind) {
  if (kind == HostKind::Sim) return std::make_unique<SharedSimWorldHost>();
  return std::make_unique<NativeWorldHost>(shared_native_launch);
}

class HostsTest : public ::testing::TestWithParam<HostKind>, public HostWorld {
 protected:
  HostsTest() : HostWorld(make_world_host(GetParam())), tree(*world_host().folder()) {}
  bool on_native() const { return kind() == HostKind::Native; }
  TempTree& tree;  // rw/ is file:/data on both hosts; only the native host writes it
};

inline std::string host_param_name(const ::testing::TestParamInfo<HostKind>& info) {
  return std::string(host_kind_name(info.param));
}

#define DK_ON_BOTH_HOSTS(Suite)                                                                    \
  INSTANTIATE_TEST_SUITE_P(                                                                        \
      , Suite, ::testing::Values(::dk::hosttest::HostKind::Sim, ::dk::hosttest::HostKind::Native), \
      ::dk::hosttest::host_param_name)

}  // namespace dk::hosttest
