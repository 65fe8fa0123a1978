// dk record, dk run --trace and dk replay as a user runs them: the replay prints what the run
// printed and exits 0; a damaged trace is one line naming the byte and exit 2; a divergence
// is a report and exit 3; --image replays another build; dk trace show prints the world's
// events.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dk_cli.h"

namespace dk {
namespace {

namespace fs = std::filesystem;

using testing::Out;

class RecordCliTest : public testing::DkCliTest {
 protected:
  void flip(const std::string& file, uint64_t offset) {
    std::fstream f(dir_ / file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(c ^ 0x40));
  }
  // Where the header ends and each chunk starts, from the framing (docs/formats.md).
  std::vector<uint64_t> chunk_starts(const std::string& file) {
    const std::string b = slurp(dir_ / file);
    uint32_t len;
    memcpy(&len, b.data() + 12, 4);
    std::vector<uint64_t> v;
    for (uint64_t pos = 16 + uint64_t{len} + 8; pos + 32 <= b.size();) {
      uint32_t clen;
      memcpy(&clen, b.data() + pos + 16, 4);
      v.push_back(pos);
      pos += 32 + clen;
    }
    return v;
  }
};

TEST_F(RecordCliTest, RecordThenReplayPrintsTheSame) {
  const Out run = dk("run --seed 7 " + g("hello") + " -- world");
  ASSERT_EQ(run.rc, 0) << run.err;
  const Out rec = dk("record --seed 7 -o h.dktrace " + g("hello") + " -- world");
  EXPECT_EQ(rec.rc, 0) << rec.err;
  EXPECT_EQ(rec.out, run.out);
  const Out rp = dk("replay h.dktrace");
  EXPECT_EQ(rp.rc, 0) << rp.err;
  EXPECT_EQ(rp.out, run.out);
  EXPECT_NE(rp.err.find("replay matched h.dktrace"), std::string::npos) << rp.err;
  // dk run --trace is the same thing; the header says how the run was made.
  const Out rt = dk("run --seed 7 --trace t.dktrace " + g("counter") + " -- 3 100");
  EXPECT_EQ(rt.rc, 0) << rt.err;
  const Out again = dk("replay -q t.dktrace");
  EXPECT_EQ(again.rc, 0) << again.err;
  EXPECT_EQ(again.out, rt.out);
  EXPECT_EQ(again.err, "");
  const Out show = dk("trace show t.dktrace");
  EXPECT_EQ(show.rc, 0) << show.err;
  EXPECT_NE(show.out.find("host sim, seed 7"), std::string::npos) << show.out.substr(0, 300);
  EXPECT_NE(show.out.find("command: dk run --trace t.dktrace --seed 7 "), std::string::npos)
      << show.out.substr(0, 300);
  EXPECT_NE(show.out.find("-- upcall LibOsInitialize"), std::string::npos);
  EXPECT_NE(show.out.find("-- upcall LibOsThreadStart"), std::string::npos);
  EXPECT_NE(show.out.find("-- schedule: thread 2"), std::string::npos);
  EXPECT_NE(show.out.find("-- end: reason 0, exit code 0"), std::string::npos);
  // The Chrome export is parsed as JSON in trace_cli_test.cc.
}

TEST_F(RecordCliTest, ExceptionsAndTrapsReplayWithTheirStatus) {
  const Out rec = dk("record -o e.dktrace " + g("escape"));
  EXPECT_EQ(rec.rc, 133) << rec.err;
  const Out rp = dk("replay e.dktrace");
  EXPECT_EQ(rp.rc, 0) << rp.err;  // the replay matched; the guest's own status is in the summary
  EXPECT_NE(rp.err.find("exception with code -133"), std::string::npos) << rp.err;
  const Out show = dk("trace show e.dktrace");
  EXPECT_NE(show.out.find("-- foreign trap"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("-- exception FOREIGN_TRAP"), std::string::npos) << show.out;
}

TEST_F(RecordCliTest, DamageIsOneLineAndExitTwo) {
  ASSERT_EQ(dk("record -o h.dktrace " + g("hello")).rc, 0);
  const std::vector<uint64_t> chunks = chunk_starts("h.dktrace");
  ASSERT_FALSE(chunks.empty());
  const uint64_t header_sum = chunks[0] - 8;  // the header's checksum sits before the first chunk
  fs::copy_file(dir_ / "h.dktrace", dir_ / "head.dktrace");
  flip("head.dktrace", 40);  // inside the header
  Out o = dk("replay head.dktrace");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(o.err.rfind("dk: replay: head.dktrace: damaged at byte " + std::to_string(header_sum) +
                            ": header: checksum mismatch",
                        0),
            0u)
      << o.err;
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  EXPECT_EQ(o.out, "");
  // A byte of the compressed records, in the last chunk: damage too, not a divergence,
  // although the replay has run up to that chunk.
  fs::copy_file(dir_ / "h.dktrace", dir_ / "body.dktrace");
  flip("body.dktrace", fs::file_size(dir_ / "body.dktrace") - 20);
  o = dk("replay body.dktrace");
  EXPECT_EQ(o.rc, 2) << o.err;
  EXPECT_EQ(o.err, "dk: replay: body.dktrace: damaged at byte " + std::to_string(chunks.back()) +
                       ": chunk " + std::to_string(chunks.size() - 1) + ": checksum mismatch\n");
  // A chunk header's bytes, and the version field (a damaged one, not a newer dk's).
  fs::copy_file(dir_ / "h.dktrace", dir_ / "chunk.dktrace");
  flip("chunk.dktrace", chunks[0] + 9);
  o = dk("replay chunk.dktrace");
  EXPECT_EQ(o.rc, 2) << o.err;
  EXPECT_EQ(o.err, "dk: replay: chunk.dktrace: damaged at byte " + std::to_string(chunks[0]) +
                       ": chunk 0: chunk header checksum mismatch\n");
  fs::copy_file(dir_ / "h.dktrace", dir_ / "version.dktrace");
  flip("version.dktrace", 8);
  o = dk("replay version.dktrace");
  EXPECT_EQ(o.rc, 2) << o.err;
  EXPECT_EQ(
      o.err.rfind("dk: replay: version.dktrace: damaged at byte 8: header: format version", 0), 0u)
      << o.err;
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  // trace show says it the same way.
  o = dk("trace show body.dktrace");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(o.err, "dk: trace show: body.dktrace: damaged at byte " +
                       std::to_string(chunks.back()) + ": chunk " +
                       std::to_string(chunks.size() - 1) + ": checksum mismatch\n");
  o = dk("replay nothing.dktrace");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  std::ofstream(dir_ / "foreign.dktrace") << "not a trace at all";
  o = dk("replay foreign.dktrace");
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find("not a Dk trace"), std::string::npos) << o.err;
  EXPECT_EQ(o.err.find("damaged"), std::string::npos) << o.err;
}

// A trace cut short (a recording killed mid-run) is no damage: the records before the cut
// replay, and the report says where the trace stops; exit 3, as for a run that goes on past
// a trace's end.
TEST_F(RecordCliTest, CutShortTraceReplaysItsPrefix) {
  ASSERT_EQ(dk("record -o h.dktrace " + g("hello")).rc, 0);
  const std::vector<uint64_t> chunks = chunk_starts("h.dktrace");
  fs::resize_file(dir_ / "h.dktrace", fs::file_size(dir_ / "h.dktrace") - 20);
  const Out o = dk("replay h.dktrace");
  EXPECT_EQ(o.rc, 3) << o.err;
  EXPECT_NE(o.err.find("dk: replay: the trace was cut short after record "), std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("note: trace: truncated chunk at offset " + std::to_string(chunks.back())),
            std::string::npos)
      << o.err;
  EXPECT_EQ(o.err.find("damaged"), std::string::npos) << o.err;
}

// --image: an old recording against a rebuilt program. The same behaviour matches (with a
// note that another image ran); another program diverges; ELF files and packages both.
TEST_F(RecordCliTest, ReplayAgainstAnotherImage) {
  const Out rec = dk("record -o h.dktrace " + g("hello") + " -- world");
  ASSERT_EQ(rec.rc, 0) << rec.err;
  // A rebuild that behaves the same: the same code with other bytes after it.
  fs::copy_file(g("hello"), dir_ / "rebuilt");
  std::ofstream(dir_ / "rebuilt", std::ios::app | std::ios::binary) << "another build";
  Out o = dk("replay --image rebuilt h.dktrace");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, rec.out);
  EXPECT_EQ(o.err.rfind("dk: note: replayed rebuilt (xxh3 0x", 0), 0u) << o.err;
  EXPECT_NE(o.err.find("not the recorded image " + g("hello")), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("dk: replay matched h.dktrace"), std::string::npos) << o.err;
  // The recorded image itself: no note.
  o = dk("replay --image " + g("hello") + " h.dktrace");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.err.find("note"), std::string::npos) << o.err;
  // Another program: the first divergence, exit 3.
  o = dk("replay --image " + g("counter") + " h.dktrace");
  EXPECT_EQ(o.rc, 3) << o.err;
  EXPECT_NE(o.err.find("dk: note: replayed " + g("counter")), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("dk: replay diverged at record "), std::string::npos) << o.err;
  // Bad input: one line, exit 2.
  o = dk("replay --image missing h.dktrace");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(o.err, "dk: replay: --image missing: no such file or folder\n");
  o = dk("replay --image h.dktrace h.dktrace");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(o.err.rfind("dk: replay: --image h.dktrace does not load: ", 0), 0u) << o.err;
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  o = dk("replay --pkg-path . h.dktrace");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(lines(o.err), 1u) << o.err;
}

TEST_F(RecordCliTest, ReplayAgainstAPackage) {
  const fs::path pkgs = fs::path(DK_BINARY_DIR) / "packages";
  DK_REQUIRE(fs::exists(pkgs / "hello") && fs::exists(pkgs / "fault"),
             "the example packages are not staged");
  const Out rec = dk("record -o p.dktrace " + (pkgs / "hello").string());
  ASSERT_EQ(rec.rc, 0) << rec.err;
  // The folder: its app image through the monitor, dependencies beside it.
  Out o = dk("replay --image " + (pkgs / "hello").string() + " p.dktrace");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, rec.out);
  // An archive elsewhere finds its dependencies through --pkg-path (one folder per flag: the
  // trace after it stays the trace).
  ASSERT_EQ(dk("pkg pack " + (pkgs / "hello").string() + " -o hello.dkpkg").rc, 0);
  o = dk("replay --image hello.dkpkg --pkg-path " + pkgs.string() + " p.dktrace");
  EXPECT_EQ(o.rc, 0) << o.err;
  EXPECT_EQ(o.out, rec.out);
  o = dk("replay --image hello.dkpkg p.dktrace");
  EXPECT_EQ(o.rc, 2) << o.err;
  EXPECT_EQ(o.err.rfind("dk: replay: --image hello.dkpkg: ", 0), 0u) << o.err;
  EXPECT_EQ(lines(o.err), 1u) << o.err;
  // Another package's program diverges.
  o = dk("replay --image " + (pkgs / "fault").string() + " p.dktrace");
  EXPECT_EQ(o.rc, 3) << o.err;
  EXPECT_NE(o.err.find("dk: note: replayed " + (pkgs / "fault").string()), std::string::npos)
      << o.err;
  EXPECT_NE(o.err.find("replay diverged at record "), std::string::npos) << o.err;
}

TEST_F(RecordCliTest, ChecksumOption) {
  Out o = dk("record --checksum every-2-calls -o c.dktrace " + g("hello"));
  EXPECT_EQ(o.rc, 0) << o.err;
  const Out show = dk("trace show c.dktrace");
  EXPECT_NE(show.out.find("-- memory checksum 0x"), std::string::npos);
  EXPECT_NE(show.out.find("after 2 downcalls"), std::string::npos);
  EXPECT_EQ(dk("replay c.dktrace").rc, 0);
  o = dk("record --checksum every-0-calls -o c.dktrace " + g("hello"));
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find("every-N-calls"), std::string::npos) << o.err;
  o = dk("record --checksum sometimes -o c.dktrace " + g("hello"));
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(lines(o.err), 1u) << o.err;
}

}  // namespace
}  // namespace dk
