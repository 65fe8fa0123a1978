// What a test does when something it needs was not built or installed: on a developer's
// machine it skips with the reason; under CI (the CI environment variable set, as .ci/run
// runs) a missing piece is a failure, so a green run never hides a missing build or
// install step.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>

namespace dk::testing {

inline bool under_ci() {
  const char* ci = std::getenv("CI");
  return ci && *ci && std::strcmp(ci, "0") != 0 && std::strcmp(ci, "false") != 0;
}

}  // namespace dk::testing

// Use in place of GTEST_SKIP() for prerequisites: `DK_REQUIRE(fs::exists(dk), "dk is not built");`
// Returns from the calling function (a test body or SetUp) when the prerequisite is missing.
#define DK_REQUIRE(cond, why)                                                   \
  do {                                                                          \
    if (!(cond)) {                                                              \
      if (::dk::testing::under_ci()) FAIL() << "required under CI: " << (why);  \
      GTEST_SKIP() << (why);                                                    \
    }                                                                           \
  } while (0)
