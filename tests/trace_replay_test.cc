// Record and replay through the real dispatcher with the fake guest memory (fake_guest.h), a
// control that logs every effect (null_guest.h's, with a log) and a fake host: a run recorded
// around a host whose answers are not reproducible replays bit for bit without it; a changed
// call, argument, input byte, tick or thread stops replay with a Divergence naming the field;
// a cut trace replays its prefix, then ends clearly.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "dk/dispatcher.h"
#include "dk/recorder.h"
#include "dk/replayer.h"
#include "dk/trace_diff.h"
#include "dk/trace_render.h"
#include "fake_guest.h"
#include "null_guest.h"
#include "trace_1_0.h"

namespace dk {
namespace {

// The fake guest's memory (fake_guest.h), read-write over [0x10000, 0x20000).
class FakeMemory : public hosttest::FakeMemory {
 public:
  static constexpr uint64_t kEnd = kBase + 0x10000;
  FakeMemory() { set_prot(kBase, kEnd - kBase, DK_PROT_READ | DK_PROT_WRITE); }
  uint64_t peek64(uint64_t addr) const {
    uint64_t v;
    peek(addr, &v, 8);
    return v;
  }
  // The bytes of [kBase, end).
  std::vector<uint8_t> bytes(uint64_t end = kEnd) const {
    std::vector<uint8_t> out(end - kBase);
    peek(kBase, out.data(), out.size());
    return out;
  }
};

// Logs every effect, so a replay's effects can be compared with the recording's.
class LoggingControl : public null_guest::NoControl {
 public:
  dk_status_t vm_allocate(uint64_t& addr, uint64_t size, uint32_t alloc, uint32_t prot) override {
    if (addr == 0) {
      addr = next_;
      next_ += (size + 0xfff) & ~0xfffull;
    }
    log.push_back("alloc " + std::to_string(addr) + " " + std::to_string(size) + " " + std::to_string(alloc) +
                  " " + std::to_string(prot));
    return 0;
  }
  dk_status_t vm_free(uint64_t addr, uint64_t size) override {
    log.push_back("free " + std::to_string(addr) + " " + std::to_string(size));
    return 0;
  }
  dk_status_t vm_protect(uint64_t addr, uint64_t size, uint32_t prot) override {
    log.push_back("protect " + std::to_string(addr) + " " + std::to_string(size) + " " + std::to_string(prot));
    return 0;
  }
  dk_status_t set_segment(uint32_t reg, uint64_t base) override {
    log.push_back("segment " + std::to_string(reg) + " " + std::to_string(base));
    return 0;
  }
  dk_status_t exception_return(const dk_context& ctx) override {
    log.push_back("exception_return " + std::to_string(ctx.rip));
    return 0;
  }
  void thread_exit() override { log.push_back("thread_exit"); }
  void process_exit(int64_t code) override { log.push_back("process_exit " + std::to_string(code)); }
  std::vector<std::string> log;

 private:
  uint64_t next_ = 0x40000000;
};

// A host whose answers depend on its own history (a clock, counters): a second instance
// would answer differently, so only a replay that never asks it can match.
class FakeHost : public Host {
 public:
  explicit FakeHost(uint64_t clock) : clock_(clock) {}
  std::string_view name() const override { return "fake"; }
  uint64_t cycle_counter(const CallContext&) override { return clock_ += 777; }
  dk_status_t serve(CallContext& cx, Call& call) override {
    ++served;
    clock_ += 1000;
    switch (call.index) {
      case calls::DkStreamOpen:
        if (call.uri != "dev:console") return -DK_E_NOENT;
        call.set_out(5, cx.handles.insert(std::make_shared<HostObject>(ObjectKind::Stream)));
        return 0;
      case calls::DkStreamRead: {
        const std::string data = "data@" + std::to_string(clock_);
        call.out_bytes.assign(data.begin(), data.begin() + std::min<size_t>(data.size(), call.room));
        call.set_out(3, call.out_bytes.size());
        return 0;
      }
      case calls::DkStreamWrite:
        call.set_out(3, call.in_bytes.size());
        return 0;
      case calls::DkStreamAttributesQueryByHandle:
        call.attr = {DK_STREAM_DEVICE, 0666, clock_, 1, 1, 0, 0};
        return 0;
      case calls::DkSystemTimeQuery:
        call.set_out(0, clock_ * 3);
        return 0;
      case calls::DkRandomBitsRead:
        call.out_bytes.resize(call.room);
        for (auto& b : call.out_bytes) b = static_cast<uint8_t>(clock_ += 13);
        return 0;
      case calls::DkStreamMap: {  // the "file" holds "mapped:" and the clock
        uint64_t addr = call.arg(1);
        const uint64_t size = call.arg(4);
        dk_status_t st = cx.ctl.vm_allocate(addr, size, DK_ALLOC_COMMIT | DK_ALLOC_REPLACE, DK_PROT_READ | DK_PROT_WRITE);
        if (st != 0) return st;
        const std::string data = "mapped:" + std::to_string(clock_);
        if (!cx.mem.write(addr, data.data(), data.size())) return -DK_E_FAULT;
        st = cx.ctl.vm_protect(addr, size, static_cast<uint32_t>(call.arg(2)) & ~DK_MAP_SHARED);
        if (st == 0) call.set_out(1, addr);
        return st;
      }
      case calls::DkStreamUnmap:
        return cx.ctl.vm_free(call.arg(0), call.arg(1));
      case calls::DkSystemInfoQuery:
        call.sysinfo.page_size = DK_PAGE_SIZE;
        call.sysinfo.cpu_count = static_cast<uint32_t>(clock_ % 7 + 1);
        memcpy(call.sysinfo.host_name, "fake", 5);
        return 0;
      default:  // memory, exit, segment base: the Host defaults; NOTSUP for the rest
        return Host::serve(cx, call);
    }
  }
  int served = 0;

 private:
  uint64_t clock_;
};

class NullEvents : public RunEvents {
 public:
  void on_schedule(const EventSite&, uint32_t, uint32_t) override {}
  void on_exception(const EventSite&, uint32_t, uint32_t, uint64_t) override {}
  void on_foreign_trap(const EventSite&, uint32_t, uint64_t) override {}
  void on_upcall(const EventSite&, uint32_t, uint64_t, uint64_t) override {}
  void on_end(const EventSite&, uint32_t, int64_t, std::string_view) override {}
};

enum class Change { None, InputByte, Count, Handle, CallNumber, Tick, Thread, Uri };

// Addresses in the fake guest.
constexpr uint64_t kAddrSlot = 0x10000, kHandleSlot = 0x10008, kCountSlot = 0x10010, kNsSlot = 0x10018;
constexpr uint64_t kUri = 0x10100, kWriteBuf = 0x10200, kReadBuf = 0x10300, kRandBuf = 0x10400;
constexpr uint64_t kInfo = 0x10500, kAttr = 0x10600, kSnapshotEnd = 0x10700;

struct Outcome {
  std::vector<dk_status_t> statuses;
  uint64_t rdtsc = 0;
  std::vector<uint8_t> memory;
  std::vector<std::string> effects;
};

// The "guest": a fixed program of downcalls and emulator events, run through the dispatcher.
Outcome run_guest(Host& host, RunEvents& events, Change change = Change::None) {
  FakeMemory mem;
  LoggingControl ctl;
  HandleTable handles;
  Dispatcher dispatcher(host);
  Call scratch;
  Outcome out;
  uint64_t tick = 100;
  uint32_t thread = 1;
  auto site = [&] { return EventSite{tick, 1, thread, 0x401000 + tick}; };
  auto call = [&](uint32_t index, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0,
                  uint64_t a4 = 0, uint64_t a5 = 0) {
    CallContext cx{mem, ctl, handles, 1, thread, tick, 0x401000 + tick};
    TrapRegs regs{DK_CALL_BASE + index, a0, a1, a2, a3, a4, a5};
    out.statuses.push_back(dispatcher.dispatch(cx, regs, scratch));
    tick += 10;
  };
  const char* uri = change == Change::Uri ? "dev:consolE" : "dev:console";
  mem.poke(kUri, uri, strlen(uri) + 1);
  mem.poke(kWriteBuf, change == Change::InputByte ? "hI\n" : "hi\n", 3);

  events.on_upcall(site(), kUpcallInit, 0x401000, 0x7000);
  call(calls::DkVirtualMemoryAllocate, kAddrSlot, 0x3000, DK_ALLOC_COMMIT, DK_PROT_READ | DK_PROT_WRITE);
  call(calls::DkStreamOpen, kUri, DK_ACCESS_RDWR, 0, 0, 0, kHandleSlot);
  uint64_t h = mem.peek64(kHandleSlot);
  if (change == Change::Handle) h += 1;
  uint64_t count = change == Change::Count ? 2 : 3;
  mem.poke(kCountSlot, &count, 8);
  if (change == Change::Tick) tick += 1;
  if (change == Change::Thread) thread = 2;
  call(calls::DkStreamWrite, h, 0, kWriteBuf, kCountSlot);
  count = 64;
  mem.poke(kCountSlot, &count, 8);
  call(calls::DkStreamRead, h, 0, kReadBuf, kCountSlot);
  if (change == Change::CallNumber) call(calls::DkThreadYieldExecution);
  else call(calls::DkSystemTimeQuery, kNsSlot);
  {
    CallContext cx{mem, ctl, handles, 1, thread, tick, 0x401000 + tick};
    out.rdtsc = host.cycle_counter(cx);
  }
  events.on_schedule(site(), 2, kScheduleYield);
  thread = 2;
  call(calls::DkRandomBitsRead, kRandBuf, 16);
  call(calls::DkSystemInfoQuery, kInfo, sizeof(dk_system_info));
  call(calls::DkStreamAttributesQueryByHandle, h, kAttr);
  call(calls::DkSegmentRegisterSet, DK_SEGMENT_FS, 0x7000);
  call(calls::DkProcessExit, 3);
  events.on_end(site(), 0, 3, "exited");
  out.memory = mem.bytes(kSnapshotEnd);
  out.effects = ctl.log;
  return out;
}

// A second "guest" for what format 1.0 left implicit: a mapping (its bytes were the call's
// output bytes), memory calls, an exception return and both exits.
constexpr uint64_t kMapAt = 0x11000, kCtx = 0x12000;

Outcome run_map_guest(Host& host, RunEvents& events) {
  FakeMemory mem;
  LoggingControl ctl;
  HandleTable handles;
  Dispatcher dispatcher(host);
  Call scratch;
  Outcome out;
  uint64_t tick = 100;
  auto site = [&] { return EventSite{tick, 1, 1, 0x401000 + tick}; };
  auto call = [&](uint32_t index, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0,
                  uint64_t a4 = 0, uint64_t a5 = 0) {
    CallContext cx{mem, ctl, handles, 1, 1, tick, 0x401000 + tick};
    TrapRegs regs{DK_CALL_BASE + index, a0, a1, a2, a3, a4, a5};
    out.statuses.push_back(dispatcher.dispatch(cx, regs, scratch));
    tick += 10;
  };
  mem.poke(kUri, "dev:console", 12);
  events.on_upcall(site(), kUpcallInit, 0x401000, 0x7000);
  call(calls::DkStreamOpen, kUri, DK_ACCESS_RDWR, 0, 0, 0, kHandleSlot);
  mem.poke(kAddrSlot, &kMapAt, 8);
  call(calls::DkStreamMap, mem.peek64(kHandleSlot), kAddrSlot, DK_PROT_READ | DK_MAP_SHARED, 0, 0x100);
  call(calls::DkVirtualMemoryProtect, kMapAt, 0x100, DK_PROT_READ | DK_PROT_WRITE);
  call(calls::DkStreamUnmap, kMapAt, 0x100);
  dk_context ctx{};
  ctx.rip = 0x401234;
  mem.poke(kCtx, &ctx, sizeof ctx);
  call(calls::DkExceptionReturn, kCtx);
  call(calls::DkThreadExit);
  call(calls::DkProcessExit, 3);
  events.on_end(site(), 0, 3, "exited");
  out.memory = mem.bytes();
  out.effects = ctl.log;
  return out;
}

std::string temp_path(const char* name) {
  return ::testing::TempDir() + "/dk_replay_" + name + "_" + std::to_string(getpid()) + ".dktrace";
}

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override { path = temp_path(::testing::UnitTest::GetInstance()->current_test_info()->name()); }
  void TearDown() override { unlink(path.c_str()); }

  Outcome record(bool hash_inputs = false, uint32_t chunk_records = 4096) {
    return record_to(path, Change::None, hash_inputs, chunk_records);
  }

  Outcome record_to(const std::string& to, Change change, bool hash_inputs = false, uint32_t chunk_records = 4096) {
    TraceHeader h;
    h.host_kind = "fake";
    h.unicorn_version = "2.1.1";
    h.flags = hash_inputs ? kTraceInputsHashed : 0;
    TraceWriterOptions o;
    o.chunk_records = chunk_records;
    TraceWriter w(to, h, o);
    FakeHost host(1'000'000);
    RecorderOptions ro;
    ro.hash_inputs = hash_inputs;
    Recorder rec(host, w, ro);
    Outcome out = run_guest(rec, rec, change);
    EXPECT_FALSE(rec.failed()) << rec.error();
    EXPECT_EQ(rec.downcalls(), 10u);
    w.close();
    return out;
  }

  std::string path;
};

TEST_F(ReplayTest, ReplayMatchesTheRecordingWithoutAHost) {
  const Outcome recorded = record();
  // The recording is what the host said: a second host instance disagrees...
  FakeHost other(5);
  NullEvents none;
  const Outcome fresh = run_guest(other, none);
  EXPECT_NE(fresh.memory, recorded.memory);
  // ...and the replay, which has no host, agrees in every byte and effect.
  TraceReader in(path);
  Replayer rp(in);
  const Outcome replayed = run_guest(rp, rp);
  EXPECT_FALSE(rp.diverged()) << rp.divergence().report();
  EXPECT_TRUE(rp.finished());
  EXPECT_EQ(rp.downcalls_replayed(), 10u);
  EXPECT_EQ(replayed.statuses, recorded.statuses);
  EXPECT_EQ(replayed.rdtsc, recorded.rdtsc);
  EXPECT_EQ(replayed.memory, recorded.memory);
  EXPECT_EQ(replayed.effects, recorded.effects);
  ASSERT_EQ(replayed.effects.size(), 3u);
  EXPECT_EQ(replayed.effects[0], "alloc 1073741824 12288 2 3");
  EXPECT_EQ(replayed.effects[2], "process_exit 3");
}

TEST_F(ReplayTest, HashedInputsReplayToo) {
  const Outcome recorded = record(true);
  TraceReader in(path);
  EXPECT_EQ(in.header().flags, kTraceInputsHashed);
  Replayer rp(in);
  const Outcome replayed = run_guest(rp, rp);
  EXPECT_FALSE(rp.diverged()) << rp.divergence().report();
  EXPECT_EQ(replayed.memory, recorded.memory);
}

struct Case {
  Change change;
  const char* field;
  const char* actual_contains;
};

TEST_F(ReplayTest, EachChangeIsReportedByItsField) {
  record();
  const Case cases[] = {
      {Change::InputByte, "buf", "buf=\"hI\\n\""},
      {Change::Count, "count", "count=2"},
      {Change::Handle, "stream", "DkStreamWrite(stream=0x11,"},
      {Change::CallNumber, "call", "DkThreadYieldExecution()"},
      {Change::Tick, "tick", "[121 1] DkStreamWrite("},
      {Change::Thread, "thread", "[120 2] DkStreamWrite("},
      {Change::Uri, "uri", "uri=\"dev:consolE\""},
  };
  for (const Case& c : cases) {
    TraceReader in(path);
    Replayer rp(in);
    const Outcome o = run_guest(rp, rp, c.change);
    ASSERT_TRUE(rp.diverged()) << c.field;
    const Divergence& d = rp.divergence();
    EXPECT_EQ(d.field, c.field);
    EXPECT_NE(d.actual.find(c.actual_contains), std::string::npos) << d.actual;
    EXPECT_FALSE(d.end_of_trace);
    EXPECT_NE(d.report().find(std::string(c.field) + " differs"), std::string::npos) << d.report();
    EXPECT_NE(d.report().find("expected: "), std::string::npos);
    // Everything after the divergence gets the distinct status, never a host's answer.
    EXPECT_EQ(o.statuses.back(), Replayer::kDiverged);
  }
}

TEST_F(ReplayTest, DivergenceReportNamesTheWholeSituation) {
  record();
  TraceReader in(path);
  ReplayOptions ro;
  ro.unicorn_version = "2.2.0";
  Replayer rp(in, ro);
  run_guest(rp, rp, Change::InputByte);
  ASSERT_TRUE(rp.diverged());
  const Divergence& d = rp.divergence();
  EXPECT_EQ(d.tick, 120u);
  EXPECT_EQ(d.thread, 1u);
  EXPECT_EQ(d.rip, 0x401000u + 120);
  EXPECT_EQ(d.expected, "[120 1] DkStreamWrite(stream=0x10, offset=0, buf=\"hi\\n\", count=3) = 0");
  EXPECT_EQ(d.actual, "[120 1] DkStreamWrite(stream=0x10, offset=0, buf=\"hI\\n\", count=3)");
  EXPECT_NE(d.report().find("recorded with Unicorn 2.1.1 and this dk has 2.2.0"), std::string::npos) << d.report();
}

TEST_F(ReplayTest, CutTraceReplaysItsPrefixThenEndsClearly) {
  const Outcome recorded = record(false, 2);
  std::ifstream f(path, std::ios::binary);
  std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  // Keep the header and the first two chunks (upcall + 3 downcalls), then half a chunk.
  uint32_t len;
  memcpy(&len, bytes.data() + 12, 4);
  uint64_t pos = 16 + len + 8;
  for (int k = 0; k < 2; ++k) {
    uint32_t clen;
    memcpy(&clen, bytes.data() + pos + 16, 4);
    pos += 32 + clen;
  }
  bytes.resize(pos + 20);
  TraceReader in(bytes);
  Replayer rp(in);
  const Outcome o = run_guest(rp, rp);
  ASSERT_TRUE(rp.diverged());
  EXPECT_TRUE(rp.divergence().end_of_trace);
  EXPECT_EQ(rp.divergence().field, "end of trace");
  EXPECT_NE(rp.divergence().note.find("truncated chunk at offset " + std::to_string(pos)), std::string::npos)
      << rp.divergence().report();
  ASSERT_GE(o.statuses.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(o.statuses[i], recorded.statuses[i]) << i;
  EXPECT_EQ(o.statuses[3], Replayer::kDiverged);
  EXPECT_FALSE(rp.finished());
  // Cut short is not damage: no read error, and the report says the trace stops early.
  EXPECT_EQ(rp.read_error(), nullptr);
  EXPECT_TRUE(rp.divergence().cut_short);
  EXPECT_EQ(rp.divergence().report().rfind("replay: the trace was cut short after record ", 0), 0u)
      << rp.divergence().report();
}

// A damaged chunk ends the replay where its records would start, as a read error naming the
// chunk's offset (dk replay: exit 2), after the records before it matched.
TEST_F(ReplayTest, DamagedChunkIsAReadErrorWithItsOffset) {
  const Outcome recorded = record(false, 2);
  std::ifstream f(path, std::ios::binary);
  std::vector<uint8_t> bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  uint32_t len;
  memcpy(&len, bytes.data() + 12, 4);
  uint64_t pos = 16 + len + 8;
  for (int k = 0; k < 2; ++k) {
    uint32_t clen;
    memcpy(&clen, bytes.data() + pos + 16, 4);
    pos += 32 + clen;
  }
  ASSERT_LT(pos + 40, bytes.size());
  bytes[pos + 40] ^= 0x04;  // the third chunk's payload
  TraceReader in(bytes);
  Replayer rp(in);
  const Outcome o = run_guest(rp, rp);
  ASSERT_NE(rp.read_error(), nullptr);
  EXPECT_TRUE(rp.read_error()->damaged());
  EXPECT_EQ(rp.read_error()->offset(), pos);
  EXPECT_EQ(rp.read_error()->fault(), "chunk 2: checksum mismatch");
  EXPECT_FALSE(rp.finished());
  ASSERT_GE(o.statuses.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(o.statuses[i], recorded.statuses[i]) << i;
}

TEST_F(ReplayTest, EventsAreChecked) {
  record();
  TraceReader in(path);
  Replayer rp(in);
  EventSite s{100, 1, 1, 0x401000 + 100};
  rp.on_upcall(s, kUpcallThreadStart, 0x401000, 0x7000);  // recorded: kUpcallInit
  ASSERT_TRUE(rp.diverged());
  EXPECT_EQ(rp.divergence().field, "which");
}

TEST_F(ReplayTest, RecordedFileShowsEveryRecord) {
  record();
  TraceReader in(path);
  TraceRecord r;
  std::vector<std::string> lines;
  while (in.next(r)) lines.push_back(render_record(r));
  ASSERT_EQ(lines.size(), 14u);  // upcall, 10 downcalls, rdtsc, schedule, end
  EXPECT_EQ(lines[3], "[120 1] DkStreamWrite(stream=0x10, offset=0, buf=\"hi\\n\", count=3) = 0");
  EXPECT_NE(lines[2].find("DkStreamOpen(uri=\"dev:console\", access=2, share=0, create=0, options=0, stream=0x10) = 0"),
            std::string::npos)
      << lines[2];
  EXPECT_EQ(lines[13], "[200 2] -- end: reason 0, exit code 3, exited");
}

// Format 1.0 traces (no effect lists) are read in the current shape: they replay, print and
// diff as the same run written in the current format does.

std::vector<std::string> rendered(TraceReader& in) {
  std::vector<std::string> lines;
  TraceRecord r;
  while (in.next(r)) lines.push_back(render_record(r));
  return lines;
}

// Per record, the names of its effects: what a replay will do to the picoprocess.
std::vector<std::string> effect_names(TraceReader& in) {
  std::vector<std::string> v;
  TraceRecord r;
  while (in.next(r)) {
    std::string s;
    for (const Effect& e : r.call.effects) s += std::string(s.empty() ? "" : " ") + effect_name(e.op);
    v.push_back(r.kind == RecordKind::Downcall ? s : "-");
  }
  return v;
}

TEST_F(ReplayTest, OldTraceReplaysLikeTheSameRunInTheCurrentFormat) {
  const Outcome recorded = record();
  TraceReader current(path);
  TraceReader old(test::downgrade_to_1_0(path));
  ASSERT_EQ(current.header().format_minor, 1);
  ASSERT_EQ(old.header().format_minor, 0);
  Replayer a(current), b(old);
  const Outcome x = run_guest(a, a);
  const Outcome y = run_guest(b, b);
  EXPECT_FALSE(b.diverged()) << b.divergence().report();
  EXPECT_TRUE(b.finished());
  EXPECT_EQ(b.downcalls_replayed(), a.downcalls_replayed());
  EXPECT_EQ(y.statuses, x.statuses);
  EXPECT_EQ(y.rdtsc, x.rdtsc);
  EXPECT_EQ(y.memory, x.memory);
  EXPECT_EQ(y.memory, recorded.memory);
  EXPECT_EQ(y.effects, x.effects);
  EXPECT_EQ(y.effects, recorded.effects);
}

TEST_F(ReplayTest, OldTracePrintsLikeTheSameRunInTheCurrentFormat) {
  record();
  const std::vector<uint8_t> old_bytes = test::downgrade_to_1_0(path);
  TraceReader current(path), old(old_bytes);
  const auto lines = rendered(current);
  ASSERT_EQ(lines.size(), 14u);
  EXPECT_EQ(rendered(old), lines);
  // The effects the reader gave the 1.0 downcalls are the ones the recorder logged.
  TraceReader current2(path), old2(old_bytes);
  const auto names = effect_names(current2);
  EXPECT_EQ(effect_names(old2), names);
  EXPECT_EQ(names[1], "allocate");
  EXPECT_EQ(names[11], "segment");
  EXPECT_EQ(names[12], "process-exit");
}

TEST_F(ReplayTest, OldTracesDiffLikeTheSameRunsInTheCurrentFormat) {
  record();
  const std::string other = path + ".changed";
  record_to(other, Change::InputByte);
  TraceReader a(path), b(other);
  const TraceDiff current = diff_traces(a, b);
  TraceReader a0(test::downgrade_to_1_0(path)), b0(test::downgrade_to_1_0(other));
  const TraceDiff old = diff_traces(a0, b0);
  unlink(other.c_str());
  ASSERT_FALSE(current.equal);
  ASSERT_EQ(current.differences.size(), 1u);
  EXPECT_EQ(current.differences[0].field, "buf");
  EXPECT_EQ(old.equal, current.equal);
  EXPECT_EQ(old.text(), current.text());
  // And a 1.0 trace is equal to itself.
  TraceReader c0(test::downgrade_to_1_0(path)), d0(test::downgrade_to_1_0(path));
  EXPECT_TRUE(diff_traces(c0, d0).equal);
}

// The mapping: 1.0 kept the mapped bytes as the call's output bytes. Read, they are an
// allocation at the recorded address, a memory write and the protection, and replay puts the
// bytes where the recording had them.
TEST_F(ReplayTest, OldMappingReplaysItsBytesAtTheRecordedAddress) {
  Outcome recorded;
  {
    TraceHeader h;
    h.host_kind = "fake";
    TraceWriter w(path, h);
    FakeHost host(1'000'000);
    Recorder rec(host, w);
    recorded = run_map_guest(rec, rec);
    EXPECT_FALSE(rec.failed()) << rec.error();
    w.close();
  }
  for (dk_status_t st : recorded.statuses) EXPECT_EQ(st, 0);
  const std::string mapped = "mapped:1002000";  // the host's clock at the second call
  ASSERT_EQ(std::string(reinterpret_cast<const char*>(recorded.memory.data()) + (kMapAt - FakeMemory::kBase),
                        mapped.size()),
            mapped);
  const std::vector<uint8_t> old_bytes = test::downgrade_to_1_0(path);
  {
    TraceReader old(old_bytes);
    TraceRecord r;
    while (old.next(r) && !(r.kind == RecordKind::Downcall && r.call.index == calls::DkStreamMap)) {
    }
    ASSERT_EQ(r.call.index, calls::DkStreamMap);
    EXPECT_FALSE(r.call.fields & kHasOutBytes);
    EXPECT_TRUE(r.call.out_bytes.empty());
    ASSERT_EQ(r.call.effects.size(), 3u);
    const Effect& write = r.call.effects[1];
    EXPECT_EQ(write.op, EffectOp::MemoryWrite);
    EXPECT_EQ(write.v[0], kMapAt);
    EXPECT_EQ(std::string(write.bytes.begin(), write.bytes.end()), mapped);
  }
  TraceReader current(path), old(old_bytes);
  Replayer a(current), b(old);
  const Outcome x = run_map_guest(a, a);
  const Outcome y = run_map_guest(b, b);
  EXPECT_FALSE(b.diverged()) << b.divergence().report();
  EXPECT_TRUE(b.finished());
  EXPECT_EQ(y.statuses, recorded.statuses);
  EXPECT_EQ(y.memory, recorded.memory);
  EXPECT_EQ(y.effects, recorded.effects);
  EXPECT_EQ(y.memory, x.memory);
  EXPECT_EQ(y.effects, x.effects);
  EXPECT_EQ(y.effects, (std::vector<std::string>{"alloc 69632 256 " + std::to_string(DK_ALLOC_COMMIT | DK_ALLOC_REPLACE) + " 3",
                                                 "protect 69632 256 1", "protect 69632 256 3", "free 69632 256",
                                                 "exception_return 4198964", "thread_exit", "process_exit 3"}));
  TraceReader current2(path), old2(old_bytes);
  EXPECT_EQ(rendered(old2), rendered(current2));
}

}  // namespace
}  // namespace dk
