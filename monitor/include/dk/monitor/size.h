// Byte sizes and counts as manifests write them: "4096", "256KiB", "64 MiB", "1GiB".
// Errors are std::invalid_argument with the reason; the manifest parsers add file and line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace dk {

// A size with an optional IEC suffix (B, KiB, MiB, GiB, TiB). Throws on anything else,
// including decimal suffixes (KB, MB) and overflow.
uint64_t parse_size(std::string_view text);
// A plain non-negative decimal count. Throws on suffixes, signs and overflow.
uint64_t parse_count(std::string_view text);
// The shortest exact spelling: "256KiB", "64MiB", "1000".
std::string format_size(uint64_t bytes);

}  // namespace dk
