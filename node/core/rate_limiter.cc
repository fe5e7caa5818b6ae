#include "node/core/rate_limiter.h"

#include <algorithm>

namespace minga {

absl::Duration RateLimiter::Take(uint64_t bytes) {
  if (bytes_per_second_ == 0) return absl::ZeroDuration();
  constexpr int64_t kBurstMicros = 1'000'000;
  const int64_t now = clock_->NowMicros();
  absl::MutexLock lock(&mu_);
  // Unused time older than the burst is not saved up.
  paid_until_micros_ = std::max(paid_until_micros_, now - kBurstMicros);
  paid_until_micros_ += static_cast<int64_t>(static_cast<double>(bytes) * 1e6 /
                                             static_cast<double>(bytes_per_second_));
  return absl::Microseconds(std::max<int64_t>(0, paid_until_micros_ - now));
}

}  // namespace minga
