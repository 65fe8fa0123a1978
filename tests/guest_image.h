// The bytes of a guest image of the build (DK_GUEST_DIR), for tests that run one; a missing
// image fails the calling test and gives no bytes.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace dk::test {

inline std::vector<uint8_t> guest_image(const std::string& name) {
  std::ifstream in(std::string(DK_GUEST_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in) << "guest image " << name;
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace dk::test
