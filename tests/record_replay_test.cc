// Recording real runs (the emulator, the simulated and the native host) and replaying them
// with no host at all: identical console output and results, threads and child picoprocesses
// re-created in order, events in the trace, memory checksums catching a divergence that no
// downcall shows, and divergence reports that name where and what.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>

#include "dk/trace_launch.h"
#include "dk/elf_image.h"
#include "dk/host_factory.h"
#include "dk/recorder.h"
#include "dk/replayer.h"
#include "dk/run.h"
#include "dk/trace_file.h"
#include "dk/trace_render.h"

namespace dk {
namespace {

namespace fs = std::filesystem;

std::vector<uint8_t> guest(const std::string& name) {
  std::ifstream in(std::string(DK_GUEST_DIR) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Outcome {
  RunResult result;
  std::string out, err;
};

struct TempDir {
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "dk-record-XXXXXX").string();
    path = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

LaunchSpec spec_for(const std::string& name, const std::vector<std::string>& args) {
  LaunchSpec spec;
  spec.image = guest(name);
  spec.name = name;
  spec.args = {name};
  spec.args.insert(spec.args.end(), args.begin(), args.end());
  return spec;
}

TraceHeader header_for(const LaunchSpec& spec, const RunOptions& opts, const std::string& host,
                       uint64_t checksum = 0) {
  TraceHeader h;
  h.host_kind = host;
  h.unicorn_version = unicorn_version();
  h.cpuid = cpuid_answers();
  h.image_name = spec.name;
  h.image_hash = trace_hash(spec.image.data(), spec.image.size());
  h.launch = trace_launch_of(spec, opts);
  h.launch.checksum_every = checksum;
  return h;
}

// Runs `spec` on `host` with a Recorder writing `path`.
Outcome record(Host& host, const LaunchSpec& spec, const std::string& path, const std::string& kind,
               const std::string* out, const std::string* err, uint64_t checksum = 0) {
  RunOptions opts;
  TraceWriter w(path, header_for(spec, opts, kind, checksum));
  RecorderOptions ro;
  ro.checksum_every = checksum;
  Recorder rec(host, w, ro);
  opts.events = &rec;
  Outcome o;
  o.result = run_picoprocess(rec, spec, opts);
  w.close();
  EXPECT_FALSE(rec.failed()) << rec.error();
  if (out) o.out = *out;
  if (err) o.err = *err;
  return o;
}

Outcome record_sim(const std::string& name, const std::vector<std::string>& args,
                   const std::string& path, uint64_t checksum = 0) {
  CapturedConsole console;
  HostLaunch c;
  c.console = &console;
  LaunchSpec spec = spec_for(name, args);
  c.image = spec.image;
  c.name = name;
  LaunchedHost host = make_host(c);
  return record(*host, spec, path, "sim", &console.out, &console.err, checksum);
}

struct Replay {
  Outcome o;
  bool diverged = false, finished = false;
  std::string report;
  Divergence d;
  uint64_t downcalls = 0;
};

// Replays from the trace alone: image, launch and options come from its header.
Replay replay(const std::string& path, const std::string& unicorn = unicorn_version()) {
  TraceReader in(path);
  const TraceLaunch& l = in.header().launch;
  LaunchSpec spec;
  RunOptions opts;
  launch_from_trace(l, spec, opts);
  Replay r;
  ReplayOptions ro;
  ro.unicorn_version = unicorn;
  ro.console = [&r](int fd, const uint8_t* d, size_t n) {
    (fd == 2 ? r.o.err : r.o.out).append(reinterpret_cast<const char*>(d), n);
  };
  Replayer rp(in, ro);
  opts.events = &rp;
  r.o.result = run_picoprocess(rp, spec, opts);
  r.diverged = rp.diverged();
  if (r.diverged) {
    r.d = rp.divergence();
    r.report = r.d.report();
  }
  r.finished = rp.finished();
  r.downcalls = rp.downcalls_replayed();
  return r;
}

std::vector<TraceRecord> records(const std::string& path) {
  TraceReader in(path);
  std::vector<TraceRecord> v;
  TraceRecord r;
  while (in.next(r)) v.push_back(r);
  return v;
}

// Copies a trace, letting `h` change the header and `r` change (or drop: false) records.
void rewrite(const std::string& from, const std::string& to,
             const std::function<void(TraceHeader&)>& h,
             const std::function<bool(TraceRecord&)>& r) {
  TraceReader in(from);
  TraceHeader header = in.header();
  h(header);
  TraceWriter w(to, header);
  TraceRecord rec;
  while (in.next(rec))
    if (r(rec)) w.append(rec);
  w.close();
}

void expect_same(const Outcome& recorded, const Replay& replayed) {
  EXPECT_FALSE(replayed.diverged) << replayed.report;
  EXPECT_TRUE(replayed.finished);
  EXPECT_EQ(replayed.o.result.end, recorded.result.end) << replayed.o.result.reason;
  EXPECT_EQ(replayed.o.result.exit_code, recorded.result.exit_code);
  EXPECT_EQ(replayed.o.result.ticks, recorded.result.ticks);
  EXPECT_EQ(replayed.o.out, recorded.out);
  EXPECT_EQ(replayed.o.err, recorded.err);
}

class RecordTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path = ::testing::TempDir() + "/dk_record_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name() + "_" +
           std::to_string(getpid());
    trace = path + ".dktrace";
    other = path + ".b.dktrace";
  }
  void TearDown() override {
    unlink(trace.c_str());
    unlink(other.c_str());
  }
  std::string path, trace, other;
};

TEST_F(RecordTest, SimRunsReplayWithTheSameOutput) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> runs = {
      {"hello", {"world"}},
      {"counter", {"3", "200"}},
      {"pipeline", {"ab", "cd"}},
      {"filetool", {}},
      {"fault", {}}};
  for (const auto& [name, args] : runs) {
    SCOPED_TRACE(name);
    const Outcome rec = record_sim(name, args, trace);
    ASSERT_FALSE(rec.out.empty());
    const Replay rp = replay(trace);
    expect_same(rec, rp);
    EXPECT_GT(rp.downcalls, 3u);
  }
}

// The native host: real files. The run's folder is gone before the replay, which needs none.
TEST_F(RecordTest, NativeRunReplaysWithItsFilesGone) {
  Outcome rec;
  {
    auto root = std::make_unique<TempDir>();
    HostLaunch c;
    c.kind = HostKind::Native;
    c.mappings.push_back(Mapping{"file:/", "file:" + root->path, true, 0});
    LaunchSpec spec = spec_for("filetool", {});
    c.image = spec.image;
    c.name = "filetool";
    CapturedConsole console;
    c.console = &console;
    LaunchedHost host = make_host(c);
    rec = record(*host, spec, trace, "native", &console.out, &console.err);
    ASSERT_EQ(rec.result.end, RunResult::End::Exited) << rec.result.reason;
    ASSERT_EQ(rec.result.exit_code, 0) << rec.out;
    ASSERT_NE(rec.out.find("filetool: read: line 2 of the notes"), std::string::npos) << rec.out;
    const std::string folder = root->path;
    root.reset();
    ASSERT_FALSE(fs::exists(folder));
  }
  EXPECT_EQ(TraceReader(trace).header().host_kind, "native");
  expect_same(rec, replay(trace));
}

// Threads (DkThreadCreate) and a child picoprocess (DkProcessCreate) on the native host:
// re-created on replay in the same order, with the same ids.
TEST_F(RecordTest, ThreadsAndChildrenAreRecreated) {
  for (const auto& [name, args] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"counter", {"4", "500"}}, {"pipeline", {"native", "lines"}}}) {
    SCOPED_TRACE(name);
    HostLaunch c;
    c.kind = HostKind::Native;
    LaunchSpec spec = spec_for(name, args);
    c.image = spec.image;
    c.name = name;
    CapturedConsole console;
    c.console = &console;
    LaunchedHost host = make_host(c);
    const Outcome rec = record(*host, spec, trace, "native", &console.out, &console.err);
    ASSERT_EQ(rec.result.exit_code, 0) << rec.out << rec.err << rec.result.reason;
    int created = 0, switches = 0, starts = 0;
    for (const TraceRecord& r : records(trace)) {
      if (r.kind == RecordKind::Downcall)
        for (const Effect& e : r.call.effects)
          created += e.op == EffectOp::ThreadCreate || e.op == EffectOp::ProcessCreate;
      switches += r.kind == RecordKind::Schedule;
      starts += r.kind == RecordKind::Upcall && (r.upcall.which == kUpcallThreadStart ||
                                                 (r.upcall.which == kUpcallInit && r.pid > 1));
    }
    EXPECT_GE(created, 1);
    EXPECT_EQ(starts, created);
    EXPECT_GT(switches, 0);
    expect_same(rec, replay(trace));
  }
}

TEST_F(RecordTest, WorldEventsAreInTheTrace) {
  record_sim("fault", {}, trace);
  int exceptions = 0, dispatches = 0, inits = 0, ends = 0;
  for (const TraceRecord& r : records(trace)) {
    exceptions += r.kind == RecordKind::Exception;
    dispatches += r.kind == RecordKind::Upcall && r.upcall.which == kUpcallException;
    inits += r.kind == RecordKind::Upcall && r.upcall.which == kUpcallInit;
    ends += r.kind == RecordKind::End;
    if (r.kind == RecordKind::Exception) {
      EXPECT_NE(render_record(r).find("-- exception MEMFAULT"), std::string::npos);
    }
  }
  EXPECT_GE(exceptions, 1);
  EXPECT_EQ(dispatches, exceptions);
  EXPECT_EQ(inits, 1);
  EXPECT_EQ(ends, 1);

  record_sim("escape", {}, trace);
  int traps = 0;
  for (const TraceRecord& r : records(trace)) traps += r.kind == RecordKind::ForeignTrap;
  EXPECT_EQ(traps, 1);
  const Replay rp = replay(trace);
  EXPECT_FALSE(rp.diverged) << rp.report;
  EXPECT_EQ(rp.o.result.end, RunResult::End::UnhandledException);
}

// One input byte of a DkStreamWrite changed in the trace: the replay stops at that call and
// says where (tick, thread, rip, the instruction) and what (the field, both calls).
TEST_F(RecordTest, DivergenceReportNamesTheCall) {
  record_sim("hello", {"world"}, trace);
  uint64_t tick = 0, rip = 0;
  bool done = false;
  rewrite(
      trace, other, [](TraceHeader& h) { h.unicorn_version = "1.9.9"; },
      [&](TraceRecord& r) {
        if (!done && r.kind == RecordKind::Downcall && r.call.index == calls::DkStreamWrite &&
            !r.call.in_bytes.empty()) {
          r.call.in_bytes[0] ^= 0x20;
          r.call.in_hash = trace_hash(r.call.in_bytes.data(), r.call.in_bytes.size());
          tick = r.tick, rip = r.rip, done = true;
        }
        return true;
      });
  ASSERT_TRUE(done);
  const Replay rp = replay(other);
  ASSERT_TRUE(rp.diverged);
  EXPECT_EQ(rp.d.field, "buf");
  EXPECT_EQ(rp.d.tick, tick);
  EXPECT_EQ(rp.d.rip, rip);
  EXPECT_EQ(rp.d.thread, 1u);
  EXPECT_EQ(rp.d.instruction, "syscall");
  EXPECT_NE(rp.report.find("buf differs"), std::string::npos) << rp.report;
  EXPECT_NE(rp.report.find("expected: [" + std::to_string(tick) + " 1] DkStreamWrite("),
            std::string::npos)
      << rp.report;
  EXPECT_NE(rp.report.find("actual:   [" + std::to_string(tick) + " 1] DkStreamWrite("),
            std::string::npos)
      << rp.report;
  EXPECT_NE(rp.report.find("instruction: syscall"), std::string::npos) << rp.report;
  EXPECT_NE(rp.report.find("recorded with Unicorn 1.9.9"), std::string::npos) << rp.report;
  // The run stops there: a host error, no further output.
  EXPECT_EQ(rp.o.result.end, RunResult::End::HostError);
  EXPECT_EQ(rp.o.result.reason, "replay diverged");
}

// One argument of a recorded call edited (the count of the first DkStreamWrite): the
// replay names that argument.
TEST_F(RecordTest, EditedArgumentIsNamed) {
  record_sim("hello", {}, trace);
  bool done = false;
  rewrite(
      trace, other, [](TraceHeader&) {},
      [&](TraceRecord& r) {
        if (!done && r.kind == RecordKind::Downcall && r.call.index == calls::DkStreamWrite) {
          r.call.in_val[3] += 1;
          done = true;
        }
        return true;
      });
  ASSERT_TRUE(done);
  const Replay rp = replay(other);
  ASSERT_TRUE(rp.diverged);
  EXPECT_EQ(rp.d.field, "count");
  EXPECT_NE(rp.report.find("count differs"), std::string::npos) << rp.report;
  EXPECT_EQ(rp.d.instruction, "syscall");
}

// A byte of the image that no downcall depends on: downcalls replay alike, but the memory
// checksum after the first downcall differs.
TEST_F(RecordTest, ChecksumCatchesDivergenceBeforeAnyDowncall) {
  const Outcome rec = record_sim("hello", {"world"}, trace, 1);
  int sums = 0;
  for (const TraceRecord& r : records(trace)) sums += r.kind == RecordKind::Checksum;
  EXPECT_EQ(static_cast<uint64_t>(sums), replay(trace).downcalls);
  expect_same(rec, replay(trace));

  // A padding byte of the ELF identification (e_ident[12]): loaded with the first segment,
  // read by nobody.
  const ElfImage img = ElfImage::parse(guest("hello"));
  const size_t at = 12;
  bool loaded = false;
  for (const ElfSegment& s : img.segments) loaded |= s.offset == 0 && s.filesz > at;
  ASSERT_TRUE(loaded) << "hello's first segment does not hold its ELF header";
  ASSERT_EQ(img.bytes[at], 0);
  auto change_image = [at](TraceHeader& h) {
    h.launch.image[at] = 0x5a;
    h.image_hash = trace_hash(h.launch.image.data(), h.launch.image.size());
  };
  // Without checksums the change goes unseen: every downcall is the same...
  rewrite(
      trace, other,
      [&](TraceHeader& h) {
        change_image(h);
        h.launch.checksum_every = 0;
      },
      [](TraceRecord& r) { return r.kind != RecordKind::Checksum; });
  const Replay blind = replay(other);
  EXPECT_FALSE(blind.diverged) << blind.report;
  EXPECT_EQ(blind.o.out, rec.out);
  // ...with them, the first checksum reports it.
  rewrite(trace, other, change_image, [](TraceRecord&) { return true; });
  const Replay seen = replay(other);
  ASSERT_TRUE(seen.diverged);
  EXPECT_EQ(seen.d.field, "memory");
  EXPECT_EQ(seen.d.record, 1u);  // the first downcall (stdin opened at boot), then its checksum
  EXPECT_NE(seen.report.find("memory differs from the recording's"), std::string::npos)
      << seen.report;
}

TEST_F(RecordTest, CutTraceReplaysItsPrefixThenEndsClearly) {
  record_sim("counter", {"2", "100"}, trace);
  std::ifstream f(trace, std::ios::binary);
  std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  bytes.resize(bytes.size() - 10);
  std::ofstream(other, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()),
             static_cast<std::streamsize>(bytes.size()));
  const Replay rp = replay(other);
  ASSERT_TRUE(rp.diverged);
  EXPECT_TRUE(rp.d.end_of_trace);
  EXPECT_NE(rp.d.note.find("truncated chunk"), std::string::npos) << rp.report;
}

}  // namespace
}  // namespace dk
