// Running the dk binary as a user would, for the tests of its verbs: each test gets a fresh
// folder to work in (the current folder of every dk it runs), and dk()'s result holds the
// exit status and what dk wrote on stdout and stderr.
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "ci_guard.h"

namespace dk::testing {

struct Out {
  int rc;
  std::string out, err;
};

class DkCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dk_ = std::filesystem::path(DK_BINARY_DIR) / "cli" / "dk";
    DK_REQUIRE(std::filesystem::exists(dk_), "dk is not built");
    char tmpl[] = "/tmp/dk-cli-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Writes `text` to `rel` under the test's folder, making the folders on the way.
  void write(const std::string& rel, const std::string& text) {
    std::filesystem::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel, std::ios::binary) << text;
  }
  static std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  static size_t lines(const std::string& s) {
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
  }
  // A guest image of the build.
  static std::string g(const std::string& name) { return std::string(DK_GUEST_DIR) + "/" + name; }

  // Runs `dk ARGS` (ARGS as a shell would split them) in the test's folder, no stdin.
  Out dk(const std::string& args) {
    const std::string cmd = "cd '" + dir_.string() + "' && '" + dk_.string() + "' " + args +
                            " >out.txt 2>err.txt </dev/null";
    const int st = std::system(cmd.c_str());
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp(dir_ / "out.txt"), slurp(dir_ / "err.txt")};
  }

  // `dk ARGS` with VAR=VALUE words in its environment.
  Out dk_env(const std::string& vars, const std::string& args) {
    const std::string cmd = "cd '" + dir_.string() + "' && env " + vars + " '" + dk_.string() + "' " +
                            args + " >out.txt 2>err.txt </dev/null";
    const int st = std::system(cmd.c_str());
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp(dir_ / "out.txt"), slurp(dir_ / "err.txt")};
  }

  // Bad input: exit 2 and exactly one line on stderr, `dk: ...`, that says `what`.
  void expect_refused(const std::string& args, const std::string& what) {
    SCOPED_TRACE("dk " + args);
    const Out o = dk(args);
    EXPECT_EQ(o.rc, 2) << o.err;
    EXPECT_EQ(lines(o.err), 1u) << o.err;
    EXPECT_EQ(o.err.rfind("dk: ", 0), 0u) << o.err;
    EXPECT_NE(o.err.find(what), std::string::npos) << "wanted '" << what << "' in: " << o.err;
  }

  std::filesystem::path dk_, dir_;
};

}  // namespace dk::testing
