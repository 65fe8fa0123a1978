// Reading a fuzzer's input as a stream of choices. Every read succeeds: an exhausted input
// reads as zeros, so any byte string is a valid input and shorter inputs explore less.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>

namespace dk::fuzz {

// An invariant the target checks was broken. Thrown, never caught by an entry point: the
// libFuzzer driver turns it into a crash report, the regression test into a failure.
class Finding : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] inline void finding(const std::string& what) { throw Finding(what); }

inline std::string hex(uint64_t v) {
  static const char kDigits[] = "0123456789abcdef";
  std::string s;
  do {
    s.insert(s.begin(), kDigits[v & 15]);
    v >>= 4;
  } while (v);
  return "0x" + s;
}

class FuzzInput {
 public:
  explicit FuzzInput(std::span<const uint8_t> data) : data_(data) {}

  bool empty() const { return pos_ >= data_.size(); }
  size_t left() const { return data_.size() - pos_; }

  uint8_t u8() { return empty() ? 0 : data_[pos_++]; }
  uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }
  uint32_t u32() { return u16() | static_cast<uint32_t>(u16()) << 16; }
  uint64_t u64() { return u32() | static_cast<uint64_t>(u32()) << 32; }
  bool flag() { return u8() & 1; }
  // A value in [0, n); n must be non-zero.
  uint64_t below(uint64_t n) { return (n <= 256 ? u8() : n <= 65536 ? u16() : u64()) % n; }

  // Up to `n` bytes, fewer when the input ends.
  std::span<const uint8_t> bytes(size_t n) {
    const size_t k = n < left() ? n : left();
    std::span<const uint8_t> out = data_.subspan(pos_, k);
    pos_ += k;
    return out;
  }
  std::span<const uint8_t> rest() { return bytes(left()); }
  std::string text(size_t n) {
    auto b = bytes(n);
    return std::string(b.begin(), b.end());
  }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
};

}  // namespace dk::fuzz
