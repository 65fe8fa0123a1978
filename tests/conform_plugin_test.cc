// Plug-in hosts end to end: install Dk to a temporary prefix, build examples/host-plugin out
// of tree against it (CMake package and pkg-config), run `dk conform --host plugin:...`, and
// check that the example passes exactly its expected subset and that its deliberately broken
// variant fails exactly the cases its bugs should break.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "ci_guard.h"

namespace {

namespace fs = std::filesystem;

int sh(const std::string& cmd) {
  int st = std::system(
      (cmd + " > " + (fs::temp_directory_path() / "dk_conform_plugin_cmd.log").string() + " 2>&1")
          .c_str());
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string last_log() {
  std::ifstream in(fs::temp_directory_path() / "dk_conform_plugin_cmd.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::set<std::string> read_ids(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::set<std::string> ids;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#') ids.insert(line);
  return ids;
}

// Passing ids from a TAP report (skipped cases are not passes).
std::set<std::string> tap_passes(const std::string& path, size_t* total) {
  std::ifstream in(path);
  std::set<std::string> ids;
  std::string line;
  const std::regex ok(R"(^ok \d+ - (\S+)$)"), any(R"(^(not )?ok \d+ - .*)");
  *total = 0;
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_match(line, m, ok)) ids.insert(m[1]);
    if (std::regex_match(line, any)) ++*total;
  }
  return ids;
}

class ConformPlugin : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    work_ = fs::temp_directory_path() / ("dk_conform_plugin_" + std::to_string(getpid()));
    fs::remove_all(work_);
    fs::create_directories(work_);
    prefix_ = work_ / "prefix";
    ASSERT_EQ(sh("cmake --install " + std::string(DK_BINARY_DIR) + " --prefix " + prefix_.string() +
                 " --component dev"),
              0)
        << last_log();
  }
  static void TearDownTestSuite() { fs::remove_all(work_); }

  static std::string build(const std::string& name, const std::string& extra) {
    const fs::path b = work_ / name;
    const int c = sh("cmake -S " + std::string(DK_SOURCE_DIR) + "/examples/host-plugin -B " +
                     b.string() + " -DCMAKE_BUILD_TYPE=Release " + extra);
    EXPECT_EQ(c, 0) << last_log();
    EXPECT_EQ(sh("cmake --build " + b.string()), 0) << last_log();
    return b.string();
  }

  static std::set<std::string> conform(const std::string& so, size_t* total) {
    const fs::path tap = work_ / (fs::path(so).stem().string() + ".tap");
    const int st = sh(std::string(DK_BINARY_DIR) +
                      "/cli/dk conform --no-progress --timeout 5 --host plugin:" + so +
                      " --tap-file " + tap.string());
    EXPECT_EQ(st, 1) << "some cases fail on a partial host: " << last_log();
    return tap_passes(tap.string(), total);
  }

  static fs::path work_, prefix_;
};

fs::path ConformPlugin::work_, ConformPlugin::prefix_;

TEST_F(ConformPlugin, InstalledPackageHasOnlyTheAbi) {
  EXPECT_TRUE(fs::exists(prefix_ / "include/dk/abi.h"));
  EXPECT_TRUE(fs::exists(prefix_ / "include/dk/host_plugin.h"));
  bool config = false, pc = false;
  for (const auto& e : fs::recursive_directory_iterator(prefix_)) {
    config |= e.path().filename() == "DkConfig.cmake";
    pc |= e.path().filename() == "dk.pc";
    EXPECT_NE(e.path().extension(), ".a") << e.path();  // no harness code
  }
  EXPECT_TRUE(config);
  EXPECT_TRUE(pc);
}

TEST_F(ConformPlugin, ExamplePassesExactlyItsSubsetAndBrokenVariantFailsItsBugs) {
  const std::string b = build("cmake-build", "-DCMAKE_PREFIX_PATH=" + prefix_.string());
  size_t total = 0, total_broken = 0;
  const auto good = conform(b + "/tiny_host.so", &total);
  EXPECT_GE(total, 150u);
  const auto expected =
      read_ids(std::string(DK_SOURCE_DIR) + "/conformance/expected/plugin-tiny.txt");
  for (const auto& id : expected) EXPECT_TRUE(good.count(id)) << id << " should pass on tiny_host";
  for (const auto& id : good)
    EXPECT_TRUE(expected.count(id)) << id << " passes on tiny_host unexpectedly";

  const auto broken = conform(b + "/tiny_host_broken.so", &total_broken);
  EXPECT_EQ(total_broken, total);
  const auto must_fail =
      read_ids(std::string(DK_SOURCE_DIR) + "/conformance/expected/plugin-tiny-broken.txt");
  EXPECT_FALSE(must_fail.empty());
  for (const auto& id : must_fail)  // a bug is seen only in a case the correct build passes
    EXPECT_TRUE(expected.count(id))
        << id << " is in plugin-tiny-broken.txt but not in plugin-tiny.txt";
  for (const auto& id : good) {
    if (must_fail.count(id))
      EXPECT_FALSE(broken.count(id)) << id << " should fail on the broken variant";
    else
      EXPECT_TRUE(broken.count(id)) << id << " should still pass on the broken variant";
  }
  for (const auto& id : broken) EXPECT_TRUE(good.count(id)) << id;
}

// The host benchmarks on a plug-in (dk bench --host plugin:PATH.so): what it serves is
// measured, what it does not (tiny_host has no files, events or children) is listed as
// unsupported, never a failure, and the history keeps its figures apart from the built-in
// hosts'.
TEST_F(ConformPlugin, HostBenchmarksRunOnThePlugin) {
  const fs::path bench = fs::path(DK_BINARY_DIR) / "bench" / "dk_bench";
  if (!fs::exists(bench)) GTEST_SKIP() << "this build has no dk_bench (DK_BUILD_BENCH=OFF)";
  const std::string b = build("bench-build", "-DCMAKE_PREFIX_PATH=" + prefix_.string());
  const fs::path db = work_ / "perf.db";
  const int st = sh(std::string(DK_BINARY_DIR) + "/cli/dk bench --json --host plugin:" + b +
                    "/tiny_host.so --filter 'BM_HostTrack/(null_downcall|file_read_4k)' --history " +
                    db.string() + " --commit c1");
  const std::string json = last_log();  // dk_bench's table, then the JSON object
  EXPECT_EQ(st, 0) << json << last_log();
  const size_t unsupported = json.find("\"unsupported\":[");
  ASSERT_NE(unsupported, std::string::npos) << json;
  EXPECT_NE(json.find("BM_HostTrack/file_read_4k", unsupported), std::string::npos) << json;
  EXPECT_NE(json.find("DkStreamOpen(file:/f) answered", unsupported), std::string::npos) << json;
  EXPECT_EQ(json.find("null_downcall", unsupported), std::string::npos) << "measured, not unsupported: " << json;
  EXPECT_EQ(sh(std::string(DK_BINARY_DIR) + "/cli/dk perf log " + db.string()), 0);
  EXPECT_NE(last_log().find(" host=plugin:"), std::string::npos) << last_log();
  EXPECT_EQ(sh(std::string(DK_BINARY_DIR) + "/cli/dk perf plot --figure ns_per_call " + db.string() + " -o " +
               (work_ / "p.svg").string()),
            0)
      << last_log();
}

TEST_F(ConformPlugin, BuildsWithPkgConfig) {
  DK_REQUIRE(sh("pkg-config --version") == 0, "pkg-config is not installed");
  std::string pcdir;
  for (const auto& e : fs::recursive_directory_iterator(prefix_))
    if (e.path().filename() == "dk.pc") pcdir = e.path().parent_path().string();
  ASSERT_FALSE(pcdir.empty());
  const fs::path b = work_ / "pc-build";
  EXPECT_EQ(sh("PKG_CONFIG_PATH=" + pcdir + " cmake -S " + std::string(DK_SOURCE_DIR) +
               "/examples/host-plugin -B " + b.string() + " -DDK_TINY_HOST_USE_PKG_CONFIG=ON"),
            0)
      << last_log();
  EXPECT_EQ(sh("cmake --build " + b.string()), 0) << last_log();
  EXPECT_TRUE(fs::exists(b / "tiny_host.so"));
}

TEST_F(ConformPlugin, BadPluginsAreRefusedWithOneLine) {
  EXPECT_EQ(sh(std::string(DK_BINARY_DIR) + "/cli/dk conform --host plugin:/no/such.so"), 2);
  EXPECT_NE(last_log().find("no plug-in library"), std::string::npos) << last_log();
  EXPECT_EQ(sh(std::string(DK_BINARY_DIR) + "/cli/dk conform --host bogus"), 2);
  EXPECT_NE(last_log().find("bogus"), std::string::npos) << last_log();
  // A file that is not a plug-in: every case is broken, the runner still reports.
  const int st = sh(std::string(DK_BINARY_DIR) +
                    "/cli/dk conform --no-progress --filter 'boot.*' --host plugin:" +
                    std::string(DK_BINARY_DIR) + "/cli/dk");
  EXPECT_EQ(st, 1);
  EXPECT_NE(last_log().find("broken"), std::string::npos) << last_log();
}

}  // namespace
