// Limits from a manifest and the counter the hosts charge against them. Host-facing:
// QuotaCounter returns dk_status_t (0 or -DK_E_QUOTA), never throws.
#pragma once

#include <cstdint>

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

// One resource's use against its limit. Not thread-safe: a picoprocess's host serves one
// call at a time.
class QuotaCounter {
 public:
  explicit QuotaCounter(uint64_t limit = 0) : limit_(limit) {}
  // Takes `n` more units, or returns -DK_E_QUOTA and takes nothing.
  dk_status_t charge(uint64_t n = 1);
  // Gives back `n` units (never below zero).
  void release(uint64_t n = 1);
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
