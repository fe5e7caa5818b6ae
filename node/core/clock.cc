#include "node/core/clock.h"

#include <algorithm>
#include <chrono>
#include <limits>

namespace minga {
namespace {

class RealClock : public Clock {
 public:
  int64_t NowMicros() override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

}  // namespace

Clock* SystemClock() {
  static Clock* const clock = new RealClock();
  return clock;
}

absl::StatusOr<uint64_t> VersionClock::Next() {
  const int64_t now = clock_->NowMicros();
  absl::MutexLock lock(&mu_);
  if (last_ == std::numeric_limits<uint64_t>::max()) {
    return absl::FailedPreconditionError(
        "version: a revision of this origin already has the highest possible version; "
        "no later one can be signed (was the signing key misused?)");
  }
  last_ = std::max<uint64_t>(last_ + 1, now > 0 ? static_cast<uint64_t>(now) : 0);
  return last_;
}

void VersionClock::Observe(uint64_t version) {
  absl::MutexLock lock(&mu_);
  last_ = std::max(last_, version);
}

uint64_t VersionClock::last() const {
  absl::MutexLock lock(&mu_);
  return last_;
}

}  // namespace minga
