// dk record, dk run --trace and dk replay as a user runs them: the replay prints what the run
// printed and exits 0; a damaged trace is one line and exit 2; a divergence is a report and
// exit 3; dk trace show prints the world's events.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ci_guard.h"

namespace dk {
namespace {

namespace fs = std::filesystem;

struct Out {
  int rc;
  std::string out, err;
};

class RecordCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dk_ = fs::path(DK_BINARY_DIR) / "cli" / "dk";
    DK_REQUIRE(fs::exists(dk_), "dk is not built");
    char tmpl[] = "/tmp/dk-record-cli-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  static std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  Out dk(const std::string& args) {
    std::string cmd = "cd '" + dir_.string() + "' && '" + dk_.string() + "' " + args +
                      " >out.txt 2>err.txt </dev/null";
    int st = std::system(cmd.c_str());
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, slurp(dir_ / "out.txt"), slurp(dir_ / "err.txt")};
  }
  std::string g(const std::string& name) { return std::string(DK_GUEST_DIR) + "/" + name; }
  void flip(const std::string& file, uint64_t offset) {
    std::fstream f(dir_ / file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(static_cast<std::streamoff>(offset));
    char c;
    f.get(c);
    f.seekp(static_cast<std::streamoff>(offset));
    f.put(static_cast<char>(c ^ 0x40));
  }
  fs::path dk_, dir_;
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
  const Out chrome = dk("trace export t.dktrace --chrome t.json");
  EXPECT_EQ(chrome.rc, 0) << chrome.err;
  const std::string json = slurp(dir_ / "t.json");
  EXPECT_NE(json.find("\"name\":\"schedule\""), std::string::npos);
  EXPECT_NE(json.find("\"name\":\"upcall\""), std::string::npos);
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
  fs::copy_file(dir_ / "h.dktrace", dir_ / "head.dktrace");
  flip("head.dktrace", 40);  // inside the header
  Out o = dk("replay head.dktrace");
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find("header at offset"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("checksum mismatch"), std::string::npos) << o.err;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
  // A byte of the compressed records: the chunk is refused, the replay stops at its start.
  fs::copy_file(dir_ / "h.dktrace", dir_ / "body.dktrace");
  flip("body.dktrace", fs::file_size(dir_ / "body.dktrace") - 20);
  o = dk("replay body.dktrace");
  EXPECT_EQ(o.rc, 3) << o.err;
  EXPECT_NE(o.err.find("checksum mismatch"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("at offset"), std::string::npos) << o.err;
  o = dk("replay nothing.dktrace");
  EXPECT_EQ(o.rc, 2);
  std::ofstream(dir_ / "foreign.dktrace") << "not a trace at all";
  o = dk("replay foreign.dktrace");
  EXPECT_EQ(o.rc, 2);
  EXPECT_NE(o.err.find("not a Dk trace"), std::string::npos) << o.err;
}

TEST_F(RecordCliTest, ChecksumOption) {
  Out o = dk("record --checksum every-2-calls -o c.dktrace " + g("hello"));
  EXPECT_EQ(o.rc, 0) << o.err;
  const Out show = dk("trace show c.dktrace");
  EXPECT_NE(show.out.find("-- memory checksum 0x"), std::string::npos);
  EXPECT_NE(show.out.find("after 2 downcalls"), std::string::npos);
  EXPECT_EQ(dk("replay c.dktrace").rc, 0);
  o = dk("record --checksum every-0-calls -o c.dktrace " + g("hello"));
  EXPECT_NE(o.rc, 0);
  EXPECT_NE(o.err.find("every-N-calls"), std::string::npos) << o.err;
  o = dk("record --checksum sometimes -o c.dktrace " + g("hello"));
  EXPECT_NE(o.rc, 0);
}

}  // namespace
}  // namespace dk
