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
