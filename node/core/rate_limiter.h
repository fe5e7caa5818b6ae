// RateLimiter: keeps a stream of bytes under a rate, as a token bucket that
// holds one second of it (so a short burst passes at once, and a long
// transfer settles at the rate). Callers take what they used and wait the
// time it answers before taking more.
//
// Thread safety: every method may be called from any thread; the callers
// of one limiter share its rate.
#ifndef MINGA_NODE_CORE_RATE_LIMITER_H_
#define MINGA_NODE_CORE_RATE_LIMITER_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "node/core/clock.h"

namespace minga {

class RateLimiter {
 public:
  // `bytes_per_second` 0: no limit. clock: borrowed, must outlive it.
  RateLimiter(uint64_t bytes_per_second, Clock* clock)
      : bytes_per_second_(bytes_per_second), clock_(clock) {}

  uint64_t bytes_per_second() const { return bytes_per_second_; }

  // Records `bytes` used now; returns how long to wait before using more
  // (zero while within the rate).
  absl::Duration Take(uint64_t bytes);

 private:
  const uint64_t bytes_per_second_;
  Clock* const clock_;
  absl::Mutex mu_;
  // When the bytes taken so far would have passed at the rate; the bucket
  // is full when this is a second or more in the past.
  int64_t paid_until_micros_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace minga

#endif  // MINGA_NODE_CORE_RATE_LIMITER_H_
