// Limits from a manifest and the counter the hosts charge against them. Host-facing:
// QuotaCounter returns dk_status_t (0 or -DK_E_QUOTA), never throws.
#pragma once

#include <cstdint>
#include <string_view>

#include "dk/abi.h"

namespace dk {

// 0 means no limit for every field.
struct Limits {
  uint64_t memory = 0;        // bytes committed
  uint64_t threads = 0;       // live threads
  uint64_t handles = 0;       // open handles of any kind
  uint64_t streams = 0;       // open streams
  uint64_t cpu_ticks = 0;     // basic blocks executed
  uint64_t output_bytes = 0;  // bytes written to files, pipes, sockets and the console
  friend bool operator==(const Limits&, const Limits&) = default;
};

// One bit per Limits field, for "which keys did the manifest give".
enum : uint32_t {
  kLimitMemory = 1,
  kLimitThreads = 2,
  kLimitHandles = 4,
  kLimitStreams = 8,
  kLimitCpuTicks = 16,
  kLimitOutputBytes = 32,
};
// The bit of a manifest key ("memory", ..., "output_bytes"); 0 for any other name.
uint32_t limit_bit(std::string_view key);
// The field a bit names (one bit set), or nullptr.
uint64_t* limit_field(Limits& l, uint32_t bit);
// The bits of the fields that are not 0.
uint32_t nonzero_limits(const Limits& l);

// What a picoprocess gets when its manifest says nothing, and what a bare image runs under:
// enough for any example, small enough that one runaway picoprocess cannot starve the world
// (memory 1 GiB, threads 64, handles 4096, streams 1024; cpu_ticks and output_bytes
// unlimited). docs/monitor.md lists them.
Limits default_limits();
// The defaults, with the fields in `given` (kLimit* bits) taken from `manifest`.
Limits effective_limits(const Limits& manifest, uint32_t given);

// One resource's use against its limit. Not thread-safe: a picoprocess's host serves one
// call at a time.
class QuotaCounter {
 public:
  explicit QuotaCounter(uint64_t limit = 0) : limit_(limit) {}
  // Takes `n` more units, or returns -DK_E_QUOTA and takes nothing.
  dk_status_t charge(uint64_t n = 1);
  // Gives back `n` units (never below zero).
  void release(uint64_t n = 1);
  // For resources whose use is measured elsewhere (committed bytes, live threads, open
  // handles): the counter takes the measured value before a charge.
  void set_used(uint64_t n) {
    used_ = n;
    if (used_ > peak_) peak_ = used_;
  }
  // A snapshot's counter put back (the ledger's restore): use and peak as they were.
  void restore(uint64_t used, uint64_t peak) {
    used_ = used;
    peak_ = peak;
  }
  uint64_t used() const { return used_; }
  uint64_t limit() const { return limit_; }
  uint64_t peak() const { return peak_; }
  bool unlimited() const { return limit_ == 0; }

 private:
  uint64_t limit_;
  uint64_t used_ = 0;
  uint64_t peak_ = 0;
};

// The counters of one picoprocess, one per Limits field.
struct Quotas {
  explicit Quotas(const Limits& l)
      : memory(l.memory),
        threads(l.threads),
        handles(l.handles),
        streams(l.streams),
        cpu_ticks(l.cpu_ticks),
        output_bytes(l.output_bytes) {}
  QuotaCounter memory, threads, handles, streams, cpu_ticks, output_bytes;
};

}  // namespace dk
