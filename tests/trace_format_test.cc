// The .dktrace file: every record kind round-trips; a flipped byte in the header, a chunk
// header or a chunk payload is reported with its offset; a file cut anywhere reads as its
// whole chunks and then a clean "cut short" end; garbage is a TraceError, never a crash.
#include <gtest/gtest.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>

#include "dk/trace_file.h"
#include "dk/trace_render.h"
#include "trace_1_0.h"

namespace dk {
namespace {

std::string temp_path(const char* name) {
  return ::testing::TempDir() + "/dk_" + name + "_" + std::to_string(getpid()) + ".dktrace";
}

std::vector<uint8_t> slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TraceHeader sample_header() {
  TraceHeader h;
  h.flags = 0;
  h.seed = 42;
  h.host_kind = "sim";
  h.unicorn_version = "2.1.1";
  h.image_name = "hello.elf";
  h.image_hash = 0x1122334455667788ull;
  h.files = {{"package:/bin/hello", 1}, {"package:/etc/motd", 2}};
  h.cpuid = {1, 2, 3, 4, 5};
  h.command_line = {"dk", "record", "hello.elf"};
  return h;
}

TraceRecord downcall(uint32_t index, uint64_t tick) {
  TraceRecord r;
  r.kind = RecordKind::Downcall;
  r.tick = tick;
  r.pid = 1;
  r.thread = 1;
  r.rip = 0x401000 + tick;
  r.call.index = index;
  for (int i = 0; i < 6; ++i) r.call.reg[i] = r.call.in_val[i] = 0x10000 + i * 8;
  return r;
}

// One record of every kind, and downcalls carrying every optional field.
std::vector<TraceRecord> sample_records() {
  std::vector<TraceRecord> v;
  TraceRecord up;
  up.kind = RecordKind::Upcall;
  up.upcall = {kUpcallInit, 0x401000, 0x7000};
  v.push_back(up);

  TraceRecord w = downcall(calls::DkStreamWrite, 10);
  w.call.fields = kHasInBytes;
  w.call.in_bytes = {'h', 'i', '\n'};
  w.call.in_len = 3;
  w.call.in_hash = trace_hash(w.call.in_bytes.data(), 3);
  w.call.written = 1 << 3;
  w.call.out_val[3] = 3;
  v.push_back(w);

  TraceRecord o = downcall(calls::DkStreamOpen, 20);
  o.call.fields = kHasUri;
  o.call.uri = "file:/tmp/x";
  o.call.status = -DK_E_NOENT;
  v.push_back(o);

  TraceRecord wait = downcall(calls::DkObjectsWaitAny, 30);
  wait.call.fields = kHasHandles;
  wait.call.handles = {0x10, 0x11, 0x12};
  v.push_back(wait);

  TraceRecord er = downcall(calls::DkExceptionReturn, 40);
  er.call.fields = kHasContext;
  er.call.ctx.rip = 0x401234;
  er.call.ctx.fxsave[511] = 7;
  v.push_back(er);

  TraceRecord set = downcall(calls::DkStreamAttributesSetByHandle, 50);
  set.call.fields = kHasAttrIn;
  set.call.attr_in.nonblocking = 1;
  v.push_back(set);

  TraceRecord q = downcall(calls::DkStreamAttributesQueryByHandle, 60);
  q.call.fields = kHasAttrOut;
  q.call.attr_out = {DK_STREAM_FILE, 0644, 12, 1, 1, 0, 0};
  v.push_back(q);

  TraceRecord si = downcall(calls::DkSystemInfoQuery, 70);
  si.call.fields = kHasSysinfo;
  si.call.room = 80;
  si.call.sysinfo.page_size = 4096;
  memcpy(si.call.sysinfo.host_name, "native", 7);
  v.push_back(si);

  TraceRecord rd = downcall(calls::DkStreamRead, 80);
  rd.call.fields = kHasOutBytes;
  rd.call.room = 64;
  rd.call.out_bytes.assign(300, 0xab);
  rd.call.written = 1 << 3;
  rd.call.out_val[3] = 300;
  v.push_back(rd);

  TraceRecord hashed = downcall(calls::DkDebugOutput, 90);  // DkDebugOutput, input kept as a hash
  hashed.call.fields = kHasInBytes | kInHashed;
  hashed.call.in_len = 1000;
  hashed.call.in_hash = 0xfeed;
  v.push_back(hashed);

  TraceRecord s;
  s.kind = RecordKind::Schedule;
  s.tick = 100;
  s.thread = 1;
  s.schedule = {2, kScheduleYield};
  v.push_back(s);
  TraceRecord ex;
  ex.kind = RecordKind::Exception;
  ex.tick = 110;
  ex.thread = 2;
  ex.exception = {DK_EXCEPTION_MEMFAULT, DK_MEMFAULT_WRITE, 0xdead0000};
  v.push_back(ex);
  TraceRecord ft;
  ft.kind = RecordKind::ForeignTrap;
  ft.tick = 120;
  ft.trap = {DK_TRAP_SYSCALL, 60};
  v.push_back(ft);
  TraceRecord ts;
  ts.kind = RecordKind::Rdtsc;
  ts.tick = 130;
  ts.rdtsc = 123456789;
  v.push_back(ts);
  // Many small records so the file has several chunks.
  for (uint64_t t = 200; t < 260; ++t) {
    TraceRecord y = downcall(calls::DkThreadYieldExecution, t);
    v.push_back(y);
  }
  TraceRecord end;
  end.kind = RecordKind::End;
  end.tick = 999;
  end.end = {0, 3, "exited"};
  v.push_back(end);
  return v;
}

void write_trace(const std::string& path, const std::vector<TraceRecord>& recs, uint32_t chunk_records = 8) {
  TraceWriterOptions o;
  o.chunk_records = chunk_records;
  TraceWriter w(path, sample_header(), o);
  for (const auto& r : recs) w.append(r);
  w.close();
}

std::vector<TraceRecord> read_all(TraceReader& r) {
  std::vector<TraceRecord> v;
  TraceRecord rec;
  while (r.next(rec)) v.push_back(rec);
  return v;
}

std::string error_of(std::vector<uint8_t> bytes) {
  try {
    TraceReader r(std::move(bytes));
    read_all(r);
  } catch (const TraceError& e) {
    return e.what();
  }
  return "";
}

// Offsets of every chunk: parsed from the framing as docs/formats.md describes it.
struct Layout {
  uint64_t header_end = 0;
  std::vector<uint64_t> chunks;  // offsets
  std::vector<uint32_t> records; // records per chunk
};

Layout layout_of(const std::vector<uint8_t>& f) {
  Layout l;
  uint32_t len;
  memcpy(&len, f.data() + 12, 4);
  l.header_end = 16 + len + 8;
  uint64_t pos = l.header_end;
  while (pos + 32 <= f.size()) {
    uint32_t clen, nrec;
    memcpy(&nrec, f.data() + pos + 8, 4);
    memcpy(&clen, f.data() + pos + 16, 4);
    l.chunks.push_back(pos);
    l.records.push_back(nrec);
    pos += 32 + clen;
  }
  EXPECT_EQ(pos, f.size());
  return l;
}

class TraceFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path = temp_path(::testing::UnitTest::GetInstance()->current_test_info()->name());
    recs = sample_records();
    write_trace(path, recs);
    bytes = slurp(path);
    layout = layout_of(bytes);
  }
  void TearDown() override { unlink(path.c_str()); }
  std::string path;
  std::vector<TraceRecord> recs;
  std::vector<uint8_t> bytes;
  Layout layout;
};

TEST_F(TraceFileTest, EveryRecordKindRoundTrips) {
  TraceReader r(path);
  EXPECT_EQ(r.header(), sample_header());
  auto got = read_all(r);
  ASSERT_EQ(got.size(), recs.size());
  for (size_t i = 0; i < recs.size(); ++i)
    EXPECT_EQ(first_difference(recs[i], got[i]), "") << i << ": " << render_record(got[i]);
  EXPECT_FALSE(r.cut_short());
  EXPECT_TRUE(r.saw_end());
  EXPECT_GT(layout.chunks.size(), 5u);
  EXPECT_EQ(r.chunks_read(), layout.chunks.size());
  // Field-level content the comparison above covers only through hashes or bytes.
  EXPECT_EQ(got[4].call.ctx.fxsave[511], 7);
  EXPECT_EQ(got[9].call.in_len, 1000u);
  EXPECT_TRUE(got[9].call.in_bytes.empty());
}

TEST_F(TraceFileTest, MemoryReaderMatchesFileReader) {
  TraceReader r(bytes);
  EXPECT_EQ(read_all(r).size(), recs.size());
}

TEST_F(TraceFileTest, ChunkThresholdBySize) {
  const std::string p2 = path + ".2";
  TraceWriterOptions o;
  o.chunk_bytes = 100;  // every record over 100 bytes closes its chunk at once
  {
    TraceWriter w(p2, sample_header(), o);
    for (const auto& r : recs) w.append(r);
    // Written as they fill: a reader sees whole chunks before close().
    EXPECT_GT(w.chunks(), 1u);
    TraceReader early(p2);
    EXPECT_GT(read_all(early).size(), 0u);
    EXPECT_TRUE(early.cut_short());
  }
  TraceReader r(p2);
  EXPECT_EQ(read_all(r).size(), recs.size());
  unlink(p2.c_str());
}

TEST_F(TraceFileTest, FlippedHeaderBytes) {
  auto b = bytes;
  b[0] ^= 0xff;
  EXPECT_EQ(error_of(b), "trace: header: not a Dk trace (bad magic)");
  b = bytes;
  b[8] = 2;  // format major
  EXPECT_NE(error_of(b).find("trace: header at offset 8: format version 2.1 is not supported"), std::string::npos)
      << error_of(b);
  const std::string sum = "trace: header at offset " + std::to_string(layout.header_end - 8) + ": checksum mismatch";
  for (uint64_t i = 10; i < layout.header_end; ++i) {
    if (i >= 12 && i < 16) continue;  // the length field: tested below
    b = bytes;
    b[i] ^= 0x01;
    EXPECT_NE(error_of(b).find(sum), std::string::npos) << "byte " << i << ": " << error_of(b);
  }
  b = bytes;
  b[15] = 0x7f;  // header length ~2 GiB
  EXPECT_NE(error_of(b).find("trace: header at offset 12: absurd header length"), std::string::npos) << error_of(b);
  b = bytes;
  b[12] += 1;
  EXPECT_NE(error_of(b).find("trace: header"), std::string::npos);
}

// A newer major version (its header checksum holds) is not damage; the same field flipped
// (the checksum no longer holds) is.
TEST_F(TraceFileTest, NewerVersionIsToldFromADamagedOne) {
  auto b = bytes;
  b[8] = 2;
  const uint64_t sum_at = layout.header_end - 8;
  const uint64_t sum = XXH3_64bits(b.data(), sum_at);
  memcpy(b.data() + sum_at, &sum, 8);
  try {
    TraceReader r(b);
    FAIL() << "a format 2 trace was read";
  } catch (const TraceError& e) {
    EXPECT_FALSE(e.damaged()) << e.what();
    EXPECT_EQ(std::string(e.what()).rfind(
                  "trace: header at offset 8: format version 2.1 is not supported", 0),
              0u);
  }
  b = bytes;
  b[8] = 2;
  try {
    TraceReader r(b);
    FAIL() << "a damaged version was read";
  } catch (const TraceError& e) {
    EXPECT_TRUE(e.damaged()) << e.what();
    EXPECT_EQ(e.offset(), 8u);
    EXPECT_EQ(e.fault().rfind("header: format version 2.1 is not supported", 0), 0u) << e.fault();
  }
}

TEST_F(TraceFileTest, FlippedChunkPayloadByte) {
  for (size_t k = 0; k < layout.chunks.size(); ++k) {
    auto b = bytes;
    const uint64_t at = layout.chunks[k];
    b[at + 32 + 3] ^= 0x40;
    EXPECT_EQ(error_of(b), "trace: chunk " + std::to_string(k) + " at offset " + std::to_string(at) + ": checksum mismatch");
  }
}

TEST_F(TraceFileTest, FlippedChunkHeaderBytes) {
  const size_t k = 3;
  const uint64_t at = layout.chunks[k];
  for (uint64_t i = 0; i < 32; ++i) {
    auto b = bytes;
    b[at + i] ^= 0x10;
    const std::string want = "trace: chunk 3 at offset " + std::to_string(at) + ": " +
                             (i < 4 ? "bad chunk magic" : "chunk header checksum mismatch");
    EXPECT_EQ(error_of(b), want) << "byte " << i;
  }
}

TEST_F(TraceFileTest, TruncatedAtEveryChunkBoundary) {
  uint32_t before = 0;
  for (size_t k = 0; k <= layout.chunks.size(); ++k) {
    const uint64_t end = k < layout.chunks.size() ? layout.chunks[k] : bytes.size();
    TraceReader r(std::vector<uint8_t>(bytes.begin(), bytes.begin() + end));
    EXPECT_EQ(read_all(r).size(), before) << "cut at chunk " << k;
    const bool whole = k == layout.chunks.size();
    EXPECT_EQ(r.cut_short(), !whole);
    if (!whole) {
      EXPECT_NE(r.cut_short_reason().find("without an end record"), std::string::npos);
    }
    if (k < layout.records.size()) before += layout.records[k];
  }
}

TEST_F(TraceFileTest, TruncatedAnywhereReadsTheWholeChunksBefore) {
  size_t k = 0;
  uint32_t complete = 0;
  for (uint64_t end = layout.header_end; end < bytes.size(); ++end) {
    while (k < layout.chunks.size() && (k + 1 == layout.chunks.size() ? bytes.size() : layout.chunks[k + 1]) <= end) {
      complete += layout.records[k];
      ++k;
    }
    TraceReader r(std::vector<uint8_t>(bytes.begin(), bytes.begin() + end));
    EXPECT_EQ(read_all(r).size(), complete) << "cut at " << end;
    ASSERT_TRUE(r.cut_short());
    if (end != layout.chunks[k]) {
      EXPECT_EQ(r.cut_short_reason().rfind("trace: truncated chunk at offset " + std::to_string(layout.chunks[k]), 0), 0u)
          << r.cut_short_reason();
    }
  }
}

TEST_F(TraceFileTest, StrictReaderRefusesACutTrace) {
  const uint64_t end = layout.chunks[2] + 40;
  TraceReaderOptions o;
  o.strict = true;
  TraceReader r(std::vector<uint8_t>(bytes.begin(), bytes.begin() + end), o);
  EXPECT_THROW(read_all(r), TraceError);
}

TEST_F(TraceFileTest, TruncatedHeader) {
  for (uint64_t end : {uint64_t{1}, uint64_t{7}, uint64_t{8}, uint64_t{15}, uint64_t{16}, layout.header_end - 1}) {
    const std::string e = error_of(std::vector<uint8_t>(bytes.begin(), bytes.begin() + end));
    EXPECT_EQ(e.rfind("trace: header: truncated at offset", 0), 0u) << end << ": " << e;
  }
}

TEST(TraceGarbage, EmptyAndForeignFiles) {
  EXPECT_EQ(error_of({}), "trace: header: empty file, not a Dk trace");
  const std::string elf = "\x7f" "ELF\x02\x01\x01";
  EXPECT_EQ(error_of(std::vector<uint8_t>(elf.begin(), elf.end())), "trace: header: not a Dk trace (bad magic)");
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200; ++i) {
    std::vector<uint8_t> g(rng() % 4096);
    for (auto& c : g) c = static_cast<uint8_t>(rng());
    if (i % 2) memcpy(g.data(), kTraceMagic, std::min<size_t>(8, g.size()));  // magic, then noise
    EXPECT_NE(error_of(g), "") << i;
  }
  EXPECT_THROW(TraceReader("/nonexistent/x.dktrace"), TraceError);
}

// Random damage (flipped bytes, sometimes a cut) is always detected: the reader throws a
// TraceError naming where, or, when no damaged byte is one it reads, returns exactly the
// records before the damage. The one place it provably never reads is the tail a cut leaves:
// the last, incomplete chunk (its payload never; its 32-byte header only when all of it
// remains, and then its check catches a flip). So a flip there is no silent acceptance: the
// reader stops before it and says the trace was cut short.
TEST_F(TraceFileTest, RandomDamageIsAlwaysDetected) {
  std::mt19937_64 rng(11);
  int errors = 0, hidden = 0;
  for (int i = 0; i < 1000; ++i) {
    auto b = bytes;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) b[rng() % b.size()] ^= static_cast<uint8_t>(1 + rng() % 255);
    if (rng() % 3 == 0) b.resize(rng() % b.size());
    const uint64_t cut = b.size();
    std::optional<uint64_t> first;  // the first damaged byte that is still in the file
    for (uint64_t k = 0; k < cut && !first; ++k)
      if (b[k] != bytes[k]) first = k;
    // The chunk the cut goes through (its start), and the records of the chunks before it.
    uint64_t partial = cut;
    size_t whole_records = 0;
    auto chunk_of = [&](uint64_t at) {
      size_t k = 0;
      while (k + 1 < layout.chunks.size() && layout.chunks[k + 1] <= at) ++k;
      return k;
    };
    for (size_t k = 0; k < layout.chunks.size(); ++k) {
      const uint64_t end = k + 1 < layout.chunks.size() ? layout.chunks[k + 1] : bytes.size();
      if (end <= cut)
        whole_records += layout.records[k];
      else if (layout.chunks[k] < cut)
        partial = layout.chunks[k];
    }
    const bool damage_unread =
        first && *first >= partial &&
        (cut - partial < kChunkHeaderSize || *first >= partial + kChunkHeaderSize);
    SCOPED_TRACE("case " + std::to_string(i) + ", cut at " + std::to_string(cut) +
                 ", first damaged byte " + (first ? std::to_string(*first) : "none"));
    std::vector<TraceRecord> got;
    std::optional<TraceError> err;
    bool was_cut = false;
    try {
      TraceReader r(b);
      got = read_all(r);
      was_cut = r.cut_short();
    } catch (const TraceError& e) {
      err = e;
    }
    if (cut < layout.header_end) {  // the header itself is incomplete
      ASSERT_TRUE(err.has_value());
      ++errors;
      continue;
    }
    if (!first || damage_unread) {
      ASSERT_FALSE(err.has_value()) << err->what();
      if (first) ++hidden;
      EXPECT_EQ(was_cut, cut < bytes.size());
      ASSERT_EQ(got.size(), cut < bytes.size() ? whole_records : recs.size());
      for (size_t k = 0; k < got.size(); ++k) EXPECT_EQ(first_difference(recs[k], got[k]), "") << k;
      continue;
    }
    ASSERT_TRUE(err.has_value()) << "damage at byte " << *first << " was not detected";
    ++errors;
    const std::string what = err->what();
    if (*first < layout.header_end) {
      EXPECT_EQ(what.rfind("trace: header", 0), 0u) << what;
      EXPECT_TRUE(err->damaged() || what.find("not a Dk trace") != std::string::npos) << what;
    } else {
      const size_t k = chunk_of(*first);
      EXPECT_TRUE(err->damaged()) << what;
      EXPECT_EQ(what.rfind("trace: chunk " + std::to_string(k) + " at offset ", 0), 0u) << what;
      EXPECT_GE(err->offset(), layout.chunks[k]) << what;
      EXPECT_LE(err->offset(), *first) << what;
      EXPECT_EQ(err->fault().rfind("chunk " + std::to_string(k) + ": ", 0), 0u) << err->fault();
    }
  }
  // Both outcomes occurred, so the loop checked each rule.
  EXPECT_GT(errors, 500);
  EXPECT_GT(hidden, 0);
}

// A chunk whose framing is intact (checksums recomputed) but whose record lies about its
// length: the record decoder catches it without reading past its record.
TEST(TraceRecords, LyingRecordLengthIsCaught) {
  const std::string p = temp_path("lying");
  write_trace(p, {downcall(calls::DkThreadYieldExecution, 1)});
  auto file = slurp(p);
  unlink(p.c_str());
  const Layout l = layout_of(file);
  file.resize(l.header_end);

  std::vector<uint8_t> payload;
  encode_record(downcall(calls::DkThreadYieldExecution, 1), payload);
  encode_record(downcall(calls::DkThreadYieldExecution, 2), payload);
  uint32_t len;
  memcpy(&len, payload.data() + 1, 4);
  len -= 4;  // the first record claims 4 bytes fewer than its fields take
  memcpy(payload.data() + 1, &len, 4);

  std::vector<uint8_t> z(ZSTD_compressBound(payload.size()));
  z.resize(ZSTD_compress(z.data(), z.size(), payload.data(), payload.size(), 1));
  uint8_t h[32];
  const uint32_t seq = 0, nrec = 2, ulen = static_cast<uint32_t>(payload.size()), clen = static_cast<uint32_t>(z.size());
  const uint64_t sum = XXH3_64bits(z.data(), z.size());
  memcpy(h, kChunkMagic, 4);
  memcpy(h + 4, &seq, 4);
  memcpy(h + 8, &nrec, 4);
  memcpy(h + 12, &ulen, 4);
  memcpy(h + 16, &clen, 4);
  memcpy(h + 20, &sum, 8);
  const uint32_t check = static_cast<uint32_t>(XXH3_64bits(h, 28));
  memcpy(h + 28, &check, 4);
  file.insert(file.end(), h, h + 32);
  file.insert(file.end(), z.begin(), z.end());
  const std::string e = error_of(file);
  EXPECT_EQ(e.rfind("trace: chunk 0 at offset " + std::to_string(l.header_end) + ": record at payload offset ", 0), 0u) << e;
}

// Format 1.0 (no launch, no effect lists, no next picoprocess in schedule records) reads in
// the current shape: the same records, and the effects the downcalls implied.
TEST(TraceFormat1_0, ReadsInTheCurrentShape) {
  const std::vector<TraceRecord> recs = sample_records();
  TraceReader r(test::trace_1_0(sample_header(), recs, 8));
  TraceHeader want = sample_header();
  want.format_minor = 0;
  EXPECT_EQ(r.header(), want);
  const auto got = read_all(r);
  ASSERT_EQ(got.size(), recs.size());
  EXPECT_TRUE(r.saw_end());
  EXPECT_FALSE(r.cut_short());
  for (size_t i = 0; i < recs.size(); ++i) {
    if (recs[i].kind == RecordKind::Downcall && recs[i].call.index == calls::DkExceptionReturn) {
      // The one call of the sample that acts on the picoprocess: its context, returned to.
      EXPECT_EQ(first_difference(recs[i], got[i]), "effects");
      ASSERT_EQ(got[i].call.effects.size(), 1u);
      const Effect& e = got[i].call.effects[0];
      EXPECT_EQ(e.op, EffectOp::ExceptionReturn);
      ASSERT_EQ(e.bytes.size(), sizeof(dk_context));
      EXPECT_EQ(memcmp(e.bytes.data(), &recs[i].call.ctx, sizeof(dk_context)), 0);
      EXPECT_EQ(got[i].call.fields, recs[i].call.fields | kHasEffects);
      continue;
    }
    EXPECT_EQ(first_difference(recs[i], got[i]), "") << i << ": " << render_record(got[i]);
    EXPECT_TRUE(got[i].call.effects.empty()) << i;
  }
}

// What later formats added is damage in a 1.0 trace, named precisely; a current schedule
// record must carry its next picoprocess.
TEST(TraceFormat1_0, LaterFieldsAreRefused) {
  auto error_1_0 = [](const TraceRecord& rec, size_t cut = 0) {
    std::vector<uint8_t> payload;
    encode_record(rec, payload);
    if (cut) {  // drop the last `cut` bytes of the body
      payload.resize(payload.size() - cut);
      uint32_t len;
      memcpy(&len, payload.data() + 1, 4);
      len -= static_cast<uint32_t>(cut);
      memcpy(payload.data() + 1, &len, 4);
    }
    return error_of(test::file_1_0(sample_header(), {{1u, payload}}));
  };
  TraceRecord clock;
  clock.kind = RecordKind::Clock;
  clock.clock = 5;
  std::string e = error_1_0(clock);
  EXPECT_NE(e.find("record at payload offset 0: record kind 8 is not in format 1.0"), std::string::npos) << e;

  TraceRecord y = downcall(calls::DkThreadYieldExecution, 1);
  y.call.fields = kHasEffects;
  y.call.effects.emplace_back().op = EffectOp::Yield;
  e = error_1_0(y);
  EXPECT_NE(e.find("record at payload offset 33: field bits of a later format in a format 1.0 record"),
            std::string::npos)
      << e;

  TraceRecord s;
  s.kind = RecordKind::Schedule;
  s.schedule = {2, kScheduleYield, 1};
  e = error_1_0(s);  // with the next picoprocess, which 1.0 did not have
  EXPECT_NE(e.find("record length 36 leaves 4 bytes after its fields"), std::string::npos) << e;
  EXPECT_EQ(error_1_0(s, 4), "");

  // A current trace whose schedule record stops before the next picoprocess.
  std::vector<uint8_t> payload;
  encode_record(s, payload);
  payload.resize(payload.size() - 4);
  uint32_t len = 32;
  memcpy(payload.data() + 1, &len, 4);
  std::vector<uint8_t> file = test::file_1_0(sample_header(), {{1u, payload}});
  // The same framing as 1.1: the version field and the launch fields the header then needs.
  std::vector<uint8_t> body;
  encode_header(sample_header(), body);
  std::vector<uint8_t> cur(kTraceMagic, kTraceMagic + 8);
  test::put_le(cur, 1, 2);
  test::put_le(cur, 1, 2);
  test::put_le(cur, body.size(), 4);
  cur.insert(cur.end(), body.begin(), body.end());
  test::put_le(cur, XXH3_64bits(cur.data(), cur.size()), 8);
  const size_t old_header = 16 + test::header_body_1_0(sample_header()).size() + 8;
  cur.insert(cur.end(), file.begin() + old_header, file.end());
  e = error_of(cur);
  EXPECT_NE(e.find("record at payload offset 37: next pid: needs 4 bytes, 0 left"), std::string::npos) << e;
}

TEST(TraceRender, StraceLikeLines) {
  TraceRecord w = downcall(calls::DkStreamWrite, 1234);
  w.call.reg[0] = w.call.in_val[0] = 0x11;
  w.call.reg[1] = w.call.in_val[1] = 0;
  w.call.in_val[3] = 3;
  w.call.fields = kHasInBytes;
  w.call.in_bytes = {'h', 'i', '\n'};
  w.call.in_len = 3;
  w.call.written = 1 << 3;
  w.call.out_val[3] = 3;
  EXPECT_EQ(render_call(w.call), "DkStreamWrite(stream=0x11, offset=0, buf=\"hi\\n\", count=3) = 0");
  w.thread = 2;
  EXPECT_EQ(render_record(w).rfind("[1234 2] DkStreamWrite(", 0), 0u);

  w.call.in_bytes.assign(100, 'x');
  w.call.in_bytes[0] = 0x01;
  EXPECT_NE(render_call(w.call).find("buf=\"\\x01xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"..."), std::string::npos)
      << render_call(w.call);

  TraceRecord o = downcall(calls::DkStreamOpen, 5);
  o.call.fields = kHasUri;
  o.call.uri = "file:/missing";
  o.call.status = -DK_E_NOENT;
  EXPECT_EQ(render_call(o.call).rfind("DkStreamOpen(uri=\"file:/missing\", ", 0), 0u);
  EXPECT_EQ(render_call(o.call).substr(render_call(o.call).size() - 11), " = -6 NOENT");

  TraceRecord rd = downcall(calls::DkStreamRead, 5);  // a read shows what it got, and the count it returned
  rd.call.in_val[3] = 64;
  rd.call.fields = kHasOutBytes;
  rd.call.out_bytes = {'o', 'k'};
  rd.call.written = 1 << 3;
  rd.call.out_val[3] = 2;
  EXPECT_NE(render_call(rd.call).find("buf=\"ok\", count=64->2) = 0"), std::string::npos) << render_call(rd.call);
  EXPECT_NE(record_json(rd).find("\"call\":\"DkStreamRead\""), std::string::npos);
}

}  // namespace
}  // namespace dk
