// Format 1.0 records in the current shape. A 1.0 downcall carries no effect list: what the
// host did to the picoprocess followed from the call, and a mapping's bytes sat in the output
// bytes. The reader turns each such record into the effects a 1.0 replay performed, so the
// replayer, diff, rendering and exports know one record shape.
#include <cstring>
#include <initializer_list>
#include <utility>

#include "byte_codec.h"
#include "dk/calls.h"

namespace dk::trace_detail {

namespace {

Effect effect(EffectOp op, std::initializer_list<uint64_t> v, int64_t result = 0) {
  Effect e;
  e.op = op;
  size_t i = 0;
  for (uint64_t x : v) e.v[i++] = x;
  e.result = result;
  return e;
}

// The effects of a downcall that succeeded, as a 1.0 replay performed them: memory at the
// address the recording got, fixed; a mapping as an allocation at that address, its recorded
// bytes written there, then its protection.
void add_effects(DowncallRecord& c) {
  const uint64_t* v = c.in_val;
  std::vector<Effect>& out = c.effects;
  switch (c.index) {
    case calls::DkVirtualMemoryAllocate: {
      const uint64_t want = c.out_val[0];
      out.push_back(effect(EffectOp::Allocate, {want, v[1], v[2], v[3], want}));
      break;
    }
    case calls::DkVirtualMemoryFree:
    case calls::DkStreamUnmap:
      out.push_back(effect(EffectOp::Free, {v[0], v[1]}));
      break;
    case calls::DkVirtualMemoryProtect:
      out.push_back(effect(EffectOp::Protect, {v[0], v[1], v[2]}));
      break;
    case calls::DkStreamMap: {
      const uint64_t want = c.out_val[1], size = v[4];
      out.push_back(effect(EffectOp::Allocate, {want, size, DK_ALLOC_COMMIT | DK_ALLOC_REPLACE,
                                                DK_PROT_READ | DK_PROT_WRITE, want}));
      if (!c.out_bytes.empty()) {
        Effect w = effect(EffectOp::MemoryWrite, {want, c.out_bytes.size()}, 1);
        w.bytes = c.out_bytes;
        out.push_back(std::move(w));
      }
      out.push_back(effect(EffectOp::Protect, {want, size, uint64_t{static_cast<uint32_t>(v[2]) & ~uint32_t{DK_MAP_SHARED}}}));
      break;
    }
    case calls::DkSegmentRegisterSet:
      out.push_back(effect(EffectOp::Segment, {v[0], v[1]}));
      break;
    case calls::DkExceptionReturn: {
      // The context the guest passed, which replay has already found equal to the recorded one.
      Effect e = effect(EffectOp::ExceptionReturn, {});
      e.bytes.resize(sizeof c.ctx);
      memcpy(e.bytes.data(), &c.ctx, sizeof c.ctx);
      out.push_back(std::move(e));
      break;
    }
    case calls::DkProcessExit:
      out.push_back(effect(EffectOp::ProcessExit, {v[0]}));
      break;
    case calls::DkThreadExit:
      out.push_back(effect(EffectOp::ThreadExit, {}));
      break;
    default:
      break;
  }
}

}  // namespace

void upgrade_record_1_0(TraceRecord& r) {
  if (r.kind != RecordKind::Downcall) return;  // 1.0 schedule records read with next_pid 0
  DowncallRecord& c = r.call;
  c.effects.clear();
  if (c.status == 0) add_effects(c);
  if (!c.effects.empty()) c.fields |= kHasEffects;
  // A mapping's bytes were never its output: they are the memory-write effect above.
  if (c.index == calls::DkStreamMap) {
    c.fields &= ~kHasOutBytes;
    c.out_bytes.clear();
  }
}

}  // namespace dk::trace_detail
