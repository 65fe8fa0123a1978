// `dk profile` as a user runs it: the program's own output untouched on stdout, the report on
// stderr (or one JSON object with --json), the program's exit status, packages as well as
// bare images, and one line with exit 2 for anything that cannot give exact counters.
#include <string>

#include "dk_cli.h"
#include "json_check.h"

namespace dk::testing {
namespace {

using dk::test::Json;
using dk::test::parse_json;

class ProfileCli : public DkCliTest {};

TEST_F(ProfileCli, ReportsOnStderrAndLeavesTheProgramsOutputAlone) {
  const Out r = dk("profile " + g("hello") + " -- world");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out.rfind("hello from a picoprocess\n", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("argv[1] = world"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("instructions"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("dk profile: " + g("hello") + ", seed 0, simulated host: exited, status 0\n"),
            std::string::npos)
      << r.err;
  for (const char* row : {"  ticks ", "  instructions ", "  downcalls ", "  pages peak ",
                          "DkStreamWrite", "  device ", "hello:main"})
    EXPECT_NE(r.err.find(row), std::string::npos) << row << " in:\n" << r.err;
  // The same run again says the same, to the instruction.
  const Out again = dk("profile " + g("hello") + " -- world");
  EXPECT_EQ(again.err, r.err);
}

TEST_F(ProfileCli, JsonIsOneObjectWithTheRunAndItsProfile) {
  const Out r = dk("profile --json --top 3 --seed 9 " + g("counter"));
  ASSERT_EQ(r.rc, 0) << r.err;
  ASSERT_EQ(lines(r.out), 1u) << r.out;
  const Json j = parse_json(r.out);
  EXPECT_EQ(j["end"].text, "exited");
  EXPECT_EQ(j["seed"].u64(), 9u);
  const Json& p = j["profile"];
  EXPECT_EQ(p["functions"].items.size(), 3u);
  EXPECT_GT(p["instructions"].u64(), p["ticks"].u64());
  EXPECT_EQ(p["ticks"].u64(), j["ticks"].u64());
  EXPECT_EQ(p["downcalls"].u64() + p["waits"].u64(), j["downcalls"].u64());
  EXPECT_EQ(p["threads"].u64(), 1 + p["calls"]["DkThreadCreate"]["calls"].u64());
  EXPECT_TRUE(p["streams"].has("device"));
  EXPECT_EQ(p["functions"].items[0]["image"].text, "counter");
  // --top 0 lists every function.
  const Out all = dk("profile --json --top 0 --seed 9 " + g("counter"));
  EXPECT_GT(parse_json(all.out)["profile"]["functions"].items.size(), 3u);
}

TEST_F(ProfileCli, ExitsWithTheProgramsStatusAndProfilesPackages) {
  // The compute loop exits with the low byte of its hash.
  const Out loop = dk("profile --json " + g("bench_emulation_compute"));
  EXPECT_EQ(loop.rc, 221) << loop.err;
  EXPECT_EQ(parse_json(loop.out)["profile"]["instructions"].u64(), 5010u);
  const Out pkg = dk("profile " + std::string(DK_BINARY_DIR) + "/packages/hello");
  ASSERT_EQ(pkg.rc, 0) << pkg.err;
  EXPECT_NE(pkg.err.find(":main\n"), std::string::npos) << pkg.err;
}

TEST_F(ProfileCli, RefusesWhatCannotGiveExactCounters) {
  expect_refused("profile --host native " + g("hello"), "--host native");
  expect_refused("profile --runtime native " + g("hello"), "--runtime native");
  expect_refused("profile --top -1 " + g("hello"), "--top");
  expect_refused("profile --top many " + g("hello"), "--top");
  expect_refused("profile", "TARGET");
  expect_refused("profile " + g("no_such_image"), "no_such_image");
  write("bad.elf", "not an ELF image");
  expect_refused("profile bad.elf", "bad.elf");
  const Out help = dk("profile --help");
  EXPECT_EQ(help.rc, 0);
  EXPECT_NE(help.out.find("--top"), std::string::npos) << help.out;
}

}  // namespace
}  // namespace dk::testing
