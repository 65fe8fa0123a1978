// The trace tools' library side: diff names every header field and record field that
// differs, up to a limit; show --json carries every field as JSON values; the Chrome export
// parses as JSON with a slice per downcall.
#include <gtest/gtest.h>
#include <unistd.h>

#include <sstream>

#include "dk/chrome_export.h"
#include "dk/trace_diff.h"
#include "dk/trace_file.h"
#include "dk/trace_render.h"
#include "json_check.h"

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
  r.call.index = calls::DkStreamWrite;
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

TraceHeader header_of(const std::string& name, uint64_t seed) {
  TraceHeader h;
  h.seed = seed;
  h.host_kind = "sim";
  h.command_line = {"dk", name};
  h.launch.args = {"hello", "world"};
  h.launch.quantum = 1000;
  return h;
}

std::string make_with(const std::string& name, const TraceHeader& h, std::vector<TraceRecord> recs,
                      bool end = true) {
  const std::string p = temp_path(name);
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

std::string make(const std::string& name, uint64_t seed, std::vector<TraceRecord> recs,
                 bool end = true) {
  return make_with(name, header_of(name, seed), std::move(recs), end);
}

TraceDiff diff(const std::string& a, const std::string& b, TraceDiffOptions o = {}) {
  TraceReader ra(a), rb(b);
  return diff_traces(ra, rb, o);
}

TEST(TraceDiffTest, EqualDespiteDifferentCommandLines) {
  std::vector<TraceRecord> recs = {write_call(10, 1, "a"), write_call(20, 1, "b"), write_call(30, 2, "c")};
  const auto a = make("a", 1, recs), b = make("b", 1, recs);
  EXPECT_TRUE(diff(a, b).equal) << diff(a, b).text();
  // The command line is a note, not a difference.
  EXPECT_EQ(
      diff(a, b).text(),
      "note: the command lines differ: [\"dk\", \"a\"] and [\"dk\", \"b\"]\ntraces are equal\n");
  EXPECT_EQ(diff(a, a).text(), "traces are equal\n");
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
  ASSERT_EQ(d.differences.size(), 1u);
  EXPECT_TRUE(d.more);
  EXPECT_EQ(d.differences[0].record, 1u);
  EXPECT_EQ(d.differences[0].field, "buf");
  EXPECT_EQ(d.text().substr(d.text().find('\n') + 1),
            "record 1 differs: buf\n"
            "- [20 1] DkStreamWrite(stream=0x11, offset=0, buf=\"b\", count=1) = 0\n"
            "+ [20 1] DkStreamWrite(stream=0x11, offset=0, buf=\"B\", count=1) = 0\n"
            "(stopped after 1 differences: -n N lists more, -n 0 all)\n");

  // -n 0: every differing record, by position.
  d = diff(a, b, {0, false});
  ASSERT_EQ(d.differences.size(), 2u) << d.text();
  EXPECT_FALSE(d.more);
  EXPECT_EQ(d.differences[1].record, 2u);
  EXPECT_EQ(d.differences[1].field, "tick");

  const auto c = make("c", 2, recs);
  d = diff(a, c);
  ASSERT_EQ(d.differences.size(), 1u);
  EXPECT_TRUE(d.differences[0].in_header);
  EXPECT_EQ(d.differences[0].field, "seed");
  EXPECT_FALSE(d.records_compared);
  EXPECT_NE(d.text().find("--continue compares them"), std::string::npos) << d.text();

  const auto shorter = make("s", 1, {recs[0], recs[1]}, false);
  d = diff(a, shorter);
  ASSERT_EQ(d.differences.size(), 1u);
  EXPECT_EQ(d.differences[0].record, 2u);
  EXPECT_EQ(d.differences[0].field, "end of trace");
  EXPECT_NE(d.differences[0].b.find("without an end record"), std::string::npos)
      << d.differences[0].b;
  for (auto* p : {&a, &b, &c, &shorter}) unlink(p->c_str());
}

// Every header field is compared and named; --continue goes on into the records.
TEST(TraceDiffTest, EveryHeaderFieldByName) {
  std::vector<TraceRecord> recs = {write_call(10, 1, "a"), write_call(20, 1, "b")};
  const TraceHeader base = header_of("x", 1);
  const auto a = make_with("base", base, recs);
  struct Case {
    const char* field;
    void (*change)(TraceHeader&);
  };
  const Case cases[] = {
      {"abi version", [](TraceHeader& h) { h.abi_minor += 1; }},
      {"flags", [](TraceHeader& h) { h.flags = kTraceInputsHashed; }},
      {"seed", [](TraceHeader& h) { h.seed = 9; }},
      {"host", [](TraceHeader& h) { h.host_kind = "native"; }},
      {"unicorn version", [](TraceHeader& h) { h.unicorn_version = "9.9.9"; }},
      {"image name", [](TraceHeader& h) { h.image_name = "other"; }},
      {"image hash", [](TraceHeader& h) { h.image_hash = 42; }},
      {"package files",
       [](TraceHeader& h) {
         h.files = {{"/bin/x", 1}};
       }},
      {"cpuid",
       [](TraceHeader& h) {
         h.cpuid = {1, 2, 3};
       }},
      {"launch image",
       [](TraceHeader& h) {
         h.launch.image = {0x7f, 'E', 'L', 'F'};
       }},
      {"launch name", [](TraceHeader& h) { h.launch.name = "n"; }},
      {"launch args",
       [](TraceHeader& h) {
         h.launch.args = {"hello", "moon"};
       }},
      {"launch env", [](TraceHeader& h) { h.launch.env = {"A=1"}; }},
      {"stack size", [](TraceHeader& h) { h.launch.stack_size = 4096; }},
      {"stdin", [](TraceHeader& h) { h.launch.stdin_uri = "dev:null"; }},
      {"stdout", [](TraceHeader& h) { h.launch.stdout_uri = "dev:null"; }},
      {"stderr", [](TraceHeader& h) { h.launch.stderr_uri = "dev:null"; }},
      {"quantum", [](TraceHeader& h) { h.launch.quantum = 7; }},
      {"max ticks", [](TraceHeader& h) { h.launch.max_ticks = 7; }},
      {"max world ticks", [](TraceHeader& h) { h.launch.max_world_ticks = 7; }},
      {"checksum every", [](TraceHeader& h) { h.launch.checksum_every = 7; }},
  };
  for (const Case& c : cases) {
    TraceHeader h = base;
    c.change(h);
    const auto b = make_with("changed", h, recs);
    const TraceDiff d = diff(a, b, {0, false});
    ASSERT_EQ(d.differences.size(), 1u) << c.field << ": " << d.text();
    EXPECT_TRUE(d.differences[0].in_header);
    EXPECT_EQ(d.differences[0].field, c.field) << d.text();
    EXPECT_NE(d.text().find("header differs: " + std::string(c.field) + "\n"), std::string::npos)
        << d.text();
    unlink(b.c_str());
  }
  // Several header fields and a record: all listed with --continue, the header alone without.
  TraceHeader h = base;
  h.seed = 5;
  h.launch.args = {"hello"};
  h.launch.quantum = 3;
  auto changed = recs;
  changed[1] = write_call(20, 1, "B");
  const auto b = make_with("many", h, changed);
  TraceDiff d = diff(a, b, {0, false});
  ASSERT_EQ(d.differences.size(), 3u) << d.text();
  EXPECT_EQ(d.differences[0].field, "seed");
  EXPECT_EQ(d.differences[1].field, "launch args");
  EXPECT_EQ(d.differences[1].a, "[\"hello\", \"world\"]");
  EXPECT_EQ(d.differences[2].field, "quantum");
  d = diff(a, b, {0, true});
  ASSERT_EQ(d.differences.size(), 4u) << d.text();
  EXPECT_FALSE(d.differences[3].in_header);
  EXPECT_EQ(d.differences[3].record, 1u);
  EXPECT_EQ(d.differences[3].field, "buf");
  d = diff(a, b, {2, true});
  EXPECT_EQ(d.differences.size(), 2u);
  EXPECT_TRUE(d.more);
  unlink(a.c_str());
  unlink(b.c_str());
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
  // The frame around the streamed events, byte for byte.
  const std::string s = out.str();
  EXPECT_EQ(s.rfind("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"host\":", 0), 0u) << s;
  EXPECT_NE(s.find(",\"seed\":1,\"time\":\"1 tick = 1 us\"},\"traceEvents\":[\n{\"ph\":\"M\","), std::string::npos) << s;
  EXPECT_EQ(s.substr(s.size() - 4), "\n]}\n");
  const test::Json doc = test::parse_json(out.str());
  ASSERT_EQ(doc.type, test::Json::Object);
  const test::Json& events = doc["traceEvents"];
  ASSERT_EQ(events.type, test::Json::Array);
  size_t slices = 0, instants = 0, thread_names = 0;
  bool saw_escaped = false;
  for (const test::Json& e : events.items) {
    ASSERT_EQ(e.type, test::Json::Object);
    const std::string ph = e["ph"].text;
    ASSERT_TRUE(e["pid"].is_uint());
    if (ph == "M") {
      if (e["name"].text == "thread_name") ++thread_names;
      continue;
    }
    ASSERT_TRUE(e["tid"].is_uint());
    ASSERT_TRUE(e["ts"].is_uint());
    EXPECT_EQ(e["cat"].type, test::Json::String);
    if (ph == "X") {
      ++slices;
      EXPECT_EQ(e["dur"].u64(), 1u);
      EXPECT_EQ(e["name"].text, "DkStreamWrite");
      if (e["ts"].u64() == 10) {
        EXPECT_EQ(e["tid"].u64(), 1u);
        // The rendering escapes the guest's bytes; JSON quoting keeps them intact.
        saw_escaped = e["args"]["call"].text.find("buf=\"a\\\"\\n\\xff\"") != std::string::npos;
      }
    } else {
      ASSERT_EQ(ph, "i");
      ++instants;
      EXPECT_TRUE(e["s"].text == "t" || e["s"].text == "p");
    }
  }
  EXPECT_EQ(slices, 2u);
  EXPECT_EQ(instants, 2u);      // the exception and the end
  EXPECT_EQ(thread_names, 3u);  // threads 1 and 2 of pid 1, thread 0 of the end
  EXPECT_TRUE(saw_escaped) << out.str();
  unlink(p.c_str());
}

// show --json: values as JSON values, u64 above 2^53 as decimal strings, buffers whole in hex.
TEST(TraceJsonTest, DowncallCarriesEveryFieldAsValues) {
  std::string big(100, 'x');
  big[0] = '\xff';
  TraceRecord r = write_call(12, 3, big);
  r.rip = 0xffff800000001234ull;  // above 2^53
  r.call.reg[1] = 1ull << 53;     // exactly 2^53: still a number
  r.call.status = -6;
  r.call.fields |= kHasOutBytes;
  r.call.out_bytes = {0x00, 0xab};
  const test::Json j = test::parse_json(record_json(r));
  EXPECT_EQ(j["kind"].text, "downcall");
  EXPECT_EQ(j["tick"].u64(), 12u);
  EXPECT_EQ(j["thread"].u64(), 3u);
  EXPECT_EQ(j["rip"].type, test::Json::String);
  EXPECT_EQ(j["rip"].text, std::to_string(0xffff800000001234ull));
  EXPECT_EQ(j["reg"].items.at(1).type, test::Json::Number);
  EXPECT_EQ(j["reg"].items.at(1).u64(), 1ull << 53);
  EXPECT_EQ(j["call"].text, "DkStreamWrite");
  EXPECT_EQ(j["index"].u64(), 23u);
  EXPECT_EQ(j["in_val"].items.size(), 6u);
  EXPECT_EQ(j["in_val"].items[0].u64(), 0x11u);
  EXPECT_EQ(j["in_len"].u64(), 100u);
  EXPECT_EQ(j["in_hash"].text, std::to_string(trace_hash(big.data(), big.size())));
  std::string want = "ff";
  for (int i = 0; i < 99; ++i) want += "78";  // 'x', every byte of the 100
  EXPECT_EQ(j["in_bytes"].text, want);
  EXPECT_EQ(j["out_bytes"].text, "00ab");
  EXPECT_EQ(j["status"].text, "-6");
  EXPECT_EQ(j["status_name"].text, "NOENT");
  EXPECT_EQ(j["written"].u64(), 8u);
  EXPECT_EQ(j["out_val"].items[3].u64(), 100u);
  EXPECT_EQ(j["args"]["stream"].text, "0x11");
  EXPECT_FALSE(j.has("effects"));  // absent fields stay absent
}

TEST(TraceJsonTest, EveryRecordKindCarriesItsFields) {
  TraceRecord e;
  e.kind = RecordKind::End;
  e.pid = 2;
  e.end = {1, -133, "killed \"hard\""};
  test::Json j = test::parse_json(record_json(e));
  EXPECT_EQ(j["kind"].text, "end");
  EXPECT_EQ(j["pid"].u64(), 2u);
  EXPECT_EQ(j["reason"].u64(), 1u);
  EXPECT_EQ(j["exit_code"].text, "-133");
  EXPECT_EQ(j["message"].text, "killed \"hard\"");

  TraceRecord s;
  s.kind = RecordKind::Schedule;
  s.schedule = {4, 2, 3};
  j = test::parse_json(record_json(s));
  EXPECT_EQ(j["next_thread"].u64(), 4u);
  EXPECT_EQ(j["reason"].u64(), 2u);
  EXPECT_EQ(j["next_pid"].u64(), 3u);

  TraceRecord x;
  x.kind = RecordKind::Exception;
  x.exception = {DK_EXCEPTION_MEMFAULT, 7, 0xdead};
  j = test::parse_json(record_json(x));
  EXPECT_EQ(j["type"].u64(), uint64_t{DK_EXCEPTION_MEMFAULT});
  EXPECT_EQ(j["detail"].u64(), 7u);
  EXPECT_EQ(j["address"].u64(), 0xdeadu);

  TraceRecord t;
  t.kind = RecordKind::ForeignTrap;
  t.trap = {0x8001, ~0ull};
  j = test::parse_json(record_json(t));
  EXPECT_EQ(j["detail"].u64(), 0x8001u);
  EXPECT_EQ(j["number"].text, "18446744073709551615");

  TraceRecord u;
  u.kind = RecordKind::Upcall;
  u.upcall = {2, 0x401000, 5};
  j = test::parse_json(record_json(u));
  EXPECT_EQ(j["which"].u64(), 2u);
  EXPECT_EQ(j["entry"].u64(), 0x401000u);
  EXPECT_EQ(j["arg"].u64(), 5u);

  TraceRecord i;
  i.kind = RecordKind::Idle;
  i.idle.deadline = 77;
  i.idle.woke = 1;
  j = test::parse_json(record_json(i));
  EXPECT_EQ(j["deadline"].u64(), 77u);
  EXPECT_TRUE(j["woke"].boolean);

  TraceRecord c;
  c.kind = RecordKind::Checksum;
  c.checksum.hash = 99;
  c.checksum.downcalls = 16;
  j = test::parse_json(record_json(c));
  EXPECT_EQ(j["hash"].u64(), 99u);
  EXPECT_EQ(j["downcalls"].u64(), 16u);

  for (RecordKind k : {RecordKind::Rdtsc, RecordKind::Clock}) {
    TraceRecord v;
    v.kind = k;
    (k == RecordKind::Rdtsc ? v.rdtsc : v.clock) = 1234;
    EXPECT_EQ(test::parse_json(record_json(v))["value"].u64(), 1234u);
  }
}

TEST(TraceJsonTest, HeaderCarriesEveryField) {
  TraceHeader h = header_of("j", 3);
  h.image_name = "hello";
  h.image_hash = ~0ull;
  h.files = {{"/bin/hello", 5}};
  h.cpuid = {0x01, 0xfe};
  h.launch.env = {"A=\xc3\xa9"};
  h.launch.stack_size = 65536;
  h.launch.stdout_uri = "dev:console";
  h.launch.image = {1, 2, 3};
  h.launch.checksum_every = 16;
  const test::Json j = test::parse_json(header_json(h));
  EXPECT_EQ(j["kind"].text, "header");
  EXPECT_EQ(j["seed"].u64(), 3u);
  EXPECT_EQ(j["host"].text, "sim");
  EXPECT_EQ(j["image"].text, "hello");
  EXPECT_EQ(j["image_hash"].text, "18446744073709551615");
  EXPECT_EQ(j["files"]["/bin/hello"].u64(), 5u);
  EXPECT_EQ(j["cpuid"].text, "01fe");
  EXPECT_EQ(j["command_line"].items.at(1).text, "j");
  const test::Json& l = j["launch"];
  EXPECT_EQ(l["args"].items.at(1).text, "world");
  EXPECT_EQ(l["env"].items.at(0).text, "A=\xc3\xa9");
  EXPECT_EQ(l["stack_size"].u64(), 65536u);
  EXPECT_EQ(l["stdout"].text, "dev:console");
  EXPECT_EQ(l["quantum"].u64(), 1000u);
  EXPECT_EQ(l["checksum_every"].u64(), 16u);
  EXPECT_EQ(l["image_size"].u64(), 3u);
}

}  // namespace
}  // namespace dk
