// The result record an isolated case or attempt process writes to its parent over a pipe:
// length-prefixed fields (u64 length in host order, then the bytes), read back with bounds
// checks so a truncated or garbled record is refused, never over-read.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

namespace dk::conformance {

inline void put_field(std::string& rec, const std::string& field) {
  const uint64_t n = field.size();
  rec.append(reinterpret_cast<const char*>(&n), 8);
  rec.append(field);
}

// Reads the field at `pos` and moves past it; false when the record ends first.
inline bool get_field(const std::string& rec, size_t& pos, std::string& field) {
  if (pos > rec.size() || rec.size() - pos < 8) return false;
  uint64_t n;
  std::memcpy(&n, rec.data() + pos, 8);
  pos += 8;
  if (n > rec.size() - pos) return false;
  field.assign(rec, pos, n);
  pos += n;
  return true;
}

}  // namespace dk::conformance
