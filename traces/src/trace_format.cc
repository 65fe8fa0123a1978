// Encoding of the header body and of records, the Call <-> record conversions, and the
// field-by-field comparison that replay and `dk trace diff` share.
#include "dk/trace_format.h"

#include <xxhash.h>
#include <zstd.h>

#include <cstring>
#include <memory>

#include "byte_codec.h"
#include "dk/run_events.h"

namespace dk {

using trace_detail::ByteReader;
using trace_detail::ByteWriter;
using trace_detail::DecodeError;

const char* record_kind_name(RecordKind k) {
  switch (k) {
    case RecordKind::Downcall: return "downcall";
    case RecordKind::Schedule: return "schedule";
    case RecordKind::Exception: return "exception";
    case RecordKind::ForeignTrap: return "foreign-trap";
    case RecordKind::Upcall: return "upcall";
    case RecordKind::Rdtsc: return "rdtsc";
    case RecordKind::End: return "end";
    case RecordKind::Clock: return "clock";
    case RecordKind::Idle: return "idle";
    case RecordKind::Checksum: return "checksum";
  }
  return "?";
}

const char* effect_name(EffectOp op) {
  switch (op) {
    case EffectOp::Allocate: return "allocate";
    case EffectOp::Free: return "free";
    case EffectOp::Protect: return "protect";
    case EffectOp::Segment: return "segment";
    case EffectOp::ExceptionReturn: return "exception-return";
    case EffectOp::ThreadExit: return "thread-exit";
    case EffectOp::ProcessExit: return "process-exit";
    case EffectOp::ThreadCreate: return "thread-create";
    case EffectOp::Yield: return "yield";
    case EffectOp::Resume: return "resume";
    case EffectOp::Block: return "block";
    case EffectOp::TakeInterrupt: return "take-interrupt";
    case EffectOp::ProcessCreate: return "process-create";
    case EffectOp::MemoryWrite: return "memory-write";
    case EffectOp::TickLimit: return "tick-limit";
    case EffectOp::WakeOn: return "wake-on";
    case EffectOp::Wake: return "wake";
  }
  return "?";
}

uint64_t trace_hash(const void* data, size_t len) { return XXH3_64bits(data, len); }

uint64_t memory_hash(WorldProbe& probe, uint32_t pid) {
  XXH3_state_t* st = XXH3_createState();
  if (!st) return 0;
  XXH3_64bits_reset(st);
  probe.read_memory(pid, [st](uint64_t addr, const uint8_t* data, size_t len) {
    const uint64_t where[2] = {addr, len};
    XXH3_64bits_update(st, where, sizeof where);
    XXH3_64bits_update(st, data, len);
  });
  const uint64_t h = XXH3_64bits_digest(st);
  XXH3_freeState(st);
  return h;
}

// ---- Call <-> record ----

void set_downcall_inputs(DowncallRecord& r, const Call& call, bool hash_only) {
  r.index = call.index;
  r.fields = 0;
  memcpy(r.reg, call.reg, sizeof r.reg);
  memcpy(r.in_val, call.val, sizeof r.in_val);
  r.room = call.room;
  r.uri.clear();
  r.in_len = r.in_hash = 0;
  r.in_bytes.clear();
  r.handles.clear();
  r.ctx = {};
  r.attr_in = {};
  r.status = 0;
  r.written = 0;
  memset(r.out_val, 0, sizeof r.out_val);
  r.out_bytes.clear();
  r.attr_out = {};
  r.sysinfo = {};
  r.effects.clear();
  if (!call.desc) return;
  for (int a = 0; a < call.desc->nargs; ++a) {
    switch (call.desc->kinds[a]) {
      case DK_ARG_URI:
        r.fields |= kHasUri;
        r.uri = call.uri;
        break;
      case DK_ARG_BUF_IN_LEN_NEXT:
      case DK_ARG_BUF_IN_COUNT_NEXT:
        r.fields |= kHasInBytes;
        r.in_len = call.in_bytes.size();
        r.in_hash = trace_hash(call.in_bytes.data(), call.in_bytes.size());
        if (hash_only) r.fields |= kInHashed;
        else r.in_bytes = call.in_bytes;
        break;
      case DK_ARG_HANDLES_IN:
        r.fields |= kHasHandles;
        r.handles = call.handles;
        break;
      case DK_ARG_CONTEXT_IN:
        r.fields |= kHasContext;
        r.ctx = call.ctx;
        break;
      case DK_ARG_ATTR_IN:
        r.fields |= kHasAttrIn;
        r.attr_in = call.attr;
        break;
      default:
        break;
    }
  }
}

DowncallRecord downcall_inputs(const Call& call, bool hash_only) {
  DowncallRecord r;
  set_downcall_inputs(r, call, hash_only);
  return r;
}

void set_downcall_outputs(DowncallRecord& r, const Call& call, dk_status_t status) {
  r.status = status;
  r.written = static_cast<uint8_t>(call.written.to_ulong());
  for (int a = 0; a < 6; ++a) r.out_val[a] = call.written[a] ? call.val[a] : 0;
  if (!call.out_bytes.empty()) {
    r.fields |= kHasOutBytes;
    r.out_bytes = call.out_bytes;
  }
  if (!call.desc) return;
  for (int a = 0; a < call.desc->nargs; ++a) {
    if (call.desc->kinds[a] == DK_ARG_ATTR_OUT) {
      r.fields |= kHasAttrOut;
      r.attr_out = call.attr;
    } else if (call.desc->kinds[a] == DK_ARG_SYSINFO_OUT) {
      r.fields |= kHasSysinfo;
      r.sysinfo = call.sysinfo;
    }
  }
}

// ---- Comparison ----

namespace {

template <class T>
bool same_bytes(const T& a, const T& b) {
  return memcmp(&a, &b, sizeof(T)) == 0;
}

bool is_pointer_kind(uint8_t k) {
  return k != DK_ARG_U32 && k != DK_ARG_U64 && k != DK_ARG_I64 && k != DK_ARG_HANDLE &&
         k != DK_ARG_ADDR;
}

}  // namespace

std::string first_input_difference(const DowncallRecord& e, const DowncallRecord& a) {
  if (e.index != a.index) return "call";
  const CallDesc* d = call_desc(e.index);
  if (!d) return "call";
  for (int i = 0; i < d->nargs; ++i) {
    const uint8_t k = d->kinds[i];
    const std::string name(d->arg_names[i]);
    if (!is_pointer_kind(k)) {
      if (e.reg[i] != a.reg[i]) return name;
      continue;
    }
    if (e.reg[i] != a.reg[i]) return name + " (pointer)";
    switch (k) {
      case DK_ARG_U64_INOUT:
      case DK_ARG_ADDR_INOUT:
        if (e.in_val[i] != a.in_val[i]) return name;
        break;
      case DK_ARG_URI:
        if (e.uri != a.uri) return name;
        break;
      case DK_ARG_BUF_IN_LEN_NEXT:
      case DK_ARG_BUF_IN_COUNT_NEXT:
        // A different length is the length argument's doing: name that one.
        if (e.in_len != a.in_len) return i + 1 < d->nargs ? std::string(d->arg_names[i + 1]) : name + " (length)";
        if (e.in_hash != a.in_hash) return name;
        if (!(e.fields & kInHashed) && !(a.fields & kInHashed) && e.in_bytes != a.in_bytes) return name;
        break;
      case DK_ARG_HANDLES_IN:
        if (e.handles != a.handles) return name;
        break;
      case DK_ARG_CONTEXT_IN:
        if (!same_bytes(e.ctx, a.ctx)) return name;
        break;
      case DK_ARG_ATTR_IN:
        if (!same_bytes(e.attr_in, a.attr_in)) return name;
        break;
      case DK_ARG_BUF_OUT_LEN_NEXT:
      case DK_ARG_BUF_OUT_COUNT_NEXT:
      case DK_ARG_SYSINFO_OUT:
        if (e.room != a.room) return name + " (room)";
        break;
      default:
        break;
    }
  }
  // Registers past the call's arguments carry nothing the host reads; they are not compared.
  return "";
}

std::string first_difference(const TraceRecord& e, const TraceRecord& a) {
  if (e.kind != a.kind) return "kind";
  if (e.kind == RecordKind::Downcall) {
    std::string f = first_input_difference(e.call, a.call);
    if (!f.empty()) return f;
  }
  if (e.pid != a.pid) return "pid";
  if (e.thread != a.thread) return "thread";
  if (e.tick != a.tick) return "tick";
  if (e.rip != a.rip) return "rip";
  switch (e.kind) {
    case RecordKind::Downcall: {
      const DowncallRecord &x = e.call, &y = a.call;
      if (x.status != y.status) return "status";
      const CallDesc* d = call_desc(x.index);
      for (int i = 0; i < 6; ++i) {
        const unsigned bit = 1u << i;
        const bool wx = (x.written & bit) != 0, wy = (y.written & bit) != 0;
        if (wx == wy && (!wx || x.out_val[i] == y.out_val[i])) continue;
        if (d && i < d->nargs) return std::string(d->arg_names[i]) + " (result)";
        return "arg" + std::to_string(i) + " (result)";
      }
      if ((x.fields & kHasOutBytes) != (y.fields & kHasOutBytes) || x.out_bytes != y.out_bytes)
        return "output bytes";
      if ((x.fields & kHasAttrOut) && !same_bytes(x.attr_out, y.attr_out)) return "attr (result)";
      if ((x.fields & kHasSysinfo) && !same_bytes(x.sysinfo, y.sysinfo)) return "info (result)";
      if (x.effects != y.effects) return "effects";
      if ((x.fields & ~kInHashed) != (y.fields & ~kInHashed)) return "fields";
      return "";
    }
    case RecordKind::Schedule:
      if (e.schedule.next_thread != a.schedule.next_thread) return "next_thread";
      if (e.schedule.next_pid != a.schedule.next_pid) return "next_pid";
      if (e.schedule.reason != a.schedule.reason) return "reason";
      return "";
    case RecordKind::Exception:
      if (e.exception.type != a.exception.type) return "type";
      if (e.exception.detail != a.exception.detail) return "detail";
      if (e.exception.address != a.exception.address) return "address";
      return "";
    case RecordKind::ForeignTrap:
      if (e.trap.detail != a.trap.detail) return "detail";
      if (e.trap.number != a.trap.number) return "number";
      return "";
    case RecordKind::Upcall:
      if (e.upcall.which != a.upcall.which) return "which";
      if (e.upcall.entry != a.upcall.entry) return "entry";
      if (e.upcall.arg != a.upcall.arg) return "arg";
      return "";
    case RecordKind::Rdtsc:
      return e.rdtsc != a.rdtsc ? "value" : "";
    case RecordKind::End:
      if (e.end.reason != a.end.reason) return "reason";
      if (e.end.exit_code != a.end.exit_code) return "exit_code";
      if (e.end.message != a.end.message) return "message";
      return "";
    case RecordKind::Clock:
      return e.clock != a.clock ? "value" : "";
    case RecordKind::Idle:
      if (e.idle.deadline != a.idle.deadline) return "deadline";
      return e.idle.woke != a.idle.woke ? "woke" : "";
    case RecordKind::Checksum:
      if (e.checksum.downcalls != a.checksum.downcalls) return "downcalls";
      return e.checksum.hash != a.checksum.hash ? "memory" : "";
  }
  return "";
}

// ---- Encoding ----

void encode_header(const TraceHeader& h, std::vector<uint8_t>& out) {
  ByteWriter w(out);
  w.u16(h.abi_major);
  w.u16(h.abi_minor);
  w.u32(h.flags);
  w.u64(h.seed);
  w.str32(h.host_kind);
  w.str32(h.unicorn_version);
  w.str32(h.image_name);
  w.u64(h.image_hash);
  w.u32(static_cast<uint32_t>(h.files.size()));
  for (const auto& f : h.files) {
    w.str32(f.name);
    w.u64(f.hash);
  }
  w.u32(static_cast<uint32_t>(h.cpuid.size()));
  w.raw(h.cpuid.data(), h.cpuid.size());
  w.u32(static_cast<uint32_t>(h.command_line.size()));
  for (const auto& s : h.command_line) w.str32(s);
  const TraceLaunch& l = h.launch;
  // The image as one zstd frame: images carry symbols and debug info that compress well.
  w.u64(l.image.size());
  std::vector<uint8_t> z;
  if (!l.image.empty()) {
    // One context per thread, kept: a fresh one costs more than compressing a small image.
    struct Free {
      void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
    };
    static thread_local std::unique_ptr<ZSTD_CCtx, Free> cctx(ZSTD_createCCtx());
    if (!cctx) throw TraceError("trace: out of memory for the compressor");
    z.resize(ZSTD_compressBound(l.image.size()));
    // Level -50: a 235 KB hello image compresses to ~215 KB in a fraction of the time level
    // -4 takes (~150 KB); at -4 the image alone pushed recording hello past 1.25x a plain run.
    const size_t n = ZSTD_compressCCtx(cctx.get(), z.data(), z.size(), l.image.data(), l.image.size(), -50);
    if (ZSTD_isError(n)) throw TraceError("trace: the image does not compress");
    z.resize(n);
  }
  w.u64(z.size());
  w.raw(z.data(), z.size());
  w.str32(l.name);
  w.u32(static_cast<uint32_t>(l.args.size()));
  for (const auto& a : l.args) w.str32(a);
  w.u32(static_cast<uint32_t>(l.env.size()));
  for (const auto& e : l.env) w.str32(e);
  w.u64(l.stack_size);
  w.str32(l.stdin_uri);
  w.str32(l.stdout_uri);
  w.str32(l.stderr_uri);
  w.u64(l.quantum);
  w.u64(l.max_ticks);
  w.u64(l.max_world_ticks);
  w.u64(l.checksum_every);
}

void encode_record(const TraceRecord& r, std::vector<uint8_t>& out) {
  ByteWriter w(out);
  w.u8(static_cast<uint8_t>(r.kind));
  const size_t len_at = w.size();
  w.u32(0);  // body length, patched below
  const size_t body_at = w.size();
  w.u64(r.tick);
  w.u32(r.pid);
  w.u32(r.thread);
  w.u64(r.rip);
  switch (r.kind) {
    case RecordKind::Downcall: {
      const DowncallRecord& c = r.call;
      w.u32(c.index);
      w.u32(c.fields);
      w.raw(c.reg, sizeof c.reg);
      w.raw(c.in_val, sizeof c.in_val);
      w.u64(c.room);
      w.u64(static_cast<uint64_t>(c.status));
      w.u8(c.written);
      w.raw(c.out_val, sizeof c.out_val);
      if (c.fields & kHasUri) w.str32(c.uri);
      if (c.fields & kHasInBytes) {
        w.u64(c.in_len);
        w.u64(c.in_hash);
        if (!(c.fields & kInHashed)) w.raw(c.in_bytes.data(), c.in_bytes.size());
      }
      if (c.fields & kHasHandles) {
        w.u32(static_cast<uint32_t>(c.handles.size()));
        w.raw(c.handles.data(), c.handles.size() * sizeof(dk_handle_t));
      }
      if (c.fields & kHasContext) w.raw(&c.ctx, sizeof c.ctx);
      if (c.fields & kHasAttrIn) w.raw(&c.attr_in, sizeof c.attr_in);
      if (c.fields & kHasAttrOut) w.raw(&c.attr_out, sizeof c.attr_out);
      if (c.fields & kHasSysinfo) w.raw(&c.sysinfo, sizeof c.sysinfo);
      if (c.fields & kHasOutBytes) {
        w.u64(c.out_bytes.size());
        w.raw(c.out_bytes.data(), c.out_bytes.size());
      }
      if (c.fields & kHasEffects) {
        w.u32(static_cast<uint32_t>(c.effects.size()));
        for (const Effect& e : c.effects) {
          w.u8(static_cast<uint8_t>(e.op));
          w.raw(e.v, sizeof e.v);
          w.u64(static_cast<uint64_t>(e.result));
          w.u64(e.bytes.size());
          w.raw(e.bytes.data(), e.bytes.size());
          w.u32(static_cast<uint32_t>(e.strs.size()));
          for (const auto& x : e.strs) w.str32(x);
        }
      }
      break;
    }
    case RecordKind::Schedule:
      w.u32(r.schedule.next_thread);
      w.u32(r.schedule.reason);
      w.u32(r.schedule.next_pid);
      break;
    case RecordKind::Exception:
      w.u32(r.exception.type);
      w.u32(r.exception.detail);
      w.u64(r.exception.address);
      break;
    case RecordKind::ForeignTrap:
      w.u32(r.trap.detail);
      w.u64(r.trap.number);
      break;
    case RecordKind::Upcall:
      w.u32(r.upcall.which);
      w.u64(r.upcall.entry);
      w.u64(r.upcall.arg);
      break;
    case RecordKind::Rdtsc:
      w.u64(r.rdtsc);
      break;
    case RecordKind::End:
      w.u32(r.end.reason);
      w.u64(static_cast<uint64_t>(r.end.exit_code));
      w.str32(r.end.message);
      break;
    case RecordKind::Clock:
      w.u64(r.clock);
      break;
    case RecordKind::Idle:
      w.u64(r.idle.deadline);
      w.u8(r.idle.woke);
      break;
    case RecordKind::Checksum:
      w.u64(r.checksum.hash);
      w.u64(r.checksum.downcalls);
      break;
  }
  w.patch_u32(len_at, static_cast<uint32_t>(w.size() - body_at));
}

// ---- Decoding ----

namespace trace_detail {

void decode_header(ByteReader& in, TraceHeader& h, bool exact) {
  h.abi_major = in.u16("abi version");
  h.abi_minor = in.u16("abi version");
  h.flags = in.u32("flags");
  h.seed = in.u64("seed");
  h.host_kind = in.str32("host kind", 4096);
  h.unicorn_version = in.str32("unicorn version", 4096);
  h.image_name = in.str32("image name", 4096);
  h.image_hash = in.u64("image hash");
  const size_t files_at = in.pos();
  const uint32_t nfiles = in.u32("file count");
  // Each entry takes at least 12 bytes: a count beyond that is corrupt, not a reason to reserve.
  if (uint64_t{nfiles} * 12 > in.left())
    throw DecodeError{files_at, "file count " + std::to_string(nfiles) + " is absurd"};
  h.files.clear();
  for (uint32_t i = 0; i < nfiles; ++i) {
    NamedHash f;
    f.name = in.str32("file name", 4096);
    f.hash = in.u64("file hash");
    h.files.push_back(std::move(f));
  }
  const size_t cpuid_at = in.pos();
  const uint32_t ncpuid = in.u32("cpuid length");
  if (ncpuid > in.left()) throw DecodeError{cpuid_at, "cpuid length " + std::to_string(ncpuid) + " is absurd"};
  in.bytes(h.cpuid, ncpuid, "cpuid");
  const size_t args_at = in.pos();
  const uint32_t nargs = in.u32("argument count");
  if (uint64_t{nargs} * 4 > in.left())
    throw DecodeError{args_at, "argument count " + std::to_string(nargs) + " is absurd"};
  h.command_line.clear();
  for (uint32_t i = 0; i < nargs; ++i) h.command_line.push_back(in.str32("argument", 1u << 20));
  h.launch = {};
  if (h.format_minor >= 1) {
    TraceLaunch& l = h.launch;
    const size_t image_at = in.pos();
    const uint64_t nimage = in.u64("image length");
    if (nimage > kTraceImageMax)
      throw DecodeError{image_at, "image length " + std::to_string(nimage) + " is absurd"};
    const size_t z_at = in.pos();
    const uint64_t nz = in.u64("compressed image length");
    if (nz > in.left() || (nz == 0) != (nimage == 0))
      throw DecodeError{z_at, "compressed image length " + std::to_string(nz) + " is absurd"};
    std::vector<uint8_t> z;
    in.bytes(z, nz, "image");
    l.image.clear();
    if (nimage) {
      if (ZSTD_getFrameContentSize(z.data(), z.size()) != nimage)
        throw DecodeError{z_at + 8, "the image is not a zstd frame of the stated length"};
      l.image.resize(nimage);
      const size_t n = ZSTD_decompress(l.image.data(), l.image.size(), z.data(), z.size());
      if (ZSTD_isError(n) || n != nimage) throw DecodeError{z_at + 8, "the image does not decompress"};
    }
    l.name = in.str32("launch name", 4096);
    auto strings = [&](std::vector<std::string>& v, const char* what) {
      const size_t at = in.pos();
      const uint32_t n = in.u32(what);
      if (uint64_t{n} * 4 > in.left()) throw DecodeError{at, std::string(what) + " " + std::to_string(n) + " is absurd"};
      v.clear();
      for (uint32_t i = 0; i < n; ++i) v.push_back(in.str32(what, 1u << 20));
    };
    strings(l.args, "launch argument count");
    strings(l.env, "launch environment count");
    l.stack_size = in.u64("stack size");
    l.stdin_uri = in.str32("stdin uri", DK_URI_MAX);
    l.stdout_uri = in.str32("stdout uri", DK_URI_MAX);
    l.stderr_uri = in.str32("stderr uri", DK_URI_MAX);
    l.quantum = in.u64("quantum");
    l.max_ticks = in.u64("max ticks");
    l.max_world_ticks = in.u64("max world ticks");
    l.checksum_every = in.u64("checksum interval");
  }
  if (exact && in.left() != 0)
    throw DecodeError{in.pos(), std::to_string(in.left()) + " unexpected bytes after the last field"};
}

// What format 1.0 had: kinds up to End, downcalls without an effect list, schedule records
// without the next picoprocess.
constexpr uint8_t kRecordKindMax_1_0 = static_cast<uint8_t>(RecordKind::End);
constexpr uint32_t kDowncallFieldsAll_1_0 = kHasEffects - 1;

void decode_record(ByteReader& outer, TraceRecord& r, uint16_t format_minor) {
  const bool v1_0 = format_minor == 0;
  const size_t start = outer.pos();
  const uint8_t kind = outer.u8("record kind");
  if (kind < 1 || kind > kRecordKindMax) throw DecodeError{start, "unknown record kind " + std::to_string(kind)};
  if (v1_0 && kind > kRecordKindMax_1_0)
    throw DecodeError{start, "record kind " + std::to_string(kind) + " is not in format 1.0"};
  const uint32_t len = outer.u32("record length");
  // Fields are read from the body alone, so a wrong field never reads into the next record.
  ByteReader in = outer.sub(len, "record body");
  r.kind = static_cast<RecordKind>(kind);
  r.tick = in.u64("tick");
  r.pid = in.u32("pid");
  r.thread = in.u32("thread");
  r.rip = in.u64("rip");
  switch (r.kind) {
    case RecordKind::Downcall: {
      DowncallRecord& c = r.call;
      const size_t index_at = in.pos();
      c.index = in.u32("call index");
      if (!call_desc(c.index)) throw DecodeError{index_at, "call index " + std::to_string(c.index) + " is not a Dk call"};
      const size_t fields_at = in.pos();
      c.fields = in.u32("fields");
      if ((c.fields & ~kDowncallFieldsAll) || ((c.fields & kInHashed) && !(c.fields & kHasInBytes)))
        throw DecodeError{fields_at, "bad field bits"};
      if (v1_0 && (c.fields & ~kDowncallFieldsAll_1_0))
        throw DecodeError{fields_at, "field bits of a later format in a format 1.0 record"};
      in.raw(c.reg, sizeof c.reg, "registers");
      in.raw(c.in_val, sizeof c.in_val, "input values");
      c.room = in.u64("room");
      c.status = static_cast<dk_status_t>(in.u64("status"));
      const size_t written_at = in.pos();
      c.written = in.u8("written bits");
      if (c.written >= 64) throw DecodeError{written_at, "bad written bits"};
      in.raw(c.out_val, sizeof c.out_val, "output values");
      c.uri.clear();
      if (c.fields & kHasUri) c.uri = in.str32("uri", DK_URI_MAX);
      c.in_len = c.in_hash = 0;
      c.in_bytes.clear();
      if (c.fields & kHasInBytes) {
        c.in_len = in.u64("input length");
        c.in_hash = in.u64("input hash");
        if (!(c.fields & kInHashed)) in.bytes(c.in_bytes, c.in_len, "input bytes");
      }
      c.handles.clear();
      if (c.fields & kHasHandles) {
        const size_t n_at = in.pos();
        const uint32_t n = in.u32("handle count");
        if (n > DK_WAIT_MAX) throw DecodeError{n_at, "handle count " + std::to_string(n) + " is absurd"};
        in.need(n * sizeof(dk_handle_t), "handles");
        c.handles.resize(n);
        in.raw(c.handles.data(), n * sizeof(dk_handle_t), "handles");
      }
      c.ctx = {};
      if (c.fields & kHasContext) in.raw(&c.ctx, sizeof c.ctx, "context");
      c.attr_in = {};
      if (c.fields & kHasAttrIn) in.raw(&c.attr_in, sizeof c.attr_in, "attributes");
      c.attr_out = {};
      if (c.fields & kHasAttrOut) in.raw(&c.attr_out, sizeof c.attr_out, "attributes");
      c.sysinfo = {};
      if (c.fields & kHasSysinfo) in.raw(&c.sysinfo, sizeof c.sysinfo, "system info");
      c.out_bytes.clear();
      if (c.fields & kHasOutBytes) {
        const uint64_t n = in.u64("output length");
        in.bytes(c.out_bytes, n, "output bytes");
      }
      c.effects.clear();
      if (c.fields & kHasEffects) {
        const size_t n_at = in.pos();
        const uint32_t n = in.u32("effect count");
        // Each effect takes at least 61 bytes.
        if (uint64_t{n} * 61 > in.left()) throw DecodeError{n_at, "effect count " + std::to_string(n) + " is absurd"};
        c.effects.resize(n);
        for (Effect& e : c.effects) {
          const size_t op_at = in.pos();
          const uint8_t op = in.u8("effect");
          if (op < 1 || op > kEffectOpMax) throw DecodeError{op_at, "unknown effect " + std::to_string(op)};
          e.op = static_cast<EffectOp>(op);
          in.raw(e.v, sizeof e.v, "effect values");
          e.result = static_cast<int64_t>(in.u64("effect result"));
          const uint64_t nb = in.u64("effect length");
          in.bytes(e.bytes, nb, "effect bytes");
          const size_t ns_at = in.pos();
          const uint32_t ns = in.u32("effect string count");
          if (uint64_t{ns} * 4 > in.left()) throw DecodeError{ns_at, "effect string count is absurd"};
          e.strs.clear();
          for (uint32_t i = 0; i < ns; ++i) e.strs.push_back(in.str32("effect string", 1u << 20));
        }
      }
      break;
    }
    case RecordKind::Schedule:
      r.schedule.next_thread = in.u32("next thread");
      r.schedule.reason = in.u32("reason");
      r.schedule.next_pid = v1_0 ? 0 : in.u32("next pid");  // 1.0 records end before it
      break;
    case RecordKind::Exception:
      r.exception.type = in.u32("exception type");
      r.exception.detail = in.u32("exception detail");
      r.exception.address = in.u64("exception address");
      break;
    case RecordKind::ForeignTrap:
      r.trap.detail = in.u32("trap detail");
      r.trap.number = in.u64("trap number");
      break;
    case RecordKind::Upcall:
      r.upcall.which = in.u32("upcall");
      r.upcall.entry = in.u64("upcall entry");
      r.upcall.arg = in.u64("upcall argument");
      break;
    case RecordKind::Rdtsc:
      r.rdtsc = in.u64("rdtsc value");
      break;
    case RecordKind::End:
      r.end.reason = in.u32("end reason");
      r.end.exit_code = static_cast<int64_t>(in.u64("exit code"));
      r.end.message = in.str32("end message", 1u << 16);
      break;
    case RecordKind::Clock:
      r.clock = in.u64("clock value");
      break;
    case RecordKind::Idle:
      r.idle.deadline = in.u64("idle deadline");
      r.idle.woke = in.u8("idle answer");
      break;
    case RecordKind::Checksum:
      r.checksum.hash = in.u64("memory hash");
      r.checksum.downcalls = in.u64("checksum downcalls");
      break;
  }
  if (in.left() != 0)
    throw DecodeError{start, "record length " + std::to_string(len) + " leaves " +
                                 std::to_string(in.left()) + " bytes after its fields"};
  if (v1_0) upgrade_record_1_0(r);
}

}  // namespace trace_detail
}  // namespace dk
