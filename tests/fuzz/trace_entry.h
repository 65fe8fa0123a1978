// fuzz_trace: the .dktrace reader on arbitrary bytes. Only TraceError may escape. The first
// byte picks how the rest is read: as a whole file (mode bit 0 clear), or as header and
// record bytes that this target frames itself with valid magic, lengths, checksums and zstd
// compression (bit 0 set), so that mutations reach the record decoder behind the checksums.
//   framed input: mode, [u16 n, n header-body bytes unless bit 2], then chunks:
//   u8 records, u16 n, n record bytes; repeated to the end of the input.
// Bit 1 selects a strict reader; bit 3 frames a format 1.0 trace (its records are converted
// to the current shape when read). Every record read is rendered, as `dk trace show` would.
#pragma once

#include <zstd.h>

#include <cstring>
#include <span>
#include <vector>

#include "dk/trace_file.h"
#include "dk/trace_format.h"
#include "dk/trace_render.h"
#include "fuzz_input.h"

namespace dk::fuzz {

inline void put_le(std::vector<uint8_t>& out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// A trace file around header-body and record bytes from the input.
inline std::vector<uint8_t> frame_trace(FuzzInput& in, bool default_header, bool format_1_0) {
  std::vector<uint8_t> body;
  if (default_header) {
    TraceHeader h;
    h.host_kind = "sim";
    h.image_name = "fuzz";
    encode_header(h, body);
    // 1.0 headers end before the launch, which is 80 bytes when empty.
    if (format_1_0) body.resize(body.size() - 80);
  } else {
    auto b = in.bytes(in.u16());
    body.assign(b.begin(), b.end());
  }
  std::vector<uint8_t> out = {'D', 'K', 'T', 'R', 'A', 'C', 'E', 0x1a};
  put_le(out, kTraceFormatMajor, 2);
  put_le(out, format_1_0 ? 0 : kTraceFormatMinor, 2);
  put_le(out, body.size(), 4);
  out.insert(out.end(), body.begin(), body.end());
  put_le(out, trace_hash(out.data(), out.size()), 8);

  for (uint32_t seq = 0; !in.empty() && seq < 64; ++seq) {
    const uint32_t records = in.u8();
    auto payload = in.bytes(in.u16());
    std::vector<uint8_t> z(ZSTD_compressBound(payload.size()));
    const size_t zn = ZSTD_compress(z.data(), z.size(), payload.data(), payload.size(), 1);
    if (ZSTD_isError(zn)) finding("zstd failed on the fuzz payload");
    z.resize(zn);
    std::vector<uint8_t> h = {'D', 'K', 'C', 'H'};
    put_le(h, seq, 4);
    put_le(h, records, 4);
    put_le(h, payload.size(), 4);
    put_le(h, z.size(), 4);
    put_le(h, trace_hash(z.data(), z.size()), 8);
    put_le(h, static_cast<uint32_t>(trace_hash(h.data(), 28)), 4);
    out.insert(out.end(), h.begin(), h.end());
    out.insert(out.end(), z.begin(), z.end());
  }
  return out;
}

inline void fuzz_trace(std::span<const uint8_t> data) {
  FuzzInput in(data);
  const uint8_t mode = in.u8();
  std::vector<uint8_t> file;
  if (mode & 1) {
    file = frame_trace(in, mode & 4, mode & 8);
  } else {
    auto rest = in.rest();
    file.assign(rest.begin(), rest.end());
  }
  TraceReaderOptions opts;
  opts.strict = mode & 2;
  try {
    TraceReader reader(std::move(file), opts);
    (void)reader.header();
    TraceRecord r;
    for (int n = 0; n < 100000 && reader.next(r); ++n) {
      (void)render_record(r);
      (void)record_json(r);
      (void)first_difference(r, r);
    }
  } catch (const TraceError&) {
  }
}

}  // namespace dk::fuzz
