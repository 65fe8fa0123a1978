// Versioned, checked records over the shared byte codec (dk/byte_codec.h): the framing of the
// host core's object state stream (docs/formats.md, "Object state stream"). A record is a
// four-letter tag, a version and a length, then its payload. The reader checks the tag, that
// the version is one it understands, that the length fits what is left, that every count is
// under its bound before anything is allocated, and that the payload is read to its end.
// Failures throw DecodeError (offset and message); dk/core/state.h catches it and returns it
// as a value, so nothing throws past the host core.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "dk/byte_codec.h"

namespace dk::state {

// 'SEMA' -> the u32 whose little-endian bytes spell it.
constexpr uint32_t tag(const char (&s)[5]) {
  return static_cast<uint32_t>(static_cast<uint8_t>(s[0])) |
         static_cast<uint32_t>(static_cast<uint8_t>(s[1])) << 8 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[2])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(s[3])) << 24;
}

// A tag as its four letters when they are printable, else as hex.
inline std::string tag_name(uint32_t t) {
  std::string s;
  for (int i = 0; i < 4; ++i) {
    const char c = static_cast<char>((t >> (8 * i)) & 0xff);
    if (c < 0x20 || c > 0x7e) {
      char hex[16];
      snprintf(hex, sizeof hex, "0x%08x", t);
      return hex;
    }
    s += c;
  }
  return "'" + s + "'";
}

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : w_(out) {}
  ByteWriter& raw() { return w_; }

  // One record: tag, version, a length patched in once `fill` has written the payload.
  template <class Fill>
  void record(uint32_t tag, uint16_t version, Fill&& fill) {
    w_.u32(tag);
    w_.u16(version);
    const size_t at = w_.size();
    w_.u32(0);
    fill(*this);
    w_.patch_u32(at, static_cast<uint32_t>(w_.size() - at - 4));
  }

  void u8(uint8_t v) { w_.u8(v); }
  void u32(uint32_t v) { w_.u32(v); }
  void u64(uint64_t v) { w_.u64(v); }
  void i64(int64_t v) { w_.u64(static_cast<uint64_t>(v)); }
  void flag(bool b) { w_.u8(b ? 1 : 0); }
  void str(const std::string& s) { w_.str32(s); }
  void bytes(const uint8_t* p, size_t n) {
    w_.u64(n);
    w_.raw(p, n);
  }

 private:
  ByteWriter w_;
};

class Reader {
 public:
  explicit Reader(ByteReader in) : in_(in) {}
  ByteReader& raw() { return in_; }
  size_t pos() const { return in_.pos(); }
  size_t left() const { return in_.left(); }

  // The next record, which must carry `want` in a version from 1 to `max_version`; `what`
  // names it in errors. Returns the payload's reader and sets `version`.
  Reader record(uint32_t want, uint16_t max_version, const char* what, uint16_t& version) {
    const size_t at = in_.pos();
    const uint32_t t = in_.u32(what);
    if (t != want)
      throw DecodeError{at, std::string(what) + ": tag " + tag_name(t) + " where " +
                                tag_name(want) + " was expected"};
    return body(t, max_version, what, version, at);
  }
  // The next record of any tag in `tags` (its tag in `got`).
  Reader record_of(const uint32_t* tags, size_t ntags, const uint16_t* max_versions,
                   const char* what, uint32_t& got, uint16_t& version) {
    const size_t at = in_.pos();
    got = in_.u32(what);
    for (size_t i = 0; i < ntags; ++i)
      if (tags[i] == got) return body(got, max_versions[i], what, version, at);
    throw DecodeError{at, std::string(what) + ": unknown tag " + tag_name(got)};
  }
  // The record was read to its end: bytes left over are an error.
  void done(const char* what) const {
    if (in_.left() != 0)
      throw DecodeError{in_.pos(), std::string(what) + ": " + std::to_string(in_.left()) +
                                       " unexpected bytes at its end"};
  }

  uint8_t u8(const char* what) { return in_.u8(what); }
  uint32_t u32(const char* what) { return in_.u32(what); }
  uint64_t u64(const char* what) { return in_.u64(what); }
  int64_t i64(const char* what) { return static_cast<int64_t>(in_.u64(what)); }
  bool flag(const char* what) {
    const size_t at = in_.pos();
    const uint8_t v = in_.u8(what);
    if (v > 1) throw DecodeError{at, std::string(what) + ": flag " + std::to_string(v) + " is not 0 or 1"};
    return v == 1;
  }
  // A u32 value at most `max`.
  uint32_t bounded(const char* what, uint32_t max) {
    const size_t at = in_.pos();
    const uint32_t v = in_.u32(what);
    if (v > max)
      throw DecodeError{at, std::string(what) + " " + std::to_string(v) + " is over the limit " +
                                std::to_string(max)};
    return v;
  }
  // A count of items at most `max`, each taking at least `min_item` bytes of what is left:
  // checked before anything is allocated for them.
  uint32_t count(const char* what, uint32_t max, size_t min_item) {
    const size_t at = in_.pos();
    const uint32_t n = bounded(what, max);
    if (min_item && uint64_t{n} * min_item > in_.left())
      throw DecodeError{at, std::string(what) + " " + std::to_string(n) + " does not fit the " +
                                std::to_string(in_.left()) + " bytes left"};
    return n;
  }
  std::string str(const char* what, size_t max) { return in_.str32(what, max); }
  void bytes(std::vector<uint8_t>& dst, uint64_t max, const char* what) {
    const size_t at = in_.pos();
    const uint64_t n = in_.u64(what);
    if (n > max)
      throw DecodeError{at, std::string(what) + ": length " + std::to_string(n) +
                                " is over the limit " + std::to_string(max)};
    in_.bytes(dst, n, what);
  }

 private:
  Reader body(uint32_t t, uint16_t max_version, const char* what, uint16_t& version, size_t at) {
    version = in_.u16(what);
    if (version < 1 || version > max_version)
      throw DecodeError{at + 4, std::string(what) + ": " + tag_name(t) + " version " +
                                    std::to_string(version) + " is not understood (1 to " +
                                    std::to_string(max_version) + ")"};
    const uint32_t len = in_.u32(what);
    return Reader(in_.sub(len, what));
  }

  ByteReader in_;
};

}  // namespace dk::state
