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
#include "dk/run_events.h"  // ScheduleReason, UpcallKind

namespace dk {

// A trace that cannot be read: the message names the byte offset and what is wrong. Damage
// (bytes that are not what the format says: a checksum, magic or length that does not hold,
// a record that does not decode) also carries the offset and the fault apart, so `dk replay`
// can say "damaged at byte N" without parsing the message. Errors of opening, a foreign file
// or an unsupported version carry none.
class TraceError : public std::runtime_error {
 public:
  explicit TraceError(const std::string& what) : std::runtime_error(what) {}
  TraceError(const std::string& what, uint64_t offset, std::string fault)
      : std::runtime_error(what), damaged_(true), offset_(offset), fault_(std::move(fault)) {}
  bool damaged() const { return damaged_; }
  uint64_t offset() const { return offset_; }          // the file byte where the damage shows
  const std::string& fault() const { return fault_; }  // "chunk 3: checksum mismatch"

 private:
  bool damaged_ = false;
  uint64_t offset_ = 0;
  std::string fault_;
};

inline constexpr char kTraceMagic[8] = {'D', 'K', 'T', 'R', 'A', 'C', 'E', '\x1a'};
inline constexpr char kChunkMagic[4] = {'D', 'K', 'C', 'H'};
// Major changes are refused by older readers; minor ones only add trailing header fields.
inline constexpr uint16_t kTraceFormatMajor = 1;
// 1.1: clock, idle and checksum records, effect lists in downcalls, the next picoprocess of a
// schedule record, and the launch (image, arguments, run options) at the end of the header.
inline constexpr uint16_t kTraceFormatMinor = 1;

// Limits a reader enforces before allocating anything from a length it read.
inline constexpr uint32_t kTraceHeaderMax = 16u << 20;
inline constexpr uint32_t kChunkPayloadMax = 64u << 20;
inline constexpr size_t kChunkHeaderSize = 32;
inline constexpr uint64_t kTraceImageMax = 256ull << 20;  // an image in the header, uncompressed

// Header flags.
inline constexpr uint32_t kTraceInputsHashed = 1u;  // downcall input bytes kept as hashes only

struct NamedHash {
  std::string name;
  uint64_t hash = 0;  // XXH3-64
  bool operator==(const NamedHash&) const = default;
};

// What `dk replay` needs to start the run again without the original files: the image, the
// launch description and the run options (format 1.1; empty image: not replayable by dk).
struct TraceLaunch {
  std::vector<uint8_t> image;
  std::string name;
  std::vector<std::string> args;
  std::vector<std::string> env;
  uint64_t stack_size = 0;
  std::string stdin_uri, stdout_uri, stderr_uri;
  uint64_t quantum = 0;
  uint64_t max_ticks = 0;
  uint64_t max_world_ticks = 0;
  uint64_t checksum_every = 0;  // a Checksum record after every N-th downcall (0: none)
  bool operator==(const TraceLaunch&) const = default;
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
  TraceLaunch launch;  // format 1.1; empty when read from a 1.0 trace
  bool operator==(const TraceHeader&) const = default;
};

enum class RecordKind : uint8_t {
  Downcall = 1,
  Schedule = 2,     // the scheduler picked another thread
  Exception = 3,    // an exception delivered (or ending the picoprocess)
  ForeignTrap = 4,  // a foreign syscall/sysenter/int trapped
  Upcall = 5,       // an upcall entered (init, thread start, exception dispatch)
  Rdtsc = 6,        // a cycle-counter value handed to the guest
  End = 7,          // a picoprocess ended; a trace whose last record is not one was cut short
  Clock = 8,        // the host clock read by the scheduler (Host::clock_ns)
  Idle = 9,         // every thread parked: what Host::idle answered
  Checksum = 10,    // a hash of the calling picoprocess's memory after a downcall
};
inline constexpr uint8_t kRecordKindMax = 10;
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
  kHasEffects = 1u << 9,  // what the host did to the picoprocess while serving (Effect)
  kDowncallFieldsAll = (1u << 10) - 1,
};

// One thing a host did to the calling picoprocess through GuestControl or GuestMemory while
// serving a downcall, in order, with its result. Replay performs the same effects.
enum class EffectOp : uint8_t {
  Allocate = 1,        // v: addr asked, size, alloc, prot, addr got; result: status
  Free = 2,            // v: addr, size
  Protect = 3,         // v: addr, size, prot
  Segment = 4,         // v: register, base
  ExceptionReturn = 5, // bytes: the dk_context
  ThreadExit = 6,
  ProcessExit = 7,     // v: code
  ThreadCreate = 8,    // v: arg, stack top, new tid
  Yield = 9,
  Resume = 10,         // v: pid, tid
  Block = 11,          // v: deadline (host clock ns)
  TakeInterrupt = 12,  // result: 1 when a wake-up was taken
  ProcessCreate = 13,  // bytes: the child's image; strs: name, then argv; v: new pid
  MemoryWrite = 14,    // v: addr; bytes: what was written; result: 1 written, 0 refused
  TickLimit = 15,      // v: the picoprocess's tick budget (a quota)
  WakeOn = 16,         // v: what wakes the blocking call (dk::WakeOn)
  Wake = 17,           // v: pid, tid of a parked call this call lets go on
};
inline constexpr uint8_t kEffectOpMax = 17;
const char* effect_name(EffectOp op);

struct Effect {
  EffectOp op = EffectOp::Yield;
  uint64_t v[5]{};
  int64_t result = 0;
  std::vector<uint8_t> bytes;
  std::vector<std::string> strs;
  bool operator==(const Effect&) const = default;
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
  std::vector<uint8_t> out_bytes;  // BUF_OUT data (a 1.0 mapping's bytes read as a memory-write effect)
  dk_stream_attr attr_out{};
  dk_system_info sysinfo{};
  std::vector<Effect> effects;  // kHasEffects; a 1.0 downcall reads with the effects it implied
};

struct ScheduleEvent {
  uint32_t next_thread = 0;
  uint32_t reason = 0;  // ScheduleReason
  uint32_t next_pid = 0;  // format 1.1; 0 in 1.0 traces
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
  uint64_t clock = 0;  // Clock: the value
  struct {
    uint64_t deadline = 0;
    uint8_t woke = 0;  // Host::idle's answer
  } idle;
  struct {
    uint64_t hash = 0;       // XXH3-64 over the committed regions (see docs/formats.md)
    uint64_t downcalls = 0;  // downcalls of the world when it was taken
  } checksum;
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

class WorldProbe;
// The memory checksum of picoprocess `pid`: XXH3-64 over, for each committed region in
// address order, its start and length (u64 each) and then its bytes.
uint64_t memory_hash(WorldProbe& probe, uint32_t pid);

// Byte encoding of the header body and of one record (layout in docs/formats.md).
void encode_header(const TraceHeader& h, std::vector<uint8_t>& out);
void encode_record(const TraceRecord& r, std::vector<uint8_t>& out);

}  // namespace dk
