// dk run on packages: the staged example packages resolve their libos-posix dependency and
// run; archives run; a package that cannot be resolved is refused before anything runs; a
// dependency's files are seen through the package union on both hosts; --json lists each
// mapped host folder with a hash of its contents.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "dk/abi.h"

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

// An app package that depends on a data package, beside it in one folder.
struct UnionPackages {
  fs::path dir;
  explicit UnionPackages(const std::string& tag) {
    dir = fs::temp_directory_path() / ("dk-union-" + tag + "-" + std::to_string(getpid()));
    fs::create_directories(dir / "data/share");
    fs::create_directories(dir / "app/bin");
    fs::create_directories(dir / "docs");
    std::ofstream(dir / "data/manifest.yaml") << "package: {name: data, version: 1.2.0}\n";
    std::ofstream(dir / "data/share/greeting.txt") << "hello from a dependency\n";
    std::ofstream(dir / "docs/a.txt") << "first";
    fs::copy_file(std::string(DK_GUEST_DIR) + "/quota_guest", dir / "app/bin/quota_guest");
    std::ofstream(dir / "app/manifest.yaml")
        << "package: {name: app, version: 1.0.0}\n"
           "dependencies: [{name: data, version: \">=1.0\"}]\n"
           "app: {exe: \"package:/bin/quota_guest\", args: [quota_guest]}\n"
           "namespace: {readonly: {\"file:/docs\": \"file:" +
               (dir / "docs").string() + "\"}}\n";
  }
  ~UnionPackages() { fs::remove_all(dir); }
  std::string app() const { return (dir / "app").string(); }
};

TEST(RunPackage, DependencyFilesAreInTheUnionOnBothHosts) {
  UnionPackages p("files");
  for (const char* host : {"sim", "native"}) {
    const std::string run = kDk + " run --host " + host + " " + p.app() + " -- cat ";
    Cmd file = sh(run + "file:/share/greeting.txt");
    EXPECT_EQ(file.status, 0) << host << ": " << file.out;
    EXPECT_EQ(file.out, "hello from a dependency\n") << host;
    Cmd pkg = sh(run + "package:/share/greeting.txt");
    EXPECT_EQ(pkg.status, 0) << host << ": " << pkg.out;
    EXPECT_EQ(pkg.out, "hello from a dependency\n") << host;
    // The dependency's manifest is not one of its files.
    Cmd manifest = sh(run + "file:/manifest.yaml");
    EXPECT_EQ(manifest.status, DK_E_NOENT) << host << ": " << manifest.out;
  }
}

// A namespace mapping onto a host folder: the file is read from it at open time, on the
// simulated host as on the native one.
TEST(RunPackage, MappedHostFolderIsReadOnBothHosts) {
  UnionPackages p("mapped");
  for (const char* host : {"sim", "native"}) {
    Cmd c = sh(kDk + " run --host " + host + " " + p.app() + " -- cat file:/docs/a.txt");
    EXPECT_EQ(c.status, 0) << host << ": " << c.out;
    EXPECT_EQ(c.out, "first") << host;
  }
}

std::string field(const std::string& json, const std::string& key) {
  size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return "";
  at += key.size() + 3;
  size_t end = json.find_first_of(",}", at);
  return json.substr(at, end - at);
}

TEST(RunPackage, JsonHashesMappedFolders) {
  UnionPackages p("hash");
  const std::string run = kDk + " run --json " + p.app() + " -- cat package:/share/greeting.txt";
  Cmd first = sh(run);
  ASSERT_EQ(first.status, 0) << first.out;
  EXPECT_NE(first.out.find("\"mapped_folders\":[{\"virtual\":\"file:/docs\",\"writable\":false,"
                           "\"files\":1,\"hash\":\"xxh3:"),
            std::string::npos)
      << first.out;
  const std::string h1 = field(first.out, "hash");
  EXPECT_EQ(field(sh(run).out, "hash"), h1);  // the same contents, the same hash
  std::ofstream(p.dir / "docs/a.txt") << "other";
  const std::string h2 = field(sh(run).out, "hash");
  EXPECT_NE(h2, h1);
  fs::rename(p.dir / "docs/a.txt", p.dir / "docs/b.txt");  // a name counts too
  EXPECT_NE(field(sh(run).out, "hash"), h2);
  // A bare image's --root folder is a mapped folder as well.
  Cmd bare = sh(kDk + " run --json --root " + (p.dir / "docs").string() + " " + DK_GUEST_DIR +
                "/quota_guest -- cat file:/b.txt");
  EXPECT_EQ(bare.status, 0) << bare.out;
  EXPECT_NE(bare.out.find("\"virtual\":\"file:/\""), std::string::npos) << bare.out;
}

TEST(RunPackage, TmpfsIsPrivateAndGoesWithThePicoprocess) {
  fs::path dir = fs::temp_directory_path() / ("dk-tmpfs-test-" + std::to_string(getpid()));
  fs::create_directories(dir / "app/bin");
  fs::create_directories(dir / "tmp");
  fs::copy_file(std::string(DK_GUEST_DIR) + "/quota_guest", dir / "app/bin/quota_guest");
  std::ofstream(dir / "app/manifest.yaml")
      << "package: {name: app, version: 1.0.0}\n"
         "app: {exe: \"package:/bin/quota_guest\", args: [quota_guest]}\n"
         "namespace: {writable: {\"file:/scratch\": \"tmpfs:\"}}\n";
  // The native host makes the private folder under TMPDIR.
  const std::string env = "TMPDIR=" + (dir / "tmp").string() + " ";
  for (const char* host : {"native"}) {
    const std::string run =
        env + kDk + " run --host " + host + " " + (dir / "app").string() + " -- ";
    Cmd put = sh(run + "putcat file:/scratch/a.txt");
    EXPECT_EQ(put.status, 0) << host << ": " << put.out;
    EXPECT_EQ(put.out, "private\n") << host;
    // Another run is another picoprocess: its tmpfs starts empty.
    Cmd again = sh(run + "cat file:/scratch/a.txt");
    EXPECT_EQ(again.status, DK_E_NOENT) << host << ": " << again.out;
    // Nothing is left on the host once the picoprocess has ended.
    EXPECT_TRUE(fs::is_empty(dir / "tmp")) << host;
  }
  fs::remove_all(dir);
}

}  // namespace
