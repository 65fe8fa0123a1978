// Writing and reading .dktrace files: the checksummed header, then records framed in zstd
// chunks written as they fill, so a recorder killed mid-run leaves a readable prefix.
// The reader checks every length and checksum before using it and throws TraceError.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "dk/trace_format.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace dk {

struct TraceWriterOptions {
  size_t chunk_bytes = 256u << 10;  // uncompressed bytes that close a chunk
  uint32_t chunk_records = 4096;    // records that close a chunk
  int zstd_level = 1;               // fast: recording must stay cheap
  bool fsync = false;               // also fsync each chunk (fflush always happens)
};

class TraceWriter {
 public:
  // Creates (truncates) `path` and writes the header. Throws TraceError.
  TraceWriter(const std::string& path, const TraceHeader& header, TraceWriterOptions opts = {});
  ~TraceWriter();  // closes, writing the pending chunk; errors are lost here, call close()
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  void append(const TraceRecord& r);  // throws TraceError on a write failure
  void flush();                       // writes the pending records as a chunk now
  void close();
  const TraceHeader& header() const { return header_; }
  uint64_t records() const { return records_; }
  uint32_t chunks() const { return seq_; }

 private:
  void open_and_write_header();
  void write_chunk();
  void write_all(const void* p, size_t n);

  std::string path_;
  TraceHeader header_;
  TraceWriterOptions opts_;
  FILE* f_ = nullptr;
  ZSTD_CCtx_s* cctx_ = nullptr;
  std::vector<uint8_t> pending_;
  std::vector<uint8_t> compressed_;
  uint32_t pending_records_ = 0;
  uint32_t seq_ = 0;
  uint64_t records_ = 0;
};

struct TraceReaderOptions {
  // A file that ends inside a chunk normally reads as a clean end with cut_short() set;
  // strict readers get a TraceError instead.
  bool strict = false;
};

class TraceReader {
 public:
  // Opens and checks the header. Throws TraceError.
  explicit TraceReader(const std::string& path, TraceReaderOptions opts = {});
  // Reads a trace held in memory.
  TraceReader(std::vector<uint8_t> bytes, TraceReaderOptions opts = {});
  ~TraceReader();
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;

  const TraceHeader& header() const { return header_; }
  // The next record; false at the end of the readable records. Throws TraceError.
  bool next(TraceRecord& r);

  // After next() returned false: whether the trace stops before its End record (a chunk
  // cut in the middle, or no End record at all), and why, in words naming the offset.
  bool cut_short() const { return cut_short_; }
  const std::string& cut_short_reason() const { return cut_reason_; }
  bool saw_end() const { return saw_end_; }
  uint64_t records_read() const { return records_read_; }
  uint32_t chunks_read() const { return seq_; }
  uint64_t file_size() const { return size_; }

 private:
  void init();
  void release();
  void read_header();
  bool load_chunk();
  size_t read_at(uint64_t offset, void* dst, size_t n);
  [[noreturn]] void fail_chunk(uint64_t at, const std::string& what) const;
  bool cut(const std::string& why);

  TraceReaderOptions opts_;
  FILE* f_ = nullptr;
  std::vector<uint8_t> mem_;
  uint64_t size_ = 0;
  uint64_t pos_ = 0;  // file offset of the next chunk
  TraceHeader header_;
  ZSTD_DCtx_s* dctx_ = nullptr;
  std::vector<uint8_t> compressed_;
  std::vector<uint8_t> payload_;
  size_t payload_pos_ = 0;
  uint32_t payload_records_left_ = 0;
  uint64_t chunk_offset_ = 0;
  uint32_t seq_ = 0;
  uint64_t records_read_ = 0;
  bool done_ = false;
  bool cut_short_ = false;
  bool saw_end_ = false;
  std::string cut_reason_;
};

// Whether `path` starts with the trace magic (for tools choosing how to read a file).
bool looks_like_trace(const std::string& path);

}  // namespace dk
