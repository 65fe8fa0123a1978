// Packages: dependency resolution (diamond, conflict, cycle, missing, backtracking), the
// union view with its conflicts, .dkpkg pack/unpack round trips and corrupt archives.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "dk/monitor/launch.h"
#include "dk/monitor/package_store.h"
#include "dk/monitor/package_union.h"

namespace dk {
namespace {

namespace fs = std::filesystem;

class PackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dk-pkg-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    fs::create_directories(root_ / "store");
  }
  void TearDown() override { fs::remove_all(root_); }

  // Writes store/NAME-VERSION with a manifest and files.
  fs::path make(const std::string& name, const std::string& version,
                const std::vector<std::pair<std::string, std::string>>& deps,
                const std::map<std::string, std::string>& files = {},
                const std::string& arch = "x86_64") {
    fs::path dir = root_ / "store" / (name + "-" + version);
    fs::create_directories(dir);
    std::ofstream m(dir / "manifest.yaml");
    m << "package: {name: " << name << ", version: " << version << ", arch: " << arch << "}\n";
    if (!deps.empty()) {
      m << "dependencies:\n";
      for (const auto& [n, c] : deps) m << "  - {name: " << n << ", version: \"" << c << "\"}\n";
    }
    for (const auto& [path, text] : files) {
      fs::create_directories((dir / path.substr(1)).parent_path());
      std::ofstream(dir / path.substr(1)) << text;
    }
    return dir;
  }

  Closure resolve(const fs::path& app) {
    PackageStore store({root_ / "store"});
    return store.resolve(Package::open(app));
  }

  std::string resolve_error(const fs::path& app) {
    try {
      resolve(app);
    } catch (const PackageError& e) {
      return e.what();
    }
    return "(resolved)";
  }

  static std::vector<std::string> labels(const Closure& c) {
    std::vector<std::string> out;
    for (const auto& n : c.nodes) out.push_back(n.package->label());
    return out;
  }

  fs::path root_;
};

TEST_F(PackageTest, DiamondPicksHighestCommonVersion) {
  make("c", "1.0.0", {});
  make("c", "1.5.0", {});
  make("c", "2.0.0", {});
  make("a", "1.0.0", {{"c", ">=1.0"}});
  make("b", "1.0.0", {{"c", "<2"}});
  fs::path app = make("app", "1.0.0", {{"a", "*"}, {"b", "^1"}});
  Closure c = resolve(app);
  EXPECT_EQ(labels(c), (std::vector<std::string>{"app 1.0.0", "a 1.0.0", "b 1.0.0", "c 1.5.0"}));
  EXPECT_EQ(c.nodes[3].chain, "app 1.0.0 -> a 1.0.0 -> c 1.5.0");
  EXPECT_EQ(c.nodes[0].depends_on, (std::vector<size_t>{1, 2}));
  EXPECT_EQ(c.nodes[2].depends_on, (std::vector<size_t>{3}));
}

TEST_F(PackageTest, BacktracksToAnOlderVersion) {
  // b 2.0 needs c >= 2, which a forbids; b 1.0 does not.
  make("c", "1.0.0", {});
  make("c", "2.0.0", {});
  make("a", "1.0.0", {{"c", "<2"}});
  make("b", "1.0.0", {{"c", ">=1"}});
  make("b", "2.0.0", {{"c", ">=2"}});
  fs::path app = make("app", "1.0.0", {{"a", "*"}, {"b", "*"}});
  EXPECT_EQ(labels(resolve(app)),
            (std::vector<std::string>{"app 1.0.0", "a 1.0.0", "b 1.0.0", "c 1.0.0"}));
}

TEST_F(PackageTest, ConflictNamesBothChains) {
  make("c", "1.0.0", {});
  make("c", "2.0.0", {});
  make("a", "1.0.0", {{"c", ">=2"}});
  make("b", "1.0.0", {{"c", "<2"}});
  fs::path app = make("app", "1.0.0", {{"a", "*"}, {"b", "*"}});
  std::string e = resolve_error(app);
  EXPECT_NE(e.find("'c'"), std::string::npos) << e;
  EXPECT_NE(e.find("app 1.0.0 -> a 1.0.0 needs c >=2"), std::string::npos) << e;
  EXPECT_NE(e.find("app 1.0.0 -> b 1.0.0 needs c <2"), std::string::npos) << e;
}

TEST_F(PackageTest, NoVersionSatisfies) {
  make("c", "1.0.0", {});
  fs::path app = make("app", "1.0.0", {{"c", ">=3"}});
  std::string e = resolve_error(app);
  EXPECT_NE(e.find("no version of 'c'"), std::string::npos) << e;
  EXPECT_NE(e.find("available: 1.0.0"), std::string::npos) << e;
}

TEST_F(PackageTest, CycleNamed) {
  make("a", "1.0.0", {{"b", "*"}});
  make("b", "1.0.0", {{"c", "*"}});
  make("c", "1.0.0", {{"a", "*"}});
  fs::path app = make("app", "1.0.0", {{"a", "*"}});
  std::string e = resolve_error(app);
  EXPECT_NE(e.find("dependency cycle: a 1.0.0 -> b 1.0.0 -> c 1.0.0 -> a 1.0.0"), std::string::npos)
      << e;
  // A cycle back to the app itself.
  fs::path app2 = make("loop", "1.0.0", {{"back", "*"}});
  make("back", "1.0.0", {{"loop", "*"}});
  e = resolve_error(app2);
  EXPECT_NE(e.find("dependency cycle: loop 1.0.0 -> back 1.0.0 -> loop 1.0.0"), std::string::npos)
      << e;
}

TEST_F(PackageTest, MissingNamesTheChain) {
  make("a", "1.0.0", {{"ghost", ">=1.0"}});
  fs::path app = make("app", "1.0.0", {{"a", "*"}});
  std::string e = resolve_error(app);
  EXPECT_NE(e.find("missing dependency: app 1.0.0 -> a 1.0.0 needs ghost >=1.0"), std::string::npos)
      << e;
}

TEST_F(PackageTest, ArchitectureMustFit) {
  make("lib", "1.0.0", {}, {}, "any");
  fs::path app = make("app", "1.0.0", {{"lib", "*"}});
  EXPECT_EQ(resolve(app).nodes.size(), 2u);
}

TEST_F(PackageTest, StoreSkipsBrokenAndShadowed) {
  make("a", "1.0.0", {});
  fs::create_directories(root_ / "store" / "broken");
  std::ofstream(root_ / "store" / "broken" / "manifest.yaml") << "package: {name: x}\n";
  fs::create_directories(root_ / "other" / "a-copy");
  std::ofstream(root_ / "other" / "a-copy" / "manifest.yaml")
      << "package: {name: a, version: 1.0.0}\n";
  PackageStore store({root_ / "store", root_ / "other", root_ / "nowhere"});
  EXPECT_EQ(store.available().size(), 1u);
  ASSERT_EQ(store.warnings().size(), 2u);
  EXPECT_NE(store.warnings()[0].find("no version"), std::string::npos) << store.warnings()[0];
  EXPECT_NE(store.warnings()[1].find("shadowed"), std::string::npos) << store.warnings()[1];
}

TEST_F(PackageTest, UnionAppWinsEarlierDependencyBeatsLater) {
  make("libc", "1.0.0", {},
       {{"/lib/libc.so", "libc"}, {"/etc/conf", "from libc"}, {"/share", "a file"}});
  make("libx", "1.0.0", {},
       {{"/lib/libx.so", "libx"}, {"/etc/conf", "from libx"}, {"/share/x", "x"}});
  fs::path app = make("app", "1.0.0", {{"libx", "*"}, {"libc", "*"}},
                      {{"/bin/app", "app"}, {"/lib/libc.so", "patched"}});
  PackageUnion u(resolve(app));
  std::string s;
  ASSERT_EQ(u.read("/lib/libc.so", s), 0);
  EXPECT_EQ(s, "patched");
  ASSERT_EQ(u.read("etc/conf", s), 0);
  EXPECT_EQ(s, "from libx");  // libx is listed first
  ASSERT_EQ(u.read("/share/x", s), 0);
  EXPECT_EQ(u.read("/share", s), -DK_E_ISDIR);
  EXPECT_EQ(u.read("/nope", s), -DK_E_NOENT);
  EXPECT_FALSE(u.find("/manifest.yaml"));
  std::vector<std::string> names;
  ASSERT_EQ(u.list("/", names), 0);
  EXPECT_EQ(names, (std::vector<std::string>{"bin", "etc", "lib", "share"}));
  ASSERT_EQ(u.list("/lib", names), 0);
  EXPECT_EQ(names, (std::vector<std::string>{"libc.so", "libx.so"}));
  EXPECT_EQ(u.list("/bin/app", names), -DK_E_NOTDIR);
  EXPECT_EQ(u.list("/zzz", names), -DK_E_NOENT);
  ASSERT_EQ(u.conflicts().size(), 3u);
  EXPECT_EQ(u.conflicts()[0].path, "/etc/conf");
  EXPECT_EQ(u.conflicts()[0].winner, "libx 1.0.0");
  EXPECT_EQ(u.conflicts()[0].loser, "libc 1.0.0");
  EXPECT_EQ(u.conflicts()[1].path, "/lib/libc.so");
  EXPECT_EQ(u.conflicts()[1].winner, "app 1.0.0");
  EXPECT_EQ(u.conflicts()[2].path, "/share");
  EXPECT_NE(u.conflicts()[2].why.find("folder"), std::string::npos);
  auto host = u.host_file("/bin/app");
  ASSERT_TRUE(host);
  EXPECT_TRUE(fs::exists(*host));
}

TEST_F(PackageTest, SymlinksInPackagesAreSkipped) {
  fs::path app = make("app", "1.0.0", {}, {{"/bin/app", "app"}});
  fs::create_symlink("/etc/passwd", app / "passwd");
  auto pkg = Package::open(app);
  EXPECT_FALSE(pkg->find("/passwd"));
  ASSERT_EQ(pkg->warnings().size(), 1u);
}

TEST_F(PackageTest, PackUnpackRoundTrip) {
  fs::path app = make("app", "1.2.3", {},
                      {{"/bin/app", std::string("\x7f"
                                                "ELF\0\1",
                                                6)},
                       {"/etc/a b", "spaces"},
                       {"/empty", ""}});
  fs::permissions(app / "bin/app", fs::perms::owner_all);
  auto pkg = Package::open(app);
  fs::path file = root_ / "app.dkpkg";
  pack_package(*pkg, file);
  auto packed = Package::open(file);
  EXPECT_TRUE(packed->is_archive());
  EXPECT_EQ(packed->label(), "app 1.2.3");
  ASSERT_EQ(packed->files().size(), pkg->files().size());
  for (size_t i = 0; i < pkg->files().size(); ++i) {
    EXPECT_EQ(packed->files()[i].path, pkg->files()[i].path);
    EXPECT_EQ(packed->read(packed->files()[i].path), pkg->read(pkg->files()[i].path));
    EXPECT_EQ(packed->files()[i].executable, pkg->files()[i].executable);
  }
  EXPECT_TRUE(packed->find("/bin/app")->executable);
  EXPECT_FALSE(packed->host_file("/bin/app"));
  // Packing the same package twice gives the same bytes.
  fs::path again = root_ / "again.dkpkg";
  pack_package(*pkg, again);
  std::ifstream a(file, std::ios::binary), b(again, std::ios::binary);
  EXPECT_TRUE(std::equal(std::istreambuf_iterator<char>(a), {}, std::istreambuf_iterator<char>(b)));
  // Unpack and open again.
  fs::path out = root_ / "unpacked";
  unpack_archive(Archive::open(file), out);
  auto back = Package::open(out);
  EXPECT_EQ(back->read("/etc/a b"), "spaces");
  EXPECT_EQ(back->read("/bin/app"), pkg->read("/bin/app"));
  EXPECT_THROW(unpack_archive(Archive::open(file), out), PackageError);
  // An archive in the search path is a package like any other.
  fs::remove_all(app);
  fs::rename(file, root_ / "store" / "app.dkpkg");
  make("top", "1.0.0", {{"app", "=1.2"}});
  Closure c = resolve(root_ / "store" / "top-1.0.0");
  ASSERT_EQ(c.nodes.size(), 2u);
  EXPECT_TRUE(c.nodes[1].package->is_archive());
}

std::string archive_error(std::string bytes) {
  try {
    Archive::parse(std::move(bytes), "x.dkpkg");
  } catch (const ArchiveError& e) {
    return e.what();
  }
  return "(accepted)";
}

void put64(std::string& s, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    s[at + static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void put32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    s[at + static_cast<size_t>(i)] = static_cast<char>((v >> (8 * i)) & 0xff);
}
// Re-seals the header (and the table checksum) after a deliberate edit, so the reader's
// deeper checks are the ones exercised.
void reseal(std::string& s, uint64_t msize, uint64_t tsize) {
  put64(s, 56, content_hash(std::string_view(s).substr(72 + msize, tsize)));
  put64(s, 64, content_hash(std::string_view(s).substr(0, 64)));
}

TEST(Archive, CorruptArchivesRefusedPrecisely) {
  const std::string manifest = "package: {name: a, version: 1}\n";
  std::string good =
      Archive::build(manifest, false, {{"/a", 0644, "alpha"}, {"/b/c", 0755, "charlie"}});
  ASSERT_EQ(archive_error(good), "(accepted)");
  Archive a = Archive::parse(good, "x");
  EXPECT_EQ(a.manifest_text(), manifest);
  ASSERT_EQ(a.entries().size(), 2u);
  EXPECT_EQ(a.contents(*a.find("/b/c")), "charlie");
  const uint64_t msize = manifest.size();
  const uint64_t tsize = 2 * 32 + 2 + 4;

  auto expect = [&](std::string bytes, const char* want) {
    std::string e = archive_error(std::move(bytes));
    EXPECT_NE(e.find(want), std::string::npos) << "got: " << e;
  };
  expect("", "header: truncated");
  expect("NOTAPKG!" + std::string(100, '\0'), "bad magic");
  expect(good.substr(0, 50), "header: truncated (50 bytes");
  expect(good.substr(0, good.size() - 1), "truncated (");
  expect(good + "x", "1 trailing bytes");
  {
    std::string s = good;
    s[9] ^= 1;  // version, without resealing
    expect(s, "header: checksum mismatch");
  }
  {
    std::string s = good;
    put32(s, 8, 2);
    reseal(s, msize, tsize);
    expect(s, "format version 2 is not supported");
  }
  {
    std::string s = good;
    s[72 + 3] ^= 0x20;  // manifest byte
    expect(s, "manifest: checksum mismatch");
  }
  {
    std::string s = good;
    s[72 + msize + 40] ^= 1;  // file table byte
    expect(s, "file table: checksum mismatch");
  }
  {
    std::string s = good;
    s[s.size() - 1] ^= 1;  // last content byte
    expect(s, "entry 1 (/b/c): content checksum mismatch");
  }
  {
    std::string s = good;
    put64(s, 72 + msize + 16, 99);  // entry 0 size
    reseal(s, msize, tsize);
    expect(s, "entry 0 (/a): contents run past the data");
  }
  {
    std::string s = good;
    put64(s, 72 + msize + 32 + 2 + 8, 1);  // entry 1 offset
    reseal(s, msize, tsize);
    expect(s, "entry 1 (/b/c): contents do not follow");
  }
  {
    std::string s = good;
    s[72 + msize + 32 + 1] = '.';  // "/." instead of "/a"
    reseal(s, msize, tsize);
    expect(s, "entry 0: path is not normalised");
  }
  {
    std::string s = good;
    s[72 + msize + 32] = 'x';  // "xa": not absolute
    reseal(s, msize, tsize);
    expect(s, "entry 0: path is not absolute");
  }
  {
    std::string s = good;
    s[72 + msize + 32 + 1] = '\0';
    reseal(s, msize, tsize);
    expect(s, "entry 0: NUL byte in path");
  }
  {
    std::string s = good;
    put32(s, 72 + msize, 1000);  // path length past the table
    reseal(s, msize, tsize);
    expect(s, "entry 0: path runs past the file table");
  }
  {
    std::string s = good;
    put32(s, 20, 3);  // one entry more than there is
    reseal(s, msize, tsize);
    expect(s, "file table: too small for 3 entries");
  }
  {
    std::string s = good;
    put32(s, 20, 1);  // one entry fewer
    reseal(s, msize, tsize);
    expect(s, "bytes left after the last entry");
  }
  // Order, duplicates and file-versus-folder clashes, through a crafted but sealed table.
  EXPECT_THROW(Archive::build(manifest, false, {{"/a", 0644, ""}, {"/a", 0644, ""}}), ArchiveError);
  EXPECT_THROW(Archive::build(manifest, false, {{"/a", 0644, ""}, {"/a/b", 0644, ""}}),
               ArchiveError);
  EXPECT_THROW(Archive::build(manifest, false, {{"/a/../b", 0644, ""}}), ArchiveError);
  {
    std::string s = Archive::build(manifest, false, {{"/a", 0644, ""}, {"/b", 0644, ""}});
    s[72 + msize + 32 + 2 + 32 + 1] = 'a';  // second path "/b" -> "/a"
    reseal(s, msize, tsize);
    expect(s, "entry 1 (/a): duplicate path");
  }
  {
    std::string s = Archive::build(manifest, false, {{"/a", 0644, ""}, {"/b-", 0644, ""}});
    s[72 + msize + 32 + 2 + 32 + 2] = '/';  // "/b-" -> "/b/" is not normalised
    reseal(s, msize, tsize + 1);
    expect(s, "not normalised");
  }
}

}  // namespace
}  // namespace dk

namespace dk {
namespace {

TEST_F(PackageTest, PrepareLaunchReadsTheExeThroughTheUnion) {
  make("libos-posix", "1.0.0", {}, {{"/lib/libos.so", "libos"}});
  fs::path app = make("hello", "1.0.0", {{"libos-posix", ">=1.0"}}, {{"/bin/hello", "ELF-bytes"}});
  std::ofstream(app / "manifest.yaml", std::ios::app)
      << "app: {exe: \"package:/bin/hello\", stdout: \"dev:console\"}\nlimits: {threads: 2}\n";
  Manifest policy =
      parse_manifest_ini("[Namespace.Writable]\ntcp.client:=tcp.client:\n", "policy.ini");
  PackageLaunch l = prepare_launch(app, {root_ / "store"}, &policy);
  EXPECT_EQ(std::string(l.image.begin(), l.image.end()), "ELF-bytes");
  EXPECT_EQ(l.app.args, (std::vector<std::string>{"hello"}));
  EXPECT_EQ(l.limits.threads, 2u);
  EXPECT_EQ(l.files->closure().nodes.size(), 2u);
  Resolved r;
  EXPECT_EQ(l.ns.resolve("tcp:example.com:80", Access::Write, r), 0);
  EXPECT_EQ(l.ns.resolve("dev:console", Access::Write, r), 0);
  EXPECT_EQ(l.ns.resolve("file:/lib/libos.so", Access::Read, r), 0);
  std::string s;
  EXPECT_EQ(l.files->read(r.rel, s), 0);
  EXPECT_EQ(s, "libos");
  // No app: refused.
  fs::path lib = root_ / "store" / "libos-posix-1.0.0";
  EXPECT_THROW(prepare_launch(lib, {root_ / "store"}), PackageError);
}

}  // namespace
}  // namespace dk
