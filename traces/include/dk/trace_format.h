// The .dktrace format in memory: the header, the record kinds and their fields, and the
// encoding of one record into bytes. docs/formats.md gives the byte layout; TraceWriter and
// TraceReader (trace_file.h) frame records into checksummed zstd chunks. Errors are thrown.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "dk/abi.h"
#include "dk/call.h"

namespace dk {

// A trace that cannot be read: the message names the byte offset and what is wrong.
class TraceError : public std::runtime_error {
 public:
  explicit TraceError(const std::string& what) : std::runtime_error(what) {}
};

inline constexpr char kTraceMagic[8] = {'D', 'K', 'T', 'R', 'A', 'C', 'E', '\x1a'};
inline constexpr char kChunkMagic[4] = {'D', 'K', 'C', 'H'};
// Major changes are refused by older readers; minor ones only add trailing header fields.
inline constexpr uint16_t kTraceFormatMajor = 1;
inline constexpr uint16_t kTraceFormatMinor = 0;

// Limits a reader enforces before allocating anything from a length it read.
inline constexpr uint32_t kTraceHeaderMax = 16u << 20;
inline constexpr uint32_t kChunkPayloadMax = 64u << 20;
inline constexpr size_t kChunkHeaderSize = 32;

// Header flags.
inline constexpr uint32_t kTraceInputsHashed = 1u;  // downcall input bytes kept as hashes only

struct NamedHash {
  std::string name;
  uint64_t hash = 0;  // XXH3-64
  bool operator==(const NamedHash&) const = default;
};

struct TraceHeader {
  uint16_t format_major = kTraceFormatMajor;
  uint16_t format_minor = kTraceFormatMinor;
  uint16_t abi_major = DK_ABI_MAJOR;
  uint16_t abi_minor = DK_ABI_MINOR;
  uint32_t flags = 0;
  uint64_t seed = 0;
  std::string host_kind;        // "sim", "native", or a plug-in's name
  std::string unicorn_version;  // a replay on another version may diverge
  std::string image_name;
  uint64_t image_hash = 0;            // XXH3-64 of the image bytes
  std::vector<NamedHash> files;       // package files used: name -> XXH3-64
  std::vector<uint8_t> cpuid;         // CPUID answers, opaque to the trace layer
  std::vector<std::string> command_line;
  bool operator==(const TraceHeader&) const = default;
};

enum class RecordKind : uint8_t {
  Downcall = 1,
  Schedule = 2,     // the scheduler picked another thread
  Exception = 3,    // an exception delivered (or ending the picoprocess)
  ForeignTrap = 4,  // a foreign syscall/sysenter/int trapped
  Upcall = 5,       // an upcall entered (init, thread start, exception dispatch)
  Rdtsc = 6,        // a cycle-counter value handed to the guest
  End = 7,          // the run ended; a trace without it was cut short
};
inline constexpr uint8_t kRecordKindMax = 7;
const char* record_kind_name(RecordKind k);

// Presence bits of a downcall record's optional fields.
enum DowncallFields : uint32_t {
  kHasUri = 1u << 0,
  kHasInBytes = 1u << 1,   // in_len and in_hash always; the bytes unless kInHashed
  kInHashed = 1u << 2,
  kHasHandles = 1u << 3,
  kHasContext = 1u << 4,
  kHasAttrIn = 1u << 5,
  kHasAttrOut = 1u << 6,
  kHasSysinfo = 1u << 7,
  kHasOutBytes = 1u << 8,
  kDowncallFieldsAll = (1u << 9) - 1,
};

// One downcall: the inputs as the dispatcher decoded them, then what the host answered.
struct DowncallRecord {
  uint32_t index = 0;
  uint32_t fields = 0;  // DowncallFields
  uint64_t reg[6]{};    // rdi, rsi, rdx, r10, r8, r9 as trapped
  uint64_t in_val[6]{}; // Call::val before serving (scalars, *_INOUT values read)
  uint64_t room = 0;
  std::string uri;
  uint64_t in_len = 0;
  uint64_t in_hash = 0;         // XXH3-64 of the input bytes
  std::vector<uint8_t> in_bytes;  // empty when kInHashed
  std::vector<dk_handle_t> handles;
  dk_context ctx{};
  dk_stream_attr attr_in{};
  // Outputs.
  dk_status_t status = 0;
  uint8_t written = 0;  // Call::written bits
  uint64_t out_val[6]{};
  std::vector<uint8_t> out_bytes;  // BUF_OUT data; for DkStreamMap, the mapped bytes
  dk_stream_attr attr_out{};
  dk_system_info sysinfo{};
};

struct ScheduleEvent {
  uint32_t next_thread = 0;
  uint32_t reason = 0;  // ScheduleReason
};
enum ScheduleReason : uint32_t {
  kScheduleQuantum = 1,
  kScheduleYield = 2,
  kScheduleBlock = 3,
  kScheduleExit = 4,
  kScheduleWake = 5,
};

struct ExceptionEvent {
  uint32_t type = 0;  // DK_EXCEPTION_*
  uint32_t detail = 0;
  uint64_t address = 0;
};

struct ForeignTrapEvent {
  uint32_t detail = 0;  // DK_TRAP_* | vector << 8
  uint64_t number = 0;  // rax at the trap
};

struct UpcallEvent {
  uint32_t which = 0;  // UpcallKind
  uint64_t entry = 0;
  uint64_t arg = 0;  // rdi
};
enum UpcallKind : uint32_t { kUpcallInit = 1, kUpcallThreadStart = 2, kUpcallException = 3 };

struct EndEvent {
  uint32_t reason = 0;  // the emulator's end kind (RunResult::End as a number)
  int64_t exit_code = 0;
  std::string message;
};

struct TraceRecord {
  RecordKind kind = RecordKind::Downcall;
  uint64_t tick = 0;
  uint32_t pid = 0;
  uint32_t thread = 0;
  uint64_t rip = 0;
  // The member that `kind` names is the one that is meaningful.
  DowncallRecord call;
  ScheduleEvent schedule;
  ExceptionEvent exception;
  ForeignTrapEvent trap;
  UpcallEvent upcall;
  uint64_t rdtsc = 0;
  EndEvent end;
};

// The inputs of a decoded Call as a record (outputs empty). `hash_only` keeps only the hash
// and length of the input bytes.
DowncallRecord downcall_inputs(const Call& call, bool hash_only);
void set_downcall_inputs(DowncallRecord& rec, const Call& call, bool hash_only);  // reuses rec's buffers
// Copies the host's outputs from a served Call into the record.
void set_downcall_outputs(DowncallRecord& rec, const Call& call, dk_status_t status);

// The first field in which two records differ ("" when equal): names the call's argument
// ("count", "buf") where one differs, else "kind", "tick", "thread", "status", ... The
// replayer and `dk trace diff` both report it.
std::string first_difference(const TraceRecord& expected, const TraceRecord& actual);
// Same for the inputs of two downcalls only (what a replay checks before serving).
std::string first_input_difference(const DowncallRecord& expected, const DowncallRecord& actual);

uint64_t trace_hash(const void* data, size_t len);  // XXH3-64

// Byte encoding of the header body and of one record (layout in docs/formats.md).
void encode_header(const TraceHeader& h, std::vector<uint8_t>& out);
void encode_record(const TraceRecord& r, std::vector<uint8_t>& out);

}  // namespace dk
