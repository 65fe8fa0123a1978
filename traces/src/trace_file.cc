// The file framing: header (magic, version, length, body, checksum), then chunks (a 32-byte
// header with its own check, then a zstd frame). Every number read from the file is checked
// against the limits and the bytes that remain before anything is allocated from it.
#include "dk/trace_file.h"

#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "byte_codec.h"

namespace dk {

namespace {

// Each frame is compressed in one call, so the writers of a thread can share one context; a
// fresh context per trace costs more than a short run's whole recording (its tables are
// allocated and cleared on first use).
ZSTD_CCtx_s* thread_compressor() {
  struct Free {
    void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
  };
  static thread_local std::unique_ptr<ZSTD_CCtx, Free> cctx(ZSTD_createCCtx());
  return cctx.get();
}

}  // namespace

using trace_detail::ByteReader;
using trace_detail::DecodeError;

namespace {

constexpr size_t kFixedHeader = 16;  // magic, version, body length

std::string at(uint64_t offset) { return " at offset " + std::to_string(offset); }

// Bytes that are not what the format says: `where` is "header" or "chunk K".
[[noreturn]] void damage(const std::string& where, uint64_t offset, const std::string& what) {
  throw TraceError("trace: " + where + at(offset) + ": " + what, offset, where + ": " + what);
}

struct ChunkHeader {
  uint32_t seq, records, ulen, clen;
  uint64_t payload_hash;
  uint32_t check;
};

uint32_t header_check(const uint8_t* h) { return static_cast<uint32_t>(XXH3_64bits(h, 28)); }

void put_chunk_header(uint8_t* h, const ChunkHeader& c) {
  memcpy(h, kChunkMagic, 4);
  memcpy(h + 4, &c.seq, 4);
  memcpy(h + 8, &c.records, 4);
  memcpy(h + 12, &c.ulen, 4);
  memcpy(h + 16, &c.clen, 4);
  memcpy(h + 20, &c.payload_hash, 8);
  const uint32_t check = header_check(h);
  memcpy(h + 28, &check, 4);
}

}  // namespace

// ---- Writer ----

TraceWriter::TraceWriter(const std::string& path, const TraceHeader& header, TraceWriterOptions opts)
    : path_(path), header_(header), opts_(opts) {
  try {
    open_and_write_header();
  } catch (...) {
    // A constructor that throws runs no destructor: release here.
    if (f_) fclose(f_);
    f_ = nullptr;
    cctx_ = nullptr;
    throw;
  }
}

void TraceWriter::open_and_write_header() {
  header_.format_major = kTraceFormatMajor;
  header_.format_minor = kTraceFormatMinor;
  if (opts_.chunk_bytes == 0 || opts_.chunk_bytes > kChunkPayloadMax / 2) opts_.chunk_bytes = 256u << 10;
  if (opts_.chunk_records == 0) opts_.chunk_records = 1;
  f_ = fopen(path_.c_str(), "wb");
  if (!f_) throw TraceError("trace: " + path_ + ": cannot create: " + strerror(errno));
  cctx_ = thread_compressor();
  if (!cctx_) throw TraceError("trace: out of memory for the compressor");

  std::vector<uint8_t> body;
  encode_header(header_, body);
  if (body.size() > kTraceHeaderMax) throw TraceError("trace: header too large");
  std::vector<uint8_t> h(kFixedHeader);
  memcpy(h.data(), kTraceMagic, 8);
  memcpy(h.data() + 8, &header_.format_major, 2);
  memcpy(h.data() + 10, &header_.format_minor, 2);
  const uint32_t len = static_cast<uint32_t>(body.size());
  memcpy(h.data() + 12, &len, 4);
  h.insert(h.end(), body.begin(), body.end());
  const uint64_t check = XXH3_64bits(h.data(), h.size());
  h.resize(h.size() + 8);
  memcpy(h.data() + h.size() - 8, &check, 8);
  write_all(h.data(), h.size());
  if (fflush(f_) != 0) throw TraceError("trace: " + path_ + ": write failed: " + strerror(errno));
}

TraceWriter::~TraceWriter() {
  try {
    close();
  } catch (const TraceError&) {
    // A destructor cannot report; callers who care call close() themselves.
  }
}

void TraceWriter::write_all(const void* p, size_t n) {
  if (fwrite(p, 1, n, f_) != n) throw TraceError("trace: " + path_ + ": write failed: " + strerror(errno));
}

void TraceWriter::append(const TraceRecord& r) {
  if (!f_) throw TraceError("trace: " + path_ + ": append after close");
  encode_record(r, pending_);
  ++pending_records_;
  ++records_;
  if (pending_.size() >= opts_.chunk_bytes || pending_records_ >= opts_.chunk_records) write_chunk();
}

void TraceWriter::flush() {
  if (f_ && pending_records_ > 0) write_chunk();
}

void TraceWriter::write_chunk() {
  // One record may exceed chunk_bytes (a large read), but never the reader's limit.
  if (pending_.size() > kChunkPayloadMax) throw TraceError("trace: a chunk exceeds the format's size limit");
  compressed_.resize(kChunkHeaderSize + ZSTD_compressBound(pending_.size()));
  const size_t n = ZSTD_compressCCtx(cctx_, compressed_.data() + kChunkHeaderSize,
                                     compressed_.size() - kChunkHeaderSize, pending_.data(),
                                     pending_.size(), opts_.zstd_level);
  if (ZSTD_isError(n)) throw TraceError(std::string("trace: compression failed: ") + ZSTD_getErrorName(n));
  ChunkHeader c{seq_, pending_records_, static_cast<uint32_t>(pending_.size()), static_cast<uint32_t>(n),
                XXH3_64bits(compressed_.data() + kChunkHeaderSize, n), 0};
  put_chunk_header(compressed_.data(), c);
  // Header and payload in one write, flushed at once: a kill leaves whole chunks plus at
  // most one partial one, which readers treat as the end.
  write_all(compressed_.data(), kChunkHeaderSize + n);
  if (fflush(f_) != 0) throw TraceError("trace: " + path_ + ": write failed: " + strerror(errno));
  if (opts_.fsync) fsync(fileno(f_));
  ++seq_;
  pending_.clear();
  pending_records_ = 0;
}

void TraceWriter::close() {
  if (!f_) return;
  std::string err;
  try {
    flush();
  } catch (const TraceError& e) {
    err = e.what();
  }
  if (fclose(f_) != 0 && err.empty()) err = "trace: " + path_ + ": close failed: " + strerror(errno);
  f_ = nullptr;
  if (!err.empty()) throw TraceError(err);
}

// ---- Reader ----

TraceReader::TraceReader(const std::string& path, TraceReaderOptions opts) : opts_(opts) {
  f_ = fopen(path.c_str(), "rb");
  if (!f_) throw TraceError("trace: " + path + ": cannot open: " + strerror(errno));
  if (fseeko(f_, 0, SEEK_END) != 0 || ftello(f_) < 0) {
    fclose(f_);
    f_ = nullptr;
    throw TraceError("trace: " + path + ": not a regular file");
  }
  size_ = static_cast<uint64_t>(ftello(f_));
  init();
}

TraceReader::TraceReader(std::vector<uint8_t> bytes, TraceReaderOptions opts)
    : opts_(opts), mem_(std::move(bytes)) {
  size_ = mem_.size();
  init();
}

void TraceReader::init() {
  // A constructor that throws runs no destructor: release here.
  try {
    dctx_ = ZSTD_createDCtx();
    read_header();
  } catch (...) {
    release();
    throw;
  }
}

void TraceReader::release() {
  if (f_) fclose(f_);
  f_ = nullptr;
  if (dctx_) ZSTD_freeDCtx(dctx_);
  dctx_ = nullptr;
}

TraceReader::~TraceReader() { release(); }

size_t TraceReader::read_at(uint64_t offset, void* dst, size_t n) {
  if (offset >= size_) return 0;
  if (n > size_ - offset) n = static_cast<size_t>(size_ - offset);
  if (!f_) {
    memcpy(dst, mem_.data() + offset, n);
    return n;
  }
  if (fseeko(f_, static_cast<off_t>(offset), SEEK_SET) != 0) return 0;
  return fread(dst, 1, n, f_);
}

void TraceReader::read_header() {
  if (!dctx_) throw TraceError("trace: out of memory for the decompressor");
  if (size_ == 0) throw TraceError("trace: header: empty file, not a Dk trace");
  uint8_t fixed[kFixedHeader];
  const size_t got = read_at(0, fixed, kFixedHeader);
  if (memcmp(fixed, kTraceMagic, got < 8 ? got : 8) != 0) throw TraceError("trace: header: not a Dk trace (bad magic)");
  if (got < kFixedHeader)
    throw TraceError(
        "trace: header: truncated" + at(got) + " (file is " + std::to_string(size_) + " bytes)",
        got, "header: truncated (the file ends inside the header's first 16 bytes)");
  uint16_t major, minor;
  uint32_t len;
  memcpy(&major, fixed + 8, 2);
  memcpy(&minor, fixed + 10, 2);
  memcpy(&len, fixed + 12, 4);
  // A header whose length and checksum hold: a damaged version field is told apart from a
  // trace of a newer dk.
  const bool fits = len <= kTraceHeaderMax && kFixedHeader + uint64_t{len} + 8 <= size_;
  std::vector<uint8_t> h;
  bool sound = false;
  if (fits) {
    h.resize(kFixedHeader + len + 8);
    if (read_at(0, h.data(), h.size()) != h.size()) throw TraceError("trace: header: read failed");
    uint64_t check;
    memcpy(&check, h.data() + kFixedHeader + len, 8);
    sound = XXH3_64bits(h.data(), kFixedHeader + len) == check;
  }
  if (major != kTraceFormatMajor) {
    const std::string v = "format version " + std::to_string(major) + "." + std::to_string(minor) +
                          " is not supported (this dk reads " + std::to_string(kTraceFormatMajor) +
                          ".x)";
    if (sound) throw TraceError("trace: header" + at(8) + ": " + v);
    damage("header", 8, v + " and the header checksum does not hold: the version field is damaged");
  }
  if (len > kTraceHeaderMax) damage("header", 12, "absurd header length " + std::to_string(len));
  if (!fits)
    throw TraceError("trace: header: truncated" + at(size_) + " (the header needs " +
                         std::to_string(kFixedHeader + len + 8) + " bytes)",
                     size_,
                     "header: truncated (the length at offset 12 says the header needs " +
                         std::to_string(kFixedHeader + len + 8) + " bytes)");
  if (!sound)
    damage("header", kFixedHeader + len,
           "checksum mismatch (header bytes 0.." + std::to_string(kFixedHeader + len) +
               " are damaged)");
  header_.format_major = major;
  header_.format_minor = minor;
  try {
    ByteReader in(h.data() + kFixedHeader, len, kFixedHeader);
    // A newer minor version may append fields that this reader skips.
    trace_detail::decode_header(in, header_, minor <= kTraceFormatMinor);
  } catch (const DecodeError& e) {
    damage("header", e.offset, e.what);
  }
  pos_ = kFixedHeader + len + 8;
}

void TraceReader::fail_chunk(uint64_t offset, const std::string& what) const {
  damage("chunk " + std::to_string(seq_), offset, what);
}

bool TraceReader::cut(const std::string& why) {
  if (opts_.strict) throw TraceError(why);
  cut_short_ = true;
  cut_reason_ = why;
  done_ = true;
  return false;
}

bool TraceReader::load_chunk() {
  const uint64_t left = size_ - pos_;
  if (left == 0) {
    done_ = true;
    if (!saw_end_) {
      cut_short_ = true;
      cut_reason_ = "trace: ends" + at(pos_) + " after chunk " + std::to_string(seq_) +
                    " without an end record (the recorder stopped early)";
      if (opts_.strict) throw TraceError(cut_reason_);
    }
    return false;
  }
  if (left < kChunkHeaderSize)
    return cut("trace: truncated chunk" + at(pos_) + " (" + std::to_string(left) + " of " +
               std::to_string(kChunkHeaderSize) + " header bytes)");
  uint8_t raw[kChunkHeaderSize];
  if (read_at(pos_, raw, kChunkHeaderSize) != kChunkHeaderSize) fail_chunk(pos_, "read failed");
  if (memcmp(raw, kChunkMagic, 4) != 0) fail_chunk(pos_, "bad chunk magic");
  ChunkHeader c;
  memcpy(&c.seq, raw + 4, 4);
  memcpy(&c.records, raw + 8, 4);
  memcpy(&c.ulen, raw + 12, 4);
  memcpy(&c.clen, raw + 16, 4);
  memcpy(&c.payload_hash, raw + 20, 8);
  memcpy(&c.check, raw + 28, 4);
  if (header_check(raw) != c.check) fail_chunk(pos_, "chunk header checksum mismatch");
  if (c.seq != seq_) fail_chunk(pos_ + 4, "sequence number " + std::to_string(c.seq) + ", expected " + std::to_string(seq_));
  // The check above makes these true corruption only if the writer was wrong; still never
  // allocate from them unchecked.
  if (c.ulen == 0 || c.ulen > kChunkPayloadMax) fail_chunk(pos_ + 12, "absurd uncompressed length " + std::to_string(c.ulen));
  if (c.clen == 0 || c.clen > ZSTD_compressBound(kChunkPayloadMax))
    fail_chunk(pos_ + 16, "absurd compressed length " + std::to_string(c.clen));
  if (c.records == 0 || c.records > c.ulen) fail_chunk(pos_ + 8, "absurd record count " + std::to_string(c.records));
  if (c.clen > left - kChunkHeaderSize)
    return cut("trace: truncated chunk" + at(pos_) + " (chunk " + std::to_string(seq_) + " needs " +
               std::to_string(kChunkHeaderSize + c.clen) + " bytes, " + std::to_string(left) + " remain)");
  compressed_.resize(c.clen);
  if (read_at(pos_ + kChunkHeaderSize, compressed_.data(), c.clen) != c.clen) fail_chunk(pos_, "read failed");
  if (XXH3_64bits(compressed_.data(), c.clen) != c.payload_hash) fail_chunk(pos_, "checksum mismatch");
  const unsigned long long content = ZSTD_getFrameContentSize(compressed_.data(), c.clen);
  if (content != c.ulen) fail_chunk(pos_ + kChunkHeaderSize, "payload is not a zstd frame of the stated length");
  payload_.resize(c.ulen);
  const size_t n = ZSTD_decompressDCtx(dctx_, payload_.data(), payload_.size(), compressed_.data(), c.clen);
  if (ZSTD_isError(n) || n != c.ulen)
    fail_chunk(pos_ + kChunkHeaderSize, std::string("payload does not decompress: ") +
                                            (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short"));
  chunk_offset_ = pos_;
  payload_pos_ = 0;
  payload_records_left_ = c.records;
  pos_ += kChunkHeaderSize + c.clen;
  return true;
}

bool TraceReader::next(TraceRecord& r) {
  while (payload_records_left_ == 0) {
    if (done_) return false;
    if (payload_pos_ != payload_.size())
      damage("chunk " + std::to_string(seq_ - 1), chunk_offset_,
             std::to_string(payload_.size() - payload_pos_) + " bytes after the last record");
    if (!load_chunk()) return false;
    ++seq_;
  }
  try {
    ByteReader in(payload_.data() + payload_pos_, payload_.size() - payload_pos_, payload_pos_);
    trace_detail::decode_record(in, r, header_.format_minor);
    payload_pos_ = in.pos();
  } catch (const DecodeError& e) {
    damage("chunk " + std::to_string(seq_ - 1), chunk_offset_,
           "record at payload offset " + std::to_string(e.offset) + ": " + e.what);
  }
  --payload_records_left_;
  ++records_read_;
  if (r.kind == RecordKind::End) saw_end_ = true;
  return true;
}

bool looks_like_trace(const std::string& path) {
  FILE* f = fopen(path.c_str(), "rb");
  if (!f) return false;
  char m[8];
  const bool ok = fread(m, 1, 8, f) == 8 && memcmp(m, kTraceMagic, 8) == 0;
  fclose(f);
  return ok;
}

}  // namespace dk
