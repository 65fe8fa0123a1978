// The simulated host: deterministic and in-process, the embedded default. Time is virtual
// (driven by ticks), random bits come from a seeded generator, handles and addresses from
// deterministic allocators, so a run is a pure function of its inputs.
#pragma once

#include <cstdint>
#include <string>

#include "dk/console.h"
#include "dk/host.h"

namespace dk {

struct SimConfig {
  uint64_t seed = 0;
  Console* console = nullptr;      // nullptr: output is dropped, input is empty
  std::string* debug_log = nullptr;  // DkDebugOutput lands here when set
};

// The virtual clock. One tick (a basic block executed) is kNsPerTick nanoseconds; the
// virtual TSC runs at kTscHz.
struct VirtualClock {
  static constexpr uint64_t kEpochNs = 1341964800ull * 1000000000ull;  // 2012-07-11T00:00:00Z
  static constexpr uint64_t kNsPerTick = 10;
  static constexpr uint64_t kTscHz = 3000000000ull;
  static uint64_t ns_at(uint64_t tick) { return kEpochNs + tick * kNsPerTick; }
  static uint64_t tsc_at(uint64_t tick) { return tick * kNsPerTick * (kTscHz / 1000000000ull); }
};

// A deterministic generator (xoshiro256**, seeded through splitmix64).
class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed);
  uint64_t next();
  void fill(uint8_t* out, size_t n);

 private:
  uint64_t s_[4];
};

class SimHost : public Host {
 public:
  explicit SimHost(SimConfig config);
  std::string_view name() const override { return "sim"; }
  uint64_t cycle_counter(const CallContext& cx) override { return VirtualClock::tsc_at(cx.tick); }
  void bind_std_handle(CallContext& cx, int which, dk_handle_t h) override;

  dk_status_t DkVirtualMemoryAllocate(CallContext& cx, Call& call) override;
  dk_status_t DkVirtualMemoryFree(CallContext& cx, Call& call) override;
  dk_status_t DkVirtualMemoryProtect(CallContext& cx, Call& call) override;
  dk_status_t DkSemaphoreCreate(CallContext& cx, Call& call) override;
  dk_status_t DkSemaphoreRelease(CallContext& cx, Call& call) override;
  dk_status_t DkSemaphorePeek(CallContext& cx, Call& call) override;
  dk_status_t DkProcessExit(CallContext& cx, Call& call) override;
  dk_status_t DkStreamOpen(CallContext& cx, Call& call) override;
  dk_status_t DkStreamRead(CallContext& cx, Call& call) override;
  dk_status_t DkStreamWrite(CallContext& cx, Call& call) override;
  dk_status_t DkStreamAttributesQueryByHandle(CallContext& cx, Call& call) override;
  dk_status_t DkObjectClose(CallContext& cx, Call& call) override;
  dk_status_t DkSystemTimeQuery(CallContext& cx, Call& call) override;
  dk_status_t DkRandomBitsRead(CallContext& cx, Call& call) override;
  dk_status_t DkInstructionCacheFlush(CallContext& cx, Call& call) override;
  dk_status_t DkSegmentRegisterSet(CallContext& cx, Call& call) override;
  dk_status_t DkExceptionReturn(CallContext& cx, Call& call) override;
  dk_status_t DkSystemInfoQuery(CallContext& cx, Call& call) override;
  dk_status_t DkDebugOutput(CallContext& cx, Call& call) override;

 private:
  SimConfig config_;
  SeededRandom random_;
};

}  // namespace dk
