// The call table in C++ form, generated from DK_CALL_LIST in abi.h: descriptors that the
// dispatcher, traces, printers and conformance coverage read instead of listing calls again.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "dk/abi.h"

namespace dk {

struct CallDesc {
  uint32_t index = 0;  // 1..45; 0 marks "not a Dk call"
  std::string_view name;
  uint8_t nargs = 0;
  std::array<uint8_t, 6> kinds{};
  std::array<std::string_view, 6> arg_names{};
};

// Descriptor of call `index` (1..45), or nullptr.
const CallDesc* call_desc(uint32_t index);
// The 45 descriptors in index order (all_calls() returns the same table).
extern const std::array<CallDesc, DK_CALL_COUNT> kCallTable;
// Descriptor of a raw call number (0xD000 + index), or nullptr for any foreign number.
// Inline: every downcall looks its number up.
inline const CallDesc* call_desc_for_number(uint64_t number) {
  if (number <= DK_CALL_BASE || number > DK_CALL_BASE + DK_CALL_COUNT) return nullptr;
  return &kCallTable[number - DK_CALL_BASE - 1];
}
// All 45 descriptors in index order.
const std::array<CallDesc, DK_CALL_COUNT>& all_calls();

std::string_view status_name(dk_status_t status);  // "OK", "INVAL", ... "E?" for unknown
std::string_view arg_kind_name(uint8_t kind);

// Calls that never return to the caller on success.
inline bool call_does_not_return(uint32_t index) {
  return index == 5 || index == 18 || index == 43;
}

}  // namespace dk
