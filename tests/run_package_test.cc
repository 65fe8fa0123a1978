// dk run on packages: the staged example packages resolve their libos-posix dependency and
// run; archives run; a package that cannot be resolved is refused before anything runs.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;

struct Cmd {
  int status;
  std::string out;
};

Cmd sh(const std::string& cmd) {
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  Cmd c{-1, {}};
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) c.out.append(buf.data(), n);
  int st = pclose(p);
  c.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return c;
}

const std::string kDk = std::string(DK_BINARY_DIR) + "/cli/dk";
const std::string kPkgs = std::string(DK_BINARY_DIR) + "/packages";

TEST(RunPackage, ExamplesRunFromTheirPackages) {
  Cmd hello = sh(kDk + " run " + kPkgs + "/hello -- from-package");
  EXPECT_EQ(hello.status, 0) << hello.out;
  EXPECT_NE(hello.out.find("argv[0] = hello"), std::string::npos) << hello.out;
  EXPECT_NE(hello.out.find("argv[1] = from-package"), std::string::npos) << hello.out;

  Cmd esc = sh(kDk + " run " + kPkgs + "/escape");
  EXPECT_EQ(esc.status, 133) << esc.out;
  EXPECT_EQ(esc.out.find("ESCAPED"), std::string::npos);
}

TEST(RunPackage, ArchiveRuns) {
  fs::path tmp = fs::temp_directory_path() / ("dk-run-pkg-" + std::to_string(getpid()));
  fs::create_directories(tmp);
  Cmd pack = sh(kDk + " pkg pack " + kPkgs + "/hello -o " + (tmp / "hello.dkpkg").string());
  ASSERT_EQ(pack.status, 0) << pack.out;
  Cmd run = sh(kDk + " run " + (tmp / "hello.dkpkg").string() + " --pkg-path " + kPkgs);
  EXPECT_EQ(run.status, 0) << run.out;
  EXPECT_NE(run.out.find("hello from a picoprocess"), std::string::npos) << run.out;
  // Without a path to libos-posix the archive cannot be resolved: refused before running.
  Cmd alone = sh(kDk + " run " + (tmp / "hello.dkpkg").string());
  EXPECT_EQ(alone.status, 2) << alone.out;
  EXPECT_NE(alone.out.find("missing dependency"), std::string::npos) << alone.out;
  EXPECT_EQ(alone.out.find("hello from a picoprocess"), std::string::npos);
  fs::remove_all(tmp);
}

TEST(RunPackage, BadManifestRefusedWithLine) {
  fs::path tmp = fs::temp_directory_path() / ("dk-run-bad-" + std::to_string(getpid()));
  fs::create_directories(tmp / "bad");
  std::ofstream(tmp / "bad/manifest.yaml") << "package: {name: bad, version: 1.0.0}\nap: {}\n";
  Cmd run = sh(kDk + " run " + (tmp / "bad").string());
  EXPECT_EQ(run.status, 2) << run.out;
  EXPECT_NE(run.out.find("manifest.yaml:2"), std::string::npos) << run.out;
  EXPECT_EQ(std::count(run.out.begin(), run.out.end(), '\n'), 1) << run.out;
  fs::remove_all(tmp);
}

}  // namespace
