// UTF-8 validity, shared by the manifest readers (which refuse other text) and the URI
// writer (which percent-escapes bytes that are not UTF-8 so a canonical URI is valid text).
#pragma once

#include <cstddef>
#include <string_view>

namespace dk {

// The length of the well-formed UTF-8 sequence starting at s[i] (1-4), or 0 if the bytes
// there are not one: a stray continuation byte, a truncated sequence, an overlong form, a
// surrogate or a code point above U+10FFFF.
inline size_t utf8_sequence_length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  const size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
  bool ok = n != 0 && i + n <= s.size() && !(n == 2 && c < 0xc2);
  for (size_t k = 1; ok && k < n; ++k) ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
  if (ok && n == 3) {
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    ok = !(c == 0xe0 && c1 < 0xa0) && !(c == 0xed && c1 >= 0xa0);  // overlong, surrogates
  }
  if (ok && n == 4) {
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    ok = !(c == 0xf0 && c1 < 0x90) && !(c == 0xf4 && c1 >= 0x90) && c <= 0xf4;
  }
  return ok ? n : 0;
}

}  // namespace dk
