// The C++ call table, expanded from DK_CALL_TABLE.
#include "dk/calls.h"

namespace dk {
namespace {

#define DK_UNPAREN(...) __VA_ARGS__

constexpr CallDesc make_desc(uint32_t index, std::string_view name, uint32_t traits,
                             std::initializer_list<int> kinds,
                             std::initializer_list<std::string_view> names) {
  CallDesc d;
  d.index = index;
  d.name = name;
  d.traits = traits;
  d.nargs = static_cast<uint8_t>(kinds.size());
  size_t i = 0;
  for (int k : kinds) d.kinds[i++] = static_cast<uint8_t>(k);
  i = 0;
  for (auto n : names) d.arg_names[i++] = n;
  return d;
}

constexpr std::array<CallDesc, DK_CALL_COUNT> kCalls = {{
#define DK_X_DESC(idx, name, traits, kinds, names) \
  make_desc(idx, #name, traits, {DK_UNPAREN kinds}, {DK_UNPAREN names}),
    DK_CALL_TABLE(DK_X_DESC)
#undef DK_X_DESC
}};

constexpr bool table_is_dense() {
  for (uint32_t i = 0; i < kCalls.size(); ++i) {
    if (kCalls[i].index != i + 1) return false;
    for (uint32_t a = 0; a < kCalls[i].nargs; ++a) {
      if (kCalls[i].kinds[a] == DK_ARG_NONE || kCalls[i].kinds[a] >= DK_ARG_KIND_COUNT) return false;
      if (kCalls[i].arg_names[a].empty()) return false;
    }
  }
  return true;
}
static_assert(table_is_dense(), "DK_CALL_LIST must list calls 1..45 in order, with a name per argument");

// The traits hang together: a call that does not return is one the picoprocess's own state
// carries out, and a support level is one of the three.
constexpr bool traits_are_consistent() {
  for (const CallDesc& d : kCalls) {
    if (d.does_not_return() && !d.served_by_control()) return false;
    if ((d.traits & DK_CALL_SUPPORT_MASK) == DK_CALL_SUPPORT_MASK) return false;
    if (d.traits & ~(DK_CALL_NORETURN | DK_CALL_CONTROL | DK_CALL_BLOCKS | DK_CALL_SUPPORT_MASK)) return false;
  }
  return true;
}
static_assert(traits_are_consistent(), "DK_CALL_TABLE: unknown trait bits or a NORETURN call not served by control");

constexpr std::string_view kStatusNames[] = {
    "OK",     "INVAL",   "FAULT",  "BADHANDLE", "NOMEM",   "ACCESS",     "NOENT",  "EXIST",
    "AGAIN",  "TIMEOUT", "INTERRUPTED", "PIPE", "NOTSUP",  "QUOTA",      "RANGE",  "BUSY",
    "NOTCONN", "CONNREFUSED", "ISDIR", "NOTDIR", "WRONGTYPE", "NAMETOOLONG", "OVERFLOW"};
static_assert(std::size(kStatusNames) == DK_E_MAX + 1);

constexpr std::string_view kKindNames[] = {
    "none",     "u32",     "u64",       "i64",        "handle",     "addr",
    "uri",      "buf_in",  "buf_in",    "buf_out",    "buf_out",    "u64_inout",
    "addr_inout", "handle_out", "u32_out", "u32_out_opt", "i64_out", "handles_in",
    "context_in", "attr_in", "attr_out", "sysinfo_out", "u64_out"};
static_assert(std::size(kKindNames) == DK_ARG_KIND_COUNT);

}  // namespace

const CallDesc* call_desc(uint32_t index) {
  if (index < 1 || index > DK_CALL_COUNT) return nullptr;
  return &kCallTable[index - 1];
}

// The one table every lookup points into; constinit, so no static initialiser elsewhere can
// see it empty.
constinit const std::array<CallDesc, DK_CALL_COUNT> kCallTable = kCalls;

const std::array<CallDesc, DK_CALL_COUNT>& all_calls() { return kCallTable; }

std::string_view exception_type_name(uint32_t type) {
  switch (type) {
    case DK_EXCEPTION_MEMFAULT: return "MEMFAULT";
    case DK_EXCEPTION_ILLEGAL: return "ILLEGAL";
    case DK_EXCEPTION_ARITHMETIC: return "ARITHMETIC";
    case DK_EXCEPTION_BREAKPOINT: return "BREAKPOINT";
    case DK_EXCEPTION_FOREIGN_TRAP: return "FOREIGN_TRAP";
    case DK_EXCEPTION_INTERRUPT: return "INTERRUPT";
  }
  return "";
}

std::string_view status_name(dk_status_t status) {
  // Any value may come from a trace: compare before negating (INT64_MIN has no negation).
  if (status > 0 || status < -static_cast<dk_status_t>(DK_E_MAX)) return "E?";
  const uint64_t code = static_cast<uint64_t>(-status);
  return kStatusNames[code];
}

std::string_view support_name(Support s) {
  switch (s) {
    case Support::Required: return "required";
    case Support::Conditional: return "conditional";
    case Support::Optional: return "optional";
  }
  return "?";
}

std::string_view arg_kind_name(uint8_t kind) {
  return kind < DK_ARG_KIND_COUNT ? kKindNames[kind] : "?";
}

}  // namespace dk
