// dk trace show and dk trace diff as a user types them: --json lines parse and carry values,
// -e/--pid/--thread filter like strace, -s cuts buffers in the text, diff names header fields
// and lists up to -n differences; bad input is one line and exit 2.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "dk_cli.h"
#include "json_check.h"

namespace dk {
namespace {

namespace fs = std::filesystem;

using testing::Out;

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> v;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);) v.push_back(l);
  return v;
}

size_t count_lines(const std::string& s) {
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

class TraceCliTest : public testing::DkCliTest {
 protected:
  // The records of `show` (the header line left out).
  std::vector<std::string> records(const Out& o) {
    auto v = split_lines(o.out);
    if (!v.empty()) v.erase(v.begin());
    return v;
  }
};

std::string unhex(const std::string& h) {
  std::string s;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    s += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  return s;
}

TEST_F(TraceCliTest, JsonLinesCarryEveryValue) {
  const Out rec = dk("record --seed 3 -o h.dktrace " + g("hello") + " -- world");
  ASSERT_EQ(rec.rc, 0) << rec.err;
  const Out o = dk("trace show --json -s 2 h.dktrace");
  ASSERT_EQ(o.rc, 0) << o.err;
  const auto lines = split_lines(o.out);
  ASSERT_GT(lines.size(), 5u);
  const test::Json h = test::parse_json(lines[0]);
  EXPECT_EQ(h["kind"].text, "header");
  EXPECT_EQ(h["seed"].u64(), 3u);
  EXPECT_EQ(h["host"].text, "sim");
  EXPECT_EQ(h["launch"]["args"].items.size(), 2u);
  EXPECT_EQ(h["launch"]["args"].items[1].text, "world");
  EXPECT_EQ(h["launch"]["stdout"].text, "dev:console");
  EXPECT_GT(h["launch"]["image_size"].u64(), 0u);
  EXPECT_GT(h["launch"]["quantum"].u64(), 0u);
  EXPECT_GT(h["cpuid"].text.size(), 0u);
  // The console writes, whole (-s does not cut --json), make up what the run printed.
  std::string written;
  bool saw_end = false;
  for (size_t i = 1; i < lines.size(); ++i) {
    const test::Json r = test::parse_json(lines[i]);
    EXPECT_EQ(r["tick"].type, test::Json::Number) << lines[i];
    EXPECT_TRUE(r["pid"].is_uint()) << lines[i];
    if (r["kind"].text == "downcall" && r["call"].text == "DkStreamWrite") {
      EXPECT_EQ(r["in_len"].u64(), unhex(r["in_bytes"].text).size());
      written += unhex(r["in_bytes"].text);
    }
    if (r["kind"].text == "end") {
      saw_end = true;
      EXPECT_EQ(r["exit_code"].text, "0");
      EXPECT_EQ(r["reason"].u64(), 0u);
      EXPECT_EQ(r["message"].text, "exited with code 0");
    }
  }
  EXPECT_TRUE(saw_end);
  EXPECT_EQ(written, rec.out);
}

TEST_F(TraceCliTest, FiltersLikeStrace) {
  ASSERT_EQ(dk("record -o c.dktrace " + g("counter") + " -- 3 100").rc, 0);
  const Out all = dk("trace show c.dktrace");
  ASSERT_EQ(all.rc, 0) << all.err;
  // -e: only the named calls and the end records.
  Out o = dk("trace show -e DkStreamWrite,DkThreadCreate c.dktrace");
  ASSERT_EQ(o.rc, 0) << o.err;
  size_t writes = 0, ends = 0;
  for (const auto& l : records(o)) {
    const bool write = l.find("] DkStreamWrite(") != std::string::npos;
    const bool create = l.find("] DkThreadCreate(") != std::string::npos;
    const bool end = l.find("] -- end:") != std::string::npos;
    EXPECT_TRUE(write || create || end) << l;
    writes += write;
    ends += end;
  }
  EXPECT_GT(writes, 0u);
  EXPECT_EQ(ends, 1u);
  size_t all_writes = 0;
  for (const auto& l : records(all)) all_writes += l.find("] DkStreamWrite(") != std::string::npos;
  EXPECT_EQ(writes, all_writes);
  // Repeated -e adds up.
  EXPECT_EQ(dk("trace show -e DkStreamWrite -e DkThreadCreate c.dktrace").out, o.out);
  // An unknown name is bad input.
  o = dk("trace show -e DkStreamWrite,DkNope c.dktrace");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(
      o.err,
      "dk: trace show: -e: unknown call 'DkNope' (names as the ABI spells them: DkStreamRead)\n");
  EXPECT_EQ(o.out, "");
  // --thread: every record of that thread and none other; the threads add up to the whole.
  std::set<std::string> threads;
  for (const auto& l : records(all))
    threads.insert(l.substr(l.find(' ') + 1, l.find(']') - l.find(' ') - 1));
  ASSERT_GT(threads.size(), 2u);  // the counter runs threads 1..3 (and 0 for host events)
  size_t shown = 0;
  for (const std::string& t : threads) {
    o = dk("trace show --thread " + t + " c.dktrace");
    ASSERT_EQ(o.rc, 0) << o.err;
    for (const auto& l : records(o)) {
      const std::string site = l.substr(l.find(' ') + 1, l.find(']') - l.find(' ') - 1);
      EXPECT_TRUE(site == t || l.find("-- end:") != std::string::npos) << t << ": " << l;
      shown += site == t;
    }
  }
  EXPECT_EQ(shown, records(all).size());
  // --pid, checked on the JSON values.
  o = dk("trace show --json --pid 1 --thread 2 c.dktrace");
  ASSERT_EQ(o.rc, 0) << o.err;
  const auto lines = split_lines(o.out);
  ASSERT_GT(lines.size(), 1u);
  for (size_t i = 1; i < lines.size(); ++i) {
    const test::Json r = test::parse_json(lines[i]);
    EXPECT_EQ(r["pid"].u64(), 1u);
    if (r["kind"].text != "end") {
      EXPECT_EQ(r["thread"].u64(), 2u) << lines[i];
    }
  }
  o = dk("trace show --pid 7 c.dktrace");
  EXPECT_EQ(o.rc, 0);
  EXPECT_TRUE(records(o).empty()) << o.out;
}

TEST_F(TraceCliTest, StringLimitCutsBuffers) {
  ASSERT_EQ(dk("record -o h.dktrace " + g("hello") + " -- world").rc, 0);
  Out o = dk("trace show -s 5 h.dktrace");
  ASSERT_EQ(o.rc, 0) << o.err;
  EXPECT_NE(o.out.find("buf=\"hello\"..., count=25)"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("buf=\"hello from"), std::string::npos) << o.out;
  o = dk("trace show h.dktrace");  // 32 by default: a 41-byte line is cut, a 25-byte one not
  EXPECT_NE(o.out.find("buf=\"hello from a picoprocess\\n\", count=25)"), std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("buf=\"random: b4f275cb365fec992a455649\"..., count=41)"), std::string::npos)
      << o.out;
  o = dk("trace show -s 100 h.dktrace");
  EXPECT_EQ(o.out.find("\"..."), std::string::npos) << o.out;
  o = dk("trace show -s 0 h.dktrace");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(count_lines(o.err), 1u) << o.err;
}

TEST_F(TraceCliTest, DiffNamesHeaderFieldsAndListsUpToN) {
  ASSERT_EQ(dk("record -o a.dktrace " + g("hello") + " -- world").rc, 0);
  ASSERT_EQ(dk("record -o b.dktrace " + g("hello") + " -- world").rc, 0);
  ASSERT_EQ(dk("record -o m.dktrace " + g("hello") + " -- moon").rc, 0);
  Out o = dk("trace diff a.dktrace b.dktrace");
  EXPECT_EQ(o.rc, 0) << o.out << o.err;
  EXPECT_EQ(o.out.rfind("note: the command lines differ: ", 0), 0u) << o.out;
  EXPECT_NE(o.out.find("traces are equal\n"), std::string::npos) << o.out;
  // Another argument: the header's launch args, and, on request, the records it changed.
  o = dk("trace diff a.dktrace m.dktrace");
  EXPECT_EQ(o.rc, 1);
  EXPECT_NE(o.out.find(
                "header differs: launch args\n- [\"hello\", \"world\"]\n+ [\"hello\", \"moon\"]\n"),
            std::string::npos)
      << o.out;
  EXPECT_NE(o.out.find("(records not compared: --continue compares them too)"), std::string::npos)
      << o.out;
  EXPECT_EQ(o.out.find("record "), std::string::npos) << o.out;
  o = dk("trace diff --continue -n 0 a.dktrace m.dktrace");
  EXPECT_EQ(o.rc, 1);
  EXPECT_NE(o.out.find("header differs: launch args"), std::string::npos) << o.out;
  // The write of argv[1] differs in its count (15 bytes, not 16), both sides shown.
  const size_t at = o.out.find(" differs: count\n- [");
  ASSERT_NE(at, std::string::npos) << o.out;
  const auto diff_lines = split_lines(o.out.substr(at));
  ASSERT_GE(diff_lines.size(), 3u);
  EXPECT_NE(diff_lines[1].find(
                "DkStreamWrite(stream=0x11, offset=0, buf=\"argv[1] = world\\n\", count=16)"),
            std::string::npos)
      << o.out;
  EXPECT_NE(diff_lines[2].find("buf=\"argv[1] = moon\\n\", count=15)"), std::string::npos) << o.out;
  const auto count = [](const std::string& s, const std::string& what) {
    size_t n = 0;
    for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
  };
  const size_t all = count(o.out, " differs: ");
  ASSERT_GT(all, 2u) << o.out;
  o = dk("trace diff --continue --max 2 a.dktrace m.dktrace");
  EXPECT_EQ(o.rc, 1);
  EXPECT_EQ(count(o.out, " differs: "), 2u) << o.out;
  EXPECT_NE(o.out.find("(stopped after 2 differences"), std::string::npos) << o.out;
  // Bad input.
  o = dk("trace diff a.dktrace nothing.dktrace");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(count_lines(o.err), 1u) << o.err;
  // Damage names the file it is in, and the byte.
  {
    std::string bytes = slurp(dir_ / "b.dktrace");
    bytes[bytes.size() - 5] ^= 0x20;
    std::ofstream(dir_ / "bad.dktrace", std::ios::binary) << bytes;
  }
  o = dk("trace diff a.dktrace bad.dktrace");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(o.err.rfind("dk: trace diff: bad.dktrace: damaged at byte ", 0), 0u) << o.err;
  EXPECT_NE(o.err.find(": checksum mismatch\n"), std::string::npos) << o.err;
  EXPECT_EQ(count_lines(o.err), 1u) << o.err;
  o = dk("trace diff -n -1 a.dktrace b.dktrace");
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(count_lines(o.err), 1u) << o.err;
}

TEST_F(TraceCliTest, ChromeExportParses) {
  ASSERT_EQ(dk("record -o c.dktrace " + g("counter") + " -- 3 100").rc, 0);
  const Out o = dk("trace export c.dktrace --chrome c.json");
  ASSERT_EQ(o.rc, 0) << o.err;
  const test::Json doc = test::parse_json(slurp(dir_ / "c.json"));
  const test::Json& events = doc["traceEvents"];
  ASSERT_EQ(events.type, test::Json::Array);
  std::set<std::string> names;
  size_t slices = 0;
  for (const auto& e : events.items) {
    const std::string ph = e["ph"].text;
    EXPECT_TRUE(ph == "M" || ph == "X" || ph == "i") << ph;
    EXPECT_TRUE(e["pid"].is_uint());
    if (ph == "M") continue;
    EXPECT_TRUE(e["tid"].is_uint());
    EXPECT_TRUE(e["ts"].is_uint());
    names.insert(e["name"].text);
    slices += ph == "X";
  }
  EXPECT_GT(slices, 3u);
  EXPECT_TRUE(names.count("schedule"));
  EXPECT_TRUE(names.count("upcall"));
  EXPECT_TRUE(names.count("DkStreamWrite"));
  EXPECT_EQ(dk("trace export c.dktrace").rc, 2);
}

}  // namespace
}  // namespace dk
