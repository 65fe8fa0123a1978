#include "dk/monitor/quota.h"

namespace dk {

dk_status_t QuotaCounter::charge(uint64_t n) {
  if (n > UINT64_MAX - used_) return -DK_E_QUOTA;
  if (limit_ != 0 && used_ + n > limit_) return -DK_E_QUOTA;
  used_ += n;
  if (used_ > peak_) peak_ = used_;
  return 0;
}

void QuotaCounter::release(uint64_t n) {
  used_ = n > used_ ? 0 : used_ - n;
}

}  // namespace dk

namespace dk {

uint32_t limit_bit(std::string_view key) {
  if (key == "memory") return kLimitMemory;
  if (key == "threads") return kLimitThreads;
  if (key == "handles") return kLimitHandles;
  if (key == "streams") return kLimitStreams;
  if (key == "cpu_ticks") return kLimitCpuTicks;
  if (key == "output_bytes") return kLimitOutputBytes;
  return 0;
}

uint64_t* limit_field(Limits& l, uint32_t bit) {
  switch (bit) {
    case kLimitMemory:
      return &l.memory;
    case kLimitThreads:
      return &l.threads;
    case kLimitHandles:
      return &l.handles;
    case kLimitStreams:
      return &l.streams;
    case kLimitCpuTicks:
      return &l.cpu_ticks;
    case kLimitOutputBytes:
      return &l.output_bytes;
    default:
      return nullptr;
  }
}

uint32_t nonzero_limits(const Limits& l) {
  Limits copy = l;
  uint32_t bits = 0;
  for (uint32_t bit = kLimitMemory; bit <= kLimitOutputBytes; bit <<= 1)
    if (*limit_field(copy, bit)) bits |= bit;
  return bits;
}

Limits default_limits() {
  Limits l;
  l.memory = 1ull << 30;
  l.threads = 64;
  l.handles = 4096;
  l.streams = 1024;
  return l;
}

Limits effective_limits(const Limits& manifest, uint32_t given) {
  Limits out = default_limits();
  Limits from = manifest;
  for (uint32_t bit = kLimitMemory; bit <= kLimitOutputBytes; bit <<= 1)
    if (given & bit) *limit_field(out, bit) = *limit_field(from, bit);
  return out;
}

}  // namespace dk
