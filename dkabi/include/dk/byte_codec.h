// Little-endian writing and bounds-checked reading of byte streams: the trace format
// (traces/) and the host core's object state (dk/core/state_io.h) are written and read with
// these. The reader never trusts a length: every read first checks what is left, and a short
// read or an absurd length throws DecodeError with the offset. The thrower's callers catch it
// and turn it into their own error value; it never crosses the Host interface.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace dk {

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { raw(&v, 2); }
  void u32(uint32_t v) { raw(&v, 4); }
  void u64(uint64_t v) { raw(&v, 8); }
  void raw(const void* p, size_t n) {
    // x86-64 only (ABI.md section 1), so host order is the file's little-endian order.
    const auto* b = static_cast<const uint8_t*>(p);
    out_.insert(out_.end(), b, b + n);
  }
  void str32(const std::string& s) {
    u32(static_cast<uint32_t>(s.size()));
    raw(s.data(), s.size());
  }
  size_t size() const { return out_.size(); }
  void patch_u32(size_t at, uint32_t v) { memcpy(out_.data() + at, &v, 4); }

 private:
  std::vector<uint8_t>& out_;
};

// Thrown by ByteReader; the caller adds where the bytes came from (header, chunk N).
struct DecodeError {
  uint64_t offset;  // within the buffer being decoded
  std::string what;
};

class ByteReader {
 public:
  // `base`: where p sits in the buffer that errors report offsets in.
  ByteReader(const uint8_t* p, size_t n, size_t base = 0) : p_(p), n_(n), base_(base) {}
  size_t pos() const { return base_ + pos_; }
  size_t left() const { return n_ - pos_; }
  void need(size_t n, const char* what) const {
    if (n > left())
      throw DecodeError{pos(), std::string(what) + ": needs " + std::to_string(n) + " bytes, " +
                                  std::to_string(left()) + " left"};
  }
  uint8_t u8(const char* what) {
    need(1, what);
    return p_[pos_++];
  }
  uint16_t u16(const char* what) { return fixed<uint16_t>(what); }
  uint32_t u32(const char* what) { return fixed<uint32_t>(what); }
  uint64_t u64(const char* what) { return fixed<uint64_t>(what); }
  void raw(void* dst, size_t n, const char* what) {
    need(n, what);
    if (n == 0) return;  // dst may be an empty vector's data(): null, which memcpy may not see
    memcpy(dst, p_ + pos_, n);
    pos_ += n;
  }
  // A u32-length string of at most `max` bytes.
  std::string str32(const char* what, size_t max) {
    const size_t at = pos();
    const uint32_t len = u32(what);
    if (len > max) throw DecodeError{at, std::string(what) + ": absurd length " + std::to_string(len)};
    need(len, what);
    std::string s(reinterpret_cast<const char*>(p_ + pos_), len);
    pos_ += len;
    return s;
  }
  // A reader over the next n bytes (checked), which this one skips.
  ByteReader sub(size_t n, const char* what) {
    need(n, what);
    ByteReader r(p_ + pos_, n, pos());
    pos_ += n;
    return r;
  }
  void bytes(std::vector<uint8_t>& dst, uint64_t len, const char* what) {
    need(len, what);  // checked before resizing: a bad length never allocates
    dst.assign(p_ + pos_, p_ + pos_ + len);
    pos_ += len;
  }

 private:
  template <class T>
  T fixed(const char* what) {
    need(sizeof(T), what);
    T v;
    memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  const uint8_t* p_;
  size_t n_;
  size_t base_;
  size_t pos_ = 0;
};

}  // namespace dk
