// `dk run --copies N` as a user runs it: N copies in one world, a progress line while they
// start, the summary (or --json), idle copies held and then ended, and one line with exit 2
// for every combination that cannot work.
#include <cstdlib>
#include <string>

#include "dk_cli.h"

namespace dk::testing {
namespace {

class CopiesCli : public DkCliTest {
 protected:
  static size_t count(const std::string& s, const std::string& what) {
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
  }
  // The number after "key": in a one-line JSON object (-1 when absent).
  static double number(const std::string& json, const std::string& key) {
    const size_t at = json.find("\"" + key + "\":");
    if (at == std::string::npos) return -1;
    return std::strtod(json.c_str() + at + key.size() + 3, nullptr);
  }
};

TEST_F(CopiesCli, EveryCopyOfHelloRunsToItsExit) {
  Out r = dk("run --copies 4 " + g("hello") + " -- world");
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(count(r.out, "hello from a picoprocess"), 4u) << r.out;
  EXPECT_EQ(count(r.out, "argv[1] = world"), 4u) << r.out;
  // Progress lines, then the summary (stderr is not a terminal here).
  EXPECT_NE(r.err.find("dk: started 4 of 4 copies\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("dk: 4 copies started, 0 held idle (ended now), 4 exited 0, 0 ended otherwise; "),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find(" KiB per picoprocess, "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(" starts per second\n"), std::string::npos) << r.err;
}

TEST_F(CopiesCli, IdleCopiesAreHeldThenEndedAndCounted) {
  // Each copy waits on an event nobody sets, with no deadline: the world is idle once all
  // have started, and dk ends them and reports.
  Out r = dk("run --copies 40 --json " + g("world_guest") + " -- child_deadlock");
  ASSERT_EQ(r.rc, 0) << r.err;
  ASSERT_EQ(lines(r.out), 1u) << r.out;
  EXPECT_EQ(number(r.out, "started"), 40) << r.out;
  EXPECT_EQ(number(r.out, "idle"), 40) << r.out;
  EXPECT_EQ(number(r.out, "exited"), 0) << r.out;
  EXPECT_EQ(number(r.out, "other"), 0) << r.out;
  // Held memory per copy: more than nothing, less than an engine each (~3 MB).
  EXPECT_GT(number(r.out, "kib_per_picoprocess"), 0) << r.out;
  EXPECT_LT(number(r.out, "kib_per_picoprocess"), 2900) << r.out;
  EXPECT_GT(number(r.out, "starts_per_second"), 0) << r.out;
  EXPECT_NE(r.err.find("dk: started 40 of 40 copies"), std::string::npos) << r.err;
}

TEST_F(CopiesCli, ExitedAndIdleCopiesBothCountAsSuccessOthersDoNot) {
  // A copy that dies of an unhandled fault makes the status 1 and is counted apart.
  Out r = dk("run --copies 3 --json " + g("world_guest") + " -- thread_fault_unhandled");
  EXPECT_EQ(r.rc, 1) << r.err;
  EXPECT_EQ(number(r.out, "started"), 3) << r.out;
  EXPECT_EQ(number(r.out, "other"), 3) << r.out;
  EXPECT_EQ(number(r.out, "idle"), 0) << r.out;
  // --json captures the copies' consoles: stdout is the object alone.
  Out j = dk("run --copies 2 --json " + g("hello"));
  ASSERT_EQ(j.rc, 0) << j.err;
  EXPECT_EQ(lines(j.out), 1u) << j.out;
  EXPECT_EQ(j.out.find("hello from a picoprocess"), std::string::npos) << j.out;
  EXPECT_EQ(number(j.out, "exited"), 2) << j.out;
}

TEST_F(CopiesCli, ManyCopiesOutliveAFullTranslationBuffer) {
  // 400 copies of hello used to translate more than one engine's 32 MiB translation buffer
  // holds (~150 KiB each), and the static dk (cmake/StaticDeps.cmake, now the default)
  // crashed here from 211 copies on. Copies of one image now share their translated code,
  // and the engine empties its buffer between runs before it fills (engine_tb_test.cc
  // exercises that): this is the check that the dk people run still holds.
  Out r = dk("run --copies 400 --json " + g("hello"));
  ASSERT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(number(r.out, "started"), 400) << r.out;
  EXPECT_EQ(number(r.out, "exited"), 400) << r.out;
}

TEST_F(CopiesCli, RefusesWhatCannotWork) {
  expect_refused("run --copies 0 " + g("hello"), "--copies");
  expect_refused("run --copies many " + g("hello"), "--copies");
  expect_refused("run --copies -3 " + g("hello"), "--copies");
  expect_refused("run --copies 1000001 " + g("hello"), "--copies");
  expect_refused("run --copies 2 --trace t.dktrace " + g("hello"), "--trace");
  expect_refused("run --copies 2 --audit a.jsonl " + g("hello"), "--audit");
  expect_refused("run --copies 2 --runtime native " + g("hello"), "--runtime native");
  expect_refused("run --copies 2 " + g("no_such_image"), "no_such_image");
  write("bad.elf", "not an ELF image");
  expect_refused("run --copies 2 bad.elf", "bad.elf");
}

}  // namespace
}  // namespace dk::testing
