// What a user types, as dk reads it: a repeatable option takes one value per use (so the
// target after it is the target), every bad value or misplaced option in every verb is one
// line `dk: ...` on stderr and exit status 2, an error names each path once, and `dk pkg
// check` refuses what `dk run` would refuse, in the same words.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "dk_cli.h"

namespace dk {
namespace {

namespace fs = std::filesystem;

using testing::Out;

class CliInputTest : public testing::DkCliTest {
 protected:
  void SetUp() override {
    DkCliTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    DK_REQUIRE(fs::exists(pkgs_ + "/hello") && fs::exists(pkgs_ + "/libos-posix"),
               "the example packages are not staged under build/packages");
    DK_REQUIRE(fs::exists(image_), "the guest image hello is not built");
    write("a-file", "not a folder");
    write("policy.yaml", "namespace:\n  readonly: {\"file:/docs\": \"file:/nowhere\"}\n");
  }
  // A package `name` in the temporary folder, depending on libos-posix, whose app.exe is
  // `exe` and whose bin/app holds `app`.
  std::string package(const std::string& name, const std::string& exe, const std::string& app) {
    write(name + "/manifest.yaml", "package: {name: " + name +
                                       ", version: 1.0.0}\n"
                                       "dependencies: [{name: libos-posix}]\n"
                                       "app: {exe: \"" +
                                       exe + "\"}\n");
    write(name + "/bin/app", app);
    return (dir_ / name).string();
  }

  static size_t count(const std::string& s, const std::string& part) {
    size_t n = 0;
    for (size_t at = s.find(part); at != std::string::npos; at = s.find(part, at + part.size()))
      ++n;
    return n;
  }

  const std::string pkgs_ = std::string(DK_BINARY_DIR) + "/packages";
  const std::string image_ = std::string(DK_GUEST_DIR) + "/hello";
};

// ARGS come after TARGET, after `--`, or both; the words after `--` are passed as they are,
// option-like ones too, and TARGET itself may come after `--`.
TEST_F(CliInputTest, ArgsBeforeAndAfterTheDashes) {
  for (const std::string& line : {"run " + image_ + " x -- y -z", "run " + image_ + " x y -z",
                                  "run -- " + image_ + " x y -z", "run " + image_ + " -- x y -z"}) {
    SCOPED_TRACE(line);
    Out o = dk(line);
    if (line.find(" y -z") != std::string::npos && line.find("-- ") == std::string::npos) {
      // Without `--`, -z is an option of dk run's, and an unknown one.
      EXPECT_EQ(o.rc, 2) << o.err;
      EXPECT_NE(o.err.find("-z"), std::string::npos) << o.err;
      continue;
    }
    EXPECT_EQ(o.rc, 0) << o.err;
    EXPECT_NE(o.out.find("argv[1] = x\nargv[2] = y\nargv[3] = -z\n"), std::string::npos) << o.out;
  }
  expect_refused("run --", "dk: run: TARGET is required");
  Out o = dk("record -o r.dktrace " + image_ + " a -- --b");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("argv[1] = a\nargv[2] = --b\n"), std::string::npos) << o.out;
}

TEST_F(CliInputTest, PkgPathBeforeTheTargetLeavesTheTargetAndArgs) {
  // An archive alone in its folder resolves its dependency only through --pkg-path.
  ASSERT_EQ(dk("pkg pack " + pkgs_ + "/hello -o hello.dkpkg").rc, 0);
  Out o = dk("run --pkg-path " + pkgs_ + " hello.dkpkg -- first second");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("argv[0] = hello\nargv[1] = first\nargv[2] = second\n"), std::string::npos)
      << o.out;
  // One value per use, several uses; ':' still separates folders within one value.
  o = dk("run --pkg-path nowhere --pkg-path " + pkgs_ + " hello.dkpkg -- again");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("argv[1] = again\n"), std::string::npos) << o.out;
  o = dk("run --pkg-path nowhere:" + pkgs_ + " hello.dkpkg");
  EXPECT_EQ(o.rc, 0) << o.err;
  // The same in dk record and dk pkg.
  o = dk("record -o h.dktrace --pkg-path " + pkgs_ + " hello.dkpkg -- recorded");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("argv[1] = recorded\n"), std::string::npos) << o.out;
  o = dk("pkg check --pkg-path " + pkgs_ + " hello.dkpkg");
  EXPECT_EQ(o.rc, 0) << o.err;
  // Without it the dependency is missing: the folder really came from --pkg-path.
  expect_refused("run hello.dkpkg -- x", "missing dependency");
  // A second word after a repeatable option's value is not taken as another value.
  expect_refused("pkg check --pkg-path " + pkgs_ + " hello.dkpkg stray",
                 "unexpected argument: stray");
}

TEST_F(CliInputTest, RepeatableFiltersTakeOneGlobEach) {
  for (const std::string verb : {"conform", "escape"}) {
    SCOPED_TRACE(verb);
    Out all = dk(verb + " --list");
    ASSERT_EQ(all.rc, 0) << all.err;
    std::vector<std::string> ids;
    std::istringstream lines(all.out);
    for (std::string line; std::getline(lines, line);)
      ids.push_back(line.substr(0, line.find('\t')));
    ASSERT_GE(ids.size(), 3u);
    const std::string a = ids.front(), b = ids.back();
    Out two = dk(verb + " --filter '" + a + "' --filter '" + b + "' --list");
    EXPECT_EQ(two.rc, 0) << two.err;
    EXPECT_EQ(std::count(two.out.begin(), two.out.end(), '\n'), 2) << two.out;
    EXPECT_EQ(two.out.rfind(a + "\t", 0), 0u) << two.out;
    EXPECT_NE(two.out.find("\n" + b + "\t"), std::string::npos) << two.out;
    expect_refused(verb + " --filter '" + a + "' '" + b + "' --list", "unexpected argument: " + b);
  }
}

TEST_F(CliInputTest, UnknownOrMissingVerbs) {
  Out o = dk("bogus");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(o.err.rfind("dk: unknown command: bogus (commands: run, ", 0), 0u) << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
  expect_refused("", "dk: give a command (run, ");
  expect_refused("trace bogus", "dk: trace: unknown command: bogus (commands: show, diff, export)");
  expect_refused("pkg", "dk: pkg: give a command (check, tree, pack, unpack");
  expect_refused("manifest bogus", "dk: manifest: unknown command: bogus");
  expect_refused("run", "dk: run: TARGET is required");
  expect_refused("run --seed", "dk: run: --seed: give a value");
  expect_refused("conform --filter", "dk: conform: --filter: give a value");
  expect_refused("run --bogus " + image_, "dk: run: unexpected argument: --bogus");
  expect_refused("trace show", "dk: trace show: file is required");
  // Asking for help is not a mistake.
  o = dk("--help");
  EXPECT_EQ(o.rc, 0);
  EXPECT_NE(o.out.find("Usage"), std::string::npos);
}

TEST_F(CliInputTest, RunRefusesBadNumbers) {
  expect_refused("run --seed -1 " + image_, "--seed: '-1' is not a whole number");
  expect_refused("run --seed 18446744073709551616 " + image_,
                 "--seed: 18446744073709551616 is out of range");
  expect_refused("run --seed 0x10 " + image_, "--seed: '0x10' is not a whole number");
  expect_refused("run --seed ' 7' " + image_, "--seed");
  expect_refused("run --max-ticks -5 " + image_, "--max-ticks: '-5' is not a whole number");
  expect_refused("run --max-ticks lots " + image_, "--max-ticks: 'lots'");
  expect_refused("run --quantum 0 " + image_, "--quantum: 0 is out of range (give 1 to ");
  expect_refused("run --quantum -1 " + image_, "--quantum: '-1'");
  expect_refused("record -o t.dktrace --seed -1 " + image_, "dk: record: --seed");
  expect_refused("run --host bogus " + image_, "--host");
  // The largest values are taken.
  Out o = dk("run --seed 18446744073709551615 --quantum 18446744073709551615 " + image_);
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("hello from a picoprocess"), std::string::npos) << o.out;
}

TEST_F(CliInputTest, RunRefusesOptionsThatCannotApply) {
  expect_refused("run --root nowhere " + image_, "--root: nowhere: no such folder");
  expect_refused("run --root a-file " + image_, "--root: a-file: not a folder");
  expect_refused("run --checksum every-10-calls " + image_, "dk: run: --checksum requires --trace");
  expect_refused("run --hash-inputs " + image_, "dk: run: --hash-inputs requires --trace");
  expect_refused("run --policy policy.yaml " + image_, "--policy adds to a package's namespace");
  expect_refused("run --policy missing.yaml " + pkgs_ + "/hello",
                 "--policy: missing.yaml: no such file");
  expect_refused("run --root . " + pkgs_ + "/hello", "--root is for bare images");
  expect_refused("run no-such-image", "dk: run: no-such-image: no such file or folder");
  expect_refused("record -o '' " + image_, "dk: record: -o: give the trace file's name");
  // With a trace they apply.
  Out o = dk("run --trace t.dktrace --checksum every-10-calls --hash-inputs " + image_);
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_TRUE(fs::exists(dir_ / "t.dktrace"));
}

TEST_F(CliInputTest, ConformAndEscapeRefuseBadNumbers) {
  for (const std::string verb : {"conform", "escape"}) {
    expect_refused(verb + " --list --timeout 0", "dk: " + verb + ": --timeout: 0 is out of range");
    expect_refused(verb + " --list --timeout -1", "--timeout");
    expect_refused(verb + " --list --timeout nan", "--timeout: 'nan' is not a number of seconds");
    expect_refused(verb + " --list --timeout 100000", "--timeout: 100000 is out of range");
    expect_refused(verb + " --list --jobs -1", "--jobs: '-1' is not a whole number");
    expect_refused(verb + " --list --jobs 0", "--jobs: 0 is out of range (give 1 to 1024)");
    expect_refused(verb + " --list -j many", "--jobs: 'many'");
    EXPECT_EQ(dk(verb + " --list --timeout 0.5 --jobs 2").rc, 0) << verb;
  }
  expect_refused("conform --list --max-ticks -1", "--max-ticks: '-1'");
  expect_refused("escape --list --host bogus", "--host");
  expect_refused("escape --list --runtime jit", "--runtime");
  expect_refused("escape --host sim --runtime native",
                 "dk: escape: --runtime native runs on the native host only; --host sim");
}

TEST_F(CliInputTest, ManifestAndPkgBadInputIsExitTwo) {
  write("bad.yaml", "package: {name: a, version: 1}\nlimits: {memory: 12 parsecs}\n");
  expect_refused("manifest check bad.yaml",
                 "dk: manifest check: bad.yaml:2: limits.memory: bad size");
  expect_refused("manifest convert bad.yaml", "bad.yaml:2");
  expect_refused("manifest check missing.yaml", "missing.yaml");
  write("badpkg/manifest.yaml", "package: {name: a, version: 1}\nap: {}\n");
  expect_refused("pkg check badpkg", "badpkg/manifest.yaml:2");
  expect_refused("pkg tree badpkg", "badpkg/manifest.yaml:2");
  expect_refused("pkg pack badpkg", "badpkg/manifest.yaml:2");
  expect_refused("pkg check no-such-package", "no-such-package: no such package folder or archive");
  write("junk.dkpkg", "not an archive at all");
  expect_refused("pkg check junk.dkpkg", "junk.dkpkg");
  expect_refused("pkg unpack junk.dkpkg -o out", "dk: pkg unpack: junk.dkpkg");
  expect_refused("pkg unpack missing.dkpkg -o out", "missing.dkpkg: no such archive");
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

TEST_F(CliInputTest, PkgCheckIsAsStrictAsRun) {
  const std::string pkg_path = " --pkg-path " + pkgs_ + " ";
  // An app whose image is not an ELF file.
  const std::string text = package("textapp", "package:/bin/app", "#!/bin/sh\necho hi\n");
  Out check = dk("pkg check" + pkg_path + text);
  Out run = dk("run" + pkg_path + text);
  EXPECT_EQ(check.rc, 2) << check.err;
  EXPECT_EQ(run.rc, 2) << run.err;
  EXPECT_NE(check.err.find("textapp 1.0.0: app.exe package:/bin/app does not load: "),
            std::string::npos)
      << check.err;
  // The same reason, from the same check.
  ASSERT_EQ(check.err.rfind("dk: pkg check: ", 0), 0u) << check.err;
  ASSERT_EQ(run.err.rfind("dk: run: ", 0), 0u) << run.err;
  EXPECT_EQ(check.err.substr(15), run.err.substr(9));
  // An app.exe outside the package closure.
  const std::string outside = package("outside", "package:/bin/missing", "x");
  check = dk("pkg check" + pkg_path + outside);
  run = dk("run" + pkg_path + outside);
  EXPECT_EQ(check.rc, 2);
  EXPECT_EQ(run.rc, 2);
  EXPECT_NE(check.err.find("app.exe package:/bin/missing is not in the package closure"),
            std::string::npos)
      << check.err;
  EXPECT_EQ(check.err.substr(15), run.err.substr(9));
  // The same package with a real image passes both.
  const std::string good = package("goodapp", "package:/bin/app", slurp(image_));
  check = dk("pkg check" + pkg_path + good);
  EXPECT_EQ(check.rc, 0) << check.err;
  EXPECT_EQ(dk("run" + pkg_path + good).rc, 0);
  // A library package (no app) is checked for its closure only.
  EXPECT_EQ(dk("pkg check " + pkgs_ + "/libos-posix").rc, 0);
}

TEST_F(CliInputTest, ErrorsNameEachPathOnce) {
  write("bad/manifest.yaml", "package: {name: bad, version: 1.0.0}\nap: {}\n");
  for (const std::string verb : {"run", "pkg check", "pkg tree"}) {
    const Out o = dk(verb + " bad");
    SCOPED_TRACE(verb);
    EXPECT_EQ(o.rc, 2);
    EXPECT_EQ(count(o.err, "bad/manifest.yaml"), 1u) << o.err;
    EXPECT_EQ(count(o.err, "bad:"), 0u) << o.err;  // not the folder again before it
  }
  write("notelf", "plain text");
  const Out o = dk("run notelf");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(count(o.err, "notelf"), 1u) << o.err;
}

}  // namespace
}  // namespace dk
