// The trace tools' library side: diff names the first difference (header or record, with
// the field), and the Chrome export is well-formed JSON with a slice per downcall.
#include <gtest/gtest.h>

#include <unistd.h>

#include <sstream>

#include "dk/chrome_export.h"
#include "dk/trace_diff.h"
#include "dk/trace_file.h"

namespace dk {
namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/dk_tools_" + name + "_" + std::to_string(getpid()) + ".dktrace";
}

TraceRecord write_call(uint64_t tick, uint32_t thread, const std::string& text) {
  TraceRecord r;
  r.kind = RecordKind::Downcall;
  r.tick = tick;
  r.pid = 1;
  r.thread = thread;
  r.call.index = 23;
  r.call.reg[0] = r.call.in_val[0] = 0x11;
  r.call.fields = kHasInBytes;
  r.call.in_bytes.assign(text.begin(), text.end());
  r.call.in_len = text.size();
  r.call.in_hash = trace_hash(text.data(), text.size());
  r.call.in_val[3] = text.size();
  r.call.written = 1 << 3;
  r.call.out_val[3] = text.size();
  return r;
}

std::string make(const std::string& name, uint64_t seed, std::vector<TraceRecord> recs, bool end = true) {
  const std::string p = temp_path(name);
  TraceHeader h;
  h.seed = seed;
  h.host_kind = "sim";
  h.command_line = {"dk", name};
  TraceWriterOptions o;
  o.chunk_records = 2;
  TraceWriter w(p, h, o);
  for (auto& r : recs) w.append(r);
  if (end) {
    TraceRecord e;
    e.kind = RecordKind::End;
    e.tick = 1000;
    w.append(e);
  }
  w.close();
  return p;
}

TraceDiff diff(const std::string& a, const std::string& b) {
  TraceReader ra(a), rb(b);
  return diff_traces(ra, rb);
}

TEST(TraceDiffTest, EqualDespiteDifferentCommandLines) {
  std::vector<TraceRecord> recs = {write_call(10, 1, "a"), write_call(20, 1, "b"), write_call(30, 2, "c")};
  const auto a = make("a", 1, recs), b = make("b", 1, recs);
  EXPECT_TRUE(diff(a, b).equal) << diff(a, b).text();
  EXPECT_EQ(diff(a, b).text(), "traces are equal\n");
  unlink(a.c_str());
  unlink(b.c_str());
}

TEST(TraceDiffTest, FirstDifferenceNamed) {
  std::vector<TraceRecord> recs = {write_call(10, 1, "a"), write_call(20, 1, "b"), write_call(30, 2, "c")};
  const auto a = make("a", 1, recs);
  auto changed = recs;
  changed[1] = write_call(20, 1, "B");
  changed[2] = write_call(31, 2, "c");
  const auto b = make("b", 1, changed);
  TraceDiff d = diff(a, b);
  EXPECT_FALSE(d.equal);
  EXPECT_EQ(d.record, 1u);
  EXPECT_EQ(d.field, "buf");
  EXPECT_EQ(d.text(),
            "record 1 differs: buf\n"
            "- [20 1] DkStreamWrite(stream=0x11, offset=0, buf=\"b\", count=1) = 0\n"
            "+ [20 1] DkStreamWrite(stream=0x11, offset=0, buf=\"B\", count=1) = 0\n");

  const auto c = make("c", 2, recs);
  d = diff(a, c);
  EXPECT_TRUE(d.in_header);
  EXPECT_EQ(d.field, "seed");

  const auto shorter = make("s", 1, {recs[0], recs[1]}, false);
  d = diff(a, shorter);
  EXPECT_EQ(d.record, 2u);
  EXPECT_EQ(d.field, "end of trace");
  EXPECT_NE(d.b.find("without an end record"), std::string::npos) << d.b;
  for (auto* p : {&a, &b, &c, &shorter}) unlink(p->c_str());
}

TEST(ChromeExportTest, OneSlicePerDowncallAndInstants) {
  std::vector<TraceRecord> recs = {write_call(10, 1, "a\"\n\xff"), write_call(20, 2, "b")};
  TraceRecord ex;
  ex.kind = RecordKind::Exception;
  ex.tick = 25;
  ex.pid = 1;
  ex.thread = 2;
  ex.exception = {DK_EXCEPTION_ILLEGAL, 0, 0x401000};
  recs.push_back(ex);
  const auto p = make("chrome", 1, recs);
  TraceReader in(p);
  std::ostringstream out;
  EXPECT_EQ(export_chrome_trace(in, out), 4u);
  const std::string s = out.str();
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (size_t at = s.find(needle); at != std::string::npos; at = s.find(needle, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("\"ph\":\"X\""), 2u);
  EXPECT_EQ(count("\"ph\":\"i\""), 2u);  // the exception and the end
  EXPECT_EQ(count("\"name\":\"thread_name\""), 3u);  // threads 1 and 2 of pid 1, thread 0 of the end
  EXPECT_NE(s.find("\"ts\":20"), std::string::npos);
  EXPECT_NE(s.find("\\\\xff"), std::string::npos) << "non-ASCII bytes arrive escaped";
  // Balanced and closed: a quick structural check without a JSON library.
  EXPECT_EQ(count("{"), count("}"));
  EXPECT_EQ(s.substr(s.size() - 3), "]}\n");
  unlink(p.c_str());
}

}  // namespace
}  // namespace dk
