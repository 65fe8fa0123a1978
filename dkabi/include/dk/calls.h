// The call table in C++ form, generated from DK_CALL_TABLE in abi.h: descriptors that the
// dispatcher, traces, printers and conformance coverage read instead of listing calls again,
// each with its traits, and the calls' indices by name (calls::DkStreamOpen == 21). Code asks
// the table what a call is; it never switches on raw numbers.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "dk/abi.h"

namespace dk {

// The indices of the calls by name, for `case calls::DkStreamMap:` and call(calls::...) in
// tests. The raw call number is DK_CALL_<Name> (abi.h), DK_CALL_BASE + the index.
namespace calls {
enum Index : uint32_t {
#define DK_X_INDEX(idx, name, traits, kinds, names) name = idx,
  DK_CALL_TABLE(DK_X_INDEX)
#undef DK_X_INDEX
};
}  // namespace calls

// How well the ABI asks hosts to support a call (docs/abi.md §4).
enum class Support : uint8_t {
  Required = 0,     // every conforming host serves it
  Conditional = 1,  // NOTSUP only under the condition the ABI names (DkThreadCreate without a Dk note)
  Optional = 2,     // a host may answer NOTSUP
};

struct CallDesc {
  uint32_t index = 0;  // 1..45; 0 marks "not a Dk call"
  std::string_view name;
  uint8_t nargs = 0;
  std::array<uint8_t, 6> kinds{};
  std::array<std::string_view, 6> arg_names{};
  uint32_t traits = 0;  // DK_CALL_NORETURN | DK_CALL_CONTROL | DK_CALL_BLOCKS | support level

  // Does not return to the caller when it succeeds (DkThreadExit, DkProcessExit,
  // DkExceptionReturn).
  constexpr bool does_not_return() const { return traits & DK_CALL_NORETURN; }
  // Served by the picoprocess's own state through GuestControl: the Host interface's
  // default serves it, so hosts need not.
  constexpr bool served_by_control() const { return traits & DK_CALL_CONTROL; }
  // May park the calling thread (kBlocked) until the world changes.
  constexpr bool may_block() const { return traits & DK_CALL_BLOCKS; }
  constexpr Support support() const { return static_cast<Support>((traits & DK_CALL_SUPPORT_MASK) >> 4); }
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
// "MEMFAULT", "ILLEGAL", ... for DK_EXCEPTION_*; "" for any other number (callers say what
// an unknown type is in their own words).
std::string_view exception_type_name(uint32_t type);
std::string_view arg_kind_name(uint8_t kind);

// Calls that never return to the caller on success (the table's DK_CALL_NORETURN).
inline bool call_does_not_return(uint32_t index) {
  const CallDesc* d = call_desc(index);
  return d && d->does_not_return();
}
std::string_view support_name(Support s);  // "required", "conditional", "optional"

}  // namespace dk
