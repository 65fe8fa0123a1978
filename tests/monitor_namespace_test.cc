// The namespace policy against hostile URIs: traversal (plain and percent-encoded), NUL
// bytes, over-long names, scheme confusion, trailing and repeated slashes, case games, and
// symlinks in a mapped host folder that point outside it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "dk/monitor/namespace.h"
#include "dk/monitor/open_beneath.h"

namespace dk {
namespace {

namespace fs = std::filesystem;
using T = Resolved::Target;

class NamespaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/dk-ns-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    host_ = tmpl;
    fs::create_directories(host_ + "/docs/sub");
    fs::create_directories(host_ + "/drafts");
    std::ofstream(host_ + "/docs/a.txt") << "inside";
    std::ofstream(host_ + "/secret.txt") << "outside";
    fs::create_symlink("/etc", host_ + "/docs/out");
    fs::create_symlink("../secret.txt", host_ + "/docs/up");
    fs::create_symlink("/etc/passwd", host_ + "/docs/abs");
    fs::create_symlink("a.txt", host_ + "/docs/in");
    fs::create_symlink("../a.txt", host_ + "/docs/sub/back");
    fs::create_symlink("../../secret.txt", host_ + "/docs/sub/far");
    fs::create_symlink("/proc/self/fd/0", host_ + "/docs/magic");
    fs::create_symlink("..", host_ + "/docs/parent");

    Manifest m = parse_manifest_yaml(
        "package: {name: t, version: 1}\n"
        "app: {exe: \"package:/bin/t\", stdin: \"dev:console\", stdout: \"dev:console\"}\n"
        "namespace:\n"
        "  readonly:\n"
        "    \"file:/documents\": \"file:" +
            host_ +
            "/docs\"\n"
            "  writable:\n"
            "    \"file:/documents/drafts\": \"file:" +
            host_ +
            "/drafts\"\n"
            "    \"file:/tmp\": \"tmpfs:\"\n"
            "    \"file:/scratch\": \"tmpfs:/s\"\n"
            "    \"tcp.server:localhost:3000\": \"tcp.server:localhost:3000\"\n"
            "    \"tcp.server:localhost:8080\": \"tcp.server:localhost:18080\"\n"
            "    \"tcp.client:\": \"tcp.client:\"\n"
            "    \"pipe.server:RDP\": \"pipe.server:RDP_Drawbridge\"\n",
        "ns.yaml");
    ns_ = Namespace::for_manifest(m);
  }
  void TearDown() override { fs::remove_all(host_); }

  std::string host_;
  Namespace ns_;
};

struct Row {
  std::string uri;
  Access access;
  dk_status_t status;
  T target = T::Package;
  std::string physical_or_rel = "";  // physical URI with the host prefix as "@", or "" to skip
};

constexpr Access R = Access::Read;
constexpr Access W = Access::Write;

std::vector<Row> hostile_rows() {
  std::string long_path = "file:/documents";
  while (long_path.size() + 10 <= DK_URI_MAX) long_path += "/123456789";
  std::string max_path = long_path + std::string(DK_URI_MAX - long_path.size(), 'x');
  std::string raw_nul = std::string("file:/documents/a") + '\0' + "b";
  return {
      // plain traversal
      {"file:/documents/../etc/passwd", R, 0, T::Package, "package:/etc/passwd"},
      {"file:/documents/../../etc/passwd", R, -DK_E_ACCESS},
      {"file:/../etc/passwd", R, -DK_E_ACCESS},
      {"file:/..", R, -DK_E_ACCESS},
      {"file:/documents/sub/../../..", R, -DK_E_ACCESS},
      {"dir:/documents/../..", R, -DK_E_ACCESS},
      {"package:/../x", R, -DK_E_ACCESS},
      {"file:/documents/drafts/../x", W, -DK_E_ACCESS},
      {"file:/documents/drafts/../drafts/x", W, 0, T::HostFolder, "file:@/drafts/x"},
      {"file:/tmp/../etc/x", W, -DK_E_ACCESS},
      // encoded traversal
      {"file:/documents/%2e%2e/%2e%2e/etc/passwd", R, -DK_E_ACCESS},
      {"file:/documents/%2E%2E/x", R, 0, T::Package, "package:/x"},
      {"file:/documents/..%2f..%2fetc", R, -DK_E_ACCESS},
      {"file:/%2e%2e", R, -DK_E_ACCESS},
      {"file:/documents/%2e", R, 0, T::HostFolder, "file:@/docs"},
      {"file:/documents/%252e%252e/x", R, 0, T::HostFolder, "file:@/docs/%2e%2e/x"},
      {"file:/documents/%2fetc/passwd", R, 0, T::HostFolder, "file:@/docs/etc/passwd"},
      {"file:/documents/drafts%2f..%2f..%2fx", W, -DK_E_ACCESS},
      // NUL bytes and malformed escapes
      {"file:/documents/a%00b", R, -DK_E_INVAL},
      {raw_nul, R, -DK_E_INVAL},
      {"file:/documents/a%0", R, -DK_E_INVAL},
      {"file:/documents/a%", R, -DK_E_INVAL},
      {"file:/documents/a%g0", R, -DK_E_INVAL},
      {"pipe.server:RDP%00", W, -DK_E_INVAL},
      // length
      {long_path + "/1234567890", R, -DK_E_NAMETOOLONG},
      {max_path, R, 0, T::HostFolder},
      {"file:/documents/" + std::string(256, 'a'), R, -DK_E_NAMETOOLONG},
      {"file:/documents/" + std::string(255, 'a'), R, 0, T::HostFolder},
      {"pipe.server:" + std::string(256, 'p'), W, -DK_E_NAMETOOLONG},
      // scheme confusion
      {"file://evil/documents", R, -DK_E_INVAL},
      {"file://localhost/documents", R, -DK_E_INVAL},
      {"file:documents", R, -DK_E_INVAL},
      {"tmpfs:/x", R, -DK_E_INVAL},
      {"tcp.client:example.com:80", W, -DK_E_INVAL},
      {"http://example.com:80", R, -DK_E_INVAL},
      {"", R, -DK_E_INVAL},
      {":/x", R, -DK_E_INVAL},
      {"file", R, -DK_E_INVAL},
      {"fi le:/x", R, -DK_E_INVAL},
      {"self:x", R, -DK_E_INVAL},
      {"dev:tty", R, -DK_E_INVAL},
      {"dev:/console", W, -DK_E_INVAL},
      {"pipe.server:RDP/../X", W, -DK_E_INVAL},
      {"pipe.server:/RDP", W, -DK_E_INVAL},
      {"tcp:/example.com:80", W, -DK_E_INVAL},
      {"tcp:example.com", W, -DK_E_INVAL},
      {"tcp:example.com:65536", W, -DK_E_INVAL},
      {"tcp:exa%6dple.com:80", W, -DK_E_INVAL},
      {"tcp:example.com:80/", W, -DK_E_INVAL},
      {"package:/bin/t", W, -DK_E_ACCESS},
      {"self:", W, -DK_E_ACCESS},
      // trailing and repeated slashes
      {"file:/documents/", R, 0, T::HostFolder, "file:@/docs"},
      {"file:/documents//", R, 0, T::HostFolder, "file:@/docs"},
      {"file:////documents///a.txt", R, 0, T::HostFolder, "file:@/docs/a.txt"},
      {"file:///documents/./sub/./", R, 0, T::HostFolder, "file:@/docs/sub"},
      {"file:/documents/drafts/", W, 0, T::HostFolder, "file:@/drafts"},
      // prefixes match whole components only
      {"file:/doc", R, 0, T::Package, "package:/doc"},
      {"file:/documentsX/a", R, 0, T::Package, "package:/documentsX/a"},
      {"file:/documents.bak/a", W, -DK_E_ACCESS},
      {"file:/documents/draftsX", W, -DK_E_ACCESS},
      // case games: schemes and hosts are case-insensitive, paths and names are not
      {"FILE:/documents/a.txt", R, 0, T::HostFolder, "file:@/docs/a.txt"},
      {"File:///documents/a.txt", R, 0, T::HostFolder, "file:@/docs/a.txt"},
      {"file:/Documents/a.txt", R, 0, T::Package, "package:/Documents/a.txt"},
      {"file:/DOCUMENTS/drafts/x", W, -DK_E_ACCESS},
      {"TCP://Example.COM:80", W, 0, T::Network, "tcp:example.com:80"},
      {"Tcp.Server:LOCALHOST:3000", W, 0, T::Network, "tcp.server:localhost:3000"},
      {"pipe.server:rdp", W, -DK_E_ACCESS},
      {"PIPE.SERVER:RDP", W, 0, T::Pipe, "pipe.server:RDP_Drawbridge"},
      // write access only through writable mappings
      {"file:/documents", W, -DK_E_ACCESS},
      {"file:/documents/a.txt", W, -DK_E_ACCESS},
      {"file:/etc/passwd", W, -DK_E_ACCESS},
      {"file:/", W, -DK_E_ACCESS},
      {"file:/tmp/x", W, 0, T::Tmpfs, "tmpfs:/x"},
      {"file:/scratch/y/z", W, 0, T::Tmpfs, "tmpfs:/s/y/z"},
      // network and pipes: deny by default
      {"tcp:example.com:80", W, 0, T::Network, "tcp:example.com:80"},
      {"tcp:[::1]:80", W, 0, T::Network, "tcp:[::1]:80"},
      {"tcp.server:localhost:3000", W, 0, T::Network, "tcp.server:localhost:3000"},
      {"tcp.server://localhost:3000", W, 0, T::Network, "tcp.server:localhost:3000"},
      {"tcp.server:localhost:8080", W, 0, T::Network, "tcp.server:localhost:18080"},
      {"tcp.server:localhost:3001", W, -DK_E_ACCESS},
      {"tcp.server:0.0.0.0:3000", W, -DK_E_ACCESS},
      {"udp:example.com:53", W, -DK_E_ACCESS},
      {"udp.server:localhost:3000", W, -DK_E_ACCESS},
      {"pipe.server:RDP", W, 0, T::Pipe, "pipe.server:RDP_Drawbridge"},
      {"pipe.server:///RDP", W, 0, T::Pipe, "pipe.server:RDP_Drawbridge"},
      {"pipe.server:%52DP", W, 0, T::Pipe, "pipe.server:RDP_Drawbridge"},
      {"pipe:RDP", W, -DK_E_ACCESS},
      // devices and self
      {"dev:console", W, 0, T::Device, "dev:console"},
      {"dev:///console", R, 0, T::Device, "dev:console"},
      {"dev:null", W, 0, T::Device, "dev:null"},
      {"dev:zero", R, 0, T::Device, "dev:zero"},
      {"self:", R, 0, T::Self, "self:"},
      {"package:/bin/t", R, 0, T::Package, "package:/bin/t"},
      {"package:///bin//t", R, 0, T::Package, "package:/bin/t"},
      // odd but literal names stay inside the mapping
      {"file:/documents/a\\..\\..\\etc", R, 0, T::HostFolder, "file:@/docs/a\\..\\..\\etc"},
      {"file:/documents/a?b#c", R, 0, T::HostFolder, "file:@/docs/a?b#c"},
      {"dir:/documents", R, 0, T::HostFolder, "file:@/docs"},
  };
}

TEST_F(NamespaceTest, HostileUris) {
  auto rows = hostile_rows();
  ASSERT_GE(rows.size(), 50u);
  for (const Row& r : rows) {
    SCOPED_TRACE(r.uri.size() > 80 ? r.uri.substr(0, 80) + "..." : r.uri);
    Resolved out;
    dk_status_t st = ns_.resolve(r.uri, r.access, out);
    EXPECT_EQ(st, r.status) << out.reason;
    // Whatever the outcome, the reason never names the host side.
    EXPECT_EQ(out.reason.find(host_), std::string::npos) << out.reason;
    if (st != 0) {
      EXPECT_FALSE(out.reason.empty());
      continue;
    }
    EXPECT_EQ(out.target, r.target);
    if (!r.physical_or_rel.empty()) {
      std::string want = r.physical_or_rel;
      if (auto at = want.find('@'); at != std::string::npos) want.replace(at, 1, host_);
      EXPECT_EQ(out.physical, want);
    }
    if (out.target == T::HostFolder) {
      // The physical file is always the mapping's folder plus a normalised remainder.
      std::string rel = "/" + out.rel + "/";
      EXPECT_EQ(rel.find("/../"), std::string::npos);
      EXPECT_EQ(rel.find("/./"), std::string::npos);
      EXPECT_EQ(out.physical.rfind("file:" + host_ + "/", 0), 0u);
    }
  }
}

TEST_F(NamespaceTest, LongestPrefixAndMounts) {
  Resolved out;
  ASSERT_EQ(ns_.resolve("file:/documents/drafts/letter.txt", W, out), 0);
  EXPECT_EQ(out.mount, "file:/documents/drafts");
  EXPECT_EQ(out.base, host_ + "/drafts");
  EXPECT_EQ(out.rel, "letter.txt");
  ASSERT_EQ(ns_.resolve("file:/documents/sub/a", R, out), 0);
  EXPECT_EQ(out.mount, "file:/documents");
  EXPECT_EQ(out.rel, "sub/a");
  EXPECT_EQ(ns_.mounts_beneath("dir:/"), (std::vector<std::string>{"documents", "tmp", "scratch"}));
  EXPECT_EQ(ns_.mounts_beneath("dir:/documents"), (std::vector<std::string>{"drafts"}));
  EXPECT_TRUE(ns_.mounts_beneath("dir:/tmp").empty());
}

TEST(Namespace, DenyByDefault) {
  Namespace empty;
  Resolved out;
  EXPECT_EQ(empty.resolve("tcp:example.com:80", W, out), -DK_E_ACCESS);
  EXPECT_EQ(empty.resolve("dev:console", W, out), -DK_E_ACCESS);
  EXPECT_EQ(empty.resolve("pipe:x", W, out), -DK_E_ACCESS);
  EXPECT_EQ(empty.resolve("file:/x", W, out), -DK_E_ACCESS);
  EXPECT_EQ(empty.resolve("file:/x", R, out), 0);  // the package union, read-only
  EXPECT_EQ(out.target, T::Package);
  EXPECT_EQ(empty.resolve("dev:null", W, out), 0);
}

TEST(Namespace, SeedPolicy) {
  Manifest m = load_manifest(std::string(DK_SOURCE_DIR) + "/tests/data/monitor/seed-policy.ini");
  Namespace ns = Namespace::for_manifest(m);
  Resolved out;
  EXPECT_EQ(ns.resolve("pipe.server:///RDP", W, out), 0);
  EXPECT_EQ(out.physical, "pipe.server:RDP_Drawbridge");
  EXPECT_EQ(ns.resolve("tcp.server://localhost:3000", W, out), 0);
  EXPECT_EQ(ns.resolve("tcp.server://localhost:3001", W, out), -DK_E_ACCESS);
  EXPECT_EQ(ns.resolve("tcp://anywhere.example:443", W, out), 0);
  EXPECT_EQ(ns.resolve("file:///users/jdoe/documents/cv.txt", R, out), 0);
  EXPECT_EQ(out.target, T::HostFolder);
  EXPECT_EQ(out.physical, "file:/documents/cv.txt");
  EXPECT_EQ(ns.resolve("file:///users/jdoe/documents/cv.txt", W, out), -DK_E_ACCESS);
  EXPECT_EQ(out.reason.find("file:/documents"), std::string::npos);  // no physical name
}

TEST(Namespace, BadMappingsRefused) {
  Namespace ns;
  EXPECT_THROW(ns.add(Mapping{"file:/a", "tcp:x:1", false, 0}), std::invalid_argument);
  EXPECT_THROW(ns.add(Mapping{"self:", "self:", false, 0}), std::invalid_argument);
  EXPECT_THROW(ns.add(Mapping{"file:/a", "package:/a", true, 0}), std::invalid_argument);
  ns.add(Mapping{"file:/a", "tmpfs:", true, 0});
  EXPECT_THROW(ns.add(Mapping{"dir:/a/", "tmpfs:", true, 0}), std::invalid_argument);
}

// Symlinks in a mapped host folder: inside is fine (openat2), outside never.
TEST_F(NamespaceTest, SymlinksCannotLeaveTheMappedFolder) {
  int root = ::open((host_ + "/docs").c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  ASSERT_GE(root, 0);
  struct Case {
    const char* uri;
    dk_status_t auto_st;
    dk_status_t walk_st;
  } cases[] = {
      {"file:/documents/a.txt", 0, 0},
      {"file:/documents/in", 0, -DK_E_ACCESS},
      {"file:/documents/sub/back", 0, -DK_E_ACCESS},
      {"file:/documents/out/passwd", -DK_E_ACCESS, -DK_E_ACCESS},
      {"file:/documents/out", -DK_E_ACCESS, -DK_E_ACCESS},
      {"file:/documents/up", -DK_E_ACCESS, -DK_E_ACCESS},
      {"file:/documents/abs", -DK_E_ACCESS, -DK_E_ACCESS},
      {"file:/documents/sub/far", -DK_E_ACCESS, -DK_E_ACCESS},
      {"file:/documents/magic", -DK_E_ACCESS, -DK_E_ACCESS},
      {"file:/documents/parent/secret.txt", -DK_E_ACCESS, -DK_E_ACCESS},
      {"file:/documents/missing", -DK_E_NOENT, -DK_E_NOENT},
      {"file:/documents/a.txt/x", -DK_E_NOTDIR, -DK_E_NOTDIR},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.uri);
    Resolved r;
    ASSERT_EQ(ns_.resolve(c.uri, R, r), 0);
    ASSERT_EQ(r.target, T::HostFolder);
    for (auto method : {BeneathMethod::Auto, BeneathMethod::Walk}) {
      int fd = -1;
      dk_status_t st = open_beneath(root, r.rel, O_RDONLY, 0, fd, method);
      EXPECT_EQ(st, method == BeneathMethod::Auto ? c.auto_st : c.walk_st)
          << (method == BeneathMethod::Auto ? "auto" : "walk");
      if (st == 0) {
        char buf[16] = {};
        EXPECT_EQ(::read(fd, buf, sizeof buf), 6);
        EXPECT_STREQ(buf, "inside");
        ::close(fd);
      } else {
        EXPECT_EQ(fd, -1);
      }
    }
  }
  // Creating through a symlinked folder that points outside is refused too.
  int fd = -1;
  EXPECT_EQ(open_beneath(root, "out/dk-should-not-exist", O_WRONLY | O_CREAT, 0600, fd),
            -DK_E_ACCESS);
  EXPECT_EQ(open_beneath(root, "../secret.txt", O_RDONLY, 0, fd), -DK_E_ACCESS);
  EXPECT_EQ(open_beneath(root, "/etc/passwd", O_RDONLY, 0, fd), -DK_E_ACCESS);
  EXPECT_EQ(open_beneath(root, "", O_RDONLY | O_DIRECTORY, 0, fd), 0);
  ::close(fd);
  ::close(root);
  EXPECT_FALSE(fs::exists("/etc/dk-should-not-exist"));
}

}  // namespace
}  // namespace dk
