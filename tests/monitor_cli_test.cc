// dk manifest and dk pkg, run as a user would: exit codes, one-line errors, --json output.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dk_cli.h"
#include "dk/monitor/manifest.h"

namespace dk {
namespace {

namespace fs = std::filesystem;

using testing::Out;

class CliTest : public testing::DkCliTest {
 protected:
  void SetUp() override {
    DkCliTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    write("store/libc-1/manifest.yaml", "package: {name: libc, version: 1.0.0}\n");
    write("store/libc-1/lib/libc.so", "c1");
    write("store/libc-2/manifest.yaml", "package: {name: libc, version: 2.0.0}\n");
    write("store/libx/manifest.yaml",
          "package: {name: libx, version: 1.0.0}\ndependencies: [{name: libc, version: \"<2\"}]\n");
    write("store/libx/lib/libc.so", "x");
    write("store/app/manifest.yaml",
          "package: {name: app, version: 1.0.0}\ndependencies: [{name: libx}, {name: libc, "
          "version: \">=1\"}]\n"
          "app: {exe: \"package:/bin/app\"}\n");
    // dk pkg check holds an app to what dk run needs: its image must be a loadable ELF.
    const fs::path image = fs::path(DK_GUEST_DIR) / "hello";
    DK_REQUIRE(fs::exists(image), "the guest image hello is not built");
    app_image_ = slurp(image);
    write("store/app/bin/app", app_image_);
  }
  std::string app_image_;
  const std::string data_ = std::string(DK_SOURCE_DIR) + "/tests/data/monitor/";
};

TEST_F(CliTest, ManifestCheckBothForms) {
  Out o = dk("manifest check " + data_ + "seed-manifest.ini");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("ok: package IISWorker 7.5.7601"), std::string::npos) << o.out;
  EXPECT_NE(o.err.find("seed-manifest.ini:30: warning"), std::string::npos) << o.err;
  o = dk("manifest check " + data_ + "seed-policy.ini");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("policy"), std::string::npos);
  o = dk("manifest check --json " + data_ + "hello.yaml");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out.rfind("{\"file\":", 0), 0u) << o.out;
  EXPECT_EQ(lines(o.out), 1u);
}

TEST_F(CliTest, ManifestCheckBadIsOneLine) {
  write("bad.yaml", "package: {name: a, version: 1}\nlimits: {memory: 12 parsecs}\n");
  Out o = dk("manifest check bad.yaml");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  EXPECT_NE(o.err.find("bad.yaml:2: limits.memory: bad size"), std::string::npos) << o.err;
  o = dk("manifest check missing.yaml");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  o = dk("manifest check");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(lines(o.err), 1u) << o.err;
}

TEST_F(CliTest, ManifestConvert) {
  Out o = dk("manifest convert " + data_ + "seed-manifest.ini -o iis.yaml");
  EXPECT_EQ(o.rc, 0) << o.err;
  Manifest m = load_manifest(dir_ / "iis.yaml");
  EXPECT_EQ(m.package->name, "IISWorker");
  EXPECT_EQ(m.dependencies.size(), 2u);
  o = dk("manifest convert " + data_ + "seed-policy.ini");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("\"file:/users/jdoe/documents\": \"file:/documents\""), std::string::npos)
      << o.out;
}

TEST_F(CliTest, SiblingPackagesResolveWithoutASearchPath) {
  Out o = dk("pkg check store/app --pkg-path nowhere");
  EXPECT_EQ(o.rc, 0) << o.err;
}

TEST_F(CliTest, PkgCheckTreePackUnpack) {
  Out o = dk("pkg check store/app --pkg-path store");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("3 packages in the closure, 2 files, 1 conflicts"), std::string::npos)
      << o.out;
  o = dk("pkg tree store/app --pkg-path store");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("|-- libx 1.0.0\n|   `-- libc 1.0.0\n`-- libc 1.0.0 (see above)"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("/lib/libc.so: libx 1.0.0 over libc 1.0.0"), std::string::npos) << o.out;
  o = dk("pkg tree --json store/app --pkg-path store");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("\"conflicts\":[{\"path\":\"/lib/libc.so\""), std::string::npos) << o.out;
  o = dk("pkg pack store/app -o app.dkpkg");
  EXPECT_EQ(o.rc, 0) << o.err;
  o = dk("pkg check app.dkpkg --pkg-path store");
  EXPECT_EQ(o.rc, 0) << o.err;
  o = dk("pkg unpack app.dkpkg -o unpacked");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(slurp(dir_ / "unpacked/bin/app"), app_image_);
  // Corrupt the archive: one clear line, exit 2 (bad input).
  {
    std::fstream f(dir_ / "app.dkpkg", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-1, std::ios::end);
    f.put('!');
  }
  o = dk("pkg check app.dkpkg --pkg-path store");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  EXPECT_NE(o.err.find("content checksum mismatch"), std::string::npos) << o.err;
}

TEST_F(CliTest, PkgErrors) {
  // The package's own folder is searched first, so a package alone in its folder with an
  // empty search path misses its dependency.
  write("alone/app/manifest.yaml", slurp(dir_ / "store/app/manifest.yaml"));
  Out o = dk("pkg check alone/app --pkg-path nowhere");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  EXPECT_NE(o.err.find("missing dependency: app 1.0.0 needs libx"), std::string::npos) << o.err;
  o = dk("pkg check no-such-dir");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  o = dk("pkg tree");
  EXPECT_EQ(o.rc, 2);
  for (const char* help : {"pkg --help", "pkg check --help", "pkg tree --help", "pkg pack --help",
                           "manifest --help", "manifest check --help", "manifest convert --help"}) {
    o = dk(help);
    EXPECT_EQ(o.rc, 0) << help;
    EXPECT_NE(o.out.find("Usage"), std::string::npos) << help;
  }
}

}  // namespace
}  // namespace dk
