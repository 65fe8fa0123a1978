// Writing format 1.0 traces, which this dk no longer writes, for the tests that check old
// traces read, replay, diff and print as the same run in the current format does. Format 1.0
// (docs/formats.md) had no launch in the header, no clock, idle or checksum records, no next
// picoprocess in schedule records and no effect lists: a mapping's bytes sat in the
// downcall's output bytes.
#pragma once

#include <gtest/gtest.h>
#include <xxhash.h>
#include <zstd.h>

#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dk/calls.h"
#include "dk/trace_file.h"
#include "dk/trace_format.h"

namespace dk::test {

inline void put_le(std::vector<uint8_t>& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// The 1.0 header body: the current one without the launch fields that 1.1 appended.
inline std::vector<uint8_t> header_body_1_0(TraceHeader h) {
  h.launch = {};
  std::vector<uint8_t> body;
  encode_header(h, body);
  // An empty launch: image and compressed lengths (u64 each), name (str), argument and
  // environment counts (u32 each), stack size (u64), three URIs (str), four run options (u64).
  constexpr size_t kEmptyLaunch = 8 + 8 + 4 + 4 + 4 + 8 + 3 * 4 + 4 * 8;
  body.resize(body.size() - kEmptyLaunch);
  return body;
}

// A record as a 1.0 recorder wrote it: what 1.0 could not say is dropped, a mapping's
// written bytes become its output bytes.
inline void encode_record_1_0(TraceRecord r, std::vector<uint8_t>& out) {
  if (static_cast<uint8_t>(r.kind) > static_cast<uint8_t>(RecordKind::End))
    throw std::runtime_error(std::string("a ") + record_kind_name(r.kind) + " record has no 1.0 form");
  if (r.kind == RecordKind::Downcall) {
    DowncallRecord& c = r.call;
    if (c.index == calls::DkStreamMap) {
      c.out_bytes.clear();
      c.fields &= ~kHasOutBytes;
      for (const Effect& e : c.effects)
        if (e.op == EffectOp::MemoryWrite && e.result == 1) {
          c.out_bytes.insert(c.out_bytes.end(), e.bytes.begin(), e.bytes.end());
          c.fields |= kHasOutBytes;
        }
    }
    c.effects.clear();
    c.fields &= ~kHasEffects;
  }
  const size_t at = out.size();
  encode_record(r, out);
  if (r.kind == RecordKind::Schedule) {  // 1.0 ends before the next picoprocess
    out.resize(out.size() - 4);
    uint32_t len;
    memcpy(&len, out.data() + at + 1, 4);
    len -= 4;
    memcpy(out.data() + at + 1, &len, 4);
  }
}

// A 1.0 file around payloads already encoded: header, then one chunk per (records, bytes).
inline std::vector<uint8_t> file_1_0(const TraceHeader& h,
                                     const std::vector<std::pair<uint32_t, std::vector<uint8_t>>>& chunks) {
  const std::vector<uint8_t> body = header_body_1_0(h);
  std::vector<uint8_t> out(kTraceMagic, kTraceMagic + 8);
  put_le(out, 1, 2);
  put_le(out, 0, 2);
  put_le(out, body.size(), 4);
  out.insert(out.end(), body.begin(), body.end());
  put_le(out, XXH3_64bits(out.data(), out.size()), 8);
  uint32_t seq = 0;
  for (const auto& [records, payload] : chunks) {
    std::vector<uint8_t> z(ZSTD_compressBound(payload.size()));
    z.resize(ZSTD_compress(z.data(), z.size(), payload.data(), payload.size(), 1));
    std::vector<uint8_t> ch(kChunkMagic, kChunkMagic + 4);
    put_le(ch, seq++, 4);
    put_le(ch, records, 4);
    put_le(ch, payload.size(), 4);
    put_le(ch, z.size(), 4);
    put_le(ch, XXH3_64bits(z.data(), z.size()), 8);
    put_le(ch, static_cast<uint32_t>(XXH3_64bits(ch.data(), 28)), 4);
    out.insert(out.end(), ch.begin(), ch.end());
    out.insert(out.end(), z.begin(), z.end());
  }
  return out;
}

// A whole 1.0 file: header, then chunks of `chunk_records` records.
inline std::vector<uint8_t> trace_1_0(const TraceHeader& h, const std::vector<TraceRecord>& recs,
                                      size_t chunk_records = 4) {
  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> chunks;
  for (size_t first = 0; first < recs.size(); first += chunk_records) {
    auto& [n, payload] = chunks.emplace_back();
    for (n = 0; n < chunk_records && first + n < recs.size(); ++n) encode_record_1_0(recs[first + n], payload);
  }
  return file_1_0(h, chunks);
}

// The 1.0 form of a current trace: the same run as a 1.0 recorder would have written it.
inline std::vector<uint8_t> downgrade_to_1_0(const std::string& path) {
  TraceReader in(path);
  std::vector<TraceRecord> recs;
  TraceRecord r;
  while (in.next(r)) recs.push_back(r);
  return trace_1_0(in.header(), recs);
}

}  // namespace dk::test
